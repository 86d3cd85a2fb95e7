import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync, strToU8, zipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Event, Issue } from '../core/index.ts';
import { detectFormat, listInputs, readBytes, readInput } from './index.ts';
import type { InputRef } from './index.ts';

const shared = fileURLToPath(new URL('../../../shared/data/', import.meta.url));
const SYSLOG = 'Jul  7 10:51:24 eva sshd[19537]: Invalid user admin from 83.15.231.75\n';
const AUDIT =
  'type=SYSCALL msg=audit(1700000000.000:1): arch=c000003e syscall=59 comm="id" exe="/usr/bin/id"\n';
const ZEEK = '#separator \\x09\n#path\tconn\n#fields\tts\tuid\n#types\ttime\tstring\n1.0\tCabc\n';

let dir = '';

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'vigil-inputs-'));
  writeFileSync(join(dir, 'a.json'), '{"n":1}\n{"n":2}\n');
  writeFileSync(join(dir, '.hidden.json'), '{"n":0}\n');
  mkdirSync(join(dir, 'sub'));
  writeFileSync(join(dir, 'sub', 'conn.log'), ZEEK);
  writeFileSync(join(dir, 'sub', 'auth.log.gz'), gzipSync(strToU8(SYSLOG)));
  const nested = zipSync({ 'deep.ndjson': strToU8('{"deep":true}\n') });
  writeFileSync(
    join(dir, 'bundle.zip'),
    zipSync({
      'dir/inner/x.json': strToU8('[{"x":1},{"x":2}]'),
      'dir/audit.log': strToU8(AUDIT),
      '.git/config': strToU8('[core]'),
      '__MACOSX/dir/._x.json': strToU8('junk'),
      'nested.zip': nested,
      'y.log.gz': gzipSync(strToU8(SYSLOG)),
    }),
  );
  writeFileSync(join(dir, 'broken.zip'), new Uint8Array([0x50, 0x4b, 0x03, 0x04, 1, 2, 3]));
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

async function readAll(input: InputRef): Promise<{ events: Event[]; issues: Issue[] }> {
  const events: Event[] = [];
  const issues: Issue[] = [];
  for await (const b of readInput(input, { tenant: 'acme' })) {
    events.push(...b.events);
    issues.push(...b.issues);
  }
  return { events, issues };
}

describe('listInputs', () => {
  it('walks directories sorted, skips dotfiles, reads zips in place and reports what it cannot read', async () => {
    const missing = join(dir, 'nope.evtx');
    const { inputs, issues } = await listInputs([dir, missing]);
    const rel = (p: string): string => p.slice(dir.length + 1);
    expect(inputs.map((i) => [rel(i.path), i.format ?? null])).toEqual([
      ['a.json', 'json'],
      ['bundle.zip!dir/audit.log', 'auditd'],
      ['bundle.zip!dir/inner/x.json', 'json'],
      ['bundle.zip!nested.zip!deep.ndjson', 'json'],
      ['bundle.zip!y.log.gz', null],
      ['sub/auth.log.gz', 'syslog'],
      ['sub/conn.log', null],
    ]);
    expect(issues.map((i) => [i.code, i.at?.file])).toEqual([
      ['READ_BAD_ZIP', join(dir, 'broken.zip')],
      ['READ_IO', missing],
    ]);
    expect(inputs.find((i) => i.path.endsWith('x.json'))?.size).toBe(17);
  });

  it('loads each input with its own reader, gzip and nested zips included', async () => {
    const { inputs } = await listInputs([dir]);
    const results = await Promise.all(inputs.map(readAll));
    const summary = results.map((r, i) => [
      inputs[i]?.path.slice(dir.length + 1),
      r.events.length,
      r.events[0]?.source ?? null,
      r.events[0]?.origin.format ?? null,
      r.issues.length,
    ]);
    expect(summary).toEqual([
      ['a.json', 2, {}, 'json', 0],
      ['bundle.zip!dir/audit.log', 1, { product: 'linux', service: 'auditd' }, 'auditd', 0],
      ['bundle.zip!dir/inner/x.json', 2, {}, 'json', 0],
      ['bundle.zip!nested.zip!deep.ndjson', 1, {}, 'json', 0],
      ['bundle.zip!y.log.gz', 1, { product: 'linux', service: 'auth' }, 'syslog', 0],
      ['sub/auth.log.gz', 1, { product: 'linux', service: 'auth' }, 'syslog', 0],
      ['sub/conn.log', 1, { product: 'zeek', service: 'conn' }, 'zeek-tsv', 0],
    ]);
    expect(results[4]?.events[0]?.origin.file).toBe(join(dir, 'bundle.zip!y.log.gz'));
  });

  it('turns a file that vanished after listing into one READ_IO issue', async () => {
    const path = join(dir, 'gone.json');
    writeFileSync(path, '{}');
    const { inputs } = await listInputs([path]);
    rmSync(path);
    const input = inputs[0];
    expect(input).toBeDefined();
    if (!input) return;
    const { events, issues } = await readAll(input);
    expect(events).toEqual([]);
    expect(issues.map((i) => [i.code, i.at?.file])).toEqual([['READ_IO', path]]);
  });

  it('lists the OTRF zips in place (entries named archive!entry)', async () => {
    const { inputs, issues } = await listInputs([
      join(
        shared,
        'datasets/Security-Datasets/datasets/compound/LSASS_campaign_01/metasploit_logonpasswords_lsass_memory_dump_zeek_logs.zip',
      ),
    ]);
    expect(issues).toEqual([]);
    expect(inputs.map((i) => i.path.slice(i.path.indexOf('!')))).toContain('!conn.log');
    const conn = inputs.find((i) => i.path.endsWith('!conn.log'));
    const { events } = conn ? await readAll(conn) : { events: [] };
    expect(events.length).toBeGreaterThan(50);
    expect(events[0]?.source).toEqual({ product: 'zeek', service: 'conn' });
  });
});

describe('gzip and directory edge cases', () => {
  it('reads every member of a multi-member gzip and salvages a truncated one with an issue', () => {
    const two = new Uint8Array([...gzipSync(strToU8(SYSLOG)), ...gzipSync(strToU8(SYSLOG))]);
    const both = [...readBytes(two, 'auth.log.gz', { tenant: 't' })];
    expect(both.flatMap((b) => b.events)).toHaveLength(2);
    const long = strToU8(SYSLOG.repeat(2000));
    const gz = gzipSync(long, { level: 1 });
    const cut = [...readBytes(gz.subarray(0, gz.length >> 1), 'auth.log.gz', { tenant: 't' })];
    const events = cut.flatMap((b) => b.events);
    const issues = cut.flatMap((b) => b.issues);
    expect(issues[0]?.code).toBe('READ_BAD_ZIP');
    expect(issues[0]?.message).toMatch(/damaged gzip/);
    expect(events.length).toBeGreaterThan(100);
    expect(events.length).toBeLessThan(2000);
  });

  it('walks a directory behind a symlink loop once', async () => {
    const root = mkdtempSync(join(tmpdir(), 'vigil-loop-'));
    try {
      mkdirSync(join(root, 'a'));
      writeFileSync(join(root, 'a', 'x.json'), '{}');
      symlinkSync(root, join(root, 'a', 'up'));
      const { inputs, issues } = await listInputs([root]);
      expect(inputs.map((i) => i.path)).toEqual([join(root, 'a', 'x.json')]);
      expect(issues.map((i) => [i.code, i.severity])).toEqual([['READ_IO', 'warning']]);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

describe('format detection', () => {
  const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

  it('knows each format from its first bytes', () => {
    const evtx = readFileSync(
      join(
        shared,
        'sigma/regression_data/rules-threat-hunting/windows/image_load/image_load_win_werfaultsecure_dbgcore_dbghelp_load/8a2f4b1c-3d5e-4f7a-9b2c-1e4f6d8a9c2b.evtx',
      ),
    );
    expect(detectFormat(evtx)).toBe('evtx');
    const events = [...readBytes(evtx, 'x.evtx', { tenant: 't' })].flatMap((b) => b.events);
    expect(events[0]?.fields['EventID']).toBe(7);
    expect(detectFormat(zipSync({ a: strToU8('x') }))).toBe('zip');
    expect(detectFormat(gzipSync(strToU8('x')))).toBe('gzip');
    expect(detectFormat(enc('\uFEFF  \n{"a":1}'))).toBe('json');
    expect(detectFormat(enc('[{"a":1}]'))).toBe('json');
    expect(detectFormat(enc(ZEEK))).toBe('zeek');
    expect(detectFormat(enc(AUDIT))).toBe('auditd');
    expect(detectFormat(enc(`${SYSLOG}${SYSLOG}Jul  7 10:51:24 h audispd: ${AUDIT}`))).toBe(
      'syslog',
    );
    expect(detectFormat(enc(`# header\n${SYSLOG}${SYSLOG}`))).toBe('syslog');
    expect(detectFormat(enc('<13>1 2024-01-01T00:00:00Z h app - - - hi\n'))).toBe('syslog');
    expect(detectFormat(enc('date,user\n2024,bob\n'))).toBeUndefined();
    expect(
      detectFormat(enc('[Thu Dec 15 23:49:07 2005] [error] [client 1.2.3.4] x\n')),
    ).toBeUndefined();
    expect(detectFormat(enc('[true, 1]'))).toBe('json');
    expect(detectFormat(enc('{ }'))).toBe('json');
    expect(detectFormat(enc('date,user\n'), 'x/messages')).toBe('syslog');
    expect(detectFormat(new Uint8Array([1, 0, 2, 0]))).toBeUndefined();
  });

  it('honours a forced format and reports content it cannot place', () => {
    const forced = [
      ...readBytes(enc('just some text\n'), 'note.txt', { tenant: 't', format: 'syslog' }),
    ];
    expect(forced.flatMap((b) => b.events).map((e) => e.fields['message'])).toEqual([
      'just some text',
    ]);
    expect([...readBytes(enc(' \n\n'), 'auth.log.1', { tenant: 't' })]).toEqual([]);
    expect([...readBytes(new Uint8Array(0), 'empty.evtx', { tenant: 't' })]).toEqual([]);
    const unknown = [...readBytes(enc('a,b\n1,2\n'), 'x.csv', { tenant: 't' })];
    expect(unknown.flatMap((b) => b.issues).map((i) => [i.code, i.severity, i.at?.file])).toEqual([
      ['READ_UNKNOWN_FORMAT', 'warning', 'x.csv'],
    ]);
    const gz = [
      ...readBytes(gzipSync(strToU8(AUDIT)), 'upload.gz', { tenant: 't', format: 'auditd' }),
    ];
    expect(gz.flatMap((b) => b.events)).toHaveLength(1);
  });
});
