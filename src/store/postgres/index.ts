/** The scale-out store: PostgreSQL through a `pg` pool, one schema per installation. */
import pg from 'pg';
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
import * as incidents from './incidents.ts';
import type { Queryable } from './incidents.ts';
import { migrate } from './schema.ts';

export interface PostgresStoreOptions {
  /** `postgres://user@host:port/database`, or any `pg` connection settings. */
  readonly connection: string | pg.ClientConfig;
  /** The schema holding Vigil's tables (created when missing). Default `vigil`. */
  readonly schema?: string;
  /** Most connections the pool opens (default 10). */
  readonly poolSize?: number;
}

/** The PostgreSQL store; beyond `Store` it exposes its schema and pool (tests, maintenance). */
export interface PostgresStore extends Store {
  readonly schema: string;
  readonly schemaVersion: number;
  /** The `pg` pool; its connections use `schema` as search path. Writing through it bypasses the store. */
  readonly pool: pg.Pool;
}

const PURGE_CHUNK = 5000;
const AUDIT_VERIFY_BATCH = 2000;
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

type TypeId = Parameters<typeof pg.types.getTypeParser>[0];

/** int8 (seq, ms timestamps, counts) as JavaScript numbers: every value the store keeps is below 2^53. */
function typeParser(oid: TypeId, format?: 'text' | 'binary'): unknown {
  if (oid === pg.types.builtins.INT8) return (value: string) => Number(value);
  return pg.types.getTypeParser(oid, format);
}
const TYPES = { getTypeParser: typeParser };

/**
 * Connects, creates the schema when missing and migrates it. Throws `VigilError('STORE')`, naming the
 * server and schema, when PostgreSQL cannot be reached or the schema is newer than this Vigil.
 */
export async function openPostgresStore(opts: PostgresStoreOptions): Promise<PostgresStore> {
  const schema = opts.schema ?? 'vigil';
  if (!SCHEMA_NAME.test(schema)) {
    throw new VigilError('CONFIG', `store schema must be a lower-case SQL name, not ${schema}`);
  }
  const base: pg.ClientConfig =
    typeof opts.connection === 'string' ? { connectionString: opts.connection } : opts.connection;
  const where = describeServer(base, schema);
  const pool = new pg.Pool({
    ...base,
    max: opts.poolSize ?? 10,
    options: `-c search_path=${schema}`,
    types: TYPES,
  });
  // An idle connection that dies (server restart) must not crash the process; the next query reconnects.
  pool.on('error', () => undefined);
  try {
    const client = await pool.connect();
    try {
      const version = await migrate(client, schema);
      return new PostgresStoreImpl(pool, schema, version, where);
    } finally {
      client.release();
    }
  } catch (err) {
    await pool.end().catch(() => undefined);
    if (err instanceof VigilError) throw err;
    throw new VigilError('STORE', `cannot open store ${where}: ${errorMessage(err)}`, {
      cause: err,
    });
  }
}

function describeServer(config: pg.ClientConfig, schema: string): string {
  if (config.connectionString !== undefined) {
    try {
      const url = new URL(config.connectionString);
      return `postgres://${url.host}${url.pathname} schema ${schema}`;
    } catch {
      return `schema ${schema}`;
    }
  }
  return `postgres://${config.host ?? 'localhost'}:${String(config.port ?? 5432)}/${config.database ?? ''} schema ${schema}`;
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** What a constraint failure means for the method that hit it. */
interface Meanings {
  readonly conflict?: string;
  readonly missing?: string;
}

/** Something that runs queries: the pool, or one client inside a transaction. */

/**
 * JSON text PostgreSQL can hold: jsonb and text cannot contain U+0000, so any NUL in a string or a name
 * becomes U+FFFD (the only way this store changes what it is given).
 */
function pgJson(value: unknown): string {
  const text = JSON.stringify(value);
  if (!text.includes('\\u0000')) return text;
  return JSON.stringify(value, (_key, v: unknown) =>
    typeof v === 'string'
      ? v.replaceAll('\0', '\uFFFD')
      : v !== null && typeof v === 'object' && !Array.isArray(v)
        ? Object.fromEntries(
            Object.entries(v as Record<string, unknown>).map(([k, x]) => [
              k.replaceAll('\0', '\uFFFD'),
              x,
            ]),
          )
        : v,
  );
}

/** The same text SQL as `pgJson` for one string column. */
function pgText(value: string): string {
  return value.includes('\0') ? value.replaceAll('\0', '\uFFFD') : value;
}

/**
 * Pairs the rows an INSERT … ON CONFLICT DO NOTHING returned with the objects they came from, in seq
 * order. Within one statement the first of two rows with the same (tenant, id) is the one inserted.
 * `sent` holds each object's tenant and id as sent (after `pgText`), at positions 0 and 1.
 */
function matchInserted<T>(
  objects: readonly T[],
  sent: readonly (readonly unknown[])[],
  rows: readonly { seq: number; tenant: string; id: string }[],
): [T, number][] {
  const first = new Map<string, number>();
  sent.forEach((row, i) => {
    const key = `${String(row[0])}\0${String(row[1])}`;
    if (!first.has(key)) first.set(key, i);
  });
  return [...rows]
    .sort((x, y) => x.seq - y.seq)
    .map((r) => {
      const object = objects[first.get(`${r.tenant}\0${r.id}`) ?? -1];
      if (object === undefined) {
        throw new VigilError('INTERNAL', `inserted row ${r.tenant}/${r.id} matches nothing sent`);
      }
      return [object, r.seq];
    });
}

/** `$1, $2, …` for n parameters starting at `from`. */
function placeholders(n: number, from = 1): string {
  return Array.from({ length: n }, (_, i) => `$${from + i}`).join(', ');
}

/** A value of a jsonb member as text (`true`, `4688`, `abc`; NULL for JSON null), lower-cased. */
const FOLDED_ELEMENT = "lower(x.value #>> '{}')";

class PostgresStoreImpl implements PostgresStore {
  readonly #pool: pg.Pool;
  readonly #where: string;
  #closed = false;

  constructor(
    pool: pg.Pool,
    readonly schema: string,
    readonly schemaVersion: number,
    where: string,
  ) {
    this.#pool = pool;
    this.#where = where;
  }

  get pool(): pg.Pool {
    return this.#pool;
  }

  /** Runs `fn` against the pool, turning failures into `VigilError`s. */
  async #run<T>(fn: (db: Queryable) => Promise<T>, meanings: Meanings = {}): Promise<T> {
    if (this.#closed) throw new VigilError('STORE', `store ${this.#where} is closed`);
    try {
      return await fn(this.#pool);
    } catch (err) {
      throw this.#error(err, meanings);
    }
  }

  /** Runs `fn` in one transaction on one connection, holding the named advisory locks first. */
  async #transaction<T>(
    locks: readonly string[],
    fn: (db: Queryable) => Promise<T>,
    meanings: Meanings = {},
  ): Promise<T> {
    if (this.#closed) throw new VigilError('STORE', `store ${this.#where} is closed`);
    let client: pg.PoolClient | undefined;
    try {
      client = await this.#pool.connect();
      await client.query('BEGIN');
      for (const lock of locks) {
        await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [
          `vigil:${this.schema}:${lock}`,
        ]);
      }
      const result = await fn(client);
      await client.query('COMMIT');
      return result;
    } catch (err) {
      await client?.query('ROLLBACK').catch(() => undefined);
      throw this.#error(err, meanings);
    } finally {
      client?.release();
    }
  }

  #error(err: unknown, meanings: Meanings): VigilError {
    if (err instanceof VigilError) return err;
    const code = err instanceof pg.DatabaseError ? err.code : undefined;
    if (meanings.conflict !== undefined && code === '23505') {
      return new VigilError('CONFLICT', meanings.conflict, { cause: err });
    }
    if (meanings.missing !== undefined && code === '23503') {
      return new VigilError('NOT_FOUND', meanings.missing, { cause: err });
    }
    return new VigilError('STORE', `store ${this.#where}: ${errorMessage(err)}`, { cause: err });
  }

  async #rows<R>(db: Queryable, sql: string, params: readonly unknown[] = []): Promise<R[]> {
    const result = await db.query(sql, params as unknown[]);
    return result.rows as R[];
  }

  async #count(db: Queryable, sql: string, params: readonly unknown[]): Promise<number> {
    const result = await db.query(sql, params as unknown[]);
    return result.rowCount ?? 0;
  }

  // tenants

  async createTenant(tenant: Tenant): Promise<void> {
    await this.#run(
      (db) =>
        db.query(
          'INSERT INTO tenants (id, name, created_at, retention_days, disabled_rules) VALUES ($1, $2, $3, $4, $5)',
          tenantParams(tenant),
        ),
      { conflict: `tenant ${tenant.id} already exists` },
    );
  }

  async getTenant(id: string): Promise<Tenant | undefined> {
    const rows = await this.#run((db) =>
      this.#rows<TenantRow>(db, 'SELECT * FROM tenants WHERE id = $1', [id]),
    );
    return rows[0] && tenantFromRow(rows[0]);
  }

  async listTenants(): Promise<readonly Tenant[]> {
    const rows = await this.#run((db) =>
      this.#rows<TenantRow>(db, 'SELECT * FROM tenants ORDER BY created_at, id'),
    );
    return rows.map(tenantFromRow);
  }

  async updateTenant(
    id: string,
    patch: Partial<Pick<Tenant, 'name' | 'retentionDays' | 'disabledRules'>>,
  ): Promise<Tenant | undefined> {
    const rows = await this.#run((db) =>
      this.#rows<TenantRow>(
        db,
        `UPDATE tenants SET name = coalesce($2, name), retention_days = coalesce($3, retention_days),
           disabled_rules = coalesce($4::jsonb, disabled_rules)
         WHERE id = $1 RETURNING *`,
        [
          id,
          patch.name ?? null,
          patch.retentionDays ?? null,
          patch.disabledRules === undefined ? null : JSON.stringify(patch.disabledRules),
        ],
      ),
    );
    return rows[0] && tenantFromRow(rows[0]);
  }

  // users and credentials

  async createUser(user: User): Promise<void> {
    await this.#run(
      (db) =>
        db.query(
          `INSERT INTO users (id, name, role, tenant, tenants, password_hash, created_at, disabled)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
          userParams(user),
        ),
      { conflict: `a user with id ${user.id} or name ${user.name} already exists` },
    );
  }

  async getUser(id: string): Promise<User | undefined> {
    const rows = await this.#run((db) =>
      this.#rows<UserRow>(db, 'SELECT * FROM users WHERE id = $1', [id]),
    );
    return rows[0] && userFromRow(rows[0]);
  }

  async getUserByName(name: string): Promise<User | undefined> {
    const rows = await this.#run((db) =>
      this.#rows<UserRow>(db, 'SELECT * FROM users WHERE lower(name) = lower($1)', [name]),
    );
    return rows[0] && userFromRow(rows[0]);
  }

  async listUsers(tenants: readonly string[]): Promise<readonly User[]> {
    const rows = await this.#run((db) =>
      this.#rows<UserRow>(
        db,
        'SELECT * FROM users WHERE tenant = ANY($1::text[]) ORDER BY created_at, id',
        [tenants],
      ),
    );
    return rows.map(userFromRow);
  }

  async updateUser(
    id: string,
    patch: Partial<Pick<User, 'role' | 'tenants' | 'passwordHash' | 'disabled'>>,
  ): Promise<User | undefined> {
    const rows = await this.#run((db) =>
      this.#rows<UserRow>(
        db,
        `UPDATE users SET role = coalesce($2, role), tenants = coalesce($3::jsonb, tenants),
           password_hash = coalesce($4, password_hash), disabled = coalesce($5, disabled)
         WHERE id = $1 RETURNING *`,
        [
          id,
          patch.role ?? null,
          patch.tenants === undefined ? null : JSON.stringify(patch.tenants),
          patch.passwordHash ?? null,
          patch.disabled ?? null,
        ],
      ),
    );
    return rows[0] && userFromRow(rows[0]);
  }

  async countUsers(): Promise<number> {
    const rows = await this.#run((db) =>
      this.#rows<{ n: number }>(db, 'SELECT count(*)::int AS n FROM users'),
    );
    return rows[0]?.n ?? 0;
  }

  async createCredential(credential: Credential): Promise<void> {
    await this.#run(
      (db) =>
        db.query(
          `INSERT INTO credentials (id, kind, user_id, tenant, name, hash, created_at, expires_at, revoked_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
          credentialParams(credential),
        ),
      {
        conflict: `a credential with id ${credential.id} or the same secret already exists`,
        missing: `no user ${credential.userId}`,
      },
    );
  }

  async findCredential(hash: string): Promise<Credential | undefined> {
    const rows = await this.#run((db) =>
      this.#rows<CredentialRow>(db, 'SELECT * FROM credentials WHERE hash = $1', [hash]),
    );
    return rows[0] && credentialFromRow(rows[0]);
  }

  async listCredentials(userId: string): Promise<readonly Credential[]> {
    const rows = await this.#run((db) =>
      this.#rows<CredentialRow>(
        db,
        'SELECT * FROM credentials WHERE user_id = $1 ORDER BY created_at, id',
        [userId],
      ),
    );
    return rows.map(credentialFromRow);
  }

  async revokeCredential(id: string, at: number): Promise<boolean> {
    const n = await this.#run((db) =>
      this.#count(
        db,
        'UPDATE credentials SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL',
        [id, at],
      ),
    );
    return n === 1;
  }

  // ingest keys

  async createIngestKey(key: IngestKey): Promise<void> {
    await this.#run(
      (db) =>
        db.query(
          `INSERT INTO ingest_keys (id, tenant, name, prefix, hash, created_at, revoked_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7)`,
          ingestKeyParams(key),
        ),
      {
        conflict: `an ingest key with id ${key.id} or the same secret already exists`,
        missing: `no tenant ${key.tenant}`,
      },
    );
  }

  async findIngestKey(hash: string): Promise<IngestKey | undefined> {
    const rows = await this.#run((db) =>
      this.#rows<IngestKeyRow>(db, 'SELECT * FROM ingest_keys WHERE hash = $1', [hash]),
    );
    return rows[0] && ingestKeyFromRow(rows[0]);
  }

  async listIngestKeys(tenant: string): Promise<readonly IngestKey[]> {
    const rows = await this.#run((db) =>
      this.#rows<IngestKeyRow>(
        db,
        'SELECT * FROM ingest_keys WHERE tenant = $1 ORDER BY created_at, id',
        [tenant],
      ),
    );
    return rows.map(ingestKeyFromRow);
  }

  async revokeIngestKey(tenant: string, id: string, at: number): Promise<boolean> {
    const n = await this.#run((db) =>
      this.#count(
        db,
        'UPDATE ingest_keys SET revoked_at = $3 WHERE tenant = $1 AND id = $2 AND revoked_at IS NULL',
        [tenant, id, at],
      ),
    );
    return n === 1;
  }

  // events

  /**
   * One INSERT … SELECT over the batch sent as one JSON array. Appends take an advisory lock so that seq
   * order is commit order: the detection consumer never sees seq n+1 committed before n.
   */
  async appendEvents(events: readonly NewEvent[]): Promise<readonly StoredEvent[]> {
    if (events.length === 0) return this.#run(() => Promise.resolve([]));
    const batch = events.map((e) => [
      pgText(e.tenant),
      pgText(e.id),
      e.ts,
      e.receivedAt,
      e.source,
      pgText(e.format),
      pgText(e.receiver),
      e.host === undefined ? null : pgText(e.host),
      e.user === undefined ? null : pgText(e.user),
      e.fields,
      e.entities,
    ]);
    const rows = await this.#transaction(['events'], (db) =>
      this.#rows<{ seq: number; tenant: string; id: string }>(
        db,
        `INSERT INTO events (tenant, id, ts, received_at, source, format, receiver, host_name, user_name,
           fields, entities)
         SELECT e->>0, e->>1, (e->>2)::bigint, (e->>3)::bigint, e->4, e->>5, e->>6, e->>7, e->>8, e->9, e->10
         FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY AS b (e, ord) ORDER BY ord
         ON CONFLICT (tenant, id) DO NOTHING
         RETURNING seq, tenant, id`,
        [pgJson(batch)],
      ),
    );
    return matchInserted(events, batch, rows).map(([e, seq]) => storedEvent(e, seq));
  }

  async eventsAfter(seq: number, limit: number): Promise<readonly StoredEvent[]> {
    const rows = await this.#run((db) =>
      this.#rows<EventRow>(
        db,
        `SELECT ${EVENT_COLUMNS} FROM events WHERE seq > $1 ORDER BY seq LIMIT $2`,
        [seq, positiveLimit(limit)],
      ),
    );
    return rows.map(eventFromRow);
  }

  async getEvents(tenant: string, ids: readonly string[]): Promise<readonly StoredEvent[]> {
    if (ids.length === 0) return this.#run(() => Promise.resolve([]));
    const rows = await this.#run((db) =>
      this.#rows<EventRow>(
        db,
        `SELECT ${EVENT_COLUMNS} FROM events WHERE tenant = $1 AND id = ANY($2::text[]) ORDER BY seq`,
        [tenant, ids],
      ),
    );
    return rows.map(eventFromRow);
  }

  async searchEvents(query: EventQuery): Promise<Page<StoredEvent>> {
    return this.#run(async (db) => {
      const limit = pageLimit(query.limit);
      const params: unknown[] = [query.tenant];
      const p = (value: unknown): string => {
        params.push(value);
        return `$${params.length}`;
      };
      const where = ['tenant = $1'];
      if (query.from !== undefined) where.push(`ts >= ${p(query.from)}`);
      if (query.to !== undefined) where.push(`ts < ${p(query.to)}`);
      if (query.host !== undefined) where.push(`lower(host_name) = lower(${p(query.host)})`);
      if (query.user !== undefined) where.push(`lower(user_name) = lower(${p(query.user)})`);
      for (const filter of query.filters ?? []) {
        const original = filter.field.startsWith('fields.');
        const name = original ? filter.field.slice('fields.'.length) : filter.field;
        const member = `${original ? 'fields' : 'entities'} -> ${p(pgText(name))}`;
        where.push(`EXISTS (SELECT 1 FROM jsonb_array_elements(
            CASE jsonb_typeof(${member}) WHEN 'array' THEN ${member} ELSE jsonb_build_array(${member}) END
          ) AS x (value) WHERE ${FOLDED_ELEMENT} = lower(${p(pgText(filter.value))}))`);
      }
      if (query.text !== undefined && query.text !== '') {
        const needle = p(pgText(query.text));
        where.push(`EXISTS (SELECT 1 FROM (
            SELECT value FROM jsonb_each(fields) UNION ALL SELECT value FROM jsonb_each(entities)
          ) AS m (value), jsonb_array_elements(
            CASE jsonb_typeof(m.value) WHEN 'array' THEN m.value ELSE jsonb_build_array(m.value) END
          ) AS x (value) WHERE strpos(${FOLDED_ELEMENT}, lower(${needle})) > 0)`);
      }
      if (query.cursor !== undefined) {
        const [ts, seq] = decodeCursor(query.cursor, ['number', 'number'] as const);
        where.push(`(ts, seq) < (${p(ts)}, ${p(seq)})`);
      }
      const sql = `SELECT ${EVENT_COLUMNS} FROM events WHERE ${where.join(' AND ')}
        ORDER BY ts DESC, seq DESC LIMIT ${p(limit + 1)}`;
      const rows = await this.#rows<EventRow>(db, sql, params);
      const items = rows.slice(0, limit).map(eventFromRow);
      const last = items.at(-1);
      return rows.length > limit && last
        ? { items, next: encodeCursor([last.ts, last.seq]) }
        : { items };
    });
  }

  async countEvents(tenant: string): Promise<number> {
    const rows = await this.#run((db) =>
      this.#rows<{ n: number }>(db, 'SELECT count(*) AS n FROM events WHERE tenant = $1', [tenant]),
    );
    return rows[0]?.n ?? 0;
  }

  // named cursors

  async getCursor(name: string): Promise<number> {
    const rows = await this.#run((db) =>
      this.#rows<{ seq: number }>(db, 'SELECT seq FROM cursors WHERE name = $1', [name]),
    );
    return rows[0]?.seq ?? 0;
  }

  async setCursor(name: string, seq: number): Promise<void> {
    await this.#run((db) =>
      db.query(
        'INSERT INTO cursors (name, seq) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET seq = excluded.seq',
        [name, seq],
      ),
    );
  }

  // alerts

  async insertAlerts(alerts: readonly Alert[]): Promise<readonly Alert[]> {
    if (alerts.length === 0) return this.#run(() => Promise.resolve([]));
    const batch = alerts.map((a) => {
      const rank = levelRank(a.level);
      if (rank < 0) throw new VigilError('BAD_REQUEST', `alert ${a.id}: unknown level ${a.level}`);
      return [
        pgText(a.tenant),
        pgText(a.id),
        pgText(a.rule.id),
        a.rule,
        a.kind,
        a.level,
        rank,
        a.ts,
        a.createdAt,
        a.host === undefined ? null : pgText(a.host),
        a.user === undefined ? null : pgText(a.user),
        a.eventIds,
        a.matched,
        a.group ?? null,
        a.entities,
        a.status,
      ];
    });
    const rows = await this.#transaction([], (db) =>
      this.#rows<{ seq: number; tenant: string; id: string }>(
        db,
        `INSERT INTO alerts (tenant, id, rule_id, rule, kind, level, level_rank, ts, created_at, host_name,
           user_name, event_ids, matched, grp, entities, status)
         SELECT a->>0, a->>1, a->>2, a->3, a->>4, a->>5, (a->>6)::int, (a->>7)::bigint, (a->>8)::bigint,
           a->>9, a->>10, a->11, a->12, CASE jsonb_typeof(a->13) WHEN 'null' THEN NULL ELSE a->13 END,
           a->14, a->>15
         FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY AS b (a, ord) ORDER BY ord
         ON CONFLICT (tenant, id) DO NOTHING
         RETURNING seq, tenant, id`,
        [pgJson(batch)],
      ),
    );
    return matchInserted(alerts, batch, rows).map(([a]) => a);
  }

  async getAlert(tenant: string, id: string): Promise<Alert | undefined> {
    const rows = await this.#run((db) =>
      this.#rows<AlertRow>(
        db,
        `SELECT ${ALERT_COLUMNS} FROM alerts WHERE tenant = $1 AND id = $2`,
        [tenant, id],
      ),
    );
    return rows[0] && alertFromRow(rows[0]);
  }

  /** One newest-first index walk per tenant (LATERAL), merged and cut to the page. */
  async listAlerts(query: AlertQuery): Promise<Page<Alert>> {
    return this.#run(async (db): Promise<Page<Alert>> => {
      const limit = pageLimit(query.limit);
      const tenants = [...new Set(query.tenants)];
      if (tenants.length === 0) return { items: [] };
      const params: unknown[] = [tenants];
      const p = (value: unknown): string => {
        params.push(value);
        return `$${params.length}`;
      };
      const where = ['a.tenant = t.tenant'];
      if (query.from !== undefined) where.push(`a.ts >= ${p(query.from)}`);
      if (query.to !== undefined) where.push(`a.ts < ${p(query.to)}`);
      if (query.level !== undefined) {
        const rank = levelRank(query.level);
        if (rank < 0) throw new VigilError('BAD_REQUEST', `unknown level ${query.level}`);
        where.push(`a.level_rank >= ${p(rank)}`);
      }
      if (query.ruleId !== undefined) where.push(`a.rule_id = ${p(query.ruleId)}`);
      if (query.host !== undefined) where.push(`lower(a.host_name) = lower(${p(query.host)})`);
      if (query.status !== undefined) where.push(`a.status = ${p(query.status)}`);
      if (query.cursor !== undefined) {
        const [ts, id, tenant] = decodeCursor(query.cursor, [
          'number',
          'string',
          'string',
        ] as const);
        where.push(`(a.ts, a.id, a.tenant) < (${p(ts)}, ${p(id)}, ${p(tenant)})`);
      }
      const n = p(limit + 1);
      const columns = ALERT_COLUMNS.split(', ')
        .map((c) => `a.${c}`)
        .join(', ');
      const sql = `SELECT s.* FROM unnest($1::text[]) AS t (tenant) CROSS JOIN LATERAL (
          SELECT ${columns} FROM alerts a WHERE ${where.join(' AND ')}
          ORDER BY a.ts DESC, a.id DESC LIMIT ${n}
        ) AS s ORDER BY s.ts DESC, s.id DESC, s.tenant DESC LIMIT ${n}`;
      const rows = await this.#rows<AlertRow>(db, sql, params);
      const items = rows.slice(0, limit).map(alertFromRow);
      const last = items.at(-1);
      return rows.length > limit && last
        ? { items, next: encodeCursor([last.ts, last.id, last.tenant]) }
        : { items };
    });
  }

  async setAlertStatus(
    tenant: string,
    id: string,
    status: AlertStatus,
  ): Promise<Alert | undefined> {
    const rows = await this.#run((db) =>
      this.#rows<AlertRow>(
        db,
        `UPDATE alerts SET status = $3 WHERE tenant = $1 AND id = $2 RETURNING ${ALERT_COLUMNS}`,
        [tenant, id, status],
      ),
    );
    return rows[0] && alertFromRow(rows[0]);
  }

  // incidents

  async saveIncidents(
    tenant: string,
    list: readonly (IncidentRecord & { readonly alertIds: readonly string[] })[],
    now: number,
  ): Promise<void> {
    await this.#transaction([`incidents:${tenant}`], (db) =>
      incidents.saveIncidents(db, tenant, list, now),
    );
  }

  async retireIncident(tenant: string, id: string, mergedInto: string, now: number): Promise<void> {
    await this.#transaction([`incidents:${tenant}`], (db) =>
      incidents.retireIncident(db, tenant, id, mergedInto, now),
    );
  }

  getIncident(
    tenant: string,
    id: string,
  ): Promise<{ record?: IncidentRecord; case: IncidentCase } | undefined> {
    return this.#run((db) => incidents.getIncident(db, tenant, id));
  }

  listIncidents(query: IncidentQuery): Promise<IncidentPage> {
    return this.#run((db) => incidents.listIncidents(db, query));
  }

  incidentsOfAlerts(
    tenant: string,
    alertIds: readonly string[],
  ): Promise<ReadonlyMap<string, string>> {
    return this.#run((db) => incidents.incidentsOfAlerts(db, tenant, alertIds));
  }

  incidentAlertIds(tenant: string, id: string): Promise<readonly string[]> {
    return this.#run((db) => incidents.incidentAlertIds(db, tenant, id));
  }

  updateIncidentCase(
    tenant: string,
    id: string,
    patch: IncidentCasePatch,
  ): Promise<IncidentCase | undefined> {
    return this.#run((db) => incidents.updateIncidentCase(db, tenant, id, patch));
  }

  similarIncidents(
    tenant: string,
    id: string,
    limit: number,
  ): Promise<readonly { id: string; shared: readonly string[] }[]> {
    return this.#run((db) => incidents.similarIncidents(db, tenant, id, positiveLimit(limit)));
  }

  async addIncidentNote(note: IncidentNote): Promise<void> {
    await this.#run((db) => incidents.addIncidentNote(db, note));
  }

  listIncidentNotes(tenant: string, incident: string): Promise<readonly IncidentNote[]> {
    return this.#run((db) => incidents.listIncidentNotes(db, tenant, incident));
  }

  async addIncidentEvidence(evidence: IncidentEvidence): Promise<void> {
    await this.#run((db) => incidents.addIncidentEvidence(db, evidence));
  }

  listIncidentEvidence(tenant: string, incident: string): Promise<readonly IncidentEvidence[]> {
    return this.#run((db) => incidents.listIncidentEvidence(db, tenant, incident));
  }

  async pinAlerts(tenant: string, incident: string, alertIds: readonly string[]): Promise<void> {
    await this.#run((db) => incidents.pinAlerts(db, tenant, incident, alertIds));
  }

  listPins(tenant: string, alertIds?: readonly string[]): Promise<ReadonlyMap<string, string>> {
    return this.#run((db) => incidents.listPins(db, tenant, alertIds));
  }

  getTenantSetting(tenant: string, key: string): Promise<unknown> {
    return this.#run((db) => incidents.getTenantSetting(db, tenant, key));
  }

  async setTenantSetting(tenant: string, key: string, value: unknown): Promise<void> {
    await this.#run((db) => incidents.setTenantSetting(db, tenant, key, value));
  }

  // exceptions

  async createException(exception: RuleException): Promise<void> {
    await this.#run(
      (db) =>
        db.query(
          `INSERT INTO exceptions (tenant, id, rule_id, conditions, reason, author, created_at, expires_at, hits,
             last_hit_at)
           VALUES (${placeholders(10)})`,
          exceptionParams(exception),
        ),
      { conflict: `exception ${exception.id} already exists` },
    );
  }

  async listExceptions(tenant: string): Promise<readonly RuleException[]> {
    const rows = await this.#run((db) =>
      this.#rows<ExceptionRow>(
        db,
        'SELECT * FROM exceptions WHERE tenant = $1 ORDER BY created_at, id',
        [tenant],
      ),
    );
    return rows.map(exceptionFromRow);
  }

  async getException(tenant: string, id: string): Promise<RuleException | undefined> {
    const rows = await this.#run((db) =>
      this.#rows<ExceptionRow>(db, 'SELECT * FROM exceptions WHERE tenant = $1 AND id = $2', [
        tenant,
        id,
      ]),
    );
    return rows[0] && exceptionFromRow(rows[0]);
  }

  async deleteException(tenant: string, id: string): Promise<boolean> {
    const n = await this.#run((db) =>
      this.#count(db, 'DELETE FROM exceptions WHERE tenant = $1 AND id = $2', [tenant, id]),
    );
    return n === 1;
  }

  async recordExceptionHits(tenant: string, id: string, count: number, at: number): Promise<void> {
    if (!Number.isInteger(count) || count < 0) {
      throw new VigilError('BAD_REQUEST', `hit count must be a whole number, not ${String(count)}`);
    }
    await this.#run((db) =>
      db.query(
        `UPDATE exceptions SET hits = hits + $3, last_hit_at = greatest(coalesce(last_hit_at, $4), $4)
         WHERE tenant = $1 AND id = $2`,
        [tenant, id, count, at],
      ),
    );
  }

  // uploaded rules

  async saveRule(rule: StoredRule): Promise<void> {
    await this.#run((db) =>
      db.query(
        `INSERT INTO rules (tenant, id, yaml, author, created_at) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (tenant, id) DO UPDATE SET yaml = excluded.yaml, author = excluded.author,
           created_at = excluded.created_at`,
        [rule.tenant, rule.id, pgText(rule.yaml), rule.author, rule.createdAt],
      ),
    );
  }

  async listRules(tenant: string): Promise<readonly StoredRule[]> {
    const rows = await this.#run((db) =>
      this.#rows<RuleRow>(db, 'SELECT * FROM rules WHERE tenant = $1 ORDER BY created_at, id', [
        tenant,
      ]),
    );
    return rows.map(ruleFromRow);
  }

  async listAllRules(): Promise<readonly StoredRule[]> {
    const rows = await this.#run((db) =>
      this.#rows<RuleRow>(db, 'SELECT * FROM rules ORDER BY tenant, created_at, id'),
    );
    return rows.map(ruleFromRow);
  }

  async deleteRule(tenant: string, id: string): Promise<boolean> {
    const n = await this.#run((db) =>
      this.#count(db, 'DELETE FROM rules WHERE tenant = $1 AND id = $2', [tenant, id]),
    );
    return n === 1;
  }

  // audit

  async appendAudit(entry: Omit<AuditEntry, 'seq' | 'prevHash' | 'hash'>): Promise<AuditEntry> {
    const content = {
      tenant: entry.tenant,
      ts: entry.ts,
      actor: entry.actor,
      action: entry.action,
      target: entry.target,
      detail: JSON.parse(pgJson(normaliseDetail(entry.detail))) as Record<string, unknown>,
    };
    return this.#transaction(['audit'], async (db) => {
      const last = await this.#rows<{ hash: string }>(
        db,
        'SELECT hash FROM audit ORDER BY seq DESC LIMIT 1',
      );
      const prevHash = last[0]?.hash ?? GENESIS_HASH;
      const hash = auditHash(prevHash, content);
      const inserted = await this.#rows<{ seq: number }>(
        db,
        `INSERT INTO audit (tenant, ts, actor, action, target, detail, prev_hash, hash)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING seq`,
        [
          content.tenant,
          content.ts,
          content.actor,
          content.action,
          content.target,
          JSON.stringify(content.detail),
          prevHash,
          hash,
        ],
      );
      const seq = inserted[0]?.seq ?? 0;
      return { seq, ...content, prevHash, hash };
    });
  }

  async listAudit(tenants: readonly string[], limit?: number): Promise<readonly AuditEntry[]> {
    const rows = await this.#run((db) =>
      this.#rows<AuditRow>(
        db,
        'SELECT * FROM audit WHERE tenant = ANY($1::text[]) ORDER BY seq DESC LIMIT $2',
        [tenants, pageLimit(limit)],
      ),
    );
    return rows.map(auditFromRow);
  }

  async verifyAudit(): Promise<number | undefined> {
    return this.#run(async (db) => {
      const walker = new AuditChainWalker();
      let after = 0;
      for (;;) {
        const rows = await this.#rows<AuditRow>(
          db,
          'SELECT * FROM audit WHERE seq > $1 ORDER BY seq LIMIT $2',
          [after, AUDIT_VERIFY_BATCH],
        );
        for (const row of rows) {
          let entry: AuditEntry;
          try {
            entry = auditFromRow(row);
          } catch {
            return row.seq;
          }
          if (walker.breaks(entry)) return row.seq;
          after = row.seq;
        }
        if (rows.length < AUDIT_VERIFY_BATCH) return undefined;
      }
    });
  }

  // retention

  async purge(tenant: string, eventsBefore: number, alertsBefore: number): Promise<PurgeResult> {
    const chunked = async (table: 'events' | 'alerts', before: number): Promise<number> => {
      let total = 0;
      for (;;) {
        const n = await this.#run((db) =>
          this.#count(
            db,
            `DELETE FROM ${table} WHERE seq IN (
               SELECT seq FROM ${table} WHERE tenant = $1 AND ts < $2 LIMIT $3)`,
            [tenant, before, PURGE_CHUNK],
          ),
        );
        total += n;
        if (n < PURGE_CHUNK) return total;
      }
    };
    const events = await chunked('events', eventsBefore);
    const alerts = await chunked('alerts', alertsBefore);
    return { events, alerts };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#pool.end();
  }
}
