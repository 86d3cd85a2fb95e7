/** The compiled-rule cache: keyed on every input, never changes what a scan finds, survives bad entries. */
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { deserialize, serialize } from 'node:v8';
import { compileRules, linkRules } from '../detect/index.ts';
import {
  packSlice,
  readEntry,
  ruleCacheDir,
  sliceKey,
  unpackSlice,
  writeEntry,
} from './rule-cache.ts';
import { scan, type ScanResult } from './scan.ts';
import type { WorkerSetup } from './scan-protocol.ts';

const quickstart = new URL('../../samples/quickstart/', import.meta.url).pathname;

const setup: WorkerSetup = {
  ruleFiles: [
    { file: 'a.yml', text: 'title: a' },
    { file: 'b.yml', text: 'title: b' },
  ],
  logsourcesYaml: { file: 'logsources.yml', text: 'version: 1' },
  placeholders: { admins: ['root'] },
  tenant: 'local',
};

/** What a scan reports, without timings. */
function findings(r: ScanResult) {
  return {
    detections: r.detections.map((d) => [d.rule.id, d.rule.title, d.ts, d.events[0]?.origin]),
    records: r.records,
    rules: r.rules,
  };
}

describe('rule cache', () => {
  it('keys a slice on every file path and text, the logsource map and the placeholders', () => {
    const key = sliceKey(setup);
    expect(sliceKey({ ...setup, tenant: 'other' })).toBe(key);
    const changed: WorkerSetup[] = [
      { ...setup, ruleFiles: [{ file: 'a.yml', text: 'title: A' }, setup.ruleFiles[1]!] },
      { ...setup, ruleFiles: [{ file: 'c.yml', text: 'title: a' }, setup.ruleFiles[1]!] },
      { ...setup, ruleFiles: [setup.ruleFiles[0]!] },
      { ...setup, ruleFiles: [...setup.ruleFiles].reverse() },
      { ...setup, logsourcesYaml: { file: 'logsources.yml', text: 'version: 2' } },
      { ...setup, placeholders: { admins: ['root', 'adm'] } },
    ];
    const keys = changed.map(sliceKey);
    expect(new Set([key, ...keys]).size).toBe(changed.length + 1);
  });

  it('packs a compiled slice with its conditions apart, read back on first use', () => {
    const files = [0, 1, 2].map((i) => ({
      file: `r${i}.yml`,
      text: `title: R${i}
logsource: { product: windows, category: process_creation }
detection:
  sel: { CommandLine|contains: 'x${i}', Image|endswith: '\\y${i}.exe' }
  condition: sel
`,
    }));
    const { part, locate } = compileRules(files);
    const whole = linkRules([part], locate);
    const packed = serialize(packSlice(part, []));
    // The conditions are not in the packed part itself.
    expect(packed.includes(Buffer.from('x1'))).toBe(true);
    const entry = deserialize(packed) as { part: { entries: unknown[] } };
    expect(JSON.stringify(entry.part)).not.toContain('x1');
    const slice = unpackSlice(entry);
    expect(slice).toBeDefined();
    const unpacked = linkRules([slice?.part ?? { entries: [] }], locate);
    expect(unpacked.rules.map((r) => r.routes.map((x) => x.cond))).toEqual(
      whole.rules.map((r) => r.routes.map((x) => x.cond)),
    );
    // A condition JSON cannot carry (an infinite number) travels as v8 data, and text that merely looks
    // like a null reads back as it was.
    const odd = compileRules([
      {
        file: '/r/odd.yml',
        text: `title: odd
id: 00000000-0000-4000-8000-00000000000a
logsource: { product: windows, category: process_creation }
detection:
  sel: { Count|lt: .inf, CommandLine|contains: 'x:null' }
  condition: sel
`,
      },
    ]);
    const oddEntry = packSlice(odd.part, []);
    expect(oddEntry.special.size).toBeGreaterThan(0);
    const oddSlice = unpackSlice(deserialize(serialize(oddEntry)));
    expect(linkRules([oddSlice?.part ?? { entries: [] }], odd.locate).rules[0]?.routes).toEqual(
      linkRules([odd.part], odd.locate).rules[0]?.routes,
    );
    expect(JSON.stringify(linkRules([odd.part], odd.locate).rules[0]?.routes[0]?.cond)).toContain(
      'null',
    );
    // Anything but a whole entry is refused.
    expect(unpackSlice({ ...entry, offsets: new Int32Array(1) })).toBeUndefined();
    expect(unpackSlice('not an entry')).toBeUndefined();
  });

  it('reads back what it wrote, keeps the newest entries, and misses cleanly', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-cache-'));
    expect(readEntry(dir, 'absent')).toBeUndefined();
    writeEntry(dir, 'k', new Uint8Array([1, 2, 3]));
    expect([...new Uint8Array(readEntry(dir, 'k') ?? new SharedArrayBuffer(0))]).toEqual([1, 2, 3]);
    for (let i = 0; i < 20; i++) writeEntry(dir, `k${i}`, new Uint8Array([i]));
    expect(readdirSync(dir).filter((n) => n.endsWith('.bin')).length).toBe(16);
    expect(ruleCacheDir({ VIGIL_CACHE_DIR: '/x' })).toBe('/x');
    expect(ruleCacheDir({ XDG_CACHE_HOME: '/y' })).toBe('/y/vigil');
  });

  it('gives the same scan cold, warm, and with damaged entries', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-cache-'));
    const run = async (cache: string | false) => {
      const r = await scan({ paths: [quickstart], threads: 2, ruleCache: cache });
      await r.stopped;
      return findings(r);
    };
    const plain = await run(false);
    expect(plain.detections.length).toBeGreaterThan(10);
    expect(readdirSync(dir)).toEqual([]);
    expect(await run(dir)).toEqual(plain);
    // Two compiled slices and the prefilters the scan built.
    const entries = readdirSync(dir).filter((n) => n.endsWith('.bin'));
    expect(entries).toHaveLength(3);
    const written = entries.map((e) => statSync(join(dir, e)).mtimeMs);
    // Warm: both slices come from the cache (nothing is compiled, so nothing is written again).
    expect(await run(dir)).toEqual(plain);
    expect(entries.map((e) => statSync(join(dir, e)).mtimeMs)).toEqual(written);
    // Damaged entries are built again (and rewritten).
    for (const e of entries) writeFileSync(join(dir, e), 'not a compiled slice');
    expect(await run(dir)).toEqual(plain);
    for (const e of entries) expect(readFileSync(join(dir, e)).length).toBeGreaterThan(100);
  }, 60_000);
});
