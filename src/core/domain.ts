/** The server's domain objects: tenants, principals, credentials, stored events, alerts, exceptions, audit. */
import type { FieldValue, Fields, Level, LogSource } from './event.ts';
import type { RuleRef } from './seams.ts';

/**
 * The tenant id that provider-side rows (provider users, audit of provider actions) carry. Customer data
 * never uses it: ingest keys belong to real tenants only.
 */
export const PROVIDER_TENANT = '_provider';

/** A customer organisation. */
export interface Tenant {
  readonly id: string;
  readonly name: string;
  /** ms since epoch. */
  readonly createdAt: number;
  /** Events older than this many days are purged; alerts are kept twice as long. 0 = keep forever. */
  readonly retentionDays: number;
  /** Rule ids disabled for this tenant (every loaded rule is enabled unless listed here). */
  readonly disabledRules: readonly string[];
}

export const ROLES = [
  'provider_admin',
  'provider_analyst',
  'customer_admin',
  'customer_viewer',
] as const;
export type Role = (typeof ROLES)[number];

export function isProviderRole(role: Role): boolean {
  return role === 'provider_admin' || role === 'provider_analyst';
}

/** A person who logs in. Customer roles belong to one tenant; provider roles to `PROVIDER_TENANT`. */
export interface User {
  readonly id: string;
  /** Login name, unique across the installation. */
  readonly name: string;
  readonly role: Role;
  /** The user's own tenant: `PROVIDER_TENANT` for provider roles. */
  readonly tenant: string;
  /** Provider analysts: the tenants assigned to them; empty means all tenants. Unused for other roles. */
  readonly tenants: readonly string[];
  /** argon2id PHC string. Never leaves the server. */
  readonly passwordHash: string;
  readonly createdAt: number;
  readonly disabled: boolean;
}

/** A login session or an API token: both resolve to a user. Only a hash of the secret is stored. */
export interface Credential {
  readonly id: string;
  readonly kind: 'session' | 'token';
  readonly userId: string;
  /** The user's tenant, so the row carries a tenant like every other. */
  readonly tenant: string;
  /** Token name as its owner gave it; empty for sessions. */
  readonly name: string;
  /** sha256 hex of the secret. */
  readonly hash: string;
  readonly createdAt: number;
  /** ms since epoch; undefined = never expires (tokens without expiry). */
  readonly expiresAt?: number;
  readonly revokedAt?: number;
}

/** A per-tenant ingest key: may send events for its tenant and nothing else. */
export interface IngestKey {
  readonly id: string;
  readonly tenant: string;
  readonly name: string;
  /** The first characters of the key, shown in listings so people can tell keys apart. */
  readonly prefix: string;
  /** sha256 hex of the key. */
  readonly hash: string;
  readonly createdAt: number;
  readonly revokedAt?: number;
}

/**
 * ECS-named entity fields derived from an event's own fields at ingest (`host.name`, `user.name`,
 * `process.pid`, `process.executable`, `source.ip`, `destination.ip`, `file.path`, `hash.sha256`, …).
 */
export type EntityFields = Readonly<Record<string, string | number>>;

/** An event as the server stores it. */
export interface StoredEvent {
  /** Store-assigned, increasing in commit order across the installation; the detection cursor follows it. */
  readonly seq: number;
  /** Stable id: `<tenant-free hash>`; unique per tenant. */
  readonly id: string;
  readonly tenant: string;
  /** Event time, ms since epoch (the receive time when the record had none). */
  readonly ts: number;
  /** When the server accepted it, ms since epoch. */
  readonly receivedAt: number;
  readonly source: LogSource;
  /** The reader that produced it (`evtx-json`, `ecs`, `syslog`, …). */
  readonly format: string;
  /** The receiver it came through (`ingest`, `bulk`, `hec`, `syslog-tcp:5514`, `upload`). */
  readonly receiver: string;
  readonly fields: Fields;
  readonly entities: EntityFields;
  /** Host and user, pulled out for indexing (from `entities`). */
  readonly host?: string;
  readonly user?: string;
}

/** An event before the store has accepted it. */
export type NewEvent = Omit<StoredEvent, 'seq'>;

export const ALERT_STATUSES = ['new', 'acknowledged', 'closed'] as const;
export type AlertStatus = (typeof ALERT_STATUSES)[number];

/** A rule hit the server raised. */
export interface Alert {
  /** Derived from the rule and the events (and group for correlations): a redelivered event cannot raise a second alert. */
  readonly id: string;
  readonly tenant: string;
  readonly rule: RuleRef;
  readonly kind: 'event' | 'correlation';
  readonly level: Level;
  /** Time of the (last) event that completed the match. */
  readonly ts: number;
  readonly createdAt: number;
  readonly host?: string;
  readonly user?: string;
  /** Ids of the events that made the hit (stored events of the same tenant). */
  readonly eventIds: readonly string[];
  readonly matched: Readonly<Record<string, FieldValue>>;
  readonly group?: Readonly<Record<string, FieldValue>>;
  readonly entities: EntityFields;
  readonly status: AlertStatus;
}

export const CONDITION_OPS = ['equals', 'contains', 'startswith', 'endswith', 'cidr'] as const;
export type ConditionOp = (typeof CONDITION_OPS)[number];

/** One field condition of an exception: all conditions of an exception must hold (case-insensitive). */
export interface ExceptionCondition {
  readonly field: string;
  readonly op: ConditionOp;
  readonly value: string;
}

/** A suppression: alerts it matches are not raised, only counted. */
export interface RuleException {
  readonly id: string;
  readonly tenant: string;
  /** Rule id it applies to; undefined = every rule. */
  readonly ruleId?: string;
  readonly conditions: readonly ExceptionCondition[];
  readonly reason: string;
  /** User name of who made it. */
  readonly author: string;
  readonly createdAt: number;
  /** ms since epoch; undefined = never expires. */
  readonly expiresAt?: number;
  /** How many alerts it has suppressed. */
  readonly hits: number;
  readonly lastHitAt?: number;
}

/** A rule uploaded through the API, kept in the store so it survives restarts. */
export interface StoredRule {
  readonly id: string;
  /** Tenant the rule is private to. */
  readonly tenant: string;
  readonly yaml: string;
  readonly author: string;
  readonly createdAt: number;
}

/** One row of the append-only audit log. `hash` = sha256(prevHash + canonical JSON of the rest). */
export interface AuditEntry {
  readonly seq: number;
  readonly tenant: string;
  readonly ts: number;
  /** `user:<name>`, `key:<id>`, `system`. */
  readonly actor: string;
  /** `tenant.create`, `user.create`, `key.revoke`, `exception.create`, `exception.hit`, `rule.disable`, … */
  readonly action: string;
  /** Id of the object acted on. */
  readonly target: string;
  readonly detail: Readonly<Record<string, unknown>>;
  readonly prevHash: string;
  readonly hash: string;
}
