import { describe, expect, it } from 'vitest';
import type { AlertWithEvents, IncidentSummary } from '../api/types.ts';
import { toCsv } from './csv.ts';
import { exceptionDraft } from './exception.ts';
import { slaState } from './format.ts';
import { ruleMatrix } from './matrix.ts';
import { parseMetrics, severityBand } from './overview.ts';
import { matchRoute } from './router.tsx';

describe('console helpers', () => {
  it('routes paths to screens; anything else is not found', () => {
    expect(matchRoute('/')).toEqual({ name: 'overview' });
    expect(matchRoute('/incidents')).toEqual({ name: 'queue' });
    expect(matchRoute('/wall')).toEqual({ name: 'wall' });
    expect(matchRoute('/tenants/acme/incidents/abc')).toEqual({
      name: 'incident',
      tenant: 'acme',
      id: 'abc',
    });
    expect(matchRoute('/tenants/a%20b/alerts/x%2Fy')).toEqual({
      name: 'alert',
      tenant: 'a b',
      id: 'x/y',
    });
    expect(matchRoute('/constructor').name).toBe('not_found');
    expect(matchRoute('/tenants/acme/users/abc').name).toBe('not_found');
  });

  it('writes CSV that spreadsheets neither split nor run', () => {
    expect(
      toCsv([
        ['a', 'b,c', 'say "hi"'],
        ['=1+1', '-2', 'line\nbreak'],
      ]),
    ).toBe('a,"b,c","say ""hi"""\r\n"\'=1+1","\'-2","line\nbreak"\r\n');
  });

  it('prefills an exception from the fields the rule matched', () => {
    const a = {
      host: 'ws-1',
      user: 'bob',
      matched: { Image: 'C:\\x.exe', EventID: 1, list: ['first', 'second'], obj: { a: 1 } },
    } as unknown as AlertWithEvents;
    expect(exceptionDraft(a).conditions).toEqual([
      { field: 'Image', op: 'equals', value: 'C:\\x.exe', use: true },
      { field: 'EventID', op: 'equals', value: '1', use: true },
      { field: 'list', op: 'equals', value: 'first', use: true },
      { field: 'host.name', op: 'equals', value: 'ws-1', use: false },
      { field: 'user.name', op: 'equals', value: 'bob', use: false },
    ]);
  });

  it('shows the clock that matters: a breach first, else the next unmet one', () => {
    const now = Date.parse('2026-11-17T10:00:00Z');
    const clock = (due: string, extra = {}) => ({ target_min: 60, due, breached: false, ...extra });
    expect(slaState(undefined, now)).toBeUndefined();
    expect(
      slaState(
        {
          acknowledge: clock('2026-11-17T09:30:00Z', { met_at: '2026-11-17T09:10:00Z' }),
          contain: clock('2026-11-17T12:00:00Z'),
        },
        now,
      )?.label,
    ).toBe('2h 0m');
    expect(slaState({ contain: clock('2026-11-17T09:59:00Z') }, now)?.color).toBe('red');
    expect(slaState({ contain: clock('2026-11-17T10:10:00Z') }, now)?.color).toBe('orange');
  });

  it('reads Prometheus text and bands incidents without a severity by score', () => {
    const s = parseMetrics(
      '# HELP x\nvigil_events_in_total{receiver="bulk",tenant="a\\"b"} 12\nbad line\nup 1\n',
    );
    expect(s).toEqual([
      { name: 'vigil_events_in_total', labels: { receiver: 'bulk', tenant: 'a"b' }, value: 12 },
      { name: 'up', labels: {}, value: 1 },
    ]);
    const band = (score: number, severity?: IncidentSummary['severity']) =>
      severityBand(severity ? { score, severity } : { score });
    expect([band(85), band(60), band(41), band(20), band(3), band(99, 'low')]).toEqual([
      'critical',
      'high',
      'medium',
      'low',
      'informational',
      'low',
    ]);
  });

  it('builds the ATT&CK matrix from rule tags', () => {
    const m = ruleMatrix([
      { id: '1', title: 'A', tags: ['attack.execution', 'attack.t1059.001'] },
      {
        id: '2',
        title: 'B',
        tags: [
          'attack.execution',
          'attack.command_and_control',
          'attack.t1059.001',
          'attack.t1105',
        ],
      },
      { id: '3', title: 'C', tags: ['cve.2021-1'] },
    ]);
    expect(m.get('execution')).toEqual([
      { technique: 'T1059.001', rules: 2, titles: ['A', 'B'] },
      { technique: 'T1105', rules: 1, titles: ['B'] },
    ]);
    expect(m.get('command-and-control')?.map((c) => c.technique)).toEqual(['T1059.001', 'T1105']);
  });
});
