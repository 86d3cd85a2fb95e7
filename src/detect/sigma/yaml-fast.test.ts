/** Vigil's YAML reader must give exactly js-yaml's core-schema values, or decline. */
import { readFileSync } from 'node:fs';
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { CORE_SCHEMA, loadAll } from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { sigmaRuleFiles } from '../../../test/sigma-corpus.ts';
import { readYamlFast, WARM_UP } from './yaml-fast.ts';

const corpus = sigmaRuleFiles();

/** js-yaml's reading, or undefined when it throws. */
function reference(text: string): unknown[] | undefined {
  const values: unknown[] = [];
  try {
    loadAll(text, (v) => values.push(v), { schema: CORE_SCHEMA });
  } catch {
    return undefined;
  }
  return values;
}

/** A printed form that keeps types (-0, NaN, integer or string) and key order. */
function show(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return `[${v.map(show).join(',')}]`;
  switch (typeof v) {
    case 'string':
      return JSON.stringify(v);
    case 'number':
      return Object.is(v, -0) ? 'num:-0' : `num:${v}`;
    case 'boolean':
      return `bool:${v}`;
    case 'object':
      return `{${Object.entries(v)
        .map(([k, x]) => `${JSON.stringify(k)}:${show(x)}`)
        .join(',')}}`;
    case 'bigint':
    case 'function':
    case 'symbol':
    case 'undefined':
      return `?${typeof v}`;
  }
  return '?';
}

/**
 * Reads `text` both ways. Throws when this reader gives values js-yaml refuses or reads otherwise;
 * answers whether it gave values at all.
 */
function agrees(text: string): boolean {
  const mine = readYamlFast(text);
  if (mine === undefined) return false;
  const ref = reference(text);
  if (ref === undefined) throw new Error(`js-yaml refuses what was read: ${JSON.stringify(text)}`);
  if (show(mine) !== show(ref) || !isDeepStrictEqual(mine, ref)) {
    throw new Error(`${JSON.stringify(text)}\n  read: ${show(mine)}\n  js-yaml: ${show(ref)}`);
  }
  return true;
}

describe('readYamlFast over the rule corpus', () => {
  it('reads almost every SigmaHQ and Vigil rule file, always to js-yaml values', () => {
    expect(corpus.length).toBeGreaterThan(3800);
    let read = 0;
    const declined: string[] = [];
    for (const file of corpus) {
      if (agrees(readFileSync(file, 'utf8'))) read++;
      else declined.push(file);
    }
    console.log(`yaml-fast: read ${read} of ${corpus.length} rule files; declined:`, declined);
    expect(read / corpus.length).toBeGreaterThanOrEqual(0.98);
  });
});

describe('readYamlFast on hand-written cases', () => {
  const read = (text: string): unknown[] | undefined => {
    const v = readYamlFast(text);
    if (v !== undefined) expect(agrees(text)).toBe(true);
    return v;
  };

  it('folds multi-line plain scalars as js-yaml does', () => {
    expect(read('a: one\n  two\n\n  three\n\n\n   four\nb: 1\n')).toStrictEqual([
      { a: 'one two\nthree\n\nfour', b: 1 },
    ]);
    expect(read('- one\n two # c\n- x\n')).toStrictEqual([['one two', 'x']]);
    expect(read('k:\n  some text\n more\n')).toStrictEqual([{ k: 'some text more' }]);
    expect(read('a: b\n  - c\n')).toStrictEqual([{ a: 'b - c' }]);
    expect(read('a: b\n\n  c\nd: e\n\n')).toStrictEqual([{ a: 'b\nc', d: 'e' }]);
    expect(read('- a\n\n\n - b\n-\n')).toStrictEqual([['a\n\n- b', null]]);
    // A comment line ends the scalar; text after it at the same depth is an error to js-yaml.
    expect(read('a: b\n  # c\nd: e\n')).toStrictEqual([{ a: 'b', d: 'e' }]);
    expect(read('a: b\n  # c\n  d\n')).toBeUndefined();
    expect(read('a: b\n  c: d\n')).toBeUndefined();
  });

  it('keeps, clips and strips block scalars, literal and folded', () => {
    const body = '\n  one\n   two\n\n  three\n\n\nb: 1\n';
    expect(read(`a: |${body}`)).toStrictEqual([{ a: 'one\n two\n\nthree\n', b: 1 }]);
    expect(read(`a: |-${body}`)).toStrictEqual([{ a: 'one\n two\n\nthree', b: 1 }]);
    expect(read(`a: |+${body}`)).toStrictEqual([{ a: 'one\n two\n\nthree\n\n\n', b: 1 }]);
    expect(read(`a: >${body}`)).toStrictEqual([{ a: 'one\n two\n\nthree\n', b: 1 }]);
    expect(read('a: >\n  one\n  two\n\n  three\n')).toStrictEqual([{ a: 'one two\nthree\n' }]);
    expect(read('a: >-\n  x\n\n    y\n  z\n')).toStrictEqual([{ a: 'x\n\n  y\nz' }]);
    expect(read('- | # note\n  text\n- >+\n  t\n\n')).toStrictEqual([['text\n', 't\n\n']]);
    expect(read('a: |\nb: 1\n')).toStrictEqual([{ a: '', b: 1 }]);
    expect(read('a: |+\n\n\nb: 1\n')).toStrictEqual([{ a: '\n\n', b: 1 }]);
    expect(read('a: |\n    x\n  # less indented: ends it\nb: 1\n')).toStrictEqual([
      { a: 'x\n', b: 1 },
    ]);
    expect(read('a: |2\n   x\n')).toBeUndefined();
    expect(read('a: | x\n')).toBeUndefined();
  });

  it('reads quoted scalars with their escapes, and comments after them', () => {
    expect(read(`a: 'it''s # not a comment' # a comment\n`)).toStrictEqual([
      { a: "it's # not a comment" },
    ]);
    expect(
      read(
        'a: "\\t\\n\\\\\\"\\x41\\u263A\\U0001F600\\/\\ \\0\\e\\N\\_\\L\\P\\a\\b\\v\\f\\r\\\t"\n',
      ),
    ).toStrictEqual([{ a: '\t\n\\"A\u263A\u{1F600}/ \0\x1b\x85\xa0\u2028\u2029\x07\b\v\f\r\t' }]);
    expect(read(`'quoted key': "1"\n"k2": '2'\n`)).toStrictEqual([{ 'quoted key': '1', k2: '2' }]);
    expect(read('a: "\\q"\n')).toBeUndefined();
    expect(read("a: 'x'y\n")).toBeUndefined();
    expect(read("a: 'x': b\n")).toBeUndefined();
    expect(read("a: 'two\n  lines'\n")).toBeUndefined();
  });

  it('reads sequences under a key at its own indentation and sequences of mappings', () => {
    expect(read('a:\n- x\n- y\nb:\n  - z\n')).toStrictEqual([{ a: ['x', 'y'], b: ['z'] }]);
    expect(read('- a: 1\n  b:\n  - 2\n  c: 3\n-   d: 4\n    e: 5\n- - x\n  - y\n')).toStrictEqual([
      [{ a: 1, b: [2], c: 3 }, { d: 4, e: 5 }, ['x', 'y']],
    ]);
    expect(read('sel:\n    - CommandLine|contains|all:\n        - a\n        - b\n')).toStrictEqual(
      [{ sel: [{ 'CommandLine|contains|all': ['a', 'b'] }] }],
    );
    expect(read('f: [a, "b", \'c\', 1, [x], ]\n')).toStrictEqual([
      { f: ['a', 'b', 'c', 1, ['x']] },
    ]);
  });

  it('gives null for empty values and resolves core-schema scalars', () => {
    expect(read('a:\nb: # c\nc: ~\nd: Null\ne:\n- \n-\n')).toStrictEqual([
      { a: null, b: null, c: null, d: null, e: [null, null] },
    ]);
    expect(
      read('a: true\nb: False\nc: yes\nd: 007\ne: -00\nf: -0\ng: +12\nh: 2023-01-01\n'),
    ).toStrictEqual([{ a: true, b: false, c: 'yes', d: 7, e: -0, f: 0, g: 12, h: '2023-01-01' }]);
    expect(read('~: a\ntrue: b\n01: c\n')).toStrictEqual([{ null: 'a', true: 'b', 1: 'c' }]);
    for (const n of [
      '0x1F',
      '0o17',
      '0b1',
      '1.5',
      '1e3',
      '.inf',
      '-.Inf',
      '.nan',
      '99999999999999999999',
    ])
      expect(read(`a: ${n}\n`), n).toBeUndefined();
  });

  it('declines duplicate keys, anchors, tags and whatever js-yaml refuses', () => {
    for (const text of [
      'a: 1\na: 2\n',
      '1: a\n01: b\n',
      'a: &x 1\nb: *x\n',
      'a: !!str 1\n',
      '%YAML 1.2\n---\na: 1\n',
      '? a\n: b\n',
      'a: {b: 1}\n',
      'a: [b: 1]\n',
      '__proto__: 1\n',
      '<<: 1\n',
      'a: - x\n',
      'a:\n  b: 1\n c: 2\n',
      'a:\n\tb: 1\n',
      'a:\n    b: 1\n  c: 2\n',
      'a: "\\U00110000"\n',
      'a: "x\u0001"\n',
      'a: b\u2028c\n',
      'a: \ud800\n',
      'a: b\rc: d\n',
      `${Array.from({ length: 120 }, (_, i) => `${' '.repeat(i)}k${i}:\n`).join('')}${' '.repeat(120)}v\n`,
      `${'- '.repeat(120)}x\n`,
      `a: ${'['.repeat(120)}${']'.repeat(120)}\n`,
      'a: b: c\n',
      'a: 1\n...\n',
      '---x\n',
      'just a scalar\n',
      '# only a comment\n',
      '',
    ])
      expect(read(text), JSON.stringify(text)).toBeUndefined();
  });

  it('reads its own warm-up text, which must take the common branches to be any use', () => {
    const docs = read(WARM_UP);
    expect(docs?.length).toBe(2);
  });

  it('splits documents as js-yaml does', () => {
    expect(read('a: 1\n---\nb: 2\n')).toStrictEqual([{ a: 1 }, { b: 2 }]);
    expect(read('# c\n---\na: 1\n')).toStrictEqual([{ a: 1 }]);
    expect(read('a: 1\n---\n')).toStrictEqual([{ a: 1 }, null]);
    expect(read('--- # c\na: 1\n---\n---\nb: |\n  x\n')).toStrictEqual([
      { a: 1 },
      null,
      { b: 'x\n' },
    ]);
    expect(read('a: 1\r\nb:\r\n  - x\r\n')).toStrictEqual([{ a: 1, b: ['x'] }]);
    expect(read('\uFEFFa: 1')).toStrictEqual([{ a: 1 }]);
  });
});

describe('readYamlFast on generated text', () => {
  /** Mostly what rule files hold, sometimes what the reader must decline or js-yaml refuses. */
  const mostly = <T>(good: fc.Arbitrary<T>, odd: fc.Arbitrary<T>, weight = 8): fc.Arbitrary<T> =>
    fc.oneof({ weight, arbitrary: good }, { weight: 1, arbitrary: odd });
  const goodKeys = fc.constantFrom(
    'a',
    'b',
    'c',
    'd',
    'Image|endswith',
    'x y',
    'a:b',
    'a#b',
    '-x',
    '?x',
    ':x',
  );
  const oddKeys = fc.constantFrom(
    "'q'",
    '"dq"',
    "''",
    '1',
    '01',
    '~',
    'null',
    'True',
    '1.5',
    '__proto__',
    '<<',
    '&a k',
    '[k]',
    'a ',
    'a #c',
    '? k',
    '- k',
    '!t k',
    '"a\\qb"',
    "'open",
  );
  const keys = mostly(goodKeys, oddKeys);
  const goodScalars = fc.constantFrom(
    'plain',
    'two words',
    'C:\\Windows\\x.exe',
    'a:b',
    'a#c',
    'null',
    '~',
    'true',
    'FALSE',
    'yes',
    '0',
    '-0',
    '-00',
    '007',
    '42',
    '+42',
    '2023-01-01',
    '10.0.0.1',
    "'single'",
    "'it''s'",
    "''",
    '"double"',
    '"e\\t\\n\\\\\\"\\x41\\u263a\\U0001F600\\/"',
    '[a, b]',
    '[1, \'x\', "y", [z]]',
    '[]',
    'x # c',
    "'x' # c",
  );
  const oddScalars = fc.constantFrom(
    '*.exe',
    'a: b',
    'a #c',
    'a\tb',
    'x ',
    '123456789012345',
    '12345678901234567890',
    '0x1F',
    '0o7',
    '0b10',
    '0b',
    '1.5',
    '1.',
    '.5',
    '1e3',
    '.inf',
    '-.INF',
    '.nan',
    '1_000',
    "'a' b",
    "'open",
    '"\\q"',
    '"\\x4"',
    "'a'#c",
    '[a,]',
    '[,a]',
    '[a b]',
    '[a: b]',
    "['a' 'b']",
    '[[a] b]',
    '[a [b]]',
    '[a]]',
    '[a',
    '{a: 1}',
    '&x a',
    '*x',
    '!t a',
    '%x',
    '@x',
    '`x',
    '- x',
    '-',
    '? x',
    ': x',
    '---',
    '...',
  );
  const scalars = mostly(goodScalars, oddScalars);
  const blockHeaders = mostly(
    fc.constantFrom('|', '>', '|-', '>-', '|+', '>+', '| # c'),
    fc.constantFrom('|2', '|-+', '|x', '|#c'),
  );
  const tails = mostly(fc.constantFrom('', '', ' ', ' # c'), fc.constantFrom('  #c', '#c', '\t'));
  const line = fc.oneof(
    {
      weight: 5,
      arbitrary: fc.tuple(
        keys,
        mostly(fc.constantFrom(': ', ':  '), fc.constantFrom(':', ': \t')),
        scalars,
      ),
    },
    { weight: 3, arbitrary: fc.tuple(keys, fc.constantFrom(':', ': ', ': # c'), fc.constant('')) },
    {
      weight: 3,
      arbitrary: fc.tuple(
        mostly(fc.constantFrom('- ', '-  ', '- - '), fc.constantFrom('-\t', '-')),
        scalars,
        fc.constant(''),
      ),
    },
    {
      weight: 2,
      arbitrary: fc.tuple(fc.constantFrom('- ', '-   '), keys, fc.constantFrom(': ', ':')),
    },
    { weight: 2, arbitrary: fc.tuple(fc.constant(''), scalars, fc.constant('')) },
    { weight: 2, arbitrary: fc.tuple(keys, fc.constant(': '), blockHeaders) },
    { weight: 1, arbitrary: fc.tuple(fc.constant('- '), blockHeaders, fc.constant('')) },
    {
      weight: 2,
      arbitrary: fc.tuple(
        fc.constantFrom('-', '', '# comment', '---', '--- # c', '--- x', '...', '---x'),
        fc.constant(''),
        fc.constant(''),
      ),
    },
  );
  /** Lines whose indentation wanders a level or two at a time, sometimes off by a space or a tab. */
  const soup = fc
    .tuple(
      fc.array(
        fc.tuple(
          fc.constantFrom(-2, -1, 0, 0, 0, 1, 1),
          mostly(fc.constant(''), fc.constantFrom(' ', '\t', '   ')),
          line,
          tails,
        ),
        { minLength: 1, maxLength: 9 },
      ),
      fc.constantFrom(1, 2, 2, 4),
      fc.constantFrom('\n', '\n', '\n', '\r\n'),
      fc.boolean(),
    )
    .map(([lines, step, eol, final]) => {
      let level = 0;
      const out = lines.map(([move, odd, [a, b, c], tail]) => {
        level = Math.max(0, level + move);
        return ' '.repeat(level * step) + odd + a + b + c + tail;
      });
      return out.join(eol) + (final ? eol : '');
    });

  it('never gives values js-yaml refuses or reads otherwise, on line soup', () => {
    let read = 0;
    fc.assert(
      fc.property(soup, (text) => {
        if (agrees(text)) read++;
      }),
      { numRuns: 60_000 },
    );
    console.log(`yaml-fast: read ${read} of 60000 generated line soups`);
    // The generator must reach the reader's accepting paths, not only its refusals.
    expect(read).toBeGreaterThan(4_000);
  });

  /** Rule-shaped documents: nested mappings and sequences in random layouts, with block scalars. */
  const text = fc.constantFrom(
    'ab',
    'a b',
    ' lead',
    'x:y',
    'k: v',
    '# h',
    "'q'",
    '"d"',
    '- i',
    'tail ',
    '\tt',
    '',
  );
  const blockLines = fc.array(fc.tuple(fc.constantFrom('', '', ' ', '  ', '   '), text), {
    maxLength: 5,
  });
  const ruleKeys = mostly(goodKeys, oddKeys, 40);
  const ruleScalars = mostly(goodScalars, oddScalars, 40);
  type Node = { kind: 'map'; entries: [string, Node][] } | { kind: 'seq'; items: Node[] } | string;
  const node: fc.Arbitrary<Node> = fc.letrec<{ node: Node }>((tie) => ({
    node: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      ruleScalars,
      fc.record({
        kind: fc.constant('map' as const),
        entries: fc.uniqueArray(fc.tuple(ruleKeys, tie('node')), {
          minLength: 1,
          maxLength: 3,
          selector: ([k]) => k,
        }),
      }),
      fc.record({
        kind: fc.constant('seq' as const),
        items: fc.array(tie('node'), { minLength: 1, maxLength: 3 }),
      }),
    ),
  })).node;
  const layout = fc.record({
    step: fc.constantFrom(1, 2, 2, 4, 4),
    sameIndentSeq: fc.boolean(),
    block: fc.constantFrom(0, 0, 1, 2),
    header: blockHeaders,
    lines: blockLines,
    comment: fc.constantFrom('', '', '# note', '   # note'),
  });

  type Layout = typeof layout extends fc.Arbitrary<infer L> ? L : never;

  function render(n: Node, at: number, l: Layout): string[] {
    const pad = ' '.repeat(at);
    if (typeof n === 'string') return [n];
    const out: string[] = [];
    if (n.kind === 'map') {
      for (const [k, v] of n.entries) {
        if (typeof v === 'string') {
          if (l.block > 0 && out.length % 2 === 0) {
            out.push(`${pad}${k}: ${l.header}`);
            for (const [extra, t] of l.lines)
              out.push(t === '' ? extra : `${pad}${' '.repeat(l.step)}${extra}${t}`);
          } else out.push(`${pad}${k}: ${v}`);
        } else {
          out.push(`${pad}${k}:`);
          if (l.comment !== '') out.push(l.comment);
          const inner = v.kind === 'seq' && l.sameIndentSeq ? at : at + l.step;
          out.push(...render(v, inner, l));
        }
      }
    } else {
      for (const v of n.items) {
        if (typeof v === 'string') out.push(`${pad}- ${v}`);
        else {
          const inner = render(v, at + 2, l);
          const first = inner[0] ?? '';
          out.push(`${pad}- ${first.slice(at + 2)}`, ...inner.slice(1));
        }
      }
    }
    return out;
  }

  it('never gives values js-yaml refuses or reads otherwise, on rule-shaped documents', () => {
    let read = 0;
    fc.assert(
      fc.property(
        fc.record({
          kind: fc.constant('map' as const),
          entries: fc.uniqueArray(fc.tuple(ruleKeys, node), {
            minLength: 1,
            maxLength: 4,
            selector: ([k]) => k,
          }),
        }),
        layout,
        fc.constantFrom('', '---\n', '# c\n'),
        (doc, l, start) => {
          const t = `${start}${render(doc, 0, l).join('\n')}\n`;
          if (agrees(t)) read++;
        },
      ),
      { numRuns: 25_000 },
    );
    console.log(`yaml-fast: read ${read} of 25000 generated rule-shaped documents`);
    expect(read).toBeGreaterThan(12_000);
  });

  it('never gives values js-yaml refuses or reads otherwise, on edited rule files', () => {
    const sample = corpus.filter((_, i) => i % 13 === 0).map((f) => readFileSync(f, 'utf8'));
    const edit = fc.tuple(
      fc.nat(),
      fc.nat({ max: 3 }),
      fc.constantFrom(
        ' ',
        '  ',
        '\n',
        '- ',
        ': ',
        '#',
        ' #',
        "'",
        '"',
        '|',
        '>',
        '-',
        '\t',
        '[',
        '---\n',
        'x',
        '\\',
        '\x01',
        '\x7f',
        '\x85',
        '\u2028',
        '\ufeff',
        '\ud83d',
        '\ude00',
        '\ud83d\ude00',
        '\r',
        '\r\n',
      ),
    );
    let read = 0;
    fc.assert(
      fc.property(
        fc.nat({ max: sample.length - 1 }),
        fc.array(edit, { minLength: 1, maxLength: 3 }),
        (i, edits) => {
          let t = sample[i] ?? '';
          for (const [at, del, ins] of edits) {
            const p = at % (t.length + 1);
            t = t.slice(0, p) + ins + t.slice(p + del);
          }
          if (agrees(t)) read++;
        },
      ),
      { numRuns: 10_000 },
    );
    console.log(`yaml-fast: read ${read} of 10000 edited rule files`);
    expect(read).toBeGreaterThan(1_500);
  });
});
