/** The PostgreSQL store's incident tables: computed incidents, cases, notes, evidence, pins, tenant settings. */
import type pg from 'pg';
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

export type Queryable = Pick<pg.Pool, 'query'>;

async function rows<R>(db: Queryable, sql: string, params: readonly unknown[]): Promise<R[]> {
  return (await db.query(sql, params as unknown[])).rows as R[];
}

const CASE_SELECT = `SELECT tenant, id, ${INCIDENT_CASE_COLUMNS} FROM incident_cases`;

export async function saveIncidents(
  db: Queryable,
  tenant: string,
  incidents: readonly (IncidentRecord & { readonly alertIds: readonly string[] })[],
  now: number,
): Promise<void> {
  for (const i of incidents) {
    if (i.tenant !== tenant) throw new Error(`incident ${i.id} is of tenant ${i.tenant}`);
    await db.query(
      `INSERT INTO incidents (tenant, id, title, score, severity, level, first_ts, last_ts, alert_count,
         hosts, techniques, updated_at, brief, keys)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
       ON CONFLICT (tenant, id) DO UPDATE SET title = excluded.title, score = excluded.score,
         severity = excluded.severity, level = excluded.level, first_ts = excluded.first_ts,
         last_ts = excluded.last_ts, alert_count = excluded.alert_count, hosts = excluded.hosts,
         techniques = excluded.techniques, updated_at = excluded.updated_at,
         brief = excluded.brief, keys = excluded.keys`,
      incidentParams(i),
    );
    await db.query(
      `INSERT INTO incident_docs (tenant, id, doc) VALUES ($1, $2, $3)
       ON CONFLICT (tenant, id) DO UPDATE SET doc = excluded.doc`,
      [tenant, i.id, JSON.stringify(i.doc)],
    );
    await db.query(
      `INSERT INTO incident_cases (tenant, id, status, tags, created_at, case_updated_at, reopened)
       VALUES ($1, $2, 'new', '[]', $3, $3, 0)
       ON CONFLICT (tenant, id) DO UPDATE SET merged_into = NULL
       WHERE incident_cases.merged_into IS NOT NULL`,
      [tenant, i.id, now],
    );
    await db.query(
      `INSERT INTO incident_alerts (tenant, alert_id, incident)
       SELECT $1, a, $2 FROM unnest($3::text[]) AS a
       ON CONFLICT (tenant, alert_id) DO UPDATE SET incident = excluded.incident`,
      [tenant, i.id, [...new Set(i.alertIds)]],
    );
    await db.query('DELETE FROM incident_keys WHERE tenant = $1 AND incident = $2', [tenant, i.id]);
    await db.query(
      `INSERT INTO incident_keys (tenant, key, incident)
       SELECT $1, k, $2 FROM unnest($3::text[]) AS k ON CONFLICT DO NOTHING`,
      [tenant, i.id, [...new Set(i.keys)]],
    );
  }
}

export async function retireIncident(
  db: Queryable,
  tenant: string,
  id: string,
  mergedInto: string,
  now: number,
): Promise<void> {
  await db.query('DELETE FROM incidents WHERE tenant = $1 AND id = $2', [tenant, id]);
  await db.query('DELETE FROM incident_docs WHERE tenant = $1 AND id = $2', [tenant, id]);
  await db.query('DELETE FROM incident_alerts WHERE tenant = $1 AND incident = $2', [tenant, id]);
  await db.query('DELETE FROM incident_keys WHERE tenant = $1 AND incident = $2', [tenant, id]);
  await db.query(
    'UPDATE incident_cases SET merged_into = $3, case_updated_at = $4 WHERE tenant = $1 AND id = $2',
    [tenant, id, mergedInto, now],
  );
}

export async function getIncident(
  db: Queryable,
  tenant: string,
  id: string,
): Promise<{ record?: IncidentRecord; case: IncidentCase } | undefined> {
  const [c] = await rows<CaseRow>(db, `${CASE_SELECT} WHERE tenant = $1 AND id = $2`, [tenant, id]);
  if (!c) return undefined;
  const [r] = await rows<IncidentRow>(
    db,
    `SELECT ${INCIDENT_SUMMARY_COLUMNS.split(', ')
      .map((c) => `i.${c}`)
      .join(', ')}, i.keys, d.doc FROM incidents i
     LEFT JOIN incident_docs d ON d.tenant = i.tenant AND d.id = i.id
     WHERE i.tenant = $1 AND i.id = $2`,
    [tenant, id],
  );
  return r ? { record: incidentFromRow(r), case: caseFromRow(c) } : { case: caseFromRow(c) };
}

export async function listIncidents(db: Queryable, q: IncidentQuery): Promise<IncidentPage> {
  checkIncidentQuery(q);
  const limit = pageLimit(q.limit);
  const tenants = [...new Set(q.tenants)];
  if (tenants.length === 0) return { items: [], total: 0 };
  const params: unknown[] = [];
  const p = (value: unknown): string => {
    params.push(value);
    return `$${params.length}`;
  };
  const where = ['c.merged_into IS NULL', `i.tenant = ANY(${p(tenants)}::text[])`];
  if (q.statuses && q.statuses.length > 0) where.push(`c.status = ANY(${p(q.statuses)}::text[])`);
  if (q.severities && q.severities.length > 0)
    where.push(`i.severity = ANY(${p(q.severities)}::text[])`);
  if (q.assignee !== undefined) {
    if (q.assignee === '') where.push('c.assignee IS NULL');
    else where.push(`lower(c.assignee) = lower(${p(q.assignee)})`);
  }
  if (q.technique !== undefined)
    where.push(`EXISTS (SELECT 1 FROM jsonb_array_elements_text(i.techniques) t
      WHERE t = ${p(q.technique)} OR t LIKE ${p(`${q.technique}.%`)})`);
  if (q.host !== undefined) where.push(`i.hosts ? lower(${p(q.host)})`);
  if (q.minScore !== undefined) where.push(`i.score >= ${p(q.minScore)}`);
  const from = 'FROM incidents i JOIN incident_cases c ON c.tenant = i.tenant AND c.id = i.id';
  const [count] = await rows<{ n: number }>(
    db,
    `SELECT count(*)::int AS n ${from} WHERE ${where.join(' AND ')}`,
    params,
  );
  if (q.cursor !== undefined) {
    const [score, lastTs, id, tenant] = decodeQueueCursor(q.cursor);
    where.push(
      `(i.score, i.last_ts, i.id, i.tenant) < (${p(score)}, ${p(lastTs)}, ${p(id)}, ${p(tenant)})`,
    );
  }
  const cols = [
    ...INCIDENT_SUMMARY_COLUMNS.split(', ').map((c) => `i.${c}`),
    ...INCIDENT_CASE_COLUMNS.split(', ').map((c) => `c.${c}`),
  ].join(', ');
  const found = await rows<IncidentRow & CaseRow>(
    db,
    `SELECT ${cols} ${from} WHERE ${where.join(' AND ')} ${QUEUE_ORDER} LIMIT ${p(limit + 1)}`,
    params,
  );
  const items = found.slice(0, limit).map(summaryFromJoinedRow);
  const total = count?.n ?? 0;
  const last = items.at(-1);
  return found.length > limit && last
    ? { items, total, next: queueCursor(last.record) }
    : { items, total };
}

export async function incidentsOfAlerts(
  db: Queryable,
  tenant: string,
  alertIds: readonly string[],
): Promise<Map<string, string>> {
  const found = await rows<{ alert_id: string; incident: string }>(
    db,
    'SELECT alert_id, incident FROM incident_alerts WHERE tenant = $1 AND alert_id = ANY($2::text[])',
    [tenant, alertIds],
  );
  return new Map(found.map((r) => [r.alert_id, r.incident]));
}

export async function incidentAlertIds(
  db: Queryable,
  tenant: string,
  id: string,
): Promise<string[]> {
  const found = await rows<{ alert_id: string }>(
    db,
    'SELECT alert_id FROM incident_alerts WHERE tenant = $1 AND incident = $2 ORDER BY alert_id',
    [tenant, id],
  );
  return found.map((r) => r.alert_id);
}

export async function updateIncidentCase(
  db: Queryable,
  tenant: string,
  id: string,
  patch: IncidentCasePatch,
): Promise<IncidentCase | undefined> {
  const cols = casePatchColumns(patch);
  const sets = cols.map((c, i) => `${c.column} = $${i + 3}`).join(', ');
  const [row] = await rows<CaseRow>(
    db,
    `UPDATE incident_cases SET ${sets} WHERE tenant = $1 AND id = $2
     RETURNING tenant, id, ${INCIDENT_CASE_COLUMNS}`,
    [tenant, id, ...cols.map((c) => c.value)],
  );
  return row && caseFromRow(row);
}

export async function similarIncidents(
  db: Queryable,
  tenant: string,
  id: string,
  limit: number,
): Promise<{ id: string; shared: string[] }[]> {
  const found = await rows<{ id: string; shared: string[] }>(
    db,
    `SELECT k.incident AS id, array_agg(k.key ORDER BY k.key) AS shared
     FROM incident_keys k JOIN incident_keys mine
       ON mine.tenant = k.tenant AND mine.key = k.key AND mine.incident = $2
     WHERE k.tenant = $1 AND k.incident <> $2
     GROUP BY k.incident ORDER BY count(*) DESC, k.incident LIMIT $3`,
    [tenant, id, limit],
  );
  return found.map((r) => ({ id: r.id, shared: r.shared }));
}

export async function addIncidentNote(db: Queryable, n: IncidentNote): Promise<void> {
  await db.query(
    'INSERT INTO incident_notes (tenant, incident, id, author, ts, text) VALUES ($1, $2, $3, $4, $5, $6)',
    noteParams(n),
  );
}

export async function listIncidentNotes(
  db: Queryable,
  tenant: string,
  incident: string,
): Promise<IncidentNote[]> {
  return (
    await rows<NoteRow>(
      db,
      'SELECT * FROM incident_notes WHERE tenant = $1 AND incident = $2 ORDER BY ts, id',
      [tenant, incident],
    )
  ).map(noteFromRow);
}

export async function addIncidentEvidence(db: Queryable, e: IncidentEvidence): Promise<void> {
  await db.query(
    `INSERT INTO incident_evidence (tenant, incident, id, author, ts, kind, ref, note)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
    evidenceParams(e),
  );
}

export async function listIncidentEvidence(
  db: Queryable,
  tenant: string,
  incident: string,
): Promise<IncidentEvidence[]> {
  return (
    await rows<EvidenceRow>(
      db,
      'SELECT * FROM incident_evidence WHERE tenant = $1 AND incident = $2 ORDER BY ts, id',
      [tenant, incident],
    )
  ).map(evidenceFromRow);
}

export async function pinAlerts(
  db: Queryable,
  tenant: string,
  incident: string,
  alertIds: readonly string[],
): Promise<void> {
  await db.query(
    `INSERT INTO incident_pins (tenant, alert_id, incident)
     SELECT $1, a, $2 FROM unnest($3::text[]) AS a
     ON CONFLICT (tenant, alert_id) DO UPDATE SET incident = excluded.incident`,
    [tenant, incident, [...new Set(alertIds)]],
  );
}

export async function listPins(
  db: Queryable,
  tenant: string,
  alertIds?: readonly string[],
): Promise<Map<string, string>> {
  const found = await rows<{ alert_id: string; incident: string }>(
    db,
    alertIds === undefined
      ? 'SELECT alert_id, incident FROM incident_pins WHERE tenant = $1'
      : 'SELECT alert_id, incident FROM incident_pins WHERE tenant = $1 AND alert_id = ANY($2::text[])',
    alertIds === undefined ? [tenant] : [tenant, alertIds],
  );
  return new Map(found.map((r) => [r.alert_id, r.incident]));
}

export async function getTenantSetting(
  db: Queryable,
  tenant: string,
  key: string,
): Promise<unknown> {
  const [row] = await rows<{ value: unknown }>(
    db,
    'SELECT value FROM tenant_settings WHERE tenant = $1 AND key = $2',
    [tenant, key],
  );
  return row?.value;
}

export async function setTenantSetting(
  db: Queryable,
  tenant: string,
  key: string,
  value: unknown,
): Promise<void> {
  await db.query(
    `INSERT INTO tenant_settings (tenant, key, value) VALUES ($1, $2, $3)
     ON CONFLICT (tenant, key) DO UPDATE SET value = excluded.value`,
    [tenant, key, JSON.stringify(value)],
  );
}
