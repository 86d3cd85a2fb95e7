/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-argument, @typescript-eslint/no-unsafe-return -- JSON bodies of the API under test */
/**
 * Incidents and case work through the real server: the quick-start replay becomes one stored incident;
 * status, assignee, determination, tags, notes, evidence, SLA clocks, asset tags, split, merge, reopen and
 * the audit trail, each through the API; another tenant's users see none of it.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadServerConfig, startServer, type RunningServer } from '../src/app/index.ts';

let server: RunningServer;
let dir: string;
let admin: string;
let analyst: string;
let viewerB: string;
let key: string;
const A = 'corvane';
const B = 'other';
const QUICKSTART = join(import.meta.dirname, '..', 'samples', 'quickstart');

async function call(
  method: string,
  path: string,
  opts: { token?: string; body?: unknown; raw?: string } = {},
): Promise<{ status: number; body: any }> {
  const headers: Record<string, string> = {};
  if (opts.token) headers['authorization'] = `Bearer ${opts.token}`;
  let body: string | undefined;
  if (opts.body !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(opts.body);
  } else if (opts.raw !== undefined) {
    headers['content-type'] = 'application/x-ndjson';
    body = opts.raw;
  }
  const res = await fetch(server.url + path, {
    method,
    headers,
    ...(body === undefined ? {} : { body }),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // keep text
  }
  return { status: res.status, body: parsed };
}

async function login(name: string, password: string): Promise<string> {
  const r = await call('POST', '/api/v1/login', { body: { name, password } });
  expect(r.status).toBe(200);
  return r.body.token as string;
}

/** Polls until the detection backlog is through and the queue is stable. */
async function queue(tenant: string, query = ''): Promise<any> {
  let last = '';
  for (let i = 0; i < 80; i++) {
    const r = await call('GET', `/api/v1/incidents?tenant=${tenant}${query}`, { token: admin });
    expect(r.status).toBe(200);
    const shape = JSON.stringify(r.body.incidents.map((x: any) => [x.id, x.alert_count, x.status]));
    if (shape === last && r.body.incidents.length > 0) return r.body;
    last = shape;
    await new Promise((res) => setTimeout(res, 250));
  }
  throw new Error(`incidents of ${tenant} did not settle: ${last}`);
}

const sendQuickstart = async (shift = 0): Promise<void> => {
  for (const f of readdirSync(QUICKSTART).filter((n) => n.endsWith('.jsonl'))) {
    let text = readFileSync(join(QUICKSTART, f), 'utf8');
    if (shift > 0)
      text = text.replace(/"SystemTime":"([^"]+)"/g, (_m, t: string) => {
        return `"SystemTime":"${new Date(Date.parse(t) + shift).toISOString()}"`;
      });
    const r = await call('POST', '/api/v1/ingest', { token: key, raw: text });
    expect(r.status).toBe(200);
  }
};

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'vigil-incidents-'));
  const cfg = loadServerConfig({
    env: { VIGIL_ADMIN_PASSWORD: 'correct horse battery' },
    flags: { data: dir, port: 0 },
  });
  server = await startServer(cfg, () => undefined);
  admin = await login('admin', 'correct horse battery');
  for (const t of [A, B])
    expect(
      (await call('POST', '/api/v1/tenants', { token: admin, body: { id: t, name: t } })).status,
    ).toBe(201);
  const users = [
    { name: 'nina', password: 'analyst password 1', role: 'provider_analyst', tenants: [] },
    { name: 'bea', password: 'viewer password 1', role: 'customer_viewer', tenant: B },
  ];
  for (const u of users)
    expect((await call('POST', '/api/v1/users', { token: admin, body: u })).status).toBe(201);
  analyst = await login('nina', 'analyst password 1');
  viewerB = await login('bea', 'viewer password 1');
  const k = await call('POST', `/api/v1/tenants/${A}/keys`, {
    token: admin,
    body: { name: 'wef' },
  });
  expect(k.status).toBe(201);
  key = k.body.key as string;
  await sendQuickstart();
}, 60_000);

afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('incidents and case work', () => {
  let id = '';

  it('stores the replay as one incident with its case, severity and SLA clocks', async () => {
    const q = await queue(A);
    expect(q.total).toBe(1);
    const inc = q.incidents[0];
    id = inc.id;
    expect(inc).toMatchObject({
      tenant: A,
      status: 'new',
      assignee: null,
      determination: null,
      reopened: 0,
    });
    expect(['critical', 'high', 'medium', 'low']).toContain(inc.severity);
    expect(inc.alert_count).toBeGreaterThanOrEqual(10);
    expect(inc.sla.acknowledge).toMatchObject({ met_at: null });
    expect(typeof inc.sla.acknowledge.target_min).toBe('number');
    // the queue shows host states, tactics, source and score terms without the whole story
    expect(inc.hosts.some((h: any) => h.state === 'infected')).toBe(true);
    expect(inc.score_terms.map((t: any) => t.name)).toContain('severity');
    expect(inc.graph).toBeUndefined();
    const full = await call('GET', `/api/v1/tenants/${A}/incidents/${id}`, { token: analyst });
    expect(full.status).toBe(200);
    expect(full.body.hosts.filter((h: any) => h.state === 'infected').length).toBeGreaterThan(0);
    expect(full.body.graph.nodes.length).toBeGreaterThan(0);
    expect(full.body.narrative['zh-TW']).toBeTruthy();
    expect(full.body.notes).toEqual([]);
    // filters
    expect((await queue(A, '&status=new,triage')).total).toBe(1);
    const none = await call('GET', `/api/v1/incidents?tenant=${A}&status=resolved`, {
      token: admin,
    });
    expect(none.body.total).toBe(0);
    const bad = await call('GET', `/api/v1/incidents?tenant=${A}&status=closed`, { token: admin });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toMatch(/status: closed is not one of new, triage/);
  });

  it('takes status, assignee, determination and tags, stops the acknowledge clock, and audits each change', async () => {
    const r = await call('PATCH', `/api/v1/tenants/${A}/incidents/${id}`, {
      token: analyst,
      body: {
        status: 'investigating',
        assignee: 'nina',
        determination: 'incident',
        tags: ['finance', 'macro'],
      },
    });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({
      status: 'investigating',
      assignee: 'nina',
      determination: 'incident',
      tags: ['finance', 'macro'],
    });
    expect(r.body.acknowledged_at).not.toBeNull();
    expect(r.body.sla.acknowledge.met_at).not.toBeNull();
    expect((await queue(A, '&assignee=nina')).total).toBe(1);

    const wrong = await call('PATCH', `/api/v1/tenants/${A}/incidents/${id}`, {
      token: analyst,
      body: { assignee: 'bea' },
    });
    expect(wrong.status).toBe(400);
    expect(wrong.body.error.message).toMatch(/no active user bea who may see tenant corvane/);
    const badStatus = await call('PATCH', `/api/v1/tenants/${A}/incidents/${id}`, {
      token: analyst,
      body: { status: 'done' },
    });
    expect(badStatus.status).toBe(400);

    const note = await call('POST', `/api/v1/tenants/${A}/incidents/${id}/notes`, {
      token: analyst,
      body: { text: 'Macro from Q4-Forecast.xlsx; user confirmed opening it.' },
    });
    expect(note.status).toBe(201);
    const ev = await call('POST', `/api/v1/tenants/${A}/incidents/${id}/evidence`, {
      token: analyst,
      body: { kind: 'file', ref: 'C:\\Users\\a.lindqvist\\Q4-Forecast.xlsx', note: 'the lure' },
    });
    expect(ev.status).toBe(201);
    const full = await call('GET', `/api/v1/tenants/${A}/incidents/${id}`, { token: admin });
    expect(full.body.notes.map((n: any) => [n.author, n.text])).toEqual([
      ['nina', 'Macro from Q4-Forecast.xlsx; user confirmed opening it.'],
    ]);
    expect(full.body.evidence[0]).toMatchObject({ kind: 'file', note: 'the lure', author: 'nina' });

    const trail = await call('GET', `/api/v1/tenants/${A}/incidents/${id}/audit`, { token: admin });
    expect(trail.body.audit.map((a: any) => a.action)).toEqual([
      'incident.update',
      'incident.note',
      'incident.evidence',
    ]);
    expect(trail.body.audit[0].detail.status).toEqual({ from: 'new', to: 'investigating' });
    expect(trail.body.audit[0].actor).toBe('user:nina');
  });

  it('scores asset criticality from the tenant’s asset tags, and validates SLA targets by name', async () => {
    const before = await call('GET', `/api/v1/tenants/${A}/incidents/${id}`, { token: admin });
    const term = (b: any) => b.score_terms.find((t: any) => t.name === 'asset_criticality').points;
    const host = before.body.hosts.find((h: any) => h.state === 'infected').name as string;
    const put = await call('PUT', `/api/v1/tenants/${A}/assets`, {
      token: admin,
      body: { [host]: ['domain_controller'] },
    });
    expect(put.status).toBe(200);
    const after = await call('GET', `/api/v1/tenants/${A}/incidents/${id}`, { token: admin });
    expect(term(after.body)).toBeGreaterThan(term(before.body));
    expect(after.body.status).toBe('investigating');

    const sla = await call('PUT', `/api/v1/tenants/${A}/sla`, {
      token: admin,
      body: { high: { acknowledge_min: 10, fix_min: 5 } },
    });
    expect(sla.status).toBe(400);
    expect(sla.body.error.message).toMatch(/sla\.high\.fix_min: unknown target/);
    const ok = await call('PUT', `/api/v1/tenants/${A}/sla`, {
      token: admin,
      body: {
        critical: { acknowledge_min: 1 },
        high: { acknowledge_min: 1 },
        medium: { acknowledge_min: 1 },
        low: { acknowledge_min: 1 },
      },
    });
    expect(ok.body.high).toEqual({ acknowledge_min: 1 });
  });

  it('splits alerts off into a new incident and merges them back; the merged one answers where it went', async () => {
    const full = await call('GET', `/api/v1/tenants/${A}/incidents/${id}`, { token: admin });
    const moving = full.body.alert_ids.slice(-2) as string[];
    const split = await call('POST', `/api/v1/tenants/${A}/incidents/${id}/split`, {
      token: analyst,
      body: { alert_ids: moving },
    });
    expect(split.status).toBe(201);
    expect(split.body.alert_ids).toEqual(expect.arrayContaining(moving));
    expect(split.body.alert_count).toBe(2);
    const rest = await call('GET', `/api/v1/tenants/${A}/incidents/${id}`, { token: admin });
    expect(rest.body.alert_count).toBe(full.body.alert_count - 2);
    expect(rest.body.status).toBe('investigating');

    const foreign = await call('POST', `/api/v1/tenants/${A}/incidents/${id}/split`, {
      token: analyst,
      body: { alert_ids: ['not-an-alert'] },
    });
    expect(foreign.status).toBe(400);

    const merged = await call('POST', `/api/v1/tenants/${A}/incidents/merge`, {
      token: analyst,
      body: { ids: [id, split.body.id] },
    });
    expect(merged.status).toBe(200);
    expect(merged.body.alert_count).toBe(full.body.alert_count);
    const gone = await call('GET', `/api/v1/tenants/${A}/incidents/${split.body.id}`, {
      token: admin,
    });
    expect(gone.status).toBe(404);
    expect(gone.body.error.message).toContain(`merged into ${id}`);
    expect((await queue(A)).total).toBe(1);
  });

  it('resolving stops the clocks; new alerts of the same attack reopen it', async () => {
    const r = await call('PATCH', `/api/v1/tenants/${A}/incidents/${id}`, {
      token: analyst,
      body: { status: 'resolved' },
    });
    expect(r.body.resolved_at).not.toBeNull();
    expect(r.body.contained_at).not.toBeNull();
    const count = r.body.alert_count as number;
    await sendQuickstart(20 * 60_000);
    let inc: any;
    for (let i = 0; i < 80; i++) {
      inc = (await call('GET', `/api/v1/tenants/${A}/incidents/${id}`, { token: admin })).body;
      if (inc.status !== 'resolved' && inc.alert_count > count) break;
      await new Promise((res) => setTimeout(res, 250));
    }
    expect(inc).toMatchObject({ status: 'triage', reopened: 1, resolved_at: null });
    expect(inc.alert_count).toBeGreaterThan(count);
    const trail = await call('GET', `/api/v1/tenants/${A}/incidents/${id}/audit`, { token: admin });
    expect(trail.body.audit.map((a: any) => a.action)).toContain('incident.reopen');
  });

  it('shows the Sigma source of an alert’s rule to those who may see the tenant', async () => {
    const alerts = await call('GET', `/api/v1/alerts?tenant=${A}&limit=1`, { token: admin });
    const ruleId = alerts.body.alerts[0].rule.id as string;
    const r = await call('GET', `/api/v1/rules/${ruleId}?tenant=${A}`, { token: analyst });
    expect(r.status).toBe(200);
    expect(r.body.yaml).toContain(`id: ${ruleId}`);
    expect(r.body.yaml).toMatch(/detection:/);
    expect(
      (await call('GET', `/api/v1/rules/${ruleId}?tenant=${A}`, { token: viewerB })).status,
    ).toBe(404);
    expect(
      (await call('GET', `/api/v1/rules/no-such-rule?tenant=${A}`, { token: admin })).status,
    ).toBe(404);
  });

  it("never shows a tenant's incidents to another tenant's users", async () => {
    const list = await call('GET', '/api/v1/incidents', { token: viewerB });
    expect(list.status).toBe(200);
    expect(list.body.incidents).toEqual([]);
    const one = await call('GET', `/api/v1/tenants/${A}/incidents/${id}`, { token: viewerB });
    expect(one.status).toBe(404);
    const patch = await call('PATCH', `/api/v1/tenants/${A}/incidents/${id}`, {
      token: viewerB,
      body: { status: 'benign' },
    });
    expect([403, 404]).toContain(patch.status);
    const across = await call('GET', '/api/v1/incidents', { token: admin });
    expect(across.body.incidents.every((i: any) => i.tenant === A)).toBe(true);
  });
});
