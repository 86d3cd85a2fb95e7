/** `npm run bench`: runs every benchmark script in turn, each printing its figures and its reference. */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from './common.ts';

const only = process.argv.slice(2);
const scripts = ['match', 'evtx', 'scan', 'ingest'].filter(
  (s) => only.length === 0 || only.includes(s),
);
let failed = 0;
for (const name of scripts) {
  const file = join(repoRoot, 'bench', `${name}.ts`);
  if (!existsSync(file)) continue;
  console.log(`\n=== bench/${name}.ts`);
  const r = spawnSync(process.execPath, ['--import', 'tsx', file], {
    stdio: 'inherit',
    cwd: repoRoot,
  });
  if (r.status !== 0) failed++;
}
process.exitCode = failed > 0 ? 1 : 0;
