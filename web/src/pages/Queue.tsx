/**
 * The incident queue: every incident in scope, highest score first, virtualised so that 10,000 rows
 * scroll and filter at once. Keyboard: j/k move, enter opens, a assigns, s sets the status, x selects,
 * / searches. New incidents from polling keep the row under the reader's eye where it was.
 */
import {
  useCallback,
  useDeferredValue,
  useEffect,
  useLayoutEffect,
  useMemo,
  useRef,
  useState,
} from 'react';
import {
  Alert,
  Button,
  Group,
  Loader,
  Paper,
  Select,
  Stack,
  Text,
  TextInput,
  Title,
} from '@mantine/core';
import {
  createColumnHelper,
  flexRender,
  getCoreRowModel,
  useReactTable,
  type ColumnDef,
} from '@tanstack/react-table';
import { useVirtualizer } from '@tanstack/react-virtual';
import { notifications } from '@mantine/notifications';
import { useQueryClient } from '@tanstack/react-query';
import { api } from '../api/client.ts';
import { LEVELS, STATUSES, type IncidentSummary } from '../api/types.ts';
import { AssignDialog, STATUS_LABEL, StatusDialog } from '../components/CaseDialogs.tsx';
import { ScoreExplanation } from '../components/Score.tsx';
import { explain, useIncidentList, useUpdateIncidents } from '../lib/incidents.ts';
import {
  filterFromSearch,
  filterQueue,
  filterToSearch,
  indexQueue,
  moveSelection,
  type QueueFilter,
  type QueueRow,
} from '../lib/queue.ts';
import { incidentPath, navigate, useLocation } from '../lib/router.tsx';
import { canManage, isProvider, scopeTenants, tenantName, useSession } from '../lib/session.tsx';
import { ago, slaState } from '../lib/format.ts';
import { HOST_COLOR, LEVEL_COLOR, scoreColor, STATUS_COLOR } from '../theme.ts';

const ROW_HEIGHT = 44;

const col = createColumnHelper<QueueRow>();

/** True when a key press belongs to a text field, a menu or a dialog rather than to the queue. */
function typing(e: KeyboardEvent): boolean {
  const t = e.target as HTMLElement | null;
  if (!t) return false;
  if (t.closest('[role="dialog"]')) return true;
  const tag = t.tagName;
  return tag === 'INPUT' || tag === 'TEXTAREA' || tag === 'SELECT' || t.isContentEditable;
}

export function QueuePage() {
  const session = useSession();
  const { me } = session;
  const tenants = scopeTenants(session);
  const provider = isProvider(me.user.role);
  const manage = canManage(me.user.role);
  const list = useIncidentList(session.scope);
  const update = useUpdateIncidents();
  const client = useQueryClient();
  const { search } = useLocation();

  const [filter, setFilterState] = useState<QueueFilter>(() => filterFromSearch(search));
  const setFilter = useCallback((f: QueueFilter) => {
    setFilterState(f);
    window.history.replaceState(null, '', `/incidents${filterToSearch(f)}`);
  }, []);
  const deferredFilter = useDeferredValue(filter);

  const indexed = useMemo(() => {
    performance.mark('vigil:queue:index:start');
    const rows = indexQueue(list.incidents);
    performance.mark('vigil:queue:index:end');
    return rows;
  }, [list.incidents]);
  const rows = useMemo(() => {
    performance.mark('vigil:queue:filter:start');
    const out = filterQueue(indexed, deferredFilter, me.user.name);
    performance.mark('vigil:queue:filter:end');
    return out;
  }, [indexed, deferredFilter, me.user.name]);

  const [selectedId, setSelectedId] = useState<string>();
  const [checked, setChecked] = useState<ReadonlySet<string>>(new Set());
  const [dialog, setDialog] = useState<'assign' | 'status'>();
  const selectedIndex = useMemo(
    () => (selectedId === undefined ? -1 : rows.findIndex((r) => r.incident.id === selectedId)),
    [rows, selectedId],
  );
  const selected = selectedIndex >= 0 ? rows[selectedIndex]?.incident : undefined;

  // One score explanation for the whole queue, placed beside the hovered or focused badge.
  const [scoreTip, setScoreTip] = useState<{ incident: IncidentSummary; x: number; y: number }>();
  const showScore = useCallback((incident: IncidentSummary, el: HTMLElement) => {
    const r = el.getBoundingClientRect();
    setScoreTip({ incident, x: r.right + 8, y: r.top });
  }, []);
  const hideScore = useCallback(() => {
    setScoreTip(undefined);
  }, []);

  // Cells are plain elements with classes (app.css), not Mantine components: a row is drawn on every
  // scroll step and filter change, and at 10,000 incidents that cost is the queue's budget.
  const columns = useMemo(() => {
    const cols: ColumnDef<QueueRow>[] = [];
    if (manage)
      cols.push(
        col.display({
          id: 'check',
          size: 36,
          header: () => null,
          cell: ({ row }) => (
            <input
              type="checkbox"
              className="vg-check"
              aria-label={`Select ${row.original.incident.title}`}
              checked={checked.has(row.original.incident.id)}
              onClick={(e) => {
                e.stopPropagation();
              }}
              onChange={() => {
                setChecked((old) => {
                  const next = new Set(old);
                  const id = row.original.incident.id;
                  if (next.has(id)) next.delete(id);
                  else next.add(id);
                  return next;
                });
              }}
            />
          ),
        }),
      );
    cols.push(
      col.display({
        id: 'score',
        header: 'Score',
        size: 64,
        cell: ({ row }) => {
          const i = row.original.incident;
          return (
            <button
              type="button"
              className={`vg-score vg-bg-${scoreColor(i.score)}`}
              data-testid="score"
              aria-label={`Score ${i.score}, explain`}
              onMouseEnter={(e) => {
                showScore(i, e.currentTarget);
              }}
              onFocus={(e) => {
                showScore(i, e.currentTarget);
              }}
              onMouseLeave={hideScore}
              onBlur={hideScore}
              onClick={(e) => {
                e.stopPropagation();
              }}
            >
              {i.score}
            </button>
          );
        },
      }),
      col.display({
        id: 'severity',
        header: 'Severity',
        size: 86,
        cell: ({ row }) => {
          const s = row.original.incident.severity;
          return s ? (
            <span className={`vg-badge vg-fg-${LEVEL_COLOR[s]}`}>{s}</span>
          ) : (
            <span className="vg-dim">—</span>
          );
        },
      }),
      col.display({
        id: 'title',
        header: 'Incident',
        cell: ({ row }) => {
          const inc = row.original.incident;
          return (
            <a
              href={incidentPath(inc.tenant, inc.id)}
              className="vg-title"
              title={inc.title}
              tabIndex={-1}
              onClick={(e) => {
                if (e.button !== 0 || e.metaKey || e.ctrlKey) return;
                e.preventDefault();
                navigate(incidentPath(inc.tenant, inc.id));
              }}
            >
              {inc.title}
            </a>
          );
        },
      }),
    );
    if (provider)
      cols.push(
        col.display({
          id: 'tenant',
          header: 'Tenant',
          size: 130,
          cell: ({ row }) => tenantName(session, row.original.incident.tenant),
        }),
      );
    cols.push(
      col.display({
        id: 'status',
        header: 'Status',
        size: 116,
        cell: ({ row }) => {
          const st = row.original.incident.status;
          return (
            <span className="vg-status">
              <span className={`vg-dot vg-bg-${STATUS_COLOR[st]}`} />
              {STATUS_LABEL[st]}
            </span>
          );
        },
      }),
      col.display({
        id: 'assignee',
        header: 'Assignee',
        size: 104,
        cell: ({ row }) => row.original.incident.assignee ?? <span className="vg-dim">—</span>,
      }),
      col.display({
        id: 'hosts',
        header: 'Hosts',
        size: 170,
        cell: ({ row }) => {
          const hosts = row.original.incident.hosts;
          return (
            <span title={hosts.map((h) => `${h.name} (${h.state})`).join(', ')}>
              {hosts.slice(0, 2).map((h, i) => (
                <span key={h.name}>
                  {i > 0 ? ', ' : ''}
                  <span style={{ color: HOST_COLOR[h.state] }} aria-label={h.state}>
                    ●
                  </span>{' '}
                  {h.name}
                </span>
              ))}
              {hosts.length > 2 ? ` +${hosts.length - 2}` : ''}
            </span>
          );
        },
      }),
      col.display({
        id: 'alerts',
        header: 'Alerts',
        size: 58,
        cell: ({ row }) => row.original.incident.alert_count,
      }),
      col.display({
        id: 'last',
        header: 'Last activity',
        size: 104,
        cell: ({ row }) => (
          <span className="vg-dim" title={row.original.incident.last_ts}>
            {ago(row.original.lastMs)}
          </span>
        ),
      }),
      col.display({
        id: 'sla',
        header: 'SLA',
        size: 92,
        cell: ({ row }) => {
          const s = slaState(row.original.incident.sla, Date.now());
          return s ? (
            <span className={`vg-badge vg-plain vg-fg-${s.color}`} title={s.title}>
              {s.label}
            </span>
          ) : (
            <span className="vg-dim">—</span>
          );
        },
      }),
    );
    return cols;
  }, [manage, provider, checked, session, showScore, hideScore]);

  const scroller = useRef<HTMLDivElement>(null);
  const virtual = useVirtualizer({
    count: rows.length,
    getScrollElement: () => scroller.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 12,
  });
  const items = virtual.getVirtualItems();
  // The table model covers the rows on screen only; the virtualiser decides which those are.
  const windowRows = useMemo(
    () => items.flatMap((v) => (rows[v.index] ? [rows[v.index] as QueueRow] : [])),
    [items, rows],
  );
  const table = useReactTable({
    data: windowRows,
    columns,
    getCoreRowModel: getCoreRowModel(),
    getRowId: (r) => `${r.incident.tenant}/${r.incident.id}`,
  });
  const tableRows = table.getRowModel().rows;

  // Keep the first visible row in place when a poll inserts incidents above it.
  const anchor = useRef<{ id: string; index: number } | undefined>(undefined);
  const onScroll = (): void => {
    const el = scroller.current;
    if (!el) return;
    const index = Math.floor(el.scrollTop / ROW_HEIGHT);
    const r = rows[index];
    anchor.current = r && el.scrollTop > 0 ? { id: r.incident.id, index } : undefined;
  };
  useLayoutEffect(() => {
    const a = anchor.current;
    const el = scroller.current;
    if (!a || !el) return;
    const now = rows.findIndex((r) => r.incident.id === a.id);
    if (now >= 0 && now !== a.index) {
      el.scrollTop += (now - a.index) * ROW_HEIGHT;
      anchor.current = { id: a.id, index: now };
    }
  }, [rows]);

  useEffect(() => {
    performance.mark('vigil:queue:rendered');
  }, [rows]);

  const select = useCallback(
    (index: number) => {
      const r = rows[index];
      if (!r) return;
      setSelectedId(r.incident.id);
      virtual.scrollToIndex(index, { align: 'auto' });
    },
    [rows, virtual],
  );

  const searchBox = useRef<HTMLInputElement>(null);
  const targets = useCallback((): IncidentSummary[] => {
    if (checked.size > 0)
      return rows.filter((r) => checked.has(r.incident.id)).map((r) => r.incident);
    return selected ? [selected] : [];
  }, [checked, rows, selected]);

  useEffect(() => {
    const key = (e: KeyboardEvent): void => {
      if (e.metaKey || e.ctrlKey || e.altKey || typing(e) || dialog) return;
      switch (e.key) {
        case 'j':
        case 'ArrowDown':
          e.preventDefault();
          select(moveSelection(selectedIndex, 1, rows.length));
          break;
        case 'k':
        case 'ArrowUp':
          e.preventDefault();
          select(moveSelection(selectedIndex, -1, rows.length));
          break;
        case 'Enter':
          if (selected) {
            e.preventDefault();
            navigate(incidentPath(selected.tenant, selected.id));
          }
          break;
        case 'a':
          if (manage && targets().length > 0) {
            e.preventDefault();
            setDialog('assign');
          }
          break;
        case 's':
          if (manage && targets().length > 0) {
            e.preventDefault();
            setDialog('status');
          }
          break;
        case 'x':
          if (manage && selected) {
            e.preventDefault();
            setChecked((old) => {
              const next = new Set(old);
              if (next.has(selected.id)) next.delete(selected.id);
              else next.add(selected.id);
              return next;
            });
          }
          break;
        case '/':
          e.preventDefault();
          searchBox.current?.focus();
          break;
      }
    };
    window.addEventListener('keydown', key);
    return () => {
      window.removeEventListener('keydown', key);
    };
  }, [rows.length, selectedIndex, selected, select, dialog, manage, targets]);

  const knownAssignees = useMemo(
    () =>
      [...new Set(list.incidents.flatMap((i) => (i.assignee ? [i.assignee] : [])))]
        .sort()
        .slice(0, 200),
    [list.incidents],
  );
  const knownTechniques = useMemo(
    () => [...new Set(list.incidents.flatMap((i) => i.techniques))].sort(),
    [list.incidents],
  );

  const act = async (change: Parameters<typeof update>[1]): Promise<void> => {
    const items = targets().map((i) => ({ tenant: i.tenant, id: i.id }));
    setDialog(undefined);
    if (items.length === 0) return;
    const ok = await update(items, change);
    if (ok) setChecked(new Set());
  };

  const merge = async (): Promise<void> => {
    const items = targets();
    const tenant = items[0]?.tenant;
    if (!tenant || items.some((i) => i.tenant !== tenant)) {
      notifications.show({ color: 'red', message: 'only incidents of one tenant can be merged' });
      return;
    }
    try {
      const merged = await api.mergeIncidents(
        tenant,
        items.map((i) => i.id),
      );
      setChecked(new Set());
      await client.invalidateQueries({ queryKey: ['incidents'] });
      notifications.show({ color: 'green', message: `merged ${items.length} incidents` });
      navigate(incidentPath(tenant, merged.id));
    } catch (e) {
      notifications.show({ color: 'red', title: 'Merge failed', message: explain(e) });
    }
  };

  const headers = table.getFlatHeaders();
  const open = list.incidents.filter(
    (i) => !['resolved', 'false_positive', 'benign'].includes(i.status),
  ).length;

  return (
    <Stack gap="sm" h="calc(100vh - 52px - 2 * var(--mantine-spacing-md))">
      <Group justify="space-between" wrap="nowrap">
        <Title order={2}>Incidents</Title>
        <Text size="sm" c="dimmed" aria-live="polite">
          {list.loading
            ? `loading… ${list.incidents.length}${list.total === undefined ? '' : ` of ${list.total}`}`
            : `${rows.length} shown · ${open} open · ${list.incidents.length} in scope`}
        </Text>
      </Group>
      <Group gap="xs" wrap="wrap" role="search" aria-label="Filter incidents">
        <TextInput
          ref={searchBox}
          size="xs"
          w={220}
          placeholder="Search  ( / )"
          aria-label="Search incidents"
          value={filter.text ?? ''}
          onChange={(e) => {
            setFilter({ ...filter, text: e.currentTarget.value || undefined });
          }}
          onKeyDown={(e) => {
            if (e.key === 'Escape' || e.key === 'Enter') e.currentTarget.blur();
          }}
        />
        {provider && tenants.length > 1 && (
          <Select
            size="xs"
            w={170}
            aria-label="Tenant"
            placeholder="Any tenant"
            clearable
            value={filter.tenants[0] ?? null}
            data={tenants.map((t) => ({ value: t.id, label: t.name }))}
            onChange={(v) => {
              setFilter({ ...filter, tenants: v ? [v] : [] });
            }}
          />
        )}
        <Select
          size="xs"
          w={150}
          aria-label="Status"
          allowDeselect={false}
          value={filter.status}
          data={[
            { value: 'open', label: 'Open' },
            { value: 'all', label: 'Any status' },
            ...STATUSES.map((s) => ({ value: s, label: STATUS_LABEL[s] })),
          ]}
          onChange={(v) => {
            setFilter({ ...filter, status: v ?? 'open' });
          }}
        />
        <Select
          size="xs"
          w={140}
          aria-label="Severity"
          placeholder="Any severity"
          clearable
          value={filter.minSeverity ?? null}
          data={[...LEVELS].reverse().map((l) => ({ value: l, label: `${l} and above` }))}
          onChange={(v) => {
            setFilter({ ...filter, minSeverity: v ?? undefined });
          }}
        />
        <Select
          size="xs"
          w={150}
          aria-label="Assignee"
          placeholder="Anyone"
          clearable
          searchable
          value={filter.assignee ?? null}
          data={[
            { value: 'me', label: 'Assigned to me' },
            { value: 'unassigned', label: 'Unassigned' },
            ...knownAssignees
              .filter((a) => a !== 'me' && a !== 'unassigned')
              .map((a) => ({ value: a, label: a })),
          ]}
          onChange={(v) => {
            setFilter({ ...filter, assignee: v ?? undefined });
          }}
        />
        <Select
          size="xs"
          w={130}
          aria-label="Technique"
          placeholder="Technique"
          clearable
          searchable
          value={filter.technique ?? null}
          data={knownTechniques}
          onChange={(v) => {
            setFilter({ ...filter, technique: v ?? undefined });
          }}
        />
        <TextInput
          size="xs"
          w={140}
          placeholder="Host"
          aria-label="Host"
          value={filter.host ?? ''}
          onChange={(e) => {
            setFilter({ ...filter, host: e.currentTarget.value || undefined });
          }}
        />
        {manage && checked.size > 0 && (
          <Group gap={6} ml="auto">
            <Text size="sm">{checked.size} selected</Text>
            <Button
              size="xs"
              variant="light"
              onClick={() => {
                setDialog('assign');
              }}
            >
              Assign
            </Button>
            <Button
              size="xs"
              variant="light"
              color="green"
              onClick={() => void act({ status: 'resolved' })}
            >
              Close
            </Button>
            <Button
              size="xs"
              variant="light"
              onClick={() => void merge()}
              disabled={checked.size < 2}
            >
              Merge
            </Button>
            <Button
              size="xs"
              variant="subtle"
              onClick={() => {
                setChecked(new Set());
              }}
            >
              Clear
            </Button>
          </Group>
        )}
      </Group>
      {list.error && (
        <Alert color="red" py={6}>
          {list.error}
        </Alert>
      )}
      <div
        role="grid"
        aria-label="Incident queue"
        aria-rowcount={rows.length}
        aria-activedescendant={selected ? `row-${selected.id}` : undefined}
        tabIndex={0}
        style={{
          flex: 1,
          minHeight: 0,
          display: 'flex',
          flexDirection: 'column',
          border: '1px solid var(--mantine-color-dark-4)',
          borderRadius: 4,
        }}
      >
        <div
          role="row"
          className="vg-row"
          style={{
            height: 34,
            cursor: 'default',
            background: 'var(--mantine-color-dark-7)',
            flex: 'none',
            contain: 'none',
          }}
        >
          {headers.map((h) => (
            <div
              key={h.id}
              role="columnheader"
              className="vg-cell"
              style={
                h.column.id === 'title'
                  ? { flex: 1, minWidth: 160 }
                  : { width: h.column.getSize(), flex: 'none' }
              }
            >
              <Text size="xs" fw={700} c="dimmed" tt="uppercase">
                {flexRender(h.column.columnDef.header, h.getContext())}
              </Text>
            </div>
          ))}
        </div>
        <div
          ref={scroller}
          onScroll={onScroll}
          style={{ flex: 1, overflow: 'auto' }}
          data-testid="queue-scroller"
        >
          {list.loading && list.incidents.length === 0 ? (
            <Group p="md">
              <Loader size="sm" /> <Text size="sm">Loading incidents…</Text>
            </Group>
          ) : rows.length === 0 ? (
            <Text p="md" c="dimmed">
              No incident matches.
            </Text>
          ) : (
            <div style={{ height: virtual.getTotalSize(), position: 'relative' }}>
              {items.map((v, k) => {
                const row = tableRows[k];
                if (!row) return null;
                const inc = row.original.incident;
                const isSel = inc.id === selectedId;
                return (
                  <div
                    key={row.id}
                    id={`row-${inc.id}`}
                    role="row"
                    aria-rowindex={v.index + 1}
                    aria-selected={isSel}
                    className="vg-row"
                    data-incident={inc.id}
                    style={{
                      position: 'absolute',
                      top: 0,
                      left: 0,
                      right: 0,
                      height: ROW_HEIGHT,
                      transform: `translateY(${v.start}px)`,
                    }}
                    onClick={() => {
                      setSelectedId(inc.id);
                    }}
                    onDoubleClick={() => {
                      navigate(incidentPath(inc.tenant, inc.id));
                    }}
                  >
                    {row.getVisibleCells().map((c) => (
                      <div
                        key={c.id}
                        role="gridcell"
                        className="vg-cell"
                        style={
                          c.column.id === 'title'
                            ? { flex: 1, minWidth: 160 }
                            : { width: c.column.getSize(), flex: 'none' }
                        }
                      >
                        {flexRender(c.column.columnDef.cell, c.getContext())}
                      </div>
                    ))}
                  </div>
                );
              })}
            </div>
          )}
        </div>
      </div>
      {scoreTip?.incident.score_terms && (
        <Paper
          withBorder
          shadow="md"
          p="sm"
          role="tooltip"
          style={{
            position: 'fixed',
            left: Math.min(scoreTip.x, window.innerWidth - 480),
            top: Math.min(scoreTip.y, window.innerHeight - 260),
            zIndex: 300,
            pointerEvents: 'none',
          }}
        >
          <ScoreExplanation score={scoreTip.incident.score} terms={scoreTip.incident.score_terms} />
        </Paper>
      )}
      <AssignDialog
        opened={dialog === 'assign'}
        count={targets().length}
        me={me.user.name}
        known={knownAssignees}
        current={targets()[0]?.assignee}
        onClose={() => {
          setDialog(undefined);
        }}
        onAssign={(who) => void act({ assignee: who })}
      />
      <StatusDialog
        opened={dialog === 'status'}
        count={targets().length}
        current={targets()[0]?.status}
        onClose={() => {
          setDialog(undefined);
        }}
        onStatus={(s) => void act({ status: s })}
      />
    </Stack>
  );
}
