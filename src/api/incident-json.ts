/**
 * The API's JSON of incidents (snake_case, ISO 8601 times): the computed part (its record's doc: story,
 * graph, narrative…) joined with its case (status, determination, assignee, tags, SLA clocks).
 */
import {
  BRIEF_KEYS,
  slaClocks,
  type IncidentCase,
  type IncidentEvidence,
  type IncidentNote,
  type IncidentRecord,
  type IncidentSummary,
  type SlaClock,
  type SlaTargets,
} from '../core/index.ts';

const iso = (ms: number): string => new Date(ms).toISOString();

function clockJson(c: SlaClock | undefined): Record<string, unknown> | undefined {
  if (!c) return undefined;
  return {
    target_min: c.targetMin,
    due: iso(c.due),
    met_at: c.metAt === undefined ? null : iso(c.metAt),
    breached: c.breached,
    ...(c.remainingMs === undefined ? {} : { remaining_s: Math.round(c.remainingMs / 1000) }),
  };
}

function caseJson(
  c: IncidentCase,
  severity: IncidentRecord['severity'],
  sla: SlaTargets,
  now: number,
): Record<string, unknown> {
  const clocks = slaClocks(c, severity, sla, now);
  return {
    status: c.status,
    determination: c.determination ?? null,
    assignee: c.assignee ?? null,
    tags: c.tags,
    created_at: iso(c.createdAt),
    updated_at: iso(c.updatedAt),
    acknowledged_at: c.acknowledgedAt === undefined ? null : iso(c.acknowledgedAt),
    contained_at: c.containedAt === undefined ? null : iso(c.containedAt),
    resolved_at: c.resolvedAt === undefined ? null : iso(c.resolvedAt),
    reopened: c.reopened,
    sla: {
      acknowledge: clockJson(clocks.acknowledge) ?? null,
      contain: clockJson(clocks.contain) ?? null,
      resolve: clockJson(clocks.resolve) ?? null,
    },
    sla_breached: [clocks.acknowledge, clocks.contain, clocks.resolve].some(
      (k) => k?.breached === true,
    ),
  };
}

/** An incident in the queue (snake_case, ISO 8601 times): no graph, timeline or narrative. */
export function incidentSummaryJson(
  s: IncidentSummary,
  sla: SlaTargets,
  now: number,
): { id: string } & Record<string, unknown> {
  const r = s.record;
  return {
    id: r.id,
    tenant: r.tenant,
    title: r.title,
    score: r.score,
    severity: r.severity,
    level: r.level,
    first_ts: iso(r.firstTs),
    last_ts: iso(r.lastTs),
    alert_count: r.alertCount,
    host_names: r.hosts,
    ...r.brief,
    techniques: r.techniques,
    ...caseJson(s.case, r.severity, sla, now),
  };
}

/** A whole incident: its record's doc (story, graph, narrative…), its case, notes, evidence, similar ones. */
export function incidentJson(
  record: IncidentRecord,
  c: IncidentCase,
  sla: SlaTargets,
  now: number,
  extra: {
    readonly notes?: readonly IncidentNote[];
    readonly evidence?: readonly IncidentEvidence[];
    readonly similar?: readonly Record<string, unknown>[];
  } = {},
): { id: string } & Record<string, unknown> {
  const brief = Object.fromEntries(BRIEF_KEYS.map((k) => [k, record.doc[k] ?? null]));
  return {
    ...record.doc,
    ...incidentSummaryJson({ record: { ...record, brief }, case: c }, sla, now),
    alert_count: record.alertCount,
    ...(extra.notes === undefined
      ? {}
      : {
          notes: extra.notes.map((n) => ({
            id: n.id,
            author: n.author,
            ts: iso(n.ts),
            text: n.text,
          })),
        }),
    ...(extra.evidence === undefined
      ? {}
      : {
          evidence: extra.evidence.map((e) => ({
            id: e.id,
            author: e.author,
            ts: iso(e.ts),
            kind: e.kind,
            ref: e.ref,
            note: e.note,
          })),
        }),
    ...(extra.similar === undefined ? {} : { similar: extra.similar }),
  };
}
