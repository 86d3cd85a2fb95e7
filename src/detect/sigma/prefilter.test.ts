import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LiteralScanner, necessary } from './prefilter.ts';
import type { IrNode } from './ir.ts';

/** Dense-table budgets: the default (all dense here), the root only, and the first level or two. */
const BUDGETS = [undefined, 0, 64] as const;

function found(words: string[], text: string, budget?: number): number[] {
  const scanner = LiteralScanner.build(new Map(words.map((w, i) => [w, [i]])), budget);
  const marks = new Int32Array(words.length);
  scanner.scan(text, marks, 1, []);
  return words.map((_w, i) => i).filter((i) => marks[i] === 1);
}

describe('LiteralScanner', () => {
  it('finds overlapping and nested words, case-insensitively', () => {
    for (const b of BUDGETS) {
      expect(found(['he', 'she', 'his', 'hers'], 'uSHERS', b)).toEqual([0, 1, 3]);
      expect(found(['\\cmd.exe', 'cmd'], 'C:\\Windows\\CMD.EXE', b)).toEqual([0, 1]);
      expect(found(['ünï', 'straße'], 'xÜNÏx STRASSE straße', b)).toEqual([0, 1]);
      expect(found(['abc'], 'ab\uffffc', b)).toEqual([]);
    }
  });

  it('agrees with lowercase + includes on random words and texts', () => {
    const unit = fc.constantFrom('a', 'B', 'b', 'k', '\u212A', 'é', 'É', '-', '\\');
    fc.assert(
      fc.property(
        fc.uniqueArray(
          fc.string({ unit, minLength: 1, maxLength: 4 }).map((s) => s.toLowerCase()),
          {
            minLength: 1,
            maxLength: 8,
          },
        ),
        fc.string({ unit, maxLength: 20 }),
        fc.constantFrom(...BUDGETS),
        (words, text, budget) => {
          const want = words
            .map((_w, i) => i)
            .filter((i) => text.toLowerCase().includes(words[i] ?? ''));
          expect(found(words, text, budget)).toEqual(want);
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('necessary literals', () => {
  const f = (field: string, s: string): IrNode => ({
    k: 'field',
    field,
    any: [{ t: 'contains', s, cased: false }],
  });
  it('and picks the most selective child, or needs every child, not gives none', () => {
    expect(necessary({ k: 'and', of: [f('A', 'x'), f('B', 'longer')] })).toEqual([
      { field: 'B', eq: false, s: 'longer' },
    ]);
    expect(necessary({ k: 'or', of: [f('A', 'ab'), f('B', 'cd')] })).toHaveLength(2);
    expect(
      necessary({ k: 'or', of: [f('A', 'ab'), { k: 'not', of: f('B', 'cd') }] }),
    ).toBeUndefined();
    expect(necessary({ k: 'field', field: 'EventID', any: [{ t: 'num', n: 4688 }] })).toEqual([
      { field: 'EventID', eq: true, s: '4688' },
    ]);
    expect(
      necessary({ k: 'field', field: 'A', any: [{ t: 're', source: 'foo\\d+|bar', flags: '' }] }),
    ).toEqual([
      { field: 'A', eq: false, s: 'foo' },
      { field: 'A', eq: false, s: 'bar' },
    ]);
  });
});

describe('LiteralScanner and Unicode case', () => {
  it('reads a unit whose lowercase is ASCII as that letter', () => {
    for (const b of BUDGETS) expect(found(['kb'], '\u212AB', b)).toEqual([0]);
  });
});
