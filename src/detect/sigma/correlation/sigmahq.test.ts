/** Every correlation document in the SigmaHQ rule folders compiles, and the spec's chained example runs end to end. */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { Detection, RuleRef } from '../../../core/index.ts';
import { compileCorrelation } from './compile.ts';
import { CorrelationEngine } from './engine.ts';
import { checkReferences } from './references.ts';
import { ruleDocuments } from './test-yaml.ts';
import type { CorrelationRule } from './types.ts';

const SIGMA = fileURLToPath(new URL('../../../../../shared/data/sigma/', import.meta.url));

function ymlFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...ymlFiles(p));
    else if (entry.name.endsWith('.yml') || entry.name.endsWith('.yaml')) out.push(p);
  }
  return out;
}

describe('SigmaHQ rules', () => {
  it('compiles every document with a correlation key under rules*/', () => {
    const folders = readdirSync(SIGMA).filter((d) => d.startsWith('rules'));
    const files = folders.flatMap((d) => ymlFiles(join(SIGMA, d)));
    // The snapshot holds about 4,000 rule files; far fewer means the walk broke.
    expect(files.length).toBeGreaterThan(3000);
    const failures: string[] = [];
    let correlations = 0;
    for (const file of files) {
      const text = readFileSync(file, 'utf8');
      if (!/^correlation:/m.test(text)) continue;
      for (const doc of ruleDocuments(text, file)) {
        if (doc.value['correlation'] === undefined) continue;
        correlations++;
        const r = compileCorrelation(doc);
        if (!r.ok) failures.push(...r.issues.map((i) => `${file}: ${i.message}`));
      }
    }
    expect(failures).toEqual([]);
    // Record what the snapshot holds, so a change in it shows up in review.
    expect(correlations).toMatchInlineSnapshot(`0`);
  });
});

describe('the specification example: failed logons followed by a success', () => {
  const file = `
title: Correlation - Multiple Failed Logins Followed by Successful Login
id: b180ead8-d58f-40b2-ae54-c8940995b9b6
status: experimental
correlation:
    type: temporal_ordered
    rules:
        - multiple_failed_login
        - successful_login
    group-by:
        - User
    timespan: 10m
falsepositives:
    - Unlikely
level: high
---
title: Multiple failed logons
id: a8418a5a-5fc4-46b5-b23b-6c73beb19d41
name: multiple_failed_login
correlation:
    type: event_count
    rules:
        - failed_login
    group-by:
        - User
    timespan: 10m
    condition:
        gte: 10
---
title: Single failed login
id: 53ba33fd-3a50-4468-a5ef-c583635cfa92
name: failed_login
logsource: { product: windows, service: security }
detection:
    selection:
        EventID: [529, 4625]
    condition: selection
---
title: Successful login
id: 4d0a2c83-c62c-4ed4-b475-c7e23a9269b8
name: successful_login
logsource: { product: windows, service: security }
detection:
    selection:
        EventID: [528, 4624]
    condition: selection
`;

  it('compiles, resolves and fires once', () => {
    const docs = ruleDocuments(file, 'mr_failed_then_success.yml');
    const cs: CorrelationRule[] = [];
    const bases: RuleRef[] = [];
    for (const doc of docs) {
      const v = doc.value;
      if (v['correlation'] !== undefined) {
        const r = compileCorrelation(doc);
        expect(r.ok).toBe(true);
        if (r.ok) cs.push(r.value);
      } else {
        bases.push({
          id: String(v['id']),
          name: String(v['name']),
          title: String(v['title']),
          level: 'low',
          tags: [],
        });
      }
    }
    const names = new Set(bases.flatMap((b) => [b.id, b.name ?? '']));
    expect(checkReferences(cs, (r) => names.has(r))).toEqual([]);

    const engine = new CorrelationEngine(cs);
    expect([...engine.referenced].sort()).toEqual(['failed_login', 'successful_login']);
    const [failedRule, successRule] = bases as [RuleRef, RuleRef];
    const hit = (rule: RuleRef, ts: number, EventID: number): Detection => ({
      rule,
      kind: 'event',
      ts,
      events: [
        {
          ts,
          tenant: 'local',
          source: { product: 'windows', service: 'security' },
          fields: { EventID, User: 'admin' },
          origin: { format: 'test' },
        },
      ],
      matched: { EventID },
    });
    const out: Detection[] = [];
    for (let i = 0; i < 12; i++) out.push(...engine.push(hit(failedRule, i * 10_000, 4625)));
    out.push(...engine.push(hit(successRule, 125_000, 4624)));
    expect(out.map((d) => d.rule.title)).toEqual([
      'Multiple failed logons',
      'Correlation - Multiple Failed Logins Followed by Successful Login',
    ]);
    const final = out[1]!;
    expect(final.rule.level).toBe('high');
    expect(final.group).toEqual({ User: 'admin' });
    expect(final.events).toHaveLength(11);
    expect(bases.map((b) => engine.shouldReport(b))).toEqual([false, false]);
  });
});
