/**
 * One alert: its rule, the events that made it with the fields the rule matched highlighted, and
 * "create exception from this alert", prefilled from those fields (scope, expiry, reason).
 */
import { useMemo, useState } from 'react';
import {
  Alert as Callout,
  Anchor,
  Badge,
  Breadcrumbs,
  Button,
  Card,
  Center,
  Checkbox,
  Code,
  Group,
  Loader,
  Modal,
  SegmentedControl,
  Select,
  Stack,
  Table,
  Text,
  Textarea,
  TextInput,
  Title,
} from '@mantine/core';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { notifications } from '@mantine/notifications';
import { api, ApiError } from '../api/client.ts';
import type { AlertWithEvents, FieldValue, StoredEvent } from '../api/types.ts';
import { NotFound } from '../components/NotFound.tsx';
import { Link } from '../lib/router.tsx';
import { canManage, isProvider, tenantName, useSession } from '../lib/session.tsx';
import { exceptionDraft, type DraftCondition } from '../lib/exception.ts';
import { utc } from '../lib/format.ts';
import { LEVEL_COLOR } from '../theme.ts';
import { PageTitle } from '../components/PageTitle.tsx';

export default function AlertPage({ tenant, id }: { tenant: string; id: string }) {
  const q = useQuery({
    queryKey: ['alert', tenant, id],
    queryFn: () => api.alert(tenant, id),
    retry: (n, e) => !(e instanceof ApiError && e.status < 500) && n < 1,
  });
  if (q.isPending)
    return (
      <Center p="xl">
        <Loader aria-label="Loading alert" />
      </Center>
    );
  if (q.isError) {
    if (q.error instanceof ApiError && q.error.status === 404)
      return <NotFound what={`No alert ${id} in tenant ${tenant} that you may see.`} />;
    return <Callout color="red">{q.error.message}</Callout>;
  }
  return <AlertView alert={q.data} />;
}

function show(v: FieldValue | undefined): string {
  if (v === undefined) return '';
  if (v === null) return 'null';
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

function AlertView({ alert: a }: { alert: AlertWithEvents }) {
  const session = useSession();
  const manage = canManage(session.me.user.role);
  const [excOpen, setExcOpen] = useState(false);
  const matched = useMemo(
    () => new Set(Array.isArray(a.matched) ? [] : Object.keys(a.matched)),
    [a.matched],
  );
  return (
    <Stack gap="md">
      <Breadcrumbs>
        <Anchor component={Link} to="/incidents" size="sm">
          Incidents
        </Anchor>
        <Text size="sm">{tenantName(session, a.tenant)}</Text>
        <Text size="sm" c="dimmed">
          alert <span className="vg-mono">{a.id}</span>
        </Text>
      </Breadcrumbs>
      <Group justify="space-between" align="flex-start">
        <div>
          <PageTitle data-testid="alert-title" tab={a.rule.title}>
            {a.rule.title}
          </PageTitle>
          <Group gap="xs" mt={4}>
            <Badge color={LEVEL_COLOR[a.level]} variant="light">
              {a.level}
            </Badge>
            <Badge variant="outline">{a.status}</Badge>
            <Text size="sm" c="dimmed">
              {utc(a.ts)} · host {a.host ?? '—'} · user {a.user ?? '—'}
            </Text>
          </Group>
        </div>
        {manage && (
          <Button
            onClick={() => {
              setExcOpen(true);
            }}
            variant="light"
            color="yellow"
          >
            Create exception from this alert
          </Button>
        )}
      </Group>
      <RuleCard alert={a} />
      <Card withBorder padding="sm" component="section" aria-label="Events">
        <Title order={2} size="h4" mb="xs">
          Events ({a.events.length})
        </Title>
        <Stack gap="md">
          {a.events.map((e) => (
            <EventFields key={e.id} event={e} matched={matched} />
          ))}
        </Stack>
      </Card>
      <ExceptionModal
        alert={a}
        opened={excOpen}
        onClose={() => {
          setExcOpen(false);
        }}
      />
    </Stack>
  );
}

function RuleCard({ alert: a }: { alert: AlertWithEvents }) {
  const session = useSession();
  const rules = useQuery({
    queryKey: ['rules', a.tenant],
    queryFn: () => api.rules(a.tenant),
    staleTime: 60_000,
  });
  const rule = rules.data?.rules.find((r) => r.id === a.rule.id);
  const source = useQuery({
    queryKey: ['rule-source', a.tenant, a.rule.id],
    queryFn: () => api.ruleSource(a.tenant, a.rule.id),
    staleTime: 300_000,
    retry: false,
  });
  return (
    <Card withBorder padding="sm" component="section" aria-label="Rule">
      <Title order={2} size="h4" mb="xs">
        Rule
      </Title>
      <Table fz="sm" verticalSpacing={3} withRowBorders={false}>
        <Table.Tbody>
          <Table.Tr>
            <Table.Td c="dimmed" w={120}>
              id
            </Table.Td>
            <Table.Td className="vg-mono">{a.rule.id}</Table.Td>
          </Table.Tr>
          {(rule?.status ?? a.rule.status) && (
            <Table.Tr>
              <Table.Td c="dimmed">status</Table.Td>
              <Table.Td>{rule?.status ?? a.rule.status}</Table.Td>
            </Table.Tr>
          )}
          <Table.Tr>
            <Table.Td c="dimmed">tags</Table.Td>
            <Table.Td>
              <Group gap={4}>
                {(a.rule.tags ?? rule?.tags ?? []).map((t) => (
                  <Badge key={t} size="xs" variant="default" tt="none">
                    {t}
                  </Badge>
                ))}
              </Group>
            </Table.Td>
          </Table.Tr>
          {rule?.logsource && (
            <Table.Tr>
              <Table.Td c="dimmed">logsource</Table.Td>
              <Table.Td className="vg-mono">
                {Object.entries(rule.logsource)
                  .map(([k, v]) => `${k}: ${v}`)
                  .join(', ')}
              </Table.Td>
            </Table.Tr>
          )}
          {rule && (
            <Table.Tr>
              <Table.Td c="dimmed">rule set</Table.Td>
              <Table.Td>
                {rule.ruleset} ({rule.origin}){rule.enabled ? '' : ' — disabled for this tenant'}
              </Table.Td>
            </Table.Tr>
          )}
          {isProvider(session.me.user.role) && (rule?.file ?? a.rule.file) && (
            <Table.Tr>
              <Table.Td c="dimmed">file</Table.Td>
              <Table.Td className="vg-mono">{rule?.file ?? a.rule.file}</Table.Td>
            </Table.Tr>
          )}
        </Table.Tbody>
      </Table>
      {source.data && (
        <details>
          <summary>Sigma source</summary>
          <pre
            className="vg-mono"
            aria-label="Sigma source"
            style={{ overflowX: 'auto', fontSize: 12 }}
          >
            {source.data.yaml}
          </pre>
        </details>
      )}
    </Card>
  );
}

function EventFields({ event: e, matched }: { event: StoredEvent; matched: ReadonlySet<string> }) {
  const [view, setView] = useState<'fields' | 'json'>('fields');
  const entries = useMemo(() => {
    const all = Object.entries(e.fields);
    const hit = all.filter(([k]) => matched.has(k));
    const rest = all.filter(([k]) => !matched.has(k));
    return [...hit, ...rest];
  }, [e.fields, matched]);
  return (
    <Card padding="xs" withBorder id={e.id} data-testid="event">
      <Group justify="space-between" mb={4}>
        <Text size="xs" c="dimmed">
          {utc(e.ts)} · {e.host ?? '—'} · {Object.values(e.source).join(' / ')} · {e.format} via{' '}
          {e.receiver} · <span className="vg-mono">{e.id}</span>
        </Text>
        <SegmentedControl
          size="xs"
          value={view}
          onChange={(v) => {
            setView(v);
          }}
          data={[
            { value: 'fields', label: 'Fields' },
            { value: 'json', label: 'JSON' },
          ]}
        />
      </Group>
      {view === 'json' ? (
        <Code block fz="xs">
          {JSON.stringify({ fields: e.fields, entities: e.entities }, null, 2)}
        </Code>
      ) : (
        <Table fz="xs" verticalSpacing={2} striped>
          <Table.Tbody>
            {entries.map(([k, v]) => {
              const hit = matched.has(k);
              return (
                <Table.Tr key={k} data-matched={hit || undefined}>
                  <Table.Td w={220} fw={hit ? 700 : undefined} c={hit ? 'yellow' : 'dimmed'}>
                    {k}
                    {hit && (
                      <Text span size="10px" c="yellow" ml={4}>
                        matched
                      </Text>
                    )}
                  </Table.Td>
                  <Table.Td className="vg-mono" style={{ wordBreak: 'break-all' }}>
                    <span className={hit ? 'vg-hl' : undefined}>{show(v)}</span>
                  </Table.Td>
                </Table.Tr>
              );
            })}
          </Table.Tbody>
        </Table>
      )}
    </Card>
  );
}

function ExceptionModal({
  alert: a,
  opened,
  onClose,
}: {
  alert: AlertWithEvents;
  opened: boolean;
  onClose: () => void;
}) {
  const client = useQueryClient();
  const draft = useMemo(() => exceptionDraft(a), [a]);
  const [scope, setScope] = useState<'rule' | 'any'>('rule');
  const [conds, setConds] = useState<DraftCondition[]>(draft.conditions);
  const [expiry, setExpiry] = useState('30');
  const [reason, setReason] = useState('');
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const chosen = conds.filter((c) => c.use);
  return (
    <Modal opened={opened} onClose={onClose} title="Create exception" size="lg">
      <form
        onSubmit={(e) => {
          e.preventDefault();
          setBusy(true);
          setError(undefined);
          const days = Number(expiry);
          api
            .createException(a.tenant, {
              ...(scope === 'rule' ? { rule_id: a.rule.id } : {}),
              reason: reason.trim(),
              ...(days > 0
                ? { expires_at: new Date(Date.now() + days * 86_400_000).toISOString() }
                : {}),
              conditions: chosen.map((c) => ({ field: c.field, op: c.op, value: c.value })),
            })
            .then(async (x) => {
              notifications.show({
                color: 'green',
                title: 'Exception created',
                message: `${x.id}: ${x.conditions.length} condition(s)${x.rule_id ? ` on ${a.rule.title}` : ''}`,
              });
              await client.invalidateQueries({ queryKey: ['exceptions', a.tenant] });
              onClose();
            })
            .catch((err: unknown) => {
              setError((err as Error).message);
            })
            .finally(() => {
              setBusy(false);
            });
        }}
      >
        <Stack gap="sm">
          <SegmentedControl
            value={scope}
            onChange={(v) => {
              setScope(v);
            }}
            data={[
              { value: 'rule', label: `Only this rule` },
              { value: 'any', label: 'Any rule' },
            ]}
            aria-label="Scope"
          />
          <Text size="xs" c="dimmed">
            Hits {scope === 'rule' ? `of “${a.rule.title}”` : 'of any rule'} on events meeting every
            ticked condition are suppressed and counted.
          </Text>
          <Table fz="sm" verticalSpacing={3}>
            <Table.Tbody>
              {conds.map((c, i) => (
                <Table.Tr key={`${c.field}-${i}`}>
                  <Table.Td w={30}>
                    <Checkbox
                      aria-label={`Use ${c.field}`}
                      checked={c.use}
                      onChange={(e) => {
                        const use = e.currentTarget.checked;
                        setConds(conds.map((x, j) => (j === i ? { ...x, use } : x)));
                      }}
                    />
                  </Table.Td>
                  <Table.Td className="vg-mono" w={170}>
                    {c.field}
                  </Table.Td>
                  <Table.Td w={120}>
                    <Select
                      size="xs"
                      aria-label={`Operator for ${c.field}`}
                      value={c.op}
                      allowDeselect={false}
                      data={['equals', 'contains', 'startswith', 'endswith', 'cidr']}
                      onChange={(v) => {
                        setConds(conds.map((x, j) => (j === i ? { ...x, op: v ?? 'equals' } : x)));
                      }}
                    />
                  </Table.Td>
                  <Table.Td>
                    <TextInput
                      size="xs"
                      aria-label={`Value for ${c.field}`}
                      value={c.value}
                      onChange={(e) => {
                        const value = e.currentTarget.value;
                        setConds(conds.map((x, j) => (j === i ? { ...x, value } : x)));
                      }}
                    />
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
          <Group grow>
            <Select
              label="Expires"
              value={expiry}
              allowDeselect={false}
              onChange={(v) => {
                setExpiry(v ?? '30');
              }}
              data={[
                { value: '1', label: 'in 1 day' },
                { value: '7', label: 'in 7 days' },
                { value: '30', label: 'in 30 days' },
                { value: '90', label: 'in 90 days' },
                { value: '0', label: 'never' },
              ]}
            />
          </Group>
          <Textarea
            label="Reason"
            required
            minLength={1}
            placeholder="why these hits are expected (shown in the audit log)"
            value={reason}
            onChange={(e) => {
              setReason(e.currentTarget.value);
            }}
          />
          {scope === 'any' && chosen.length === 0 && (
            <Callout color="red" py={6}>
              An exception for any rule needs at least one condition.
            </Callout>
          )}
          {error && (
            <Callout color="red" py={6} role="alert">
              {error}
            </Callout>
          )}
          <Group justify="flex-end">
            <Button variant="subtle" onClick={onClose}>
              Cancel
            </Button>
            <Button
              type="submit"
              loading={busy}
              disabled={reason.trim() === '' || (scope === 'any' && chosen.length === 0)}
            >
              Create exception
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}
