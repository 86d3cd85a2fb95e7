/**
 * Rules of a tenant: the ATT&CK matrix of its enabled rules, the rule list with enable / disable,
 * uploading a Sigma rule with its problems shown at their line, and the tenant's exceptions.
 */
import { useMemo, useState } from 'react';
import {
  Alert as Callout,
  Badge,
  Button,
  Card,
  Group,
  Pagination,
  ScrollArea,
  SimpleGrid,
  Stack,
  Switch,
  Table,
  Tabs,
  Text,
  Textarea,
  TextInput,
  Tooltip,
} from '@mantine/core';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { notifications } from '@mantine/notifications';
import { api, ApiError } from '../api/client.ts';
import type { RuleIssue, RuleListing } from '../api/types.ts';
import { KILL_CHAIN, tacticLabel } from '../lib/attack.ts';
import { canManage, useSession } from '../lib/session.tsx';
import { ruleMatrix } from '../lib/matrix.ts';
import { utc } from '../lib/format.ts';
import { LEVEL_COLOR } from '../theme.ts';
import { TenantSelect } from '../components/TenantSelect.tsx';
import { PageTitle } from '../components/PageTitle.tsx';

const PAGE = 100;

export default function RulesPage() {
  const session = useSession();
  const [tenant, setTenant] = useState(session.scope ?? session.me.tenants[0]?.id ?? '');
  const manage = canManage(session.me.user.role);
  const rules = useQuery({
    queryKey: ['rules', tenant],
    queryFn: () => api.rules(tenant),
    enabled: tenant !== '',
  });
  return (
    <Stack gap="sm">
      <Group justify="space-between">
        <PageTitle>Rules</PageTitle>
        <TenantSelect value={tenant} onChange={setTenant} />
      </Group>
      {tenant === '' ? (
        <Text c="dimmed">No tenant to show.</Text>
      ) : (
        <Tabs defaultValue="matrix" keepMounted={false}>
          <Tabs.List>
            <Tabs.Tab value="matrix">ATT&CK coverage</Tabs.Tab>
            <Tabs.Tab value="list">Rules ({rules.data?.rules.length ?? '…'})</Tabs.Tab>
            {manage && <Tabs.Tab value="upload">Upload</Tabs.Tab>}
            <Tabs.Tab value="exceptions">Exceptions</Tabs.Tab>
          </Tabs.List>
          {rules.isError && <Callout color="red">{rules.error.message}</Callout>}
          <Tabs.Panel value="matrix" pt="sm">
            <Matrix rules={rules.data?.rules ?? []} />
          </Tabs.Panel>
          <Tabs.Panel value="list" pt="sm">
            <RuleList tenant={tenant} rules={rules.data?.rules ?? []} manage={manage} />
          </Tabs.Panel>
          {manage && (
            <Tabs.Panel value="upload" pt="sm">
              <Upload tenant={tenant} />
            </Tabs.Panel>
          )}
          <Tabs.Panel value="exceptions" pt="sm">
            <Exceptions tenant={tenant} manage={manage} />
          </Tabs.Panel>
        </Tabs>
      )}
    </Stack>
  );
}

function Matrix({ rules }: { rules: readonly RuleListing[] }) {
  const m = useMemo(() => ruleMatrix(rules.filter((r) => r.enabled)), [rules]);
  return (
    <ScrollArea
      viewportProps={{
        tabIndex: 0,
        role: 'region',
        'aria-label': 'ATT&CK matrix of enabled rules',
      }}
    >
      <Group align="flex-start" gap={6} wrap="nowrap">
        {KILL_CHAIN.map((t) => {
          const cells = m.get(t) ?? [];
          return (
            <Card key={t} withBorder padding={6} w={150} style={{ flex: 'none' }}>
              <Text size="xs" fw={700}>
                {tacticLabel(t)}
              </Text>
              <Text size="10px" c="dimmed" mb={4}>
                {cells.length} techniques
              </Text>
              <Stack gap={2}>
                {cells.slice(0, 40).map((c) => (
                  <Tooltip
                    key={c.technique}
                    label={c.titles.slice(0, 8).join('\n')}
                    multiline
                    w={300}
                  >
                    <Group
                      gap={4}
                      justify="space-between"
                      wrap="nowrap"
                      px={4}
                      style={{
                        borderRadius: 3,
                        background: `rgba(77, 171, 247, ${Math.min(0.15 + c.rules / 20, 0.8)})`,
                      }}
                    >
                      <Text size="10px" className="vg-mono">
                        {c.technique}
                      </Text>
                      <Text size="10px">{c.rules}</Text>
                    </Group>
                  </Tooltip>
                ))}
                {cells.length > 40 && <Text size="10px">+{cells.length - 40}</Text>}
              </Stack>
            </Card>
          );
        })}
      </Group>
    </ScrollArea>
  );
}

function RuleList({
  tenant,
  rules,
  manage,
}: {
  tenant: string;
  rules: readonly RuleListing[];
  manage: boolean;
}) {
  const client = useQueryClient();
  const [text, setText] = useState('');
  const [page, setPage] = useState(1);
  const shown = useMemo(() => {
    const t = text.toLowerCase();
    return t === ''
      ? rules
      : rules.filter(
          (r) =>
            r.title.toLowerCase().includes(t) ||
            r.id.toLowerCase().includes(t) ||
            (r.tags ?? []).some((x) => x.toLowerCase().includes(t)),
        );
  }, [rules, text]);
  const toggle = async (r: RuleListing, enabled: boolean): Promise<void> => {
    try {
      await api.setRule(tenant, r.id, enabled);
      await client.invalidateQueries({ queryKey: ['rules', tenant] });
    } catch (e) {
      notifications.show({ color: 'red', message: (e as Error).message });
    }
  };
  return (
    <Stack gap="xs">
      <TextInput
        size="xs"
        w={300}
        placeholder="Filter by title, id or tag"
        aria-label="Filter rules"
        value={text}
        onChange={(e) => {
          setText(e.currentTarget.value);
          setPage(1);
        }}
      />
      <Table fz="sm" verticalSpacing={3} striped>
        <Table.Thead>
          <Table.Tr>
            <Table.Th w={70}>Enabled</Table.Th>
            <Table.Th>Title</Table.Th>
            <Table.Th w={90}>Level</Table.Th>
            <Table.Th>Rule set</Table.Th>
            <Table.Th>Logsource</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {shown.slice((page - 1) * PAGE, page * PAGE).map((r) => (
            <Table.Tr key={r.id}>
              <Table.Td>
                <Switch
                  size="xs"
                  checked={r.enabled}
                  disabled={!manage}
                  aria-label={`${r.enabled ? 'Disable' : 'Enable'} ${r.title}`}
                  onChange={(e) => void toggle(r, e.currentTarget.checked)}
                />
              </Table.Td>
              <Table.Td>
                <Text size="sm">{r.title}</Text>
                <Text size="10px" c="dimmed" className="vg-mono">
                  {r.id}
                </Text>
              </Table.Td>
              <Table.Td>
                {r.level && (
                  <Badge size="xs" color={LEVEL_COLOR[r.level]} variant="light">
                    {r.level}
                  </Badge>
                )}
              </Table.Td>
              <Table.Td>
                {r.ruleset}{' '}
                <Text span size="xs" c="dimmed">
                  ({r.kind})
                </Text>
              </Table.Td>
              <Table.Td className="vg-mono" fz="xs">
                {r.logsource ? Object.values(r.logsource).join(' / ') : ''}
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
      {shown.length > PAGE && (
        <Pagination
          total={Math.ceil(shown.length / PAGE)}
          value={page}
          onChange={setPage}
          size="sm"
        />
      )}
    </Stack>
  );
}

function Upload({ tenant }: { tenant: string }) {
  const client = useQueryClient();
  const [yaml, setYaml] = useState('');
  const [issues, setIssues] = useState<readonly RuleIssue[]>([]);
  const [result, setResult] = useState<string>();
  const [busy, setBusy] = useState(false);
  const lines = yaml.split('\n');
  const bad = new Map<number, RuleIssue[]>();
  for (const i of issues)
    if (i.line !== undefined) bad.set(i.line, [...(bad.get(i.line) ?? []), i]);
  const send = async (dryRun: boolean): Promise<void> => {
    setBusy(true);
    setResult(undefined);
    try {
      const r = await api.uploadRule(tenant, yaml, dryRun);
      setIssues(r.issues);
      setResult(
        `${dryRun ? 'Valid' : 'Stored'}: ${r.rules.map((x) => x.title).join(', ')}${r.issues.length > 0 ? ` (${r.issues.length} warning(s))` : ''}`,
      );
      if (!dryRun) await client.invalidateQueries({ queryKey: ['rules', tenant] });
    } catch (e) {
      if (e instanceof ApiError) {
        setIssues(e.issues);
        setResult(e.message);
      } else setResult((e as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <SimpleGrid cols={{ base: 1, lg: 2 }}>
      <Stack gap="xs">
        <Textarea
          label="Sigma rule (YAML)"
          autosize
          minRows={16}
          maxRows={32}
          styles={{ input: { fontFamily: 'var(--mantine-font-family-monospace)', fontSize: 12 } }}
          value={yaml}
          onChange={(e) => {
            setYaml(e.currentTarget.value);
            setIssues([]);
          }}
        />
        <Group>
          <Button
            size="xs"
            variant="light"
            loading={busy}
            onClick={() => void send(true)}
            disabled={yaml.trim() === ''}
          >
            Validate
          </Button>
          <Button
            size="xs"
            loading={busy}
            onClick={() => void send(false)}
            disabled={yaml.trim() === ''}
          >
            Upload
          </Button>
        </Group>
        {result && (
          <Callout color={issues.some((i) => i.severity === 'error') ? 'red' : 'green'} py={6}>
            {result}
          </Callout>
        )}
      </Stack>
      <Card withBorder padding="xs">
        <Text size="xs" fw={700} c="dimmed" tt="uppercase" mb={4}>
          Problems by line
        </Text>
        <ScrollArea.Autosize mah={520}>
          <pre className="vg-mono" style={{ margin: 0 }} aria-label="Rule with problems">
            {lines.map((l, i) => {
              const here = bad.get(i + 1);
              return (
                <div key={i} style={here ? { background: 'rgba(250,82,82,0.18)' } : undefined}>
                  <span style={{ color: '#5c5f66', display: 'inline-block', width: 36 }}>
                    {i + 1}
                  </span>
                  {l}
                  {here?.map((x, j) => (
                    <div
                      key={j}
                      style={{
                        color: x.severity === 'error' ? '#ff8787' : '#ffd43b',
                        paddingLeft: 36,
                      }}
                    >
                      {`${' '.repeat(Math.max(0, (x.col ?? 1) - 1))}^ ${x.code}: ${x.message}`}
                    </div>
                  ))}
                </div>
              );
            })}
          </pre>
          {issues
            .filter((i) => i.line === undefined)
            .map((x, j) => (
              <Text key={j} size="xs" c={x.severity === 'error' ? 'red' : 'yellow'}>
                {x.code}: {x.message}
              </Text>
            ))}
        </ScrollArea.Autosize>
      </Card>
    </SimpleGrid>
  );
}

function Exceptions({ tenant, manage }: { tenant: string; manage: boolean }) {
  const client = useQueryClient();
  const q = useQuery({ queryKey: ['exceptions', tenant], queryFn: () => api.exceptions(tenant) });
  const remove = async (id: string): Promise<void> => {
    try {
      await api.deleteException(tenant, id);
      await client.invalidateQueries({ queryKey: ['exceptions', tenant] });
    } catch (e) {
      notifications.show({ color: 'red', message: (e as Error).message });
    }
  };
  if (q.isError) return <Callout color="red">{q.error.message}</Callout>;
  const rows = q.data?.exceptions ?? [];
  return (
    <Table fz="sm" verticalSpacing={4} striped data-testid="exceptions">
      <Table.Thead>
        <Table.Tr>
          <Table.Th>Rule</Table.Th>
          <Table.Th>Conditions</Table.Th>
          <Table.Th>Reason</Table.Th>
          <Table.Th>Author</Table.Th>
          <Table.Th>Expires</Table.Th>
          <Table.Th>Hits</Table.Th>
          {manage && (
            <Table.Th>
              <span className="vg-sr-only">Actions</span>
            </Table.Th>
          )}
        </Table.Tr>
      </Table.Thead>
      <Table.Tbody>
        {rows.length === 0 && (
          <Table.Tr>
            <Table.Td colSpan={7}>
              <Text size="sm" c="dimmed">
                No exceptions.
              </Text>
            </Table.Td>
          </Table.Tr>
        )}
        {rows.map((x) => (
          <Table.Tr key={x.id}>
            <Table.Td className="vg-mono" fz="xs">
              {x.rule_id ?? 'any rule'}
            </Table.Td>
            <Table.Td className="vg-mono" fz="xs">
              {x.conditions.map((c) => `${c.field} ${c.op} ${c.value}`).join(' AND ')}
            </Table.Td>
            <Table.Td>{x.reason}</Table.Td>
            <Table.Td>{x.author}</Table.Td>
            <Table.Td>{x.expires_at ? utc(x.expires_at) : 'never'}</Table.Td>
            <Table.Td>
              {x.hits}
              {x.last_hit_at ? ` (last ${utc(x.last_hit_at)})` : ''}
            </Table.Td>
            {manage && (
              <Table.Td>
                <Button
                  size="compact-xs"
                  variant="subtle"
                  color="red"
                  onClick={() => void remove(x.id)}
                >
                  Delete
                </Button>
              </Table.Td>
            )}
          </Table.Tr>
        ))}
      </Table.Tbody>
    </Table>
  );
}
