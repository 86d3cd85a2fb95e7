/**
 * `npm run bench:incidents`: what incidents cost and how fast the queue answers.
 *
 * 1. Grouping cost: `vigil serve` (every SigmaHQ Windows rule) takes the closed-loop load of bench:ingest
 *    with the incident builder on and off (VIGIL_INCIDENTS=off), alternating on/off/on/off on fresh data
 *    directories; the figure is events/s through detection, and the cost is 1 − on/off.
 * 2. Queue: a store seeded with 10,000 incidents over 1,000,000 alerts (20 tenants), served by
 *    `vigil serve`; the queue and one incident are fetched over HTTP as the console does, 30 times each
 *    (p50, p95, max), beside GET /api/v1/health in the same run as the floor of an HTTP round trip.
 *
 * BENCH_SECONDS (default 15) sets the length of each load run; BENCH_PART=cost|queue runs one part.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Alert, IncidentRecord } from '../src/core/index.ts';
import { openSqliteStore } from '../src/store/index.ts';
import { api, load, loadEvents, queueDepth, startServer, type Server } from './ingest.ts';

const SECONDS = Number(process.env['BENCH_SECONDS'] ?? 15);
const SENDERS = Number(process.env['BENCH_SENDERS'] ?? 8);
const PART = process.env['BENCH_PART'] ?? 'all';
const PASSWORD = 'bench-admin-password';

async function stop(server: Server): Promise<void> {
  server.proc.kill('SIGTERM');
  await new Promise((r) => server.proc.once('exit', r));
}

async function metric(url: string, token: string, re: RegExp): Promise<number> {
  const res = await fetch(url + '/metrics', { headers: { authorization: `Bearer ${token}` } });
  const text = await res.text();
  let sum = 0;
  for (const m of text.matchAll(re)) sum += Number(m[1]);
  return sum;
}

async function costRun(
  lines: string[],
  incidents: boolean,
): Promise<{
  rate: number;
  alerts: number;
  builds: number;
  buildSeconds: number;
  incidents: number;
}> {
  const data = mkdtempSync(join(tmpdir(), 'vigil-bench-incidents-'));
  const server = await startServer(data, incidents ? {} : { VIGIL_INCIDENTS: 'off' });
  try {
    const login = await api(server.url, 'POST', '/api/v1/login', undefined, {
      name: 'admin',
      password: PASSWORD,
    });
    const token = login['token'] as string;
    await api(server.url, 'POST', '/api/v1/tenants', token, { name: 'Bench', id: 'bench' });
    const key = (await api(server.url, 'POST', '/api/v1/tenants/bench/keys', token, {}))[
      'key'
    ] as string;
    const pass = { n: 0 };
    const drain = async (): Promise<number> => {
      const t = performance.now();
      while ((await queueDepth(server.url, token)) > 0) await new Promise((r) => setTimeout(r, 50));
      return (performance.now() - t) / 1000;
    };
    await load(server.url, key, lines, 3, SENDERS, undefined, pass);
    await drain();
    const a0 = await metric(server.url, token, /^vigil_alerts_out_total\{[^}]*\} (\d+)/gm);
    const r = await load(server.url, key, lines, SECONDS, SENDERS, undefined, pass);
    const drained = await drain();
    const a1 = await metric(server.url, token, /^vigil_alerts_out_total\{[^}]*\} (\d+)/gm);
    const builds = await metric(server.url, token, /^vigil_incident_build_seconds_count (\d+)/gm);
    const buildSeconds = await metric(
      server.url,
      token,
      /^vigil_incident_build_seconds_sum ([\d.e+-]+)/gm,
    );
    const q = (await api(server.url, 'GET', '/api/v1/incidents?tenant=bench&limit=1', token)) as {
      total: number;
    };
    return {
      rate: r.acked / (r.seconds + drained),
      alerts: (a1 - a0) / (r.seconds + drained),
      builds,
      buildSeconds,
      incidents: q.total,
    };
  } finally {
    await stop(server);
    rmSync(data, { recursive: true, force: true });
  }
}

async function cost(): Promise<void> {
  const lines = loadEvents();
  console.log(
    `1. grouping cost: closed-loop ingest of ${lines.length} NXLog Windows events replayed, ${SECONDS} s per run, builder on/off alternating`,
  );
  const on: number[] = [];
  const off: number[] = [];
  for (const mode of [true, false, true, false]) {
    const r = await costRun(lines, mode);
    (mode ? on : off).push(r.rate);
    console.log(
      `  incidents ${mode ? 'on ' : 'off'}: ${Math.round(r.rate)} ev/s through detection, ${r.alerts.toFixed(0)} alerts/s` +
        (mode
          ? `; ${r.builds} rebuilds, ${r.buildSeconds.toFixed(2)} s building, ${r.incidents} incidents`
          : ''),
    );
  }
  const mean = (v: number[]): number => v.reduce((a, b) => a + b, 0) / v.length;
  const ratio = mean(on) / mean(off);
  console.log(
    `RESULT grouping cost: on ${Math.round(mean(on))} ev/s vs off ${Math.round(mean(off))} ev/s = ${(ratio * 100).toFixed(1)}% (cost ${((1 - ratio) * 100).toFixed(1)}%, target ≤ 10%): ${1 - ratio <= 0.1 ? 'met' : 'NOT met'}`,
  );
}

const TENANTS = 20;
const INCIDENTS = 10_000;
const ALERTS = 1_000_000;
const T0 = Date.UTC(2026, 9, 1);

/** A realistic computed part: a story of ~25 nodes, a narrative, score terms. */
function doc(i: number): Record<string, unknown> {
  const nodes = Array.from({ length: 25 }, (_, n) => ({
    type: n % 3 === 0 ? 'host' : n % 3 === 1 ? 'process' : 'file',
    id: `node:${i}:${n}`,
    label: `C:\\Windows\\System32\\proc-${n}.exe`,
  }));
  const edges = nodes.slice(1).map((n, k) => ({
    from: nodes[k]?.id,
    to: n.id,
    type: 'spawned',
    ts: T0 + i,
    eventIds: [`e${i}-${k}`],
  }));
  return {
    graph: { nodes, edges },
    narrative: { en: 'x'.repeat(1200), 'zh-TW': '事'.repeat(400) },
    mitigations: Array.from({ length: 6 }, (_, m) => ({ id: `M10${m}`, name: 'mitigation' })),
  };
}

async function seed(path: string): Promise<void> {
  const store = openSqliteStore({ path });
  const perIncident = ALERTS / INCIDENTS;
  const t = performance.now();
  const techniques = ['T1059.001', 'T1003.001', 'T1021.002', 'T1053.005', 'T1486', 'T1190'];
  const severities = ['critical', 'high', 'medium', 'low'] as const;
  const statuses = ['new', 'triage', 'investigating', 'resolved'] as const;
  for (let tn = 0; tn < TENANTS; tn++) {
    const tenant = `t${String(tn).padStart(2, '0')}`;
    await store.createTenant({
      id: tenant,
      name: `Tenant ${tn}`,
      createdAt: T0,
      retentionDays: 0,
      disabledRules: [],
    });
    const perTenant = INCIDENTS / TENANTS;
    for (let base = 0; base < perTenant; base += 100) {
      const alerts: Alert[] = [];
      const records: (IncidentRecord & { alertIds: string[] })[] = [];
      for (let k = base; k < base + 100; k++) {
        const i = tn * perTenant + k;
        const ids: string[] = [];
        for (let j = 0; j < perIncident; j++) {
          const id = `a${i}-${j}`;
          ids.push(id);
          alerts.push({
            id,
            tenant,
            rule: {
              id: `rule-${j % 40}`,
              title: `Rule ${j % 40}`,
              level: 'high',
              tags: ['attack.t1059'],
            },
            kind: 'event',
            level: 'high',
            ts: T0 + i * 60_000 + j,
            createdAt: T0 + i * 60_000 + j,
            host: `ws-${String(k % 300).padStart(4, '0')}`,
            eventIds: [`e${i}-${j}`],
            matched: { CommandLine: 'powershell -enc ...' },
            entities: { host: `ws-${String(k % 300).padStart(4, '0')}` },
            status: 'new',
          });
        }
        const score = (i * 37) % 100;
        records.push({
          id: `inc-${i}`,
          tenant,
          title: `Incident ${i}`,
          score,
          severity: severities[3 - Math.min(3, Math.floor(score / 25))] ?? 'low',
          level: 'high',
          firstTs: T0 + i * 60_000,
          lastTs: T0 + i * 60_000 + perIncident,
          alertCount: perIncident,
          hosts: [`ws-${String(k % 300).padStart(4, '0')}`],
          techniques: [techniques[i % techniques.length] ?? 'T1059.001'],
          keys: [`rule:rule-${i % 40}`, `user:acme\\user${i % 500}`],
          doc: doc(i),
          updatedAt: T0,
          alertIds: ids,
        });
      }
      await store.insertAlerts(alerts);
      await store.saveIncidents(tenant, records, T0);
      for (const r of records) {
        const n = Number(r.id.slice(4));
        const status = statuses[n % statuses.length] ?? 'new';
        if (status !== 'new')
          await store.updateIncidentCase(tenant, r.id, { status, updatedAt: T0 });
      }
    }
  }
  await store.close();
  console.log(
    `  seeded ${INCIDENTS} incidents over ${ALERTS} alerts in ${TENANTS} tenants in ${((performance.now() - t) / 1000).toFixed(0)} s`,
  );
}

async function timed(url: string, token: string, path: string, runs = 30): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    const res = await fetch(url + path, { headers: { authorization: `Bearer ${token}` } });
    if (!res.ok) throw new Error(`GET ${path}: ${res.status} ${await res.text()}`);
    await res.arrayBuffer();
    out.push(performance.now() - t);
  }
  return out.sort((a, b) => a - b);
}

const q = (v: number[], p: number): number =>
  v[Math.min(v.length - 1, Math.floor(p * v.length))] ?? NaN;

async function queue(): Promise<void> {
  console.log(`2. queue: ${INCIDENTS} incidents, ${ALERTS} alerts stored`);
  const data = mkdtempSync(join(tmpdir(), 'vigil-bench-queue-'));
  try {
    await seed(join(data, 'vigil.db'));
    const server = await startServer(data);
    try {
      const login = await api(server.url, 'POST', '/api/v1/login', undefined, {
        name: 'admin',
        password: PASSWORD,
      });
      const token = login['token'] as string;
      const first = (await api(server.url, 'GET', '/api/v1/incidents?limit=100', token)) as {
        total: number;
        next?: string;
      };
      const cases: [string, string][] = [
        ['health (HTTP floor)', '/api/v1/health'],
        ['queue, all 20 tenants, top 100', '/api/v1/incidents?limit=100'],
        [
          'queue, open critical+high',
          '/api/v1/incidents?status=new,triage,investigating&severity=critical,high',
        ],
        ['queue, technique T1059', '/api/v1/incidents?technique=T1059'],
        ['queue, host ws-0042', '/api/v1/incidents?host=ws-0042'],
        ['queue, one tenant', '/api/v1/incidents?tenant=t07'],
        ['queue, second page', `/api/v1/incidents?limit=100&cursor=${first.next ?? ''}`],
        ['one incident (story, notes, similar)', '/api/v1/tenants/t07/incidents/inc-3600'],
      ];
      console.log(`  total in queue: ${first.total}`);
      let worst = 0;
      for (const [name, path] of cases) {
        const v = await timed(server.url, token, path);
        if (!name.startsWith('health')) worst = Math.max(worst, q(v, 0.95));
        console.log(
          `  ${name.padEnd(38)} p50 ${q(v, 0.5).toFixed(1)} ms, p95 ${q(v, 0.95).toFixed(1)} ms, max ${(v.at(-1) ?? NaN).toFixed(1)} ms`,
        );
      }
      console.log(
        `RESULT queue with ${INCIDENTS} incidents / ${ALERTS} alerts: worst p95 ${worst.toFixed(1)} ms (target < 100 ms): ${worst < 100 ? 'met' : 'NOT met'}`,
      );
    } finally {
      await stop(server);
    }
  } finally {
    rmSync(data, { recursive: true, force: true });
  }
}

if (PART === 'all' || PART === 'queue') await queue();
if (PART === 'all' || PART === 'cost') await cost();
