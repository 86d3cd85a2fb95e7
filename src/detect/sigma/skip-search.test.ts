/** The skipping search finds exactly what reading every character finds. */
import { describe, expect, it } from 'vitest';
import { LiteralScanner } from './prefilter.ts';
import { SkipSearch } from './skip-search.ts';

/** A small deterministic generator, so a failure can be replayed. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function byScanner(words: readonly string[], text: string): boolean {
  const scanner = LiteralScanner.build(new Map(words.map((w) => [w, [0]])));
  const marks = new Int32Array(1);
  scanner.scan(text, marks, 1, []);
  return marks[0] === 1;
}

describe('SkipSearch', () => {
  it('finds the Mimikatz keywords in any case, anywhere, and nothing else', () => {
    const words = ['sekurlsa::', 'lsadump::', 'privilege::debug', '\\mimilib.dll', 'eo.oe.kiwi'];
    const s = SkipSearch.build(words);
    expect(s).toBeDefined();
    expect(s?.test('mimikatz # SEKURLSA::logonpasswords')).toBe(true);
    expect(s?.test('lsadump::')).toBe(true);
    expect(s?.test('C:\\Windows\\MimiLib.dll loaded')).toBe(true);
    expect(s?.test('lsadump:')).toBe(false);
    expect(s?.test('privilege::debu')).toBe(false);
    expect(s?.test('')).toBe(false);
    // The Kelvin sign lowercases to k, unit by unit as well as whole.
    expect(s?.test('EO.OE.\u212AIWI')).toBe(true);
  });

  it('agrees with the Aho-Corasick scanner on random texts', () => {
    const next = rng(7);
    const alphabet = 'abcdeABCDE:.\\ \u212A\u0130k';
    const pick = (n: number): string =>
      Array.from({ length: n }, () => alphabet[Math.floor(next() * alphabet.length)]).join('');
    for (let round = 0; round < 300; round++) {
      const words = Array.from({ length: 1 + Math.floor(next() * 6) }, () =>
        pick(4 + Math.floor(next() * 5)).toLowerCase(),
      ).filter((w) => !/[^\x00-\x7f]/.test(w));
      const search = SkipSearch.build(words);
      if (!search) continue;
      for (let t = 0; t < 20; t++) {
        let text = pick(Math.floor(next() * 60));
        // Plant a word (in another case) half of the time.
        const w = words[Math.floor(next() * words.length)];
        if (w && next() < 0.5) {
          const at = Math.floor(next() * (text.length + 1));
          text = text.slice(0, at) + w.toUpperCase() + text.slice(at);
        }
        expect(search.test(text), `${JSON.stringify(words)} in ${JSON.stringify(text)}`).toBe(
          byScanner(words, text),
        );
      }
    }
  });

  it('declines literals it cannot skip over', () => {
    expect(SkipSearch.build([])).toBeUndefined();
    expect(SkipSearch.build(['abc'])).toBeUndefined();
    expect(SkipSearch.build(['caf\u00e9s'])).toBeUndefined();
    expect(SkipSearch.build(['Upper'])).toBeUndefined();
  });
});
