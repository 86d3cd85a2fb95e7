/**
 * One incident: what happened (narrative, next steps, mitigations in English or Traditional Chinese),
 * the attack graph, the timeline, the tactics reached, the hosts and entities with pivots, the alerts,
 * and the case work (status, determination, assignee, tags, SLA clocks, notes, evidence, audit).
 */
import { memo, useEffect, useMemo, useState, type ReactNode } from 'react';
import {
  Accordion,
  Alert as Callout,
  Anchor,
  Badge,
  Breadcrumbs,
  Button,
  Card,
  Center,
  CloseButton,
  Grid,
  Group,
  List,
  Loader,
  ScrollArea,
  SegmentedControl,
  Select,
  Stack,
  Table,
  TagsInput,
  Text,
  Textarea,
  TextInput,
  Title,
  Tooltip,
  UnstyledButton,
} from '@mantine/core';
import { useQueries, useQuery, useQueryClient } from '@tanstack/react-query';
import { notifications } from '@mantine/notifications';
import { api, ApiError } from '../api/client.ts';
import {
  DETERMINATIONS,
  STATUSES,
  type AlertWithEvents,
  type GraphNode,
  type Incident,
  type Lang,
  type StoredEvent,
} from '../api/types.ts';
import { AttackGraph, TYPE_GLYPH } from '../components/AttackGraph.tsx';
import { processForest, type ProcessBranch } from '../lib/graph.ts';
import { AssignDialog, STATUS_LABEL, StatusDialog } from '../components/CaseDialogs.tsx';
import { NotFound } from '../components/NotFound.tsx';
import { ScoreBadge, ScoreExplanation } from '../components/Score.tsx';
import { explain, useUpdateIncidents, type IncidentChange } from '../lib/incidents.ts';
import { alertPath, incidentPath, Link, navigate } from '../lib/router.tsx';
import { canManage, tenantName, useSession } from '../lib/session.tsx';
import { clockStates, duration, utc } from '../lib/format.ts';
import { eventSearchPath, KILL_CHAIN, tacticLabel } from '../lib/attack.ts';
import { HOST_TEXT_COLOR, LEVEL_COLOR, STATUS_COLOR } from '../theme.ts';
import { PageTitle } from '../components/PageTitle.tsx';

const LANG_KEY = 'vigil.lang';
const MAX_ALERTS_LOADED = 60;

function Section({
  title,
  children,
  right,
}: {
  title: string;
  children: ReactNode;
  right?: ReactNode;
}) {
  return (
    <Card withBorder padding="sm" component="section" aria-label={title}>
      <Group justify="space-between" mb="xs">
        <Title order={2} size="h4">
          {title}
        </Title>
        {right}
      </Group>
      {children}
    </Card>
  );
}

export default function IncidentPage({ tenant, id }: { tenant: string; id: string }) {
  const session = useSession();
  const q = useQuery({
    queryKey: ['incident', tenant, id],
    queryFn: () => api.incident(tenant, id),
    retry: (n, e) => !(e instanceof ApiError && e.status < 500) && n < 1,
  });
  if (q.isPending)
    return (
      <Center p="xl">
        <Loader aria-label="Loading incident" />
      </Center>
    );
  if (q.isError) {
    if (q.error instanceof ApiError && (q.error.status === 404 || q.error.status === 403))
      return <NotFound what={`No incident ${id} in tenant ${tenant} that you may see.`} />;
    return <Callout color="red">{q.error.message}</Callout>;
  }
  return (
    <IncidentView incident={{ ...q.data, tenant: q.data.tenant || tenant }} session={session} />
  );
}

function IncidentView({
  incident: inc,
  session,
}: {
  incident: Incident;
  session: ReturnType<typeof useSession>;
}) {
  const manage = canManage(session.me.user.role);
  const update = useUpdateIncidents();
  const client = useQueryClient();
  const [lang, setLangState] = useState<Lang>(() =>
    localStorage.getItem(LANG_KEY) === 'zh-TW' ? 'zh-TW' : 'en',
  );
  const setLang = (l: Lang): void => {
    localStorage.setItem(LANG_KEY, l);
    setLangState(l);
  };
  const [selectedNode, setSelectedNode] = useState<string>();
  const [dialog, setDialog] = useState<'assign' | 'status'>();

  const alertIds = inc.alert_ids.slice(0, MAX_ALERTS_LOADED);
  const alerts = useQueries({
    queries: alertIds.map((a) => ({
      queryKey: ['alert', inc.tenant, a],
      queryFn: () => api.alert(inc.tenant, a),
      staleTime: 60_000,
    })),
    combine: (rs) => rs.flatMap((r) => (r.data ? [r.data] : [])),
  });
  const eventsById = useMemo(() => {
    const m = new Map<string, { event: StoredEvent; alert: AlertWithEvents }>();
    for (const a of alerts)
      for (const e of a.events) if (!m.has(e.id)) m.set(e.id, { event: e, alert: a });
    return m;
  }, [alerts]);

  const change = async (c: IncidentChange): Promise<void> => {
    setDialog(undefined);
    await update([{ tenant: inc.tenant, id: inc.id }], c);
  };

  useEffect(() => {
    const key = (e: KeyboardEvent): void => {
      const t = e.target as HTMLElement | null;
      if (e.metaKey || e.ctrlKey || e.altKey || dialog) return;
      if (
        t &&
        (t.closest('[role="dialog"]') || ['INPUT', 'TEXTAREA', 'SELECT'].includes(t.tagName))
      )
        return;
      if (e.key === 'a' && manage) {
        e.preventDefault();
        setDialog('assign');
      } else if (e.key === 's' && manage) {
        e.preventDefault();
        setDialog('status');
      } else if (e.key === 'u' || e.key === 'Escape') {
        navigate('/incidents');
      }
    };
    window.addEventListener('keydown', key);
    return () => {
      window.removeEventListener('keydown', key);
    };
  }, [dialog, manage]);

  const node =
    selectedNode === undefined ? undefined : inc.graph.nodes.find((n) => n.id === selectedNode);
  const clocks = clockStates(inc.sla, Date.now());

  return (
    <Stack gap="md">
      <Breadcrumbs>
        <Anchor component={Link} to="/incidents" size="sm">
          Incidents
        </Anchor>
        <Text size="sm">{tenantName(session, inc.tenant)}</Text>
        <Text size="sm" c="dimmed" className="vg-mono">
          {inc.id}
        </Text>
      </Breadcrumbs>
      <Group justify="space-between" align="flex-start" wrap="nowrap">
        <Group gap="sm" wrap="nowrap" align="center">
          <ScoreBadge score={inc.score} terms={inc.score_terms} size="xl" />
          <div>
            <PageTitle data-testid="incident-title" tab={inc.title}>
              {inc.title}
            </PageTitle>
            <Group gap="xs" mt={4}>
              {inc.severity && (
                <Badge color={LEVEL_COLOR[inc.severity]} variant="light">
                  {inc.severity}
                </Badge>
              )}
              <Badge variant="dot" color={STATUS_COLOR[inc.status]} data-testid="incident-status">
                {STATUS_LABEL[inc.status]}
              </Badge>
              <Text size="sm" c="dimmed">
                {inc.alert_count} alerts · {inc.hosts.length} hosts · {utc(inc.first_ts)} →{' '}
                {utc(inc.last_ts)}
              </Text>
            </Group>
          </div>
        </Group>
      </Group>

      <Card withBorder padding="sm" component="section" aria-label="Case">
        <Group gap="md" align="flex-end" wrap="wrap">
          <Select
            label="Status"
            size="xs"
            w={160}
            disabled={!manage}
            allowDeselect={false}
            value={inc.status}
            data={STATUSES.map((s) => ({ value: s, label: STATUS_LABEL[s] }))}
            onChange={(v) => {
              if (v && v !== inc.status) void change({ status: v });
            }}
          />
          <Select
            label="Determination"
            size="xs"
            w={160}
            disabled={!manage}
            placeholder="undetermined"
            value={inc.determination ?? null}
            data={DETERMINATIONS.map((d) => ({ value: d, label: d.replace('_', ' ') }))}
            onChange={(v) => {
              if (v) void change({ determination: v });
            }}
          />
          <div>
            <Text size="xs" fw={500} mb={2}>
              Assignee
            </Text>
            <Group gap={6}>
              <Text size="sm" data-testid="incident-assignee" miw={80}>
                {inc.assignee ?? 'unassigned'}
              </Text>
              {manage && (
                <Button
                  size="compact-xs"
                  variant="light"
                  onClick={() => {
                    setDialog('assign');
                  }}
                >
                  Assign… (a)
                </Button>
              )}
            </Group>
          </div>
          <TagsInput
            label="Tags"
            size="xs"
            w={260}
            disabled={!manage}
            value={[...(inc.tags ?? [])]}
            onChange={(tags) => void change({ tags })}
            placeholder="add a tag"
          />
          {clocks.length > 0 && (
            <Group gap="xs" ml="auto" aria-label="SLA clocks">
              {clocks.map((c) => (
                <Tooltip
                  key={c.name}
                  label={`target ${c.clock.target_min} min, due ${utc(c.clock.due)}${c.clock.met_at ? `, met ${utc(c.clock.met_at)}` : ''}`}
                >
                  <Badge
                    variant="light"
                    color={
                      c.state === 'breached'
                        ? 'red'
                        : c.state === 'met'
                          ? 'green'
                          : c.state === 'due_soon'
                            ? 'orange'
                            : 'gray'
                    }
                  >
                    {c.name}:{' '}
                    {c.state === 'met'
                      ? 'met'
                      : c.state === 'breached'
                        ? 'breached'
                        : `${duration(c.left)} left`}
                  </Badge>
                </Tooltip>
              ))}
            </Group>
          )}
        </Group>
      </Card>

      <div className="vg-layout vg-inc-top">
        <div className="vg-inc-story">
          <Section
            title="What happened"
            right={
              <SegmentedControl
                size="xs"
                value={lang}
                onChange={(v) => {
                  setLang(v);
                }}
                data={[
                  { value: 'en', label: 'English' },
                  { value: 'zh-TW', label: '繁體中文' },
                ]}
                aria-label="Language"
              />
            }
          >
            <Text
              size="sm"
              style={{ whiteSpace: 'pre-wrap', lineHeight: 1.6, overflowWrap: 'anywhere' }}
              lang={lang}
              data-testid="narrative"
            >
              {inc.narrative[lang]}
            </Text>
            {inc.next_steps[lang].length > 0 && (
              <>
                <Title order={3} size="h5" mt="md" mb={4}>
                  {lang === 'en' ? 'What to check next' : '接下來要檢查'}
                </Title>
                <List size="sm" spacing={4} lang={lang}>
                  {inc.next_steps[lang].map((s) => (
                    <List.Item key={s}>{s}</List.Item>
                  ))}
                </List>
              </>
            )}
            {inc.mitigations.length > 0 && (
              <>
                <Title order={3} size="h5" mt="md" mb={4}>
                  {lang === 'en' ? 'Recommended mitigations' : '建議的緩解措施'}
                </Title>
                <Accordion variant="contained" chevronPosition="left" data-testid="mitigations">
                  {inc.mitigations.map((m) => (
                    <Accordion.Item key={m.id} value={m.id}>
                      <Accordion.Control>
                        <Group gap="xs" wrap="nowrap">
                          <Badge
                            size="xs"
                            variant="outline"
                            color={m.id.startsWith('M') ? 'blue' : 'grape'}
                          >
                            {m.id}
                          </Badge>
                          <Text size="sm">{lang === 'zh-TW' && m.zh ? m.zh.name : m.name}</Text>
                        </Group>
                      </Accordion.Control>
                      <Accordion.Panel>
                        <Text size="sm" style={{ whiteSpace: 'pre-wrap' }}>
                          {lang === 'zh-TW' && m.zh ? m.zh.how : m.how}
                        </Text>
                        <Text size="xs" c="dimmed" mt={4}>
                          {lang === 'zh-TW'
                            ? `適用於 ${m.techniques.join('、')}${m.zh ? '' : '（MITRE ATT&CK 原文）'}`
                            : `For ${m.techniques.join(', ')}`}
                        </Text>
                      </Accordion.Panel>
                    </Accordion.Item>
                  ))}
                </Accordion>
              </>
            )}
          </Section>
        </div>
        <div className="vg-inc-side">
          <Stack gap="md">
            <Section title="Hosts">
              <Stack gap={6}>
                {inc.hosts.map((h) => (
                  <Group
                    key={h.name}
                    gap="xs"
                    wrap="nowrap"
                    align="flex-start"
                    data-host={h.name}
                    data-state={h.state}
                  >
                    <Badge
                      miw={84}
                      variant="light"
                      color="gray"
                      style={{ color: HOST_TEXT_COLOR[h.state], flex: 'none', overflow: 'visible' }}
                    >
                      {h.state}
                    </Badge>
                    <div style={{ minWidth: 0 }}>
                      <Anchor
                        component={Link}
                        to={eventSearchPath(inc.tenant, { host: h.name })}
                        size="sm"
                        fw={500}
                      >
                        {h.name}
                      </Anchor>
                      {inc.patient_zero?.toLowerCase() === h.name.toLowerCase() && (
                        <Badge size="xs" color="red" variant="outline" ml={6}>
                          patient zero
                        </Badge>
                      )}
                      <Text size="xs" c="dimmed">
                        {h.why}
                      </Text>
                    </div>
                  </Group>
                ))}
              </Stack>
              {inc.source && (
                <Text component="div" size="sm" mt="sm" style={{ overflowWrap: 'anywhere' }}>
                  <Text span c="dimmed">
                    Attack source:{' '}
                  </Text>
                  <Badge size="xs" variant="outline" mr={4}>
                    {inc.source.type}
                  </Badge>
                  {inc.source.label}
                </Text>
              )}
            </Section>
            <Section title="ATT&CK tactics reached">
              <Group gap={4} aria-label="Kill chain">
                {KILL_CHAIN.map((t) => {
                  const reached = inc.tactics.includes(t);
                  return (
                    <Badge
                      key={t}
                      size="sm"
                      radius="xs"
                      variant={reached ? 'filled' : 'outline'}
                      color={reached ? 'red' : 'gray'}
                      {...(reached ? {} : { c: 'dimmed' })}
                      data-reached={reached}
                    >
                      {tacticLabel(t)}
                    </Badge>
                  );
                })}
              </Group>
              {inc.techniques.length > 0 && (
                <Text size="xs" c="dimmed" mt="xs">
                  Techniques: {inc.techniques.join(', ')}
                </Text>
              )}
            </Section>
            {inc.score_terms && (
              <Section title="Why this score">
                <ScoreExplanation score={inc.score} terms={inc.score_terms} />
              </Section>
            )}
          </Stack>
        </div>
        <div className="vg-inc-graph">
          <Section title="Attack graph">
            <AttackGraph
              nodes={inc.graph.nodes}
              edges={inc.graph.edges}
              hosts={inc.hosts}
              sourceId={inc.source?.id}
              patientZero={inc.patient_zero ?? undefined}
              selected={selectedNode}
              onSelect={setSelectedNode}
              height="clamp(480px, 62vh, 900px)"
              panel={
                node && (
                  <NodePanel
                    incident={inc}
                    node={node}
                    eventsById={eventsById}
                    onClose={() => {
                      setSelectedNode(undefined);
                    }}
                  />
                )
              }
            />
          </Section>
        </div>
      </div>

      <div className="vg-layout vg-pair">
        <ProcessTrees incident={inc} onSelect={setSelectedNode} />
        <TimelineSection incident={inc} />
      </div>

      <Grid gap="md">
        <Grid.Col span={{ base: 12, lg: 7 }}>
          <Section title={`Alerts (${inc.alert_count})`}>
            <ScrollArea.Autosize mah={360}>
              <Table verticalSpacing={4} fz="sm" highlightOnHover data-testid="incident-alerts">
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th>Rule</Table.Th>
                    <Table.Th w={90}>Level</Table.Th>
                    <Table.Th>Host</Table.Th>
                    <Table.Th w={180}>Time (UTC)</Table.Th>
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {alerts.map((a) => (
                    <Table.Tr key={a.id}>
                      <Table.Td>
                        <Anchor component={Link} to={alertPath(inc.tenant, a.id)} size="sm">
                          {a.rule.title}
                        </Anchor>
                      </Table.Td>
                      <Table.Td>
                        <Badge size="xs" color={LEVEL_COLOR[a.level]} variant="light">
                          {a.level}
                        </Badge>
                      </Table.Td>
                      <Table.Td>{a.host ?? '—'}</Table.Td>
                      <Table.Td className="vg-mono">{utc(a.ts)}</Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
              {inc.alert_ids.length > MAX_ALERTS_LOADED && (
                <Text size="xs" c="dimmed" mt={4}>
                  Showing the first {MAX_ALERTS_LOADED}; the alert search lists the rest.
                </Text>
              )}
            </ScrollArea.Autosize>
          </Section>
        </Grid.Col>
        <Grid.Col span={{ base: 12, lg: 5 }}>
          <Entities incident={inc} onSelect={setSelectedNode} />
        </Grid.Col>
      </Grid>

      <CaseWork
        incident={inc}
        manage={manage}
        onChanged={() =>
          void client.invalidateQueries({ queryKey: ['incident', inc.tenant, inc.id] })
        }
      />

      <AssignDialog
        opened={dialog === 'assign'}
        count={1}
        me={session.me.user.name}
        known={[]}
        current={inc.assignee}
        onClose={() => {
          setDialog(undefined);
        }}
        onAssign={(who) => void change({ assignee: who })}
      />
      <StatusDialog
        opened={dialog === 'status'}
        count={1}
        current={inc.status}
        onClose={() => {
          setDialog(undefined);
        }}
        onStatus={(s) => void change({ status: s })}
      />
    </Stack>
  );
}

/** The process trees from the graph's spawned edges, per host; a process selects its graph node. */
const ProcessTrees = memo(function ProcessTrees({
  incident: inc,
  onSelect,
}: {
  incident: Incident;
  onSelect: (id: string) => void;
}) {
  const forest = useMemo(
    () => processForest(inc.graph.nodes, inc.graph.edges),
    [inc.graph.nodes, inc.graph.edges],
  );
  if (forest.length === 0) return null;
  const branch = (b: ProcessBranch, depth: number): ReactNode => (
    <li key={b.node.id}>
      <UnstyledButton
        onClick={() => {
          onSelect(b.node.id);
        }}
        className="vg-mono"
        title={String(b.node.attributes?.['image'] ?? b.node.label)}
      >
        {b.node.label}
        {b.node.attributes?.['user'] !== undefined && (
          <Text span size="xs" c="dimmed">
            {' '}
            · {String(b.node.attributes['user'])}
          </Text>
        )}
      </UnstyledButton>
      {b.children.length > 0 && depth < 40 && (
        <ul className="vg-tree">{b.children.map((c) => branch(c, depth + 1))}</ul>
      )}
    </li>
  );
  return (
    <Section title="Process trees">
      <ScrollArea.Autosize mah={360}>
        <Stack gap="xs" data-testid="process-trees">
          {forest.map((f) => (
            <div key={f.host}>
              <Text size="xs" fw={700} c="dimmed" tt="uppercase">
                {f.host}
              </Text>
              <ul className="vg-tree" aria-label={`Processes on ${f.host}`}>
                {f.roots.map((r) => branch(r, 0))}
              </ul>
            </div>
          ))}
        </Stack>
      </ScrollArea.Autosize>
    </Section>
  );
});

/** The incident's alerts in time order (memoised: selecting a graph node does not redraw it). */
const TimelineSection = memo(function TimelineSection({ incident: inc }: { incident: Incident }) {
  return (
    <Section title="Timeline">
      <ScrollArea.Autosize mah={360}>
        <Table verticalSpacing={4} fz="sm" striped highlightOnHover>
          <Table.Thead>
            <Table.Tr>
              <Table.Th w={190}>Time (UTC)</Table.Th>
              <Table.Th w={90}>Level</Table.Th>
              <Table.Th>Alert</Table.Th>
              <Table.Th w={170}>Host</Table.Th>
              <Table.Th>Tactics</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {inc.timeline.map((t, i) => (
              <Table.Tr key={`${t.alertId}-${i}`}>
                <Table.Td className="vg-mono">{utc(t.ts)}</Table.Td>
                <Table.Td>
                  <Badge size="xs" color={LEVEL_COLOR[t.level]} variant="light">
                    {t.level}
                  </Badge>
                </Table.Td>
                <Table.Td>
                  <Anchor component={Link} to={alertPath(inc.tenant, t.alertId)} size="sm">
                    {t.title}
                  </Anchor>
                </Table.Td>
                <Table.Td>{t.host ?? '—'}</Table.Td>
                <Table.Td>
                  <Text size="xs" c="dimmed">
                    {t.tactics.map(tacticLabel).join(', ')}
                  </Text>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </ScrollArea.Autosize>
    </Section>
  );
});

/** The selected graph node: what it is, the events behind its edges, and pivots to search. */
function NodePanel({
  incident: inc,
  node,
  eventsById,
  onClose,
}: {
  incident: Incident;
  node: GraphNode;
  eventsById: ReadonlyMap<string, { event: StoredEvent; alert: AlertWithEvents }>;
  onClose: () => void;
}) {
  const touching = inc.graph.edges.filter((e) => e.from === node.id || e.to === node.id);
  const eventIds = [...new Set(touching.flatMap((e) => e.eventIds))];
  const labelOf = (id: string): string => inc.graph.nodes.find((n) => n.id === id)?.label ?? id;
  return (
    <Card
      withBorder
      padding="sm"
      shadow="lg"
      data-testid="node-panel"
      aria-label={`Entity ${node.label}`}
    >
      <Group gap={6} mb={4} wrap="nowrap">
        <CloseButton size="sm" aria-label="Close details" onClick={onClose} />
        <Badge size="sm" variant="outline">
          {TYPE_GLYPH[node.type] ?? node.type}
        </Badge>
        <Text fw={600} size="sm" style={{ wordBreak: 'break-all' }}>
          {node.label}
        </Text>
      </Group>
      {node.attributes && (
        <Table fz="xs" verticalSpacing={2} mb="xs">
          <Table.Tbody>
            {Object.entries(node.attributes).map(([k, v]) => (
              <Table.Tr key={k}>
                <Table.Td c="dimmed" w={100}>
                  {k}
                </Table.Td>
                <Table.Td style={{ wordBreak: 'break-all' }}>{String(v)}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
      <Text size="xs" fw={700} c="dimmed" tt="uppercase" mt="xs">
        Relations
      </Text>
      <ScrollArea.Autosize mah={120}>
        {touching.slice(0, 50).map((e, i) => (
          <Text size="xs" key={i}>
            {e.from === node.id
              ? `${e.type.replace(/_/g, ' ')} → ${labelOf(e.to)}`
              : `← ${e.type.replace(/_/g, ' ')} by ${labelOf(e.from)}`}
          </Text>
        ))}
      </ScrollArea.Autosize>
      <Text size="xs" fw={700} c="dimmed" tt="uppercase" mt="xs">
        Events ({eventIds.length})
      </Text>
      <ScrollArea.Autosize mah={180}>
        <Stack gap={2} data-testid="node-events">
          {eventIds.slice(0, 40).map((eid) => {
            const found = eventsById.get(eid);
            return found ? (
              <Anchor
                key={eid}
                component={Link}
                to={`${alertPath(inc.tenant, found.alert.id)}#${encodeURIComponent(eid)}`}
                size="xs"
              >
                {utc(found.event.ts)}{' '}
                {String(found.event.fields['EventID'] ?? found.event.source['service'] ?? '')}{' '}
                {found.event.host ?? ''} — {found.alert.rule.title}
              </Anchor>
            ) : (
              <Text key={eid} size="xs" c="dimmed" className="vg-mono">
                {eid}
              </Text>
            );
          })}
        </Stack>
      </ScrollArea.Autosize>
      <Button
        component={Link}
        to={eventSearchPath(inc.tenant, pivotOf(node))}
        size="compact-xs"
        variant="light"
        mt="sm"
      >
        Search this {node.type} across the tenant
      </Button>
    </Card>
  );
}

/** The event search a node pivots to. */
function pivotOf(node: GraphNode): { host?: string; user?: string; q?: string } {
  if (node.type === 'host') return { host: node.label };
  if (node.type === 'user')
    return {
      user: node.label.includes('\\') ? (node.label.split('\\').pop() ?? node.label) : node.label,
    };
  if (node.type === 'process')
    return {
      q:
        node.label
          .replace(/\s*\(\d+\)$/, '')
          .split(/[\\/]/)
          .pop() ?? node.label,
    };
  return { q: node.label };
}

const Entities = memo(function Entities({
  incident: inc,
  onSelect,
}: {
  incident: Incident;
  onSelect: (id: string) => void;
}) {
  const groups = useMemo(() => {
    const m = new Map<string, GraphNode[]>();
    for (const n of inc.graph.nodes) {
      const l = m.get(n.type);
      if (l) l.push(n);
      else m.set(n.type, [n]);
    }
    return [...m].sort((a, b) => a[0].localeCompare(b[0]));
  }, [inc.graph.nodes]);
  return (
    <Section title={`Entities (${inc.graph.nodes.length})`}>
      <ScrollArea.Autosize mah={360}>
        <Stack gap="xs">
          {groups.map(([type, nodes]) => (
            <div key={type}>
              <Text size="xs" fw={700} c="dimmed" tt="uppercase">
                {type} ({nodes.length})
              </Text>
              <Group gap={4}>
                {nodes.slice(0, 30).map((n) => (
                  <Badge
                    key={n.id}
                    component="button"
                    type="button"
                    variant="default"
                    size="sm"
                    tt="none"
                    style={{ cursor: 'pointer', maxWidth: 300 }}
                    title={n.label}
                    onClick={() => {
                      onSelect(n.id);
                    }}
                  >
                    {n.label}
                  </Badge>
                ))}
                {nodes.length > 30 && <Text size="xs">+{nodes.length - 30}</Text>}
              </Group>
            </div>
          ))}
        </Stack>
      </ScrollArea.Autosize>
    </Section>
  );
});

/** Notes, evidence, similar incidents and the audit trail — shown when the server offers them. */
function CaseWork({
  incident: inc,
  manage,
  onChanged,
}: {
  incident: Incident;
  manage: boolean;
  onChanged: () => void;
}) {
  const [note, setNote] = useState('');
  const [ev, setEv] = useState({ kind: 'file', ref: '', note: '' });
  const audit = useQuery({
    queryKey: ['incident-audit', inc.tenant, inc.id],
    queryFn: () => api.incidentAudit(inc.tenant, inc.id),
    retry: false,
  });
  const supported = inc.notes !== undefined;
  const run = async (f: () => Promise<unknown>, what: string): Promise<boolean> => {
    try {
      await f();
      notifications.show({ color: 'green', message: what });
      onChanged();
      return true;
    } catch (e) {
      notifications.show({ color: 'red', message: explain(e) });
      return false;
    }
  };
  return (
    <Grid gap="md">
      <Grid.Col span={{ base: 12, lg: 6 }}>
        <Section title="Notes">
          {!supported && (
            <Text size="sm" c="dimmed">
              This server keeps no notes yet.
            </Text>
          )}
          <Stack gap={6}>
            {(inc.notes ?? []).map((n, i) => (
              <Card key={n.id ?? i} padding={6} withBorder>
                <Text size="xs" c="dimmed">
                  {n.author} · {utc(n.created_at ?? n.ts)}
                </Text>
                <Text size="sm" style={{ whiteSpace: 'pre-wrap' }}>
                  {n.text}
                </Text>
              </Card>
            ))}
          </Stack>
          {manage && supported && (
            <form
              onSubmit={(e) => {
                e.preventDefault();
                if (note.trim() === '') return;
                void run(() => api.addNote(inc.tenant, inc.id, note.trim()), 'note added').then(
                  (ok) => {
                    if (ok) setNote('');
                  },
                );
              }}
            >
              <Textarea
                mt="xs"
                autosize
                minRows={2}
                placeholder="Add a note"
                aria-label="New note"
                value={note}
                onChange={(e) => {
                  setNote(e.currentTarget.value);
                }}
              />
              <Button type="submit" size="xs" mt={6}>
                Add note
              </Button>
            </form>
          )}
        </Section>
      </Grid.Col>
      <Grid.Col span={{ base: 12, lg: 6 }}>
        <Stack gap="md">
          {inc.evidence !== undefined && (
            <Section title="Evidence">
              <Stack gap={4}>
                {inc.evidence.map((x, i) => (
                  <Text component="div" key={x.id ?? i} size="sm">
                    <Badge size="xs" variant="outline" mr={6}>
                      {x.kind}
                    </Badge>
                    <span className="vg-mono">{x.ref}</span> {x.note ? `— ${x.note}` : ''}
                  </Text>
                ))}
              </Stack>
              {manage && (
                <form
                  onSubmit={(e) => {
                    e.preventDefault();
                    if (ev.ref.trim() === '') return;
                    void run(() => api.addEvidence(inc.tenant, inc.id, ev), 'evidence added').then(
                      (ok) => {
                        if (ok) setEv({ kind: ev.kind, ref: '', note: '' });
                      },
                    );
                  }}
                >
                  <Group gap={6} mt="xs" align="flex-end">
                    <Select
                      size="xs"
                      w={100}
                      aria-label="Evidence kind"
                      value={ev.kind}
                      data={['file', 'hash', 'event', 'alert', 'url', 'ip', 'note']}
                      onChange={(v) => {
                        setEv({ ...ev, kind: v ?? 'file' });
                      }}
                    />
                    <TextInput
                      size="xs"
                      placeholder="reference"
                      aria-label="Evidence reference"
                      value={ev.ref}
                      onChange={(e) => {
                        setEv({ ...ev, ref: e.currentTarget.value });
                      }}
                    />
                    <TextInput
                      size="xs"
                      placeholder="note"
                      aria-label="Evidence note"
                      value={ev.note}
                      onChange={(e) => {
                        setEv({ ...ev, note: e.currentTarget.value });
                      }}
                    />
                    <Button size="xs" type="submit">
                      Add
                    </Button>
                  </Group>
                </form>
              )}
            </Section>
          )}
          {inc.similar !== undefined && (
            <Section title="Similar incidents">
              {inc.similar.length === 0 ? (
                <Text size="sm" c="dimmed">
                  None.
                </Text>
              ) : (
                <Stack gap={4}>
                  {inc.similar.map((s) => (
                    <Group key={s.id} gap="xs" wrap="nowrap">
                      <ScoreBadge score={s.score} terms={undefined} />
                      <Anchor component={Link} to={incidentPath(inc.tenant, s.id)} size="sm">
                        {s.title}
                      </Anchor>
                      <Text size="xs" c="dimmed" truncate="end">
                        {Array.isArray(s.shared) ? s.shared.join(', ') : String(s.shared)}
                      </Text>
                    </Group>
                  ))}
                </Stack>
              )}
            </Section>
          )}
          {audit.data && (
            <Section title="Audit trail">
              <ScrollArea.Autosize mah={240}>
                <Table fz="xs" verticalSpacing={2}>
                  <Table.Tbody>
                    {audit.data.audit.map((a) => (
                      <Table.Tr key={a.seq}>
                        <Table.Td className="vg-mono" w={170}>
                          {utc(a.ts)}
                        </Table.Td>
                        <Table.Td>{a.actor}</Table.Td>
                        <Table.Td>{a.action}</Table.Td>
                        <Table.Td c="dimmed">{JSON.stringify(a.detail)}</Table.Td>
                      </Table.Tr>
                    ))}
                  </Table.Tbody>
                </Table>
              </ScrollArea.Autosize>
            </Section>
          )}
        </Stack>
      </Grid.Col>
    </Grid>
  );
}
