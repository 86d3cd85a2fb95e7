/**
 * `npm run bench:ingest`: `vigil serve` in its own process with every SigmaHQ Windows rule, and this process
 * as the load generator posting real NXLog-shaped Windows events (OTRF Security-Datasets, LSASS campaign)
 * over loopback to `/api/v1/ingest`. Phases: maximum sustained throughput (closed loop), a paced run at the
 * target rate with ingest→alert latency, and an overload at 5× with 429s and the server's memory.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { unzipSync } from 'fflate';
import { repoRoot, sharedData } from './common.ts';

const TARGET = Number(process.env['BENCH_TARGET'] ?? 20_000);
const BATCH = Number(process.env['BENCH_BATCH'] ?? 1000);
const SECONDS = Number(process.env['BENCH_SECONDS'] ?? 20);
const SENDERS = Number(process.env['BENCH_SENDERS'] ?? 8);
const PASSWORD = 'bench-admin-password';
const ISO_TIME = /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z/g;
/** Replayed events are dated from here, a millisecond apart. */
const EPOCH = Date.now() - 3_600_000;

export function loadEvents(): string[] {
  const zip = join(
    sharedData,
    'datasets',
    'Security-Datasets',
    'datasets',
    'compound',
    'LSASS_campaign_01',
    'metasploit_logonpasswords_lsass_memory_dump.zip',
  );
  const files = unzipSync(readFileSync(zip));
  const lines: string[] = [];
  for (const bytes of Object.values(files)) {
    for (const line of new TextDecoder().decode(bytes).split('\n'))
      if (line.startsWith('{')) lines.push(line);
  }
  return lines;
}

export interface Server {
  readonly proc: ChildProcess;
  readonly url: string;
}

export async function startServer(
  data: string,
  env: Readonly<Record<string, string>> = {},
): Promise<Server> {
  const proc = spawn(
    process.execPath,
    [
      ...(process.env['BENCH_PROFILE']
        ? ['--cpu-prof', `--cpu-prof-dir=${process.env['BENCH_PROFILE']}`]
        : []),
      join(repoRoot, 'bin', 'vigil.js'),
      'serve',
      '--data',
      data,
      '--port',
      '0',
      '--rules',
      join(sharedData, 'sigma', 'rules', 'windows'),
    ],
    {
      env: {
        ...process.env,
        VIGIL_ADMIN_PASSWORD: PASSWORD,
        VIGIL_MAX_BACKLOG: process.env['VIGIL_MAX_BACKLOG'] ?? '100000',
        ...env,
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  let log = '';
  const url = await new Promise<string>((resolve, reject) => {
    proc.stderr.on('data', (d: Buffer) => {
      log += d.toString();
      if (process.env['VIGIL_TRACE'] === '1') process.stderr.write(d);
      const m = /listening on (http:\/\/\S+)/.exec(log);
      if (m?.[1]) resolve(m[1]);
    });
    proc.on('exit', (code) => {
      reject(new Error(`server exited with ${String(code)}:\n${log}`));
    });
  });
  const rules = /rules: (\d+) loaded/.exec(log)?.[1];
  console.log(`server ${url} (pid ${String(proc.pid)}), ${rules ?? '?'} rules loaded`);
  return { proc, url };
}

export async function api(
  url: string,
  method: string,
  path: string,
  token: string | undefined,
  body?: unknown,
): Promise<Record<string, unknown>> {
  const res = await fetch(url + path, {
    method,
    headers: {
      'content-type': 'application/json',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as Record<string, unknown>;
}

function rssMiB(pid: number): { rss: number; hwm: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (k: string): number => Number(new RegExp(`${k}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
  return { rss: kb('VmRSS') / 1024, hwm: kb('VmHWM') / 1024 };
}

/** CPU seconds per thread of a process (utime + stime from /proc), keyed `tid name`. */
export function threadCpu(pid: number): Map<string, number> {
  const out = new Map<string, number>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const name = readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim();
      const label = Number(tid) === pid ? 'main' : name === 'node' ? `thread-${tid}` : name;
      out.set(`${tid} ${label}`, (Number(fields[11]) + Number(fields[12])) / 100);
    } catch {
      // thread ended
    }
  }
  return out;
}

/** Busy and total jiffies of the whole machine (all cores), from /proc/stat. */
function machineCpu(): { busy: number; total: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  const total = v.reduce((a, b) => a + b, 0);
  const idle = (v[3] ?? 0) + (v[4] ?? 0);
  return { busy: total - idle, total };
}

/** Busiest threads between two `threadCpu` readings, as `name 93%`. */
export function cpuReport(
  before: Map<string, number>,
  after: Map<string, number>,
  seconds: number,
): string {
  const rows = [...after].map(
    ([k, v]) => [k.split(' ').slice(1).join(' '), (v - (before.get(k) ?? 0)) / seconds] as const,
  );
  return rows
    .filter(([, v]) => v >= 0.03)
    .sort((a, b) => b[1] - a[1])
    .map(([name, v]) => `${name} ${(v * 100).toFixed(0)}%`)
    .join(', ');
}

interface Histogram {
  bounds: number[];
  counts: number[];
}

async function latency(url: string, token: string): Promise<Histogram> {
  const res = await fetch(url + '/metrics', { headers: { authorization: `Bearer ${token}` } });
  const text = await res.text();
  const bounds: number[] = [];
  const counts: number[] = [];
  for (const m of text.matchAll(/^vigil_ingest_to_alert_seconds_bucket\{le="([^"]+)"\} (\d+)/gm)) {
    bounds.push(m[1] === '+Inf' ? Infinity : Number(m[1]));
    counts.push(Number(m[2]));
  }
  return { bounds, counts };
}

export async function queueDepth(url: string, token: string): Promise<number> {
  const res = await fetch(url + '/metrics', { headers: { authorization: `Bearer ${token}` } });
  return Number(/^vigil_queue_depth (\d+)/m.exec(await res.text())?.[1] ?? 0);
}

/** Quantile from cumulative bucket counts (difference of two scrapes), interpolated inside the bucket. */
function quantile(before: Histogram, after: Histogram, q: number): number {
  const cum = after.counts.map((c, i) => c - (before.counts[i] ?? 0));
  const total = cum[cum.length - 1] ?? 0;
  if (total === 0) return NaN;
  const target = q * total;
  for (let i = 0; i < cum.length; i++) {
    if ((cum[i] ?? 0) >= target) {
      const lo = i === 0 ? 0 : (after.bounds[i - 1] ?? 0);
      const hi = after.bounds[i] ?? Infinity;
      if (hi === Infinity) return lo;
      const prev = i === 0 ? 0 : (cum[i - 1] ?? 0);
      const inBucket = (cum[i] ?? 0) - prev;
      return lo + ((hi - lo) * (target - prev)) / Math.max(1, inBucket);
    }
  }
  return NaN;
}

export interface Load {
  acked: number;
  busy: number;
  errors: number;
  seconds: number;
}

/** Senders post batches; with `rate`, they pace to it in total (open loop), else as fast as acknowledged. */
export async function load(
  url: string,
  key: string,
  lines: string[],
  seconds: number,
  senders: number,
  rate: number | undefined,
  pass: { n: number },
): Promise<Load> {
  const stats: Load = { acked: 0, busy: 0, errors: 0, seconds: 0 };
  const start = performance.now();
  const end = start + seconds * 1000;
  let cursor = 0;
  const nextBody = (): string => {
    // Each event gets a unique number so replays of the data set are new events, not duplicates.
    const out: string[] = [];
    for (let i = 0; i < BATCH; i++) {
      const line = lines[cursor % lines.length] ?? '{}';
      cursor++;
      pass.n++;
      // Shippers send events as they happen: each replayed event gets its own, increasing time (the data
      // set's 2023 times would make every pass insert into the middle of the store's time indexes).
      const at = new Date(EPOCH + pass.n).toISOString();
      out.push(`{"bench_seq":${pass.n},${line.slice(1).replace(ISO_TIME, at)}`);
    }
    return out.join('\n');
  };
  let sent = 0;
  const worker = async (): Promise<void> => {
    while (performance.now() < end) {
      if (rate !== undefined) {
        const due = start + (sent / rate) * 1000;
        const wait = due - performance.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        if (performance.now() >= end) break;
      }
      sent += BATCH;
      const body = nextBody();
      const res = await fetch(url + '/api/v1/ingest', {
        method: 'POST',
        headers: { authorization: `ApiKey ${key}`, 'content-type': 'application/x-ndjson' },
        body,
      });
      if (res.status === 200) {
        const r = (await res.json()) as { stored: number; accepted: number };
        stats.acked += r.accepted;
      } else if (res.status === 429) {
        await res.arrayBuffer();
        stats.busy++;
        sent -= BATCH;
        await new Promise((r) => setTimeout(r, rate === undefined ? 50 : 5));
      } else {
        stats.errors++;
        console.log(`HTTP ${res.status}: ${(await res.text()).slice(0, 200)}`);
      }
    }
  };
  await Promise.all(Array.from({ length: senders }, () => worker()));
  stats.seconds = (performance.now() - start) / 1000;
  return stats;
}

async function main(): Promise<void> {
  const lines = loadEvents();
  const bytes = lines.reduce((n, l) => n + l.length, 0);
  console.log(
    `load: ${lines.length} NXLog Windows events (avg ${Math.round(bytes / lines.length)} bytes), batches of ${BATCH}, ${SENDERS} senders`,
  );
  const data = mkdtempSync(join(tmpdir(), 'vigil-bench-ingest-'));
  const server = await startServer(data);
  const pid = server.proc.pid ?? 0;
  let peak = 0;
  const sampler = setInterval(() => {
    try {
      peak = Math.max(peak, rssMiB(pid).rss);
    } catch {
      // process gone
    }
  }, 100);
  try {
    const login = await api(server.url, 'POST', '/api/v1/login', undefined, {
      name: 'admin',
      password: PASSWORD,
    });
    const token = login['token'] as string;
    await api(server.url, 'POST', '/api/v1/tenants', token, { name: 'Bench', id: 'bench' });
    const created = await api(server.url, 'POST', '/api/v1/tenants/bench/keys', token, {});
    const key = created['key'] as string;
    const pass = { n: 0 };
    const drain = async (): Promise<number> => {
      const t = performance.now();
      while ((await queueDepth(server.url, token)) > 0) await new Promise((r) => setTimeout(r, 50));
      return (performance.now() - t) / 1000;
    };

    await load(server.url, key, lines, 3, SENDERS, undefined, pass);
    await drain();
    console.log(`warm-up done; server RSS ${rssMiB(pid).rss.toFixed(0)} MiB`);

    // A. maximum sustained throughput: closed loop, acknowledged = durable in the store
    const h0 = await latency(server.url, token);
    const cpu0 = threadCpu(pid);
    const machine0 = machineCpu();
    const self0 = process.cpuUsage();
    const a = await load(server.url, key, lines, SECONDS, SENDERS, undefined, pass);
    const cpu1 = threadCpu(pid);
    const machine1 = machineCpu();
    const self1 = process.cpuUsage(self0);
    const drainA = await drain();
    const h1 = await latency(server.url, token);
    const sustained = a.acked / (a.seconds + drainA);
    console.log(
      `A max: ${a.acked} events acknowledged in ${a.seconds.toFixed(1)} s = ${Math.round(a.acked / a.seconds)} ev/s acknowledged, detection done ${drainA.toFixed(1)} s later → ${Math.round(sustained)} ev/s through detection; 429s ${a.busy}; latency p50 ${quantile(h0, h1, 0.5).toFixed(3)} s p99 ${quantile(h0, h1, 0.99).toFixed(3)} s`,
    );

    console.log(
      `  CPU during A: server threads ${cpuReport(cpu0, cpu1, a.seconds)}; load generator ${(((self1.user + self1.system) / 1e6 / a.seconds) * 100).toFixed(0)}%; machine ${((200 * (machine1.busy - machine0.busy)) / Math.max(1, machine1.total - machine0.total)).toFixed(0)}% of 200%`,
    );

    // B. paced at the target: latency at that load
    const b = await load(server.url, key, lines, SECONDS, SENDERS * 2, TARGET, pass);
    const drainB = await drain();
    const h2 = await latency(server.url, token);
    console.log(
      `B paced ${TARGET} ev/s: ${Math.round(b.acked / b.seconds)} ev/s acknowledged, drained ${drainB.toFixed(2)} s after; 429s ${b.busy}; ingest→alert latency p50 ${quantile(h1, h2, 0.5).toFixed(3)} s, p99 ${quantile(h1, h2, 0.99).toFixed(3)} s`,
    );

    // C. overload at 5x the sustained rate
    peak = rssMiB(pid).rss;
    const rssEachSecond: number[] = [];
    const perSecond = setInterval(() => {
      rssEachSecond.push(Math.round(rssMiB(pid).rss));
    }, 1000);
    const c = await load(
      server.url,
      key,
      lines,
      10,
      SENDERS * 8,
      Math.max(TARGET, sustained) * 5,
      pass,
    );
    clearInterval(perSecond);
    const drainC = await drain();
    console.log(
      `C overload at ${Math.round(Math.max(TARGET, sustained) * 5)} ev/s offered: ${Math.round(c.acked / c.seconds)} ev/s acknowledged, ${c.busy} requests answered 429, ${c.errors} errors; peak RSS ${peak.toFixed(0)} MiB; drained ${drainC.toFixed(1)} s after`,
    );
    console.log(`  server RSS each second of C (MiB): ${rssEachSecond.join(' ')}`);
    const stored = (await api(server.url, 'GET', '/api/v1/alerts?tenant=bench&limit=1', token)) as {
      alerts: unknown[];
    };
    const rss = rssMiB(pid);
    console.log(
      `server RSS now ${rss.rss.toFixed(0)} MiB, high-water ${rss.hwm.toFixed(0)} MiB; alerts present: ${stored.alerts.length > 0 ? 'yes' : 'no'}`,
    );
    console.log(
      `RESULT sustained ${Math.round(sustained)} ev/s (target ≥ ${TARGET}): ${sustained >= TARGET ? 'met' : 'NOT met'}; p99 ${quantile(h1, h2, 0.99).toFixed(3)} s (target < 1 s)`,
    );
  } finally {
    clearInterval(sampler);
    server.proc.kill('SIGTERM');
    await new Promise((r) => server.proc.once('exit', r));
    rmSync(data, { recursive: true, force: true });
  }
}

// Run as a script (npm run bench:ingest), not when bench/incidents.ts imports its parts.
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
