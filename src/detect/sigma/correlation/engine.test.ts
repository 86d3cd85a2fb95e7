/** Tests for the correlation engine: each type on hand-built detections with explicit timestamps. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Detection, Event, Fields, RuleRef } from '../../../core/index.ts';
import { compileCorrelation } from './compile.ts';
import { CorrelationEngine } from './engine.ts';
import type { CorrelationEngineOptions } from './engine.ts';
import { ruleDocuments } from './test-yaml.ts';
import type { CorrelationRule } from './types.ts';

const S = 1_000;
const M = 60 * S;

function ref(id: string, name?: string): RuleRef {
  return { id, ...(name !== undefined ? { name } : {}), title: id, level: 'low', tags: [] };
}

function ev(ts: number, fields: Fields, tenant = 't1'): Event {
  return { ts, tenant, source: {}, fields, origin: { format: 'test' } };
}

function det(rule: RuleRef, ts: number, fields: Fields, tenant = 't1'): Detection {
  return { rule, kind: 'event', ts, events: [ev(ts, fields, tenant)], matched: {} };
}

function correlations(yaml: string): CorrelationRule[] {
  return ruleDocuments(yaml, 'mr_test.yml').map((doc) => {
    const r = compileCorrelation(doc);
    if (!r.ok) throw new Error(r.issues.map((i) => i.message).join('\n'));
    return r.value;
  });
}

function engine(yaml: string, options?: CorrelationEngineOptions): CorrelationEngine {
  return new CorrelationEngine(correlations(yaml), options);
}

/** Pushes each detection; returns, per push, the ids of the correlation rules that fired. */
function run(e: CorrelationEngine, ds: readonly Detection[]): string[][] {
  return ds.map((d) => e.push(d).map((f) => f.rule.id));
}

const failed = ref('f-1', 'failed_login');
const success = ref('s-1', 'successful_login');

describe('event_count', () => {
  const yaml = `
title: Three failed logons
id: many
correlation:
  type: event_count
  rules: [failed_login]
  group-by: [User]
  timespan: 10s
  condition: { gte: 3 }
`;

  it('fires when the third detection lands exactly on the window boundary', () => {
    const e = engine(yaml);
    const out = [0, 5 * S, 10 * S].map((t) => e.push(det(failed, t, { User: 'bob', n: t })));
    expect(out.map((o) => o.length)).toEqual([0, 0, 1]);
    const d = out[2]![0]!;
    expect(d.kind).toBe('correlation');
    expect(d.rule).toMatchObject({ id: 'many', title: 'Three failed logons', level: 'medium' });
    expect(d.ts).toBe(10 * S);
    expect(d.group).toEqual({ User: 'bob' });
    expect(d.matched).toEqual({ User: 'bob', event_count: 3 });
    expect(d.events.map((x) => x.fields['n'])).toEqual([0, 5 * S, 10 * S]);
  });

  it('does not fire one millisecond past the boundary, and slides instead of bucketing', () => {
    const e = engine(yaml);
    const fired = run(e, [
      det(failed, 0, { User: 'bob' }),
      det(failed, 5 * S, { User: 'bob' }),
      det(failed, 10 * S + 1, { User: 'bob' }), // the first one left the window
      det(failed, 12 * S, { User: 'bob' }), // 5s, 10.001s, 12s: three within 10s
    ]);
    expect(fired).toEqual([[], [], [], ['many']]);
  });

  it('keeps groups apart and starts a group over after it fires', () => {
    const e = engine(yaml);
    const fired = run(e, [
      det(failed, 1, { User: 'bob' }),
      det(failed, 2, { User: 'eve' }),
      det(failed, 3, { User: 'bob' }),
      det(failed, 4, { User: 'eve' }),
      det(failed, 5, { User: 'bob' }),
      det(failed, 6, { User: 'bob' }), // bob starts over: 1 of 3
      det(failed, 7, { User: 'eve' }),
      det(failed, 8, { User: 'bob' }),
      det(failed, 9, { User: 'bob' }),
    ]);
    expect(fired).toEqual([[], [], [], [], ['many'], [], ['many'], [], ['many']]);
  });

  it('keeps tenants apart even with equal group values', () => {
    const e = engine(yaml);
    const fired = run(e, [
      det(failed, 1, { User: 'bob' }, 'acme'),
      det(failed, 2, { User: 'bob' }, 'globex'),
      det(failed, 3, { User: 'bob' }, 'acme'),
      det(failed, 4, { User: 'bob' }, 'globex'),
      det(failed, 5, { User: 'bob' }, 'acme'),
    ]);
    expect(fired).toEqual([[], [], [], [], ['many']]);
  });

  it('counts detections without the group-by field as ungrouped', () => {
    const e = engine(yaml);
    run(e, [det(failed, 1, { Other: 1 }), det(failed, 2, { User: null })]);
    expect(e.stats).toMatchObject({ detections: 2, ungrouped: 2, fired: 0 });
    expect(e.groupCount).toBe(0);
  });

  it('applies ranges and neq', () => {
    const range = engine(yaml.replace('{ gte: 3 }', '{ gt: 1, lte: 2 }'));
    expect(run(range, [det(failed, 1, { User: 'a' }), det(failed, 2, { User: 'a' })])).toEqual([
      [],
      ['many'],
    ]);
    const neq = engine(yaml.replace('{ gte: 3 }', '{ neq: 1 }'));
    expect(run(neq, [det(failed, 1, { User: 'a' }), det(failed, 2, { User: 'a' })])).toEqual([
      [],
      ['many'],
    ]);
    const eq = engine(yaml.replace('{ gte: 3 }', '{ eq: 2 }'));
    expect(
      run(
        eq,
        [1, 2, 3, 4].map((t) => det(failed, t, { User: 'a' })),
      ),
    ).toEqual([[], ['many'], [], ['many']]);
  });

  it('places slightly late detections in order and drops those older than the window', () => {
    const e = engine(yaml);
    expect(
      run(e, [
        det(failed, 10 * S, { User: 'bob' }),
        det(failed, 20 * S, { User: 'bob' }),
        det(failed, 5 * S, { User: 'bob' }), // 15s before the newest: outside the window, dropped
        det(failed, 15 * S, { User: 'bob' }), // late but inside: 10s, 15s, 20s
      ]),
    ).toEqual([[], [], [], ['many']]);
    expect(e.stats.late).toBe(1);
    const d = new CorrelationEngine(correlations(yaml));
    const out = [3 * S, 1 * S, 2 * S].flatMap((t) => d.push(det(failed, t, { User: 'x', t })));
    expect(out[0]!.events.map((x) => x.fields['t'])).toEqual([1 * S, 2 * S, 3 * S]);
    expect(out[0]!.ts).toBe(2 * S);
  });

  it('counts an event matched by two referenced rules once', () => {
    const e = engine(yaml.replace('rules: [failed_login]', 'rules: [failed_login, other]'));
    const other = ref('other');
    const out: string[][] = [];
    for (const t of [1, 2, 3]) {
      const hit = det(failed, t, { User: 'bob' });
      out.push(e.push(hit).map((d) => d.rule.id));
      out.push(e.push({ ...hit, rule: other }).map((d) => d.rule.id));
    }
    expect(out).toEqual([[], [], [], [], ['many'], []]);
    expect(e.stats.sameEvent).toBe(3);
    // the window started over without the event that completed it
    expect(run(e, [det(failed, 4, { User: 'bob' }), det(failed, 5, { User: 'bob' })])).toEqual([
      [],
      [],
    ]);
  });

  it('skips detections without a usable time', () => {
    const e = engine(yaml);
    run(e, [det(failed, Number.NaN, { User: 'bob' })]);
    expect(e.stats.untimed).toBe(1);
  });

  it('counts exactly up to the entry cap and keeps only the first and last events', () => {
    const big = engine(yaml.replace('{ gte: 3 }', '{ gte: 50 }'), {
      firstEvents: 2,
      lastEvents: 3,
    });
    const out = Array.from({ length: 50 }, (_, i) =>
      big.push(det(failed, i, { User: 'bob', i })),
    ).flat();
    expect(out).toHaveLength(1);
    expect(out[0]!.matched['event_count']).toBe(50);
    expect(out[0]!.events.map((x) => x.fields['i'])).toEqual([0, 1, 47, 48, 49]);

    const capped = engine(yaml.replace('{ gte: 3 }', '{ gte: 50 }'), { maxEntriesPerGroup: 10 });
    const none = Array.from({ length: 60 }, (_, i) =>
      capped.push(det(failed, i, { User: 'bob' })),
    ).flat();
    expect(none).toEqual([]);
    expect(capped.stats.dropped).toBe(50);
  });

  it('expires idle groups as time advances and bounds the number of groups', () => {
    const e = engine(yaml);
    for (let i = 0; i < 100; i++) e.push(det(failed, i, { User: `u${i}` }));
    expect(e.groupCount).toBe(100);
    e.push(det(failed, 10 * S + 50, { User: 'late' })); // groups u0..u49 ended more than 10s ago
    expect(e.groupCount).toBe(51);
    e.advance(60 * S);
    expect(e.groupCount).toBe(0);

    const small = engine(yaml, { maxGroupsPerRule: 10 });
    for (let i = 0; i < 100; i++) small.push(det(failed, i, { User: `u${i}` }));
    expect(small.groupCount).toBe(10);
    expect(small.stats.evictedGroups).toBe(90);
  });

  it('does not let one tenant expire the groups of a tenant that is behind', () => {
    const e = engine(yaml);
    run(e, [
      det(failed, 0, { User: 'bob' }, 'backlog'),
      det(failed, 1, { User: 'bob' }, 'backlog'),
    ]);
    e.push(det(failed, 60 * M, { User: 'bob' }, 'live'));
    expect(e.push(det(failed, 2, { User: 'bob' }, 'backlog'))).toHaveLength(1);
  });
});

describe('value_count', () => {
  const yaml = `
title: Password spraying
id: spray
correlation:
  type: value_count
  rules: [failed_login]
  group-by: [IpAddress]
  timespan: 1m
  condition: { field: TargetUserName, gte: 3 }
`;

  it('counts distinct values in the window', () => {
    const e = engine(yaml);
    const fired = run(e, [
      det(failed, 0, { IpAddress: '10.0.0.1', TargetUserName: 'a' }),
      det(failed, 1 * S, { IpAddress: '10.0.0.1', TargetUserName: 'b' }),
      det(failed, 2 * S, { IpAddress: '10.0.0.1', TargetUserName: 'b' }),
      det(failed, 3 * S, { IpAddress: '10.0.0.2', TargetUserName: 'c' }),
      det(failed, 61 * S, { IpAddress: '10.0.0.1', TargetUserName: 'c' }), // a at 0s left the window
      det(failed, 62 * S, { IpAddress: '10.0.0.1', TargetUserName: 'd' }), // b at 1s left too: b, c, d
    ]);
    expect(fired).toEqual([[], [], [], [], [], ['spray']]);
  });

  it('reports the distinct count and skips detections without the field', () => {
    const e = engine(yaml);
    const out = [
      det(failed, 0, { IpAddress: 'x', TargetUserName: 'a' }),
      det(failed, 1, { IpAddress: 'x' }),
      det(failed, 2, { IpAddress: 'x', TargetUserName: 'b' }),
      det(failed, 3, { IpAddress: 'x', TargetUserName: 'c' }),
    ].flatMap((d) => e.push(d));
    expect(out[0]!.matched).toEqual({ IpAddress: 'x', value_count: 3 });
    expect(e.stats.noValue).toBe(1);
  });

  it('counts distinct combinations of several fields', () => {
    const e = engine(yaml.replace('field: TargetUserName', 'field: [User, Domain]'));
    const fired = run(e, [
      det(failed, 0, { IpAddress: 'x', User: 'a', Domain: 'D1' }),
      det(failed, 1, { IpAddress: 'x', User: 'a', Domain: 'D2' }),
      det(failed, 2, { IpAddress: 'x', User: 'a', Domain: 'D1' }),
      det(failed, 3, { IpAddress: 'x', User: 'b', Domain: 'D1' }),
    ]);
    expect(fired).toEqual([[], [], [], ['spray']]);
  });
});

describe('temporal', () => {
  const recon = ['whoami', 'net_user', 'ipconfig'].map((n) => ref(`id-${n}`, n));
  const [a, b, c] = recon as [RuleRef, RuleRef, RuleRef];
  const yaml = `
title: Recon commands
id: recon
correlation:
  type: temporal
  rules: [whoami, net_user, id-ipconfig]
  group-by: [Computer]
  timespan: 5m
`;

  it('fires once every rule matched in the window, in any order', () => {
    const e = engine(yaml);
    const fired = run(e, [
      det(c, 0, { Computer: 'pc1' }),
      det(a, 1 * M, { Computer: 'pc1' }),
      det(a, 2 * M, { Computer: 'pc2' }),
      det(b, 5 * M, { Computer: 'pc1' }), // c at 0 is exactly 5 minutes old: still inside
    ]);
    expect(fired).toEqual([[], [], [], ['recon']]);
  });

  it('needs every rule inside one window', () => {
    const e = engine(yaml);
    const fired = run(e, [
      det(a, 0, { Computer: 'pc1' }),
      det(b, 1 * M, { Computer: 'pc1' }),
      det(c, 6 * M, { Computer: 'pc1' }), // a left the window
      det(a, 7 * M, { Computer: 'pc1' }), // b left the window too
      det(b, 8 * M, { Computer: 'pc1' }),
    ]);
    expect(fired).toEqual([[], [], [], [], ['recon']]);
  });

  it('counts rules, not detections, against an explicit condition', () => {
    const e = engine(yaml.replace('timespan: 5m', 'timespan: 5m\n  condition: { gte: 2 }'));
    const fired = run(e, [
      det(a, 0, { Computer: 'pc1' }),
      det(a, 1, { Computer: 'pc1' }),
      det(c, 2, { Computer: 'pc1' }),
    ]);
    expect(fired).toEqual([[], [], ['recon']]);
  });

  it('joins differently named fields through aliases', () => {
    const internal = ref('ie', 'internal_error');
    const conn = ref('nc', 'new_network_connection');
    const e = engine(`
title: Error then connection back
id: alias
correlation:
  type: temporal
  rules: [internal_error, new_network_connection]
  group-by: [internal_ip, remote_ip]
  timespan: 10s
  aliases:
    internal_ip:
      internal_error: destination.ip
      new_network_connection: source.ip
    remote_ip:
      internal_error: source.ip
      new_network_connection: destination.ip
`);
    const fired = e.push(
      det(internal, 0, { 'destination.ip': '10.1.1.1', 'source.ip': '8.8.8.8' }),
    );
    expect(fired).toEqual([]);
    // same field names but swapped roles: a different group
    expect(
      e.push(det(conn, 1 * S, { 'source.ip': '8.8.8.8', 'destination.ip': '10.1.1.1' })),
    ).toEqual([]);
    const out = e.push(det(conn, 2 * S, { 'source.ip': '10.1.1.1', 'destination.ip': '8.8.8.8' }));
    expect(out).toHaveLength(1);
    expect(out[0]!.group).toEqual({ internal_ip: '10.1.1.1', remote_ip: '8.8.8.8' });
    expect(out[0]!.events).toHaveLength(2);
  });
});

describe('temporal_ordered', () => {
  const [a, b, c] = ['a', 'b', 'c'].map((n) => ref(n)) as [RuleRef, RuleRef, RuleRef];
  const yaml = `
title: Ordered
id: ord
correlation:
  type: temporal_ordered
  rules: [a, b, c]
  group-by: [User]
  timespan: 1h
`;
  const u = { User: 'bob' };

  it('fires only when the rules matched in the listed order', () => {
    expect(run(engine(yaml), [det(c, 1, u), det(b, 2, u), det(a, 3, u)])).toEqual([[], [], []]);
    expect(run(engine(yaml), [det(a, 1, u), det(c, 2, u), det(b, 3, u)])).toEqual([[], [], []]);
    expect(run(engine(yaml), [det(a, 1, u), det(b, 2, u), det(c, 3, u)])).toEqual([
      [],
      [],
      ['ord'],
    ]);
  });

  it('finds the order among out-of-order noise', () => {
    const fired = run(engine(yaml), [
      det(b, 1, u),
      det(a, 2, u),
      det(c, 3, u),
      det(a, 4, u),
      det(c, 5, u), // a(2) b? none after 2 yet
      det(b, 6, u),
      det(c, 7, u), // a(2) b(6) c(7)
    ]);
    expect(fired).toEqual([[], [], [], [], [], [], ['ord']]);
  });

  it('orders by timestamp when a detection arrives a little late', () => {
    const fired = run(engine(yaml), [det(a, 1, u), det(c, 3, u), det(b, 2, u)]);
    expect(fired).toEqual([[], [], ['ord']]);
  });

  it('needs the whole sequence inside the timespan', () => {
    const fired = run(engine(yaml), [det(a, 0, u), det(b, 30 * M, u), det(c, 60 * M + 1, u)]);
    expect(fired).toEqual([[], [], []]);
  });
});

describe('value_sum, value_avg, value_percentile', () => {
  const web = ref('web-1', 'website_access');
  const base = (type: string, condition: string): string => `
title: Metric
id: metric
correlation:
  type: ${type}
  rules: [website_access]
  group-by: [SourceIP]
  timespan: 1h
  condition: ${condition}
`;

  it('value_sum adds a numeric field, numbers given as text included', () => {
    const e = engine(base('value_sum', '{ field: bytes_sent, gt: 1000 }'));
    const out = [
      det(web, 0, { SourceIP: 'x', bytes_sent: 400 }),
      det(web, 1, { SourceIP: 'x', bytes_sent: 'lots' }),
      det(web, 2, { SourceIP: 'x', bytes_sent: '500' }),
      det(web, 3, { SourceIP: 'x', bytes_sent: 101 }),
    ].map((d) => e.push(d));
    expect(out.map((o) => o.length)).toEqual([0, 0, 0, 1]);
    expect(out[3]![0]!.matched['value_sum']).toBe(1001);
    expect(e.stats.noValue).toBe(1);
  });

  it('value_sum forgets what left the window', () => {
    const e = engine(base('value_sum', '{ field: n, gte: 10 }'));
    const fired = run(e, [
      det(web, 0, { SourceIP: 'x', n: 9 }),
      det(web, 60 * M + 1, { SourceIP: 'x', n: 1 }),
      det(web, 60 * M + 2, { SourceIP: 'x', n: 9 }),
    ]);
    expect(fired).toEqual([[], [], ['metric']]);
  });

  it('value_avg averages a numeric field', () => {
    const e = engine(base('value_avg', '{ field: BytesOut, gt: 500 }'));
    const out = [100, 800, 700].map((n, i) => e.push(det(web, i, { SourceIP: 'x', BytesOut: n })));
    expect(out.map((o) => o.length)).toEqual([0, 0, 1]);
    expect(out[2]![0]!.matched['value_avg']).toBeCloseTo(533.333, 2);
  });

  it('value_percentile with a percentile compares that percentile of the values', () => {
    const e = engine(base('value_percentile', '{ field: latency, percentile: 50, gte: 100 }'));
    const fired = run(
      e,
      [10, 20, 500, 600].map((n, i) => det(web, i, { SourceIP: 'x', latency: n })),
    );
    // medians: 10, 15, 20, then 260 (between 20 and 500)
    expect(fired).toEqual([[], [], [], ['metric']]);
    const p90 = engine(base('value_percentile', '{ field: latency, percentile: 90, gte: 100 }'));
    const out = [1, 2, 3, 4, 5, 6, 7, 8, 9, 1000].flatMap((n, i) =>
      p90.push(det(web, i, { SourceIP: 'x', latency: n })),
    );
    expect(out).toHaveLength(1);
    expect(out[0]!.matched['value_percentile']).toBeCloseTo(108.1, 5);
  });

  it('value_percentile without a percentile compares the share of the completing value', () => {
    const e = engine(base('value_percentile', '{ field: Image, lte: 10 }'));
    const common = Array.from({ length: 10 }, (_, i) =>
      det(web, i, { SourceIP: 'x', Image: 'explorer.exe' }),
    );
    expect(run(e, common).flat()).toEqual([]); // share 100%
    const out = e.push(det(web, 20, { SourceIP: 'x', Image: 'mimikatz.exe' }));
    expect(out).toHaveLength(1);
    expect(out[0]!.matched['value_percentile']).toBeCloseTo(100 / 11, 5);
  });
});

describe('chaining, generate and references', () => {
  const yaml = `
title: Many failed logons, then a success
id: outer
level: high
correlation:
  type: temporal_ordered
  rules: [multiple_failed_login, successful_login]
  group-by: [User]
  timespan: 10m
---
title: Multiple failed logons
id: inner
name: multiple_failed_login
correlation:
  type: event_count
  rules: [failed_login]
  group-by: [User]
  timespan: 10m
  condition: { gte: 3 }
`;

  it('feeds a correlation detection to the correlation chained on it', () => {
    const e = engine(yaml);
    const u = { User: 'bob' };
    const fired = run(e, [
      det(success, 0, u), // a success before the failures does not count
      det(failed, 1 * M, u),
      det(failed, 2 * M, u),
      det(failed, 3 * M, u), // inner fires
      det(success, 4 * M, u), // outer fires
    ]);
    expect(fired).toEqual([[], [], [], ['inner'], ['outer']]);
  });

  it('carries the inner events into the outer detection and ignores its own output pushed back', () => {
    const e = engine(yaml);
    const inner = [1, 2, 3].flatMap((t) => e.push(det(failed, t * M, { User: 'bob', t })));
    expect(inner).toHaveLength(1);
    expect(e.push(inner[0]!)).toEqual([]);
    const outer = e.push(det(success, 4 * M, { User: 'bob', t: 4 }));
    expect(outer).toHaveLength(1);
    expect(outer[0]!.rule).toMatchObject({ id: 'outer', level: 'high' });
    expect(outer[0]!.events.map((x) => x.fields['t'])).toEqual([1, 2, 3, 4]);
  });

  it('accepts correlation detections from elsewhere, grouping them by their group values', () => {
    const e = engine(yaml);
    const foreign: Detection = {
      rule: ref('inner', 'multiple_failed_login'),
      kind: 'correlation',
      ts: 0,
      events: [ev(0, { Whatever: 1 })],
      matched: {},
      group: { User: 'eve' },
    };
    expect(e.push(foreign)).toEqual([]);
    expect(e.push(det(success, 1, { User: 'eve' })).map((d) => d.rule.id)).toEqual(['outer']);
  });

  it('fires a chain in one push when the inner rule completes both', () => {
    const e = engine(`
title: Two bursts
id: outer2
correlation:
  type: event_count
  rules: [inner]
  group-by: [User]
  timespan: 1h
  condition: { gte: 2 }
---
title: Burst
id: inner
correlation:
  type: event_count
  rules: [failed_login]
  group-by: [User]
  timespan: 1h
  condition: { gte: 2 }
`);
    const fired = run(
      e,
      [1, 2, 3, 4].map((t) => det(failed, t, { User: 'bob' })),
    );
    expect(fired).toEqual([[], ['inner'], [], ['inner', 'outer2']]);
  });

  it('lists the base rules it needs and suppresses them unless generate is set', () => {
    const e = engine(yaml);
    expect([...e.referenced].sort()).toEqual(['failed_login', 'successful_login']);
    expect(e.shouldReport(failed)).toBe(false);
    expect(e.shouldReport(ref('inner', 'multiple_failed_login'))).toBe(false);
    expect(e.shouldReport(ref('outer'))).toBe(true);
    expect(e.shouldReport(ref('unrelated'))).toBe(true);
    const g = engine(yaml.replace('timespan: 10m\n---', 'timespan: 10m\n  generate: true\n---'));
    expect(g.shouldReport(success)).toBe(true);
    expect(g.shouldReport(failed)).toBe(false);
  });

  it('refers to rules by id as well as by name', () => {
    const e = engine(yaml.replace('[failed_login]', '[f-1]'));
    expect([...e.referenced].sort()).toEqual(['f-1', 'successful_login']);
    const fired = run(
      e,
      [1, 2, 3].map((t) => det(failed, t, { User: 'bob' })),
    );
    expect(fired).toEqual([[], [], ['inner']]);
  });

  it('stops a loop of correlations that refer to each other', () => {
    const e = engine(`
title: Self
id: self
correlation:
  type: event_count
  rules: [self, failed_login]
  group-by: [User]
  timespan: 1h
  condition: { gte: 1 }
`);
    const out = e.push(det(failed, 1, { User: 'bob' }));
    expect(out.length).toBeGreaterThan(0);
    expect(out.length).toBeLessThanOrEqual(2);
  });
});

describe('event_count and value_count agree with a naive interpreter', () => {
  /** Recomputes each window from scratch: keep what is within the span of the newest, fire, start over. */
  function naive(
    items: readonly { t: number; g: number; v: number }[],
    span: number,
    threshold: number,
    distinct: boolean,
  ): number[] {
    const windows = new Map<number, { t: number; v: number }[]>();
    const fired: number[] = [];
    items.forEach((it, i) => {
      const w = (windows.get(it.g) ?? []).filter((x) => x.t >= it.t - span);
      w.push(it);
      const n = distinct ? new Set(w.map((x) => x.v)).size : w.length;
      if (n >= threshold) {
        fired.push(i);
        windows.set(it.g, []);
      } else windows.set(it.g, w);
    });
    return fired;
  }

  for (const distinct of [false, true]) {
    it(distinct ? 'value_count' : 'event_count', () => {
      fc.assert(
        fc.property(
          fc.array(
            fc.record({
              dt: fc.integer({ min: 0, max: 4 }),
              g: fc.integer({ min: 0, max: 2 }),
              v: fc.integer({ min: 0, max: 3 }),
            }),
            { maxLength: 60 },
          ),
          fc.integer({ min: 1, max: 8 }),
          fc.integer({ min: 1, max: 4 }),
          (steps, span, threshold) => {
            let t = 0;
            const items = steps.map((s) => ({ t: (t += s.dt), g: s.g, v: s.v }));
            const e = engine(`
title: Naive
id: n
correlation:
  type: ${distinct ? 'value_count' : 'event_count'}
  rules: [failed_login]
  group-by: [g]
  timespan: ${span}s
  condition: { gte: ${threshold}${distinct ? ', field: v' : ''} }
`);
            const got = items.flatMap((it, i) =>
              e.push(det(failed, it.t * S, { g: it.g, v: it.v })).length > 0 ? [i] : [],
            );
            const want = naive(
              items.map((it) => ({ ...it, t: it.t * S })),
              span * S,
              threshold,
              distinct,
            );
            expect(got).toEqual(want);
          },
        ),
        { numRuns: 300 },
      );
    });
  }
});

describe('temporal and temporal_ordered agree with a naive interpreter', () => {
  const rules = ['a', 'b', 'c'].map((n) => ref(n));

  /** Keeps the window per group, fires when all rules (in order, if asked) are inside, then starts over. */
  function naive(
    items: readonly { t: number; g: number; r: number }[],
    span: number,
    ordered: boolean,
  ): number[] {
    const windows = new Map<number, { t: number; r: number }[]>();
    const fired: number[] = [];
    items.forEach((it, i) => {
      const w = (windows.get(it.g) ?? []).filter((x) => x.t >= it.t - span);
      w.push(it);
      let ok: boolean;
      if (ordered) {
        let pos = 0;
        for (const x of w) if (x.r === pos) pos++;
        ok = pos >= 3;
      } else ok = new Set(w.map((x) => x.r)).size === 3;
      if (ok) {
        fired.push(i);
        windows.set(it.g, []);
      } else windows.set(it.g, w);
    });
    return fired;
  }

  for (const ordered of [false, true]) {
    it(ordered ? 'temporal_ordered' : 'temporal', () => {
      fc.assert(
        fc.property(
          fc.array(
            fc.record({
              dt: fc.integer({ min: 0, max: 3 }),
              g: fc.integer({ min: 0, max: 1 }),
              r: fc.integer({ min: 0, max: 2 }),
            }),
            { maxLength: 60 },
          ),
          fc.integer({ min: 1, max: 6 }),
          (steps, span) => {
            let t = 0;
            const items = steps.map((s) => ({ t: (t += s.dt), g: s.g, r: s.r }));
            const e = engine(`
title: Naive
id: n
correlation:
  type: ${ordered ? 'temporal_ordered' : 'temporal'}
  rules: [a, b, c]
  group-by: [g]
  timespan: ${span}s
`);
            const got = items.flatMap((it, i) =>
              e.push(det(rules[it.r]!, it.t * S, { g: it.g })).length > 0 ? [i] : [],
            );
            expect(got).toEqual(
              naive(
                items.map((it) => ({ ...it, t: it.t * S })),
                span * S,
                ordered,
              ),
            );
          },
        ),
        { numRuns: 300 },
      );
    });
  }
});

describe('value_sum, value_avg and value_percentile agree with a naive interpreter', () => {
  const cases = {
    value_sum: (vs: number[]) => vs.reduce((a, b) => a + b, 0),
    value_avg: (vs: number[]) => vs.reduce((a, b) => a + b, 0) / vs.length,
    value_percentile: (vs: number[]) => {
      const s = [...vs].sort((a, b) => a - b);
      const pos = (s.length - 1) * 0.75;
      const lo = s[Math.floor(pos)]!;
      return lo + (s[Math.ceil(pos)]! - lo) * (pos - Math.floor(pos));
    },
  };
  for (const [type, agg] of Object.entries(cases)) {
    it(type, () => {
      fc.assert(
        fc.property(
          fc.array(
            fc.record({
              dt: fc.integer({ min: 0, max: 3 }),
              g: fc.integer({ min: 0, max: 1 }),
              v: fc.integer({ min: -5, max: 20 }),
            }),
            { maxLength: 50 },
          ),
          fc.integer({ min: 1, max: 6 }),
          fc.integer({ min: 0, max: 40 }),
          (steps, span, threshold) => {
            let t = 0;
            const items = steps.map((s) => ({ t: (t += s.dt) * S, g: s.g, v: s.v }));
            const percentile = type === 'value_percentile' ? ', percentile: 75' : '';
            const e = engine(`
title: Naive
id: n
correlation:
  type: ${type}
  rules: [failed_login]
  group-by: [g]
  timespan: ${span}s
  condition: { field: v, gte: ${threshold}${percentile} }
`);
            const got = items.flatMap((it, i) =>
              e.push(det(failed, it.t, { g: it.g, v: it.v })).length > 0 ? [i] : [],
            );
            const windows = new Map<number, { t: number; v: number }[]>();
            const want: number[] = [];
            items.forEach((it, i) => {
              const w = (windows.get(it.g) ?? []).filter((x) => x.t >= it.t - span * S);
              w.push(it);
              if (agg(w.map((x) => x.v)) >= threshold - 1e-9) {
                want.push(i);
                windows.set(it.g, []);
              } else windows.set(it.g, w);
            });
            expect(got).toEqual(want);
          },
        ),
        { numRuns: 300 },
      );
    });
  }
});
