/**
 * Loading and changing incidents: the queue reads every tenant in scope (page by page while the API
 * hands out cursors) and polls for new ones; changes go through PATCH and refresh what they touch.
 */
import { useQueries, useQueryClient, type QueryClient } from '@tanstack/react-query';
import { notifications } from '@mantine/notifications';
import { api, ApiError } from '../api/client.ts';
import type { Determination, IncidentStatus, IncidentSummary, TenantRef } from '../api/types.ts';

/** How often the queue asks for new incidents. */
export const POLL_MS = 15_000;
/** The most incidents the queue loads per tenant. */
const MAX_PER_TENANT = 20_000;

export async function loadTenantIncidents(tenant: string): Promise<IncidentSummary[]> {
  const out: IncidentSummary[] = [];
  let cursor: string | undefined;
  for (;;) {
    const page = await api.incidents(tenant, {
      limit: 1000,
      ...(cursor === undefined ? {} : { cursor }),
    });
    // Older servers omit the tenant on list rows; the request said which.
    for (const i of page.incidents) out.push(i.tenant ? i : { ...i, tenant });
    cursor = page.next ?? undefined;
    if (cursor === undefined || out.length >= MAX_PER_TENANT || page.incidents.length === 0) break;
  }
  return out;
}

export interface IncidentList {
  readonly incidents: readonly IncidentSummary[];
  readonly loading: boolean;
  readonly errors: readonly { tenant: string; message: string }[];
  readonly updatedAt: number;
}

export function useIncidentList(tenants: readonly TenantRef[]): IncidentList {
  return useQueries({
    queries: tenants.map((t) => ({
      queryKey: ['incidents', t.id],
      queryFn: () => loadTenantIncidents(t.id),
      refetchInterval: POLL_MS,
    })),
    combine: (results) => ({
      incidents: results.flatMap((r) => r.data ?? []),
      loading: results.some((r) => r.isPending),
      errors: results.flatMap((r, i) =>
        r.error ? [{ tenant: tenants[i]?.id ?? '', message: r.error.message }] : [],
      ),
      updatedAt: Math.max(0, ...results.map((r) => r.dataUpdatedAt)),
    }),
  });
}

export interface IncidentChange {
  status?: IncidentStatus;
  determination?: Determination;
  assignee?: string | null;
  tags?: string[];
}

/** Applies `change` to cached copies at once, so the queue does not wait for the next poll. */
function patchCache(
  client: QueryClient,
  tenant: string,
  ids: readonly string[],
  change: IncidentChange,
) {
  const set = new Set(ids);
  client.setQueryData<IncidentSummary[]>(['incidents', tenant], (old) =>
    old?.map((i) => (set.has(i.id) ? { ...i, ...change } : i)),
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
        patchCache(client, it.tenant, [it.id], change);
        ok++;
      } catch (e) {
        failures.push(explain(e));
      }
    }
    const tenants = new Set(items.map((i) => i.tenant));
    for (const t of tenants) void client.invalidateQueries({ queryKey: ['incidents', t] });
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
