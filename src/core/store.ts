/**
 * The store seam: everything the server keeps. Every method that reads or writes tenant data takes the
 * tenant (or an explicit list of tenants) as an argument; there is no query path without one. The only
 * cross-tenant reads are the explicitly named provider-side functions (`listTenants`, `eventsAfter`).
 *
 * Contract (checked by `describeStoreContract` in `src/store/contract.ts` for every implementation):
 * - all methods are async and may be called concurrently; writes are durable when their promise resolves;
 * - ids are chosen by the caller (the store never invents them), except `seq` numbers;
 * - `insertAlerts` is idempotent on (tenant, id); `appendEvents` is idempotent on (tenant, id);
 * - reads return plain objects the caller may keep; nothing returned aliases store internals;
 * - a method given a tenant never returns a row of another tenant.
 */
import type { Level } from './event.ts';
import type {
  Alert,
  AlertStatus,
  AuditEntry,
  Credential,
  IngestKey,
  NewEvent,
  RuleException,
  StoredEvent,
  StoredRule,
  Tenant,
  User,
} from './domain.ts';
import type {
  IncidentCase,
  IncidentCasePatch,
  IncidentEvidence,
  IncidentNote,
  IncidentPage,
  IncidentQuery,
  IncidentRecord,
} from './incident.ts';

/** A page of results and the cursor for the next one (absent on the last page). */
export interface Page<T> {
  readonly items: readonly T[];
  readonly next?: string;
}

export interface AlertQuery {
  /** Tenants to search; required and non-empty. */
  readonly tenants: readonly string[];
  /** ms since epoch, inclusive / exclusive, on the alert's `ts`. */
  readonly from?: number;
  readonly to?: number;
  /** Minimum level. */
  readonly level?: Level;
  readonly ruleId?: string;
  readonly host?: string;
  readonly status?: AlertStatus;
  /** Default 100, at most 1000. */
  readonly limit?: number;
  /** Opaque, from a previous page's `next`. */
  readonly cursor?: string;
}

/** A field filter on event search: equality, case-insensitive, on an original or an entity field. */
export interface FieldFilter {
  readonly field: string;
  readonly value: string;
}

export interface EventQuery {
  readonly tenant: string;
  readonly from?: number;
  readonly to?: number;
  readonly host?: string;
  readonly user?: string;
  readonly filters?: readonly FieldFilter[];
  /** Case-insensitive substring over the whole event. */
  readonly text?: string;
  readonly limit?: number;
  readonly cursor?: string;
}

export interface PurgeResult {
  readonly events: number;
  readonly alerts: number;
}

export interface Store {
  // tenants (listTenants is provider-side)
  createTenant(tenant: Tenant): Promise<void>;
  getTenant(id: string): Promise<Tenant | undefined>;
  listTenants(): Promise<readonly Tenant[]>;
  updateTenant(
    id: string,
    patch: Partial<Pick<Tenant, 'name' | 'retentionDays' | 'disabledRules'>>,
  ): Promise<Tenant | undefined>;

  // users and credentials
  createUser(user: User): Promise<void>;
  getUser(id: string): Promise<User | undefined>;
  getUserByName(name: string): Promise<User | undefined>;
  /** Users of these tenants (pass `PROVIDER_TENANT` for provider users). */
  listUsers(tenants: readonly string[]): Promise<readonly User[]>;
  updateUser(
    id: string,
    patch: Partial<Pick<User, 'role' | 'tenants' | 'passwordHash' | 'disabled'>>,
  ): Promise<User | undefined>;
  countUsers(): Promise<number>;
  createCredential(credential: Credential): Promise<void>;
  findCredential(hash: string): Promise<Credential | undefined>;
  listCredentials(userId: string): Promise<readonly Credential[]>;
  revokeCredential(id: string, at: number): Promise<boolean>;

  // ingest keys
  createIngestKey(key: IngestKey): Promise<void>;
  /** Any tenant's key by hash: this is how ingest learns its tenant. Revoked keys are returned too. */
  findIngestKey(hash: string): Promise<IngestKey | undefined>;
  listIngestKeys(tenant: string): Promise<readonly IngestKey[]>;
  revokeIngestKey(tenant: string, id: string, at: number): Promise<boolean>;

  // events
  /** Appends in one transaction; returns the events with their `seq`. Duplicates (tenant, id) are skipped. */
  appendEvents(events: readonly NewEvent[]): Promise<readonly StoredEvent[]>;
  /** Provider-side: the next events of every tenant after `seq`, in seq order (the detection consumer). */
  eventsAfter(seq: number, limit: number): Promise<readonly StoredEvent[]>;
  getEvents(tenant: string, ids: readonly string[]): Promise<readonly StoredEvent[]>;
  searchEvents(query: EventQuery): Promise<Page<StoredEvent>>;
  countEvents(tenant: string): Promise<number>;

  // named cursors (the detection consumer's position)
  getCursor(name: string): Promise<number>;
  setCursor(name: string, seq: number): Promise<void>;

  // alerts
  /** Inserts those not already stored; returns the ones that were new. */
  insertAlerts(alerts: readonly Alert[]): Promise<readonly Alert[]>;
  getAlert(tenant: string, id: string): Promise<Alert | undefined>;
  listAlerts(query: AlertQuery): Promise<Page<Alert>>;
  setAlertStatus(tenant: string, id: string, status: AlertStatus): Promise<Alert | undefined>;

  // exceptions
  createException(exception: RuleException): Promise<void>;
  listExceptions(tenant: string): Promise<readonly RuleException[]>;
  getException(tenant: string, id: string): Promise<RuleException | undefined>;
  deleteException(tenant: string, id: string): Promise<boolean>;
  /** Adds `count` hits at `at`. */
  recordExceptionHits(tenant: string, id: string, count: number, at: number): Promise<void>;

  // uploaded rules
  saveRule(rule: StoredRule): Promise<void>;
  listRules(tenant: string): Promise<readonly StoredRule[]>;
  /** Provider-side: every tenant's uploaded rules, for building detectors at start. */
  listAllRules(): Promise<readonly StoredRule[]>;
  deleteRule(tenant: string, id: string): Promise<boolean>;

  // audit
  /** Appends one row, chaining its hash to the previous row's (installation-wide chain). */
  appendAudit(entry: Omit<AuditEntry, 'seq' | 'prevHash' | 'hash'>): Promise<AuditEntry>;
  listAudit(tenants: readonly string[], limit?: number): Promise<readonly AuditEntry[]>;
  /** Recomputes the chain; returns the seq of the first broken row, or undefined when intact. */
  verifyAudit(): Promise<number | undefined>;

  // incidents
  /**
   * Upserts the computed part of incidents in one transaction: each one's row, its alerts (an alert belongs
   * to one incident: mapping it here moves it), its similarity keys; creates a `new` case (at `now`) for
   * each incident without one.
   */
  saveIncidents(
    tenant: string,
    incidents: readonly (IncidentRecord & { readonly alertIds: readonly string[] })[],
    now: number,
  ): Promise<void>;
  /** Drops an incident's computed part (its alerts now belong elsewhere) and marks its case merged. */
  retireIncident(tenant: string, id: string, mergedInto: string, now: number): Promise<void>;
  /** The incident (computed part absent only when it was merged away) and its case. */
  getIncident(
    tenant: string,
    id: string,
  ): Promise<{ readonly record?: IncidentRecord; readonly case: IncidentCase } | undefined>;
  /** The queue: open and closed incidents (never merged ones), highest score first. */
  listIncidents(query: IncidentQuery): Promise<IncidentPage>;
  /** Which incident each of these alerts belongs to (alerts in none are absent). */
  incidentsOfAlerts(
    tenant: string,
    alertIds: readonly string[],
  ): Promise<ReadonlyMap<string, string>>;
  incidentAlertIds(tenant: string, id: string): Promise<readonly string[]>;
  /** Applies the patch; undefined when there is no such case. */
  updateIncidentCase(
    tenant: string,
    id: string,
    patch: IncidentCasePatch,
  ): Promise<IncidentCase | undefined>;
  /** Other incidents of the tenant sharing keys with this one, most shared first. */
  similarIncidents(
    tenant: string,
    id: string,
    limit: number,
  ): Promise<readonly { readonly id: string; readonly shared: readonly string[] }[]>;
  addIncidentNote(note: IncidentNote): Promise<void>;
  listIncidentNotes(tenant: string, incident: string): Promise<readonly IncidentNote[]>;
  addIncidentEvidence(evidence: IncidentEvidence): Promise<void>;
  listIncidentEvidence(tenant: string, incident: string): Promise<readonly IncidentEvidence[]>;
  /** Analyst decisions that override grouping (merge, split): these alerts belong to that incident. */
  pinAlerts(tenant: string, incident: string, alertIds: readonly string[]): Promise<void>;
  /** The pins of these alerts (all of the tenant's when absent). */
  listPins(tenant: string, alertIds?: readonly string[]): Promise<ReadonlyMap<string, string>>;

  // per-tenant settings (SLA targets, asset tags, grouping policy), each a JSON value under a key
  getTenantSetting(tenant: string, key: string): Promise<unknown>;
  setTenantSetting(tenant: string, key: string, value: unknown): Promise<void>;

  // retention
  /** Deletes the tenant's events with ts < eventsBefore and alerts with ts < alertsBefore. */
  purge(tenant: string, eventsBefore: number, alertsBefore: number): Promise<PurgeResult>;

  close(): Promise<void>;
}

/**
 * Where receivers hand events to the server's pipeline. `submit` resolves once every event is durable in
 * the store (only then may a receiver acknowledge); it rejects with `VigilError('INGEST_BUSY')` when the
 * pipeline's backlog is over its bound, and then stores nothing of the call.
 */
export interface IngestSink {
  submit(events: readonly NewEvent[]): Promise<{ readonly stored: number }>;
  /** True when a submit now would be refused; receivers use it to answer 429 before reading a body. */
  busy(): boolean;
}
