/**
 * The console's only way to the server: JSON over HTTP to `/api/v1`, authenticated by the session
 * cookie that login sets (HttpOnly, so script never sees the secret). Errors come back as `ApiError`
 * with the API's code and message.
 */
import type {
  AlertWithEvents,
  AuditEntry,
  Incident,
  IncidentPage,
  IncidentStatus,
  IncidentSummary,
  IngestKey,
  Me,
  RuleException,
  RuleIssue,
  RuleListing,
  StoredEvent,
  Tenant,
  User,
  Alert,
  Determination,
  ExceptionCondition,
} from './types.ts';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly issues: readonly RuleIssue[] = [],
  ) {
    super(message);
  }
}

/** Called when any request answers 401 (the session ended): the app goes back to the login page. */
let onUnauthorized: () => void = () => undefined;
export function setUnauthorizedHandler(f: () => void): void {
  onUnauthorized = f;
}

type Query = Record<string, string | number | boolean | readonly string[] | undefined | null>;

export function withQuery(path: string, q: Query = {}): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) {
    if (v === undefined || v === null || v === '') continue;
    if (Array.isArray(v)) for (const x of v as readonly string[]) p.append(k, x);
    else p.append(k, String(v));
  }
  const s = p.toString();
  return s ? `${path}?${s}` : path;
}

export async function request<T>(
  method: string,
  path: string,
  body?: unknown,
  opts: { raw?: string; contentType?: string; quiet401?: boolean } = {},
): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  let payload: string | undefined;
  if (opts.raw !== undefined) {
    payload = opts.raw;
    headers['content-type'] = opts.contentType ?? 'text/plain';
  } else if (body !== undefined) {
    payload = JSON.stringify(body);
    headers['content-type'] = 'application/json';
  }
  const res = await fetch(path, {
    method,
    headers,
    credentials: 'same-origin',
    ...(payload === undefined ? {} : { body: payload }),
  });
  const text = await res.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  if (!res.ok) {
    const err = (
      json as { error?: { code?: string; message?: string; issues?: RuleIssue[] } } | undefined
    )?.error;
    if (res.status === 401 && !opts.quiet401) onUnauthorized();
    throw new ApiError(
      res.status,
      err?.code ?? `HTTP_${res.status}`,
      err?.message ?? (text.slice(0, 200) || res.statusText),
      err?.issues ?? [],
    );
  }
  return json as T;
}

/**
 * The answer to GET /api/v1/me that public/boot.js asked for before the bundle loaded, read as
 * `request` would; the first `meOnce()` takes it.
 */
function takeBootMe(): Promise<Me> | undefined {
  const w = window as { vigilBootMe?: Promise<Response> };
  const early = w.vigilBootMe;
  if (!early) return undefined;
  delete w.vigilBootMe;
  return early.then(async (res) => {
    const text = await res.text();
    if (res.ok) return JSON.parse(text) as Me;
    let err: { code?: string; message?: string } | undefined;
    try {
      err = (JSON.parse(text) as { error?: { code?: string; message?: string } }).error;
    } catch {
      err = undefined;
    }
    throw new ApiError(
      res.status,
      err?.code ?? `HTTP_${res.status}`,
      err?.message ?? res.statusText,
    );
  });
}

export function meOnce(): Promise<Me> {
  return takeBootMe() ?? api.me();
}

const enc = encodeURIComponent;

export const api = {
  login: (name: string, password: string) =>
    request<{ user: User }>('POST', '/api/v1/login', { name, password }, { quiet401: true }),
  logout: () => request<{ ok: boolean }>('POST', '/api/v1/logout'),
  me: () => request<Me>('GET', '/api/v1/me', undefined, { quiet401: true }),
  tenants: () => request<{ tenants: Tenant[] }>('GET', '/api/v1/tenants'),
  createTenant: (name: string) => request<Tenant>('POST', '/api/v1/tenants', { name }),
  users: (tenant?: string) =>
    request<{ users: User[] }>('GET', withQuery('/api/v1/users', { tenant })),
  createUser: (body: {
    name: string;
    password: string;
    role: string;
    tenant?: string;
    tenants?: string[];
  }) => request<User>('POST', '/api/v1/users', body),
  updateUser: (id: string, body: { disabled?: boolean }) =>
    request<User>('PATCH', `/api/v1/users/${enc(id)}`, body),
  keys: (tenant: string) =>
    request<{ keys: IngestKey[] }>('GET', `/api/v1/tenants/${enc(tenant)}/keys`),
  createKey: (tenant: string, name: string) =>
    request<IngestKey & { key: string }>('POST', `/api/v1/tenants/${enc(tenant)}/keys`, { name }),
  revokeKey: (tenant: string, id: string) =>
    request<{ ok: boolean }>('DELETE', `/api/v1/tenants/${enc(tenant)}/keys/${enc(id)}`),

  incidents: (
    tenant: string | undefined,
    q: {
      limit?: number;
      cursor?: string;
      status?: string;
      severity?: string;
      assignee?: string;
      technique?: string;
      host?: string;
    } = {},
  ) =>
    request<IncidentPage & { tenant?: string }>(
      'GET',
      withQuery('/api/v1/incidents', { tenant, ...q }),
    ),
  incident: (tenant: string, id: string) =>
    request<Incident>('GET', `/api/v1/tenants/${enc(tenant)}/incidents/${enc(id)}`),
  updateIncident: (
    tenant: string,
    id: string,
    body: {
      status?: IncidentStatus;
      determination?: Determination;
      assignee?: string | null;
      tags?: string[];
    },
  ) =>
    request<IncidentSummary>('PATCH', `/api/v1/tenants/${enc(tenant)}/incidents/${enc(id)}`, body),
  addNote: (tenant: string, id: string, text: string) =>
    request<unknown>('POST', `/api/v1/tenants/${enc(tenant)}/incidents/${enc(id)}/notes`, {
      text,
    }),
  addEvidence: (tenant: string, id: string, body: { kind: string; ref: string; note: string }) =>
    request<unknown>('POST', `/api/v1/tenants/${enc(tenant)}/incidents/${enc(id)}/evidence`, body),
  mergeIncidents: (tenant: string, ids: string[]) =>
    request<Incident>('POST', `/api/v1/tenants/${enc(tenant)}/incidents/merge`, { ids }),
  incidentAudit: (tenant: string, id: string) =>
    request<{ audit: Omit<AuditEntry, 'tenant'>[] }>(
      'GET',
      `/api/v1/tenants/${enc(tenant)}/incidents/${enc(id)}/audit`,
    ),

  alerts: (q: { tenant?: string; host?: string; rule?: string; limit?: number; from?: string }) =>
    request<{ alerts: Alert[]; next: string | null }>('GET', withQuery('/api/v1/alerts', q)),
  alert: (tenant: string, id: string) =>
    request<AlertWithEvents>('GET', `/api/v1/tenants/${enc(tenant)}/alerts/${enc(id)}`),
  events: (q: {
    tenant: string;
    from?: string;
    to?: string;
    host?: string;
    user?: string;
    q?: string;
    field?: string[];
    limit?: number;
    cursor?: string;
  }) =>
    request<{ events: StoredEvent[]; next: string | null }>('GET', withQuery('/api/v1/events', q)),

  rules: (tenant: string) =>
    request<{ tenant: string; rules: RuleListing[] }>(
      'GET',
      withQuery('/api/v1/rules', { tenant }),
    ),
  ruleSource: (tenant: string, rule: string) =>
    request<{ id: string; title: string; yaml: string }>(
      'GET',
      withQuery(`/api/v1/rules/${enc(rule)}`, { tenant }),
    ),
  setRule: (tenant: string, rule: string, enabled: boolean) =>
    request<unknown>('PUT', `/api/v1/tenants/${enc(tenant)}/rules/${enc(rule)}`, { enabled }),
  uploadRule: (tenant: string, yaml: string, dryRun: boolean) =>
    request<{ stored: boolean; rules: { id: string; title: string }[]; issues: RuleIssue[] }>(
      'POST',
      withQuery(`/api/v1/tenants/${enc(tenant)}/rules`, { dry_run: dryRun }),
      { yaml },
    ),
  exceptions: (tenant: string) =>
    request<{ exceptions: RuleException[] }>('GET', `/api/v1/tenants/${enc(tenant)}/exceptions`),
  createException: (
    tenant: string,
    body: {
      rule_id?: string;
      reason: string;
      expires_at?: string;
      conditions: ExceptionCondition[];
    },
  ) => request<RuleException>('POST', `/api/v1/tenants/${enc(tenant)}/exceptions`, body),
  deleteException: (tenant: string, id: string) =>
    request<unknown>('DELETE', `/api/v1/tenants/${enc(tenant)}/exceptions/${enc(id)}`),
  audit: (tenant?: string) =>
    request<{ entries: AuditEntry[] }>('GET', withQuery('/api/v1/audit', { tenant, limit: 200 })),
};
