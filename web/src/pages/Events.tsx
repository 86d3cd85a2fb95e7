/**
 * Event search: a tenant's events by time range, host, user, field filters (`name:value`) and free
 * text, newest first; the results table has a column chooser and exports what it shows as CSV.
 */
import { Fragment, useMemo, useState } from 'react';
import {
  Alert as Callout,
  Button,
  Card,
  Code,
  Group,
  Loader,
  MultiSelect,
  ScrollArea,
  Select,
  Stack,
  Table,
  TagsInput,
  Text,
  TextInput,
} from '@mantine/core';
import { useInfiniteQuery } from '@tanstack/react-query';
import { api } from '../api/client.ts';
import type { FieldValue, StoredEvent } from '../api/types.ts';
import { navigate, useLocation } from '../lib/router.tsx';
import { isProvider, useSession } from '../lib/session.tsx';
import { toCsv } from '../lib/csv.ts';
import { utc } from '../lib/format.ts';
import { PageTitle } from '../components/PageTitle.tsx';

const DEFAULT_COLUMNS = ['EventID', 'Image', 'CommandLine', 'TargetUserName', 'IpAddress'];

interface Search {
  tenant: string;
  from: string;
  to: string;
  host: string;
  user: string;
  q: string;
  field: string[];
}

function cell(v: FieldValue | undefined): string {
  if (v === undefined || v === null) return '';
  return typeof v === 'object' ? JSON.stringify(v) : String(v);
}

export default function EventsPage() {
  const session = useSession();
  const { search } = useLocation();
  const provider = isProvider(session.me.user.role);
  const initial: Search = {
    tenant: search.get('tenant') ?? session.scope ?? session.me.tenants[0]?.id ?? '',
    from: search.get('from') ?? '',
    to: search.get('to') ?? '',
    host: search.get('host') ?? '',
    user: search.get('user') ?? '',
    q: search.get('q') ?? '',
    field: search.getAll('field'),
  };
  const [form, setForm] = useState<Search>(initial);
  const [run, setRun] = useState<Search>(initial);
  const [columns, setColumns] = useState<string[]>(DEFAULT_COLUMNS);
  const [open, setOpen] = useState<string>();

  const q = useInfiniteQuery({
    queryKey: ['events', run],
    enabled: run.tenant !== '',
    initialPageParam: undefined as string | undefined,
    queryFn: ({ pageParam }) =>
      api.events({
        tenant: run.tenant,
        ...(run.from ? { from: run.from } : {}),
        ...(run.to ? { to: run.to } : {}),
        ...(run.host ? { host: run.host } : {}),
        ...(run.user ? { user: run.user } : {}),
        ...(run.q ? { q: run.q } : {}),
        field: run.field,
        limit: 200,
        ...(pageParam === undefined ? {} : { cursor: pageParam }),
      }),
    getNextPageParam: (last) => last.next ?? undefined,
  });
  const events = useMemo(() => q.data?.pages.flatMap((p) => p.events) ?? [], [q.data]);
  const known = useMemo(() => {
    const s = new Set<string>(columns);
    for (const e of events.slice(0, 500)) for (const k of Object.keys(e.fields)) s.add(k);
    return [...s].sort();
  }, [events, columns]);

  const submit = (): void => {
    setRun(form);
    const p = new URLSearchParams();
    for (const [k, v] of Object.entries(form) as [string, string | string[]][]) {
      if (Array.isArray(v)) for (const x of v) p.append(k, x);
      else if (v) p.set(k, v);
    }
    navigate(`/events?${p.toString()}`, { replace: true });
  };

  const exportCsv = (): void => {
    const header = ['ts', 'host', 'user', ...columns];
    const rows = events.map((e: StoredEvent) => [
      e.ts ?? '',
      e.host ?? '',
      e.user ?? '',
      ...columns.map((c) => cell(e.fields[c])),
    ]);
    const blob = new Blob([toCsv([header, ...rows])], { type: 'text/csv;charset=utf-8' });
    const url = URL.createObjectURL(blob);
    const a = document.createElement('a');
    a.href = url;
    a.download = `vigil-events-${run.tenant}.csv`;
    a.click();
    URL.revokeObjectURL(url);
  };

  return (
    <Stack gap="sm">
      <PageTitle>Event search</PageTitle>
      <Card withBorder padding="sm">
        <form
          onSubmit={(e) => {
            e.preventDefault();
            submit();
          }}
          role="search"
        >
          <Group gap="xs" align="flex-end" wrap="wrap">
            {provider && (
              <Select
                label="Tenant"
                size="xs"
                w={170}
                value={form.tenant || null}
                allowDeselect={false}
                data={session.me.tenants.map((t) => ({ value: t.id, label: t.name }))}
                onChange={(v) => {
                  setForm({ ...form, tenant: v ?? '' });
                }}
              />
            )}
            <TextInput
              label="From"
              size="xs"
              w={190}
              placeholder="2026-11-17T09:00Z"
              value={form.from}
              onChange={(e) => {
                setForm({ ...form, from: e.currentTarget.value });
              }}
            />
            <TextInput
              label="To"
              size="xs"
              w={190}
              placeholder="ISO 8601 or epoch ms"
              value={form.to}
              onChange={(e) => {
                setForm({ ...form, to: e.currentTarget.value });
              }}
            />
            <TextInput
              label="Host"
              size="xs"
              w={150}
              value={form.host}
              onChange={(e) => {
                setForm({ ...form, host: e.currentTarget.value });
              }}
            />
            <TextInput
              label="User"
              size="xs"
              w={130}
              value={form.user}
              onChange={(e) => {
                setForm({ ...form, user: e.currentTarget.value });
              }}
            />
            <TagsInput
              label="Field filters"
              size="xs"
              w={260}
              placeholder="EventID:4624"
              value={form.field}
              onChange={(v) => {
                setForm({ ...form, field: v });
              }}
            />
            <TextInput
              label="Text"
              size="xs"
              w={200}
              placeholder="anywhere in the event"
              value={form.q}
              onChange={(e) => {
                setForm({ ...form, q: e.currentTarget.value });
              }}
            />
            <Button type="submit" size="xs">
              Search
            </Button>
          </Group>
        </form>
      </Card>
      <Group justify="space-between">
        <MultiSelect
          size="xs"
          w={520}
          label="Columns"
          searchable
          data={known}
          value={columns}
          onChange={setColumns}
        />
        <Group gap="xs">
          <Text size="sm" c="dimmed">
            {events.length} events{q.hasNextPage ? ' (more available)' : ''}
          </Text>
          <Button size="xs" variant="light" onClick={exportCsv} disabled={events.length === 0}>
            Export CSV
          </Button>
        </Group>
      </Group>
      {q.isError && <Callout color="red">{q.error.message}</Callout>}
      {q.isFetching && events.length === 0 && <Loader size="sm" />}
      <ScrollArea>
        <Table fz="xs" striped highlightOnHover verticalSpacing={3} data-testid="event-results">
          <Table.Thead>
            <Table.Tr>
              <Table.Th w={170}>Time (UTC)</Table.Th>
              <Table.Th>Host</Table.Th>
              <Table.Th>User</Table.Th>
              {columns.map((c) => (
                <Table.Th key={c}>{c}</Table.Th>
              ))}
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {events.map((e) => (
              <Fragment key={e.id}>
                <Table.Tr
                  style={{ cursor: 'pointer' }}
                  onClick={() => {
                    setOpen(open === e.id ? undefined : e.id);
                  }}
                >
                  <Table.Td className="vg-mono">{utc(e.ts)}</Table.Td>
                  <Table.Td>{e.host ?? ''}</Table.Td>
                  <Table.Td>{e.user ?? ''}</Table.Td>
                  {columns.map((c) => (
                    <Table.Td
                      key={c}
                      className="vg-mono"
                      style={{
                        maxWidth: 360,
                        overflow: 'hidden',
                        textOverflow: 'ellipsis',
                        whiteSpace: 'nowrap',
                      }}
                      title={cell(e.fields[c])}
                    >
                      {cell(e.fields[c])}
                    </Table.Td>
                  ))}
                </Table.Tr>
                {open === e.id && (
                  <Table.Tr>
                    <Table.Td colSpan={3 + columns.length}>
                      <Code block fz="xs">
                        {JSON.stringify(e, null, 2)}
                      </Code>
                    </Table.Td>
                  </Table.Tr>
                )}
              </Fragment>
            ))}
          </Table.Tbody>
        </Table>
      </ScrollArea>
      {q.hasNextPage && (
        <Button
          variant="subtle"
          onClick={() => void q.fetchNextPage()}
          loading={q.isFetchingNextPage}
        >
          Load more
        </Button>
      )}
    </Stack>
  );
}
