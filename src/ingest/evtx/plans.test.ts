/** Compiled template plans give exactly what the general walk gives, record for record. */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { useCompiledPlans } from './flatten.ts';
import { parseEvtx } from './index.ts';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const DATA = path.resolve(repoRoot, '../shared/data');

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? walk(path.join(dir, e.name)) : [path.join(dir, e.name)],
  );
}

function render(bytes: Uint8Array, file: string, plans: boolean): string[] {
  useCompiledPlans(plans);
  const out: string[] = [];
  for (const b of parseEvtx(bytes, file)) {
    for (const e of b.events) out.push(JSON.stringify(e.fields));
    for (const i of b.issues) out.push(`${i.code} ${i.message}`);
  }
  return out;
}

describe('compiled plans', () => {
  afterAll(() => {
    useCompiledPlans(true);
  });

  it('equal the walk on every EVTX file in shared/data', () => {
    const files = [
      ...walk(path.join(DATA, 'evtx')),
      ...walk(path.join(DATA, 'sigma/regression_data')),
    ]
      .filter((f) => f.endsWith('.evtx'))
      .sort();
    let records = 0;
    for (const file of files) {
      const bytes = readFileSync(file);
      const walked = render(bytes, file, false);
      const planned = render(bytes, file, true);
      expect(planned, file).toEqual(walked);
      records += walked.length;
    }
    expect(records).toBeGreaterThan(35_000);
  });
});
