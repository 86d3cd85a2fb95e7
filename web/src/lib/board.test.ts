import { describe, expect, it } from 'vitest';
import type { IncidentSummary, StoredEvent } from '../api/types.ts';
import { clocksNearBreach, newestSevere, openBySeverity } from './board.ts';
import { receiverRates, tenantIngest, type Reading } from './health.ts';
import { pollFromSearch } from './poll.ts';

function inc(id: string, over: Partial<IncidentSummary> = {}): IncidentSummary {
  return {
    id,
    tenant: 'acme',
    title: `Incident ${id}`,
    score: 50,
    status: 'new',
    first_ts: '2026-11-17T09:00:00Z',
    last_ts: '2026-11-17T10:00:00Z',
    hosts: [],
    techniques: [],
    tactics: [],
    alert_count: 1,
    ...over,
  };
}

const NOW = Date.parse('2026-11-17T10:00:00Z');

describe('the figures of the overview and the wall', () => {
  it('counts open incidents per tenant and severity, the most severe tenant first', () => {
    const b = openBySeverity([
      inc('1', { tenant: 'b', severity: 'high' }),
      inc('2', { tenant: 'a', severity: 'medium' }),
      inc('3', { tenant: 'a', severity: 'medium' }),
      inc('4', { tenant: 'c', severity: 'critical', status: 'resolved' }),
      inc('5', { tenant: 'c', score: 85 }),
    ]);
    expect(b.open).toBe(4);
    expect(b.totals).toEqual({ informational: 0, low: 0, medium: 2, high: 1, critical: 1 });
    expect(b.tenants.map((t) => [t.tenant, t.open])).toEqual([
      ['c', 1],
      ['b', 1],
      ['a', 2],
    ]);
  });

  it('lists unmet clocks of open incidents that are overdue or due soon, most urgent first', () => {
    const clock = (due: string, extra = {}) => ({ target_min: 60, due, breached: false, ...extra });
    const c = clocksNearBreach(
      [
        inc('late', { sla: { acknowledge: clock('2026-11-17T09:50:00Z') } }),
        inc('soon', { sla: { contain: clock('2026-11-17T10:05:00Z') } }),
        inc('fine', { sla: { contain: clock('2026-11-17T14:00:00Z') } }),
        inc('met', {
          sla: { acknowledge: clock('2026-11-17T09:50:00Z', { met_at: '2026-11-17T09:40:00Z' }) },
        }),
        inc('closed', { status: 'resolved', sla: { resolve: clock('2026-11-17T09:00:00Z') } }),
      ],
      NOW,
    );
    expect(c.map((x) => [x.incident.id, x.clock, x.overdue])).toEqual([
      ['late', 'acknowledge', true],
      ['soon', 'contain', false],
    ]);
  });

  it('puts the newest open critical and high incidents first', () => {
    const n = newestSevere([
      inc('old', { severity: 'critical', first_ts: '2026-11-10T00:00:00Z' }),
      inc('new', { severity: 'high', first_ts: '2026-11-17T09:00:00Z' }),
      inc('medium', { severity: 'medium', first_ts: '2026-11-17T09:30:00Z' }),
      inc('closed', { severity: 'critical', status: 'benign' }),
    ]);
    expect(n.map((i) => i.id)).toEqual(['new', 'old']);
  });

  it('rates ingest per receiver from two readings and ranks tenants worst first', () => {
    const reading = (at: number, n: number, errors = 0): Reading => ({
      at,
      samples: [
        { name: 'vigil_events_in_total', labels: { tenant: 'a', receiver: 'bulk' }, value: n },
        { name: 'vigil_events_in_total', labels: { tenant: 'x', receiver: 'bulk' }, value: 9 },
        { name: 'vigil_errors_total', labels: { tenant: 'a', code: 'PARSE' }, value: errors },
      ],
    });
    expect(receiverRates(undefined, reading(0, 10), new Set(['a']))).toEqual([
      { tenant: 'a', receiver: 'bulk', total: 10, errors: 0 },
    ]);
    const rates = receiverRates(reading(0, 10), reading(10_000, 60), new Set(['a']));
    expect(rates).toEqual([{ tenant: 'a', receiver: 'bulk', total: 60, rate: 5, errors: 0 }]);

    const ev = (tenant: string, at: number): StoredEvent => ({
      id: 'e',
      tenant,
      ts: null,
      received_at: new Date(at).toISOString(),
      source: {},
      format: 'json',
      receiver: 'bulk',
      host: 'h1',
      user: null,
      fields: {},
    });
    const t = tenantIngest(
      ['a', 'quiet', 'never'],
      [
        { tenant: 'a', event: ev('a', NOW - 60_000), loaded: true },
        { tenant: 'quiet', event: ev('quiet', NOW - 2 * 3_600_000), loaded: true },
        { tenant: 'never', event: undefined, loaded: true },
      ],
      rates,
      NOW,
    );
    expect(t.map((x) => [x.tenant, x.state, x.rate])).toEqual([
      ['never', 'silent', undefined],
      ['quiet', 'quiet', undefined],
      ['a', 'ok', 5],
    ]);
    const erring = receiverRates(reading(0, 10), reading(10_000, 60, 3), new Set(['a']));
    expect(
      tenantIngest(['a'], [{ tenant: 'a', event: ev('a', NOW), loaded: true }], erring, NOW)[0]
        ?.state,
    ).toBe('errors');
  });

  it('polls every 15 s unless the page asks for 2 to 300 s with ?refresh=', () => {
    expect(pollFromSearch('')).toBe(15_000);
    expect(pollFromSearch('?refresh=5')).toBe(5_000);
    expect(pollFromSearch('?q=x&refresh=0.5')).toBe(2_000);
    expect(pollFromSearch('?refresh=86400')).toBe(300_000);
    expect(pollFromSearch('?refresh=soon')).toBe(15_000);
    expect(pollFromSearch('?refresh=-3')).toBe(15_000);
  });
});
