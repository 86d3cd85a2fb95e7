/**
 * The overview: open incidents by severity and tenant, SLA clocks close to breach, ingest health per
 * tenant and receiver (events/s from two readings of the server's counters, last event seen, errors),
 * and the top rules and ATT&CK tactics of the last seven days.
 */
import { useEffect, useMemo, useRef } from 'react';
import { Anchor, Badge, Card, Group, SimpleGrid, Stack, Table, Text, Title } from '@mantine/core';
import { useQueries } from '@tanstack/react-query';
import * as echarts from 'echarts/core';
import { BarChart } from 'echarts/charts';
import { GridComponent, LegendComponent, TooltipComponent } from 'echarts/components';
import { CanvasRenderer } from 'echarts/renderers';
import { api } from '../api/client.ts';
import { LEVELS } from '../api/types.ts';
import { useIncidentList } from '../lib/incidents.ts';
import { isOpen } from '../lib/queue.ts';
import { incidentPath, Link } from '../lib/router.tsx';
import { isProvider, scopeTenants, tenantName, useSession } from '../lib/session.tsx';
import { ago, duration } from '../lib/format.ts';
import { clocksNearBreach } from '../lib/board.ts';
import { tacticIndex, tacticLabel } from '../lib/attack.ts';
import { severityBand } from '../lib/overview.ts';
import { QUIET_MS, useIngestHealth } from '../lib/health.ts';
import { LEVEL_COLOR } from '../theme.ts';
import { PageTitle } from '../components/PageTitle.tsx';

echarts.use([BarChart, GridComponent, LegendComponent, TooltipComponent, CanvasRenderer]);

const WEEK = 7 * 86_400_000;
const BAND_COLOR: Readonly<Record<string, string>> = {
  critical: '#fa5252',
  high: '#fd7e14',
  medium: '#fab005',
  low: '#12b886',
  informational: '#868e96',
};

function Chart({
  option,
  height,
  label,
}: {
  option: echarts.EChartsCoreOption;
  height: number;
  label: string;
}) {
  const el = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!el.current) return;
    const chart = echarts.init(el.current, 'dark', { renderer: 'canvas' });
    chart.setOption({ backgroundColor: 'transparent', ...option });
    const resize = (): void => {
      chart.resize();
    };
    window.addEventListener('resize', resize);
    return () => {
      window.removeEventListener('resize', resize);
      chart.dispose();
    };
  }, [option]);
  return <div ref={el} style={{ height, width: '100%' }} role="img" aria-label={label} />;
}

function Stat({
  label,
  value,
  color,
}: {
  label: string;
  value: number | string;
  color?: string | undefined;
}) {
  return (
    <Card withBorder padding="sm">
      <Text size="xs" c="dimmed" tt="uppercase" fw={700}>
        {label}
      </Text>
      <Text size="28px" fw={700} {...(color ? { c: color } : {})}>
        {value}
      </Text>
    </Card>
  );
}

export default function OverviewPage() {
  const session = useSession();
  const tenants = scopeTenants(session);
  const list = useIncidentList(session.scope);
  const now = Date.now();
  const open = useMemo(() => list.incidents.filter((i) => isOpen(i.status)), [list.incidents]);

  const byTenant = useMemo(() => {
    const ids = [...new Set(open.map((i) => i.tenant))].sort();
    const bands = [...LEVELS].reverse();
    return {
      option: {
        tooltip: { trigger: 'axis' },
        legend: { top: 0, textStyle: { color: '#c1c2c5' } },
        grid: { left: 130, right: 16, top: 36, bottom: 24 },
        xAxis: { type: 'value', minInterval: 1 },
        yAxis: { type: 'category', data: ids.map((t) => tenantName(session, t)) },
        series: bands.map((b) => ({
          name: b,
          type: 'bar',
          stack: 'open',
          itemStyle: { color: BAND_COLOR[b] },
          data: ids.map((t) => open.filter((i) => i.tenant === t && severityBand(i) === b).length),
        })),
      },
      count: ids.length,
    };
  }, [open, session]);

  const near = useMemo(() => clocksNearBreach(open, now), [open, now]);
  const slaSoon = near.slice(0, 12);

  const tactics = useMemo(() => {
    const m = new Map<string, number>();
    for (const i of list.incidents) {
      if (Date.parse(i.last_ts) < now - WEEK) continue;
      for (const t of i.tactics) m.set(t, (m.get(t) ?? 0) + 1);
    }
    return [...m].sort((a, b) => tacticIndex(a[0]) - tacticIndex(b[0]));
  }, [list.incidents, now]);

  const since = useMemo(() => new Date(Date.now() - WEEK).toISOString(), []);
  const alerts = useQueries({
    queries: tenants.map((t) => ({
      queryKey: ['alerts-week', t.id, since],
      queryFn: () => api.alerts({ tenant: t.id, limit: 1000, from: since }),
      staleTime: 60_000,
    })),
    combine: (rs) => rs.flatMap((r) => r.data?.alerts ?? []),
  });
  const topRules = useMemo(() => {
    const m = new Map<string, { title: string; n: number; level: string }>();
    for (const a of alerts) {
      const e = m.get(a.rule.id) ?? { title: a.rule.title, n: 0, level: a.level };
      e.n++;
      m.set(a.rule.id, e);
    }
    return [...m.values()].sort((a, b) => b.n - a.n).slice(0, 10);
  }, [alerts]);

  const breaches = near.filter((s) => s.overdue).length;
  return (
    <Stack gap="md">
      <PageTitle>Overview</PageTitle>
      <SimpleGrid cols={{ base: 2, md: 4 }}>
        <Stat label="Open incidents" value={open.length} />
        <Stat
          label="Critical / high open"
          value={open.filter((i) => ['critical', 'high'].includes(severityBand(i))).length}
          color="red"
        />
        <Stat
          label="Unassigned open"
          value={open.filter((i) => !i.assignee).length}
          color="yellow"
        />
        <Stat label="SLA breaches" value={breaches} color={breaches > 0 ? 'red' : undefined} />
      </SimpleGrid>
      <div className="vg-layout vg-ov">
        <div className="vg-ov-chart">
          <Card withBorder padding="sm" h="100%">
            <Title order={2} size="h4">
              Open incidents by tenant and severity
            </Title>
            <Chart
              option={byTenant.option}
              height={Math.max(160, 60 + byTenant.count * 34)}
              label="Open incidents by tenant and severity"
            />
          </Card>
        </div>
        <div className="vg-ov-sla">
          <Card withBorder padding="sm" h="100%">
            <Title order={2} size="h4" mb="xs">
              SLA clocks close to breach
            </Title>
            {slaSoon.length === 0 ? (
              <Text size="sm" c="dimmed">
                {open.some((i) => i.sla)
                  ? 'None close to breach.'
                  : 'No SLA clocks on open incidents.'}
              </Text>
            ) : (
              <Table fz="sm" verticalSpacing={3}>
                <Table.Tbody>
                  {slaSoon.map((s) => (
                    <Table.Tr key={`${s.incident.id}-${s.clock}`}>
                      <Table.Td>
                        <Badge size="xs" color={s.overdue ? 'red' : 'orange'} variant="light">
                          {s.clock} {s.overdue ? 'breached' : `${duration(s.left)} left`}
                        </Badge>
                      </Table.Td>
                      <Table.Td>
                        <Anchor
                          component={Link}
                          to={incidentPath(s.incident.tenant, s.incident.id)}
                          size="sm"
                        >
                          {s.incident.title}
                        </Anchor>
                      </Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            )}
          </Card>
        </div>
        <div className="vg-ov-ingest">
          <IngestHealth />
        </div>
        <div className="vg-ov-half">
          <Card withBorder padding="sm" h="100%">
            <Title order={2} size="h4" mb="xs">
              Top rules, last 7 days
            </Title>
            <Table fz="sm" verticalSpacing={3}>
              <Table.Tbody>
                {topRules.map((r) => (
                  <Table.Tr key={r.title}>
                    <Table.Td>{r.title}</Table.Td>
                    <Table.Td w={90}>
                      <Badge
                        size="xs"
                        variant="light"
                        color={LEVEL_COLOR[r.level as keyof typeof LEVEL_COLOR]}
                      >
                        {r.level}
                      </Badge>
                    </Table.Td>
                    <Table.Td w={60} ta="right">
                      {r.n}
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
            {topRules.length === 0 && (
              <Text size="sm" c="dimmed">
                No alerts in the last 7 days.
              </Text>
            )}
          </Card>
        </div>
        <div className="vg-ov-half">
          <Card withBorder padding="sm" h="100%">
            <Title order={2} size="h4" mb="xs">
              ATT&CK tactics reached, last 7 days
            </Title>
            <Chart
              label="Incidents per ATT&CK tactic in the last seven days"
              height={Math.max(140, 40 + tactics.length * 24)}
              option={{
                tooltip: {},
                grid: { left: 150, right: 16, top: 8, bottom: 24 },
                xAxis: { type: 'value', minInterval: 1 },
                yAxis: {
                  type: 'category',
                  inverse: true,
                  data: tactics.map(([t]) => tacticLabel(t)),
                },
                series: [
                  { type: 'bar', data: tactics.map(([, n]) => n), itemStyle: { color: '#fa5252' } },
                ],
              }}
            />
          </Card>
        </div>
      </div>
    </Stack>
  );
}

/** Events per tenant and receiver from /metrics (provider users), and each tenant's newest event. */
function IngestHealth() {
  const session = useSession();
  const provider = isProvider(session.me.user.role);
  const tenants = scopeTenants(session);
  const { newest, rates: rows } = useIngestHealth(tenants, provider);
  return (
    <Card withBorder padding="sm" h="100%" component="section" aria-labelledby="ov-ingest">
      <Title order={2} size="h4" mb="xs" id="ov-ingest">
        Ingest health
      </Title>
      <Group align="flex-start" grow>
        <Table fz="sm" verticalSpacing={3} aria-label="Last event per tenant">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Tenant</Table.Th>
              <Table.Th>Last event received</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {newest.map((n) => {
              const at = n.event ? Date.parse(n.event.received_at) : NaN;
              const stale = !Number.isFinite(at) || Date.now() - at > QUIET_MS;
              return (
                <Table.Tr key={n.tenant}>
                  <Table.Td>{tenantName(session, n.tenant)}</Table.Td>
                  <Table.Td>
                    <Text size="sm" {...(stale ? { c: 'orange.4' } : {})}>
                      {n.event
                        ? `${ago(at)} (${n.event.host ?? '—'}, ${n.event.receiver})`
                        : 'never'}
                    </Text>
                  </Table.Td>
                </Table.Tr>
              );
            })}
          </Table.Tbody>
        </Table>
        {provider && (
          <Table fz="sm" verticalSpacing={3} aria-label="Events per tenant and receiver">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Tenant</Table.Th>
                <Table.Th>Receiver</Table.Th>
                <Table.Th ta="right">Events</Table.Th>
                <Table.Th ta="right">Events/s</Table.Th>
                <Table.Th ta="right">Errors</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {rows.map((r) => (
                <Table.Tr key={`${r.tenant}/${r.receiver}`}>
                  <Table.Td>{tenantName(session, r.tenant)}</Table.Td>
                  <Table.Td>{r.receiver}</Table.Td>
                  <Table.Td ta="right">{r.total}</Table.Td>
                  <Table.Td ta="right">{r.rate === undefined ? '…' : r.rate.toFixed(1)}</Table.Td>
                  <Table.Td ta="right" {...(r.errors > 0 ? { c: 'red.4' } : {})}>
                    {r.errors}
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        )}
      </Group>
    </Card>
  );
}
