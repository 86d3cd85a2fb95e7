/** The embedded store: one SQLite file (better-sqlite3, WAL) holding everything the server keeps. */
import Database from 'better-sqlite3';
import {
  VigilError,
  levelRank,
  type Alert,
  type AlertQuery,
  type AlertStatus,
  type AuditEntry,
  type Credential,
  type EventQuery,
  type IncidentCase,
  type IncidentCasePatch,
  type IncidentEvidence,
  type IncidentNote,
  type IncidentPage,
  type IncidentQuery,
  type IncidentRecord,
  type IngestKey,
  type NewEvent,
  type Page,
  type PurgeResult,
  type RuleException,
  type Store,
  type StoredEvent,
  type StoredRule,
  type Tenant,
  type User,
} from '../../core/index.ts';
import { AuditChainWalker, GENESIS_HASH, auditHash, normaliseDetail } from '../audit-chain.ts';
import { decodeCursor, encodeCursor, pageLimit, positiveLimit } from '../paging.ts';
import {
  ALERT_COLUMNS,
  EVENT_COLUMNS,
  alertFromRow,
  auditFromRow,
  credentialFromRow,
  credentialParams,
  eventFromRow,
  exceptionFromRow,
  exceptionParams,
  ingestKeyFromRow,
  ingestKeyParams,
  ruleFromRow,
  storedEvent,
  tenantFromRow,
  tenantParams,
  userFromRow,
  userParams,
  type AlertRow,
  type AuditRow,
  type CredentialRow,
  type EventRow,
  type ExceptionRow,
  type IngestKeyRow,
  type RuleRow,
  type TenantRow,
  type UserRow,
} from '../rows.ts';
import { SqliteIncidents } from './incidents.ts';
import { migrate } from './schema.ts';
import { eventTextMatches, foldValue, memberPath, textNeedle } from './text-match.ts';

export interface SqliteStoreOptions {
  /** Database file (created when missing; its directory must exist), or `:memory:` for a private one. */
  readonly path: string;
  /**
   * `NORMAL` (default): in WAL mode a commit survives a crash of the process; a power loss may lose the
   * last commits but never corrupts the file. `FULL`: every commit is on disk when its promise resolves.
   */
  readonly synchronous?: 'NORMAL' | 'FULL';
  /** How long a write waits for another connection's lock before failing with `STORE`, ms (default 5000). */
  readonly busyTimeoutMs?: number;
  /**
   * WAL pages after which a commit of this connection checkpoints (SQLite's default 1000). A connection
   * that writes events in bulk does better with more: hot index pages are copied to the file less often.
   */
  readonly walAutocheckpointPages?: number;
}

/**
 * An event's JSON columns serialised ahead of time (on another thread), as `JSON.stringify` gives them:
 * `appendEvents` then only writes them.
 */
export interface EncodedEvent {
  readonly source: string;
  readonly fields: string;
  readonly entities: string;
}

/** The SQLite store; beyond `Store` it exposes its file and raw handle (tests, maintenance, backups). */
export interface SqliteStore extends Store {
  /** `Store.appendEvents`, optionally with each event's JSON columns already serialised (same order). */
  appendEvents(
    events: readonly NewEvent[],
    encoded?: readonly EncodedEvent[],
  ): Promise<readonly StoredEvent[]>;
  readonly path: string;
  /** Schema version after migration. */
  readonly schemaVersion: number;
  /** The better-sqlite3 handle. Writing through it bypasses every check of the store. */
  readonly db: Database.Database;
}

/** Alert listings over at most this many tenants merge one index walk per tenant; more sort. */
const MERGED_TENANTS = 32;

/** Rows deleted per statement by `purge`; the event loop runs between chunks. */
const PURGE_CHUNK = 5000;

/**
 * Opens (creating and migrating when needed) the store at `opts.path`. Throws `VigilError('STORE')`, naming
 * the path, when the file is not a SQLite database, cannot be created, or has a newer schema.
 */
export function openSqliteStore(opts: SqliteStoreOptions): SqliteStore {
  const { path } = opts;
  let db: Database.Database | undefined;
  try {
    db = new Database(path);
    db.pragma(`busy_timeout = ${Math.max(0, Math.trunc(opts.busyTimeoutMs ?? 5000))}`);
    // Events are ~2 KB of JSON: 16 KiB pages hold several per page (a new file only; ignored later).
    db.pragma('page_size = 16384');
    db.pragma('journal_mode = WAL');
    db.pragma(`synchronous = ${opts.synchronous === 'FULL' ? 'FULL' : 'NORMAL'}`);
    db.pragma('foreign_keys = ON');
    db.pragma('cache_size = -32768');
    if (opts.walAutocheckpointPages !== undefined) {
      db.pragma(`wal_autocheckpoint = ${Math.max(0, Math.trunc(opts.walAutocheckpointPages))}`);
    }
    const version = migrate(db, path);
    return new SqliteStoreImpl(db, path, version);
  } catch (err) {
    db?.close();
    if (err instanceof VigilError) throw err;
    throw new VigilError('STORE', `cannot open store ${path}: ${errorMessage(err)}`, {
      cause: err,
    });
  }
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** What a constraint failure means for the method that hit it. */
interface Meanings {
  readonly conflict?: string;
  readonly missing?: string;
}

const FOLDED_ATOM = `vigil_fold(CASE j.type WHEN 'true' THEN 'true' WHEN 'false' THEN 'false' ELSE j.atom END)`;

function prepareAll(db: Database.Database) {
  const p = (sql: string) => db.prepare(sql);
  return {
    insertTenant: p(
      'INSERT INTO tenants (id, name, created_at, retention_days, disabled_rules) VALUES (?, ?, ?, ?, ?)',
    ),
    getTenant: p('SELECT * FROM tenants WHERE id = ?'),
    listTenants: p('SELECT * FROM tenants ORDER BY created_at, id'),
    updateTenant: p(
      'UPDATE tenants SET name = ?, created_at = ?, retention_days = ?, disabled_rules = ? WHERE id = ?',
    ),

    insertUser: p(
      'INSERT INTO users (id, name, role, tenant, tenants, password_hash, created_at, disabled) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    ),
    getUser: p('SELECT * FROM users WHERE id = ?'),
    getUserByName: p('SELECT * FROM users WHERE name = ?'),
    listUsers: p(
      'SELECT * FROM users WHERE tenant IN (SELECT value FROM json_each(?)) ORDER BY created_at, id',
    ),
    updateUser: p(
      'UPDATE users SET name = ?, role = ?, tenant = ?, tenants = ?, password_hash = ?, created_at = ?, disabled = ? WHERE id = ?',
    ),
    countUsers: p('SELECT count(*) AS n FROM users'),

    insertCredential: p(
      'INSERT INTO credentials (id, kind, user_id, tenant, name, hash, created_at, expires_at, revoked_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
    ),
    findCredential: p('SELECT * FROM credentials WHERE hash = ?'),
    listCredentials: p('SELECT * FROM credentials WHERE user_id = ? ORDER BY created_at, id'),
    revokeCredential: p(
      'UPDATE credentials SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL',
    ),

    insertIngestKey: p(
      'INSERT INTO ingest_keys (id, tenant, name, prefix, hash, created_at, revoked_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
    ),
    findIngestKey: p('SELECT * FROM ingest_keys WHERE hash = ?'),
    listIngestKeys: p('SELECT * FROM ingest_keys WHERE tenant = ? ORDER BY created_at, id'),
    revokeIngestKey: p(
      'UPDATE ingest_keys SET revoked_at = ? WHERE tenant = ? AND id = ? AND revoked_at IS NULL',
    ),

    insertEvent: p(
      `INSERT INTO events (tenant, id, ts, received_at, source, format, receiver, host_name, user_name, fields, entities)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (tenant, id) DO NOTHING`,
    ),
    eventsAfter: p(`SELECT ${EVENT_COLUMNS} FROM events WHERE seq > ? ORDER BY seq LIMIT ?`),
    getEvents: p(
      `SELECT ${EVENT_COLUMNS} FROM events WHERE tenant = ? AND id IN (SELECT value FROM json_each(?)) ORDER BY seq`,
    ),
    countEvents: p('SELECT count(*) AS n FROM events WHERE tenant = ?'),
    purgeEvents: p(
      'DELETE FROM events WHERE seq IN (SELECT seq FROM events WHERE tenant = ? AND ts < ? LIMIT ?)',
    ),

    getCursor: p('SELECT seq FROM cursors WHERE name = ?'),
    setCursor: p(
      'INSERT INTO cursors (name, seq) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET seq = excluded.seq',
    ),

    insertAlert: p(
      `INSERT INTO alerts (tenant, id, rule_id, rule, kind, level, level_rank, ts, created_at, host_name, user_name,
         event_ids, matched, grp, entities, status)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (tenant, id) DO NOTHING`,
    ),
    getAlert: p(`SELECT ${ALERT_COLUMNS} FROM alerts WHERE tenant = ? AND id = ?`),
    setAlertStatus: p(
      `UPDATE alerts SET status = ? WHERE tenant = ? AND id = ? RETURNING ${ALERT_COLUMNS}`,
    ),
    purgeAlerts: p(
      'DELETE FROM alerts WHERE seq IN (SELECT seq FROM alerts WHERE tenant = ? AND ts < ? LIMIT ?)',
    ),

    insertException: p(
      `INSERT INTO exceptions (tenant, id, rule_id, conditions, reason, author, created_at, expires_at, hits, last_hit_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    listExceptions: p('SELECT * FROM exceptions WHERE tenant = ? ORDER BY created_at, id'),
    getException: p('SELECT * FROM exceptions WHERE tenant = ? AND id = ?'),
    deleteException: p('DELETE FROM exceptions WHERE tenant = ? AND id = ?'),
    recordExceptionHits: p(
      `UPDATE exceptions SET hits = hits + ?, last_hit_at = max(coalesce(last_hit_at, ?), ?)
       WHERE tenant = ? AND id = ?`,
    ),

    saveRule: p(
      `INSERT INTO rules (tenant, id, yaml, author, created_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (tenant, id) DO UPDATE SET yaml = excluded.yaml, author = excluded.author,
         created_at = excluded.created_at`,
    ),
    listRules: p('SELECT * FROM rules WHERE tenant = ? ORDER BY created_at, id'),
    listAllRules: p('SELECT * FROM rules ORDER BY tenant, created_at, id'),
    deleteRule: p('DELETE FROM rules WHERE tenant = ? AND id = ?'),

    lastAuditHash: p('SELECT hash FROM audit ORDER BY seq DESC LIMIT 1'),
    insertAudit: p(
      `INSERT INTO audit (tenant, ts, actor, action, target, detail, prev_hash, hash)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    listAudit: p(
      'SELECT * FROM audit WHERE tenant IN (SELECT value FROM json_each(?)) ORDER BY seq DESC LIMIT ?',
    ),
    allAudit: p('SELECT * FROM audit ORDER BY seq'),
  };
}

type Statements = ReturnType<typeof prepareAll>;

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * Every method does its work synchronously (better-sqlite3) inside `#call`, which hands the outcome back as
 * a promise: a failure is a rejection, never a throw from the call itself.
 */
class SqliteStoreImpl implements SqliteStore {
  readonly #db: Database.Database;
  readonly #s: Statements;
  readonly #incidents: SqliteIncidents;
  /** Search statements by SQL text (their shape depends on which filters a query uses). */
  readonly #searches = new Map<string, Database.Statement>();
  #closed = false;

  constructor(
    db: Database.Database,
    readonly path: string,
    readonly schemaVersion: number,
  ) {
    this.#db = db;
    db.function('vigil_fold', { deterministic: true }, (value: unknown) => foldValue(value));
    db.function(
      'vigil_text',
      { deterministic: true },
      (fields: unknown, entities: unknown, folded: unknown, escaped: unknown) =>
        eventTextMatches(String(fields), String(entities), {
          folded: String(folded),
          escaped: String(escaped),
        })
          ? 1
          : 0,
    );
    this.#s = prepareAll(db);
    this.#incidents = new SqliteIncidents(db);
  }

  get db(): Database.Database {
    return this.#db;
  }

  /** Runs `fn` on the open database, turning SQLite failures into `VigilError`s. */
  #run<T>(fn: (s: Statements) => T, meanings: Meanings = {}): T {
    if (this.#closed) throw new VigilError('STORE', `store ${this.path} is closed`);
    try {
      return fn(this.#s);
    } catch (err) {
      if (err instanceof VigilError) throw err;
      const code = err instanceof Database.SqliteError ? err.code : '';
      if (
        meanings.conflict !== undefined &&
        (code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY')
      ) {
        throw new VigilError('CONFLICT', meanings.conflict, { cause: err });
      }
      if (meanings.missing !== undefined && code === 'SQLITE_CONSTRAINT_FOREIGNKEY') {
        throw new VigilError('NOT_FOUND', meanings.missing, { cause: err });
      }
      throw new VigilError('STORE', `store ${this.path}: ${errorMessage(err)}`, { cause: err });
    }
  }

  /** `#run` with its outcome as a promise. */
  #call<T>(fn: (s: Statements) => T, meanings?: Meanings): Promise<T> {
    try {
      return Promise.resolve(this.#run(fn, meanings));
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
  }

  /** `fn` inside one write transaction (BEGIN IMMEDIATE: other connections wait for the lock up front). */
  #write<T>(fn: (s: Statements) => T, meanings?: Meanings): Promise<T> {
    return this.#call((s) => this.#db.transaction(() => fn(s)).immediate(), meanings);
  }

  #search(sql: string): Database.Statement {
    let statement = this.#searches.get(sql);
    if (!statement) {
      statement = this.#db.prepare(sql);
      this.#searches.set(sql, statement);
    }
    return statement;
  }

  // tenants

  createTenant(tenant: Tenant): Promise<void> {
    return this.#call(
      (s) => {
        s.insertTenant.run(...tenantParams(tenant));
      },
      { conflict: `tenant ${tenant.id} already exists` },
    );
  }

  getTenant(id: string): Promise<Tenant | undefined> {
    return this.#call((s) => {
      const row = s.getTenant.get(id) as TenantRow | undefined;
      return row && tenantFromRow(row);
    });
  }

  listTenants(): Promise<readonly Tenant[]> {
    return this.#call((s) => (s.listTenants.all() as TenantRow[]).map(tenantFromRow));
  }

  updateTenant(
    id: string,
    patch: Partial<Pick<Tenant, 'name' | 'retentionDays' | 'disabledRules'>>,
  ): Promise<Tenant | undefined> {
    return this.#write((s) => {
      const row = s.getTenant.get(id) as TenantRow | undefined;
      if (!row) return undefined;
      const next: Tenant = {
        ...tenantFromRow(row),
        ...(patch.name === undefined ? {} : { name: patch.name }),
        ...(patch.retentionDays === undefined ? {} : { retentionDays: patch.retentionDays }),
        ...(patch.disabledRules === undefined ? {} : { disabledRules: [...patch.disabledRules] }),
      };
      const [, ...rest] = tenantParams(next);
      s.updateTenant.run(...rest, id);
      return next;
    });
  }

  // users and credentials

  createUser(user: User): Promise<void> {
    return this.#call(
      (s) => {
        s.insertUser.run(...userParams(user));
      },
      { conflict: `a user with id ${user.id} or name ${user.name} already exists` },
    );
  }

  getUser(id: string): Promise<User | undefined> {
    return this.#call((s) => {
      const row = s.getUser.get(id) as UserRow | undefined;
      return row && userFromRow(row);
    });
  }

  getUserByName(name: string): Promise<User | undefined> {
    return this.#call((s) => {
      const row = s.getUserByName.get(name) as UserRow | undefined;
      return row && userFromRow(row);
    });
  }

  listUsers(tenants: readonly string[]): Promise<readonly User[]> {
    return this.#call((s) =>
      (s.listUsers.all(JSON.stringify(tenants)) as UserRow[]).map(userFromRow),
    );
  }

  updateUser(
    id: string,
    patch: Partial<Pick<User, 'role' | 'tenants' | 'passwordHash' | 'disabled'>>,
  ): Promise<User | undefined> {
    return this.#write((s) => {
      const row = s.getUser.get(id) as UserRow | undefined;
      if (!row) return undefined;
      const next: User = {
        ...userFromRow(row),
        ...(patch.role === undefined ? {} : { role: patch.role }),
        ...(patch.tenants === undefined ? {} : { tenants: [...patch.tenants] }),
        ...(patch.passwordHash === undefined ? {} : { passwordHash: patch.passwordHash }),
        ...(patch.disabled === undefined ? {} : { disabled: patch.disabled }),
      };
      const [, ...rest] = userParams(next);
      s.updateUser.run(...rest, id);
      return next;
    });
  }

  countUsers(): Promise<number> {
    return this.#call((s) => (s.countUsers.get() as { n: number }).n);
  }

  createCredential(credential: Credential): Promise<void> {
    return this.#call(
      (s) => {
        s.insertCredential.run(...credentialParams(credential));
      },
      {
        conflict: `a credential with id ${credential.id} or the same secret already exists`,
        missing: `no user ${credential.userId}`,
      },
    );
  }

  findCredential(hash: string): Promise<Credential | undefined> {
    return this.#call((s) => {
      const row = s.findCredential.get(hash) as CredentialRow | undefined;
      return row && credentialFromRow(row);
    });
  }

  listCredentials(userId: string): Promise<readonly Credential[]> {
    return this.#call((s) =>
      (s.listCredentials.all(userId) as CredentialRow[]).map(credentialFromRow),
    );
  }

  revokeCredential(id: string, at: number): Promise<boolean> {
    return this.#call((s) => s.revokeCredential.run(at, id).changes === 1);
  }

  // ingest keys

  createIngestKey(key: IngestKey): Promise<void> {
    return this.#call(
      (s) => {
        s.insertIngestKey.run(...ingestKeyParams(key));
      },
      {
        conflict: `an ingest key with id ${key.id} or the same secret already exists`,
        missing: `no tenant ${key.tenant}`,
      },
    );
  }

  findIngestKey(hash: string): Promise<IngestKey | undefined> {
    return this.#call((s) => {
      const row = s.findIngestKey.get(hash) as IngestKeyRow | undefined;
      return row && ingestKeyFromRow(row);
    });
  }

  listIngestKeys(tenant: string): Promise<readonly IngestKey[]> {
    return this.#call((s) =>
      (s.listIngestKeys.all(tenant) as IngestKeyRow[]).map(ingestKeyFromRow),
    );
  }

  revokeIngestKey(tenant: string, id: string, at: number): Promise<boolean> {
    return this.#call((s) => s.revokeIngestKey.run(at, tenant, id).changes === 1);
  }

  // events

  appendEvents(
    events: readonly NewEvent[],
    encoded?: readonly EncodedEvent[],
  ): Promise<readonly StoredEvent[]> {
    if (events.length === 0) return this.#call(() => []);
    return this.#write((s) => {
      const out: StoredEvent[] = [];
      const insert = s.insertEvent;
      for (let i = 0; i < events.length; i++) {
        const e = events[i] as NewEvent;
        const pre = encoded?.[i];
        const info = insert.run(
          e.tenant,
          e.id,
          e.ts,
          e.receivedAt,
          pre?.source ?? JSON.stringify(e.source),
          e.format,
          e.receiver,
          e.host ?? null,
          e.user ?? null,
          pre?.fields ?? JSON.stringify(e.fields),
          pre?.entities ?? JSON.stringify(e.entities),
        );
        if (info.changes === 1) out.push(storedEvent(e, Number(info.lastInsertRowid)));
      }
      return out;
    });
  }

  eventsAfter(seq: number, limit: number): Promise<readonly StoredEvent[]> {
    return this.#call((s) =>
      (s.eventsAfter.all(seq, positiveLimit(limit)) as EventRow[]).map(eventFromRow),
    );
  }

  getEvents(tenant: string, ids: readonly string[]): Promise<readonly StoredEvent[]> {
    return this.#call((s) =>
      ids.length === 0
        ? []
        : (s.getEvents.all(tenant, JSON.stringify(ids)) as EventRow[]).map(eventFromRow),
    );
  }

  searchEvents(query: EventQuery): Promise<Page<StoredEvent>> {
    return this.#call(() => {
      const limit = pageLimit(query.limit);
      const where = ['tenant = ?'];
      const params: unknown[] = [query.tenant];
      if (query.from !== undefined) {
        where.push('ts >= ?');
        params.push(query.from);
      }
      if (query.to !== undefined) {
        where.push('ts < ?');
        params.push(query.to);
      }
      if (query.host !== undefined) {
        where.push('host_name = ?');
        params.push(query.host);
      }
      if (query.user !== undefined) {
        where.push('user_name = ?');
        params.push(query.user);
      }
      for (const filter of query.filters ?? []) {
        const original = filter.field.startsWith('fields.');
        const name = original ? filter.field.slice('fields.'.length) : filter.field;
        const column = original ? 'fields' : 'entities';
        where.push(`EXISTS (SELECT 1 FROM json_each(${column}, ?) AS j WHERE ${FOLDED_ATOM} = ?)`);
        params.push(memberPath(name), filter.value.toLowerCase());
      }
      if (query.text !== undefined && query.text !== '') {
        const needle = textNeedle(query.text);
        where.push('vigil_text(fields, entities, ?, ?)');
        params.push(needle.folded, needle.escaped);
      }
      if (query.cursor !== undefined) {
        const [ts, seq] = decodeCursor(query.cursor, ['number', 'number'] as const);
        where.push('(ts, seq) < (?, ?)');
        params.push(ts, seq);
      }
      const sql = `SELECT ${EVENT_COLUMNS} FROM events WHERE ${where.join(' AND ')}
        ORDER BY ts DESC, seq DESC LIMIT ?`;
      params.push(limit + 1);
      const rows = this.#search(sql).all(...params) as EventRow[];
      const items = rows.slice(0, limit).map(eventFromRow);
      const last = items.at(-1);
      return rows.length > limit && last
        ? { items, next: encodeCursor([last.ts, last.seq]) }
        : { items };
    });
  }

  countEvents(tenant: string): Promise<number> {
    return this.#call((s) => (s.countEvents.get(tenant) as { n: number }).n);
  }

  // named cursors

  getCursor(name: string): Promise<number> {
    return this.#call((s) => (s.getCursor.get(name) as { seq: number } | undefined)?.seq ?? 0);
  }

  setCursor(name: string, seq: number): Promise<void> {
    return this.#call((s) => {
      s.setCursor.run(name, seq);
    });
  }

  // alerts

  insertAlerts(alerts: readonly Alert[]): Promise<readonly Alert[]> {
    if (alerts.length === 0) return this.#call(() => []);
    return this.#write((s) => {
      const inserted: Alert[] = [];
      for (const a of alerts) {
        const rank = levelRank(a.level);
        if (rank < 0)
          throw new VigilError('BAD_REQUEST', `alert ${a.id}: unknown level ${a.level}`);
        const info = s.insertAlert.run(
          a.tenant,
          a.id,
          a.rule.id,
          JSON.stringify(a.rule),
          a.kind,
          a.level,
          rank,
          a.ts,
          a.createdAt,
          a.host ?? null,
          a.user ?? null,
          JSON.stringify(a.eventIds),
          JSON.stringify(a.matched),
          a.group === undefined ? null : JSON.stringify(a.group),
          JSON.stringify(a.entities),
          a.status,
        );
        if (info.changes === 1) inserted.push(a);
      }
      return inserted;
    });
  }

  getAlert(tenant: string, id: string): Promise<Alert | undefined> {
    return this.#call((s) => {
      const row = s.getAlert.get(tenant, id) as AlertRow | undefined;
      return row && alertFromRow(row);
    });
  }

  listAlerts(query: AlertQuery): Promise<Page<Alert>> {
    return this.#call((): Page<Alert> => {
      const limit = pageLimit(query.limit);
      const tenants = [...new Set(query.tenants)];
      if (tenants.length === 0) return { items: [] };
      const where: string[] = [];
      const params: unknown[] = [];
      if (query.from !== undefined) {
        where.push('ts >= ?');
        params.push(query.from);
      }
      if (query.to !== undefined) {
        where.push('ts < ?');
        params.push(query.to);
      }
      if (query.level !== undefined) {
        const rank = levelRank(query.level);
        if (rank < 0) throw new VigilError('BAD_REQUEST', `unknown level ${query.level}`);
        where.push('level_rank >= ?');
        params.push(rank);
      }
      if (query.ruleId !== undefined) {
        where.push('rule_id = ?');
        params.push(query.ruleId);
      }
      if (query.host !== undefined) {
        where.push('host_name = ?');
        params.push(query.host);
      }
      if (query.status !== undefined) {
        where.push('status = ?');
        params.push(query.status);
      }
      if (query.cursor !== undefined) {
        const [ts, id, tenant] = decodeCursor(query.cursor, [
          'number',
          'string',
          'string',
        ] as const);
        where.push('(ts, id, tenant) < (?, ?, ?)');
        params.push(ts, id, tenant);
      }
      const order = 'ORDER BY ts DESC, id DESC, tenant DESC LIMIT ?';
      let sql: string;
      let all: unknown[];
      if (tenants.length <= MERGED_TENANTS) {
        // One newest-first index walk per tenant, merged: no sort of every alert of every tenant.
        const one = `SELECT ${ALERT_COLUMNS} FROM alerts WHERE ${['tenant = ?', ...where].join(' AND ')} ${order}`;
        sql =
          tenants.length === 1
            ? one
            : `${tenants.map(() => `SELECT * FROM (${one})`).join(' UNION ALL ')} ${order}`;
        all = tenants.flatMap((tenant) => [tenant, ...params, limit + 1]);
        if (tenants.length > 1) all.push(limit + 1);
      } else {
        const filter = ['tenant IN (SELECT value FROM json_each(?))', ...where].join(' AND ');
        sql = `SELECT ${ALERT_COLUMNS} FROM alerts WHERE ${filter} ${order}`;
        all = [JSON.stringify(tenants), ...params, limit + 1];
      }
      const rows = this.#search(sql).all(...all) as AlertRow[];
      const items = rows.slice(0, limit).map(alertFromRow);
      const last = items.at(-1);
      return rows.length > limit && last
        ? { items, next: encodeCursor([last.ts, last.id, last.tenant]) }
        : { items };
    });
  }

  setAlertStatus(tenant: string, id: string, status: AlertStatus): Promise<Alert | undefined> {
    return this.#call((s) => {
      const row = s.setAlertStatus.get(status, tenant, id) as AlertRow | undefined;
      return row && alertFromRow(row);
    });
  }

  // incidents

  saveIncidents(
    tenant: string,
    incidents: readonly (IncidentRecord & { readonly alertIds: readonly string[] })[],
    now: number,
  ): Promise<void> {
    return this.#write(() => {
      this.#incidents.save(tenant, incidents, now);
    });
  }

  retireIncident(tenant: string, id: string, mergedInto: string, now: number): Promise<void> {
    return this.#write(() => {
      this.#incidents.retire(tenant, id, mergedInto, now);
    });
  }

  getIncident(
    tenant: string,
    id: string,
  ): Promise<{ record?: IncidentRecord; case: IncidentCase } | undefined> {
    return this.#call(() => this.#incidents.get(tenant, id));
  }

  listIncidents(query: IncidentQuery): Promise<IncidentPage> {
    return this.#call(() => this.#incidents.list(query));
  }

  incidentsOfAlerts(
    tenant: string,
    alertIds: readonly string[],
  ): Promise<ReadonlyMap<string, string>> {
    return this.#call(() => this.#incidents.ofAlerts(tenant, alertIds));
  }

  incidentAlertIds(tenant: string, id: string): Promise<readonly string[]> {
    return this.#call(() => this.#incidents.alertIds(tenant, id));
  }

  updateIncidentCase(
    tenant: string,
    id: string,
    patch: IncidentCasePatch,
  ): Promise<IncidentCase | undefined> {
    return this.#write(() => this.#incidents.update(tenant, id, patch));
  }

  similarIncidents(
    tenant: string,
    id: string,
    limit: number,
  ): Promise<readonly { id: string; shared: readonly string[] }[]> {
    return this.#call(() => this.#incidents.similar(tenant, id, positiveLimit(limit)));
  }

  addIncidentNote(note: IncidentNote): Promise<void> {
    return this.#write(() => {
      this.#incidents.addNote(note);
    });
  }

  listIncidentNotes(tenant: string, incident: string): Promise<readonly IncidentNote[]> {
    return this.#call(() => this.#incidents.notes(tenant, incident));
  }

  addIncidentEvidence(evidence: IncidentEvidence): Promise<void> {
    return this.#write(() => {
      this.#incidents.addEvidence(evidence);
    });
  }

  listIncidentEvidence(tenant: string, incident: string): Promise<readonly IncidentEvidence[]> {
    return this.#call(() => this.#incidents.evidence(tenant, incident));
  }

  pinAlerts(tenant: string, incident: string, alertIds: readonly string[]): Promise<void> {
    return this.#write(() => {
      this.#incidents.pin(tenant, incident, alertIds);
    });
  }

  listPins(tenant: string, alertIds?: readonly string[]): Promise<ReadonlyMap<string, string>> {
    return this.#call(() => this.#incidents.pins(tenant, alertIds));
  }

  getTenantSetting(tenant: string, key: string): Promise<unknown> {
    return this.#call(() => this.#incidents.getSetting(tenant, key));
  }

  setTenantSetting(tenant: string, key: string, value: unknown): Promise<void> {
    return this.#write(() => {
      this.#incidents.setSetting(tenant, key, value);
    });
  }

  // exceptions

  createException(exception: RuleException): Promise<void> {
    return this.#call(
      (s) => {
        s.insertException.run(...exceptionParams(exception));
      },
      { conflict: `exception ${exception.id} already exists` },
    );
  }

  listExceptions(tenant: string): Promise<readonly RuleException[]> {
    return this.#call((s) =>
      (s.listExceptions.all(tenant) as ExceptionRow[]).map(exceptionFromRow),
    );
  }

  getException(tenant: string, id: string): Promise<RuleException | undefined> {
    return this.#call((s) => {
      const row = s.getException.get(tenant, id) as ExceptionRow | undefined;
      return row && exceptionFromRow(row);
    });
  }

  deleteException(tenant: string, id: string): Promise<boolean> {
    return this.#call((s) => s.deleteException.run(tenant, id).changes === 1);
  }

  recordExceptionHits(tenant: string, id: string, count: number, at: number): Promise<void> {
    return this.#call((s) => {
      if (!Number.isInteger(count) || count < 0) {
        throw new VigilError(
          'BAD_REQUEST',
          `hit count must be a whole number, not ${String(count)}`,
        );
      }
      s.recordExceptionHits.run(count, at, at, tenant, id);
    });
  }

  // uploaded rules

  saveRule(rule: StoredRule): Promise<void> {
    return this.#call((s) => {
      s.saveRule.run(rule.tenant, rule.id, rule.yaml, rule.author, rule.createdAt);
    });
  }

  listRules(tenant: string): Promise<readonly StoredRule[]> {
    return this.#call((s) => (s.listRules.all(tenant) as RuleRow[]).map(ruleFromRow));
  }

  listAllRules(): Promise<readonly StoredRule[]> {
    return this.#call((s) => (s.listAllRules.all() as RuleRow[]).map(ruleFromRow));
  }

  deleteRule(tenant: string, id: string): Promise<boolean> {
    return this.#call((s) => s.deleteRule.run(tenant, id).changes === 1);
  }

  // audit

  appendAudit(entry: Omit<AuditEntry, 'seq' | 'prevHash' | 'hash'>): Promise<AuditEntry> {
    return this.#write((s) => {
      const content = {
        tenant: entry.tenant,
        ts: entry.ts,
        actor: entry.actor,
        action: entry.action,
        target: entry.target,
        detail: normaliseDetail(entry.detail),
      };
      const last = s.lastAuditHash.get() as { hash: string } | undefined;
      const prevHash = last?.hash ?? GENESIS_HASH;
      const hash = auditHash(prevHash, content);
      const info = s.insertAudit.run(
        content.tenant,
        content.ts,
        content.actor,
        content.action,
        content.target,
        JSON.stringify(content.detail),
        prevHash,
        hash,
      );
      return { seq: Number(info.lastInsertRowid), ...content, prevHash, hash };
    });
  }

  listAudit(tenants: readonly string[], limit?: number): Promise<readonly AuditEntry[]> {
    return this.#call((s) =>
      (s.listAudit.all(JSON.stringify(tenants), pageLimit(limit)) as AuditRow[]).map(auditFromRow),
    );
  }

  verifyAudit(): Promise<number | undefined> {
    return this.#call((s) => {
      const walker = new AuditChainWalker();
      for (const row of s.allAudit.iterate() as IterableIterator<AuditRow>) {
        let entry: AuditEntry;
        try {
          entry = auditFromRow(row);
        } catch {
          return row.seq;
        }
        if (walker.breaks(entry)) return row.seq;
      }
      return undefined;
    });
  }

  // retention

  async purge(tenant: string, eventsBefore: number, alertsBefore: number): Promise<PurgeResult> {
    let events = 0;
    let alerts = 0;
    for (;;) {
      const n = await this.#call(
        (s) => s.purgeEvents.run(tenant, eventsBefore, PURGE_CHUNK).changes,
      );
      events += n;
      if (n < PURGE_CHUNK) break;
      await tick();
    }
    for (;;) {
      const n = await this.#call(
        (s) => s.purgeAlerts.run(tenant, alertsBefore, PURGE_CHUNK).changes,
      );
      alerts += n;
      if (n < PURGE_CHUNK) break;
      await tick();
    }
    return { events, alerts };
  }

  close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      this.#db.close();
    }
    return Promise.resolve();
  }
}
