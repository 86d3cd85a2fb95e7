/**
 * Incidents as the server keeps them: the computed part (membership, story, score — rebuilt by the incident
 * builder as alerts arrive) and the case part (status, determination, assignee, tags, notes, evidence, SLA
 * clocks — written by analysts). The two live in separate rows so a rebuild never overwrites case work.
 */
import type { Level } from './event.ts';

export const INCIDENT_STATUSES = [
  'new',
  'triage',
  'investigating',
  'contained',
  'resolved',
  'false_positive',
  'benign',
] as const;
export type IncidentStatus = (typeof INCIDENT_STATUSES)[number];

/** Statuses that close an incident (a new alert joining it reopens it, unless the policy says otherwise). */
export const CLOSED_STATUSES: readonly IncidentStatus[] = ['resolved', 'false_positive', 'benign'];

export function isClosedStatus(status: IncidentStatus): boolean {
  return CLOSED_STATUSES.includes(status);
}

export const DETERMINATIONS = ['incident', 'noteworthy', 'not_noteworthy'] as const;
export type Determination = (typeof DETERMINATIONS)[number];

/** Severity of an incident, from its score: the SLA targets are set per severity. */
export const SEVERITIES = ['critical', 'high', 'medium', 'low'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** Score bands: ≥ 75 critical, ≥ 55 high, ≥ 35 medium, else low. */
export function severityOf(score: number): Severity {
  if (score >= 75) return 'critical';
  if (score >= 55) return 'high';
  if (score >= 35) return 'medium';
  return 'low';
}

/** The part of an incident the builder computes from its alerts. */
export interface IncidentRecord {
  readonly id: string;
  readonly tenant: string;
  readonly title: string;
  readonly score: number;
  readonly severity: Severity;
  /** Highest alert level. */
  readonly level: Level;
  readonly firstTs: number;
  readonly lastTs: number;
  readonly alertCount: number;
  /** Host names, lower case. */
  readonly hosts: readonly string[];
  readonly techniques: readonly string[];
  /** Entity and rule keys (`rule:<id>`, `user:…`, `hash:…`…) similar incidents are found by. */
  readonly keys: readonly string[];
  /** The whole computed view (story, graph, narrative, score terms…) as the API shows it. */
  readonly doc: Readonly<Record<string, unknown>>;
  readonly updatedAt: number;
}

/** The analyst's part of an incident. */
export interface IncidentCase {
  readonly tenant: string;
  readonly id: string;
  readonly status: IncidentStatus;
  readonly determination?: Determination;
  /** User name. */
  readonly assignee?: string;
  readonly tags: readonly string[];
  readonly createdAt: number;
  readonly updatedAt: number;
  /** When it first left `new`. */
  readonly acknowledgedAt?: number;
  /** When it first reached `contained` (or was closed without it). */
  readonly containedAt?: number;
  /** When it was last closed; cleared on reopen. */
  readonly resolvedAt?: number;
  /** How many times a new alert reopened it. */
  readonly reopened: number;
  /** Set when merged into another incident: that incident's id. */
  readonly mergedInto?: string;
}

/** A change to a case; `null` clears a field. */
export interface IncidentCasePatch {
  readonly status?: IncidentStatus;
  readonly determination?: Determination | null;
  readonly assignee?: string | null;
  readonly tags?: readonly string[];
  readonly acknowledgedAt?: number;
  readonly containedAt?: number;
  readonly resolvedAt?: number | null;
  readonly reopened?: number;
  readonly mergedInto?: string | null;
  readonly updatedAt: number;
}

/** The members of an incident's doc the queue shows too (kept in their own column). */
export const BRIEF_KEYS = ['hosts', 'tactics', 'source', 'patient_zero', 'score_terms'] as const;

/** An incident as listed in the queue: the computed summary (no doc; its brief) and its case. */
export interface IncidentSummary {
  readonly record: Omit<IncidentRecord, 'doc' | 'keys'> & {
    readonly brief: Readonly<Record<string, unknown>>;
  };
  readonly case: IncidentCase;
}

export interface IncidentNote {
  readonly tenant: string;
  readonly incident: string;
  readonly id: string;
  readonly author: string;
  readonly ts: number;
  readonly text: string;
}

export interface IncidentEvidence {
  readonly tenant: string;
  readonly incident: string;
  readonly id: string;
  readonly author: string;
  readonly ts: number;
  /** `event`, `alert`, `file`, `url`, `hash`, `note`… */
  readonly kind: string;
  /** What it points at: an event or alert id, a path, a URL, a hash. */
  readonly ref: string;
  readonly note: string;
}

export interface IncidentQuery {
  readonly tenants: readonly string[];
  readonly statuses?: readonly IncidentStatus[];
  readonly severities?: readonly Severity[];
  /** User name; `''` = unassigned. */
  readonly assignee?: string;
  readonly technique?: string;
  /** Host name (case-insensitive). */
  readonly host?: string;
  readonly minScore?: number;
  /** Default 100, at most 1000. */
  readonly limit?: number;
  readonly cursor?: string;
}

/** A page of the queue, highest score first, with the number of incidents matching the filters. */
export interface IncidentPage {
  readonly items: readonly IncidentSummary[];
  readonly total: number;
  readonly next?: string;
}

/** SLA targets of one severity, minutes (absent = none). */
export interface SlaTarget {
  readonly acknowledgeMin?: number;
  readonly containMin?: number;
  readonly resolveMin?: number;
}

export type SlaTargets = Readonly<Partial<Record<Severity, SlaTarget>>>;

/** Defaults until a tenant sets its own (minutes): typical MDR contract figures. */
export const DEFAULT_SLA: SlaTargets = {
  critical: { acknowledgeMin: 15, containMin: 60, resolveMin: 24 * 60 },
  high: { acknowledgeMin: 30, containMin: 4 * 60, resolveMin: 3 * 24 * 60 },
  medium: { acknowledgeMin: 4 * 60, containMin: 24 * 60, resolveMin: 7 * 24 * 60 },
  low: { acknowledgeMin: 24 * 60, resolveMin: 30 * 24 * 60 },
};

export interface SlaClock {
  readonly targetMin: number;
  /** ms since epoch. */
  readonly due: number;
  readonly metAt?: number;
  /** Met late, or not met and past due. */
  readonly breached: boolean;
  /** ms left until due (negative when overdue); absent once met. */
  readonly remainingMs?: number;
}

export interface SlaClocks {
  readonly acknowledge?: SlaClock;
  readonly contain?: SlaClock;
  readonly resolve?: SlaClock;
}

/** The SLA clocks of an incident at `now`: each starts when the incident was created. */
export function slaClocks(
  c: IncidentCase,
  severity: Severity,
  targets: SlaTargets,
  now: number,
): SlaClocks {
  const t = targets[severity] ?? {};
  const clock = (
    targetMin: number | undefined,
    metAt: number | undefined,
  ): SlaClock | undefined => {
    if (targetMin === undefined) return undefined;
    const due = c.createdAt + targetMin * 60_000;
    if (metAt !== undefined) return { targetMin, due, metAt, breached: metAt > due };
    return { targetMin, due, breached: now > due, remainingMs: due - now };
  };
  const out: { acknowledge?: SlaClock; contain?: SlaClock; resolve?: SlaClock } = {};
  const ack = clock(t.acknowledgeMin, c.acknowledgedAt);
  const contain = clock(t.containMin, c.containedAt);
  const resolve = clock(t.resolveMin, c.resolvedAt);
  if (ack) out.acknowledge = ack;
  if (contain) out.contain = contain;
  if (resolve) out.resolve = resolve;
  return out;
}

/**
 * What a status change means for the clocks: leaving `new` acknowledges, `contained` or closing contains,
 * closing resolves, reopening clears the resolution. Returns the fields to write along with the status.
 */
export function statusTransition(
  c: IncidentCase,
  status: IncidentStatus,
  now: number,
): Pick<IncidentCasePatch, 'acknowledgedAt' | 'containedAt' | 'resolvedAt'> {
  const out: { acknowledgedAt?: number; containedAt?: number; resolvedAt?: number | null } = {};
  if (status !== 'new' && c.acknowledgedAt === undefined) out.acknowledgedAt = now;
  const closing = isClosedStatus(status);
  if ((status === 'contained' || closing) && c.containedAt === undefined) out.containedAt = now;
  if (closing && !isClosedStatus(c.status)) out.resolvedAt = now;
  if (!closing && isClosedStatus(c.status)) out.resolvedAt = null;
  return out;
}

/** Per-tenant asset tags by host (lower case): `domain_controller`, `exchange`, `database`, `server`… */
export type AssetTags = Readonly<Record<string, readonly string[]>>;
