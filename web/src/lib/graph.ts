/**
 * The attack graph's model apart from drawing: which nodes are shown at first (a large incident
 * opens on its most telling nodes and grows as the analyst expands them), and a layered left-to-right
 * layout (rank by the longest chain of edges reaching a node, order within a column by the mean
 * position of its neighbours). Pure and deterministic: the same graph always lays out the same way.
 */
import type { GraphEdge, GraphNode, IncidentHost } from '../api/types.ts';

export interface Placed {
  readonly id: string;
  readonly x: number;
  readonly y: number;
  readonly rank: number;
}

export const COLUMN_WIDTH = 270;

/**
 * The console's own edge type: an entity that only exists on one machine (its id is
 * `<type>:<host>:…`) and that no edge of the story reaches is drawn as seen on its host, so that
 * expanding a host shows what else was found there.
 */
export const SEEN_ON = 'seen_on';
export const ROW_HEIGHT = 74;
/** The most nodes stacked in one column before it wraps into the next. */
export const MAX_ROWS = 10;

/** Edge types that do not order the chain (a process running on its host is not a step). */
const UNORDERED = new Set(['ran_on', SEEN_ON]);

/** Node types worth showing first, most telling first. */
const TYPE_WEIGHT: Readonly<Record<string, number>> = {
  host: 100,
  ip: 40,
  user: 35,
  mail: 35,
  url: 30,
  domain: 30,
  process: 25,
  file: 20,
  service: 20,
  task: 20,
  database: 20,
  registry: 10,
  hash: 5,
  session: 5,
};

/** `edges` plus a `seen_on` edge from each unlinked host-local entity to its host node. */
export function withHostMembership(
  nodes: readonly GraphNode[],
  edges: readonly GraphEdge[],
): GraphEdge[] {
  const linked = new Set<string>();
  for (const e of edges) {
    linked.add(e.from);
    linked.add(e.to);
  }
  const hosts = new Set(nodes.filter((n) => n.type === 'host').map((n) => n.id));
  const out = [...edges];
  for (const n of nodes) {
    if (n.type === 'host' || linked.has(n.id)) continue;
    const m = /^[a-z]+:([^:]+):/.exec(n.id);
    const host = m ? `host:${m[1] ?? ''}` : undefined;
    if (host && hosts.has(host))
      out.push({ from: n.id, to: host, type: SEEN_ON, ts: 0, eventIds: [] });
  }
  return out;
}

export interface Adjacency {
  readonly neighbours: ReadonlyMap<string, readonly string[]>;
}

export function adjacency(edges: readonly GraphEdge[]): Adjacency {
  const m = new Map<string, string[]>();
  const add = (a: string, b: string): void => {
    const l = m.get(a);
    if (l) {
      if (!l.includes(b)) l.push(b);
    } else m.set(a, [b]);
  };
  for (const e of edges) {
    add(e.from, e.to);
    add(e.to, e.from);
  }
  for (const l of m.values()) l.sort();
  return { neighbours: m };
}

/**
 * The nodes shown when the graph opens: those on the chain, up to `limit`; beyond it the hosts, the
 * attack source and the best-connected nodes, so that the chain reads before the detail.
 */
export function initialVisible(
  nodes: readonly GraphNode[],
  edges: readonly GraphEdge[],
  opts: { limit: number; sourceId?: string | undefined },
): Set<string> {
  const adj = adjacency(edges.filter((e) => e.type !== SEEN_ON));
  const degree = (id: string): number => adj.neighbours.get(id)?.length ?? 0;
  // Entities no story edge reaches (a hash, an account only named, a task found on a host) say
  // nothing about the chain: expanding their host or "show all" adds them.
  const linked = edges.length === 0 ? nodes : nodes.filter((n) => degree(n.id) > 0);
  if (linked.length <= opts.limit) return new Set(linked.map((n) => n.id));
  const must = new Set<string>();
  if (opts.sourceId) must.add(opts.sourceId);
  for (const n of linked) if (n.type === 'host' && must.size < opts.limit) must.add(n.id);
  const ranked = linked
    .filter((n) => !must.has(n.id))
    .map((n) => ({ id: n.id, w: (TYPE_WEIGHT[n.type] ?? 10) + Math.min(degree(n.id), 20) * 3 }))
    .sort((a, b) => b.w - a.w || (a.id < b.id ? -1 : 1));
  const out = new Set(must);
  for (const r of ranked) {
    if (out.size >= opts.limit) break;
    out.add(r.id);
  }
  return out;
}

/** `visible` plus every neighbour of `id`. */
export function expand(visible: ReadonlySet<string>, id: string, adj: Adjacency): Set<string> {
  const out = new Set(visible);
  out.add(id);
  for (const n of adj.neighbours.get(id) ?? []) out.add(n);
  return out;
}

/** How many neighbours of each visible node are hidden. */
export function hiddenCounts(visible: ReadonlySet<string>, adj: Adjacency): Map<string, number> {
  const out = new Map<string, number>();
  for (const id of visible) {
    let n = 0;
    for (const x of adj.neighbours.get(id) ?? []) if (!visible.has(x)) n++;
    if (n > 0) out.set(id, n);
  }
  return out;
}

/** Lays out `nodes` (only edges between them count) in columns, left to right along the chain. */
export function layout(nodes: readonly GraphNode[], edges: readonly GraphEdge[]): Placed[] {
  const ids = nodes.map((n) => n.id).sort();
  const present = new Set(ids);
  const inner = edges.filter((e) => present.has(e.from) && present.has(e.to) && e.from !== e.to);
  const out = new Map<string, string[]>();
  const indeg = new Map<string, number>(ids.map((id) => [id, 0]));
  for (const e of inner) {
    if (UNORDERED.has(e.type)) continue;
    const l = out.get(e.from);
    if (l) l.push(e.to);
    else out.set(e.from, [e.to]);
    indeg.set(e.to, (indeg.get(e.to) ?? 0) + 1);
  }
  for (const l of out.values()) l.sort();

  // Longest-path ranks over the ordered edges; a cycle is cut at the edge that closes it (a back edge
  // of the depth-first walk).
  const rank = new Map<string, number>();
  const order: string[] = [];
  const state = new Map<string, 1 | 2>();
  const dfs = (start: string): void => {
    const stack: { id: string; i: number }[] = [{ id: start, i: 0 }];
    state.set(start, 1);
    while (stack.length > 0) {
      const top = stack[stack.length - 1];
      if (!top) break;
      const next = out.get(top.id)?.[top.i];
      if (next === undefined) {
        stack.pop();
        state.set(top.id, 2);
        order.push(top.id);
        continue;
      }
      top.i++;
      if (!state.has(next)) {
        state.set(next, 1);
        stack.push({ id: next, i: 0 });
      }
    }
  };
  for (const id of ids) if ((indeg.get(id) ?? 0) === 0 && !state.has(id)) dfs(id);
  for (const id of ids) if (!state.has(id)) dfs(id);
  // `order` is a post-order: reversed, it is a topological order of the DAG left after cutting back edges.
  const topo = order.reverse();
  const pos = new Map(topo.map((id, i) => [id, i]));
  for (const id of topo) {
    const r = rank.get(id) ?? 0;
    rank.set(id, r);
    for (const n of out.get(id) ?? []) {
      if ((pos.get(n) ?? 0) <= (pos.get(id) ?? 0)) continue; // a back edge of a cycle
      rank.set(n, Math.max(rank.get(n) ?? 0, r + 1));
    }
  }
  // A host sits one column left of the first process that ran on it, so the chain reads from it.
  for (const e of inner) {
    if (!UNORDERED.has(e.type)) continue;
    const host = e.to;
    if ((indeg.get(host) ?? 0) > 0 || out.has(host)) continue;
    const r = Math.max(0, (rank.get(e.from) ?? 0) - 1);
    rank.set(host, Math.min(rank.get(host) ?? r, r));
  }

  const columns = new Map<number, string[]>();
  for (const id of ids) {
    const r = rank.get(id) ?? 0;
    const c = columns.get(r);
    if (c) c.push(id);
    else columns.set(r, [id]);
  }
  const ranks = [...columns.keys()].sort((a, b) => a - b);
  const undirected = adjacency(inner);
  const slot = new Map<string, number>();
  for (const r of ranks) columns.get(r)?.forEach((id, i) => slot.set(id, i));
  // Two sweeps of the barycentre heuristic: order each column by its neighbours' mean slot.
  for (let sweep = 0; sweep < 4; sweep++) {
    const seq = sweep % 2 === 0 ? ranks : [...ranks].reverse();
    for (const r of seq) {
      const col = columns.get(r) ?? [];
      const bary = new Map<string, number>();
      for (const id of col) {
        const ns = (undirected.neighbours.get(id) ?? []).filter((n) => rank.get(n) !== r);
        bary.set(
          id,
          ns.length === 0
            ? (slot.get(id) ?? 0)
            : ns.reduce((s, n) => s + (slot.get(n) ?? 0), 0) / ns.length,
        );
      }
      col.sort((a, b) => (bary.get(a) ?? 0) - (bary.get(b) ?? 0) || (a < b ? -1 : 1));
      col.forEach((id, i) => slot.set(id, i));
    }
  }
  // A column taller than MAX_ROWS wraps into several side by side, so a wide screen shows a wide
  // graph at a readable zoom instead of one tall strip.
  const shown: { rank: number; ids: string[] }[] = [];
  for (const [ci, r] of ranks.entries()) {
    const col = columns.get(r) ?? [];
    for (let i = 0; i < col.length; i += MAX_ROWS)
      shown.push({ rank: ci, ids: col.slice(i, i + MAX_ROWS) });
  }
  const tallest = Math.max(1, ...shown.map((c) => c.ids.length));
  const placed: Placed[] = [];
  for (const [x, c] of shown.entries()) {
    const offset = ((tallest - c.ids.length) * ROW_HEIGHT) / 2;
    c.ids.forEach((id, i) =>
      placed.push({ id, rank: c.rank, x: x * COLUMN_WIDTH, y: offset + i * ROW_HEIGHT }),
    );
  }
  return placed;
}

/** The colour-coded state of a host node, from the incident's host list. */
export function hostStates(hosts: readonly IncidentHost[]): Map<string, IncidentHost['state']> {
  return new Map(hosts.map((h) => [h.name.toLowerCase(), h.state]));
}

export interface ProcessBranch {
  readonly node: GraphNode;
  readonly children: readonly ProcessBranch[];
}

/**
 * The process trees of an incident from its `spawned` edges: per host (from the process id,
 * `process:<host>:…`), the processes no other spawned, each with its descendants in time order.
 * A cycle (pid reuse gone wrong upstream) is cut where it would repeat a process, and a process
 * that only a cycle reaches roots a tree of its own.
 */
export function processForest(
  nodes: readonly GraphNode[],
  edges: readonly GraphEdge[],
): { host: string; roots: ProcessBranch[] }[] {
  const procs = new Map(nodes.filter((n) => n.type === 'process').map((n) => [n.id, n]));
  const kids = new Map<string, { id: string; ts: number }[]>();
  const hasParent = new Set<string>();
  for (const e of edges) {
    if (e.type !== 'spawned' || !procs.has(e.from) || !procs.has(e.to) || e.from === e.to) continue;
    const l = kids.get(e.from) ?? [];
    if (!l.some((k) => k.id === e.to)) l.push({ id: e.to, ts: e.ts });
    kids.set(e.from, l);
    hasParent.add(e.to);
  }
  // Each process is drawn once; one that only a cycle reaches starts a tree of its own.
  const placed = new Set<string>();
  const build = (id: string): ProcessBranch | undefined => {
    const node = procs.get(id);
    if (!node || placed.has(id)) return undefined;
    placed.add(id);
    const children = (kids.get(id) ?? [])
      .sort((a, b) => a.ts - b.ts || (a.id < b.id ? -1 : 1))
      .flatMap((k) => build(k.id) ?? []);
    return { node, children };
  };
  const byHost = new Map<string, ProcessBranch[]>();
  const ids = [...procs.keys()].sort();
  for (const id of [...ids.filter((i) => !hasParent.has(i)), ...ids]) {
    const branch = build(id);
    if (!branch) continue;
    const host = /^process:([^:]+):/.exec(id)?.[1] ?? '';
    byHost.set(host, [...(byHost.get(host) ?? []), branch]);
  }
  return [...byHost]
    .sort((a, b) => a[0].localeCompare(b[0]))
    .map(([host, roots]) => ({ host, roots }));
}
