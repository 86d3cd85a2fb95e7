/**
 * Rows of the store tables (the same columns in every implementation) and their conversion to and from the
 * domain objects. JSON columns arrive as text (SQLite) or already parsed (PostgreSQL jsonb); they always
 * hold an object or an array, so a string is always JSON text.
 */
import type {
  Alert,
  AlertStatus,
  AuditEntry,
  Credential,
  IngestKey,
  Level,
  NewEvent,
  Role,
  RuleException,
  StoredEvent,
  StoredRule,
  Tenant,
  User,
} from '../core/index.ts';

type JsonColumn = string | object;

function json(value: JsonColumn): unknown {
  return typeof value === 'string' ? JSON.parse(value) : value;
}

export interface TenantRow {
  id: string;
  name: string;
  created_at: number;
  retention_days: number;
  disabled_rules: JsonColumn;
}

export function tenantFromRow(r: TenantRow): Tenant {
  return {
    id: r.id,
    name: r.name,
    createdAt: r.created_at,
    retentionDays: r.retention_days,
    disabledRules: json(r.disabled_rules) as string[],
  };
}

export function tenantParams(t: Tenant): unknown[] {
  return [t.id, t.name, t.createdAt, t.retentionDays, JSON.stringify(t.disabledRules)];
}

export interface UserRow {
  id: string;
  name: string;
  role: string;
  tenant: string;
  tenants: JsonColumn;
  password_hash: string;
  created_at: number;
  disabled: number | boolean;
}

export function userFromRow(r: UserRow): User {
  return {
    id: r.id,
    name: r.name,
    role: r.role as Role,
    tenant: r.tenant,
    tenants: json(r.tenants) as string[],
    passwordHash: r.password_hash,
    createdAt: r.created_at,
    disabled: r.disabled === true || r.disabled === 1,
  };
}

export function userParams(u: User): unknown[] {
  return [
    u.id,
    u.name,
    u.role,
    u.tenant,
    JSON.stringify(u.tenants),
    u.passwordHash,
    u.createdAt,
    u.disabled ? 1 : 0,
  ];
}

export interface CredentialRow {
  id: string;
  kind: string;
  user_id: string;
  tenant: string;
  name: string;
  hash: string;
  created_at: number;
  expires_at: number | null;
  revoked_at: number | null;
}

export function credentialFromRow(r: CredentialRow): Credential {
  return {
    id: r.id,
    kind: r.kind as Credential['kind'],
    userId: r.user_id,
    tenant: r.tenant,
    name: r.name,
    hash: r.hash,
    createdAt: r.created_at,
    ...(r.expires_at === null ? {} : { expiresAt: r.expires_at }),
    ...(r.revoked_at === null ? {} : { revokedAt: r.revoked_at }),
  };
}

export function credentialParams(c: Credential): unknown[] {
  return [
    c.id,
    c.kind,
    c.userId,
    c.tenant,
    c.name,
    c.hash,
    c.createdAt,
    c.expiresAt ?? null,
    c.revokedAt ?? null,
  ];
}

export interface IngestKeyRow {
  id: string;
  tenant: string;
  name: string;
  prefix: string;
  hash: string;
  created_at: number;
  revoked_at: number | null;
}

export function ingestKeyFromRow(r: IngestKeyRow): IngestKey {
  return {
    id: r.id,
    tenant: r.tenant,
    name: r.name,
    prefix: r.prefix,
    hash: r.hash,
    createdAt: r.created_at,
    ...(r.revoked_at === null ? {} : { revokedAt: r.revoked_at }),
  };
}

export function ingestKeyParams(k: IngestKey): unknown[] {
  return [k.id, k.tenant, k.name, k.prefix, k.hash, k.createdAt, k.revokedAt ?? null];
}

export const EVENT_COLUMNS =
  'seq, tenant, id, ts, received_at, source, format, receiver, host_name, user_name, fields, entities';

export interface EventRow {
  seq: number;
  tenant: string;
  id: string;
  ts: number;
  received_at: number;
  source: JsonColumn;
  format: string;
  receiver: string;
  host_name: string | null;
  user_name: string | null;
  fields: JsonColumn;
  entities: JsonColumn;
}

export function eventFromRow(r: EventRow): StoredEvent {
  return {
    seq: r.seq,
    id: r.id,
    tenant: r.tenant,
    ts: r.ts,
    receivedAt: r.received_at,
    source: json(r.source) as StoredEvent['source'],
    format: r.format,
    receiver: r.receiver,
    fields: json(r.fields) as StoredEvent['fields'],
    entities: json(r.entities) as StoredEvent['entities'],
    ...(r.host_name === null ? {} : { host: r.host_name }),
    ...(r.user_name === null ? {} : { user: r.user_name }),
  };
}

/** The stored form of an event the caller handed in (a copy: extra properties are not carried). */
export function storedEvent(e: NewEvent, seq: number): StoredEvent {
  return {
    seq,
    id: e.id,
    tenant: e.tenant,
    ts: e.ts,
    receivedAt: e.receivedAt,
    source: e.source,
    format: e.format,
    receiver: e.receiver,
    fields: e.fields,
    entities: e.entities,
    ...(e.host === undefined ? {} : { host: e.host }),
    ...(e.user === undefined ? {} : { user: e.user }),
  };
}

export const ALERT_COLUMNS =
  'tenant, id, rule, kind, level, ts, created_at, host_name, user_name, event_ids, matched, grp, entities, status';

export interface AlertRow {
  tenant: string;
  id: string;
  rule: JsonColumn;
  kind: string;
  level: string;
  ts: number;
  created_at: number;
  host_name: string | null;
  user_name: string | null;
  event_ids: JsonColumn;
  matched: JsonColumn;
  grp: JsonColumn | null;
  entities: JsonColumn;
  status: string;
}

export function alertFromRow(r: AlertRow): Alert {
  return {
    id: r.id,
    tenant: r.tenant,
    rule: json(r.rule) as Alert['rule'],
    kind: r.kind as Alert['kind'],
    level: r.level as Level,
    ts: r.ts,
    createdAt: r.created_at,
    ...(r.host_name === null ? {} : { host: r.host_name }),
    ...(r.user_name === null ? {} : { user: r.user_name }),
    eventIds: json(r.event_ids) as string[],
    matched: json(r.matched) as Alert['matched'],
    ...(r.grp === null ? {} : { group: json(r.grp) as NonNullable<Alert['group']> }),
    entities: json(r.entities) as Alert['entities'],
    status: r.status as AlertStatus,
  };
}

export interface ExceptionRow {
  tenant: string;
  id: string;
  rule_id: string | null;
  conditions: JsonColumn;
  reason: string;
  author: string;
  created_at: number;
  expires_at: number | null;
  hits: number;
  last_hit_at: number | null;
}

export function exceptionFromRow(r: ExceptionRow): RuleException {
  return {
    id: r.id,
    tenant: r.tenant,
    ...(r.rule_id === null ? {} : { ruleId: r.rule_id }),
    conditions: json(r.conditions) as RuleException['conditions'],
    reason: r.reason,
    author: r.author,
    createdAt: r.created_at,
    ...(r.expires_at === null ? {} : { expiresAt: r.expires_at }),
    hits: r.hits,
    ...(r.last_hit_at === null ? {} : { lastHitAt: r.last_hit_at }),
  };
}

export function exceptionParams(x: RuleException): unknown[] {
  return [
    x.tenant,
    x.id,
    x.ruleId ?? null,
    JSON.stringify(x.conditions),
    x.reason,
    x.author,
    x.createdAt,
    x.expiresAt ?? null,
    x.hits,
    x.lastHitAt ?? null,
  ];
}

export interface RuleRow {
  tenant: string;
  id: string;
  yaml: string;
  author: string;
  created_at: number;
}

export function ruleFromRow(r: RuleRow): StoredRule {
  return { id: r.id, tenant: r.tenant, yaml: r.yaml, author: r.author, createdAt: r.created_at };
}

export interface AuditRow {
  seq: number;
  tenant: string;
  ts: number;
  actor: string;
  action: string;
  target: string;
  detail: JsonColumn;
  prev_hash: string;
  hash: string;
}

export function auditFromRow(r: AuditRow): AuditEntry {
  return {
    seq: r.seq,
    tenant: r.tenant,
    ts: r.ts,
    actor: r.actor,
    action: r.action,
    target: r.target,
    detail: json(r.detail) as AuditEntry['detail'],
    prevHash: r.prev_hash,
    hash: r.hash,
  };
}
