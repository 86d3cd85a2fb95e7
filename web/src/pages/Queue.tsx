/**
 * The incident queue: every incident in scope, highest score first, virtualised so that 10,000 rows
 * scroll and filter at once. Keyboard: j/k move, enter opens, a assigns, s sets the status, x selects,
 * / searches. Incidents a poll brings in keep the row under the reader's eye where it was on screen;
 * they are counted ("N new", which scrolls up to them) and announced in a live region.
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
import { Alert, Button, Group, Loader, Paper, Select, Stack, Text, TextInput } from '@mantine/core';
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
  arrivalMessage,
  arrivals,
  columnsToHide,
  filterFromSearch,
  filterQueue,
  filterToSearch,
  indexQueue,
  moveSelection,
  pickAnchor,
  rowKey,
  type QueueFilter,
  type QueueRow,
} from '../lib/queue.ts';
import { incidentPath, navigate, useLocation } from '../lib/router.tsx';
import { canManage, isProvider, scopeTenants, tenantName, useSession } from '../lib/session.tsx';
import { ago, slaState } from '../lib/format.ts';
import { HOST_COLOR, LEVEL_COLOR, scoreColor, STATUS_COLOR } from '../theme.ts';
import { PageTitle } from '../components/PageTitle.tsx';

const ROW_HEIGHT = 44;
/** The narrowest the title column gets before other columns make way. */
const TITLE_MIN = 240;
/** Columns that make way on a narrow screen, the first first. */
const DROP_ORDER = ['alerts', 'last', 'assignee'];

const col = createColumnHelper<QueueRow>();

/** The DOM id of an incident's row (the grid's active descendant). */
const rowDomId = (i: Pick<IncidentSummary, 'tenant' | 'id'>): string =>
  `row-${i.tenant}-${i.id}`.replace(/[^A-Za-z0-9_-]/g, '_');

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
  const [said, setSaid] = useState('');
  const selectedIndex = useMemo(
    () =>
      selectedId === undefined ? -1 : rows.findIndex((r) => rowKey(r.incident) === selectedId),
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

  // The grid's width decides which columns fit (1280×800 shows them without scrolling sideways) and
  // how much room the hosts get on a wide screen.
  const gridRef = useRef<HTMLDivElement>(null);
  const [gridWidth, setGridWidth] = useState(0);
  useLayoutEffect(() => {
    const el = gridRef.current;
    if (!el) return;
    const measure = (): void => {
      setGridWidth(el.clientWidth);
    };
    measure();
    const ro = new ResizeObserver(measure);
    ro.observe(el);
    return () => {
      ro.disconnect();
    };
  }, []);
  const wide = gridWidth >= 1800;
  const hostsShown = wide ? 4 : 2;

  // Incidents a poll brought in that the reader has not scrolled up to yet.
  const [fresh, setFresh] = useState<ReadonlySet<string>>(new Set());

  // Cells are plain elements with classes (app.css), not Mantine components: a row is drawn on every
  // scroll step and filter change, and at 10,000 incidents that cost is the queue's budget.
  const columns = useMemo(() => {
    const cols: ColumnDef<QueueRow>[] = [];
    if (manage)
      cols.push(
        col.display({
          id: 'check',
          size: 36,
          header: () => <span className="vg-sr-only">Selected</span>,
          cell: ({ row }) => (
            <input
              type="checkbox"
              className="vg-check"
              aria-label={`Select ${row.original.incident.title}`}
              checked={checked.has(rowKey(row.original.incident))}
              onClick={(e) => {
                e.stopPropagation();
              }}
              onChange={() => {
                setChecked((old) => {
                  const next = new Set(old);
                  const id = rowKey(row.original.incident);
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
            <>
              {fresh.has(rowKey(inc)) && <span className="vg-new">new</span>}
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
            </>
          );
        },
      }),
    );
    if (provider)
      cols.push(
        col.display({
          id: 'tenant',
          header: 'Tenant',
          size: wide ? 200 : 120,
          cell: ({ row }) => tenantName(session, row.original.incident.tenant),
        }),
      );
    cols.push(
      col.display({
        id: 'status',
        header: 'Status',
        size: 110,
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
        size: wide ? 150 : 104,
        cell: ({ row }) => row.original.incident.assignee ?? <span className="vg-dim">—</span>,
      }),
      col.display({
        id: 'hosts',
        header: 'Hosts',
        size: wide ? 520 : 150,
        cell: ({ row }) => {
          const hosts = row.original.incident.hosts;
          return (
            <span title={hosts.map((h) => `${h.name} (${h.state})`).join(', ')}>
              {hosts.slice(0, hostsShown).map((h, i) => (
                <span key={h.name}>
                  {i > 0 ? ', ' : ''}
                  <span style={{ color: HOST_COLOR[h.state] }} aria-hidden="true">
                    ●
                  </span>
                  <span className="vg-sr-only">{h.state}</span> {h.name}
                </span>
              ))}
              {hosts.length > hostsShown ? ` +${hosts.length - hostsShown}` : ''}
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
  }, [manage, provider, checked, session, showScore, hideScore, fresh, wide, hostsShown]);

  const hidden = useMemo(() => {
    if (gridWidth === 0) return {};
    const widths: Record<string, number> = {};
    for (const c of columns) if (c.id && c.id !== 'title') widths[c.id] = c.size ?? 100;
    // the scroll bar of the rows takes its share
    const off = columnsToHide(widths, gridWidth - 18, TITLE_MIN, DROP_ORDER);
    return Object.fromEntries(off.map((id) => [id, false]));
  }, [columns, gridWidth]);

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
    state: { columnVisibility: hidden },
    getCoreRowModel: getCoreRowModel(),
    getRowId: (r) => rowKey(r.incident),
  });
  const tableRows = table.getRowModel().rows;

  // Arrivals: once the scope's list has loaded, incidents a later poll adds are new. They are marked,
  // counted and announced (only those the reader's filter shows).
  const known = useRef<{ scope: string | undefined; keys: Set<string> } | undefined>(undefined);
  useEffect(() => {
    if (list.loading) return;
    const keys = new Set(list.incidents.map(rowKey));
    const before = known.current;
    known.current = { scope: session.scope, keys };
    if (!before || before.scope !== session.scope) {
      setFresh(new Set());
      return;
    }
    const added = arrivals(before.keys, list.incidents);
    if (added.length === 0) return;
    const shown = filterQueue(indexQueue(added), filter, me.user.name).map((r) => r.incident);
    if (shown.length === 0) return;
    setFresh((old) => new Set([...old, ...shown.map(rowKey)]));
    setSaid(arrivalMessage(shown));
  }, [list.incidents, list.loading, session.scope, filter, me.user.name]);
  const freshShown = useMemo(
    () => (fresh.size === 0 ? 0 : rows.filter((r) => fresh.has(rowKey(r.incident))).length),
    [rows, fresh],
  );

  // Hold the row under the reader's eye (the selected row if on screen, else the first row once
  // scrolled) where it was when a poll reorders the rows above it. A short list gets room below its
  // last row (`slack`) so that it can scroll by the rows that arrived above.
  const selectedRef = useRef(selectedId);
  selectedRef.current = selectedId;
  const inner = useRef<HTMLDivElement>(null);
  const [slack, setSlack] = useState(0);
  const shape = useRef<{ rows: readonly QueueRow[]; filter: QueueFilter }>({
    rows,
    filter: deferredFilter,
  });
  useLayoutEffect(() => {
    const before = shape.current;
    shape.current = { rows, filter: deferredFilter };
    const el = scroller.current;
    if (!el || before.rows === rows || before.filter !== deferredFilter) return;
    const a = pickAnchor(
      before.rows,
      { scrollTop: el.scrollTop, height: el.clientHeight, rowHeight: ROW_HEIGHT },
      selectedRef.current,
    );
    if (!a) return;
    const now = rows.findIndex((r) => rowKey(r.incident) === a.key);
    if (now < 0 || now === a.index) return;
    const target = Math.max(0, el.scrollTop + (now - a.index) * ROW_HEIGHT);
    const total = rows.length * ROW_HEIGHT;
    const room = Math.max(0, target + el.clientHeight - total);
    if (inner.current) inner.current.style.height = `${total + room}px`;
    setSlack(room);
    el.scrollTop = target;
  }, [rows, deferredFilter]);

  const scrollToNew = (): void => {
    const first = rows.findIndex((r) => fresh.has(rowKey(r.incident)));
    setFresh(new Set());
    setSlack(0);
    if (scroller.current) scroller.current.scrollTop = 0;
    if (first >= 0) {
      const r = rows[first];
      if (r) setSelectedId(rowKey(r.incident));
    }
    gridRef.current?.focus({ preventScroll: true });
  };
  const onScroll = (): void => {
    const el = scroller.current;
    if (!el) return;
    // Back at the top, the reader sees what arrived; the room below is no longer needed.
    if (el.scrollTop === 0) {
      if (fresh.size > 0) setFresh(new Set());
      if (slack > 0) setSlack(0);
    } else if (slack > 0 && el.scrollTop + el.clientHeight <= rows.length * ROW_HEIGHT) {
      setSlack(0);
    }
  };

  useEffect(() => {
    performance.mark('vigil:queue:rendered');
  }, [rows]);

  const select = useCallback(
    (index: number) => {
      const r = rows[index];
      if (!r) return;
      setSelectedId(rowKey(r.incident));
      virtual.scrollToIndex(index, { align: 'auto' });
      // The grid holds the focus while the selection moves, so a screen reader reads each row.
      const grid = gridRef.current;
      if (grid && !grid.contains(document.activeElement)) grid.focus({ preventScroll: true });
    },
    [rows, virtual],
  );

  const searchBox = useRef<HTMLInputElement>(null);
  const targets = useCallback((): IncidentSummary[] => {
    if (checked.size > 0)
      return rows.filter((r) => checked.has(rowKey(r.incident))).map((r) => r.incident);
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
          if (selected && !(e.target instanceof HTMLButtonElement)) {
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
            const k = rowKey(selected);
            setChecked((old) => {
              const next = new Set(old);
              if (next.has(k)) next.delete(k);
              else next.add(k);
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

  // The live region also says what the selection holds, for bulk work by keyboard.
  const checkedCount = checked.size;
  const firstCheck = useRef(true);
  useEffect(() => {
    if (firstCheck.current) {
      firstCheck.current = false;
      return;
    }
    setSaid(
      checkedCount === 0
        ? 'Selection cleared'
        : `${checkedCount} incident${checkedCount === 1 ? '' : 's'} selected`,
    );
  }, [checkedCount]);

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

  const headers = table.getHeaderGroups()[0]?.headers ?? [];
  const open = list.incidents.filter(
    (i) => !['resolved', 'false_positive', 'benign'].includes(i.status),
  ).length;

  return (
    <Stack gap="sm" h="calc(100vh - 52px - 2 * var(--mantine-spacing-md))">
      <Group justify="space-between" wrap="nowrap">
        <PageTitle>Incidents</PageTitle>
        <Text size="sm" c="dimmed" aria-live="polite" data-testid="queue-count">
          {list.loading
            ? `loading… ${list.incidents.length}${list.total === undefined ? '' : ` of ${list.total}`}`
            : `${rows.length} shown · ${open} open · ${list.incidents.length} in scope`}
        </Text>
      </Group>
      <Group gap="xs" wrap="wrap" role="search" aria-label="Filter incidents">
        <TextInput
          ref={searchBox}
          size="xs"
          w={200}
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
            w={150}
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
          w={130}
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
          w={130}
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
          w={120}
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
          w={120}
          placeholder="Host"
          aria-label="Host"
          value={filter.host ?? ''}
          onChange={(e) => {
            setFilter({ ...filter, host: e.currentTarget.value || undefined });
          }}
        />
        {manage && checked.size > 0 && (
          <Group gap={6} ml="auto" role="group" aria-label="Selected incidents">
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
      <div role="status" aria-live="polite" className="vg-sr-only" data-testid="queue-announce">
        {said}
      </div>
      <div style={{ flex: 1, minHeight: 0, position: 'relative', display: 'flex' }}>
        <div
          ref={gridRef}
          role="grid"
          aria-label="Incident queue"
          aria-rowcount={rows.length + 1}
          aria-activedescendant={selected ? rowDomId(selected) : undefined}
          tabIndex={0}
          className="vg-grid"
        >
          <div role="rowgroup" style={{ flex: 'none' }}>
            <div role="row" aria-rowindex={1} className="vg-row vg-head">
              {headers.map((h) => (
                <div
                  key={h.id}
                  role="columnheader"
                  className="vg-cell"
                  style={
                    h.column.id === 'title'
                      ? { flex: 1, minWidth: TITLE_MIN }
                      : { width: h.column.getSize(), flex: 'none' }
                  }
                >
                  {flexRender(h.column.columnDef.header, h.getContext())}
                </div>
              ))}
            </div>
          </div>
          <div
            ref={scroller}
            role="rowgroup"
            onScroll={onScroll}
            style={{ flex: 1, overflow: 'auto' }}
            data-testid="queue-scroller"
          >
            {list.loading && list.incidents.length === 0 ? (
              <Group p="md" role="row">
                <Loader size="sm" role="gridcell" aria-label="Loading incidents" />
              </Group>
            ) : rows.length === 0 ? (
              <div role="row">
                <Text p="md" c="dimmed" role="gridcell">
                  No incident matches.
                </Text>
              </div>
            ) : (
              <div
                ref={inner}
                style={{ height: virtual.getTotalSize() + slack, position: 'relative' }}
              >
                {items.map((v, k) => {
                  const row = tableRows[k];
                  if (!row) return null;
                  const inc = row.original.incident;
                  const key = rowKey(inc);
                  const isSel = key === selectedId;
                  return (
                    <div
                      key={row.id}
                      id={rowDomId(inc)}
                      role="row"
                      aria-rowindex={v.index + 2}
                      aria-selected={isSel}
                      className={fresh.has(key) ? 'vg-row vg-row-new' : 'vg-row'}
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
                        setSelectedId(key);
                      }}
                      onDoubleClick={() => {
                        navigate(incidentPath(inc.tenant, inc.id));
                      }}
                    >
                      {row.getVisibleCells().map((c) => (
                        <div
                          key={c.id}
                          role={c.column.id === 'title' ? 'rowheader' : 'gridcell'}
                          className="vg-cell"
                          style={
                            c.column.id === 'title'
                              ? { flex: 1, minWidth: TITLE_MIN }
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
        {freshShown > 0 && (
          <button type="button" className="vg-new-pill" onClick={scrollToNew}>
            ↑ {freshShown} new
          </button>
        )}
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
