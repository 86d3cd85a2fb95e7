import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseLogsourceMap } from '../detect/index.ts';
import { logsourcesFile } from './files.ts';
import { loadLogsourceMap, writeRoutingData } from './routing-data.ts';

describe('the logsource mapping parsed at build time', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-routing-'));
  const stored = join(dir, 'logsources.json');
  const text = readFileSync(logsourcesFile, 'utf8');

  it('gives the same routes for every logsource as parsing the YAML', () => {
    expect(writeRoutingData(logsourcesFile, stored)).toBe(true);
    const parsed = parseLogsourceMap(text, logsourcesFile);
    const built = loadLogsourceMap({ file: logsourcesFile, text }, stored);
    if (!parsed.ok || !built.ok) throw new Error('the shipped mapping must load');
    expect(built.value.logsources).toEqual(parsed.value.logsources);
    expect(built.value.logsources.length).toBeGreaterThan(50);
    for (const ls of parsed.value.logsources)
      expect(built.value.routes(ls), JSON.stringify(ls)).toEqual(parsed.value.routes(ls));
    expect(built.value.routes({ product: 'nowhere', category: 'nothing' })).toBeUndefined();
    // As immutable as the parsed table.
    const route = built.value.routes(built.value.logsources[0] ?? {})?.[0];
    expect(Object.isFrozen(route) && Object.isFrozen(route?.fieldMap)).toBe(true);
  });

  it('parses an edited mapping itself, problems located', () => {
    writeRoutingData(logsourcesFile, stored);
    const edited = `${text}\n  - logsource: {product: windows, category: process_creation}\n    routes: []\n`;
    const r = loadLogsourceMap({ file: 'edited.yml', text: edited }, stored);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.issues[0]?.at?.file).toBe('edited.yml');
    expect(r.ok ? 0 : (r.issues[0]?.at?.line ?? 0)).toBeGreaterThan(1000);
  });

  it('parses the YAML when the stored table is damaged or missing', () => {
    writeFileSync(stored, '{"sha256": 12');
    const r = loadLogsourceMap({ file: logsourcesFile, text }, stored);
    expect(r.ok).toBe(true);
    const missing = loadLogsourceMap({ file: logsourcesFile, text }, join(dir, 'none.json'));
    expect(missing.ok).toBe(true);
  });

  it('writes nothing for a mapping with errors', () => {
    const bad = join(dir, 'bad.yml');
    writeFileSync(bad, 'version: 1\nlogsources: 3\n');
    writeRoutingData(logsourcesFile, stored);
    expect(writeRoutingData(bad, stored)).toBe(false);
    expect(() => readFileSync(stored)).toThrow();
  });
});
