/**
 * The JSON the console reads from the Vigil API (`/api/v1`, see GET /api/v1/openapi.json). Written
 * from the API's answers, not imported from the server: the console talks to it over HTTP only. Fields
 * that newer servers add are optional here so that the console works against both.
 */

export type Role = 'provider_admin' | 'provider_analyst' | 'customer_admin' | 'customer_viewer';

export interface User {
  readonly id: string;
  readonly name: string;
  readonly role: Role;
  readonly tenant: string;
  readonly tenants?: readonly string[];
  readonly created_at: string;
  readonly disabled: boolean;
}

export interface TenantRef {
  readonly id: string;
  readonly name: string;
}

export interface Tenant extends TenantRef {
  readonly created_at: string;
  readonly retention_days: number;
  readonly disabled_rules: readonly string[];
}

export interface Me {
  readonly user: User;
  readonly tenants: readonly TenantRef[];
}

export type Level = 'informational' | 'low' | 'medium' | 'high' | 'critical';
export const LEVELS: readonly Level[] = ['informational', 'low', 'medium', 'high', 'critical'];

export const STATUSES = [
  'new',
  'triage',
  'investigating',
  'contained',
  'resolved',
  'false_positive',
  'benign',
] as const;
export type IncidentStatus = (typeof STATUSES)[number];
export const CLOSED_STATUSES: readonly IncidentStatus[] = ['resolved', 'false_positive', 'benign'];

export const DETERMINATIONS = ['incident', 'noteworthy', 'not_noteworthy'] as const;
export type Determination = (typeof DETERMINATIONS)[number];

export interface ScoreTerm {
  readonly name: string;
  readonly points: number;
  readonly max: number;
  readonly why: string;
}

export type HostState = 'infected' | 'targeted' | 'clean';

export interface IncidentHost {
  readonly name: string;
  readonly state: HostState;
  readonly why: string;
}

export interface SlaClock {
  readonly target_min: number;
  readonly due: string;
  readonly met_at?: string | null;
  readonly breached: boolean;
}

export interface Sla {
  readonly acknowledge?: SlaClock | null;
  readonly contain?: SlaClock | null;
  readonly resolve?: SlaClock | null;
}

export type Lang = 'en' | 'zh-TW';

export interface Recommendation {
  readonly id: string;
  readonly name: string;
  readonly how: string;
  readonly techniques: readonly string[];
  /** Vigil's own advice in Traditional Chinese (MITRE's mitigations are English only). */
  readonly zh?: { readonly name: string; readonly how: string };
}

export type EntityType =
  | 'host'
  | 'user'
  | 'session'
  | 'process'
  | 'file'
  | 'hash'
  | 'ip'
  | 'domain'
  | 'url'
  | 'registry'
  | 'service'
  | 'task'
  | 'mail'
  | 'database';

export interface GraphNode {
  readonly type: EntityType;
  readonly id: string;
  readonly label: string;
  readonly role?: string;
  readonly attributes?: Readonly<Record<string, string | number>>;
}

export interface GraphEdge {
  readonly from: string;
  readonly to: string;
  readonly type: string;
  readonly ts: number;
  readonly eventIds: readonly string[];
}

export interface TimelineEntry {
  readonly ts: string;
  readonly host?: string;
  readonly alertId: string;
  readonly title: string;
  readonly level: Level;
  readonly tactics: readonly string[];
}

export interface Note {
  readonly id?: string;
  readonly author: string;
  readonly text: string;
  readonly ts?: string;
  readonly created_at?: string;
}

export interface Evidence {
  readonly id?: string;
  readonly kind: string;
  readonly ref: string;
  readonly note?: string;
  readonly author?: string;
  readonly created_at?: string;
}

export interface Similar {
  readonly id: string;
  readonly title: string;
  readonly score: number;
  readonly status?: IncidentStatus;
  readonly last_ts?: string;
  readonly shared: readonly string[] | number | string;
}

/** An incident as the queue lists it. */
export interface IncidentSummary {
  readonly id: string;
  readonly tenant: string;
  readonly title: string;
  readonly score: number;
  readonly score_terms?: readonly ScoreTerm[];
  readonly status: IncidentStatus;
  readonly severity?: Level;
  readonly determination?: Determination | null;
  readonly assignee?: string | null;
  readonly tags?: readonly string[];
  readonly sla?: Sla;
  readonly sla_breached?: boolean;
  readonly first_ts: string;
  readonly last_ts: string;
  readonly hosts: readonly IncidentHost[];
  readonly techniques: readonly string[];
  readonly tactics: readonly string[];
  readonly alert_count: number;
}

/** One incident with its story. */
export interface Incident extends IncidentSummary {
  readonly source: { readonly type: string; readonly id: string; readonly label: string } | null;
  readonly patient_zero: string | null;
  readonly narrative: Readonly<Record<Lang, string>>;
  readonly next_steps: Readonly<Record<Lang, readonly string[]>>;
  readonly mitigations: readonly Recommendation[];
  readonly alert_ids: readonly string[];
  readonly graph: { readonly nodes: readonly GraphNode[]; readonly edges: readonly GraphEdge[] };
  readonly timeline: readonly TimelineEntry[];
  readonly notes?: readonly Note[];
  readonly evidence?: readonly Evidence[];
  readonly similar?: readonly Similar[];
}

export interface IncidentPage {
  readonly incidents: readonly IncidentSummary[];
  readonly total: number;
  readonly next?: string | null;
}

export interface RuleRef {
  readonly id: string;
  readonly title: string;
  readonly level?: Level;
  readonly status?: string;
  readonly tags?: readonly string[];
  readonly file?: string;
}

export type FieldValue = string | number | boolean | null | readonly FieldValue[];

export interface Alert {
  readonly id: string;
  readonly tenant: string;
  readonly rule: RuleRef;
  readonly kind: string;
  readonly level: Level;
  readonly ts: string;
  readonly created_at: string;
  readonly host: string | null;
  readonly user: string | null;
  readonly status: string;
  readonly event_ids: readonly string[];
  /** The fields the rule matched, by name. */
  readonly matched: Readonly<Record<string, unknown>> | readonly unknown[];
  readonly entities?: unknown;
}

export interface StoredEvent {
  readonly id: string;
  readonly tenant: string;
  readonly ts: string | null;
  readonly received_at: string;
  readonly source: Readonly<Record<string, string>>;
  readonly format: string;
  readonly receiver: string;
  readonly host: string | null;
  readonly user: string | null;
  readonly fields: Readonly<Record<string, FieldValue>>;
  readonly entities?: unknown;
}

export interface AlertWithEvents extends Alert {
  readonly events: readonly StoredEvent[];
}

export interface RuleListing extends RuleRef {
  readonly kind: 'detection' | 'correlation' | 'filter';
  readonly origin: string;
  readonly ruleset: string;
  readonly logsource?: Readonly<Record<string, string>>;
  readonly enabled: boolean;
}

export interface ExceptionCondition {
  readonly field: string;
  readonly op: string;
  readonly value: string;
}

export interface RuleException {
  readonly id: string;
  readonly tenant: string;
  readonly rule_id: string | null;
  readonly conditions: readonly ExceptionCondition[];
  readonly reason: string;
  readonly author: string;
  readonly created_at: string;
  readonly expires_at: string | null;
  readonly hits: number;
  readonly last_hit_at: string | null;
}

export interface RuleIssue {
  readonly code: string;
  readonly severity: 'error' | 'warning';
  readonly message: string;
  readonly line?: number;
  readonly col?: number;
  readonly path?: string;
}

export interface IngestKey {
  readonly id: string;
  readonly tenant: string;
  readonly name: string;
  readonly prefix: string;
  readonly created_at: string;
  readonly revoked_at?: string;
}

export interface AuditEntry {
  readonly seq: number;
  readonly tenant: string;
  readonly ts: string;
  readonly actor: string;
  readonly action: string;
  readonly target: string;
  readonly detail: Readonly<Record<string, unknown>>;
}
