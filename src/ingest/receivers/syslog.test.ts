import { execFileSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect as tcpConnect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Issue, NewEvent } from '../../core/index.ts';
import {
  SyslogFramer,
  startSyslog,
  type Frame,
  type SyslogListeners,
  type SyslogMeta,
} from './syslog.ts';

const NOW = Date.UTC(2024, 6, 10, 12);
const enc = new TextEncoder();
const dec = new TextDecoder();

function texts(frames: readonly Frame[]): string[] {
  return frames.map((f) => (f.kind === 'message' ? dec.decode(f.bytes) : `BAD: ${f.reason}`));
}

function octet(msg: string): string {
  return `${enc.encode(msg).length} ${msg}`;
}

const M1 = "<34>Oct 11 22:14:15 mymachine su: 'su root' failed for lonvick on /dev/pts/8";
const M2 =
  '<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3"] An application event';
const M3 =
  '<13>Jul 10 09:00:00 web1 sshd[42]: Accepted publickey for deploy from 192.0.2.4 port 50000 ssh2';

describe('SyslogFramer', () => {
  it('reads newline, NUL and octet-counted frames mixed in one stream', () => {
    const f = new SyslogFramer();
    const stream = `${M1}\n${octet(M2)}${M3}\r\n${octet(M1)}\n${M2}\0`;
    expect(texts(f.push(enc.encode(stream)))).toEqual([M1, M2, M3, M1, M2]);
    expect(f.end()).toEqual([]);
  });

  it('gives the same frames however the stream is chunked (property)', () => {
    const stream = enc.encode(
      `${M1}\n${octet(M2)}${octet('<1>é')}${M3}\n\nnot syslog\n${octet(M3)}last line`,
    );
    const whole = new SyslogFramer();
    const expected = texts([...whole.push(stream), ...whole.end()]);
    expect(expected).toEqual([M1, M2, '<1>é', M3, 'not syslog', M3, 'last line']);
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 1, max: stream.length - 1 }), { maxLength: 12 }),
        (cuts) => {
          const f = new SyslogFramer();
          const frames: Frame[] = [];
          let from = 0;
          for (const cut of [...cuts].sort((a, b) => a - b)) {
            frames.push(...f.push(stream.slice(from, cut)));
            from = cut;
          }
          frames.push(...f.push(stream.slice(from)), ...f.end());
          expect(texts(frames)).toEqual(expected);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('digits not followed by " <" are an ordinary line (ISO timestamps, plain text)', () => {
    const f = new SyslogFramer();
    expect(
      texts(f.push(enc.encode('2024-07-10T09:00:00Z host app: x\n123 not counted\n'))),
    ).toEqual(['2024-07-10T09:00:00Z host app: x', '123 not counted']);
  });

  it('skips an octet-counted frame over the limit and keeps the stream in step', () => {
    const f = new SyslogFramer(50);
    const big = `<13>${'x'.repeat(100)}`;
    expect(texts([...f.push(enc.encode(`${octet(big)}${octet('<13>ok')}`)), ...f.end()])).toEqual([
      'BAD: frame of 104 bytes is over the 50-byte limit; skipped',
      '<13>ok',
    ]);
  });

  it('takes an unbelievable count for garbage and resynchronises on the next line', () => {
    const f = new SyslogFramer();
    expect(texts(f.push(enc.encode(`999999999 <13>garbage\n${M3}\n`)))).toEqual([
      'BAD: octet count 999999999 is not believable; skipped to the next line',
      M3,
    ]);
  });

  it('cuts an over-long line on a character boundary and skips its rest', () => {
    const f = new SyslogFramer(10);
    const frames = [...f.push(enc.encode('<1>ééééééééé')), ...f.push(enc.encode('éé\n<2>ok\n'))];
    expect(frames[0]).toMatchObject({ kind: 'message', cutFrom: -1 });
    expect(texts(frames)).toEqual(['<1>ééé', '<2>ok']);
    const g = new SyslogFramer(10);
    expect(g.push(enc.encode('<1>abcdefghijk\n'))[0]).toMatchObject({ cutFrom: 14 });
  });

  it('reports a frame cut off by the end of the connection; keeps a last line without LF', () => {
    const f = new SyslogFramer();
    f.push(enc.encode('20 <13>short'));
    expect(texts(f.end())).toEqual(['BAD: the connection closed inside an octet-counted frame']);
    const g = new SyslogFramer();
    g.push(enc.encode(M3));
    expect(texts(g.end())).toEqual([M3]);
  });
});

// ---------------------------------------------------------------------------------------------

interface Captured {
  readonly batches: { events: NewEvent[]; meta: SyslogMeta }[];
  readonly issues: { issue: Issue; meta: SyslogMeta }[];
  readonly events: () => NewEvent[];
  readonly onEvents: (events: NewEvent[], meta: SyslogMeta) => void | Promise<void>;
  readonly onIssue: (issue: Issue, meta: SyslogMeta) => void;
}

/** Listener callbacks that record what they receive; `onEvents` may add behaviour (a delay, a failure). */
function capture(onEvents?: (events: NewEvent[]) => void | Promise<void>): Captured {
  const batches: Captured['batches'] = [];
  const issues: Captured['issues'] = [];
  return {
    batches,
    issues,
    events: () => batches.flatMap((b) => b.events),
    onEvents: (events, meta) => {
      batches.push({ events, meta });
      return onEvents?.(events);
    },
    onIssue: (issue, meta) => {
      issues.push({ issue, meta });
    },
  };
}

async function until(check: () => boolean, ms = 5000): Promise<void> {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > ms) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 5));
  }
}

async function tcp(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = tcpConnect(port, '127.0.0.1', () => {
      resolve(s);
    });
    s.on('error', reject);
  });
}

const listeners: SyslogListeners[] = [];
afterAll(async () => {
  await Promise.all(listeners.map((l) => l.close()));
});

describe('startSyslog over UDP', () => {
  it('one datagram is one message; garbage is counted and skipped', async () => {
    const c = capture();
    const l = await startSyslog({
      tenant: 'acme',
      udpPort: 0,
      host: '127.0.0.1',
      now: () => NOW,
      ...c,
    });
    listeners.push(l);
    const port = l.ports.udp!;
    expect(port).toBeGreaterThan(0);
    const client = createSocket('udp4');
    for (const m of [`${M1}\n`, M2, 'hello there', M3]) {
      await new Promise<void>((resolve) => {
        client.send(m, port, '127.0.0.1', () => {
          resolve();
        });
      });
    }
    await until(() => c.events().length === 3 && c.issues.length === 1);
    client.close();
    const events = c.events();
    expect(events.map((e) => [e.format, e.host, e.receiver, e.tenant])).toEqual([
      ['syslog', 'mymachine', `syslog-udp:${port}`, 'acme'],
      ['syslog', 'mymachine.example.com', `syslog-udp:${port}`, 'acme'],
      ['syslog', 'web1', `syslog-udp:${port}`, 'acme'],
    ]);
    expect(events[0]?.source).toEqual({ product: 'linux', service: 'auth' });
    expect(events[1]?.fields['sd.exampleSDID@32473.iut']).toBe('3');
    expect(events[2]?.ts).toBe(Date.UTC(2024, 6, 10, 9));
    expect(events[0]?.fields['log.source.address']).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(new Set(events.map((e) => e.id)).size).toBe(3);
    expect(c.issues[0]?.issue.code).toBe('SYSLOG_BAD_FRAME');
    expect(c.issues[0]?.meta.remote).toMatch(/^127\.0\.0\.1:/);
  });
});

describe('startSyslog over TCP', () => {
  it('reads both framings mixed and split, counts garbage and keeps the connection working', async () => {
    const c = capture();
    const l = await startSyslog({
      tenant: 'acme',
      tcpPort: 0,
      host: '127.0.0.1',
      now: () => NOW,
      ...c,
    });
    listeners.push(l);
    const s = await tcp(l.ports.tcp!);
    const stream = `${M1}\n${octet(M2)}garbage without a header\n${octet(M3)}${M3}\n`;
    const bytes = enc.encode(stream);
    for (let i = 0; i < bytes.length; i += 7) {
      s.write(bytes.subarray(i, i + 7));
      if (i % 70 === 0) await new Promise((r) => setTimeout(r, 1));
    }
    await until(() => c.events().length === 4);
    expect(c.issues.map((i) => i.issue.code)).toEqual(['SYSLOG_BAD_FRAME']);
    s.write(`${M1}\n`);
    await until(() => c.events().length === 5);
    s.end();
    expect(c.events().map((e) => e.host)).toEqual([
      'mymachine',
      'mymachine.example.com',
      'web1',
      'web1',
      'mymachine',
    ]);
    expect(c.batches[0]?.meta.receiver).toBe(`syslog-tcp:${l.ports.tcp!}`);
    // the same line twice on a connection is two events
    const ids = c.events().map((e) => e.id);
    expect(ids[2]).not.toBe(ids[3]);
  });

  it('hands on 1,000 at a time, flushes the rest after a short wait, and closes cleanly', async () => {
    const c = capture();
    const l = await startSyslog({
      tenant: 'acme',
      tcpPort: 0,
      host: '127.0.0.1',
      now: () => NOW,
      ...c,
    });
    const s = await tcp(l.ports.tcp!);
    s.write(`${M3}\n`.repeat(2500));
    await until(() => c.events().length === 2500);
    expect(c.batches.map((b) => b.events.length)).toEqual([1000, 1000, 500]);
    s.write(`${M1}\n`);
    await until(() => c.events().length === 2501);
    s.write(`${M2}\n`);
    await new Promise((r) => setTimeout(r, 5));
    await l.close();
    expect(c.events().length).toBe(2502);
  });

  it('pauses the connection while onEvents is busy and delivers in order', async () => {
    let active = 0;
    let most = 0;
    const release: (() => void)[] = [];
    const c = capture(async () => {
      active++;
      most = Math.max(most, active);
      await new Promise<void>((r) => release.push(r));
      active--;
    });
    const l = await startSyslog({
      tenant: 'acme',
      tcpPort: 0,
      host: '127.0.0.1',
      batchSize: 10,
      now: () => NOW,
      ...c,
    });
    listeners.push(l);
    const s = await tcp(l.ports.tcp!);
    const lines = Array.from(
      { length: 50 },
      (_, i) => `<13>Jul 10 09:00:00 h app: line ${i}\n`,
    ).join('');
    s.write(lines);
    await until(() => c.batches.length === 1);
    await new Promise((r) => setTimeout(r, 100));
    // the first batch is still being handed on: the rest of that chunk queues behind it
    expect(c.batches.length).toBe(1);
    while (c.events().length < 50) {
      release.shift()?.();
      await new Promise((r) => setTimeout(r, 5));
    }
    release.forEach((r) => {
      r();
    });
    expect(most).toBe(1);
    expect(c.events().map((e) => e.fields['message'])).toEqual(
      Array.from({ length: 50 }, (_, i) => `line ${i}`),
    );
    s.end();
  });

  it('backpressure reaches the sender: it cannot write while onEvents is busy', async () => {
    let release: (() => void) | undefined;
    const c = capture((events) =>
      c.batches.length === 1 && events.length > 0
        ? new Promise<void>((r) => {
            release = r;
          })
        : undefined,
    );
    const l = await startSyslog({
      tenant: 'acme',
      tcpPort: 0,
      host: '127.0.0.1',
      now: () => NOW,
      ...c,
    });
    listeners.push(l);
    const s = await tcp(l.ports.tcp!);
    const line = `<13>Jul 10 09:00:00 h app: ${'x'.repeat(1000)}\n`;
    const total = 20_000; // 20 MB: more than the kernel buffers on both ends hold
    s.write(line.repeat(total));
    await until(() => release !== undefined);
    await new Promise((r) => setTimeout(r, 300));
    const stuck = s.writableLength;
    await new Promise((r) => setTimeout(r, 500));
    // the listener reads nothing more while the batch is out: the sender's buffer does not drain
    expect(stuck).toBeGreaterThan(1_000_000);
    expect(s.writableLength).toBe(stuck);
    expect(c.events().length).toBeLessThan(total);
    release?.();
    await until(() => c.events().length === total, 20_000);
    expect(s.writableLength).toBe(0);
    s.end();
  });

  it('reports a failing onEvents as INTERNAL and keeps listening', async () => {
    let fail = true;
    const c = capture(() => {
      if (fail) {
        fail = false;
        return Promise.reject(new Error('store down'));
      }
      return undefined;
    });
    const l = await startSyslog({
      tenant: 'acme',
      tcpPort: 0,
      host: '127.0.0.1',
      flushMs: 5,
      now: () => NOW,
      ...c,
    });
    listeners.push(l);
    const s = await tcp(l.ports.tcp!);
    s.write(`${M1}\n`);
    await until(() => c.issues.length === 1);
    expect(c.issues[0]?.issue).toMatchObject({
      code: 'INTERNAL',
      message: expect.stringContaining('store down') as string,
    });
    s.write(`${M3}\n`);
    await until(() => c.batches.length === 2);
    s.end();
  });
});

describe('startSyslog over TLS', () => {
  let dir = '';
  let key = '';
  let cert = '';
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'vigil-syslog-tls-'));
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
        '-days',
        '1',
        '-subj',
        '/CN=localhost',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
      ],
      { stdio: 'ignore' },
    );
    key = readFileSync(join(dir, 'key.pem'), 'utf8');
    cert = readFileSync(join(dir, 'cert.pem'), 'utf8');
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('reads octet-counted messages over TLS (RFC 5425) with a self-signed certificate', async () => {
    const c = capture();
    const l = await startSyslog({
      tenant: 'acme',
      tlsPort: 0,
      host: '127.0.0.1',
      tls: { key, cert },
      now: () => NOW,
      ...c,
    });
    listeners.push(l);
    const s = await new Promise<Socket>((resolve, reject) => {
      const t = tlsConnect({ port: l.ports.tls!, host: '127.0.0.1', ca: cert }, () => {
        resolve(t);
      });
      t.on('error', reject);
    });
    s.write(`${octet(M2)}${octet(M3)}not syslog\n`);
    await until(() => c.events().length === 2 && c.issues.length === 1);
    s.end();
    expect(c.events().map((e) => [e.receiver, e.host])).toEqual([
      [`syslog-tls:${l.ports.tls!}`, 'mymachine.example.com'],
      [`syslog-tls:${l.ports.tls!}`, 'web1'],
    ]);
  });

  it('refuses to start TLS without a key and certificate', async () => {
    const c = capture();
    await expect(
      startSyslog({ tenant: 'acme', tlsPort: 0, host: '127.0.0.1', ...c }),
    ).rejects.toThrow(/tls.key/);
  });
});
