/**
 * The attack graph of an incident: its entities (hosts, processes, users, files, addresses…) and the
 * typed edges between them, laid out along the chain. Hosts are coloured infected / targeted / clean;
 * the attack source and patient zero are marked. A large graph opens on its most telling nodes; a
 * node's "+N" says how many neighbours are hidden and expanding it shows them. Every node is a tab
 * stop named for a screen reader; Enter shows its details, E expands it, Escape closes the details.
 */
import { memo, useCallback, useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import {
  Background,
  Controls,
  Handle,
  MiniMap,
  Position,
  ReactFlow,
  type Edge,
  type Node,
  type NodeProps,
  type ReactFlowInstance,
} from '@xyflow/react';
import '@xyflow/react/dist/style.css';
import { Badge, Box, Button, Group, Text, Tooltip } from '@mantine/core';
import type { GraphEdge, GraphNode, HostState, IncidentHost } from '../api/types.ts';
import {
  adjacency,
  expand,
  hiddenCounts,
  hostStates,
  initialVisible,
  layout,
  SEEN_ON,
  withHostMembership,
} from '../lib/graph.ts';
import { HOST_COLOR, HOST_TEXT_COLOR } from '../theme.ts';

export const TYPE_GLYPH: Readonly<Record<string, string>> = {
  host: 'HOST',
  user: 'USER',
  session: 'SESS',
  process: 'PROC',
  file: 'FILE',
  hash: 'HASH',
  ip: 'IP',
  domain: 'DNS',
  url: 'URL',
  registry: 'REG',
  service: 'SVC',
  task: 'TASK',
  mail: 'MAIL',
  database: 'DB',
};

const TYPE_COLOR: Readonly<Record<string, string>> = {
  host: '#74c0fc',
  user: '#b197fc',
  process: '#ffd43b',
  file: '#ced4da',
  ip: '#ff8787',
  domain: '#ff8787',
  url: '#ff8787',
  mail: '#f783ac',
  hash: '#adb5bd',
  registry: '#a9e34b',
  service: '#a9e34b',
  task: '#a9e34b',
  session: '#b197fc',
  database: '#66d9e8',
};

const EDGE_COLOR: Readonly<Record<string, string>> = {
  spawned: '#ffd43b',
  executed: '#ffa94d',
  wrote: '#ced4da',
  logged_on_to: '#b197fc',
  connected_to: '#ff8787',
  exploited: '#fa5252',
  mailed: '#f783ac',
  ran_on: '#495057',
  [SEEN_ON]: '#495057',
};

interface EntityData extends Record<string, unknown> {
  readonly node: GraphNode;
  readonly state?: HostState | undefined;
  readonly hidden: number;
  readonly source: boolean;
  readonly patientZero: boolean;
  readonly selected: boolean;
}

const EntityNode = memo(function EntityNode({ data }: NodeProps<Node<EntityData>>) {
  const { node, state, hidden, source, patientZero, selected } = data;
  const border = state ? HOST_COLOR[state] : (TYPE_COLOR[node.type] ?? '#868e96');
  return (
    <Box
      data-node={node.id}
      data-type={node.type}
      data-state={state}
      style={{
        width: 220,
        padding: '6px 8px',
        background: selected ? '#1c3d5a' : '#25262b',
        border: `${state || selected ? 2 : 1}px solid ${selected ? '#4dabf7' : border}`,
        borderRadius: 6,
        boxShadow: state === 'infected' ? '0 0 10px rgba(250,82,82,0.45)' : undefined,
      }}
    >
      <Handle type="target" position={Position.Left} style={{ opacity: 0 }} />
      <Group gap={6} wrap="nowrap" justify="space-between">
        <Text
          size="10px"
          fw={700}
          c={TYPE_COLOR[node.type] ?? 'gray'}
          style={{ letterSpacing: 0.5, flex: 'none' }}
        >
          {TYPE_GLYPH[node.type] ?? node.type.toUpperCase()}
        </Text>
        <Group gap={4} wrap="nowrap">
          {source && (
            <Badge size="xs" color="red" variant="filled">
              source
            </Badge>
          )}
          {patientZero && (
            <Badge size="xs" color="red" variant="outline">
              patient 0
            </Badge>
          )}
          {state && (
            <Badge size="xs" variant="light" color="gray" style={{ color: HOST_TEXT_COLOR[state] }}>
              {state}
            </Badge>
          )}
          {hidden > 0 && (
            <Badge size="xs" color="gray" variant="filled" data-hidden={hidden}>
              +{hidden}
            </Badge>
          )}
        </Group>
      </Group>
      <Text size="xs" truncate="end" title={node.label} c="gray.2">
        {node.label}
      </Text>
      <Handle type="source" position={Position.Right} style={{ opacity: 0 }} />
    </Box>
  );
});

const nodeTypes = { entity: EntityNode };

/** What a screen reader says on a node, and how to use it (React Flow's own text is about editing). */
const ARIA = {
  'node.a11yDescription.default':
    'Press Enter for its details and events, E to show its hidden neighbours, Escape to close the details.',
  'node.a11yDescription.keyboardDisabled': 'Entity of the attack graph.',
};

function nodeName(d: {
  node: GraphNode;
  state?: HostState | undefined;
  hidden: number;
  source: boolean;
  patientZero: boolean;
}): string {
  return [
    `${d.node.type} ${d.node.label}`,
    d.state,
    d.source ? 'attack source' : undefined,
    d.patientZero ? 'patient zero' : undefined,
    d.hidden > 0 ? `${d.hidden} hidden neighbours` : undefined,
  ]
    .filter(Boolean)
    .join(', ');
}

export interface AttackGraphProps {
  readonly nodes: readonly GraphNode[];
  readonly edges: readonly GraphEdge[];
  readonly hosts: readonly IncidentHost[];
  readonly sourceId?: string | undefined;
  readonly patientZero?: string | undefined;
  readonly selected?: string | undefined;
  readonly onSelect: (id: string | undefined) => void;
  /** Nodes shown at first before the analyst expands any. */
  readonly initialLimit?: number;
  readonly height?: number | string;
  /** Shown over the graph's right edge (the selected node's details), so the graph never moves. */
  readonly panel?: ReactNode;
}

export function AttackGraph(props: AttackGraphProps) {
  const { nodes, hosts, sourceId, patientZero, selected, onSelect } = props;
  const limit = props.initialLimit ?? 60;
  const edges = useMemo(() => withHostMembership(nodes, props.edges), [nodes, props.edges]);
  const adj = useMemo(() => adjacency(edges), [edges]);
  const [visible, setVisible] = useState<ReadonlySet<string>>(() =>
    initialVisible(nodes, edges, { limit, sourceId }),
  );
  const [flow, setFlow] = useState<ReactFlowInstance<Node<EntityData>>>();
  const states = useMemo(() => hostStates(hosts), [hosts]);
  const byId = useMemo(() => new Map(nodes.map((n) => [n.id, n])), [nodes]);
  const pzId = useMemo(
    () =>
      patientZero === undefined
        ? undefined
        : nodes.find(
            (n) => n.type === 'host' && n.label.toLowerCase() === patientZero.toLowerCase(),
          )?.id,
    [nodes, patientZero],
  );

  const shownNodes = useMemo(() => nodes.filter((n) => visible.has(n.id)), [nodes, visible]);
  const placed = useMemo(() => layout(shownNodes, edges), [shownNodes, edges]);
  const hidden = useMemo(() => hiddenCounts(visible, adj), [visible, adj]);

  const expandNode = useCallback(
    (id: string) => {
      setVisible((v) => expand(v, id, adj));
    },
    [adj],
  );

  const laidOut = useMemo<Node<EntityData>[]>(
    () =>
      placed.flatMap((p) => {
        const node = byId.get(p.id);
        if (!node) return [];
        const data: EntityData = {
          node,
          state: node.type === 'host' ? states.get(node.label.toLowerCase()) : undefined,
          hidden: hidden.get(p.id) ?? 0,
          source: p.id === sourceId,
          patientZero: p.id === pzId,
          selected: false,
        };
        return [
          {
            id: p.id,
            type: 'entity',
            position: { x: p.x, y: p.y },
            className: 'vg-node',
            ariaLabel: nodeName(data),
            data,
          },
        ];
      }),
    [placed, byId, states, hidden, sourceId, pzId],
  );
  // Selecting a node replaces that node's object only, so the flow redraws one node, not all.
  const rfNodes = useMemo(
    () =>
      selected === undefined
        ? laidOut
        : laidOut.map((n) =>
            n.id === selected ? { ...n, data: { ...n.data, selected: true } } : n,
          ),
    [laidOut, selected],
  );
  const rfEdges = useMemo<Edge[]>(() => {
    const seen = new Set<string>();
    const out: Edge[] = [];
    for (const e of edges) {
      if (!visible.has(e.from) || !visible.has(e.to) || e.from === e.to) continue;
      const id = `${e.from}>${e.type}>${e.to}`;
      if (seen.has(id)) continue;
      seen.add(id);
      const color = EDGE_COLOR[e.type] ?? '#868e96';
      const name = (n: string): string => byId.get(n)?.label ?? n;
      out.push({
        id,
        ariaLabel: `${name(e.from)} ${e.type === SEEN_ON ? 'seen on' : e.type.replace(/_/g, ' ')} ${name(e.to)}`,
        source: e.from,
        target: e.to,
        label: e.type === 'ran_on' ? undefined : e.type.replace(/_/g, ' '),
        animated: e.type === 'exploited' || e.type === 'connected_to',
        style: {
          stroke: color,
          strokeWidth: e.type === 'ran_on' || e.type === SEEN_ON ? 1 : 1.6,
          ...(e.type === SEEN_ON ? { strokeDasharray: '4 3' } : {}),
        },
        labelStyle: { fill: color, fontSize: 10 },
        labelBgStyle: { fill: '#1a1b1e' },
      });
    }
    return out;
  }, [edges, visible, byId]);

  useEffect(() => {
    if (flow) void flow.fitView({ padding: 0.12, minZoom: 0.45, maxZoom: 1.2, duration: 0 });
  }, [flow, visible]);

  useEffect(() => {
    performance.mark('vigil:graph:rendered');
  }, [rfNodes]);

  // A double-click on a node expands it. The flow hands the second click of a double-click to its
  // pane, not to the node, so the node is the one the first click hit, caught on the way down.
  const lastClick = useRef<{ id: string; at: number } | undefined>(undefined);
  const container = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = container.current;
    if (!el) return;
    const dbl = (e: MouseEvent): void => {
      const last = lastClick.current;
      if (!last || e.timeStamp - last.at > 800) return;
      lastClick.current = undefined;
      onSelect(last.id);
      expandNode(last.id);
    };
    el.addEventListener('dblclick', dbl, true);
    return () => {
      el.removeEventListener('dblclick', dbl, true);
    };
  }, [expandNode, onSelect]);

  // Keyboard: the details panel takes the focus when Enter opened it; Escape gives it back.
  const panelRef = useRef<HTMLDivElement>(null);
  const focusPanel = useRef(false);
  useEffect(() => {
    if (!focusPanel.current || !props.panel) return;
    focusPanel.current = false;
    panelRef.current?.focus();
  }, [props.panel]);
  const focusNode = (id: string, tries = 10): void => {
    // A node the flow redraws stays hidden until it is measured again: try for a few frames.
    requestAnimationFrame(() => {
      const el = container.current?.querySelector<HTMLElement>(
        `.react-flow__node[data-id="${CSS.escape(id)}"]`,
      );
      el?.focus();
      if (el && document.activeElement !== el && tries > 0) focusNode(id, tries - 1);
    });
  };

  const totalHidden = nodes.length - visible.size;
  return (
    <Box>
      <Group justify="space-between" mb={6} gap="xs" wrap="nowrap">
        <Group gap="md" wrap="nowrap">
          {(['infected', 'targeted', 'clean'] as const).map((s) => (
            <Group key={s} gap={4}>
              <Box w={10} h={10} style={{ background: HOST_COLOR[s], borderRadius: 2 }} />
              <Text size="xs">{s}</Text>
            </Group>
          ))}
          <Text size="xs" c="dimmed" truncate="end">
            {visible.size} of {nodes.length} entities shown · click a node for details, double-click
            to expand
          </Text>
        </Group>
        <Group gap={6} wrap="nowrap">
          <Button
            size="compact-xs"
            variant="light"
            disabled={selected === undefined || (hidden.get(selected) ?? 0) === 0}
            onClick={() => {
              if (selected) expandNode(selected);
            }}
          >
            Expand selected{selected && hidden.get(selected) ? ` (+${hidden.get(selected)})` : ''}
          </Button>
          <Tooltip label="Show every entity of the incident">
            <Button
              size="compact-xs"
              variant="subtle"
              disabled={totalHidden === 0}
              onClick={() => {
                setVisible(new Set(nodes.map((n) => n.id)));
              }}
            >
              Show all ({totalHidden} hidden)
            </Button>
          </Tooltip>
        </Group>
      </Group>
      <Box
        h={props.height ?? 460}
        ref={container}
        onKeyDown={(e) => {
          // A focused node: Enter or Space opens its details (and moves the focus there), E
          // expands it, Escape closes the details (from the node or from inside them).
          const target = e.target as HTMLElement;
          if (e.key === 'Escape' && selected !== undefined && panelRef.current?.contains(target)) {
            e.preventDefault();
            e.stopPropagation();
            const back = selected;
            onSelect(undefined);
            focusNode(back);
            return;
          }
          const id = target.closest('.react-flow__node')?.getAttribute('data-id');
          if (!id || e.metaKey || e.ctrlKey || e.altKey) return;
          if (e.key === 'Enter' || e.key === ' ') {
            focusPanel.current = id !== selected;
            onSelect(id === selected ? undefined : id);
          } else if (e.key === 'e' || e.key === 'E' || e.key === '+') {
            onSelect(id);
            expandNode(id);
          } else if (e.key === 'Escape') {
            onSelect(undefined);
          } else return;
          e.preventDefault();
          e.stopPropagation();
        }}
        pos="relative"
        style={{ border: '1px solid var(--mantine-color-dark-4)', borderRadius: 4 }}
        data-testid="attack-graph"
        role="figure"
        aria-label={`Attack graph: ${nodes.length} entities, ${edges.length} relations`}
      >
        <ReactFlow<Node<EntityData>>
          nodes={rfNodes}
          edges={rfEdges}
          nodeTypes={nodeTypes}
          onInit={setFlow}
          onNodeClick={(e, n) => {
            lastClick.current = { id: n.id, at: e.timeStamp };
            onSelect(n.id === selected ? undefined : n.id);
          }}
          onPaneClick={() => {
            onSelect(undefined);
          }}
          nodesDraggable
          nodesConnectable={false}
          edgesFocusable={false}
          deleteKeyCode={null}
          ariaLabelConfig={ARIA}
          zoomOnDoubleClick={false}
          elementsSelectable
          minZoom={0.05}
          maxZoom={2.5}
          onlyRenderVisibleElements={rfNodes.length > 150}
          colorMode="dark"
          fitView
        >
          <Background gap={24} color="#2c2e33" />
          <Controls showInteractive={false} />
          {rfNodes.length > 30 && (
            <MiniMap
              pannable
              zoomable
              nodeColor={(n) => {
                const d = n.data as EntityData;
                return d.state ? HOST_COLOR[d.state] : (TYPE_COLOR[d.node.type] ?? '#868e96');
              }}
            />
          )}
        </ReactFlow>
        {props.panel && (
          <Box
            ref={panelRef}
            tabIndex={-1}
            aria-label="Entity details"
            role="region"
            pos="absolute"
            top={8}
            right={8}
            w={360}
            mah="calc(100% - 16px)"
            style={{ zIndex: 5, overflow: 'auto' }}
          >
            {props.panel}
          </Box>
        )}
      </Box>
    </Box>
  );
}
