import { describe, expect, it } from 'vitest';
import { loadRules } from './load.ts';
import { parseCondition, MAX_CONDITION_DEPTH } from './parse-condition.ts';
import type { CondAst } from './ast.ts';
import { readDocuments } from './parse.ts';
import { issueLines, load, ruleText } from './test-helpers.ts';

function cond(text: string): string {
  const r = parseCondition(text, { line: 1, col: 1 }, 'c.yml', 'detection.condition');
  if (!r.ok) return `error ${r.issue.at?.line}:${r.issue.at?.col} ${r.issue.message}`;
  const show = (a: CondAst): string => {
    switch (a.k) {
      case 'id':
        return a.name;
      case 'of':
        return `(${a.quant} of ${a.pattern})`;
      case 'not':
        return `(not ${show(a.of)})`;
      case 'and':
      case 'or':
        return `(${a.of.map(show).join(` ${a.k} `)})`;
    }
  };
  return show(r.value);
}

describe('condition parser', () => {
  it('binds not > and > or, left to right, with parentheses', () => {
    expect(cond('a or b and not c')).toBe('(a or (b and (not c)))');
    expect(cond('not a and b or c and d')).toBe('(((not a) and b) or (c and d))');
    expect(cond('(a or b) and c')).toBe('((a or b) and c)');
    expect(cond('not not a')).toBe('(not (not a))');
    expect(cond('a and b and c')).toBe('(a and b and c)');
  });

  it('reads 1 of / any of / all of patterns and them', () => {
    expect(cond('1 of sel* and not all of filter_*')).toBe(
      '((any of sel*) and (not (all of filter_*)))',
    );
    expect(cond('all of them')).toBe('(all of them)');
    expect(cond('any of them')).toBe('(any of them)');
  });

  it('reports errors at the offending token', () => {
    expect(cond('a and')).toBe('error 1:6 condition ends too early');
    expect(cond('a b')).toBe("error 1:3 unexpected 'b' after expression");
    expect(cond('(a or b')).toBe("error 1:8 expected ')'");
    expect(cond('sel*')).toBe("error 1:1 wildcard identifier 'sel*' needs '1 of' or 'all of'");
    expect(cond('a | count() > 5')).toBe(
      'error 1:3 aggregation with `|` was removed from Sigma; write a correlation rule instead',
    );
    expect(cond('a & b')).toBe("error 1:3 unexpected character '&' in condition");
    expect(cond('1 of')).toBe("error 1:5 expected an identifier pattern or 'them' after 'of'");
  });

  it('caps nesting depth instead of recursing without bound', () => {
    const deep = '('.repeat(MAX_CONDITION_DEPTH + 5) + 'a' + ')'.repeat(MAX_CONDITION_DEPTH + 5);
    expect(cond(deep)).toMatch(/nests deeper than 64 levels/);
    const nots = 'not '.repeat(10_000) + 'a';
    expect(cond(nots)).toMatch(/nests deeper than 64 levels/);
    expect(cond('('.repeat(10) + 'a' + ')'.repeat(10))).toBe('a');
  });
});

describe('rule documents', () => {
  it('locates YAML syntax errors', () => {
    const r = load('title: x\ndetection:\n  sel: [a\n  condition: sel\n');
    expect(issueLines(r)[0]).toMatch(/^rule\.yml:\d+:\d+ error SIGMA_YAML /);
    expect(r.rules).toHaveLength(0);
  });

  it('lists the first 20 YAML errors of a file and counts the rest (a hostile upload gets no megabyte list)', () => {
    const t0 = performance.now();
    const r = readDocuments('bad.yml', `title: x\na: ${'b: '.repeat(50_000)}\n`);
    expect(performance.now() - t0).toBeLessThan(5000);
    expect(r.issues).toHaveLength(21);
    expect(r.issues.slice(0, 20).every((i) => i.code === 'SIGMA_YAML' && i.at?.line === 2)).toBe(
      true,
    );
    expect(r.issues[20]?.message).toMatch(/^and \d+ more YAML errors in this file/);
  });

  it('collects every schema problem of a document, each located', () => {
    const r = load(`title: ''
id: not-a-uuid
status: wip
level: severe
tags:
  - attack.t1059
  - Bad Tag
logsource: windows
detection:
  sel:
    a: 1
  condition: sel and missing
`);
    expect(issueLines(r)).toMatchInlineSnapshot(`
      [
        "rule.yml:1:1 error SIGMA_SCHEMA 'title' is empty",
        "rule.yml:2:1 error SIGMA_SCHEMA 'id' must be a UUID, got 'not-a-uuid'",
        "rule.yml:3:1 error SIGMA_SCHEMA 'status' must be one of stable, test, experimental, deprecated, unsupported",
        "rule.yml:4:1 error SIGMA_SCHEMA 'level' must be one of informational, low, medium, high, critical",
        "rule.yml:7:5 warning SIGMA_SCHEMA tag 'Bad Tag' is not namespaced lowercase (e.g. attack.t1059)",
        "rule.yml:8:1 error SIGMA_SCHEMA 'logsource' must be a map",
        "rule.yml:12:22 error SIGMA_CONDITION condition names 'missing', which is not a search identifier",
      ]
    `);
  });

  it('requires title, logsource, detection and condition', () => {
    const r = load('id: 11111111-2222-4333-8444-555555555555\ndetection:\n  sel:\n    a: 1\n');
    expect(issueLines(r)).toMatchInlineSnapshot(`
      [
        "rule.yml:1:1 error SIGMA_SCHEMA missing 'title'",
        "rule.yml:1:1 error SIGMA_SCHEMA missing 'logsource'",
        "rule.yml:2:1 error SIGMA_SCHEMA missing 'detection.condition'",
      ]
    `);
  });

  it('reports a pattern that selects nothing, and a null in a value list', () => {
    const r = load(
      ruleText(`  sel:
    A:
      - x
      - null
  condition: 1 of filter_*`),
    );
    expect(issueLines(r)).toMatchInlineSnapshot(`
      [
        "rule.yml:10:5 error SIGMA_SCHEMA \`null\` cannot be part of a value list; use its own selection",
        "rule.yml:13:14 error SIGMA_CONDITION 'filter_*' selects no search identifier",
      ]
    `);
  });

  it('reports duplicate ids at the second one', () => {
    const text = ruleText(`  sel:
    a: 1
  condition: sel`);
    const r = loadRules([
      { file: 'a.yml', text },
      { file: 'b.yml', text },
    ]);
    expect(issueLines(r)).toMatchInlineSnapshot(`
      [
        "b.yml:2:1 error SIGMA_DUPLICATE_ID id 11111111-2222-4333-8444-555555555555 is already used at a.yml:2:1",
      ]
    `);
    expect(r.rules).toHaveLength(1);
  });

  it('keeps loading the other documents and files after a bad one', () => {
    const good = ruleText(`  sel:
    a: 1
  condition: sel`);
    const r = loadRules([
      { file: 'bad.yml', text: 'title: [' },
      { file: 'good.yml', text: good },
    ]);
    expect(r.rules).toHaveLength(1);
    expect(r.issues.some((i) => i.at?.file === 'bad.yml')).toBe(true);
  });

  it('reads multi-document files and action: global / repeat / reset collections', () => {
    const text = `action: global
title: Shared title
status: test
logsource:
  product: windows
detection:
  condition: sel
level: high
---
id: 11111111-1111-4111-8111-111111111111
logsource:
  category: process_creation
detection:
  sel:
    Image|endswith: '\\a.exe'
---
action: repeat
id: 22222222-2222-4222-8222-222222222222
detection:
  sel:
    Image|endswith: '\\b.exe'
---
action: reset
---
title: Standalone
id: 33333333-3333-4333-8333-333333333333
logsource:
  product: linux
detection:
  sel:
    x: 1
  condition: sel
`;
    const r = loadRules([{ file: 'multi.yml', text }]);
    expect(issueLines(r)).toEqual([]);
    expect(
      r.rules.map((x) => [x.ref.id, x.ref.title, x.logsource.product, x.logsource.category]),
    ).toEqual([
      ['11111111-1111-4111-8111-111111111111', 'Shared title', 'windows', 'process_creation'],
      ['22222222-2222-4222-8222-222222222222', 'Shared title', 'windows', 'process_creation'],
      ['33333333-3333-4333-8333-333333333333', 'Standalone', 'linux', undefined],
    ]);
    expect(r.documents).toBe(3);
  });

  it('locates keys and list items of each document of a file', () => {
    const { docs } = readDocuments('f.yml', 'a: 1\n---\nb:\n  - x\n  - y\n');
    expect(docs).toHaveLength(2);
    expect(docs[1]?.locate(['b', 1])).toEqual({ line: 5, col: 5 });
    expect(docs[1]?.locate(['b', 9])).toEqual({ line: 3, col: 1 });
    expect(docs[0]?.locate(['a'])).toEqual({ line: 1, col: 1 });
  });

  it('hands correlation documents to the correlation compiler', () => {
    const text = `${ruleText(
      `  sel:
    a: 1
  condition: sel`,
      'name: base_rule\n',
    )}---
title: Many
id: 44444444-4444-4444-8444-444444444444
correlation:
  type: event_count
  rules:
    - base_rule
  group-by:
    - User
  timespan: 5m
  condition:
    gte: 3
level: high
`;
    const r = loadRules([{ file: 'c.yml', text }]);
    expect(issueLines(r)).toEqual([]);
    expect(r.correlations.map((c) => [c.id, c.type, c.rules])).toEqual([
      ['44444444-4444-4444-8444-444444444444', 'event_count', ['base_rule']],
    ]);
  });
});

describe('logsource checks', () => {
  it('reports an empty logsource and a non-string part, each once', () => {
    const r = load(`title: x
logsource:
  definition: only a note
detection:
  sel: { a: 1 }
  condition: sel
---
title: y
logsource:
  product: [a]
detection:
  sel: { a: 1 }
  condition: sel
`);
    expect(issueLines(r)).toMatchInlineSnapshot(`
      [
        "rule.yml:2:1 error SIGMA_SCHEMA 'logsource' names no product, category or service",
        "rule.yml:10:3 error SIGMA_SCHEMA 'logsource.product' must be a string",
      ]
    `);
  });
});
