import { describe, expect, it } from 'vitest';
import { scoreIncident, type ScoredAlert } from './score.ts';

const NOW = Date.UTC(2026, 10, 28, 12, 0, 0);
const a = (over: Partial<ScoredAlert>): ScoredAlert => ({
  level: 'medium',
  tags: [],
  ts: NOW - 60_000,
  ...over,
});

describe('scoreIncident', () => {
  it('adds readable terms up to at most 100', () => {
    const s = scoreIncident({
      now: NOW,
      assets: { dc01: ['domain_controller'] },
      alerts: [
        a({
          level: 'critical',
          status: 'stable',
          tags: ['attack.initial-access', 'attack.t1566.001'],
          host: 'ws01',
          user: 'alice',
        }),
        a({
          level: 'high',
          tags: ['attack.credential-access', 'attack.t1003.001'],
          host: 'ws01',
          user: 'alice',
        }),
        a({ level: 'high', tags: ['attack.lateral-movement'], host: 'dc01', user: 'admin' }),
        a({ level: 'high', tags: ['attack.impact', 'attack.t1486'], host: 'srv02', user: 'admin' }),
      ],
    });
    const byName = Object.fromEntries(s.terms.map((t) => [t.name, t]));
    expect(byName['severity']).toMatchObject({ points: 30, why: 'highest rule level: critical' });
    expect(byName['kill_chain']?.why).toMatch(
      /^4 tactic\(s\), furthest: impact \(initial-access → credential-access → lateral-movement → impact\)$/,
    );
    expect(byName['kill_chain']?.points).toBe(20);
    expect(byName['breadth']).toMatchObject({ points: 11, why: '3 host(s), 2 user(s)' });
    expect(byName['asset_criticality']).toMatchObject({
      points: 15,
      why: 'dc01 is tagged domain_controller',
    });
    expect(byName['confidence']?.points).toBe(10);
    expect(byName['recency']?.points).toBe(10);
    expect(s.score).toBe(96);
    expect(s.score).toBe(s.terms.reduce((n, t) => n + t.points, 0));
    for (const t of s.terms) expect(t.points).toBeLessThanOrEqual(t.max);
    expect(s.terms.reduce((n, t) => n + t.max, 0)).toBe(100);
  });

  it('ranks an old, single-host, low-level, partly suppressed incident far lower', () => {
    const s = scoreIncident({
      now: NOW,
      suppressed: 4,
      alerts: [
        a({
          level: 'low',
          status: 'experimental',
          tags: ['attack.discovery'],
          host: 'ws09',
          ts: NOW - 10 * 86_400_000,
        }),
      ],
    });
    const byName = Object.fromEntries(s.terms.map((t) => [t.name, t.points]));
    expect(byName).toMatchObject({
      severity: 8,
      breadth: 0,
      asset_criticality: 0,
      confidence: 1,
      recency: 0,
    });
    expect(s.score).toBeLessThan(25);
    expect(s.terms.find((t) => t.name === 'confidence')?.why).toContain(
      '4 hit(s) of its rules suppressed',
    );
  });
});
