/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-argument, @typescript-eslint/no-unsafe-return -- JSON bodies of the API under test */
/** Hostile input against a real server: every bad body gets a located error, the rest is kept, serving goes on. */
import { createSocket } from 'node:dgram';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadServerConfig, startServer, type RunningServer } from '../src/app/index.ts';

const PASSWORD = 'correct horse battery';
const T = 'hostile';
const MiB = 1 << 20;

let server: RunningServer;
let dir: string;
let admin = '';
let key = '';
let rssStart = 0;
let n = 0;

interface Answer {
  status: number;
  text: string;
  body: any;
  headers: Headers;
  ms: number;
}

async function send(
  method: string,
  path: string,
  opts: {
    auth?: string;
    body?: unknown;
    raw?: string | Uint8Array | Readable;
    headers?: Record<string, string>;
  } = {},
): Promise<Answer> {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.auth !== undefined) headers['authorization'] = opts.auth;
  let body: any;
  if (opts.body !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(opts.body);
  } else if (opts.raw !== undefined) {
    headers['content-type'] ??= 'application/x-ndjson';
    body = opts.raw;
  }
  const started = performance.now();
  const res = await fetch(server.url + path, {
    method,
    headers,
    ...(body === undefined ? {} : { body }),
    ...(body instanceof Readable ? { duplex: 'half' } : {}),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  return {
    status: res.status,
    text,
    body: parsed,
    headers: res.headers,
    ms: performance.now() - started,
  };
}

const ingestKey = (): string => `ApiKey ${key}`;
const splunk = (): string => `Splunk ${key}`;

/** Stored events of the tenant whose text contains `q`. */
async function stored(q: string): Promise<any[]> {
  const r = await send('GET', `/api/v1/events?tenant=${T}&limit=1000&q=${encodeURIComponent(q)}`, {
    auth: `Bearer ${admin}`,
  });
  expect(r.status, r.text).toBe(200);
  return r.body.events;
}

/** The messages of stored events carrying `marker`, sorted. */
async function messages(marker: string): Promise<string[]> {
  await server.pipeline.drain();
  return (await stored(marker)).map((e) => String(e.fields.message)).sort();
}

/** After each assault: a normal request is served and stored, and memory stayed bounded. */
async function stillServing(): Promise<void> {
  const m = `serving-${n++}`;
  const r = await send('POST', '/api/v1/ingest', {
    auth: ingestKey(),
    raw: JSON.stringify({ message: m }),
  });
  expect(r.status, r.text).toBe(200);
  expect(r.body.stored).toBe(1);
  expect((await send('GET', '/api/v1/health')).body.status).toBe('ok');
  expect(await messages(m)).toEqual([m]);
  const grown = (process.memoryUsage().rss - rssStart) / MiB;
  expect(grown, `rss grew ${grown.toFixed(0)} MiB`).toBeLessThan(300);
}

async function syslogErrors(): Promise<number> {
  const r = await send('GET', '/metrics', { auth: `Bearer ${admin}` });
  const m = /vigil_errors_total\{code="SYSLOG_BAD_FRAME",stage="syslog"\} (\d+)/.exec(r.text);
  return Number(m?.[1] ?? 0);
}

async function until(what: string, check: () => Promise<boolean>, ms = 10_000): Promise<void> {
  const stop = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > stop) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'vigil-hostile-'));
  server = await startServer(
    loadServerConfig({
      env: { VIGIL_ADMIN_PASSWORD: PASSWORD },
      flags: {
        data: dir,
        port: 0,
        syslog: [
          { protocol: 'tcp', port: 0, tenant: T },
          { protocol: 'udp', port: 0, tenant: T },
        ],
      },
    }),
    () => undefined,
  );
  const login = await send('POST', '/api/v1/login', {
    body: { name: 'admin', password: PASSWORD },
  });
  admin = login.body.token;
  const t = await send('POST', '/api/v1/tenants', {
    auth: `Bearer ${admin}`,
    body: { name: 'Hostile', id: T },
  });
  expect(t.status).toBe(201);
  const k = await send('POST', `/api/v1/tenants/${T}/keys`, { auth: `Bearer ${admin}`, body: {} });
  key = k.body.key;
  rssStart = process.memoryUsage().rss;
  await stillServing();
}, 60_000);

afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('hostile input', () => {
  it('malformed JSON: each bad record is named by line and column, the others are stored', async () => {
    const r = await send('POST', '/api/v1/ingest', {
      auth: ingestKey(),
      raw: [
        '{"message":"mj-1"}',
        '{"message": "mj-x", "n": 1,,}',
        '{"message":"mj-2"}',
        '{"message": tru}',
        'not json at all',
        '{"message":"mj-3"}',
        '{"message": "mj-unclosed',
      ].join('\n'),
    });
    expect(r.status).toBe(200);
    expect(r.body.stored).toBe(3);
    expect(r.body.rejected).toEqual([
      {
        code: 'READ_BAD_JSON',
        message: 'malformed JSON record skipped: expected a property name in double quotes',
        line: 2,
        col: 28,
      },
      {
        code: 'READ_BAD_JSON',
        message: 'malformed JSON record skipped: unexpected character',
        line: 4,
        col: 13,
      },
      {
        code: 'READ_BAD_JSON',
        message: 'text outside any JSON value: not json at all',
        line: 5,
        col: 1,
      },
      {
        code: 'READ_BAD_JSON',
        message: 'malformed JSON record skipped: input ends inside a string',
        line: 7,
        col: 1,
      },
    ]);
    expect(await messages('mj-')).toEqual(['mj-1', 'mj-2', 'mj-3']);

    const bulk = await send('POST', '/hostile-logs/_bulk', {
      auth: ingestKey(),
      raw: [
        '{"create":{}}',
        '{"message":"mb-1"}',
        '{"create":{}}',
        '{"message": "mb-x",}',
        '{"create":{}}',
        '{"message":"mb-2"}',
        '{"index": nope}',
        '{"message":"mb-y"}',
        '{"create":{}}',
        '{"message":"mb-3"}',
        '',
      ].join('\n'),
    });
    expect(bulk.status).toBe(200);
    expect(bulk.body.errors).toBe(true);
    expect(bulk.body.items.map((i: any) => (Object.values(i)[0] as any).status)).toEqual([
      201, 400, 201, 400, 201,
    ]);
    expect(bulk.body.items[1].create.error.reason).toMatch(/line 4/);
    expect(bulk.body.items[3].index.error.reason).toMatch(/line 7/);
    expect(await messages('mb-')).toEqual(['mb-1', 'mb-2', 'mb-3']);

    const hec = await send('POST', '/services/collector/event', {
      auth: splunk(),
      raw: '{"event":"mh-1"}{"event": nope}{"event":"mh-2"}',
    });
    expect(hec.status).toBe(400);
    expect(hec.body).toEqual({ text: 'Invalid data format', code: 6, 'invalid-event-number': 1 });
    expect(await messages('mh-')).toEqual(['mh-1', 'mh-2']);
    await stillServing();
  });

  it('invalid UTF-8: the bytes are named by line and offset, no record of the request is lost', async () => {
    const bad = Buffer.from([0xff, 0xc3, 0x28]);
    const body = Buffer.concat([
      Buffer.from('{"message":"mu-1"}\n{"message":"mu-2 '),
      bad,
      Buffer.from('"}\n{"message":"mu-3"}\n'),
    ]);
    const r = await send('POST', '/api/v1/ingest', { auth: ingestKey(), raw: body });
    expect(r.status, r.text).toBe(200);
    expect(r.body.stored).toBe(3);
    expect(r.body.warnings).toEqual([
      {
        code: 'INGEST_BAD_ENCODING',
        message: expect.stringMatching(/not UTF-8.*byte offset 36/),
        line: 2,
        offset: 36,
      },
    ]);
    expect(await messages('mu-')).toEqual(['mu-1', 'mu-2 \uFFFD\uFFFD(', 'mu-3']);

    const gz = await send('POST', '/hostile-logs/_bulk', {
      auth: ingestKey(),
      raw: gzipSync(
        Buffer.concat([
          Buffer.from('{"create":{}}\n{"message":"mv-1"}\n{"create":{}}\n{"message":"mv-2 '),
          bad,
          Buffer.from('"}\n'),
        ]),
      ),
      headers: { 'content-encoding': 'gzip' },
    });
    expect(gz.status, gz.text).toBe(200);
    expect(gz.body.errors).toBe(false);
    expect(await messages('mv-')).toEqual(['mv-1', 'mv-2 \uFFFD\uFFFD(']);

    const hec = await send('POST', '/services/collector/event', {
      auth: splunk(),
      raw: Buffer.concat([Buffer.from('{"event":"mw-1"}{"event":"mw-2 '), bad, Buffer.from('"}')]),
    });
    expect(hec.status, hec.text).toBe(200);
    expect(await messages('mw-')).toEqual(['mw-1', 'mw-2 \uFFFD\uFFFD(']);
    await stillServing();
  });

  it('a 100 MB body is refused with 413 long before it is read, while other senders are served', async () => {
    const line = Buffer.from(`${JSON.stringify({ message: 'x'.repeat(1000) })}\n`);
    const chunk = Buffer.concat(Array.from({ length: Math.floor(MiB / line.length) }, () => line));
    const hundred = (): { stream: Readable; pulled: () => number } => {
      let pulled = 0;
      const stream = new Readable({
        read() {
          if (pulled >= 100 * MiB) this.push(null);
          else {
            pulled += chunk.length;
            this.push(chunk);
          }
        },
      });
      return { stream, pulled: () => pulled };
    };
    for (const [path, auth, declared] of [
      ['/api/v1/ingest', ingestKey(), false],
      ['/api/v1/ingest', ingestKey(), true],
      ['/_bulk', ingestKey(), true],
      ['/services/collector/event', splunk(), false],
    ] as const) {
      const big = hundred();
      const [r, other] = await Promise.all([
        send('POST', path, {
          auth,
          raw: big.stream,
          headers: declared ? { 'content-length': String(100 * MiB) } : {},
        }),
        send('POST', '/api/v1/ingest', {
          auth: ingestKey(),
          raw: JSON.stringify({ message: `m100-${path}-${declared}` }),
        }),
      ]);
      const where = `${path} (${declared ? 'declared' : 'chunked'})`;
      expect(r.status, `${where}: ${r.text}`).toBe(413);
      expect(r.ms, where).toBeLessThan(10_000);
      expect(big.pulled(), where).toBeLessThan(100 * MiB);
      if (path === '/api/v1/ingest') {
        expect(r.body.error.code).toBe('INGEST_TOO_LARGE');
        expect(r.body.error.message).toMatch(/size limit|bytes/);
      }
      expect(other.status).toBe(200);
      expect(other.body.stored).toBe(1);
      await stillServing();
    }
  });

  it('a gzip bomb is stopped at the limit (413 INGEST_TOO_LARGE) without inflating it', async () => {
    const bomb = gzipSync(Buffer.alloc(64 * MiB, 0x20), { level: 9 });
    expect(bomb.length).toBeLessThan(MiB);
    for (const [path, auth] of [
      ['/api/v1/ingest', ingestKey()],
      ['/_bulk', ingestKey()],
      ['/services/collector/event', splunk()],
    ] as const) {
      const r = await send('POST', path, {
        auth,
        raw: bomb,
        headers: { 'content-encoding': 'gzip' },
      });
      expect(r.status, `${path}: ${r.text}`).toBe(413);
      expect(r.ms).toBeLessThan(5_000);
      expect(r.text).toMatch(/larger than 33554432 bytes after decompression/);
      if (path === '/api/v1/ingest') expect(r.body.error.code).toBe('INGEST_TOO_LARGE');
    }
    await stillServing();
  });

  it('a wrong Content-Encoding is refused with what the server accepts; nothing is stored', async () => {
    const zstd = await send('POST', '/api/v1/ingest', {
      auth: ingestKey(),
      raw: '{"message":"ce-zstd"}',
      headers: { 'content-encoding': 'zstd' },
    });
    expect(zstd.status).toBe(415);
    expect(zstd.body.error).toEqual({
      code: 'INGEST_BAD_ENCODING',
      message: 'unsupported content encoding zstd',
    });
    expect(zstd.headers.get('accept-encoding')).toBe('gzip, deflate, br');
    const lie = await send('POST', '/api/v1/ingest', {
      auth: ingestKey(),
      raw: '{"message":"ce-gzip"}',
      headers: { 'content-encoding': 'gzip' },
    });
    expect(lie.status).toBe(400);
    expect(lie.body.error.code).toBe('INGEST_BAD_ENCODING');
    expect(lie.body.error.message).toMatch(/^corrupt gzip stream: /);
    const truncated = gzipSync('{"message":"ce-cut"}\n'.repeat(100)).subarray(0, 40);
    const cut = await send('POST', '/_bulk', {
      auth: ingestKey(),
      raw: truncated,
      headers: { 'content-encoding': 'gzip' },
    });
    expect(cut.status).toBe(400);
    expect(cut.text).toMatch(/corrupt gzip stream/);
    expect(await messages('ce-')).toEqual([]);
    await stillServing();
  });

  it('a 1 MB field is kept, cut at the limit, with a READ_FIELD_TOO_LARGE warning', async () => {
    const huge = 'z'.repeat(MiB + 512 * 1024);
    const r = await send('POST', '/api/v1/ingest', {
      auth: ingestKey(),
      raw: `${JSON.stringify({ message: 'mf-1', big: huge })}\n{"message":"mf-2"}\n`,
    });
    expect(r.status).toBe(200);
    expect(r.body.stored).toBe(2);
    expect(r.body.warnings).toEqual([
      {
        code: 'READ_FIELD_TOO_LARGE',
        message: `field big has ${huge.length} bytes; kept the first ${MiB}`,
        line: 1,
      },
    ]);
    await server.pipeline.drain();
    const [kept] = await stored('mf-1');
    expect(kept.fields.big).toHaveLength(MiB);
    const bulk = await send('POST', '/hostile-logs/_bulk', {
      auth: ingestKey(),
      raw: `{"create":{}}\n${JSON.stringify({ message: 'mf-3', big: huge })}\n`,
    });
    expect(bulk.body.items[0].create.status).toBe(201);
    expect(await messages('mf-')).toEqual(['mf-1', 'mf-2', 'mf-3']);
    await stillServing();
  });

  it('10,000-deep nesting is refused per record (INGEST_TOO_DEEP) without overflowing the stack', async () => {
    const deepObj = `${'{"a":'.repeat(10_000)}1${'}'.repeat(10_000)}`;
    const deepArr = `{"a":${'['.repeat(10_000)}${']'.repeat(10_000)}}`;
    const r = await send('POST', '/api/v1/ingest', {
      auth: ingestKey(),
      raw: [
        '{"message":"md-1"}',
        deepObj,
        '{"message":"md-2"}',
        deepArr,
        '{"message":"md-3"}',
      ].join('\n'),
    });
    expect(r.status).toBe(200);
    expect(r.body.rejected).toEqual([
      {
        code: 'INGEST_TOO_DEEP',
        message: 'record nests deeper than 64 levels; skipped',
        line: 2,
        col: 1,
      },
      {
        code: 'INGEST_TOO_DEEP',
        message: 'record nests deeper than 64 levels; skipped',
        line: 4,
        col: 1,
      },
    ]);
    const bulk = await send('POST', '/hostile-logs/_bulk', {
      auth: ingestKey(),
      raw: `{"create":{}}\n{"message":"md-4"}\n{"create":{}}\n${deepObj}\n{"create":{}}\n{"message":"md-5"}\n`,
    });
    expect(bulk.body.items.map((i: any) => i.create.status)).toEqual([201, 400, 201]);
    expect(bulk.body.items[1].create.error.reason).toMatch(/deeper than 64 levels.*line 4/);
    const hec = await send('POST', '/services/collector/event', {
      auth: splunk(),
      raw: `{"event":"md-6"}{"event":${deepObj}}{"event":"md-7"}`,
    });
    expect(hec.status).toBe(400);
    expect(hec.body['invalid-event-number']).toBe(1);
    expect(await messages('md-')).toEqual(['md-1', 'md-2', 'md-3', 'md-4', 'md-5', 'md-6', 'md-7']);
    await stillServing();
  });

  it('syslog garbage over TCP and UDP is counted and skipped; the good lines around it arrive', async () => {
    const tcp = server.syslogPorts.find((p) => p.protocol === 'tcp')!.port;
    const udp = server.syslogPorts.find((p) => p.protocol === 'udp')!.port;
    const before = await syslogErrors();
    const line = (m: string): string => `<13>1 2026-11-27T10:00:00Z web01 app 1 - - ${m}`;
    const noise = Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919 + 13) % 256));
    const stream = Buffer.concat([
      Buffer.from(`${line('sy-1')}\n`),
      noise,
      Buffer.from('\n99999999999999 <13>not really\n'),
      Buffer.from(`garbage without a priority\n\0\0\0\n${'<13>'.padEnd(200_000, 'w')}\n`),
      Buffer.from(`${line('sy-2')}\n`),
    ]);
    const overTcp = (chunks: readonly Buffer[]): Promise<void> =>
      new Promise<void>((done, fail) => {
        const s = connect(tcp, '127.0.0.1', () => {
          for (const c of chunks) s.write(c);
          s.end();
        });
        s.on('error', fail);
        s.on('close', () => {
          done();
        });
      });
    await overTcp([stream]);
    // 32 MB without a line break: cut at the frame limit, the rest skipped, the next line read.
    const endless = Buffer.alloc(MiB, 0x41);
    await overTcp([
      Buffer.from('<13>1 2026-11-27T10:00:00Z web01 app 1 - - sy-long '),
      ...Array.from({ length: 32 }, () => endless),
      Buffer.from(`\n${line('sy-4')}\n`),
    ]);
    const sock = createSocket('udp4');
    for (const d of [noise.subarray(0, 1200), Buffer.from(line('sy-3')), Buffer.alloc(0)]) {
      await new Promise<void>((done, fail) => {
        sock.send(d, udp, '127.0.0.1', (e) => {
          if (e) fail(e);
          else done();
        });
      });
    }
    sock.close();
    await until('the good syslog lines', async () => {
      await server.pipeline.drain();
      return (await stored('sy-')).length >= 5;
    });
    const got = await messages('sy-');
    expect(got.filter((m) => !m.startsWith('sy-long'))).toEqual(['sy-1', 'sy-2', 'sy-3', 'sy-4']);
    const long = got.find((m) => m.startsWith('sy-long'));
    expect(long?.length).toBeLessThanOrEqual(64 * 1024);
    expect(long?.length).toBeGreaterThan(60 * 1024);
    await until('the garbage to be counted', async () => (await syslogErrors()) > before);
    await stillServing();
  });

  it('a Sigma rule with a catastrophic regex cannot hang detection; bad rules name line and column', async () => {
    const rule = (re: string): string =>
      [
        'title: Catastrophic backtracking',
        'id: 6a1f0c2e-6f58-4b51-9d7e-0b8a4d1b7c11',
        'logsource:',
        '  product: windows',
        '  category: process_creation',
        'detection:',
        '  sel:',
        `    CommandLine|re: '${re}'`,
        '  condition: sel',
        'level: high',
        '',
      ].join('\n');
    const upload = (yaml: string): Promise<Answer> =>
      send('POST', `/api/v1/tenants/${T}/rules`, {
        auth: `Bearer ${admin}`,
        raw: yaml,
        headers: { 'content-type': 'application/yaml' },
      });
    const ok = await upload(rule('^(a+)+$'));
    if (ok.status === 422) {
      expect(ok.body.error.issues[0]).toMatchObject({ line: 8, col: 5 });
    } else {
      expect(ok.status, ok.text).toBe(201);
      expect(ok.body.rules).toEqual([
        {
          id: '6a1f0c2e-6f58-4b51-9d7e-0b8a4d1b7c11',
          title: 'Catastrophic backtracking',
          level: 'high',
        },
      ]);
    }
    const backref = await upload(rule('(a)\\1'));
    expect(backref.status).toBe(422);
    expect(backref.body.error.code).toBe('SIGMA_UNSUPPORTED');
    expect(backref.body.error.issues).toEqual([
      expect.objectContaining({ code: 'SIGMA_UNSUPPORTED', severity: 'error', line: 8, col: 5 }),
    ]);
    const yaml = await upload('title: broken\ndetection:\n  sel: [unclosed\n  condition: sel\n');
    expect(yaml.status).toBe(422);
    expect(yaml.body.error.code).toBe('SIGMA_YAML');
    expect(yaml.body.error.issues[0]).toMatchObject({
      code: 'SIGMA_YAML',
      line: expect.any(Number),
      col: expect.any(Number),
    });

    const event = (cmd: string, i: number) => ({
      Event: {
        System: {
          Provider: { '#attributes': { Name: 'Microsoft-Windows-Sysmon' } },
          EventID: 1,
          Channel: 'Microsoft-Windows-Sysmon/Operational',
          Computer: `redos-${i}`,
          EventRecordID: i,
        },
        EventData: { Image: 'C:\\Tools\\a.exe', CommandLine: cmd },
      },
    });
    const started = performance.now();
    const r = await send('POST', '/api/v1/ingest', {
      auth: ingestKey(),
      raw: [
        event(`${'a'.repeat(100_000)}!`, 1),
        event('a'.repeat(100_000), 2),
        event(`${'a'.repeat(30)}!`, 3),
      ]
        .map((e) => JSON.stringify(e))
        .join('\n'),
    });
    expect(r.body.stored).toBe(3);
    await server.pipeline.drain();
    expect(performance.now() - started).toBeLessThan(5_000);
    const alerts = await send(
      'GET',
      `/api/v1/alerts?tenant=${T}&rule=6a1f0c2e-6f58-4b51-9d7e-0b8a4d1b7c11`,
      { auth: `Bearer ${admin}` },
    );
    if (ok.status === 201) expect(alerts.body.alerts.map((a: any) => a.host)).toEqual(['redos-2']);
    await stillServing();
  });
});
