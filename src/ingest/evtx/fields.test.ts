/** A record's fields built through shapes are the same object, key for key and in order, as set one by one. */
import { describe, expect, it } from 'vitest';
import { FieldBuilder } from './fields.ts';

function build(pairs: readonly (readonly [string, string | number])[]): Record<string, unknown> {
  const b = new FieldBuilder();
  b.reset();
  for (const [k, v] of pairs) {
    const old = b.get(k);
    b.set(k, old === undefined ? v : `${String(old)}+${String(v)}`);
  }
  return b.build();
}

describe('FieldBuilder', () => {
  it('keeps the order and values of the names as they came, record after record', () => {
    const a = build([
      ['EventID', 1],
      ['Image', 'C:\\a.exe'],
      ['CommandLine', 'a'],
    ]);
    const b = build([
      ['EventID', 1],
      ['Image', 'C:\\b.exe'],
      ['CommandLine', 'b'],
    ]);
    const c = build([
      ['EventID', 1],
      ['Image', 'C:\\c.exe'],
    ]);
    expect(Object.entries(a)).toEqual([
      ['EventID', 1],
      ['Image', 'C:\\a.exe'],
      ['CommandLine', 'a'],
    ]);
    expect(b).toEqual({ EventID: 1, Image: 'C:\\b.exe', CommandLine: 'b' });
    expect(c).toEqual({ EventID: 1, Image: 'C:\\c.exe' });
    // Each record gets its own object.
    expect(a).not.toBe(b);
  });

  it('finds a name already set, wherever it is on the path', () => {
    const f = build([
      ['A', 'x'],
      ['B', 'y'],
      ['A', 'z'],
    ]);
    expect(f).toEqual({ A: 'x+z', B: 'y' });
  });

  it('makes `__proto__` an ordinary field, not the prototype', () => {
    const f = build([
      ['__proto__', 'evil'],
      ['B', 'y'],
    ]);
    expect(Object.getPrototypeOf(f)).toBe(Object.prototype);
    expect(Object.keys(f)).toEqual(['__proto__', 'B']);
    expect(JSON.stringify(f)).toBe('{"__proto__":"evil","B":"y"}');
  });

  it('builds records with very many fields the plain way, with the same result', () => {
    const pairs = Array.from({ length: 300 }, (_, i) => [`Field${i}`, i] as const);
    const f = build([...pairs, ['Field7', 'again'], ['__proto__', 'x']]);
    expect(Object.keys(f)).toHaveLength(301);
    expect(f['Field7']).toBe('7+again');
    expect(f['Field299']).toBe(299);
    expect(Object.getPrototypeOf(f)).toBe(Object.prototype);
    expect(Object.hasOwn(f, '__proto__')).toBe(true);
  });

  it('orders integer-like names first, as any object does', () => {
    const f = build([
      ['b', 1],
      ['2', 2],
      ['a', 3],
    ]);
    expect(Object.keys(f)).toEqual(['2', 'b', 'a']);
  });
});

describe('FieldBuilder past its shape budget', () => {
  it('builds records with new sequences of names the plain way, with the same result', () => {
    // Every record here starts a sequence of its own: 20,000 of them spend the thread's budget.
    for (let i = 0; i < 20_050; i++) {
      const f = build([
        [`Only${i}`, i],
        ['Next', 'x'],
      ]);
      expect(Object.keys(f)).toEqual([`Only${i}`, 'Next']);
    }
    const f = build([
      ['Late', 1],
      ['__proto__', 'y'],
      ['Late', 2],
    ]);
    expect(f).toEqual(JSON.parse('{"Late":"1+2","__proto__":"y"}'));
    expect(Object.getPrototypeOf(f)).toBe(Object.prototype);
  });
});
