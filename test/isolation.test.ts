/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-argument, @typescript-eslint/no-unsafe-return -- JSON bodies of the API under test */
/** Tenant isolation over real HTTP: every route, walked with tenant A's credentials against tenant B's objects. */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadServerConfig, startServer, type RunningServer } from '../src/app/index.ts';

const PASSWORD = 'correct horse battery';
const A = 'alpha-k3';
const B = 'bravo-zq7';

let server: RunningServer;
let dir: string;
let admin: string;

interface Answer {
  status: number;
  text: string;
  body: any;
  headers: Headers;
}

async function call(
  url: string,
  method: string,
  path: string,
  opts: { auth?: string; body?: unknown; raw?: string; headers?: Record<string, string> } = {},
): Promise<Answer> {
  const headers: Record<string, string> = { accept: 'application/json', ...opts.headers };
  if (opts.auth !== undefined) headers['authorization'] = opts.auth;
  let body: string | undefined;
  if (method === 'GET' || method === 'HEAD') {
    // no body
  } else if (opts.body !== undefined) {
    headers['content-type'] ??= 'application/json';
    body = JSON.stringify(opts.body);
  } else if (opts.raw !== undefined) {
    headers['content-type'] ??= 'application/x-ndjson';
    body = opts.raw;
  }
  const res = await fetch(url + path, { method, headers, ...(body === undefined ? {} : { body }) });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  return { status: res.status, text, body: parsed, headers: res.headers };
}

const api = (
  method: string,
  path: string,
  opts: { auth?: string; body?: unknown; raw?: string; headers?: Record<string, string> } = {},
): Promise<Answer> => call(server.url, method, path, opts);
const bearer = (token: string): string => `Bearer ${token}`;

async function login(name: string, password: string): Promise<string> {
  const r = await api('POST', '/api/v1/login', { body: { name, password } });
  expect(r.status, `login ${name}: ${r.text}`).toBe(200);
  return r.body.token as string;
}

async function createUser(
  by: string,
  body: { name: string; role: string; tenant?: string; tenants?: string[] },
): Promise<string> {
  const r = await api('POST', '/api/v1/users', {
    auth: bearer(by),
    body: { password: PASSWORD, ...body },
  });
  expect(r.status, r.text).toBe(201);
  return r.body.id as string;
}

const sysmon = (host: string, cmd: string, n: number, extra: Record<string, unknown> = {}) => ({
  Event: {
    System: {
      Provider: { '#attributes': { Name: 'Microsoft-Windows-Sysmon' } },
      EventID: 1,
      Channel: 'Microsoft-Windows-Sysmon/Operational',
      Computer: host,
      EventRecordID: n,
      TimeCreated: {
        '#attributes': { SystemTime: new Date(Date.UTC(2026, 10, 27, 10, 0, n)).toISOString() },
      },
    },
    EventData: {
      Image: 'C:\\Windows\\System32\\whoami.exe',
      CommandLine: cmd,
      User: 'CORP\\operator',
      ProcessGuid: `{guid-${n}}`,
      ParentImage: 'C:\\Windows\\explorer.exe',
      ...extra,
    },
  },
});

async function ingest(key: string, records: unknown[]): Promise<Answer> {
  const r = await api('POST', '/api/v1/ingest', {
    auth: `ApiKey ${key}`,
    raw: records.map((x) => JSON.stringify(x)).join('\n'),
  });
  expect(r.status, r.text).toBe(200);
  return r;
}

/** What a request may aim at: tenant B's real objects, or made-up ids of the same shape. */
interface Target {
  tenant: string;
  keyId: string;
  alertId: string;
  incidentId: string;
  exId: string;
  ruleId: string;
  userId: string;
  userName: string;
  tokenId: string;
}

/** Tenant A's credentials, by the name the walk reports them under. */
const CREDS = ['cadmin', 'cviewer', 'ctoken', 'ikey', 'analyst'] as const;
type Cred = (typeof CREDS)[number];
const USERS: readonly Cred[] = ['cadmin', 'cviewer', 'ctoken', 'analyst'];
const CUSTOMERS: readonly Cred[] = ['cadmin', 'cviewer', 'ctoken'];
const MANAGERS: readonly Cred[] = ['cadmin', 'ctoken', 'analyst'];
const KEY_MANAGERS: readonly Cred[] = ['cadmin', 'ctoken'];

/** The caller's own scope, for requests that stay in tenant A. */
interface Me {
  cred: Cred;
  userId: string;
  alertId: string;
  n: number;
}

interface Req {
  params?: Record<string, string>;
  query?: Record<string, string>;
  body?: unknown;
  raw?: string;
  headers?: Record<string, string>;
  /** Credentials that must get a 2xx; every other credential must be refused (401/403/404). */
  allow?: readonly Cred[];
  /** Credentials whose answer is only checked for "no 5xx, none of B's data". */
  maybe?: readonly Cred[];
  /** Only these credentials send it. */
  only?: readonly Cred[];
}

interface Spec {
  /** Requests at another tenant's objects (`v`): refused to every credential of A. */
  cross?: (v: Target) => Req[];
  /** Requests inside tenant A. */
  own?: (me: Me) => Req[];
  /** Sent once, with the first credential (login: every failure counts against the throttle). */
  once?: boolean;
  /** `own` runs with a throwaway credential of the same kind (logout ends the session it runs with). */
  fresh?: boolean;
}

const ruleYaml = (id: string, title: string, needle: string): string =>
  [
    `title: ${title}`,
    `id: ${id}`,
    'status: test',
    'logsource:',
    '  product: windows',
    '  category: process_creation',
    'detection:',
    '  sel:',
    `    CommandLine|contains: ${needle}`,
    '  condition: sel',
    'level: high',
    '',
  ].join('\n');

/** Every route: each OpenAPI operation and each hidden shipper route must have an entry. */
const SPECS: Record<string, Spec> = {
  'GET /api/v1/health': { own: () => [{ allow: CREDS }] },
  'GET /api/v1/openapi.json': { own: () => [{ allow: CREDS }] },
  'GET /metrics': { own: () => [{ allow: ['analyst'] }] },
  'POST /api/v1/login': {
    once: true,
    cross: (v) => [{ body: { name: v.userName, password: 'not-the-password' } }],
    own: () => [{ body: { name: 'alpha-viewer', password: PASSWORD }, allow: CREDS }],
  },
  'POST /api/v1/logout': { fresh: true, own: () => [{ allow: USERS }] },
  'GET /api/v1/me': { own: () => [{ allow: USERS }] },
  'GET /api/v1/tenants': { own: () => [{ allow: USERS }] },
  'POST /api/v1/tenants': {
    cross: (v) => [{ body: { name: 'taken', id: v.tenant } }],
    own: (me) => [{ body: { name: `walk ${me.cred} ${me.n}` } }],
  },
  'GET /api/v1/tenants/{id}': {
    cross: (v) => [{ params: { id: v.tenant } }],
    own: () => [{ params: { id: A }, allow: USERS }],
  },
  'PATCH /api/v1/tenants/{id}': {
    cross: (v) => [{ params: { id: v.tenant }, body: { name: 'renamed by A' } }],
    own: () => [{ params: { id: A }, body: { retention_days: 90 } }],
  },
  'GET /api/v1/users': {
    cross: (v) => [{ query: { tenant: v.tenant } }],
    own: () => [{ allow: KEY_MANAGERS }, { query: { tenant: A }, allow: KEY_MANAGERS }],
  },
  'POST /api/v1/users': {
    cross: (v) => [
      {
        body: {
          name: `x-${v.tenant}`,
          password: PASSWORD,
          role: 'customer_admin',
          tenant: v.tenant,
        },
      },
      {
        body: {
          name: `y-${v.tenant}`,
          password: PASSWORD,
          role: 'provider_analyst',
          tenants: [v.tenant],
        },
      },
    ],
    own: (me) => [
      {
        body: { name: `walk-${me.cred}-${me.n}`, password: PASSWORD, role: 'customer_viewer' },
        allow: KEY_MANAGERS,
      },
    ],
  },
  'PATCH /api/v1/users/{id}': {
    cross: (v) => [
      { params: { id: v.userId }, body: { disabled: true } },
      { params: { id: v.userId }, body: { password: 'taken-over-1' } },
    ],
    own: (me) => [{ params: { id: me.userId }, body: {}, allow: USERS }],
  },
  'POST /api/v1/tokens': { own: (me) => [{ body: { name: `walk ${me.n}` }, allow: USERS }] },
  'GET /api/v1/tokens': { own: () => [{ allow: USERS }] },
  'DELETE /api/v1/tokens/{id}': { cross: (v) => [{ params: { id: v.tokenId } }] },
  'GET /api/v1/tenants/{id}/keys': {
    cross: (v) => [{ params: { id: v.tenant } }],
    own: () => [{ params: { id: A }, allow: KEY_MANAGERS }],
  },
  'POST /api/v1/tenants/{id}/keys': {
    cross: (v) => [{ params: { id: v.tenant }, body: { name: 'planted' } }],
    own: () => [{ params: { id: A }, body: { name: 'walk' }, allow: KEY_MANAGERS }],
  },
  'DELETE /api/v1/tenants/{id}/keys/{key}': {
    cross: (v) => [{ params: { id: v.tenant, key: v.keyId } }, { params: { id: A, key: v.keyId } }],
  },
  'GET /api/v1/rules': {
    cross: (v) => [{ query: { tenant: v.tenant } }],
    own: () => [
      { query: { tenant: A }, allow: USERS },
      { only: [...CUSTOMERS, 'ikey'], allow: CUSTOMERS },
    ],
  },
  'GET /api/v1/rulesets': {
    cross: (v) => [{ query: { tenant: v.tenant } }],
    own: () => [
      { query: { tenant: A }, allow: USERS },
      { only: [...CUSTOMERS, 'ikey'], allow: CUSTOMERS },
    ],
  },
  'PUT /api/v1/tenants/{id}/rulesets/{name}': {
    cross: (v) => [{ params: { id: v.tenant, name: 'tenant' }, body: { enabled: false } }],
    own: () => [{ params: { id: A, name: 'vigil' }, body: { enabled: true }, allow: MANAGERS }],
  },
  'PUT /api/v1/tenants/{id}/rules/{rule}': {
    cross: (v) => [
      { params: { id: v.tenant, rule: v.ruleId }, body: { enabled: false } },
      { params: { id: A, rule: v.ruleId }, body: { enabled: false } },
    ],
  },
  'DELETE /api/v1/tenants/{id}/rules/{rule}': {
    cross: (v) => [
      { params: { id: v.tenant, rule: v.ruleId } },
      { params: { id: A, rule: v.ruleId } },
    ],
  },
  'POST /api/v1/tenants/{id}/rules': {
    cross: (v) => [
      {
        params: { id: v.tenant },
        raw: ruleYaml(randomUUID(), 'planted', 'planted'),
        headers: { 'content-type': 'application/yaml' },
      },
      // an upload into A that reuses B's rule id must not touch B's rule
    ],
    own: () => [
      {
        params: { id: A },
        query: { dry_run: 'true' },
        raw: ruleYaml(randomUUID(), 'walk rule', 'walk-needle'),
        headers: { 'content-type': 'application/yaml' },
        allow: MANAGERS,
      },
    ],
  },
  'POST /api/v1/rules/reload': { own: () => [{}] },
  'GET /api/v1/rules/{rule}': {
    cross: (v) => [{ params: { rule: v.ruleId }, query: { tenant: v.tenant } }],
  },
  'GET /api/v1/tenants/{id}/exceptions': {
    cross: (v) => [{ params: { id: v.tenant } }],
    own: () => [{ params: { id: A }, allow: USERS }],
  },
  'POST /api/v1/tenants/{id}/exceptions': {
    cross: (v) => [{ params: { id: v.tenant }, body: { rule_id: v.ruleId, reason: 'planted' } }],
    own: () => [
      { params: { id: A }, body: { rule_id: 'no-such-rule', reason: 'walk' }, allow: MANAGERS },
    ],
  },
  'DELETE /api/v1/tenants/{id}/exceptions/{ex}': {
    cross: (v) => [{ params: { id: v.tenant, ex: v.exId } }, { params: { id: A, ex: v.exId } }],
  },
  'GET /api/v1/alerts': {
    cross: (v) => [{ query: { tenant: v.tenant } }],
    own: () => [{ allow: USERS }, { query: { tenant: A }, allow: USERS }],
  },
  'GET /api/v1/incidents': {
    cross: (v) => [{ query: { tenant: v.tenant } }],
    own: () => [
      { query: { tenant: A }, allow: USERS },
      { only: [...CUSTOMERS, 'ikey'], allow: CUSTOMERS },
    ],
  },
  'GET /api/v1/tenants/{id}/incidents/{incident}': {
    cross: (v) => [
      { params: { id: v.tenant, incident: v.incidentId } },
      { params: { id: A, incident: v.incidentId } },
    ],
  },
  'PATCH /api/v1/tenants/{id}/incidents/{incident}': {
    cross: (v) => [
      { params: { id: v.tenant, incident: v.incidentId }, body: { status: 'resolved' } },
      { params: { id: A, incident: v.incidentId }, body: { status: 'resolved' } },
    ],
  },
  'POST /api/v1/tenants/{id}/incidents/{incident}/notes': {
    cross: (v) => [
      { params: { id: v.tenant, incident: v.incidentId }, body: { text: 'planted' } },
      { params: { id: A, incident: v.incidentId }, body: { text: 'planted' } },
    ],
  },
  'POST /api/v1/tenants/{id}/incidents/{incident}/evidence': {
    cross: (v) => [
      { params: { id: v.tenant, incident: v.incidentId }, body: { kind: 'hash', ref: 'x' } },
      { params: { id: A, incident: v.incidentId }, body: { kind: 'hash', ref: 'x' } },
    ],
  },
  'POST /api/v1/tenants/{id}/incidents/{incident}/split': {
    cross: (v) => [
      { params: { id: v.tenant, incident: v.incidentId }, body: { alert_ids: [v.alertId] } },
      { params: { id: A, incident: v.incidentId }, body: { alert_ids: [v.alertId] } },
    ],
  },
  'GET /api/v1/tenants/{id}/incidents/{incident}/audit': {
    cross: (v) => [
      { params: { id: v.tenant, incident: v.incidentId } },
      { params: { id: A, incident: v.incidentId } },
    ],
  },
  'POST /api/v1/tenants/{id}/incidents/merge': {
    cross: (v) => [
      { params: { id: v.tenant }, body: { ids: [v.incidentId, `${v.incidentId}x`] } },
      { params: { id: A }, body: { ids: [v.incidentId, `${v.incidentId}x`] } },
    ],
  },
  'GET /api/v1/tenants/{id}/sla': {
    cross: (v) => [{ params: { id: v.tenant } }],
    own: () => [{ params: { id: A }, allow: USERS }],
  },
  'PUT /api/v1/tenants/{id}/sla': {
    cross: (v) => [{ params: { id: v.tenant }, body: { high: { acknowledge_min: 1 } } }],
    own: () => [{ params: { id: A }, body: { high: { acknowledge_min: 30 } }, allow: MANAGERS }],
  },
  'GET /api/v1/tenants/{id}/assets': {
    cross: (v) => [{ params: { id: v.tenant } }],
    own: () => [{ params: { id: A }, allow: USERS }],
  },
  'PUT /api/v1/tenants/{id}/assets': {
    cross: (v) => [{ params: { id: v.tenant }, body: { dc01: ['domain_controller'] } }],
    own: () => [{ params: { id: A }, body: { 'ws-01': ['workstation'] }, allow: MANAGERS }],
  },
  'GET /api/v1/tenants/{id}/grouping': {
    cross: (v) => [{ params: { id: v.tenant } }],
    own: () => [{ params: { id: A }, allow: USERS }],
  },
  'PUT /api/v1/tenants/{id}/grouping': {
    cross: (v) => [{ params: { id: v.tenant }, body: { reopen: false } }],
    own: () => [{ params: { id: A }, body: { reopen: true }, allow: MANAGERS }],
  },
  'GET /api/v1/tenants/{id}/alerts/{alert}': {
    cross: (v) => [
      { params: { id: v.tenant, alert: v.alertId } },
      { params: { id: A, alert: v.alertId } },
    ],
    own: (me) => [{ params: { id: A, alert: me.alertId }, allow: USERS }],
  },
  'PATCH /api/v1/tenants/{id}/alerts/{alert}': {
    cross: (v) => [
      { params: { id: v.tenant, alert: v.alertId }, body: { status: 'closed' } },
      { params: { id: A, alert: v.alertId }, body: { status: 'closed' } },
    ],
    own: (me) => [
      { params: { id: A, alert: me.alertId }, body: { status: 'acknowledged' }, allow: MANAGERS },
    ],
  },
  'GET /api/v1/events': {
    cross: (v) => [{ query: { tenant: v.tenant } }, { query: { tenant: v.tenant, q: 'whoami' } }],
    own: () => [{ query: { tenant: A }, allow: USERS }],
  },
  'GET /api/v1/audit': {
    cross: (v) => [{ query: { tenant: v.tenant } }],
    own: () => [{ allow: KEY_MANAGERS }, { query: { tenant: A }, allow: KEY_MANAGERS }],
  },
  'POST /api/v1/ingest': { own: () => [{ raw: '{"message":"walk ingest"}', allow: ['ikey'] }] },
  'POST /api/v1/upload': {
    own: (me) => [
      { query: { name: `walk-${me.n}.json` }, raw: '{"message":"walk upload"}', allow: ['ikey'] },
    ],
  },
  'GET /': { own: () => [{ allow: ['ikey'] }] },
  'GET /_license': { own: () => [{ allow: ['ikey'] }] },
  'GET /_xpack': { own: () => [{ allow: ['ikey'] }] },
  'GET /_cluster/health': { own: () => [{ allow: ['ikey'] }] },
  'GET /_cat/health': { own: () => [{ allow: ['ikey'] }] },
  ...Object.fromEntries(
    [
      '/_index_template/{name}',
      '/_template/{name}',
      '/_ilm/policy/{name}',
      '/_ingest/pipeline/{name}',
      '/_component_template/{name}',
      '/_data_stream/{name}',
    ].flatMap((path) =>
      ['GET', 'PUT', 'POST', 'HEAD', 'DELETE'].map((m): [string, Spec] => [
        `${m} ${path}`,
        {
          cross: (v) => [{ params: { name: v.tenant }, maybe: ['ikey'] }],
          own: () => [{ params: { name: 'winlogbeat-8' }, body: {}, maybe: ['ikey'] }],
        },
      ]),
    ),
  ),
  ...Object.fromEntries(
    ['POST', 'PUT'].flatMap((m): [string, Spec][] => [
      [
        `${m} /_bulk`,
        {
          own: () => [
            { raw: '{"create":{"_index":"walk"}}\n{"message":"walk bulk"}\n', allow: ['ikey'] },
          ],
        },
      ],
      [
        `${m} /{index}/_bulk`,
        {
          own: () => [
            {
              params: { index: 'walk' },
              raw: '{"create":{}}\n{"message":"walk bulk index"}\n',
              allow: ['ikey'],
            },
          ],
        },
      ],
    ]),
  ),
  ...Object.fromEntries(
    ['/services/collector', '/services/collector/event', '/services/collector/event/1.0'].map(
      (path): [string, Spec] => [
        `POST ${path}`,
        { own: () => [{ raw: '{"event":"walk hec"}', allow: ['ikey'] }] },
      ],
    ),
  ),
  ...Object.fromEntries(
    ['/services/collector/raw', '/services/collector/raw/1.0'].map((path): [string, Spec] => [
      `POST ${path}`,
      { own: () => [{ raw: 'walk hec raw line', allow: ['ikey'] }] },
    ]),
  ),
  'GET /services/collector/health': { own: () => [{ allow: CREDS }] },
  'GET /services/collector/health/1.0': { own: () => [{ allow: CREDS }] },
};

function fill(template: string, params: Record<string, string> = {}): string {
  return template.replace(/\{(\w+)\}/g, (_, name: string) => {
    const v = params[name];
    if (v === undefined) throw new Error(`${template}: no value for {${name}}`);
    return encodeURIComponent(v);
  });
}

function requestOf(key: string, r: Req): { method: string; path: string; opts: any } {
  const sp = key.indexOf(' ');
  const method = key.slice(0, sp);
  let path = fill(key.slice(sp + 1), r.params);
  if (r.query) path += `?${new URLSearchParams(r.query).toString()}`;
  const opts: any = { ...(r.headers ? { headers: { ...r.headers } } : {}) };
  if (r.raw !== undefined) opts.raw = r.raw;
  else if (r.body !== undefined) opts.body = r.body;
  else if (method === 'POST' || method === 'PUT' || method === 'PATCH') opts.body = {};
  return { method, path, opts };
}

// Tenant B's objects and everything that would identify its data.
let bravo: Target;
let bravoMarkers: string[];
// Tenant A's credentials and objects.
const auth = {} as Record<Cred, string>;
const alpha = { adminId: '', viewerId: '', analystId: '', keyId: '', key: '', alertId: '' };
let adminToken = '';
let bravoKey = '';

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'vigil-isolation-'));
  server = await startServer(
    loadServerConfig({ env: { VIGIL_ADMIN_PASSWORD: PASSWORD }, flags: { data: dir, port: 0 } }),
    () => undefined,
  );
  admin = await login('admin', PASSWORD);
  for (const [id, name] of [
    [A, 'Alpha Org'],
    [B, 'Bravo zq7 Widgets'],
  ] as const) {
    const t = await api('POST', '/api/v1/tenants', { auth: bearer(admin), body: { id, name } });
    expect(t.status, t.text).toBe(201);
  }

  // Tenant B: users, a token, a key, an uploaded rule, an exception, events and alerts.
  const bAdminId = await createUser(admin, {
    name: 'bravo-admin-zq7',
    role: 'customer_admin',
    tenant: B,
  });
  const bViewerId = await createUser(admin, {
    name: 'bravo-viewer-zq7',
    role: 'customer_viewer',
    tenant: B,
  });
  const bAnalystId = await createUser(admin, {
    name: 'bravo-analyst-zq7',
    role: 'provider_analyst',
    tenants: [B],
  });
  const bAdmin = await login('bravo-admin-zq7', PASSWORD);
  const bTok = await api('POST', '/api/v1/tokens', {
    auth: bearer(bAdmin),
    body: { name: 'bravo-token-zq7' },
  });
  expect(bTok.status).toBe(201);
  const bKey = await api('POST', `/api/v1/tenants/${B}/keys`, {
    auth: bearer(bAdmin),
    body: { name: 'bravo-key-zq7' },
  });
  expect(bKey.status).toBe(201);
  bravoKey = bKey.body.key;
  const bRuleId = randomUUID();
  const up = await api('POST', `/api/v1/tenants/${B}/rules`, {
    auth: bearer(bAdmin),
    raw: ruleYaml(bRuleId, 'Bravo zq7 private rule', 'bravo-secret-zq7'),
    headers: { 'content-type': 'application/yaml' },
  });
  expect(up.status, up.text).toBe(201);
  const ex = await api('POST', `/api/v1/tenants/${B}/exceptions`, {
    auth: bearer(bAdmin),
    body: {
      rule_id: bRuleId,
      reason: 'bravo-reason-zq7',
      conditions: [{ field: 'host.name', op: 'equals', value: 'bravo-excluded-zq7' }],
    },
  });
  expect(ex.status, ex.text).toBe(201);
  await ingest(bravoKey, [
    sysmon('BRAVO-HOST-ZQ7.bravo.local', 'whoami /all bravo-secret-zq7', 1, {
      User: 'BRAVO\\zq7-operator',
    }),
  ]);

  // Tenant A: the five credentials the walk uses, and an alert of its own.
  alpha.adminId = await createUser(admin, {
    name: 'alpha-admin',
    role: 'customer_admin',
    tenant: A,
  });
  alpha.viewerId = await createUser(admin, {
    name: 'alpha-viewer',
    role: 'customer_viewer',
    tenant: A,
  });
  alpha.analystId = await createUser(admin, {
    name: 'alpha-analyst',
    role: 'provider_analyst',
    tenants: [A],
  });
  const aAdmin = await login('alpha-admin', PASSWORD);
  const aTok = await api('POST', '/api/v1/tokens', {
    auth: bearer(aAdmin),
    body: { name: 'alpha automation' },
  });
  expect(aTok.status).toBe(201);
  adminToken = aTok.body.token;
  const aKey = await api('POST', `/api/v1/tenants/${A}/keys`, {
    auth: bearer(aAdmin),
    body: { name: 'alpha shipper' },
  });
  alpha.key = aKey.body.key;
  alpha.keyId = aKey.body.id;
  auth.cadmin = bearer(aAdmin);
  auth.cviewer = bearer(await login('alpha-viewer', PASSWORD));
  auth.ctoken = bearer(adminToken);
  auth.ikey = `ApiKey ${alpha.key}`;
  auth.analyst = bearer(await login('alpha-analyst', PASSWORD));
  await ingest(alpha.key, [sysmon('ALPHA-HOST-K3.alpha.local', 'whoami /all', 1)]);
  await server.pipeline.drain();

  const aAlerts = await api('GET', `/api/v1/alerts?tenant=${A}`, { auth: bearer(admin) });
  expect(aAlerts.body.alerts.length).toBeGreaterThan(0);
  alpha.alertId = aAlerts.body.alerts[0].id;

  const bAlerts = await api('GET', `/api/v1/alerts?tenant=${B}`, { auth: bearer(admin) });
  const own = bAlerts.body.alerts.find((a: any) => a.rule.id === bRuleId);
  expect(own, 'B raises an alert from its uploaded rule').toBeDefined();
  const bEvents = await api('GET', `/api/v1/events?tenant=${B}`, { auth: bearer(admin) });
  expect(bEvents.body.events).toHaveLength(1);

  const bIncidents = await api('GET', `/api/v1/incidents?tenant=${B}`, { auth: bearer(admin) });
  expect(bIncidents.body.incidents.length).toBeGreaterThan(0);
  bravo = {
    tenant: B,
    keyId: bKey.body.id,
    alertId: own.id,
    incidentId: bIncidents.body.incidents[0].id,
    exId: ex.body.id,
    ruleId: bRuleId,
    userId: bViewerId,
    userName: 'bravo-viewer-zq7',
    tokenId: bTok.body.id,
  };
  bravoMarkers = [
    B,
    'Bravo zq7 Widgets',
    'bravo-admin-zq7',
    'bravo-viewer-zq7',
    'bravo-analyst-zq7',
    bAdminId,
    bViewerId,
    bAnalystId,
    'bravo-token-zq7',
    bTok.body.id,
    bTok.body.token,
    'bravo-key-zq7',
    bKey.body.id,
    bKey.body.prefix,
    bRuleId,
    'Bravo zq7 private rule',
    'bravo-secret-zq7',
    ex.body.id,
    'bravo-reason-zq7',
    'bravo-excluded-zq7',
    'BRAVO-HOST-ZQ7',
    'bravo-host-zq7',
    'zq7-operator',
    ...bAlerts.body.alerts.map((a: any) => a.id as string),
    ...bEvents.body.events.map((e: any) => e.id as string),
  ];
}, 60_000);

afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Tenant B as the provider admin sees it; compared before and after the walk. */
async function bravoState(): Promise<unknown> {
  const as = { auth: bearer(admin) };
  const get = async (path: string): Promise<unknown> => {
    const r = await api('GET', path, as);
    expect(r.status, `${path}: ${r.text}`).toBe(200);
    return r.body;
  };
  return {
    tenant: await get(`/api/v1/tenants/${B}`),
    users: await get(`/api/v1/users?tenant=${B}`),
    keys: await get(`/api/v1/tenants/${B}/keys`),
    exceptions: await get(`/api/v1/tenants/${B}/exceptions`),
    rules: ((await get(`/api/v1/rules?tenant=${B}`)) as any).rules.filter(
      (r: any) => r.origin === 'tenant',
    ),
    alerts: await get(`/api/v1/alerts?tenant=${B}`),
    events: await get(`/api/v1/events?tenant=${B}`),
  };
}

const GHOST: Target = {
  tenant: 'ghost-zz1',
  keyId: 'ghostkeyzz01',
  alertId: '0123456789abcdef0123456789abcdef',
  incidentId: '0123456789abcdef01234567',
  exId: 'ghostexzz001',
  ruleId: '00000000-0000-4000-8000-000000000000',
  userId: 'ghostuserzz1',
  userName: 'ghost-viewer-zz1',
  tokenId: 'ghosttokzz01',
};

describe('tenant isolation', () => {
  it('the walk covers every route the server serves, hidden ones included, and every OpenAPI operation', async () => {
    const doc = await api('GET', '/api/v1/openapi.json');
    expect(doc.status).toBe(200);
    const documented = Object.entries(doc.body.paths as Record<string, object>).flatMap(
      ([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`),
    );
    expect(documented.length).toBeGreaterThan(20);
    const served = server.routes.map((r) => `${r.method} ${r.url.replace(/:(\w+)/g, '{$1}')}`);
    expect(served.length).toBeGreaterThan(documented.length);
    // A HEAD that Fastify adds beside a GET is walked with the GET's requests.
    const auto = (k: string): boolean =>
      k.startsWith('HEAD ') && served.includes(`GET ${k.slice(5)}`) && !(k in SPECS);
    expect(served.filter((k) => !(k in SPECS) && !auto(k))).toEqual([]);
    expect(documented.filter((k) => !served.includes(k))).toEqual([]);
    expect(Object.keys(SPECS).filter((k) => !served.includes(k))).toEqual([]);
    expect(served.filter((k) => !documented.includes(k) && !auto(k)).length).toBeGreaterThan(40);
  });

  it('A’s five credentials get 401/403/404 and none of B’s data on every route', async () => {
    const before = await bravoState();
    const problems: string[] = [];
    let requests = 0;
    let n = 0;
    const send = async (
      cred: Cred,
      credAuth: string,
      key: string,
      r: Req,
    ): Promise<{ answer: Answer; sent: string }> => {
      const { method, path, opts } = requestOf(key, r);
      requests++;
      const answer = await api(method, path, { ...opts, auth: credAuth });
      const sent = `${path} ${opts.raw ?? JSON.stringify(opts.body ?? '')}`;
      const leaked = bravoMarkers.filter((m) => !sent.includes(m) && answer.text.includes(m));
      if (leaked.length > 0)
        problems.push(`${cred} ${method} ${path}: ${answer.status} leaks ${leaked.join(', ')}`);
      if (answer.status >= 500) problems.push(`${cred} ${method} ${path}: ${answer.status}`);
      return { answer, sent };
    };
    const denied = (s: number): boolean => s === 401 || s === 403 || s === 404;
    const freshAuth = async (cred: Cred): Promise<string> => {
      if (cred === 'ikey') return auth.ikey;
      if (cred === 'ctoken') {
        const t = await api('POST', '/api/v1/tokens', { auth: auth.cadmin, body: { name: 'x' } });
        return bearer(t.body.token);
      }
      const name = { cadmin: 'alpha-admin', cviewer: 'alpha-viewer', analyst: 'alpha-analyst' }[
        cred
      ];
      return bearer(await login(name, PASSWORD));
    };
    const userIds: Record<Cred, string> = {
      cadmin: alpha.adminId,
      cviewer: alpha.viewerId,
      ctoken: alpha.adminId,
      ikey: alpha.viewerId,
      analyst: alpha.analystId,
    };
    const me = (cred: Cred): Me => ({
      cred,
      userId: userIds[cred],
      alertId: alpha.alertId,
      n: n++,
    });

    for (const [key, spec] of Object.entries(SPECS)) {
      const creds = spec.once ? CREDS.slice(0, 1) : CREDS;
      for (const cred of creds) {
        // At B's objects: refused, and refused exactly as for ids that do not exist.
        const real = spec.cross?.(bravo) ?? [];
        const ghost = spec.cross?.(GHOST) ?? [];
        for (const [i, r] of real.entries()) {
          if (r.only && !r.only.includes(cred)) continue;
          const a = await send(cred, auth[cred], key, r);
          const g = await send(cred, auth[cred], key, ghost[i]!);
          const where = `${cred} ${key} ${a.sent}`;
          if (!denied(a.answer.status) && !r.maybe?.includes(cred))
            problems.push(`${where}: ${a.answer.status} ${a.answer.text.slice(0, 200)}`);
          if (key.startsWith('GET ')) {
            const head = await send(cred, auth[cred], `HEAD ${key.slice(4)}`, r);
            if (head.answer.status !== a.answer.status || head.answer.text !== '')
              problems.push(`${where}: HEAD answers ${head.answer.status}, GET ${a.answer.status}`);
          }
          let ghostText = g.answer.text;
          for (const f of Object.keys(GHOST) as (keyof Target)[])
            ghostText = ghostText.replaceAll(GHOST[f], bravo[f]);
          if (g.answer.status !== a.answer.status || ghostText !== a.answer.text) {
            problems.push(
              `${where}: B's objects answer differently from unknown ones: ${a.answer.status} ${a.answer.text.slice(0, 200)} vs ${g.answer.status} ${g.answer.text.slice(0, 200)}`,
            );
          }
        }
        // Inside A: what each role may do, and never a byte of B.
        const credAuth = spec.fresh ? await freshAuth(cred) : auth[cred];
        for (const r of spec.own?.(me(cred)) ?? []) {
          if (r.only && !r.only.includes(cred)) continue;
          const { answer, sent } = await send(cred, credAuth, key, r);
          const ok = answer.status >= 200 && answer.status < 300;
          if (r.maybe?.includes(cred)) continue;
          if (r.allow?.includes(cred) ? !ok : !denied(answer.status))
            problems.push(`${cred} ${key} ${sent}: ${answer.status} ${answer.text.slice(0, 200)}`);
        }
      }
    }
    expect(problems).toEqual([]);
    expect(requests).toBeGreaterThan(400);
    // Nothing A sent changed B.
    await server.pipeline.drain();
    expect(await bravoState()).toEqual(before);
    const still = await ingest(bravoKey, [{ message: 'bravo still ingests' }]);
    expect(still.body.stored).toBe(1);
  }, 60_000);

  it('ingest keys read nothing: every credentialed GET answers 403, even in their own tenant', async () => {
    const doc = await api('GET', '/api/v1/openapi.json');
    const own: Record<string, string> = {
      id: A,
      key: alpha.keyId,
      alert: alpha.alertId,
      incident: 'x',
      ex: 'x',
      rule: 'x',
      name: 'vigil',
    };
    let checked = 0;
    for (const [path, ops] of Object.entries(doc.body.paths as Record<string, any>)) {
      const get = ops.get;
      if (!get || (Array.isArray(get.security) && get.security.length === 0)) continue;
      const url = fill(path, own) + (path === '/api/v1/events' ? `?tenant=${A}` : '');
      for (const scheme of ['ApiKey', 'Splunk', 'Bearer']) {
        const r = await api('GET', url, { auth: `${scheme} ${alpha.key}` });
        expect([401, 403], `${scheme} GET ${url}: ${r.text}`).toContain(r.status);
        expect(r.body.error.code).toMatch(/^(FORBIDDEN|AUTH_FAILED)$/);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(30);
    const cookie = await api('GET', '/api/v1/me', {
      headers: { cookie: `vigil_session=${alpha.key}` },
    });
    expect([401, 403]).toContain(cookie.status);
  });

  it('customer roles never see provider-only fields; the analyst does, so the check can fail', async () => {
    const look = async (cred: Cred, path: string): Promise<any> => {
      const r = await api('GET', path, { auth: auth[cred] });
      expect(r.status, `${cred} ${path}: ${r.text}`).toBe(200);
      return r.body;
    };
    const alertPath = `/api/v1/tenants/${A}/alerts/${alpha.alertId}`;
    for (const cred of CUSTOMERS) {
      const rules = await look(cred, '/api/v1/rules');
      expect(rules.rules.length).toBeGreaterThan(10);
      expect(rules.rules.filter((r: any) => 'file' in r)).toEqual([]);
      expect(JSON.stringify(rules)).not.toMatch(/\.ya?ml"/);
      const alerts = await look(cred, '/api/v1/alerts');
      expect(alerts.alerts.length).toBeGreaterThan(0);
      for (const a of alerts.alerts) expect(a.rule).not.toHaveProperty('file');
      expect((await look(cred, alertPath)).rule).not.toHaveProperty('file');
      const me = await look(cred, '/api/v1/me');
      expect(me.tenants).toEqual([{ id: A, name: 'Alpha Org' }]);
      expect(me.user).not.toHaveProperty('tenants');
      const metrics = await api('GET', '/metrics', { auth: auth[cred] });
      expect(metrics.status).toBe(403);
    }
    const users = await look('cadmin', '/api/v1/users');
    expect(users.users.map((u: any) => u.tenant)).toEqual(users.users.map(() => A));
    for (const u of users.users) expect(u).not.toHaveProperty('tenants');
    const audit = await look('cadmin', '/api/v1/audit');
    expect(audit.entries.length).toBeGreaterThan(0);
    expect(audit).not.toHaveProperty('chain_intact');
    expect(audit).not.toHaveProperty('broken_at');
    expect(audit.entries.map((e: any) => e.tenant)).toEqual(audit.entries.map(() => A));
    const viaLogin = await api('POST', '/api/v1/login', {
      body: { name: 'alpha-viewer', password: PASSWORD },
    });
    expect(viaLogin.body.user).not.toHaveProperty('tenants');

    // The provider side sees them: the assertions above are not vacuous.
    const aRules = await look('analyst', `/api/v1/rules?tenant=${A}`);
    expect(aRules.rules.some((r: any) => typeof r.file === 'string')).toBe(true);
    expect((await look('analyst', alertPath)).rule).toHaveProperty('file');
    const aMe = await look('analyst', '/api/v1/me');
    expect(aMe.user.tenants).toEqual([A]);
    expect(aMe.tenants).toEqual([{ id: A, name: 'Alpha Org' }]);
    const adminUsers = await api('GET', `/api/v1/users?tenant=${A}`, { auth: bearer(admin) });
    expect(adminUsers.body.users[0]).toHaveProperty('tenants');
    const adminAudit = await api('GET', '/api/v1/audit', { auth: bearer(admin) });
    expect(adminAudit.body.chain_intact).toBe(true);
    // An analyst assigned to A reads metrics, but not B's series.
    const m = await api('GET', '/metrics', { auth: auth.analyst });
    expect(m.status).toBe(200);
    expect(m.text).toMatch(new RegExp(`tenant="${A}"`));
    expect(m.text).not.toContain(B);
    const all = await api('GET', '/metrics', { auth: bearer(admin) });
    expect(all.text).toContain(`tenant="${B}"`);
  });

  it('the ingest tenant comes from the key, never from the payload, path or query', async () => {
    const before = await api('GET', `/api/v1/events?tenant=${B}&limit=1000`, {
      auth: bearer(admin),
    });
    const claim = (via: string) => ({
      tenant: B,
      'tenant.id': B,
      organization: { id: B },
      message: `claims ${B} via ${via}`,
    });
    const key = alpha.key;
    const sent: [string, Answer][] = [
      [
        'ingest',
        await api('POST', `/api/v1/ingest?tenant=${B}`, {
          auth: `ApiKey ${key}`,
          raw: JSON.stringify(claim('ingest')),
          headers: { 'x-vigil-tenant': B },
        }),
      ],
      [
        'upload',
        await api('POST', `/api/v1/upload?name=${B}.json&tenant=${B}`, {
          auth: `ApiKey ${key}`,
          raw: JSON.stringify(claim('upload')),
        }),
      ],
      [
        'bulk',
        await api('POST', `/${B}/_bulk`, {
          auth: `Basic ${Buffer.from(`${B}:${key}`).toString('base64')}`,
          raw: `${JSON.stringify({ create: { _index: B } })}\n${JSON.stringify(claim('bulk'))}\n`,
        }),
      ],
      [
        'hec',
        await api('POST', '/services/collector/event', {
          auth: `Splunk ${key}`,
          raw: JSON.stringify({ event: claim('hec'), index: B, fields: { tenant: B } }),
        }),
      ],
    ];
    for (const [via, r] of sent) expect(r.status, `${via}: ${r.text}`).toBe(200);
    await server.pipeline.drain();
    const mine = await api('GET', `/api/v1/events?tenant=${A}&q=claims&limit=1000`, {
      auth: bearer(admin),
    });
    expect(mine.body.events.map((e: any) => e.fields.message).sort()).toEqual(
      ['bulk', 'hec', 'ingest', 'upload'].map((v) => `claims ${B} via ${v}`),
    );
    for (const e of mine.body.events) expect(e.tenant).toBe(A);
    const after = await api('GET', `/api/v1/events?tenant=${B}&limit=1000`, {
      auth: bearer(admin),
    });
    expect(after.body.events.map((e: any) => e.id)).toEqual(
      before.body.events.map((e: any) => e.id),
    );
    // The same bytes sent by both tenants are two events, one each: ids are per tenant.
    const same = sysmon('SHARED-HOST', 'whoami /priv', 7);
    expect((await ingest(alpha.key, [same])).body.stored).toBe(1);
    expect((await ingest(bravoKey, [same])).body.stored).toBe(1);
    await server.pipeline.drain();
    for (const t of [A, B]) {
      const r = await api('GET', `/api/v1/alerts?tenant=${t}&host=shared-host`, {
        auth: bearer(admin),
      });
      expect(r.body.alerts.length, t).toBeGreaterThan(0);
      for (const a of r.body.alerts) expect(a.tenant).toBe(t);
    }
  });

  it('a revoked key, a revoked token, a disabled user and a logged-out session stop working at once', async () => {
    const extra = await api('POST', `/api/v1/tenants/${A}/keys`, {
      auth: auth.cadmin,
      body: { name: 'short-lived' },
    });
    const k = extra.body.key as string;
    expect((await ingest(k, [{ message: 'before revoke' }])).status).toBe(200);
    const del = await api('DELETE', `/api/v1/tenants/${A}/keys/${extra.body.id}`, {
      auth: auth.cadmin,
    });
    expect(del.status).toBe(200);
    const refused = await api('POST', '/api/v1/ingest', { auth: `ApiKey ${k}`, raw: '{"a":1}' });
    expect(refused.status).toBe(401);
    expect(refused.body.error).toEqual({
      code: 'AUTH_FAILED',
      message: 'this ingest key was revoked',
    });
    const bulk = await api('POST', '/_bulk', {
      auth: `ApiKey ${k}`,
      raw: '{"create":{}}\n{"a":1}\n',
    });
    expect(bulk.status).toBe(401);
    const hec = await api('POST', '/services/collector/event', {
      auth: `Splunk ${k}`,
      raw: '{"event":"x"}',
    });
    expect(hec.status).toBe(403);
    expect(hec.body.code).toBe(4);

    const tok = await api('POST', '/api/v1/tokens', { auth: auth.cviewer, body: { name: 't' } });
    expect((await api('GET', '/api/v1/me', { auth: bearer(tok.body.token) })).status).toBe(200);
    await api('DELETE', `/api/v1/tokens/${tok.body.id}`, { auth: auth.cviewer });
    expect((await api('GET', '/api/v1/me', { auth: bearer(tok.body.token) })).status).toBe(401);

    await createUser(adminToken, { name: 'alpha-temp', role: 'customer_viewer' });
    const session = await login('alpha-temp', PASSWORD);
    const list = await api('GET', '/api/v1/users', { auth: auth.cadmin });
    const temp = list.body.users.find((u: any) => u.name === 'alpha-temp');
    const tempTok = await api('POST', '/api/v1/tokens', {
      auth: bearer(session),
      body: { name: 'temp' },
    });
    expect((await api('GET', '/api/v1/alerts', { auth: bearer(session) })).status).toBe(200);
    const off = await api('PATCH', `/api/v1/users/${temp.id}`, {
      auth: auth.cadmin,
      body: { disabled: true },
    });
    expect(off.status).toBe(200);
    for (const t of [session, tempTok.body.token as string]) {
      const r = await api('GET', '/api/v1/alerts', { auth: bearer(t) });
      expect(r.status).toBe(401);
      expect(r.body.error.code).toBe('AUTH_FAILED');
    }
    const again = await api('POST', '/api/v1/login', {
      body: { name: 'alpha-temp', password: PASSWORD },
    });
    expect(again.status).toBe(401);

    const s = await login('alpha-viewer', PASSWORD);
    const viaCookie = { headers: { cookie: `vigil_session=${s}` } };
    expect((await api('GET', '/api/v1/me', viaCookie)).status).toBe(200);
    const out = await api('POST', '/api/v1/logout', { auth: bearer(s) });
    expect(out.status).toBe(200);
    expect(out.headers.get('set-cookie')).toMatch(/Max-Age=0/);
    for (const opts of [{ auth: bearer(s) }, viaCookie]) {
      const r = await api('GET', '/api/v1/me', opts);
      expect(r.status).toBe(401);
      expect(r.body.error.message).toMatch(/revoked/);
    }
  });

  it('sessions expire after the configured lifetime', async () => {
    const d = mkdtempSync(join(tmpdir(), 'vigil-isolation-ttl-'));
    const short = await startServer(
      loadServerConfig({
        env: { VIGIL_ADMIN_PASSWORD: PASSWORD },
        flags: { data: d, port: 0, builtinRules: false, sessionTtlHours: 1 / 3600 },
      }),
      () => undefined,
    );
    try {
      const r = await call(short.url, 'POST', '/api/v1/login', {
        body: { name: 'admin', password: PASSWORD },
      });
      expect(r.status).toBe(200);
      const t = bearer(r.body.token);
      expect(Date.parse(r.body.expires_at) - Date.now()).toBeLessThanOrEqual(1000);
      expect((await call(short.url, 'GET', '/api/v1/me', { auth: t })).status).toBe(200);
      await new Promise((done) => setTimeout(done, 1100));
      const late = await call(short.url, 'GET', '/api/v1/me', { auth: t });
      expect(late.status).toBe(401);
      expect(late.body.error.message).toMatch(/expired/);
    } finally {
      await short.close();
      rmSync(d, { recursive: true, force: true });
    }
  });
});
