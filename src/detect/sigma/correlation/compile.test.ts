/** Tests for compiling correlation documents: accepted shapes, defaults, and located errors. */
import { describe, expect, it } from 'vitest';
import { formatLocation } from '../../../core/index.ts';
import { compileCorrelation, parseTimespan } from './compile.ts';
import { ruleDocument } from './test-yaml.ts';
import type { CorrelationRule } from './types.ts';

function compile(text: string): CorrelationRule {
  const r = compileCorrelation(ruleDocument(text, 'mr_test.yml'));
  if (!r.ok) throw new Error(r.issues.map((i) => i.message).join('\n'));
  return r.value;
}

/** Every issue as `severity file:line:col (path): message`, one per line. */
function problems(text: string): string {
  const r = compileCorrelation(ruleDocument(text, 'mr_test.yml'));
  const issues = r.ok ? (r.warnings ?? []) : r.issues;
  return issues
    .map((i) => `${i.severity} ${i.at ? formatLocation(i.at) : '?'}: ${i.message}`)
    .join('\n');
}

describe('compileCorrelation', () => {
  it('compiles an event_count rule with its metadata', () => {
    const c = compile(`
title: Many failed logons
id: 0e95725d-7320-415d-80f7-004da920fc11
name: many_failed
level: high
tags: [attack.credential_access, attack.t1110]
correlation:
  type: event_count
  rules:
    - 5638f7c0-ac70-491d-8465-2a65075e0d86
  group-by:
    - ComputerName
  timespan: 1h
  condition:
    gte: 100
`);
    expect(c).toMatchObject({
      id: '0e95725d-7320-415d-80f7-004da920fc11',
      name: 'many_failed',
      level: 'high',
      tags: ['attack.credential_access', 'attack.t1110'],
      type: 'event_count',
      rules: ['5638f7c0-ac70-491d-8465-2a65075e0d86'],
      groupBy: ['ComputerName'],
      timespanMs: 3_600_000,
      timespan: '1h',
      condition: [{ op: 'gte', value: 100 }],
      fields: [],
      aliases: {},
      generate: false,
      file: 'mr_test.yml',
      index: 0,
    });
    expect(c.rulesAt[0]).toMatchObject({ line: 10, col: 7 });
  });

  it('defaults temporal conditions to all referenced rules and level to medium', () => {
    const c = compile(`
title: Recon burst
correlation:
  type: temporal
  rules: [recon_a, recon_b, recon_c]
  group-by: [ComputerName, User]
  timespan: 5m
`);
    expect(c.condition).toEqual([{ op: 'gte', value: 3 }]);
    expect(c.level).toBe('medium');
    expect(c.id).toBe('mr_test.yml#0');
    expect(c.timespanMs).toBe(300_000);
  });

  it('reads ranges, value fields, aliases, generate and a single rule given as a string', () => {
    const c = compile(`
title: Distinct users per source
name: distinct_users
correlation:
  type: value_count
  rules: failed_logon
  group-by: [src]
  timespan: 1d
  generate: true
  aliases:
    src:
      failed_logon: IpAddress
  condition:
    field: [TargetUserName, TargetDomainName]
    gt: 100
    lte: 200
`);
    expect(c.id).toBe('distinct_users');
    expect(c.rules).toEqual(['failed_logon']);
    expect(c.fields).toEqual(['TargetUserName', 'TargetDomainName']);
    expect(c.field).toBe('TargetUserName');
    expect(c.condition).toEqual([
      { op: 'gt', value: 100 },
      { op: 'lte', value: 200 },
    ]);
    expect(c.aliases).toEqual({ src: { failed_logon: 'IpAddress' } });
    expect(c.generate).toBe(true);
    expect(c.timespanMs).toBe(86_400_000);
  });

  it('reads both value_percentile forms', () => {
    const withP = compile(`
title: Slow responses
correlation:
  type: value_percentile
  rules: [web]
  group-by: [host]
  timespan: 15m
  condition: { field: latency, percentile: 95, gte: 500 }
`);
    expect(withP).toMatchObject({ percentile: 95, percentileMode: 'percentile', field: 'latency' });
    const share = compile(`
title: Rare process per computer
correlation:
  type: value_percentile
  rules: [proc]
  group-by: [ComputerName]
  timespan: 24h
  condition: { field: Image, lte: 1 }
`);
    expect(share).toMatchObject({ percentileMode: 'share', field: 'Image' });
    expect(share.percentile).toBeUndefined();
  });

  it('parses timespans in s, m, h and d only', () => {
    expect(parseTimespan('30s')).toBe(30_000);
    expect(parseTimespan('90m')).toBe(5_400_000);
    expect(parseTimespan('2h')).toBe(7_200_000);
    expect(parseTimespan('7d')).toBe(604_800_000);
    for (const bad of ['0s', '1w', '1M', '1.5h', 'h', '10', '1H', ' 1h', '-1m']) {
      expect(parseTimespan(bad), bad).toBeUndefined();
    }
  });

  it('reports every structural problem at once, each located', () => {
    expect(
      problems(`
title: Broken
level: severe
correlation:
  type: event_cnt
  rules:
    - a
    - a
    - 7
  group-by: User
  timespan: 1w
  generate: "yes"
  condition:
    gte: ten
    over: 3
`),
    ).toMatchInlineSnapshot(`
      "error mr_test.yml:3:1 (level): level "severe" is not one of informational, low, medium, high, critical
      error mr_test.yml:5:3 (correlation.type): correlation.type string "event_cnt" is not one of event_count, value_count, temporal, temporal_ordered, value_sum, value_avg, value_percentile
      error mr_test.yml:8:7 (correlation.rules.1): correlation.rules lists "a" twice
      error mr_test.yml:9:7 (correlation.rules.2): correlation.rules[2] must be a non-empty string, not number 7
      error mr_test.yml:11:3 (correlation.timespan): correlation.timespan string "1w" must be a positive number and a unit s, m, h or d (e.g. 90m)
      error mr_test.yml:12:3 (correlation.generate): correlation.generate must be true or false, not string "yes"
      error mr_test.yml:13:3 (correlation.condition): correlation.condition needs one of gt, gte, lt, lte, eq, neq
      error mr_test.yml:14:5 (correlation.condition.gte): condition gte must be a number, not string "ten"
      error mr_test.yml:15:5 (correlation.condition.over): unknown condition key "over" (expected gt, gte, lt, lte, eq, neq, field, percentile)"
    `);
  });

  it('accepts empty tags and group-by lists but not an empty rules list', () => {
    expect(
      problems(`
title: Empty lists
tags: []
correlation:
  type: event_count
  rules: []
  group-by: []
  timespan: 1h
  condition: { gte: 2 }
`),
    ).toMatchInlineSnapshot(
      `"error mr_test.yml:6:3 (correlation.rules): correlation.rules must not be an empty list"`,
    );
  });

  it('reports missing required parts at the correlation key', () => {
    expect(
      problems(`
title: Empty
correlation:
  group-by: [User]
`),
    ).toMatchInlineSnapshot(`
      "error mr_test.yml:3:1 (correlation): correlation.type is required (event_count, value_count, temporal, temporal_ordered, value_sum, value_avg, value_percentile)
      error mr_test.yml:3:1 (correlation): correlation.rules is required: the ids or names of the rules to correlate
      error mr_test.yml:3:1 (correlation): correlation.timespan is required (e.g. 30s, 5m, 1h, 7d)"
    `);
  });

  it('reports type-specific condition problems', () => {
    expect(
      problems(`
title: Sum without field
correlation:
  type: value_sum
  rules: [web]
  group-by: [User]
  timespan: 1h
  condition:
    gt: 1000
    percentile: 50
`),
    ).toMatchInlineSnapshot(`
      "error mr_test.yml:8:3 (correlation.condition): type value_sum needs condition.field
      error mr_test.yml:10:5 (correlation.condition.percentile): condition.percentile belongs to type value_percentile only"
    `);
    expect(
      problems(`
title: Count without condition
correlation:
  type: event_count
  rules: [web]
  group-by: [User]
  timespan: 1h
`),
    ).toMatchInlineSnapshot(
      `"error mr_test.yml:3:1 (correlation.condition): correlation.condition is required for type event_count"`,
    );
    expect(
      problems(`
title: Extended condition
correlation:
  type: temporal
  rules: [a, b]
  group-by: [User]
  timespan: 1h
  condition: a and not b
`),
    ).toMatchInlineSnapshot(
      `"error mr_test.yml:8:3 (correlation.condition): correlation.condition must be a mapping such as {gte: 10}; boolean condition expressions are not part of Sigma 2.1"`,
    );
    expect(
      problems(`
title: Percentile out of range
correlation:
  type: value_percentile
  rules: [a]
  group-by: [User]
  timespan: 1h
  condition: { field: x, percentile: 101, gt: 1 }
`),
    ).toMatchInlineSnapshot(
      `"error mr_test.yml:8:26 (correlation.condition.percentile): condition.percentile must be a number from 0 to 100, not number 101"`,
    );
  });

  it('reports aliases that name rules the correlation does not list', () => {
    expect(
      problems(`
title: Alias trouble
correlation:
  type: temporal
  rules: [internal_error, new_connection]
  group-by: [internal_ip]
  timespan: 10s
  aliases:
    internal_ip:
      internal_error: destination.ip
      other_rule: source.ip
    unused:
      internal_error: source.ip
    broken: destination.ip
`),
    ).toMatchInlineSnapshot(`
      "error mr_test.yml:11:7 (correlation.aliases.internal_ip.other_rule): alias "internal_ip" maps rule "other_rule", which correlation.rules does not list
      warning mr_test.yml:12:5 (correlation.aliases.unused): alias "unused" is not used in group-by
      error mr_test.yml:14:5 (correlation.aliases.broken): alias "broken" must map rule names to field names"
    `);
  });

  it('warns about conditions that can never hold and fields that are ignored', () => {
    expect(
      problems(`
title: Impossible
correlation:
  type: event_count
  rules: [a]
  group-by: [User]
  timespan: 1h
  condition:
    gt: 10
    lt: 5
    field: User
`),
    ).toMatchInlineSnapshot(`
      "warning mr_test.yml:8:3 (correlation.condition): condition gt: 10, lt: 5 can never be true
      warning mr_test.yml:11:5 (correlation.condition.field): condition.field is ignored by type event_count"
    `);
    expect(
      problems(`
title: Too many for three rules
correlation:
  type: temporal_ordered
  rules: [a, b, c]
  timespan: 1h
  condition: { gte: 4 }
`),
    ).toMatchInlineSnapshot(`
      "warning mr_test.yml:3:1 (correlation): correlation.group-by is missing: all detections of a tenant form one group
      warning mr_test.yml:7:3 (correlation.condition): condition gte: 4 cannot hold for a count of 1 to 3 rules"
    `);
  });

  it('rejects a document that mixes detection and correlation, or has no mapping', () => {
    expect(
      problems(`
title: Mixed
logsource: { product: windows }
detection: { sel: { EventID: 1 }, condition: sel }
correlation: [event_count]
`),
    ).toMatchInlineSnapshot(`
      "error mr_test.yml:3:1 (logsource): a correlation rule has no logsource: split it into its own document
      error mr_test.yml:4:1 (detection): a correlation rule has no detection: split it into its own document
      error mr_test.yml:5:1 (correlation): correlation must be a mapping, not a list"
    `);
  });
});
