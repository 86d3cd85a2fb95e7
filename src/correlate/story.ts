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
/** A failed logon reached the host but logged nobody on. */
const FAILED_LOGON = 4625;

/** `WS-FIN-07.corp.local` → `ws-fin-07`: machines are named both ways. */
function shortName(host: string): string {
  const h = host.trim().toLowerCase();
  const dot = h.indexOf('.');
  return dot > 0 && !/^[\d.]+$/.test(h) && !h.includes(':') ? h.slice(0, dot) : h;
}

function eventNumber(e: StoredEvent): number | undefined {
  const v = e.fields['EventID'];
  const n = typeof v === 'number' ? v : typeof v === 'string' ? Number(v) : NaN;
  return Number.isFinite(n) ? n : undefined;
}

/** MongoDB log messages that say a client changed a database (created, dropped, renamed, wrote to it). */
const WRITES_DATABASE = /^(createCollection|dropDatabase|dropCollection|renameCollection)/;

/**
 * A message sender is an outside party when its domain is not one of the recipients' (mail between two
 * mailboxes of the organisation is not where an attack comes from) or the message came from outside
 * (an external client address).
 */
function sentFromOutside(sender: Entity, ents: readonly Entity[]): boolean {
  const domainOf = (label: string): string => label.slice(label.lastIndexOf('@') + 1).toLowerCase();
  const from = domainOf(sender.label);
  const recipients = ents.filter((x) => x.type === 'user' && x.role === 'recipient');
  if (recipients.length > 0 && recipients.every((r) => domainOf(r.label) === from)) {
    return ents.some(
      (x) => x.type === 'ip' && x.role === 'source' && x.attributes?.['scope'] === 'external',
    );
  }
  return true;
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
  // The machines the evidence comes from, by short name and by their own addresses, so that a logon's
  // WorkstationName or a network sensor's address names the same node as the machine's own events.
  const hostByShort = new Map<string, Entity>();
  const hostByAddress = new Map<string, Entity | null>();
  for (const e of sortedEvents) {
    const ents = extractEntities(e);
    entitiesByEvent.set(e.id, ents);
    for (const n of ents) {
      if (!nodes.has(n.id))
        nodes.set(n.id, {
          type: n.type,
          id: n.id,
          label: n.label,
          ...(n.attributes ? { attributes: n.attributes } : {}),
        });
      if (n.type === 'host' && n.role === undefined) {
        const short = shortName(n.label);
        const known = hostByShort.get(short);
        // the longest name wins (the FQDN over the bare name), then the first in (time, id) order
        if (!known || n.label.length > known.label.length) hostByShort.set(short, n);
        const addresses = n.attributes?.['addresses'];
        if (typeof addresses === 'string')
          for (const a of addresses.split(',')) {
            const claimed = hostByAddress.get(a);
            // an address two machines claim (a Docker bridge) names neither
            if (claimed === undefined) hostByAddress.set(a, n);
            else if (claimed !== null && claimed.id !== n.id) hostByAddress.set(a, null);
          }
      }
    }
  }
  // The client address of each database connection (MongoDB logs it when the connection is accepted,
  // and names only the connection on what it did afterwards).
  const clientOfSession = new Map<string, Entity>();
  for (const e of sortedEvents) {
    const ents = entitiesByEvent.get(e.id) ?? [];
    const session = ents.find((x) => x.type === 'session');
    const src = ents.find((x) => x.type === 'ip' && x.role === 'source');
    if (session?.attributes?.['protocol'] === 'mongodb' && src && !clientOfSession.has(session.id))
      clientOfSession.set(session.id, src);
  }
  /** The node an entity stands for in the chain: a machine's address or other name is the machine. */
  const canon = (x: Entity | undefined): Entity | undefined => {
    if (!x) return x;
    if (x.type === 'ip') return hostByAddress.get(x.label) ?? x;
    if (x.type === 'host') return hostByShort.get(shortName(x.label)) ?? x;
    return x;
  };
  const link = (
    from: Entity | undefined,
    to: Entity | undefined,
    type: EdgeType,
    e: StoredEvent,
  ): void => {
    addEdge(canon(from), canon(to), type, e);
  };

  /** Files written so far, by host and lower-cased path. */
  const writtenFiles = new Map<string, Entity>();
  for (const e of sortedEvents) {
    const ents = entitiesByEvent.get(e.id) ?? [];
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
    // A module loaded from a file the incident wrote earlier on that host: the file was executed too.
    const loaded = one('file', 'loaded');
    if (actor && host && loaded) {
      const dropped = writtenFiles.get(`${host.id}\u0000${loaded.label.toLowerCase()}`);
      if (dropped) addEdge(dropped, actor, 'executed', e);
    }
    if (written && host)
      writtenFiles.set(`${host.id}\u0000${written.label.toLowerCase()}`, written);
    const src = one('ip', 'source');
    // a DNS query reached the name asked for, not the resolver that answered it
    const dnsQuery = e.source.service === 'dns';
    const dst = dnsQuery
      ? (one('domain', 'destination') ?? one('ip', 'destination'))
      : (one('ip', 'destination') ?? one('domain', 'destination'));
    const id = eventNumber(e);
    const logon = id !== undefined && LOGON_EVENTS.has(id);
    if (!logon) link(actor ?? src, dst, 'connected_to', e);
    // a database server's log names the client that reached it (MongoDB `remote`, or its connection)
    const database = one('database');
    const session = one('session');
    const client = src ?? (session === undefined ? undefined : clientOfSession.get(session.id));
    if (!logon && !dst && !actor && client && host && (database ?? session) !== undefined)
      link(client, host, 'connected_to', e);
    if (logon) {
      const from = src ?? one('host', 'source') ?? one('user', 'target');
      link(from, host, id === FAILED_LOGON ? 'connected_to' : 'logged_on_to', e);
    }
    // a message: its sender mailed it, and it went to each recipient
    const sender = one('user', 'sender');
    const message = one('mail');
    const recipients = ents.filter((x) => x.type === 'user' && x.role === 'recipient');
    if (message) {
      addEdge(sender, message, 'mailed', e);
      for (const r of recipients) addEdge(message, r, 'mailed', e);
    } else for (const r of recipients) addEdge(sender, r, 'mailed', e);
    // a client that changed a database (MongoDB: the connection's address) wrote to it
    if (database && client && WRITES_DATABASE.test(String(e.fields['msg'] ?? '')))
      link(client, database, 'wrote', e);
  }

  // Exploitation: an alert tagged with a remote-exploitation technique links its source to the machine
  // it names (its own host, or for a network sensor the destination address).
  const eventsById = new Map(sortedEvents.map((e) => [e.id, e]));
  for (const a of sortedAlerts) {
    const techniques = techniquesFromTags(a.tags).map((t) => t.id.split('.')[0] ?? t.id);
    if (!techniques.some((t) => EXPLOIT_TECHNIQUES.has(t))) continue;
    for (const id of a.eventIds) {
      const e = eventsById.get(id);
      const ents = e ? (entitiesByEvent.get(e.id) ?? []) : [];
      const src = ents.find((x) => x.type === 'ip' && x.role === 'source');
      const target =
        ents.find((x) => x.type === 'host' && x.role === undefined) ??
        ents.find((x) => x.type === 'ip' && x.role === 'destination');
      if (e) link(src, target, 'exploited', e);
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
      // an internal address no event's machine claims: a machine known only by its address
      else if (to?.type === 'ip' && to.attributes?.['scope'] === 'internal') reached.add(to.label);
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

  // Source: the earliest outside party in the evidence — an external address or a mail sender (for a
  // message, its sender rather than the server that relayed it); else the earliest logon account or
  // written file.
  let source: Entity | undefined;
  for (const e of sortedEvents) {
    const ents = entitiesByEvent.get(e.id) ?? [];
    const sender = ents.find(
      (x) => (x.type === 'mail' || x.type === 'user') && x.role === 'sender',
    );
    const external = ents.find(
      (x) => x.type === 'ip' && x.role === 'source' && x.attributes?.['scope'] === 'external',
    );
    source = sender !== undefined && sentFromOutside(sender, ents) ? sender : external;
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
