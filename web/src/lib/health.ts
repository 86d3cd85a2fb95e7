/**
 * Ingest health per tenant and receiver, shared by the overview and the wall screen: events/s from two
 * readings of the server's counters (`/metrics`, provider users only), the newest event each tenant
 * sent, and errors. The arithmetic is pure and tested without a browser; `useIngestHealth` polls.
 */
import { useEffect, useMemo, useState } from 'react';
import { useQueries, useQuery } from '@tanstack/react-query';
import { api } from '../api/client.ts';
import type { StoredEvent, TenantRef } from '../api/types.ts';
import { parseMetrics, type Sample } from './overview.ts';
import { POLL_MS } from './poll.ts';

/** A tenant that sent nothing for this long is shown as quiet. */
export const QUIET_MS = 3_600_000;

export interface Reading {
  /** When the counters were read (ms). */
  readonly at: number;
  readonly samples: readonly Sample[];
}

export interface ReceiverRate {
  readonly tenant: string;
  readonly receiver: string;
  /** Events received since the server started. */
  readonly total: number;
  /** Events/s between the two readings; undefined until there are two. */
  readonly rate?: number;
  /** Errors counted for the tenant (all receivers). */
  readonly errors: number;
}

/** Events per tenant and receiver from the newest reading, with a rate against the one before. */
export function receiverRates(
  prev: Reading | undefined,
  last: Reading | undefined,
  tenants: ReadonlySet<string>,
): ReceiverRate[] {
  const out: ReceiverRate[] = [];
  if (!last) return out;
  const errs = new Map<string, number>();
  for (const s of last.samples) {
    const t = s.labels['tenant'];
    if (s.name === 'vigil_errors_total' && t) errs.set(t, (errs.get(t) ?? 0) + s.value);
  }
  for (const s of last.samples) {
    if (s.name !== 'vigil_events_in_total') continue;
    const tenant = s.labels['tenant'] ?? '';
    if (!tenants.has(tenant)) continue;
    const receiver = s.labels['receiver'] ?? '';
    const before = prev?.samples.find(
      (p) =>
        p.name === s.name && p.labels['tenant'] === tenant && p.labels['receiver'] === receiver,
    );
    const seconds = prev ? (last.at - prev.at) / 1000 : 0;
    const rate = before && seconds > 0 ? Math.max(0, s.value - before.value) / seconds : undefined;
    out.push({
      tenant,
      receiver,
      total: s.value,
      ...(rate === undefined ? {} : { rate }),
      errors: errs.get(tenant) ?? 0,
    });
  }
  return out.sort(
    (a, b) => a.tenant.localeCompare(b.tenant) || a.receiver.localeCompare(b.receiver),
  );
}

export interface NewestEvent {
  readonly tenant: string;
  /** Undefined while loading or when the tenant never sent anything. */
  readonly event: StoredEvent | undefined;
  readonly loaded: boolean;
}

export type TenantIngestState = 'ok' | 'quiet' | 'silent' | 'errors';

export interface TenantIngest {
  readonly tenant: string;
  readonly state: TenantIngestState;
  /** When its newest event arrived (ms), if it ever sent one. */
  readonly lastAt?: number;
  readonly lastHost?: string | null;
  readonly receivers: readonly string[];
  /** Events/s over all its receivers, once two readings exist. */
  readonly rate?: number;
  readonly errors: number;
}

const STATE_ORDER: Readonly<Record<TenantIngestState, number>> = {
  silent: 0,
  errors: 1,
  quiet: 2,
  ok: 3,
};

/**
 * One line per tenant, worst first: silent (never sent anything), errors, quiet (nothing for an
 * hour), then healthy ones by name.
 */
export function tenantIngest(
  tenants: readonly string[],
  newest: readonly NewestEvent[],
  rates: readonly ReceiverRate[],
  now: number,
): TenantIngest[] {
  const out = tenants.map((tenant): TenantIngest => {
    const n = newest.find((x) => x.tenant === tenant)?.event;
    const mine = rates.filter((r) => r.tenant === tenant);
    const lastAt = n ? Date.parse(n.received_at) : undefined;
    const errors = mine[0]?.errors ?? 0;
    const known = mine.filter((r) => r.rate !== undefined);
    const state: TenantIngestState =
      lastAt === undefined || !Number.isFinite(lastAt)
        ? 'silent'
        : errors > 0
          ? 'errors'
          : now - lastAt > QUIET_MS
            ? 'quiet'
            : 'ok';
    return {
      tenant,
      state,
      ...(lastAt === undefined || !Number.isFinite(lastAt)
        ? {}
        : { lastAt, lastHost: n?.host ?? null }),
      receivers: [...new Set([...mine.map((r) => r.receiver), ...(n ? [n.receiver] : [])])].sort(),
      ...(known.length > 0 ? { rate: known.reduce((s, r) => s + (r.rate ?? 0), 0) } : {}),
      errors,
    };
  });
  return out.sort(
    (a, b) => STATE_ORDER[a.state] - STATE_ORDER[b.state] || a.tenant.localeCompare(b.tenant),
  );
}

export interface IngestHealth {
  readonly newest: readonly NewestEvent[];
  readonly rates: readonly ReceiverRate[];
  /** False until every tenant's newest event has been asked for once. */
  readonly loaded: boolean;
}

/** Polls the counters (provider users) and each tenant's newest event. */
export function useIngestHealth(tenants: readonly TenantRef[], provider: boolean): IngestHealth {
  const metrics = useQuery({
    queryKey: ['metrics'],
    enabled: provider,
    refetchInterval: POLL_MS,
    queryFn: async (): Promise<Reading> => {
      const res = await fetch('/metrics', { credentials: 'same-origin' });
      if (!res.ok) throw new Error(`metrics: HTTP ${res.status}`);
      return { at: Date.now(), samples: parseMetrics(await res.text()) };
    },
  });
  const [prev, setPrev] = useState<Reading>();
  const [last, setLast] = useState<Reading>();
  useEffect(() => {
    if (metrics.data && metrics.data !== last) {
      setPrev(last);
      setLast(metrics.data);
    }
  }, [metrics.data, last]);
  const newest = useQueries({
    queries: tenants.map((t) => ({
      queryKey: ['newest-event', t.id],
      queryFn: () => api.events({ tenant: t.id, limit: 1 }),
      refetchInterval: Math.max(POLL_MS, 30_000),
    })),
    combine: (rs) =>
      rs.map((r, i): NewestEvent => ({
        tenant: tenants[i]?.id ?? '',
        event: r.data?.events[0],
        loaded: !r.isPending,
      })),
  });
  const ids = useMemo(() => new Set(tenants.map((t) => t.id)), [tenants]);
  const rates = useMemo(() => receiverRates(prev, last, ids), [prev, last, ids]);
  return { newest, rates, loaded: newest.every((n) => n.loaded) };
}
