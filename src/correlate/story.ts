/**
 * The attack story of an incident, built only from its evidence: the infection chain as a graph of
 * entities and typed edges, the attack source, patient zero, the ATT&CK tactics reached in kill-chain order,
 * a state per host (infected, targeted, clean) and a timeline. Deterministic: the same evidence in any
 * order gives the same story.
 */
import type { Level, StoredEvent } from '../core/index.ts';
import { killChainOrder, tacticsFromTags, techniquesFromTags } from './attack.ts';
import { extractEntities, type Entity } from './entities.ts';

export type EdgeType =
  | 'spawned'
  | 'connected_to'
  | 'logged_on_to'
  | 'wrote'
  | 'executed'
  | 'exploited'
  | 'mailed'
  | 'ran_on';

export interface StoryEdge {
  readonly from: string;
  readonly to: string;
  readonly type: EdgeType;
  /** Earliest event time the edge was seen at. */
  readonly ts: number;
  readonly eventIds: readonly string[];
}

export interface StoryAlert {
  readonly id: string;
  readonly ts: number;
  readonly level: Level;
  readonly title: string;
  readonly ruleId: string;
  readonly tags: readonly string[];
  readonly host?: string;
  readonly eventIds: readonly string[];
}

export type HostState = 'infected' | 'targeted' | 'clean';

export interface Story {
  readonly nodes: readonly Entity[];
  readonly edges: readonly StoryEdge[];
  /** The earliest external address, outside account, mail or file the chain starts from. */
  readonly source?: Entity;
  /** The first host with evidence of execution or persistence. */
  readonly patientZero?: string;
  readonly tactics: readonly string[];
  readonly techniques: readonly string[];
  readonly hosts: readonly {
    readonly name: string;
    readonly state: HostState;
    readonly why: string;
  }[];
  readonly timeline: readonly {
    readonly ts: number;
    readonly host?: string;
    readonly alertId: string;
    readonly title: string;
    readonly level: Level;
    readonly tactics: readonly string[];
  }[];
}

/** Tactics whose alerts are evidence that something ran or stayed on the host. */
const INFECTING = new Set([
  'execution',
  'persistence',
  'privilege-escalation',
  'defense-evasion',
  'credential-access',
  'discovery',
  'collection',
  'command-and-control',
  'exfiltration',
  'impact',
]);

/** Techniques whose alerts are attempts only (brute force, scanning): they make a host targeted, not infected. */
const ATTEMPT_TECHNIQUES = new Set(['T1110', 'T1595', 'T1046']);

/** Techniques that say a host was exploited from elsewhere (remote services, public-facing applications). */
const EXPLOIT_TECHNIQUES = new Set(['T1210', 'T1190', 'T1203']);

const LOGON_EVENTS = new Set([4624, 4625, 4648]);

function eventNumber(e: StoredEvent): number | undefined {
  const v = e.fields['EventID'];
  const n = typeof v === 'number' ? v : typeof v === 'string' ? Number(v) : NaN;
  return Number.isFinite(n) ? n : undefined;
}

function byTimeThenId<T extends { ts: number; id: string }>(a: T, b: T): number {
  return a.ts - b.ts || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/**
 * Builds the story of one incident. `events` are the alerts' events (any order), `knownHosts` the tenant's
 * other hosts (reported `clean` when the evidence never names them).
 */
export function buildStory(
  alerts: readonly StoryAlert[],
  events: readonly StoredEvent[],
  knownHosts: readonly string[] = [],
): Story {
  const sortedEvents = [...events].sort(byTimeThenId);
  const sortedAlerts = [...alerts].sort(byTimeThenId);
  const nodes = new Map<string, Entity>();
  const edges = new Map<
    string,
    { from: string; to: string; type: EdgeType; ts: number; eventIds: string[] }
  >();
  const addEdge = (
    from: Entity | undefined,
    to: Entity | undefined,
    type: EdgeType,
    e: StoredEvent,
  ): void => {
    if (!from || !to || from.id === to.id) return;
    const key = `${from.id}\u0000${type}\u0000${to.id}`;
    const edge = edges.get(key);
    if (edge) {
      if (!edge.eventIds.includes(e.id)) edge.eventIds.push(e.id);
    } else edges.set(key, { from: from.id, to: to.id, type, ts: e.ts, eventIds: [e.id] });
  };

  const entitiesByEvent = new Map<string, Entity[]>();
  /** Files written so far, by host and lower-cased path. */
  const writtenFiles = new Map<string, Entity>();
  for (const e of sortedEvents) {
    const ents = extractEntities(e);
    entitiesByEvent.set(e.id, ents);
    for (const n of ents)
      if (!nodes.has(n.id))
        nodes.set(n.id, {
          type: n.type,
          id: n.id,
          label: n.label,
          ...(n.attributes ? { attributes: n.attributes } : {}),
        });
    const one = (type: Entity['type'], role?: Entity['role']): Entity | undefined =>
      ents.find((x) => x.type === type && (role === undefined || x.role === role));
    const host = one('host');
    const actor = one('process', 'actor');
    const parent = one('process', 'parent');
    addEdge(parent, actor, 'spawned', e);
    addEdge(actor, host, 'ran_on', e);
    const written = one('file', 'target');
    if (written && actor) addEdge(actor, written, 'wrote', e);
    // A process started from a file the incident wrote earlier on that host: the file was executed.
    const imagePath = e.fields['Image'] ?? e.fields['NewProcessName'] ?? e.fields['exe'];
    if (actor && host && typeof imagePath === 'string') {
      const dropped = writtenFiles.get(`${host.id}\u0000${imagePath.toLowerCase()}`);
      if (dropped) addEdge(dropped, actor, 'executed', e);
    }
    if (written && host)
      writtenFiles.set(`${host.id}\u0000${written.label.toLowerCase()}`, written);
    const src = one('ip', 'source');
    const dst = one('ip', 'destination') ?? one('domain', 'destination');
    addEdge(actor ?? src, dst, 'connected_to', e);
    const id = eventNumber(e);
    if (id !== undefined && LOGON_EVENTS.has(id)) {
      addEdge(src ?? one('host', 'source') ?? one('user', 'target'), host, 'logged_on_to', e);
    }
    addEdge(
      one('user', 'sender') ?? one('mail', 'sender'),
      one('user', 'recipient') ?? one('mail', 'recipient'),
      'mailed',
      e,
    );
  }

  // Exploitation: an alert tagged with a remote-exploitation technique links its source to its host.
  const eventsById = new Map(sortedEvents.map((e) => [e.id, e]));
  for (const a of sortedAlerts) {
    const techniques = techniquesFromTags(a.tags).map((t) => t.id.split('.')[0] ?? t.id);
    if (!techniques.some((t) => EXPLOIT_TECHNIQUES.has(t))) continue;
    for (const id of a.eventIds) {
      const e = eventsById.get(id);
      const ents = e ? (entitiesByEvent.get(e.id) ?? []) : [];
      const src = ents.find((x) => x.type === 'ip' && x.role === 'source');
      const host = ents.find((x) => x.type === 'host');
      if (e) addEdge(src, host, 'exploited', e);
    }
  }

  // Host states: infected on evidence of execution or persistence, targeted when only reached.
  const hostTactics = new Map<string, Set<string>>();
  for (const a of sortedAlerts) {
    if (!a.host) continue;
    const h = a.host.toLowerCase();
    let set = hostTactics.get(h);
    if (!set) hostTactics.set(h, (set = new Set()));
    const techniques = techniquesFromTags(a.tags).map((t) => t.id.split('.')[0] ?? t.id);
    const attemptOnly = techniques.length > 0 && techniques.every((t) => ATTEMPT_TECHNIQUES.has(t));
    for (const t of tacticsFromTags(a.tags)) set.add(attemptOnly ? `attempt:${t}` : t);
  }
  const reached = new Set<string>(hostTactics.keys());
  for (const edge of edges.values()) {
    if (edge.type === 'logged_on_to' || edge.type === 'exploited' || edge.type === 'connected_to') {
      const to = nodes.get(edge.to);
      if (to?.type === 'host') reached.add(to.label.toLowerCase());
    }
  }
  const hosts: { name: string; state: HostState; why: string }[] = [];
  for (const h of [...reached].sort()) {
    const infecting = [...(hostTactics.get(h) ?? [])].filter((t) => INFECTING.has(t));
    if (infecting.length > 0) {
      hosts.push({
        name: h,
        state: 'infected',
        why: `alerts show ${killChainOrder(infecting).join(', ')}`,
      });
    } else {
      const seen = killChainOrder(
        [...(hostTactics.get(h) ?? [])].map((t) => t.replace(/^attempt:/, '')),
      );
      hosts.push({
        name: h,
        state: 'targeted',
        why:
          seen.length > 0
            ? `only ${seen.join(', ')} attempts`
            : 'reached by a logon or connection, no alert of its own',
      });
    }
  }
  for (const h of [...new Set(knownHosts.map((x) => x.toLowerCase()))].sort()) {
    if (!reached.has(h)) hosts.push({ name: h, state: 'clean', why: 'no evidence names it' });
  }

  const infectedHosts = new Set(hosts.filter((h) => h.state === 'infected').map((h) => h.name));
  const patientZero = sortedAlerts
    .find(
      (a) =>
        a.host !== undefined &&
        infectedHosts.has(a.host.toLowerCase()) &&
        tacticsFromTags(a.tags).some((t) => INFECTING.has(t)),
    )
    ?.host?.toLowerCase();

  // Source: the earliest outside party in the evidence — an external address or a mail sender; else the
  // earliest logon account or written file.
  let source: Entity | undefined;
  for (const e of sortedEvents) {
    const ents = entitiesByEvent.get(e.id) ?? [];
    source =
      ents.find(
        (x) => x.type === 'ip' && x.role === 'source' && x.attributes?.['scope'] === 'external',
      ) ?? ents.find((x) => (x.type === 'mail' || x.type === 'user') && x.role === 'sender');
    if (source) break;
  }
  if (!source) {
    // Otherwise the earliest of: the account of a logon, a file the attack wrote.
    for (const e of sortedEvents) {
      const id = eventNumber(e);
      const ents = entitiesByEvent.get(e.id) ?? [];
      source =
        (id !== undefined && LOGON_EVENTS.has(id)
          ? ents.find((x) => x.type === 'user' && x.role === 'target')
          : undefined) ?? ents.find((x) => x.type === 'file' && x.role === 'target');
      if (source) break;
    }
  }

  const allTags = sortedAlerts.flatMap((a) => a.tags);
  const techniques = [...new Set(techniquesFromTags(allTags).map((t) => t.id))].sort();
  const out: Story = {
    nodes: [...nodes.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)),
    edges: [...edges.values()].sort(
      (a, b) => a.ts - b.ts || (a.from + a.type + a.to < b.from + b.type + b.to ? -1 : 1),
    ),
    ...(source
      ? {
          source: {
            type: source.type,
            id: source.id,
            label: source.label,
            ...(source.attributes ? { attributes: source.attributes } : {}),
          },
        }
      : {}),
    ...(patientZero === undefined ? {} : { patientZero }),
    tactics: killChainOrder([...new Set(sortedAlerts.flatMap((a) => tacticsFromTags(a.tags)))]),
    techniques,
    hosts,
    timeline: sortedAlerts.map((a) => ({
      ts: a.ts,
      ...(a.host === undefined ? {} : { host: a.host.toLowerCase() }),
      alertId: a.id,
      title: a.title,
      level: a.level,
      tactics: killChainOrder(tacticsFromTags(a.tags)),
    })),
  };
  return out;
}
