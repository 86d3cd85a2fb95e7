/**
 * Development script, not product code: records `evtxexport -f xml` (Debian libevtx-utils) prints
 * for every file under ../shared/data/evtx, written to evtxexport-counts.json for the count test.
 * Run once from the repository root: node --import tsx src/ingest/evtx/count-evtxexport.ts
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const DATA = path.resolve(here, '../../../../shared/data/evtx');

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? walk(path.join(dir, e.name)) : [path.join(dir, e.name)],
  );
}

const counts: Record<string, number> = {};
for (const file of walk(DATA)
  .filter((f) => f.endsWith('.evtx'))
  .sort()) {
  const out = spawnSync('evtxexport', ['-f', 'xml', file], { maxBuffer: 1 << 30 });
  if (out.error !== undefined) throw out.error;
  const text = out.stdout.toString('latin1');
  counts[path.relative(DATA, file)] = text.split('<Event ').length - 1;
}
writeFileSync(path.join(here, 'evtxexport-counts.json'), JSON.stringify(counts, null, 2) + '\n');
process.stdout.write(
  `${Object.keys(counts).length} files, ${Object.values(counts).reduce((a, b) => a + b, 0)} records\n`,
);
