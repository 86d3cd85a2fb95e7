/**
 * The compiled matcher (IR → closures, prefilters, index) must agree with a naive interpreter that walks
 * the syntax tree directly, on generated detections and generated events.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { FieldValue, Fields, Scalar } from '../../core/index.ts';
import type { CondAst, DetectionAst, ItemAst, RawValue, SearchAst } from './ast.ts';
import { loadRules } from './load.ts';
import { RuleSet } from './match.ts';
import { parseRule, readDocuments } from './parse.ts';
import { event } from './test-helpers.ts';

// ---------------------------------------------------------------- the naive interpreter

function sigmaRegex(value: string, mods: readonly string[], keyword: boolean): RegExp {
  // Escapes: \* \? \\ are literals, any other backslash stays.
  let body = '';
  for (let i = 0; i < value.length; i++) {
    const c = value.charAt(i);
    const n = value.charAt(i + 1);
    if (c === '\\' && (n === '*' || n === '?' || n === '\\')) {
      body += n.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      i++;
    } else if (c === '*') body += '.*';
    else if (c === '?') body += '.';
    else body += c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  }
  const head = mods.includes('contains') || mods.includes('endswith') || keyword ? '.*' : '';
  const tail = mods.includes('contains') || mods.includes('startswith') || keyword ? '.*' : '';
  return new RegExp(`^${head}${body}${tail}$`, mods.includes('cased') ? 's' : 'si');
}

function elements(v: FieldValue | undefined): Scalar[] {
  if (v === undefined) return [];
  return Array.isArray(v) ? [...(v as readonly Scalar[])] : [v as Scalar];
}

function valueMatches(ev: FieldValue | undefined, rv: RawValue, mods: readonly string[]): boolean {
  if (rv === null) return ev === undefined || ev === null;
  return elements(ev).some((x) => {
    if (x === null) return false;
    if (mods[0] === 're') {
      return new RegExp(String(rv), mods.includes('i') ? 'i' : '').test(String(x));
    }
    const op = mods[0];
    if (op === 'gt' || op === 'lt') {
      const n =
        typeof x === 'number' ? x : typeof x === 'string' && x.trim() !== '' ? Number(x) : NaN;
      return op === 'gt' ? n > Number(rv) : n < Number(rv);
    }
    if (typeof rv === 'number' && mods.length === 0) return x === rv || x === String(rv);
    if (typeof rv === 'boolean') return x === rv || String(x).toLowerCase() === String(rv);
    const text = typeof x === 'string' ? x : String(x);
    return sigmaRegex(String(rv), mods, false).test(text);
  });
}

function naiveItem(item: ItemAst, fields: Fields): boolean {
  const mods = item.modifiers;
  if (mods.includes('exists')) return (fields[item.field ?? ''] !== undefined) === item.values[0];
  const all = mods.includes('all');
  const test = (rv: RawValue): boolean => {
    if (item.field === undefined) {
      return Object.values(fields).some((v) =>
        elements(v).some(
          (x) => typeof x === 'string' && sigmaRegex(String(rv), mods, true).test(x),
        ),
      );
    }
    return valueMatches(
      fields[item.field],
      rv,
      mods.filter((m) => m !== 'all' && m !== 'neq'),
    );
  };
  const values = item.values.length === 0 ? [null] : item.values;
  const r = all ? values.every(test) : values.some(test);
  return mods.includes('neq') ? !r : r;
}

function naiveSearch(s: SearchAst, fields: Fields): boolean {
  switch (s.kind) {
    case 'map':
      return s.items.every((i) => naiveItem(i, fields));
    case 'list':
      return s.of.some((x) => naiveSearch(x, fields));
    case 'keywords':
      return naiveItem(s.item, fields);
  }
}

function selects(pattern: string, name: string): boolean {
  if (pattern === 'them') return !name.startsWith('_');
  const re = new RegExp(
    '^' +
      pattern
        .split('*')
        .map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
        .join('.*') +
      '$',
  );
  return re.test(name) && (pattern.startsWith('_') || !name.startsWith('_'));
}

function naiveCond(c: CondAst, det: DetectionAst, fields: Fields): boolean {
  switch (c.k) {
    case 'id': {
      const s = det.searches.get(c.name);
      return s !== undefined && naiveSearch(s, fields);
    }
    case 'of': {
      const names = [...det.searches.keys()].filter((n) => selects(c.pattern, n));
      const hit = (n: string) => naiveCond({ k: 'id', name: n, at: c.at }, det, fields);
      return c.quant === 'all' ? names.every(hit) : names.some(hit);
    }
    case 'not':
      return !naiveCond(c.of, det, fields);
    case 'and':
      return c.of.every((x) => naiveCond(x, det, fields));
    case 'or':
      return c.of.some((x) => naiveCond(x, det, fields));
  }
}

// ---------------------------------------------------------------- generators

const FIELDS = ['A', 'B', 'C'];
// Tiny alphabets so that generated rule values and event values often meet.
const ruleString = fc.string({
  unit: fc.constantFrom('a', 'A', 'b', '*', '?', '\\'),
  maxLength: 3,
});
const eventString = fc.string({ unit: fc.constantFrom('a', 'A', 'b', '*', '\\'), maxLength: 4 });

const item = fc.oneof(
  {
    weight: 6,
    arbitrary: fc
      .record({
        field: fc.constantFrom(...FIELDS),
        pos: fc.constantFrom('', 'contains', 'startswith', 'endswith'),
        cased: fc.boolean(),
        all: fc.boolean(),
        neq: fc.boolean(),
        values: fc.array(ruleString, { minLength: 1, maxLength: 3 }),
      })
      .map((r) => {
        const mods = [
          r.pos,
          r.cased ? 'cased' : '',
          r.all && r.values.length > 1 ? 'all' : '',
          r.neq ? 'neq' : '',
        ].filter(Boolean);
        return {
          key: [r.field, ...mods].join('|'),
          value: r.values.length === 1 ? r.values[0] : r.values,
        };
      }),
  },
  fc
    .record({
      field: fc.constantFrom(...FIELDS),
      values: fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 2 }),
    })
    .map((r) => ({ key: r.field, value: r.values })),
  fc
    .record({ field: fc.constantFrom(...FIELDS), b: fc.boolean() })
    .map((r) => ({ key: r.field, value: r.b })),
  fc.constantFrom(...FIELDS).map((f) => ({ key: f, value: null })),
  fc
    .record({ field: fc.constantFrom(...FIELDS), b: fc.boolean() })
    .map((r) => ({ key: `${r.field}|exists`, value: r.b })),
  fc
    .record({
      field: fc.constantFrom(...FIELDS),
      i: fc.boolean(),
      values: fc.array(
        fc.constantFrom('a+b', '^a', 'b$', 'a.b', '(a|b)b', '[ab]A', 'ab|ba', 'aa*'),
        {
          minLength: 1,
          maxLength: 3,
        },
      ),
    })
    .map((r) => ({ key: `${r.field}|re${r.i ? '|i' : ''}`, value: r.values })),
  fc
    .record({
      field: fc.constantFrom(...FIELDS),
      op: fc.constantFrom('gt', 'lt'),
      n: fc.integer({ min: 0, max: 3 }),
    })
    .map((r) => ({ key: `${r.field}|${r.op}`, value: r.n })),
);

const mapSearch = fc
  .uniqueArray(item, { minLength: 1, maxLength: 2, selector: (i) => i.key })
  .map((items) => Object.fromEntries(items.map((i) => [i.key, i.value])));
const search = fc.oneof(
  mapSearch,
  fc.array(mapSearch, { minLength: 1, maxLength: 3 }),
  fc.array(fc.string({ unit: fc.constantFrom('a', 'b', 'x', '*'), minLength: 1, maxLength: 3 }), {
    minLength: 1,
    maxLength: 2,
  }),
);

const NAMES = ['sel_a', 'sel_b', 'filter_c'];
const condition: fc.Arbitrary<string> = fc.letrec<{ c: string }>((tie) => ({
  c: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constantFrom(...NAMES, '1 of sel_*', 'all of sel_*', '1 of them', 'all of them'),
    tie('c').map((x) => `not ${x}`),
    fc.tuple(tie('c'), tie('c')).map(([a, b]) => `(${a} and ${b})`),
    fc.tuple(tie('c'), tie('c')).map(([a, b]) => `(${a} or ${b})`),
  ),
})).c;

const scalar = fc.oneof(
  eventString,
  fc.integer({ min: 0, max: 3 }),
  fc.boolean(),
  fc.constant(null),
);
const fieldValue: fc.Arbitrary<FieldValue> = fc.oneof(
  { weight: 6, arbitrary: eventString },
  { weight: 2, arbitrary: scalar },
  { weight: 1, arbitrary: fc.array(scalar, { maxLength: 3 }) },
);
const fields = fc.record(
  { A: fieldValue, B: fieldValue, C: fieldValue, D: fieldValue },
  { requiredKeys: [] },
) as fc.Arbitrary<Fields>;

// ---------------------------------------------------------------- the property

const stats: [number, number] = [0, 0];
describe('compiled matcher vs naive interpreter', () => {
  it('agree on generated detections and events', () => {
    fc.assert(
      fc.property(
        fc.tuple(search, search, search),
        condition,
        fc.array(fields, { minLength: 1, maxLength: 12 }),
        ([a, b, c], cond, events) => {
          const detection = { sel_a: a, sel_b: b, filter_c: c, condition: cond };
          const text = `title: P\nlogsource: { product: test }\ndetection: ${JSON.stringify(detection)}\n`;
          const loaded = loadRules([{ file: 'p.yml', text }]);
          expect(loaded.issues.filter((i) => i.severity === 'error')).toEqual([]);
          const doc = readDocuments('p.yml', text).docs[0];
          const ast = doc ? parseRule(doc).rule : undefined;
          if (!ast) throw new Error('no AST');
          const set = new RuleSet(loaded.rules);
          for (const f of events) {
            const want = ast.detection.conditions.some((c) => naiveCond(c, ast.detection, f));
            stats[want ? 1 : 0] += 1;
            const got = set.match(event(f)).length > 0;
            if (got !== want) {
              throw new Error(
                `disagree on ${JSON.stringify(f)} with ${text}: compiled ${got}, naive ${want}`,
              );
            }
          }
        },
      ),
      { numRuns: 500 },
    );
    // Both outcomes must be common, or the property proves little.
    expect(Math.min(stats[0], stats[1])).toBeGreaterThan(200);
  });
});
