/**
 * Incidents of a tenant, computed from its stored alerts and their events: entities and process lineage
 * (src/correlate), grouping, the attack story, the score and the narrative. Grouping is deterministic and
 * order-independent, so the same alerts always give the same incidents with the same ids. This first
 * version computes on read; storing incidents and case work (status, assignee, SLA) come next.
 */
import {
  buildStory,
  entitiesOfEvents,
  groupAlerts,
  narrate,
  ProcessTree,
  scoreIncident,
  type GroupableAlert,
  type Narrative,
  type Score,
  type Story,
  type StoryAlert,
} from '../../correlate/index.ts';
import { levelRank, type Alert, type Store, type StoredEvent } from '../../core/index.ts';

export interface IncidentView {
  readonly id: string;
  readonly tenant: string;
  readonly title: string;
  readonly score: Score;
  readonly status: 'new';
  readonly firstTs: number;
  readonly lastTs: number;
  readonly alertIds: readonly string[];
  readonly story: Story;
  readonly narrative: Narrative;
}

/** At most this many of a tenant's most recent alerts are grouped per request. */
const MAX_ALERTS = 5000;

async function recentAlerts(store: Store, tenant: string, from?: number): Promise<Alert[]> {
  const out: Alert[] = [];
  let cursor: string | undefined;
  do {
    const page = await store.listAlerts({
      tenants: [tenant],
      ...(from === undefined ? {} : { from }),
      limit: 1000,
      ...(cursor === undefined ? {} : { cursor }),
    });
    out.push(...page.items);
    cursor = page.next;
  } while (cursor !== undefined && out.length < MAX_ALERTS);
  return out;
}

export async function computeIncidents(
  store: Store,
  tenant: string,
  opts: { readonly from?: number; readonly now: number },
): Promise<IncidentView[]> {
  const alerts = await recentAlerts(store, tenant, opts.from);
  if (alerts.length === 0) return [];
  const ids = [...new Set(alerts.flatMap((a) => a.eventIds))];
  const events: StoredEvent[] = [];
  for (let i = 0; i < ids.length; i += 500)
    events.push(...(await store.getEvents(tenant, ids.slice(i, i + 500))));
  const byId = new Map(events.map((e) => [e.id, e]));
  const tree = new ProcessTree();
  for (const e of events) tree.add(e);

  const groupable: GroupableAlert[] = alerts.map((a) => {
    const evs = a.eventIds
      .map((id) => byId.get(id))
      .filter((e): e is StoredEvent => e !== undefined);
    const first = evs[0];
    return {
      id: a.id,
      tenant: a.tenant,
      ts: a.ts,
      ruleId: a.rule.id,
      ...(a.host === undefined ? {} : { host: a.host }),
      entities: entitiesOfEvents(evs, { processes: tree }),
      ...(first ? { lineage: tree.lineageOf(first) } : {}),
    };
  });
  const knownHosts = [...new Set(alerts.flatMap((a) => (a.host ? [a.host.toLowerCase()] : [])))];
  const alertById = new Map(alerts.map((a) => [a.id, a]));
  const out: IncidentView[] = [];
  for (const group of groupAlerts(groupable)) {
    const members = group.alertIds
      .map((id) => alertById.get(id))
      .filter((a): a is Alert => a !== undefined);
    const storyAlerts: StoryAlert[] = members.map((a) => ({
      id: a.id,
      ts: a.ts,
      level: a.level,
      title: a.rule.title,
      ruleId: a.rule.id,
      tags: a.rule.tags,
      ...(a.host === undefined ? {} : { host: a.host }),
      eventIds: a.eventIds,
    }));
    const groupEvents = [...new Set(members.flatMap((a) => a.eventIds))]
      .map((id) => byId.get(id))
      .filter((e): e is StoredEvent => e !== undefined);
    const story = buildStory(storyAlerts, groupEvents, knownHosts);
    const score = scoreIncident({
      now: opts.now,
      alerts: members.map((a) => ({
        level: a.level,
        ...(a.rule.status === undefined ? {} : { status: a.rule.status }),
        tags: a.rule.tags,
        ts: a.ts,
        ...(a.host === undefined ? {} : { host: a.host }),
        ...(a.user === undefined ? {} : { user: a.user }),
      })),
    });
    const worst = [...members].sort(
      (x, y) => levelRank(y.level) - levelRank(x.level) || x.ts - y.ts,
    )[0];
    const hosts = group.hosts;
    out.push({
      id: group.id,
      tenant,
      title: `${worst?.rule.title ?? 'Alerts'}${hosts.length > 0 ? ` on ${hosts.length === 1 ? (hosts[0] ?? '') : `${hosts.length} hosts`}` : ''}`,
      score,
      status: 'new',
      firstTs: group.firstTs,
      lastTs: group.lastTs,
      alertIds: group.alertIds,
      story,
      narrative: narrate(story),
    });
  }
  return out.sort(
    (a, b) => b.score.score - a.score.score || b.lastTs - a.lastTs || (a.id < b.id ? -1 : 1),
  );
}

/** The API's JSON for an incident (snake_case, times in ISO 8601). */
export function incidentJson(i: IncidentView): { id: string } & Record<string, unknown> {
  const s = i.story;
  return {
    id: i.id,
    tenant: i.tenant,
    title: i.title,
    score: i.score.score,
    score_terms: i.score.terms,
    status: i.status,
    first_ts: new Date(i.firstTs).toISOString(),
    last_ts: new Date(i.lastTs).toISOString(),
    hosts: s.hosts,
    techniques: s.techniques,
    tactics: s.tactics,
    source: s.source ? { type: s.source.type, id: s.source.id, label: s.source.label } : null,
    patient_zero: s.patientZero ?? null,
    narrative: i.narrative.text,
    next_steps: i.narrative.nextSteps,
    mitigations: i.narrative.mitigations,
    alert_count: i.alertIds.length,
    alert_ids: i.alertIds,
    graph: { nodes: s.nodes, edges: s.edges },
    timeline: s.timeline.map((t) => ({ ...t, ts: new Date(t.ts).toISOString() })),
  };
}
