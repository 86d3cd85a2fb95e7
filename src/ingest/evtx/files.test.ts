/** Every real EVTX file reads without throwing, and the damaged samples yield located issues plus the rest. */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { Event, Issue } from '../../core/index.ts';
import counts from './evtxexport-counts.json' with { type: 'json' };
import { parseEvtx } from './index.ts';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const DATA = path.resolve(repoRoot, '../shared/data/evtx');
const SAMPLES = path.join(DATA, 'omerbenamram-evtx-samples/samples');

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? walk(path.join(dir, e.name)) : [path.join(dir, e.name)],
  );
}

function read(file: string): { events: Event[]; issues: Issue[] } {
  const events: Event[] = [];
  const issues: Issue[] = [];
  for (const b of parseEvtx(readFileSync(file), file, { tenant: 't1' })) {
    events.push(...b.events);
    issues.push(...b.issues);
  }
  return { events, issues };
}

describe('all EVTX files under shared/data/evtx', () => {
  const files = walk(DATA)
    .filter((f) => f.endsWith('.evtx'))
    .sort();
  const expected = counts as Record<string, number>;

  it('has an evtxexport count for every file', () => {
    expect(files.map((f) => path.relative(DATA, f))).toEqual(Object.keys(expected).sort());
  });

  it('reads at least as many records as evtxexport from every file', () => {
    let ours = 0;
    let theirs = 0;
    const short: string[] = [];
    for (const file of files) {
      const { events, issues } = read(file);
      const rel = path.relative(DATA, file);
      const want = expected[rel] ?? 0;
      ours += events.length;
      theirs += want;
      if (events.length < want) short.push(`${rel}: ${events.length} < ${want}`);
      for (const e of events) {
        expect(e.tenant).toBe('t1');
        expect(e.origin.file).toBe(file);
        expect(typeof e.fields['EventID']).toBe('number');
      }
      for (const i of issues) expect(i.at?.file).toBe(file);
    }
    expect(short).toEqual([]);
    expect(ours).toBeGreaterThanOrEqual(theirs);
    expect(theirs).toBe(34054);
  });
});

/** The first issue with `code`, failing the test when there is none. */
function find(issues: readonly Issue[], code: Issue['code']): Issue {
  const i = issues.find((x) => x.code === code);
  if (i === undefined) throw new Error(`no ${code} among ${issues.map((x) => x.code).join(', ')}`);
  return i;
}

describe('damaged samples', () => {
  it('sample_with_a_bad_chunk_magic: reports the lost chunks and reads the others', () => {
    const { events, issues } = read(path.join(SAMPLES, 'sample_with_a_bad_chunk_magic.evtx'));
    const lost = issues.filter((i) => i.code === 'EVTX_BAD_CHUNK_HEADER');
    expect(lost.map((i) => i.at?.chunk)).toEqual([1, 2, 3, 4, 5, 11, 12, 13, 14, 15, 6, 10]);
    expect(lost[0]?.at?.offset).toBe(4096 + 65536);
    expect(events.length).toBeGreaterThanOrEqual(267);
  });

  it('security_bad_string_cache: flags the chunk header and still reads every record', () => {
    const { events, issues } = read(path.join(SAMPLES, 'security_bad_string_cache.evtx'));
    expect(find(issues, 'EVTX_BAD_CHUNK_CHECKSUM').at).toMatchObject({ offset: 4096, chunk: 0 });
    expect(events).toHaveLength(2261);
    expect(events[0]?.fields['EventID']).toBe(4608);
  });

  it('Application_no_crc32: checksum warnings, all 17 records', () => {
    const { events, issues } = read(path.join(SAMPLES, 'Application_no_crc32.evtx'));
    expect(issues.map((i) => `${i.code}:${i.severity}`)).toEqual([
      'EVTX_BAD_FILE_HEADER:warning',
      'EVTX_BAD_CHUNK_CHECKSUM:warning',
      'EVTX_BAD_CHUNK_CHECKSUM:warning',
    ]);
    expect(events).toHaveLength(17);
  });

  it('sample-with-zero-data-size-event: skips the zero-size record and reads on', () => {
    const { events, issues } = read(path.join(SAMPLES, 'sample-with-zero-data-size-event.evtx'));
    expect(find(issues, 'EVTX_BAD_RECORD').at).toMatchObject({ offset: 6176, chunk: 0 });
    expect(events.length).toBeGreaterThanOrEqual(449);
    const ids = events.map((e) => e.origin.recordId ?? 0);
    expect(ids.every((id, i) => i === 0 || id > (ids[i - 1] ?? 0))).toBe(true);
  });

  it('HelloForBusiness: the half-written last record is read, with a warning', () => {
    const { events, issues } = read(
      path.join(SAMPLES, 'Microsoft-Windows-HelloForBusiness%4Operational.evtx'),
    );
    expect(find(issues, 'EVTX_BAD_RECORD')).toMatchObject({
      severity: 'warning',
      at: { record: 6 },
    });
    expect(events).toHaveLength(6);
  });

  it('RdpCoreTS (a shadow copy): records whose templates were overwritten are located errors', () => {
    const { events, issues } = read(
      path.join(
        SAMPLES,
        '2-vss_0-Microsoft-Windows-RemoteDesktopServices-RdpCoreTS%4Operational.evtx',
      ),
    );
    const bad = issues.filter((i) => i.code === 'EVTX_BAD_BINXML');
    expect(bad.length).toBeGreaterThan(0);
    for (const i of bad) expect(i.at?.record).toBeGreaterThan(0);
    expect(events.length).toBeGreaterThanOrEqual(1910);
  });
});
