/**
 * Rows of the incident tables (the same columns in every implementation) and their conversion to and
 * from the domain objects, and the queue's sort order and cursor.
 */
import {
  BRIEF_KEYS,
  INCIDENT_STATUSES,
  SEVERITIES,
  VigilError,
  type Determination,
  type IncidentCase,
  type IncidentCasePatch,
  type IncidentEvidence,
  type IncidentNote,
  type IncidentQuery,
  type IncidentRecord,
  type IncidentStatus,
  type IncidentSummary,
  type Level,
  type Severity,
} from '../core/index.ts';
import { decodeCursor, encodeCursor } from './paging.ts';

type JsonColumn = string | object;

function json(value: JsonColumn): unknown {
  return typeof value === 'string' ? JSON.parse(value) : value;
}

const opt = <K extends string, V>(key: K, value: V | null | undefined): { [P in K]?: V } =>
  (value === null || value === undefined ? {} : { [key]: value }) as { [P in K]?: V };

/** Summary columns of `incidents` (no doc, no keys): what the queue reads. */
export const INCIDENT_SUMMARY_COLUMNS =
  'tenant, id, title, score, severity, level, first_ts, last_ts, alert_count, hosts, techniques, updated_at, brief';
export const INCIDENT_CASE_COLUMNS =
  'status, determination, assignee, tags, created_at, case_updated_at, acknowledged_at, contained_at, resolved_at, reopened, merged_into';

export interface IncidentRow {
  tenant: string;
  id: string;
  title: string;
  score: number;
  severity: string;
  level: string;
  first_ts: number;
  last_ts: number;
  alert_count: number;
  hosts: JsonColumn;
  techniques: JsonColumn;
  updated_at: number;
  brief: JsonColumn;
  doc?: JsonColumn;
  keys?: JsonColumn;
}

export interface CaseRow {
  tenant: string;
  id: string;
  status: string;
  determination: string | null;
  assignee: string | null;
  tags: JsonColumn;
  created_at: number;
  case_updated_at: number;
  acknowledged_at: number | null;
  contained_at: number | null;
  resolved_at: number | null;
  reopened: number;
  merged_into: string | null;
}

/** The `incidents` row of a record, in column order (its doc goes to `incident_docs`). */
export function incidentParams(i: IncidentRecord): unknown[] {
  return [
    i.tenant,
    i.id,
    i.title,
    i.score,
    i.severity,
    i.level,
    i.firstTs,
    i.lastTs,
    i.alertCount,
    JSON.stringify(i.hosts.map((h) => h.toLowerCase())),
    JSON.stringify(i.techniques),
    i.updatedAt,
    JSON.stringify(Object.fromEntries(BRIEF_KEYS.map((k) => [k, i.doc[k] ?? null]))),
    JSON.stringify(i.keys),
  ];
}

function summaryFromRow(r: IncidentRow): Omit<IncidentSummary['record'], 'brief'> {
  return {
    tenant: r.tenant,
    id: r.id,
    title: r.title,
    score: r.score,
    severity: r.severity as Severity,
    level: r.level as Level,
    firstTs: r.first_ts,
    lastTs: r.last_ts,
    alertCount: r.alert_count,
    hosts: json(r.hosts) as string[],
    techniques: json(r.techniques) as string[],
    updatedAt: r.updated_at,
  };
}

export function incidentFromRow(r: IncidentRow): IncidentRecord {
  return {
    ...summaryFromRow(r),
    keys: json(r.keys ?? '[]') as string[],
    doc: json(r.doc ?? '{}') as Record<string, unknown>,
  };
}

export function caseFromRow(r: CaseRow): IncidentCase {
  return {
    tenant: r.tenant,
    id: r.id,
    status: r.status as IncidentStatus,
    ...opt('determination', r.determination as Determination | null),
    ...opt('assignee', r.assignee),
    tags: json(r.tags) as string[],
    createdAt: r.created_at,
    updatedAt: r.case_updated_at,
    ...opt('acknowledgedAt', r.acknowledged_at),
    ...opt('containedAt', r.contained_at),
    ...opt('resolvedAt', r.resolved_at),
    reopened: r.reopened,
    ...opt('mergedInto', r.merged_into),
  };
}

export function summaryFromJoinedRow(r: IncidentRow & CaseRow): IncidentSummary {
  return {
    record: { ...summaryFromRow(r), brief: json(r.brief) as Record<string, unknown> },
    case: caseFromRow(r),
  };
}

/**
 * The column assignments of a case patch, in a fixed order, and their values (`null` clears). The caller
 * numbers the placeholders its own way.
 */
export function casePatchColumns(patch: IncidentCasePatch): { column: string; value: unknown }[] {
  const out: { column: string; value: unknown }[] = [];
  const set = (column: string, value: unknown): void => {
    if (value !== undefined) out.push({ column, value });
  };
  set('status', patch.status);
  set('determination', patch.determination);
  set('assignee', patch.assignee);
  set('tags', patch.tags === undefined ? undefined : JSON.stringify(patch.tags));
  set('acknowledged_at', patch.acknowledgedAt);
  set('contained_at', patch.containedAt);
  set('resolved_at', patch.resolvedAt);
  set('reopened', patch.reopened);
  set('merged_into', patch.mergedInto);
  set('case_updated_at', patch.updatedAt);
  return out;
}

export interface NoteRow {
  tenant: string;
  incident: string;
  id: string;
  author: string;
  ts: number;
  text: string;
}

export const noteFromRow = (r: NoteRow): IncidentNote => ({ ...r });
export const noteParams = (n: IncidentNote): unknown[] => [
  n.tenant,
  n.incident,
  n.id,
  n.author,
  n.ts,
  n.text,
];

export interface EvidenceRow {
  tenant: string;
  incident: string;
  id: string;
  author: string;
  ts: number;
  kind: string;
  ref: string;
  note: string;
}

export const evidenceFromRow = (r: EvidenceRow): IncidentEvidence => ({ ...r });
export const evidenceParams = (e: IncidentEvidence): unknown[] => [
  e.tenant,
  e.incident,
  e.id,
  e.author,
  e.ts,
  e.kind,
  e.ref,
  e.note,
];

/** Validates the enumerated filters of a queue query (a bad one is the caller's error, named). */
export function checkIncidentQuery(q: IncidentQuery): void {
  for (const s of q.statuses ?? [])
    if (!(INCIDENT_STATUSES as readonly string[]).includes(s))
      throw new VigilError(
        'BAD_REQUEST',
        `unknown incident status ${s} (one of ${INCIDENT_STATUSES.join(', ')})`,
      );
  for (const s of q.severities ?? [])
    if (!(SEVERITIES as readonly string[]).includes(s))
      throw new VigilError(
        'BAD_REQUEST',
        `unknown severity ${s} (one of ${SEVERITIES.join(', ')})`,
      );
}

/** The queue's order: score, then most recent activity, then id, tenant (all descending). */
export const QUEUE_ORDER = 'ORDER BY i.score DESC, i.last_ts DESC, i.id DESC, i.tenant DESC';

export function queueCursor(r: IncidentSummary['record']): string {
  return encodeCursor([r.score, r.lastTs, r.id, r.tenant]);
}

export function decodeQueueCursor(cursor: string): [number, number, string, string] {
  return decodeCursor(cursor, ['number', 'number', 'string', 'string'] as const);
}
