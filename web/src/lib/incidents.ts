/**
 * Loading and changing incidents: the queue reads every tenant in scope (page by page while the API
 * hands out cursors) and polls for new ones; changes go through PATCH and refresh what they touch.
 */
import { useQuery, useQueryClient, type QueryClient } from '@tanstack/react-query';
import { notifications } from '@mantine/notifications';
import { api, ApiError } from '../api/client.ts';
import type { Determination, IncidentStatus, IncidentSummary } from '../api/types.ts';
import { POLL_MS } from './poll.ts';
/** The most incidents the queue loads for one scope. */
const MAX_LOADED = 50_000;

/**
 * Every incident of one tenant, or (`tenant` undefined) of every tenant the user may see, page by
 * page as the API hands out cursors.
 */
export async function loadIncidents(
  tenant: string | undefined,
  onPage?: (soFar: IncidentSummary[], total: number) => void,
): Promise<IncidentSummary[]> {
  const out: IncidentSummary[] = [];
  let cursor: string | undefined;
  for (;;) {
    const page = await api.incidents(tenant, {
      limit: 1000,
      ...(cursor === undefined ? {} : { cursor }),
    });
    for (const i of page.incidents) out.push(i);
    cursor = page.next ?? undefined;
    if (cursor === undefined || out.length >= MAX_LOADED || page.incidents.length === 0) break;
    onPage?.([...out], page.total);
  }
  return out;
}

export interface IncidentList {
  readonly incidents: readonly IncidentSummary[];
  /** True until the whole list has arrived (pages may show before). */
  readonly loading: boolean;
  /** How many incidents the scope has, once the first page told. */
  readonly total: number | undefined;
  readonly error: string | undefined;
  readonly updatedAt: number;
}

/** The key of a scope's incident list in the query cache: `['incidents', tenant or '*']`. */
export const incidentsKey = (scope: string | undefined): readonly string[] => [
  'incidents',
  scope ?? '*',
];

/** The incidents of the scope (one tenant, or undefined for all the user sees), polled. */
interface Partial {
  readonly rows: IncidentSummary[];
  readonly total: number;
}

/**
 * The query that loads a scope's list. The first load publishes its first page at once (under the
 * key plus `partial`) so the queue paints before the rest arrives; a refresh swaps the whole list at
 * once, so the queue never shrinks while a poll is under way.
 */
function listQuery(client: QueryClient, scope: string | undefined) {
  const key = incidentsKey(scope);
  return {
    queryKey: key,
    queryFn: () =>
      loadIncidents(scope, (rows, total) => {
        if (client.getQueryData(key) === undefined && rows.length <= 1000)
          client.setQueryData<Partial>([...key, 'partial'], { rows, total });
      }),
    refetchInterval: POLL_MS,
  };
}

/** Starts loading a scope's incidents before the queue mounts (the console's first screen). */
export function prefetchIncidents(client: QueryClient, scope: string | undefined): void {
  client.query(listQuery(client, scope)).catch(() => undefined);
}

export function useIncidentList(scope: string | undefined): IncidentList {
  const client = useQueryClient();
  const q = useQuery(listQuery(client, scope));
  const partial = useQuery<Partial>({
    queryKey: [...incidentsKey(scope), 'partial'],
    queryFn: () => Promise.reject(new Error('set by the list query')),
    enabled: false,
  });
  const early = partial.data;
  return {
    incidents: q.data ?? early?.rows ?? EMPTY,
    loading: q.isPending,
    total: q.data?.length ?? early?.total,
    error: q.error?.message,
    updatedAt: q.dataUpdatedAt,
  };
}

const EMPTY: readonly IncidentSummary[] = [];

export interface IncidentChange {
  status?: IncidentStatus;
  determination?: Determination;
  assignee?: string | null;
  tags?: string[];
}

/** Applies `change` to every cached list at once, so the queue does not wait for the next poll. */
function patchCache(client: QueryClient, tenant: string, id: string, change: IncidentChange): void {
  client.setQueriesData<IncidentSummary[]>({ queryKey: ['incidents'] }, (old) =>
    old?.map((i) => (i.id === id && i.tenant === tenant ? { ...i, ...change } : i)),
  );
}

export function explain(err: unknown): string {
  if (err instanceof ApiError) {
    if (err.status === 404 && err.message.startsWith('no route'))
      return 'this server does not offer case work yet (update Vigil)';
    return err.message;
  }
  return (err as Error).message;
}

export function useUpdateIncidents(): (
  items: readonly { tenant: string; id: string }[],
  change: IncidentChange,
) => Promise<boolean> {
  const client = useQueryClient();
  return async (items, change) => {
    let ok = 0;
    const failures: string[] = [];
    for (const it of items) {
      try {
        await api.updateIncident(it.tenant, it.id, change);
        patchCache(client, it.tenant, it.id, change);
        ok++;
      } catch (e) {
        failures.push(explain(e));
      }
    }
    void client.invalidateQueries({ queryKey: ['incidents'] });
    for (const it of items)
      void client.invalidateQueries({ queryKey: ['incident', it.tenant, it.id] });
    const what = Object.entries(change)
      .map(
        ([k, v]) => `${k} → ${v === null ? 'nobody' : Array.isArray(v) ? v.join(', ') : String(v)}`,
      )
      .join(', ');
    if (ok > 0)
      notifications.show({
        color: 'green',
        message: `${ok === 1 ? 'Incident' : `${ok} incidents`} updated: ${what}`,
      });
    if (failures.length > 0)
      notifications.show({
        color: 'red',
        title: `${failures.length} update(s) failed`,
        message: [...new Set(failures)].join('; '),
      });
    return failures.length === 0;
  };
}
