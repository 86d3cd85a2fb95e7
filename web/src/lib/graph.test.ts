import { describe, expect, it } from 'vitest';
import type { GraphEdge, GraphNode } from '../api/types.ts';
import {
  adjacency,
  COLUMN_WIDTH,
  expand,
  hiddenCounts,
  initialVisible,
  layout,
  processForest,
  ROW_HEIGHT,
  SEEN_ON,
  withHostMembership,
} from './graph.ts';

const node = (id: string): GraphNode => ({
  id,
  type: id.split(':')[0] as GraphNode['type'],
  label: id,
});
const edge = (from: string, to: string, type = 'spawned'): GraphEdge => ({
  from,
  to,
  type,
  ts: 0,
  eventIds: [],
});

describe('the attack graph model', () => {
  it('lays a chain out left to right, one column per step, hosts before their processes', () => {
    const nodes = ['host:h', 'process:h:a', 'process:h:b', 'file:h:x', 'process:h:c'].map(node);
    const edges = [
      edge('process:h:a', 'process:h:b'),
      edge('process:h:b', 'file:h:x', 'wrote'),
      edge('file:h:x', 'process:h:c', 'executed'),
      edge('process:h:a', 'host:h', 'ran_on'),
    ];
    const placed = new Map(layout(nodes, edges).map((p) => [p.id, p]));
    const col = (id: string): number => placed.get(id)!.rank;
    expect(col('process:h:a')).toBeLessThan(col('process:h:b'));
    expect(col('process:h:b')).toBeLessThan(col('file:h:x'));
    expect(col('file:h:x')).toBeLessThan(col('process:h:c'));
    expect(col('host:h')).toBeLessThanOrEqual(col('process:h:a'));
    expect(placed.get('process:h:c')!.x).toBe(col('process:h:c') * COLUMN_WIDTH);
    // no two nodes share a position
    const spots = new Set([...placed.values()].map((p) => `${p.x},${p.y}`));
    expect(spots.size).toBe(nodes.length);
  });

  it('survives cycles and gives the same layout whatever the input order', () => {
    const nodes = ['ip:1', 'host:a', 'host:b', 'user:u'].map(node);
    const edges = [
      edge('host:a', 'host:b', 'connected_to'),
      edge('host:b', 'host:a', 'connected_to'),
      edge('user:u', 'host:a', 'logged_on_to'),
      edge('ip:1', 'host:b', 'connected_to'),
    ];
    const one = layout(nodes, edges);
    const two = layout([...nodes].reverse(), [...edges].reverse());
    const byId = (l: typeof one): string[] => l.map((p) => `${p.id}@${p.x},${p.y}`).sort();
    expect(byId(one)).toEqual(byId(two));
    expect(one).toHaveLength(4);
  });

  it('opens a big graph on its hosts and best-connected nodes; expanding shows the neighbours', () => {
    const nodes = [node('host:h'), node('ip:c2')];
    const edges: GraphEdge[] = [edge('ip:c2', 'host:h', 'connected_to')];
    for (let i = 0; i < 100; i++) {
      nodes.push(node(`process:h:${i}`));
      edges.push(edge(`process:h:${i}`, 'host:h', 'ran_on'));
      if (i > 0) edges.push(edge(`process:h:${i - 1}`, `process:h:${i}`));
    }
    const visible = initialVisible(nodes, edges, { limit: 20, sourceId: 'ip:c2' });
    expect(visible.size).toBe(20);
    expect(visible.has('host:h')).toBe(true);
    expect(visible.has('ip:c2')).toBe(true);
    const adj = adjacency(edges);
    const hidden = hiddenCounts(visible, adj);
    const someHidden = [...visible].find((id) => (hidden.get(id) ?? 0) > 0)!;
    const grown = expand(visible, someHidden, adj);
    expect(grown.size).toBe(visible.size + hidden.get(someHidden)!);
    expect(hiddenCounts(grown, adj).get(someHidden)).toBeUndefined();
  });

  it('ties unlinked host-local entities to their host, to be shown when it is expanded', () => {
    const nodes = [
      'host:ws-1.corp',
      'process:ws-1.corp:p1',
      'process:ws-1.corp:p2',
      'task:ws-1.corp:\\updater',
      'hash:sha256 abc',
      'registry:ws-9.corp:hklm\\x',
    ].map(node);
    const edges = [
      edge('process:ws-1.corp:p1', 'process:ws-1.corp:p2'),
      edge('process:ws-1.corp:p1', 'host:ws-1.corp', 'ran_on'),
    ];
    const all = withHostMembership(nodes, edges);
    expect(all.filter((e) => e.type === SEEN_ON)).toEqual([
      {
        from: 'task:ws-1.corp:\\updater',
        to: 'host:ws-1.corp',
        type: SEEN_ON,
        ts: 0,
        eventIds: [],
      },
    ]);
    const visible = initialVisible(nodes, all, { limit: 60 });
    expect([...visible].sort()).toEqual([
      'host:ws-1.corp',
      'process:ws-1.corp:p1',
      'process:ws-1.corp:p2',
    ]);
    const adj = adjacency(all);
    expect(hiddenCounts(visible, adj).get('host:ws-1.corp')).toBe(1);
    expect(expand(visible, 'host:ws-1.corp', adj).has('task:ws-1.corp:\\updater')).toBe(true);
  });

  it('wraps a tall column into several, keeping the chain order', () => {
    const nodes = [
      node('process:h:root'),
      ...Array.from({ length: 25 }, (_, i) => node(`process:h:c${i}`)),
    ];
    const edges = nodes.slice(1).map((n) => edge('process:h:root', n.id));
    const placed = layout(nodes, edges);
    const xs = new Set(placed.filter((p) => p.id !== 'process:h:root').map((p) => p.x));
    expect(xs.size).toBe(3);
    const root = placed.find((p) => p.id === 'process:h:root')!;
    expect(Math.min(...xs)).toBeGreaterThan(root.x);
    expect(Math.max(...placed.map((p) => p.y))).toBeLessThan(10 * ROW_HEIGHT);
  });

  it('builds process trees per host from spawned edges, children in time order, cycles cut', () => {
    const nodes = [
      'process:h1:a',
      'process:h1:b',
      'process:h1:c',
      'process:h2:x',
      'process:h2:y',
      'file:h1:f',
    ].map(node);
    const e = (from: string, to: string, ts: number): GraphEdge => ({
      from,
      to,
      type: 'spawned',
      ts,
      eventIds: [],
    });
    const forest = processForest(nodes, [
      e('process:h1:a', 'process:h1:c', 2),
      e('process:h1:a', 'process:h1:b', 1),
      edge('process:h1:b', 'file:h1:f', 'wrote'),
      e('process:h2:x', 'process:h2:y', 1),
      e('process:h2:y', 'process:h2:x', 2),
    ]);
    const show = (b: { node: GraphNode; children: readonly unknown[] }): unknown => [
      b.node.id,
      (b.children as (typeof b)[]).map(show),
    ];
    expect(forest.map((f) => [f.host, f.roots.map(show)])).toEqual([
      [
        'h1',
        [
          [
            'process:h1:a',
            [
              ['process:h1:b', []],
              ['process:h1:c', []],
            ],
          ],
        ],
      ],
      ['h2', [['process:h2:x', [['process:h2:y', []]]]]],
    ]);
  });

  it('lays out 500 nodes quickly', () => {
    const nodes: GraphNode[] = [];
    const edges: GraphEdge[] = [];
    for (let i = 0; i < 500; i++) {
      nodes.push(node(`process:h${i % 10}:${i}`));
      if (i >= 10)
        edges.push(edge(`process:h${(i - 10) % 10}:${i - 10}`, `process:h${i % 10}:${i}`));
    }
    const t0 = performance.now();
    const placed = layout(nodes, edges);
    expect(performance.now() - t0).toBeLessThan(500);
    expect(placed).toHaveLength(500);
  });
});
