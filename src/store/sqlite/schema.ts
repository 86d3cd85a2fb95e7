/** The SQLite schema as numbered migrations, and the runner that brings a database up to date. */
import type Database from 'better-sqlite3';
import { VigilError } from '../../core/index.ts';

export interface Migration {
  /** 1, 2, 3, … in order; a database records every version applied to it. */
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

/**
 * Every migration, oldest first. Never edit one that has shipped: add the next number. Every table holding
 * tenant data has a `tenant` column. `events.seq` and `audit.seq` are AUTOINCREMENT rowids, so a number is
 * never reused even after the newest rows are purged (the detection cursor relies on it).
 */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'server tables',
    sql: `
      CREATE TABLE tenants (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        retention_days INTEGER NOT NULL,
        disabled_rules TEXT NOT NULL
      );

      CREATE TABLE users (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL COLLATE NOCASE UNIQUE,
        role TEXT NOT NULL,
        tenant TEXT NOT NULL,
        tenants TEXT NOT NULL,
        password_hash TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        disabled INTEGER NOT NULL
      );
      CREATE INDEX users_tenant ON users (tenant);

      CREATE TABLE credentials (
        id TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        tenant TEXT NOT NULL,
        name TEXT NOT NULL,
        hash TEXT NOT NULL UNIQUE,
        created_at INTEGER NOT NULL,
        expires_at INTEGER,
        revoked_at INTEGER
      );
      CREATE INDEX credentials_user ON credentials (user_id);

      CREATE TABLE ingest_keys (
        id TEXT PRIMARY KEY,
        tenant TEXT NOT NULL REFERENCES tenants (id),
        name TEXT NOT NULL,
        prefix TEXT NOT NULL,
        hash TEXT NOT NULL UNIQUE,
        created_at INTEGER NOT NULL,
        revoked_at INTEGER
      );
      CREATE INDEX ingest_keys_tenant ON ingest_keys (tenant);

      CREATE TABLE events (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        tenant TEXT NOT NULL,
        id TEXT NOT NULL,
        ts INTEGER NOT NULL,
        received_at INTEGER NOT NULL,
        source TEXT NOT NULL,
        format TEXT NOT NULL,
        receiver TEXT NOT NULL,
        host_name TEXT COLLATE NOCASE,
        user_name TEXT COLLATE NOCASE,
        fields TEXT NOT NULL,
        entities TEXT NOT NULL
      );
      CREATE UNIQUE INDEX events_tenant_id ON events (tenant, id);
      CREATE INDEX events_tenant_ts ON events (tenant, ts);
      CREATE INDEX events_tenant_host_ts ON events (tenant, host_name, ts);
      CREATE INDEX events_tenant_user_ts ON events (tenant, user_name, ts);

      CREATE TABLE cursors (
        name TEXT PRIMARY KEY,
        seq INTEGER NOT NULL
      );

      CREATE TABLE alerts (
        seq INTEGER PRIMARY KEY,
        tenant TEXT NOT NULL,
        id TEXT NOT NULL,
        rule_id TEXT NOT NULL,
        rule TEXT NOT NULL,
        kind TEXT NOT NULL,
        level TEXT NOT NULL,
        level_rank INTEGER NOT NULL,
        ts INTEGER NOT NULL,
        created_at INTEGER NOT NULL,
        host_name TEXT COLLATE NOCASE,
        user_name TEXT COLLATE NOCASE,
        event_ids TEXT NOT NULL,
        matched TEXT NOT NULL,
        grp TEXT,
        entities TEXT NOT NULL,
        status TEXT NOT NULL
      );
      CREATE UNIQUE INDEX alerts_tenant_id ON alerts (tenant, id);
      CREATE INDEX alerts_tenant_ts ON alerts (tenant, ts, id);

      CREATE TABLE exceptions (
        tenant TEXT NOT NULL,
        id TEXT NOT NULL,
        rule_id TEXT,
        conditions TEXT NOT NULL,
        reason TEXT NOT NULL,
        author TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        expires_at INTEGER,
        hits INTEGER NOT NULL,
        last_hit_at INTEGER,
        PRIMARY KEY (tenant, id)
      );

      CREATE TABLE rules (
        tenant TEXT NOT NULL,
        id TEXT NOT NULL,
        yaml TEXT NOT NULL,
        author TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        PRIMARY KEY (tenant, id)
      );

      CREATE TABLE audit (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        tenant TEXT NOT NULL,
        ts INTEGER NOT NULL,
        actor TEXT NOT NULL,
        action TEXT NOT NULL,
        target TEXT NOT NULL,
        detail TEXT NOT NULL,
        prev_hash TEXT NOT NULL,
        hash TEXT NOT NULL
      );
      CREATE INDEX audit_tenant_seq ON audit (tenant, seq);
    `,
  },
  {
    version: 2,
    name: 'incidents and case work',
    sql: `
      CREATE TABLE incidents (
        tenant TEXT NOT NULL,
        id TEXT NOT NULL,
        title TEXT NOT NULL,
        score REAL NOT NULL,
        severity TEXT NOT NULL,
        level TEXT NOT NULL,
        first_ts INTEGER NOT NULL,
        last_ts INTEGER NOT NULL,
        alert_count INTEGER NOT NULL,
        hosts TEXT NOT NULL,
        techniques TEXT NOT NULL,
        updated_at INTEGER NOT NULL,
        brief TEXT NOT NULL,
        keys TEXT NOT NULL,
        PRIMARY KEY (tenant, id)
      );

      -- The story, graph and narrative: big, read one incident at a time, kept apart so the queue's rows
      -- stay small.
      CREATE TABLE incident_docs (
        tenant TEXT NOT NULL,
        id TEXT NOT NULL,
        doc TEXT NOT NULL,
        PRIMARY KEY (tenant, id)
      );
      CREATE INDEX incidents_queue ON incidents (tenant, score DESC, last_ts DESC, id DESC);

      CREATE TABLE incident_cases (
        tenant TEXT NOT NULL,
        id TEXT NOT NULL,
        status TEXT NOT NULL,
        determination TEXT,
        assignee TEXT COLLATE NOCASE,
        tags TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        case_updated_at INTEGER NOT NULL,
        acknowledged_at INTEGER,
        contained_at INTEGER,
        resolved_at INTEGER,
        reopened INTEGER NOT NULL,
        merged_into TEXT,
        PRIMARY KEY (tenant, id)
      );

      CREATE TABLE incident_alerts (
        tenant TEXT NOT NULL,
        alert_id TEXT NOT NULL,
        incident TEXT NOT NULL,
        PRIMARY KEY (tenant, alert_id)
      );
      CREATE INDEX incident_alerts_incident ON incident_alerts (tenant, incident);

      CREATE TABLE incident_keys (
        tenant TEXT NOT NULL,
        key TEXT NOT NULL,
        incident TEXT NOT NULL,
        PRIMARY KEY (tenant, key, incident)
      );
      CREATE INDEX incident_keys_incident ON incident_keys (tenant, incident);

      CREATE TABLE incident_notes (
        tenant TEXT NOT NULL,
        incident TEXT NOT NULL,
        id TEXT NOT NULL,
        author TEXT NOT NULL,
        ts INTEGER NOT NULL,
        text TEXT NOT NULL,
        PRIMARY KEY (tenant, id)
      );
      CREATE INDEX incident_notes_incident ON incident_notes (tenant, incident, ts);

      CREATE TABLE incident_evidence (
        tenant TEXT NOT NULL,
        incident TEXT NOT NULL,
        id TEXT NOT NULL,
        author TEXT NOT NULL,
        ts INTEGER NOT NULL,
        kind TEXT NOT NULL,
        ref TEXT NOT NULL,
        note TEXT NOT NULL,
        PRIMARY KEY (tenant, id)
      );
      CREATE INDEX incident_evidence_incident ON incident_evidence (tenant, incident, ts);

      CREATE TABLE incident_pins (
        tenant TEXT NOT NULL,
        alert_id TEXT NOT NULL,
        incident TEXT NOT NULL,
        PRIMARY KEY (tenant, alert_id)
      );

      CREATE TABLE tenant_settings (
        tenant TEXT NOT NULL,
        key TEXT NOT NULL,
        value TEXT NOT NULL,
        PRIMARY KEY (tenant, key)
      );
    `,
  },
];

/**
 * Applies the migrations the database lacks, in order, in one write transaction (two processes opening the
 * same file at once migrate it once). Throws `STORE` when the file was written by a newer Vigil.
 */
export function migrate(db: Database.Database, path: string): number {
  const latest = MIGRATIONS.reduce((max, m) => Math.max(max, m.version), 0);
  const run = db.transaction(() => {
    db.exec(`CREATE TABLE IF NOT EXISTS schema_version (
      version INTEGER PRIMARY KEY,
      name TEXT NOT NULL,
      applied_at INTEGER NOT NULL
    )`);
    const row = db.prepare('SELECT max(version) AS v FROM schema_version').get() as {
      v: number | null;
    };
    const current = row.v ?? 0;
    if (current > latest) {
      throw new VigilError(
        'STORE',
        `store ${path} has schema version ${current}; this Vigil knows up to ${latest} (downgrade?)`,
      );
    }
    const record = db.prepare(
      'INSERT INTO schema_version (version, name, applied_at) VALUES (?, ?, ?)',
    );
    for (const m of MIGRATIONS) {
      if (m.version <= current) continue;
      db.exec(m.sql);
      record.run(m.version, m.name, Date.now());
    }
  });
  run.immediate();
  return latest;
}
