import { describe, expect, it } from 'vitest';
import type { IncidentSummary } from '../api/types.ts';
import {
  arrivalMessage,
  arrivals,
  columnsToHide,
  EMPTY_FILTER,
  filterFromSearch,
  filterQueue,
  filterToSearch,
  indexQueue,
  moveSelection,
  pickAnchor,
  type QueueFilter,
} from './queue.ts';

function inc(id: string, over: Partial<IncidentSummary> = {}): IncidentSummary {
  return {
    id,
    tenant: 'acme',
    title: `Incident ${id}`,
    score: 50,
    status: 'new',
    first_ts: '2026-11-17T09:00:00Z',
    last_ts: '2026-11-17T10:00:00Z',
    hosts: [{ name: 'ws-01.acme.local', state: 'infected', why: '' }],
    techniques: ['T1059.001'],
    tactics: ['execution'],
    alert_count: 3,
    ...over,
  };
}

const ids = (rows: { incident: IncidentSummary }[]): string[] => rows.map((r) => r.incident.id);

describe('the incident queue', () => {
  it('orders by score, then most recent activity, then id', () => {
    const rows = indexQueue([
      inc('b', { score: 40 }),
      inc('c', { score: 90 }),
      inc('a', { score: 40, last_ts: '2026-11-18T00:00:00Z' }),
      inc('d', { score: 40 }),
    ]);
    expect(ids(rows)).toEqual(['c', 'a', 'b', 'd']);
  });

  it('filters by every criterion and combines them', () => {
    const rows = indexQueue([
      inc('open-high', { severity: 'high', assignee: 'mia' }),
      inc('closed', { status: 'resolved', severity: 'critical' }),
      inc('low', { severity: 'low', tenant: 'beta' }),
      inc('dc', {
        severity: 'medium',
        hosts: [{ name: 'DC-01.corp', state: 'targeted', why: '' }],
        techniques: ['T1003'],
        tags: ['crown-jewel'],
      }),
    ]);
    const f = (over: Partial<QueueFilter>): string[] =>
      ids(filterQueue(rows, { ...EMPTY_FILTER, ...over }, 'mia')).sort();
    expect(f({})).toEqual(['dc', 'low', 'open-high']);
    expect(f({ status: 'all' })).toHaveLength(4);
    expect(f({ status: 'resolved' })).toEqual(['closed']);
    expect(f({ minSeverity: 'medium' })).toEqual(['dc', 'open-high']);
    expect(f({ assignee: 'me' })).toEqual(['open-high']);
    expect(f({ assignee: 'unassigned' })).toEqual(['dc', 'low']);
    expect(f({ tenants: ['beta'] })).toEqual(['low']);
    expect(f({ technique: 'T1059' })).toEqual(['low', 'open-high']);
    expect(f({ technique: 't1003' })).toEqual(['dc']);
    expect(f({ host: 'dc-01' })).toEqual(['dc']);
    expect(f({ text: 'CROWN' })).toEqual(['dc']);
    expect(f({ text: 'ws-01', minSeverity: 'high' })).toEqual(['open-high']);
    // a severity filter never shows incidents without one
    expect(
      filterQueue(indexQueue([inc('x')]), { ...EMPTY_FILTER, minSeverity: 'low' }, undefined),
    ).toEqual([]);
  });

  it('keeps a filter in the URL and reads it back; unknown values fall back', () => {
    const f: QueueFilter = {
      tenants: ['a', 'b'],
      status: 'contained',
      minSeverity: 'high',
      assignee: 'me',
      technique: 'T1021',
      host: 'srv',
      text: 'lateral move',
    };
    expect(filterFromSearch(new URLSearchParams(filterToSearch(f).slice(1)))).toEqual(f);
    expect(filterToSearch(EMPTY_FILTER)).toBe('');
    const bad = filterFromSearch(new URLSearchParams('status=nonsense&severity=extreme'));
    expect(bad.status).toBe('open');
    expect(bad.minSeverity).toBeUndefined();
  });

  it('moves the selection within bounds', () => {
    expect(moveSelection(-1, 1, 5)).toBe(0);
    expect(moveSelection(-1, -1, 5)).toBe(4);
    expect(moveSelection(4, 1, 5)).toBe(4);
    expect(moveSelection(0, -1, 5)).toBe(0);
    expect(moveSelection(2, 1, 5)).toBe(3);
    expect(moveSelection(0, 1, 0)).toBe(-1);
  });

  it('filters 10,000 incidents well under a frame budget', () => {
    const many = Array.from({ length: 10_000 }, (_, i) =>
      inc(`i${i}`, {
        score: i % 100,
        severity: (['low', 'medium', 'high', 'critical'] as const)[i % 4] ?? 'low',
        hosts: [{ name: `host-${i % 300}`, state: 'infected', why: '' }],
      }),
    );
    const rows = indexQueue(many);
    const t0 = performance.now();
    const out = filterQueue(
      rows,
      { ...EMPTY_FILTER, text: 'host-29', minSeverity: 'high' },
      undefined,
    );
    const ms = performance.now() - t0;
    expect(out.length).toBeGreaterThan(0);
    expect(out.every((r) => r.incident.hosts[0]?.name.startsWith('host-29'))).toBe(true);
    expect(ms).toBeLessThan(100);
  });
});

describe('live updates and layout', () => {
  const rows = indexQueue([
    inc('a', { score: 90 }),
    inc('b', { score: 80 }),
    inc('c', { score: 70 }),
    inc('d', { score: 60 }),
  ]);
  const view = { scrollTop: 0, height: 88, rowHeight: 44 };

  it('anchors the selected row while it is on screen, else the first row once scrolled', () => {
    expect(pickAnchor(rows, view, 'acme/b')).toEqual({ key: 'acme/b', index: 1 });
    // selected row off screen, list at the top: nothing to hold
    expect(pickAnchor(rows, view, 'acme/d')).toBeUndefined();
    expect(pickAnchor(rows, view, undefined)).toBeUndefined();
    // scrolled by two rows: c is the first row on screen
    expect(pickAnchor(rows, { ...view, scrollTop: 88 }, undefined)).toEqual({
      key: 'acme/c',
      index: 2,
    });
    expect(pickAnchor(rows, { ...view, scrollTop: 88 }, 'acme/d')).toEqual({
      key: 'acme/d',
      index: 3,
    });
  });

  it('finds what a poll brought in and says it in one sentence', () => {
    const known = new Set(['acme/a', 'acme/b']);
    const added = arrivals(known, [inc('a'), inc('x', { score: 40 }), inc('b'), inc('y')]);
    expect(added.map((i) => i.id)).toEqual(['x', 'y']);
    expect(arrivalMessage([])).toBe('');
    expect(arrivalMessage([inc('x', { score: 40 })])).toBe('1 new incident: Incident x, score 40');
    expect(arrivalMessage(added)).toBe('2 new incidents, the highest: Incident y, score 50');
    // the same id in another tenant is another incident
    expect(arrivals(known, [inc('a', { tenant: 'other' })])).toHaveLength(1);
  });

  it('hides columns in the order given until the rest fit', () => {
    const widths = { score: 64, hosts: 150, alerts: 58, last: 104 };
    expect(columnsToHide(widths, 2000, 240, ['alerts', 'last'])).toEqual([]);
    expect(columnsToHide(widths, 600, 240, ['alerts', 'last'])).toEqual(['alerts']);
    expect(columnsToHide(widths, 500, 240, ['alerts', 'last'])).toEqual(['alerts', 'last']);
    // nothing left to drop: the rest stays, however narrow
    expect(columnsToHide(widths, 100, 240, ['alerts', 'last'])).toEqual(['alerts', 'last']);
  });
});
