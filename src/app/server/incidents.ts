/**
 * One incident described from its alerts and their events (src/correlate: the attack story, the score,
 * the narrative), as the record the store keeps. Its `doc` is what the API shows of the computed part.
 */
import { buildStory, narrate, scoreIncident, type StoryAlert } from '../../correlate/index.ts';
import {
  levelRank,
  severityOf,
  type Alert,
  type AssetTags,
  type IncidentRecord,
  type StoredEvent,
} from '../../core/index.ts';

export interface DescribeContext {
  readonly assets: AssetTags;
  /** Exception hits of the tenant in the incident's rules (lower confidence). */
  readonly suppressed?: number;
  readonly now: number;
}

/** Entity types whose ids make two incidents similar (besides their rules). */
const SIMILAR_TYPES = new Set(['user', 'hash', 'domain', 'url', 'mail', 'ip', 'file', 'service']);
const MAX_KEYS = 200;

const iso = (ms: number): string => new Date(ms).toISOString();

const TIMELINE_MAX = 1000;

function capped<T>(list: readonly T[]): readonly T[] {
  if (list.length <= TIMELINE_MAX) return list;
  return [...list.slice(0, TIMELINE_MAX / 2), ...list.slice(-TIMELINE_MAX / 2)];
}

/** The record of one incident: `members` are its alerts, `events` holds (at least) their events. */
export function describeIncident(
  tenant: string,
  id: string,
  members: readonly Alert[],
  events: ReadonlyMap<string, StoredEvent>,
  ctx: DescribeContext,
): IncidentRecord {
  const sorted = [...members].sort((x, y) => x.ts - y.ts || (x.id < y.id ? -1 : 1));
  const storyAlerts: StoryAlert[] = sorted.map((a) => ({
    id: a.id,
    ts: a.ts,
    level: a.level,
    title: a.rule.title,
    ruleId: a.rule.id,
    tags: a.rule.tags,
    ...(a.host === undefined ? {} : { host: a.host }),
    eventIds: a.eventIds,
  }));
  const groupEvents = [...new Set(sorted.flatMap((a) => a.eventIds))]
    .map((e) => events.get(e))
    .filter((e): e is StoredEvent => e !== undefined);
  // Hosts the incident's own events come from: one its evidence does not reach is reported clean. (Only
  // the incident's own evidence counts, so its story depends on its alerts alone, not on what else the
  // tenant has seen so far.)
  const ownHosts = [...new Set(groupEvents.flatMap((e) => (e.host ? [e.host] : [])))];
  const story = buildStory(storyAlerts, groupEvents, ownHosts);
  const score = scoreIncident({
    now: ctx.now,
    assets: ctx.assets,
    ...(ctx.suppressed === undefined ? {} : { suppressed: ctx.suppressed }),
    alerts: sorted.map((a) => ({
      level: a.level,
      ...(a.rule.status === undefined ? {} : { status: a.rule.status }),
      tags: a.rule.tags,
      ts: a.ts,
      ...(a.host === undefined ? {} : { host: a.host }),
      ...(a.user === undefined ? {} : { user: a.user }),
    })),
  });
  const narrative = narrate(story);
  let worst: Alert | undefined;
  for (const a of sorted) if (!worst || levelRank(a.level) > levelRank(worst.level)) worst = a;
  const hosts = [...new Set(sorted.flatMap((a) => (a.host ? [a.host.toLowerCase()] : [])))].sort();
  const where =
    hosts.length === 0
      ? ''
      : hosts.length === 1
        ? ` on ${hosts[0] ?? ''}`
        : ` on ${hosts.length} hosts`;
  const keys = new Set(sorted.map((a) => `rule:${a.rule.id}`));
  for (const n of story.nodes) {
    if (keys.size >= MAX_KEYS) break;
    if (SIMILAR_TYPES.has(n.type)) keys.add(n.id);
  }
  const first = sorted[0]?.ts ?? 0;
  const last = sorted.at(-1)?.ts ?? first;
  return {
    id,
    tenant,
    title: `${worst?.rule.title ?? 'Alerts'}${where}`,
    score: score.score,
    severity: severityOf(score.score),
    level: worst?.level ?? 'informational',
    firstTs: first,
    lastTs: last,
    alertCount: sorted.length,
    hosts,
    techniques: story.techniques,
    keys: [...keys],
    updatedAt: ctx.now,
    doc: {
      score_terms: score.terms,
      hosts: story.hosts,
      techniques: story.techniques,
      tactics: story.tactics,
      source: story.source
        ? { type: story.source.type, id: story.source.id, label: story.source.label }
        : null,
      patient_zero: story.patientZero ?? null,
      narrative: narrative.text,
      next_steps: narrative.nextSteps,
      mitigations: narrative.mitigations,
      alert_ids: sorted.map((a) => a.id),
      graph: { nodes: story.nodes, edges: story.edges },
      // A long incident keeps its first and last entries; the alerts themselves stay listed in alert_ids.
      timeline: capped(story.timeline).map((t) => ({ ...t, ts: iso(t.ts) })),
      timeline_total: story.timeline.length,
    },
  };
}
