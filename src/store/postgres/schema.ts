/** The PostgreSQL schema as numbered migrations, and the runner that brings a schema up to date. */
import type pg from 'pg';
import { VigilError } from '../../core/index.ts';

export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

/**
 * Every migration, oldest first; never edit one that has shipped. The tables and columns are those of the
 * SQLite store (`src/store/rows.ts` reads both). Case-insensitive lookups (user names, host, user) go
 * through `lower()` expression indexes; `events.seq` and `audit.seq` come from identity sequences.
 */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'server tables',
    sql: `
      CREATE TABLE tenants (
        id text PRIMARY KEY,
        name text NOT NULL,
        created_at bigint NOT NULL,
        retention_days integer NOT NULL,
        disabled_rules jsonb NOT NULL
      );

      CREATE TABLE users (
        id text PRIMARY KEY,
        name text NOT NULL,
        role text NOT NULL,
        tenant text NOT NULL,
        tenants jsonb NOT NULL,
        password_hash text NOT NULL,
        created_at bigint NOT NULL,
        disabled boolean NOT NULL
      );
      CREATE UNIQUE INDEX users_name ON users (lower(name));
      CREATE INDEX users_tenant ON users (tenant);

      CREATE TABLE credentials (
        id text PRIMARY KEY,
        kind text NOT NULL,
        user_id text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        tenant text NOT NULL,
        name text NOT NULL,
        hash text NOT NULL UNIQUE,
        created_at bigint NOT NULL,
        expires_at bigint,
        revoked_at bigint
      );
      CREATE INDEX credentials_user ON credentials (user_id);

      CREATE TABLE ingest_keys (
        id text PRIMARY KEY,
        tenant text NOT NULL REFERENCES tenants (id),
        name text NOT NULL,
        prefix text NOT NULL,
        hash text NOT NULL UNIQUE,
        created_at bigint NOT NULL,
        revoked_at bigint
      );
      CREATE INDEX ingest_keys_tenant ON ingest_keys (tenant);

      CREATE TABLE events (
        seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        tenant text NOT NULL,
        id text NOT NULL,
        ts bigint NOT NULL,
        received_at bigint NOT NULL,
        source jsonb NOT NULL,
        format text NOT NULL,
        receiver text NOT NULL,
        host_name text,
        user_name text,
        fields jsonb NOT NULL,
        entities jsonb NOT NULL
      );
      CREATE UNIQUE INDEX events_tenant_id ON events (tenant, id);
      CREATE INDEX events_tenant_ts ON events (tenant, ts, seq);
      CREATE INDEX events_tenant_host_ts ON events (tenant, lower(host_name), ts, seq);
      CREATE INDEX events_tenant_user_ts ON events (tenant, lower(user_name), ts, seq);

      CREATE TABLE cursors (
        name text PRIMARY KEY,
        seq bigint NOT NULL
      );

      CREATE TABLE alerts (
        seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        tenant text NOT NULL,
        id text NOT NULL,
        rule_id text NOT NULL,
        rule jsonb NOT NULL,
        kind text NOT NULL,
        level text NOT NULL,
        level_rank integer NOT NULL,
        ts bigint NOT NULL,
        created_at bigint NOT NULL,
        host_name text,
        user_name text,
        event_ids jsonb NOT NULL,
        matched jsonb NOT NULL,
        grp jsonb,
        entities jsonb NOT NULL,
        status text NOT NULL
      );
      CREATE UNIQUE INDEX alerts_tenant_id ON alerts (tenant, id);
      CREATE INDEX alerts_tenant_ts ON alerts (tenant, ts, id);

      CREATE TABLE exceptions (
        tenant text NOT NULL,
        id text NOT NULL,
        rule_id text,
        conditions jsonb NOT NULL,
        reason text NOT NULL,
        author text NOT NULL,
        created_at bigint NOT NULL,
        expires_at bigint,
        hits bigint NOT NULL,
        last_hit_at bigint,
        PRIMARY KEY (tenant, id)
      );

      CREATE TABLE rules (
        tenant text NOT NULL,
        id text NOT NULL,
        yaml text NOT NULL,
        author text NOT NULL,
        created_at bigint NOT NULL,
        PRIMARY KEY (tenant, id)
      );

      -- detail stays the exact JSON text that was hashed
      CREATE TABLE audit (
        seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        tenant text NOT NULL,
        ts bigint NOT NULL,
        actor text NOT NULL,
        action text NOT NULL,
        target text NOT NULL,
        detail text NOT NULL,
        prev_hash text NOT NULL,
        hash text NOT NULL
      );
      CREATE INDEX audit_tenant_seq ON audit (tenant, seq);
    `,
  },
  {
    version: 2,
    name: 'incidents and case work',
    sql: `
      CREATE TABLE incidents (
        tenant text NOT NULL,
        id text NOT NULL,
        title text NOT NULL,
        score double precision NOT NULL,
        severity text NOT NULL,
        level text NOT NULL,
        first_ts bigint NOT NULL,
        last_ts bigint NOT NULL,
        alert_count integer NOT NULL,
        hosts jsonb NOT NULL,
        techniques jsonb NOT NULL,
        updated_at bigint NOT NULL,
        brief jsonb NOT NULL,
        keys jsonb NOT NULL,
        PRIMARY KEY (tenant, id)
      );

      -- The story, graph and narrative: big, read one incident at a time, kept apart so the queue's rows
      -- stay small.
      CREATE TABLE incident_docs (
        tenant text NOT NULL,
        id text NOT NULL,
        doc jsonb NOT NULL,
        PRIMARY KEY (tenant, id)
      );
      CREATE INDEX incidents_queue ON incidents (tenant, score DESC, last_ts DESC, id DESC);

      CREATE TABLE incident_cases (
        tenant text NOT NULL,
        id text NOT NULL,
        status text NOT NULL,
        determination text,
        assignee text,
        tags jsonb NOT NULL,
        created_at bigint NOT NULL,
        case_updated_at bigint NOT NULL,
        acknowledged_at bigint,
        contained_at bigint,
        resolved_at bigint,
        reopened integer NOT NULL,
        merged_into text,
        PRIMARY KEY (tenant, id)
      );

      CREATE TABLE incident_alerts (
        tenant text NOT NULL,
        alert_id text NOT NULL,
        incident text NOT NULL,
        PRIMARY KEY (tenant, alert_id)
      );
      CREATE INDEX incident_alerts_incident ON incident_alerts (tenant, incident);

      CREATE TABLE incident_keys (
        tenant text NOT NULL,
        key text NOT NULL,
        incident text NOT NULL,
        PRIMARY KEY (tenant, key, incident)
      );
      CREATE INDEX incident_keys_incident ON incident_keys (tenant, incident);

      CREATE TABLE incident_notes (
        tenant text NOT NULL,
        incident text NOT NULL,
        id text NOT NULL,
        author text NOT NULL,
        ts bigint NOT NULL,
        text text NOT NULL,
        PRIMARY KEY (tenant, id)
      );
      CREATE INDEX incident_notes_incident ON incident_notes (tenant, incident, ts);

      CREATE TABLE incident_evidence (
        tenant text NOT NULL,
        incident text NOT NULL,
        id text NOT NULL,
        author text NOT NULL,
        ts bigint NOT NULL,
        kind text NOT NULL,
        ref text NOT NULL,
        note text NOT NULL,
        PRIMARY KEY (tenant, id)
      );
      CREATE INDEX incident_evidence_incident ON incident_evidence (tenant, incident, ts);

      CREATE TABLE incident_pins (
        tenant text NOT NULL,
        alert_id text NOT NULL,
        incident text NOT NULL,
        PRIMARY KEY (tenant, alert_id)
      );

      CREATE TABLE tenant_settings (
        tenant text NOT NULL,
        key text NOT NULL,
        value jsonb NOT NULL,
        PRIMARY KEY (tenant, key)
      );
    `,
  },
];

/**
 * Creates the schema when missing and applies the migrations it lacks, in one transaction under an
 * advisory lock (two processes starting at once migrate it once). Throws `STORE` on a newer schema.
 */
export async function migrate(client: pg.PoolClient, schema: string): Promise<number> {
  const latest = MIGRATIONS.reduce((max, m) => Math.max(max, m.version), 0);
  await client.query('BEGIN');
  try {
    await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`vigil:migrate:${schema}`]);
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
    await client.query(`CREATE TABLE IF NOT EXISTS schema_version (
      version integer PRIMARY KEY,
      name text NOT NULL,
      applied_at bigint NOT NULL
    )`);
    const { rows } = await client.query<{ v: number | null }>(
      'SELECT max(version) AS v FROM schema_version',
    );
    const current = rows[0]?.v ?? 0;
    if (current > latest) {
      throw new VigilError(
        'STORE',
        `schema ${schema} has store schema version ${current}; this Vigil knows up to ${latest} (downgrade?)`,
      );
    }
    for (const m of MIGRATIONS) {
      if (m.version <= current) continue;
      await client.query(m.sql);
      await client.query(
        'INSERT INTO schema_version (version, name, applied_at) VALUES ($1, $2, $3)',
        [m.version, m.name, Date.now()],
      );
    }
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
  return latest;
}
