/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-member-access -- JSON bodies of the API under test */
/**
 * What the scenario tests share: a real server started in-process, a tenant with an ingest key per
 * replay, records sent through POST /api/v1/ingest in shipper-sized NDJSON batches (in order or in a
 * seeded shuffle), and incidents read back by polling the API until they stop changing (incidents are
 * built asynchronously after the alerts are stored).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { expect } from 'vitest';
import { loadServerConfig, startServer, type RunningServer } from '../../src/app/index.ts';

export interface Reply {
  readonly status: number;
  readonly body: any;
}

export interface Scenario {
  readonly server: RunningServer;
  readonly admin: string;
  call(method: string, path: string, body?: unknown, auth?: string): Promise<Reply>;
  /** A new tenant and an ingest key for it. */
  tenant(id: string): Promise<string>;
  close(): Promise<void>;
}

export async function startScenarioServer(
  flags: { rules?: string[]; builtinRules?: boolean } = {},
): Promise<Scenario> {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-scenario-'));
  const server = await startServer(
    loadServerConfig({
      env: { VIGIL_ADMIN_PASSWORD: 'scenario admin password' },
      flags: { data: dir, port: 0, ...flags },
    }),
    () => undefined,
  );
  const call = async (
    method: string,
    path: string,
    body?: unknown,
    auth?: string,
  ): Promise<Reply> => {
    const headers: Record<string, string> = {};
    if (auth !== undefined) headers['authorization'] = auth;
    let payload: string | Uint8Array | undefined;
    if (body instanceof Uint8Array) {
      headers['content-type'] = 'application/x-ndjson';
      headers['content-encoding'] = 'gzip';
      payload = body;
    } else if (body !== undefined) {
      headers['content-type'] = 'application/json';
      payload = JSON.stringify(body);
    }
    const res = await fetch(server.url + path, {
      method,
      headers,
      ...(payload === undefined ? {} : { body: payload }),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // keep the text
    }
    return { status: res.status, body: parsed };
  };
  const login = await call('POST', '/api/v1/login', {
    name: 'admin',
    password: 'scenario admin password',
  });
  expect(login.status).toBe(200);
  const admin = `Bearer ${String(login.body.token)}`;
  return {
    server,
    admin,
    call: (method, path, body, auth = admin) => call(method, path, body, auth),
    async tenant(id: string): Promise<string> {
      const t = await call('POST', '/api/v1/tenants', { name: id, id }, admin);
      expect(t.status).toBe(201);
      const k = await call('POST', `/api/v1/tenants/${id}/keys`, { name: 'shippers' }, admin);
      expect(k.status).toBe(201);
      return String(k.body.key);
    },
    async close(): Promise<void> {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A small deterministic generator (mulberry32) for shuffles that a failing run can repeat. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Fisher–Yates with a seeded generator; returns a new array. */
export function shuffled<T>(items: readonly T[], seed: number): T[] {
  const out = [...items];
  const rnd = seeded(seed);
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

/**
 * Sends records as shippers do: NDJSON, gzip-compressed, `batch` records a request, with the
 * tenant's ingest key. Every record must be stored.
 */
export async function ingest(
  s: Scenario,
  key: string,
  records: readonly object[],
  batch = 200,
): Promise<void> {
  for (let i = 0; i < records.length; i += batch) {
    const body = records
      .slice(i, i + batch)
      .map((r) => JSON.stringify(r))
      .join('\n');
    const res = await s.call('POST', '/api/v1/ingest', gzipSync(body), `ApiKey ${key}`);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(Number(res.body.stored) + Number(res.body.duplicates ?? 0)).toBeGreaterThan(0);
  }
  await s.server.pipeline.drain();
}

export interface IncidentJson {
  readonly id: string;
  readonly title: string;
  readonly score: number;
  readonly status: string;
  readonly hosts: readonly { name: string; state: string; why: string }[];
  readonly techniques: readonly string[];
  readonly tactics: readonly string[];
  readonly source: { type: string; id: string; label: string } | null;
  readonly patient_zero: string | null;
  readonly narrative: Record<string, string>;
  readonly next_steps: Record<string, readonly string[]>;
  readonly mitigations: readonly { id: string; name: string; techniques: readonly string[] }[];
  readonly alert_count: number;
  readonly alert_ids: readonly string[];
  readonly graph: {
    nodes: readonly { type: string; id: string; label: string }[];
    edges: readonly { from: string; to: string; type: string }[];
  };
  readonly timeline: readonly { title: string; host?: string; alertId: string }[];
}

/**
 * The tenant's incidents once they have settled: polls GET /api/v1/incidents until two reads in a row
 * give the same incidents with the same alert counts (and at least `min` alerts in all), or fails
 * after `timeoutMs`.
 */
export async function settledIncidents(
  s: Scenario,
  tenant: string,
  opts: { min?: number; timeoutMs?: number } = {},
): Promise<IncidentJson[]> {
  const deadline = Date.now() + (opts.timeoutMs ?? 20_000);
  let last = '';
  for (;;) {
    const res = await s.call('GET', `/api/v1/incidents?tenant=${tenant}&limit=1000&full=true`);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const incidents = res.body.incidents as IncidentJson[];
    const alerts = incidents.reduce((n, i) => n + i.alert_count, 0);
    const fingerprint = JSON.stringify(
      incidents.map((i) => [i.id, i.alert_count]).sort((a, b) => (a[0]! < b[0]! ? -1 : 1)),
    );
    if (fingerprint === last && alerts >= (opts.min ?? 1)) return incidents;
    if (Date.now() > deadline)
      throw new Error(`incidents of ${tenant} did not settle in time: ${fingerprint}`);
    last = fingerprint;
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** One incident as the detail route gives it. */
export async function incidentDetail(
  s: Scenario,
  tenant: string,
  id: string,
): Promise<IncidentJson> {
  const res = await s.call('GET', `/api/v1/tenants/${tenant}/incidents/${id}`);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body as IncidentJson;
}

/** `from -type-> to` by labels, for assertions on the chain. */
export function edgeLabels(i: IncidentJson): string[] {
  const label = new Map(i.graph.nodes.map((n) => [n.id, n.label]));
  return i.graph.edges.map(
    (e) => `${label.get(e.from) ?? e.from} -${e.type}-> ${label.get(e.to) ?? e.to}`,
  );
}

/**
 * The facts of an incident that must not depend on the order its evidence arrived in: hosts and their
 * states, source, patient zero, tactics, techniques, mitigations, the rules that fired, and the chain.
 */
export function facts(i: IncidentJson): unknown {
  return {
    hosts: i.hosts.map((h) => [h.name, h.state]),
    source: i.source,
    patientZero: i.patient_zero,
    tactics: i.tactics,
    techniques: i.techniques,
    mitigations: i.mitigations.map((m) => m.id),
    rules: [...new Set(i.timeline.map((t) => t.title))].sort(),
    edges: [...new Set(edgeLabels(i))].sort(),
  };
}

/** A compact view of an incident for debugging a scenario (VIGIL_SCENARIO_DEBUG=1). */
export function summary(i: IncidentJson): unknown {
  return {
    id: i.id,
    alerts: i.alert_count,
    hosts: i.hosts.filter((h) => h.state !== 'clean').map((h) => `${h.name}:${h.state}`),
    source: i.source?.label,
    patientZero: i.patient_zero,
    timeline: i.timeline.map((t) => `${t.host ?? '-'} ${t.title}`),
    edges: [...new Set(edgeLabels(i))],
    techniques: i.techniques,
    mitigations: i.mitigations.map((m) => m.id),
  };
}

/**
 * The one incident in which `host` is not clean (asserted), and the others. VIGIL_SCENARIO_DEBUG=1
 * prints them all first.
 */
export function splitByHost(
  incidents: readonly IncidentJson[],
  host: string,
): { attack: IncidentJson; rest: IncidentJson[] } {
  if (process.env['VIGIL_SCENARIO_DEBUG'])
    console.log(JSON.stringify(incidents.map(summary), null, 1));
  const attack = incidents.filter((i) =>
    i.hosts.some((h) => h.name === host && h.state !== 'clean'),
  );
  expect(attack).toHaveLength(1);
  return { attack: attack[0]!, rest: incidents.filter((i) => i !== attack[0]) };
}
