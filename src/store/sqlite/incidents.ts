/** The SQLite store's incident tables: computed incidents, cases, notes, evidence, pins, tenant settings. */
import type Database from 'better-sqlite3';
import type {
  IncidentCase,
  IncidentCasePatch,
  IncidentEvidence,
  IncidentNote,
  IncidentPage,
  IncidentQuery,
  IncidentRecord,
} from '../../core/index.ts';
import {
  INCIDENT_CASE_COLUMNS,
  INCIDENT_SUMMARY_COLUMNS,
  QUEUE_ORDER,
  caseFromRow,
  casePatchColumns,
  checkIncidentQuery,
  decodeQueueCursor,
  evidenceFromRow,
  evidenceParams,
  incidentFromRow,
  incidentParams,
  noteFromRow,
  noteParams,
  queueCursor,
  summaryFromJoinedRow,
  type CaseRow,
  type EvidenceRow,
  type IncidentRow,
  type NoteRow,
} from '../incident-rows.ts';
import { pageLimit } from '../paging.ts';

const CASE_SELECT = `SELECT tenant, id, ${INCIDENT_CASE_COLUMNS} FROM incident_cases`;

/** Prepared once per connection; queue statements by SQL text (their shape depends on the filters). */
export class SqliteIncidents {
  readonly #db: Database.Database;
  readonly #queries = new Map<string, Database.Statement>();
  readonly #s;

  constructor(db: Database.Database) {
    this.#db = db;
    this.#s = {
      upsert:
        db.prepare(`INSERT INTO incidents (tenant, id, title, score, severity, level, first_ts,
          last_ts, alert_count, hosts, techniques, updated_at, brief, keys)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT (tenant, id) DO UPDATE SET title = excluded.title, score = excluded.score,
          severity = excluded.severity, level = excluded.level, first_ts = excluded.first_ts,
          last_ts = excluded.last_ts, alert_count = excluded.alert_count, hosts = excluded.hosts,
          techniques = excluded.techniques, updated_at = excluded.updated_at,
          brief = excluded.brief, keys = excluded.keys`),
      upsertDoc: db.prepare(`INSERT INTO incident_docs (tenant, id, doc) VALUES (?, ?, ?)
        ON CONFLICT (tenant, id) DO UPDATE SET doc = excluded.doc`),
      dropDoc: db.prepare('DELETE FROM incident_docs WHERE tenant = ? AND id = ?'),
      newCase: db.prepare(`INSERT INTO incident_cases (tenant, id, status, tags, created_at,
          case_updated_at, reopened) VALUES (?, ?, 'new', '[]', ?, ?, 0)
        ON CONFLICT (tenant, id) DO UPDATE SET merged_into = NULL WHERE merged_into IS NOT NULL`),
      mapAlert:
        db.prepare(`INSERT INTO incident_alerts (tenant, alert_id, incident) VALUES (?, ?, ?)
        ON CONFLICT (tenant, alert_id) DO UPDATE SET incident = excluded.incident`),
      clearKeys: db.prepare('DELETE FROM incident_keys WHERE tenant = ? AND incident = ?'),
      addKey: db.prepare(
        'INSERT OR IGNORE INTO incident_keys (tenant, key, incident) VALUES (?, ?, ?)',
      ),
      dropIncident: db.prepare('DELETE FROM incidents WHERE tenant = ? AND id = ?'),
      dropAlerts: db.prepare('DELETE FROM incident_alerts WHERE tenant = ? AND incident = ?'),
      mergeCase: db.prepare(
        'UPDATE incident_cases SET merged_into = ?, case_updated_at = ? WHERE tenant = ? AND id = ?',
      ),
      getIncident: db.prepare(
        `SELECT ${INCIDENT_SUMMARY_COLUMNS.split(', ')
          .map((c) => `i.${c}`)
          .join(', ')}, i.keys, d.doc FROM incidents i
         LEFT JOIN incident_docs d ON d.tenant = i.tenant AND d.id = i.id
         WHERE i.tenant = ? AND i.id = ?`,
      ),
      getCase: db.prepare(`${CASE_SELECT} WHERE tenant = ? AND id = ?`),
      alertIds: db.prepare(
        'SELECT alert_id FROM incident_alerts WHERE tenant = ? AND incident = ? ORDER BY alert_id',
      ),
      ofAlerts: db.prepare(`SELECT alert_id, incident FROM incident_alerts
        WHERE tenant = ? AND alert_id IN (SELECT value FROM json_each(?))`),
      similar: db.prepare(`SELECT k.incident AS id, json_group_array(k.key) AS shared
        FROM incident_keys k JOIN incident_keys mine
          ON mine.tenant = k.tenant AND mine.key = k.key AND mine.incident = ?
        WHERE k.tenant = ? AND k.incident <> ?
        GROUP BY k.incident ORDER BY count(*) DESC, k.incident LIMIT ?`),
      addNote: db.prepare(
        'INSERT INTO incident_notes (tenant, incident, id, author, ts, text) VALUES (?, ?, ?, ?, ?, ?)',
      ),
      notes: db.prepare(
        'SELECT * FROM incident_notes WHERE tenant = ? AND incident = ? ORDER BY ts, id',
      ),
      addEvidence:
        db.prepare(`INSERT INTO incident_evidence (tenant, incident, id, author, ts, kind,
          ref, note) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`),
      evidence: db.prepare(
        'SELECT * FROM incident_evidence WHERE tenant = ? AND incident = ? ORDER BY ts, id',
      ),
      pin: db.prepare(`INSERT INTO incident_pins (tenant, alert_id, incident) VALUES (?, ?, ?)
        ON CONFLICT (tenant, alert_id) DO UPDATE SET incident = excluded.incident`),
      pins: db.prepare('SELECT alert_id, incident FROM incident_pins WHERE tenant = ?'),
      pinsOf: db.prepare(`SELECT alert_id, incident FROM incident_pins
        WHERE tenant = ? AND alert_id IN (SELECT value FROM json_each(?))`),
      getSetting: db.prepare('SELECT value FROM tenant_settings WHERE tenant = ? AND key = ?'),
      setSetting: db.prepare(`INSERT INTO tenant_settings (tenant, key, value) VALUES (?, ?, ?)
        ON CONFLICT (tenant, key) DO UPDATE SET value = excluded.value`),
    };
  }

  save(
    tenant: string,
    incidents: readonly (IncidentRecord & { readonly alertIds: readonly string[] })[],
    now: number,
  ): void {
    const s = this.#s;
    for (const i of incidents) {
      if (i.tenant !== tenant) throw new Error(`incident ${i.id} is of tenant ${i.tenant}`);
      s.upsert.run(...incidentParams(i));
      s.upsertDoc.run(tenant, i.id, JSON.stringify(i.doc));
      s.newCase.run(tenant, i.id, now, now);
      for (const a of i.alertIds) s.mapAlert.run(tenant, a, i.id);
      s.clearKeys.run(tenant, i.id);
      for (const k of i.keys) s.addKey.run(tenant, k, i.id);
    }
  }

  retire(tenant: string, id: string, mergedInto: string, now: number): void {
    const s = this.#s;
    s.dropIncident.run(tenant, id);
    s.dropDoc.run(tenant, id);
    s.dropAlerts.run(tenant, id);
    s.clearKeys.run(tenant, id);
    s.mergeCase.run(mergedInto, now, tenant, id);
  }

  get(tenant: string, id: string): { record?: IncidentRecord; case: IncidentCase } | undefined {
    const c = this.#s.getCase.get(tenant, id) as CaseRow | undefined;
    if (!c) return undefined;
    const r = this.#s.getIncident.get(tenant, id) as IncidentRow | undefined;
    return r ? { record: incidentFromRow(r), case: caseFromRow(c) } : { case: caseFromRow(c) };
  }

  list(q: IncidentQuery): IncidentPage {
    checkIncidentQuery(q);
    const limit = pageLimit(q.limit);
    const tenants = [...new Set(q.tenants)];
    if (tenants.length === 0) return { items: [], total: 0 };
    const where = ['c.merged_into IS NULL'];
    const params: unknown[] = [];
    if (tenants.length === 1) {
      where.push('i.tenant = ?');
      params.push(tenants[0]);
    } else {
      where.push('i.tenant IN (SELECT value FROM json_each(?))');
      params.push(JSON.stringify(tenants));
    }
    if (q.statuses && q.statuses.length > 0) {
      where.push('c.status IN (SELECT value FROM json_each(?))');
      params.push(JSON.stringify(q.statuses));
    }
    if (q.severities && q.severities.length > 0) {
      where.push('i.severity IN (SELECT value FROM json_each(?))');
      params.push(JSON.stringify(q.severities));
    }
    if (q.assignee !== undefined) {
      if (q.assignee === '') where.push('c.assignee IS NULL');
      else {
        where.push('c.assignee = ?');
        params.push(q.assignee);
      }
    }
    if (q.technique !== undefined) {
      where.push(
        'EXISTS (SELECT 1 FROM json_each(i.techniques) t WHERE t.value = ? OR t.value LIKE ?)',
      );
      params.push(q.technique, `${q.technique}.%`);
    }
    if (q.host !== undefined) {
      where.push('EXISTS (SELECT 1 FROM json_each(i.hosts) h WHERE h.value = lower(?))');
      params.push(q.host);
    }
    if (q.minScore !== undefined) {
      where.push('i.score >= ?');
      params.push(q.minScore);
    }
    const from = 'FROM incidents i JOIN incident_cases c ON c.tenant = i.tenant AND c.id = i.id';
    const countSql = `SELECT count(*) AS n ${from} WHERE ${where.join(' AND ')}`;
    const total = (this.#query(countSql).get(...params) as { n: number }).n;
    const pageWhere = [...where];
    const pageParams = [...params];
    if (q.cursor !== undefined) {
      const [score, lastTs, id, tenant] = decodeQueueCursor(q.cursor);
      pageWhere.push('(i.score, i.last_ts, i.id, i.tenant) < (?, ?, ?, ?)');
      pageParams.push(score, lastTs, id, tenant);
    }
    const cols = INCIDENT_SUMMARY_COLUMNS.split(', ')
      .map((c) => `i.${c}`)
      .join(', ');
    const sql = `SELECT ${cols}, ${INCIDENT_CASE_COLUMNS.split(', ')
      .map((c) => `c.${c}`)
      .join(', ')} ${from} WHERE ${pageWhere.join(' AND ')} ${QUEUE_ORDER} LIMIT ?`;
    const rows = this.#query(sql).all(...pageParams, limit + 1) as (IncidentRow & CaseRow)[];
    const items = rows.slice(0, limit).map(summaryFromJoinedRow);
    const last = items.at(-1);
    return rows.length > limit && last
      ? { items, total, next: queueCursor(last.record) }
      : { items, total };
  }

  ofAlerts(tenant: string, alertIds: readonly string[]): Map<string, string> {
    const out = new Map<string, string>();
    for (let i = 0; i < alertIds.length; i += 5000) {
      const rows = this.#s.ofAlerts.all(tenant, JSON.stringify(alertIds.slice(i, i + 5000))) as {
        alert_id: string;
        incident: string;
      }[];
      for (const r of rows) out.set(r.alert_id, r.incident);
    }
    return out;
  }

  alertIds(tenant: string, id: string): string[] {
    return (this.#s.alertIds.all(tenant, id) as { alert_id: string }[]).map((r) => r.alert_id);
  }

  update(tenant: string, id: string, patch: IncidentCasePatch): IncidentCase | undefined {
    const cols = casePatchColumns(patch);
    const sql = `UPDATE incident_cases SET ${cols.map((c) => `${c.column} = ?`).join(', ')}
      WHERE tenant = ? AND id = ? RETURNING tenant, id, ${INCIDENT_CASE_COLUMNS}`;
    const row = this.#query(sql).get(...cols.map((c) => c.value), tenant, id) as
      CaseRow | undefined;
    return row && caseFromRow(row);
  }

  similar(tenant: string, id: string, limit: number): { id: string; shared: string[] }[] {
    const rows = this.#s.similar.all(id, tenant, id, limit) as { id: string; shared: string }[];
    return rows.map((r) => ({ id: r.id, shared: (JSON.parse(r.shared) as string[]).sort() }));
  }

  addNote(n: IncidentNote): void {
    this.#s.addNote.run(...noteParams(n));
  }

  notes(tenant: string, incident: string): IncidentNote[] {
    return (this.#s.notes.all(tenant, incident) as NoteRow[]).map(noteFromRow);
  }

  addEvidence(e: IncidentEvidence): void {
    this.#s.addEvidence.run(...evidenceParams(e));
  }

  evidence(tenant: string, incident: string): IncidentEvidence[] {
    return (this.#s.evidence.all(tenant, incident) as EvidenceRow[]).map(evidenceFromRow);
  }

  pin(tenant: string, incident: string, alertIds: readonly string[]): void {
    for (const a of alertIds) this.#s.pin.run(tenant, a, incident);
  }

  pins(tenant: string, alertIds?: readonly string[]): Map<string, string> {
    const rows = (
      alertIds === undefined
        ? this.#s.pins.all(tenant)
        : this.#s.pinsOf.all(tenant, JSON.stringify(alertIds))
    ) as { alert_id: string; incident: string }[];
    return new Map(rows.map((r) => [r.alert_id, r.incident]));
  }

  getSetting(tenant: string, key: string): unknown {
    const row = this.#s.getSetting.get(tenant, key) as { value: string } | undefined;
    return row === undefined ? undefined : JSON.parse(row.value);
  }

  setSetting(tenant: string, key: string, value: unknown): void {
    this.#s.setSetting.run(tenant, key, JSON.stringify(value));
  }

  #query(sql: string): Database.Statement {
    let st = this.#queries.get(sql);
    if (!st) {
      st = this.#db.prepare(sql);
      this.#queries.set(sql, st);
    }
    return st;
  }
}
