/** Tests for reference checks across correlation rules: unknown rules, shared names, loops. */
import { describe, expect, it } from 'vitest';
import { formatLocation } from '../../../core/index.ts';
import type { Issue } from '../../../core/index.ts';
import { compileCorrelation } from './compile.ts';
import { checkReferences } from './references.ts';
import { ruleDocuments } from './test-yaml.ts';
import type { CorrelationRule } from './types.ts';

function compileAll(yaml: string): CorrelationRule[] {
  return ruleDocuments(yaml, 'mr_chain.yml').map((doc) => {
    const r = compileCorrelation(doc);
    if (!r.ok) throw new Error(r.issues.map((i) => i.message).join('\n'));
    return r.value;
  });
}

function show(issues: readonly Issue[]): string {
  return issues
    .map((i) => `${i.severity} ${i.at ? formatLocation(i.at) : '?'}: ${i.message}`)
    .join('\n');
}

const known = new Set(['failed_login', '53ba33fd-3a50-4468-a5ef-c583635cfa92', 'successful_login']);
const isKnown = (ref: string): boolean => known.has(ref);

describe('checkReferences', () => {
  it('accepts a chain whose leaves are known rules', () => {
    const cs = compileAll(`
title: Outer
correlation:
  type: temporal_ordered
  rules: [multiple_failed_login, successful_login]
  group-by: [User]
  timespan: 10m
---
title: Inner
name: multiple_failed_login
correlation:
  type: event_count
  rules: [53ba33fd-3a50-4468-a5ef-c583635cfa92]
  group-by: [User]
  timespan: 10m
  condition: { gte: 10 }
`);
    expect(checkReferences(cs, isKnown)).toEqual([]);
  });

  it('reports unknown references at their list entry', () => {
    const cs = compileAll(`
title: Typo
correlation:
  type: temporal
  rules:
    - failed_login
    - sucessful_login
  group-by: [User]
  timespan: 10m
`);
    expect(show(checkReferences(cs, isKnown))).toMatchInlineSnapshot(
      `"error mr_chain.yml:7:7 (correlation.rules.1): correlation "Typo" refers to rule "sucessful_login", which no loaded rule has as id or name"`,
    );
  });

  it('reports loops once, at the reference that closes them', () => {
    const cs = compileAll(`
title: A
name: a
correlation:
  type: event_count
  rules: [b]
  group-by: [User]
  timespan: 1h
  condition: { gte: 2 }
---
title: B
name: b
correlation:
  type: event_count
  rules: [failed_login, c]
  group-by: [User]
  timespan: 1h
  condition: { gte: 2 }
---
title: C
name: c
correlation:
  type: temporal
  rules: [a, successful_login]
  group-by: [User]
  timespan: 1h
---
title: Self
name: self
correlation:
  type: event_count
  rules: [self]
  group-by: [User]
  timespan: 1h
  condition: { gte: 2 }
`);
    expect(show(checkReferences(cs, isKnown))).toMatchInlineSnapshot(`
      "error mr_chain.yml:24:11 (correlation.rules.0): correlation chain loops: a → b → c → a
      error mr_chain.yml:32:11 (correlation.rules.0): correlation chain loops: self → self"
    `);
  });

  it('reports a correlation name that a detection rule has too', () => {
    const cs = compileAll(`
title: Clash
name: failed_login
correlation:
  type: event_count
  rules: [successful_login]
  group-by: [User]
  timespan: 1h
  condition: { gte: 2 }
`);
    expect(show(checkReferences(cs, isKnown))).toMatchInlineSnapshot(
      `"error mr_chain.yml:3:1 (name): correlation id or name "failed_login" is also a detection rule's id or name"`,
    );
  });

  it('reports a name that two correlations share', () => {
    const cs = compileAll(`
title: First
name: burst
correlation:
  type: event_count
  rules: [failed_login]
  group-by: [User]
  timespan: 1h
  condition: { gte: 2 }
---
title: Second
name: burst
correlation:
  type: event_count
  rules: [successful_login]
  group-by: [User]
  timespan: 1h
  condition: { gte: 2 }
`);
    expect(show(checkReferences(cs, isKnown))).toMatchInlineSnapshot(
      `"error mr_chain.yml:12:1 (name): correlation id or name "burst" is also used by "First""`,
    );
  });
});
