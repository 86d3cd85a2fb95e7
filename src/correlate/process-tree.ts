/**
 * Process trees per tenant and host, built from Sysmon, Security 4688 and auditd events fed in any
 * order: who created whom, and which process held a pid at a given time.
 */
import type { StoredEvent } from '../core/index.ts';
import type { PidResolver } from './entities.ts';
import type { ProcessRef, ProcessSighting } from './process-facts.ts';
import { processEntityId, processFacts } from './process-facts.ts';

/** How far `ancestry` climbs: real chains are a few tens deep; anything longer is bad data. */
export const MAX_ANCESTRY = 64;

/** One process as the events seen so far describe it. */
export interface ProcessNode {
  /** The process entity id (`process:<host>:<guid>`, `process:<host>:<pid>:<start s>`, `process:<host>:<pid>`). */
  readonly id: string;
  readonly host: string;
  readonly pid?: number;
  readonly guid?: string;
  /** Creation time, ms since the epoch, when its creation event was seen. */
  readonly start?: number;
  /** Earliest termination seen (Sysmon 5, Security 4689). */
  readonly end?: number;
  readonly image?: string;
  readonly commandLine?: string;
  readonly user?: string;
  /** The creator's entity id, when the creation event named it. */
  readonly parent?: string;
  /** `created`: its creation event was seen; `referenced`: only other events name it. */
  readonly seen: 'created' | 'referenced';
  /** The event that recorded its creation. */
  readonly createdBy?: string;
}

type Attr = 'pid' | 'image' | 'commandLine' | 'user';
const ATTRS: readonly Attr[] = ['pid', 'image', 'commandLine', 'user'];

/** A value with the (time, event id) of the event that gave it; the smallest key wins. */
interface Picked {
  readonly value: string | number;
  readonly at: number;
  readonly event: string;
}

interface Creation {
  readonly at: number;
  readonly event: string;
  readonly actor: ProcessSighting;
  readonly parent?: ProcessSighting;
}

interface NodeState {
  readonly id: string;
  readonly host: string;
  readonly guid?: string;
  /** Creation events naming this node, by event id (one normally; duplicates are tolerated). */
  readonly creations: Map<string, Creation>;
  readonly hints: Map<Attr, Picked>;
  /** Terminations recorded against the node itself (by guid). */
  end?: number;
}

/** A process named only by pid at a time; resolved when asked, so later events can change the answer. */
interface PidSighting {
  readonly at: number;
  /** `<event id>\0<role>`: the same sighting added twice is kept once. */
  readonly key: string;
  readonly event: string;
  readonly sighting: ProcessSighting;
}

interface Start {
  readonly start: number;
  /** 1 for a guid-named process: when Sysmon and Security record the same creation at the same time, the richer Sysmon view wins. */
  readonly rank: number;
  readonly id: string;
}

/** Everything known about one pid on one host. Lists are sorted, so every question is a binary search. */
interface PidState {
  /** Creations holding the pid, by (start, rank, id). */
  readonly starts: Start[];
  /** Sightings by pid, by (at, key): all of them, the terminations, and those giving each attribute. */
  readonly sightings: PidSighting[];
  readonly exits: PidSighting[];
  readonly byAttr: Map<Attr, PidSighting[]>;
  /** Nodes whose creation names their parent by this pid. */
  readonly children: Set<string>;
}

interface HostState {
  readonly pids: Map<number, PidState>;
}

interface TenantState {
  readonly name: string;
  readonly nodes: Map<string, NodeState>;
  readonly hosts: Map<string, HostState>;
  /** Placeholder ids (`process:<host>:<pid>`) some pid sighting may resolve to. */
  readonly placeholders: Map<string, { readonly host: string; readonly pid: number }>;
  /** parent id → nodes whose creation names that parent by id (guid). */
  readonly childrenById: Map<string, Set<string>>;
}

/** A time interval; each end open or closed, `to` undefined = unbounded. */
interface Range {
  readonly from: number;
  readonly fromOpen: boolean;
  readonly to: number | undefined;
  readonly toOpen: boolean;
}

function before(a: { at: number; event: string }, b: { at: number; event: string }): boolean {
  return a.at < b.at || (a.at === b.at && a.event < b.event);
}

function addTo<K, V>(map: Map<K, Set<V>>, key: K, value: V): void {
  const set = map.get(key);
  if (set === undefined) map.set(key, new Set([value]));
  else set.add(value);
}

/**
 * Process trees of many tenants. `add` takes events in any order and any number of times; every
 * answer depends only on the set of events added (never on their order): conflicting values are
 * settled by the earliest (time, event id), and pids are resolved when asked.
 *
 * Pid reuse: a process named by pid at time t is the latest creation of that pid on that host at
 * or before t, unless that process had already ended; otherwise it is the placeholder
 * `process:<host>:<pid>` (start unknown). Not synchronised; one owner per tenant partition.
 * Memory grows with the events added (nothing is evicted yet).
 */
export class ProcessTree implements PidResolver {
  readonly #tenants = new Map<string, TenantState>();

  /** Records what `event` says about processes; false when it names none. */
  add(event: StoredEvent): boolean {
    const facts = processFacts(event);
    if (facts === undefined) return false;
    const t = this.#tenant(event.tenant);
    const h = hostState(t, facts.host);
    const { host, at } = facts;
    const actor = facts.actor;
    if (facts.kind === 'create' && actor.ref.by !== 'pid') {
      const id = processEntityId(host, actor.ref);
      const node = nodeState(t, id, host, actor.ref);
      node.creations.set(event.id, {
        at,
        event: event.id,
        actor,
        ...(facts.parent === undefined ? {} : { parent: facts.parent }),
      });
      const pid = actor.pid ?? (actor.ref.by === 'start' ? actor.ref.pid : undefined);
      if (pid !== undefined) {
        const start = { start: at, rank: actor.ref.by === 'guid' ? 1 : 0, id };
        insertSorted(pidState(h, pid).starts, start, compareStart);
      }
      const pref = facts.parent?.ref;
      if (pref !== undefined) {
        if (pref.by === 'pid') pidState(h, pref.pid).children.add(id);
        else addTo(t.childrenById, processEntityId(host, pref), id);
      }
    } else {
      this.#sight(t, h, host, event.id, 'actor', at, actor, facts.kind === 'exit');
    }
    if (facts.parent !== undefined) {
      this.#sight(t, h, host, event.id, 'parent', at, facts.parent, false);
    }
    if (facts.target !== undefined) {
      this.#sight(t, h, host, event.id, 'target', at, facts.target, false);
    }
    return true;
  }

  /** The entity id of the process that held `pid` on `host` at `at` (see the class comment). */
  resolve(tenant: string, host: string, pid: number, at: number): string {
    const t = this.#tenants.get(tenant);
    const ps = t?.hosts.get(host)?.pids.get(pid);
    const placeholder = processEntityId(host, { by: 'pid', pid, at });
    if (t === undefined || ps === undefined) return placeholder;
    const i = lastStartAtOrBefore(ps.starts, at);
    const owner = ps.starts[i];
    if (owner === undefined) return placeholder;
    const end = endOf(t, ps, owner.id);
    return end !== undefined && end < at ? placeholder : owner.id;
  }

  /** What is known about one process, or undefined when no event named it. */
  node(tenant: string, id: string): ProcessNode | undefined {
    const t = this.#tenants.get(tenant);
    if (t === undefined) return undefined;
    const state = t.nodes.get(id);
    if (state !== undefined) return this.#build(t, state);
    const ph = t.placeholders.get(id);
    const ps = ph === undefined ? undefined : t.hosts.get(ph.host)?.pids.get(ph.pid);
    if (ph === undefined || ps === undefined) return undefined;
    const ranges = placeholderRanges(t, ps);
    if (!ranges.some((r) => firstIn(ps.sightings, r) !== undefined)) return undefined;
    const base: Mutable<ProcessNode> = { id, host: ph.host, pid: ph.pid, seen: 'referenced' };
    let end: number | undefined;
    for (const r of ranges) {
      const exit = firstIn(ps.exits, r);
      if (exit !== undefined && (end === undefined || exit.at < end)) end = exit.at;
    }
    return withHints(base, pidHints(ps, ranges), end);
  }

  /** The ancestors of a process, nearest first, up to the root (cycle-safe, at most MAX_ANCESTRY). */
  ancestry(tenant: string, id: string): string[] {
    const out: string[] = [];
    const seen = new Set([id]);
    let parent = this.node(tenant, id)?.parent;
    while (parent !== undefined && !seen.has(parent) && out.length < MAX_ANCESTRY) {
      out.push(parent);
      seen.add(parent);
      parent = this.node(tenant, parent)?.parent;
    }
    return out;
  }

  /** The processes `id` created, in creation order. */
  children(tenant: string, id: string): string[] {
    const t = this.#tenants.get(tenant);
    if (t === undefined) return [];
    const candidates = new Set(t.childrenById.get(id));
    const parent = this.node(tenant, id);
    if (parent?.pid !== undefined) {
      for (const c of t.hosts.get(parent.host)?.pids.get(parent.pid)?.children ?? []) {
        candidates.add(c);
      }
    }
    const out: { id: string; start: number }[] = [];
    for (const c of candidates) {
      const child = this.node(tenant, c);
      if (child?.parent === id) out.push({ id: c, start: child.start ?? 0 });
    }
    out.sort((a, b) => a.start - b.start || compareText(a.id, b.id));
    return out.map((c) => c.id);
  }

  /**
   * The acting process of `event` and its ancestors, nearest first: the process the alert is
   * about, its parent, … up to the root. Empty when the event names no process.
   */
  lineageOf(event: StoredEvent): string[] {
    const facts = processFacts(event);
    if (facts === undefined) return [];
    const id = this.#idOf(event.tenant, facts.host, facts.actor.ref);
    let parent = this.node(event.tenant, id)?.parent;
    if (parent === undefined && facts.kind === 'create' && facts.parent !== undefined) {
      parent = this.#idOf(event.tenant, facts.host, facts.parent.ref);
    }
    if (parent === undefined || parent === id) return [id];
    const rest = this.ancestry(event.tenant, parent).filter((p) => p !== id);
    return [id, parent, ...rest].slice(0, MAX_ANCESTRY + 1);
  }

  /** Every process of a tenant (created, referenced by guid, or a placeholder something resolves to), by id. */
  nodes(tenant: string): ProcessNode[] {
    const t = this.#tenants.get(tenant);
    if (t === undefined) return [];
    const out: ProcessNode[] = [];
    for (const id of [...t.nodes.keys(), ...t.placeholders.keys()]) {
      const n = this.node(tenant, id);
      if (n !== undefined) out.push(n);
    }
    return out.sort((a, b) => compareText(a.id, b.id));
  }

  #tenant(tenant: string): TenantState {
    let t = this.#tenants.get(tenant);
    if (t === undefined) {
      t = {
        name: tenant,
        nodes: new Map(),
        hosts: new Map(),
        placeholders: new Map(),
        childrenById: new Map(),
      };
      this.#tenants.set(tenant, t);
    }
    return t;
  }

  #idOf(tenant: string, host: string, ref: ProcessRef): string {
    return ref.by === 'pid'
      ? this.resolve(tenant, host, ref.pid, ref.at)
      : processEntityId(host, ref);
  }

  #sight(
    t: TenantState,
    h: HostState,
    host: string,
    event: string,
    role: string,
    at: number,
    sighting: ProcessSighting,
    exit: boolean,
  ): void {
    const ref = sighting.ref;
    if (ref.by === 'pid') {
      const ps = pidState(h, ref.pid);
      const s: PidSighting = { at: ref.at, key: `${event}\0${role}`, event, sighting };
      if (!insertSorted(ps.sightings, s, compareSighting)) return;
      if (exit) insertSorted(ps.exits, s, compareSighting);
      for (const attr of ATTRS) {
        if (sighting[attr] === undefined) continue;
        let list = ps.byAttr.get(attr);
        if (list === undefined) {
          list = [];
          ps.byAttr.set(attr, list);
        }
        insertSorted(list, s, compareSighting);
      }
      t.placeholders.set(processEntityId(host, ref), { host, pid: ref.pid });
      return;
    }
    const node = nodeState(t, processEntityId(host, ref), host, ref);
    for (const attr of ATTRS) {
      const value = sighting[attr];
      if (value === undefined) continue;
      const cand = { value, at, event };
      const cur = node.hints.get(attr);
      if (cur === undefined || before(cand, cur) || (sameKey(cand, cur) && value < cur.value)) {
        node.hints.set(attr, cand);
      }
    }
    if (exit && (node.end === undefined || at < node.end)) node.end = at;
  }

  #build(t: TenantState, state: NodeState): ProcessNode {
    let creation: Creation | undefined;
    for (const c of state.creations.values()) {
      if (creation === undefined || before(c, creation)) creation = c;
    }
    const base: Mutable<ProcessNode> = {
      id: state.id,
      host: state.host,
      seen: creation === undefined ? 'referenced' : 'created',
    };
    if (state.guid !== undefined) base.guid = state.guid;
    if (creation !== undefined) {
      base.start = creation.at;
      base.createdBy = creation.event;
      const a = creation.actor;
      if (a.pid !== undefined) base.pid = a.pid;
      else if (a.ref.by === 'start') base.pid = a.ref.pid;
      if (a.image !== undefined) base.image = a.image;
      if (a.commandLine !== undefined) base.commandLine = a.commandLine;
      if (a.user !== undefined) base.user = a.user;
      if (creation.parent !== undefined) {
        const parent = this.#idOf(t.name, state.host, creation.parent.ref);
        if (parent !== state.id) base.parent = parent;
      }
    }
    const hints = new Map(state.hints);
    let end = state.end;
    const pid = pidOfNode(state);
    const ps = pid === undefined ? undefined : t.hosts.get(state.host)?.pids.get(pid);
    if (ps !== undefined) {
      end = endOf(t, ps, state.id);
      for (const [attr, p] of pidHints(ps, nodeRanges(ps, state.id, end))) {
        const cur = hints.get(attr);
        if (cur === undefined || before(p, cur)) hints.set(attr, p);
      }
    }
    return withHints(base, hints, end);
  }
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

function sameKey(a: { at: number; event: string }, b: { at: number; event: string }): boolean {
  return a.at === b.at && a.event === b.event;
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Fills attributes the creation did not give from the hints, and the end. */
function withHints(
  base: Mutable<ProcessNode>,
  hints: ReadonlyMap<Attr, Picked>,
  end: number | undefined,
): ProcessNode {
  const pid = hints.get('pid')?.value;
  if (base.pid === undefined && typeof pid === 'number') base.pid = pid;
  for (const attr of ['image', 'commandLine', 'user'] as const) {
    const v = hints.get(attr)?.value;
    if (base[attr] === undefined && typeof v === 'string') base[attr] = v;
  }
  if (end !== undefined) base.end = end;
  return base;
}

function hostState(t: TenantState, host: string): HostState {
  let h = t.hosts.get(host);
  if (h === undefined) {
    h = { pids: new Map() };
    t.hosts.set(host, h);
  }
  return h;
}

function pidState(h: HostState, pid: number): PidState {
  let ps = h.pids.get(pid);
  if (ps === undefined) {
    ps = { starts: [], sightings: [], exits: [], byAttr: new Map(), children: new Set() };
    h.pids.set(pid, ps);
  }
  return ps;
}

function nodeState(t: TenantState, id: string, host: string, ref: ProcessRef): NodeState {
  let n = t.nodes.get(id);
  if (n === undefined) {
    n = {
      id,
      host,
      ...(ref.by === 'guid' ? { guid: ref.guid } : {}),
      creations: new Map(),
      hints: new Map(),
    };
    t.nodes.set(id, n);
  }
  return n;
}

/** The pid a node was created with (only created nodes are found by pid). */
function pidOfNode(node: NodeState): number | undefined {
  for (const c of node.creations.values()) {
    if (c.actor.pid !== undefined) return c.actor.pid;
    if (c.actor.ref.by === 'start') return c.actor.ref.pid;
  }
  return undefined;
}

function compareStart(a: Start, b: Start): number {
  return a.start - b.start || a.rank - b.rank || compareText(a.id, b.id);
}

function compareSighting(a: PidSighting, b: PidSighting): number {
  return a.at - b.at || compareText(a.key, b.key);
}

/** Inserts `item` in order; false when an equal item is there already. */
function insertSorted<T>(list: T[], item: T, compare: (a: T, b: T) => number): boolean {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (compare(list[mid] as T, item) < 0) lo = mid + 1;
    else hi = mid;
  }
  const at = list[lo];
  if (at !== undefined && compare(at, item) === 0) return false;
  list.splice(lo, 0, item);
  return true;
}

/** Index of the first element whose `at` (or `start`) is >= `t` (or > `t` when `open`). */
function lowerBound(list: readonly { readonly at: number }[], t: number, open: boolean): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    const v = list[mid]?.at ?? 0;
    if (v < t || (open && v === t)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Index of the latest creation at or before `at`, or -1. Among equal starts the last (highest rank) wins. */
function lastStartAtOrBefore(starts: readonly Start[], at: number): number {
  let lo = 0;
  let hi = starts.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((starts[mid]?.start ?? 0) <= at) lo = mid + 1;
    else hi = mid;
  }
  return lo - 1;
}

/** The earliest element of a sorted list inside `r`. */
function firstIn(list: readonly PidSighting[], r: Range): PidSighting | undefined {
  const s = list[lowerBound(list, r.from, r.fromOpen)];
  if (s === undefined || r.to === undefined) return s;
  return s.at < r.to || (!r.toOpen && s.at === r.to) ? s : undefined;
}

/** The times during which `starts[i]` is the latest creation of its pid (empty when a later entry has the same start). */
function ownedRange(starts: readonly Start[], i: number): Range | undefined {
  const s = starts[i];
  if (s === undefined) return undefined;
  const next = starts[i + 1];
  if (next !== undefined && next.start === s.start) return undefined;
  return { from: s.start, fromOpen: false, to: next?.start, toOpen: true };
}

/** When `id` ended: its own termination, or a termination by pid while it held the pid. */
function endOf(t: TenantState, ps: PidState, id: string): number | undefined {
  let end = t.nodes.get(id)?.end;
  ps.starts.forEach((s, i) => {
    if (s.id !== id) return;
    const r = ownedRange(ps.starts, i);
    const exit = r === undefined ? undefined : firstIn(ps.exits, r);
    if (exit !== undefined && (end === undefined || exit.at < end)) end = exit.at;
  });
  return end;
}

/** The times a pid sighting resolves to `id`: while it held the pid, up to its end. */
function nodeRanges(ps: PidState, id: string, end: number | undefined): Range[] {
  const out: Range[] = [];
  ps.starts.forEach((s, i) => {
    if (s.id !== id) return;
    const r = ownedRange(ps.starts, i);
    if (r === undefined) return;
    if (end === undefined || (r.to !== undefined && r.to <= end)) out.push(r);
    else if (end >= r.from) out.push({ ...r, to: end, toOpen: false });
  });
  return out;
}

/** The times a pid sighting resolves to the placeholder: before any creation, and after a holder ended. */
function placeholderRanges(t: TenantState, ps: PidState): Range[] {
  const first = ps.starts[0];
  const out: Range[] = [
    first === undefined
      ? { from: -Infinity, fromOpen: false, to: undefined, toOpen: true }
      : { from: -Infinity, fromOpen: false, to: first.start, toOpen: true },
  ];
  ps.starts.forEach((s, i) => {
    const r = ownedRange(ps.starts, i);
    const end = r === undefined ? undefined : endOf(t, ps, s.id);
    if (r === undefined || end === undefined) return;
    if (end < r.from) out.push(r);
    else if (r.to === undefined || end < r.to) out.push({ ...r, from: end, fromOpen: true });
  });
  return out;
}

/** For each attribute, the earliest pid sighting inside `ranges` that gives it. */
function pidHints(ps: PidState, ranges: readonly Range[]): Map<Attr, Picked> {
  const out = new Map<Attr, Picked>();
  for (const [attr, list] of ps.byAttr) {
    for (const r of ranges) {
      const s = firstIn(list, r);
      const value = s?.sighting[attr];
      if (s === undefined || value === undefined) continue;
      const cur = out.get(attr);
      if (cur === undefined || before(s, cur)) out.set(attr, { value, at: s.at, event: s.event });
    }
  }
  return out;
}
