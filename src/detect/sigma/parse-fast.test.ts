/** The js-yaml fast path of readDocuments must give exactly what the located parse gives. */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { sigmaRuleFiles } from '../../../test/sigma-corpus.ts';
import { isScalar, parseAllDocuments, visit } from 'yaml';
import { needsFullParser, readDocuments, readDocumentsLocated } from './parse.ts';

describe('readDocuments fast path', () => {
  const files = sigmaRuleFiles();

  it('reads every SigmaHQ and Vigil rule file to the same values as the located parse', () => {
    expect(files.length).toBeGreaterThan(3800);
    const differ: string[] = [];
    for (const file of files) {
      const text = readFileSync(file, 'utf8');
      const fast = readDocuments(file, text);
      const slow = readDocumentsLocated(file, text);
      const a = JSON.stringify(fast.docs.map((d) => [d.index, d.value]));
      const b = JSON.stringify(slow.docs.map((d) => [d.index, d.value]));
      if (a !== b || fast.issues.length !== slow.issues.length) differ.push(file);
    }
    expect(differ).toEqual([]);
  });

  it('locates nodes exactly as the located parse does', () => {
    for (const file of files.slice(0, 200)) {
      const text = readFileSync(file, 'utf8');
      const fast = readDocuments(file, text).docs;
      const slow = readDocumentsLocated(file, text).docs;
      for (const [i, d] of fast.entries()) {
        for (const path of [['detection', 'condition'], ['logsource'], ['title'], ['nope', 1]]) {
          expect(d.locate(path)).toEqual(slow[i]?.locate(path));
        }
      }
    }
  });

  /**
   * Whether the `yaml` library finds an anchor, an alias or a merge key in `text`. Text it cannot read is
   * not asked about: js-yaml's own refusal sends such a file to the located parse.
   */
  const usesAnchors = (text: string): boolean => {
    let found = false;
    for (const doc of parseAllDocuments(text)) {
      if (doc.errors.length > 0) return false;
      visit(doc, {
        Alias: () => {
          found = true;
          return visit.BREAK;
        },
        Node: (_key, node) => {
          if (node.anchor !== undefined) {
            found = true;
            return visit.BREAK;
          }
          return undefined;
        },
        Pair: (_key, pair) => {
          if (isScalar(pair.key) && pair.key.value === '<<') {
            found = true;
            return visit.BREAK;
          }
          return undefined;
        },
      });
    }
    return found;
  };

  it('never lets an anchor, alias or merge key past, and flags almost no rule file without one', () => {
    const flagged: string[] = [];
    for (const file of files) {
      const text = readFileSync(file, 'utf8');
      if (needsFullParser(text)) flagged.push(file);
      else expect(usesAnchors(text), file).toBe(false);
    }
    // Before the scan looked at node starts only, 38 rule files were flagged for a `*` or `&` in quotes.
    expect(flagged).toEqual([]);
    const unit = fc.constantFrom(
      '&a',
      '*a',
      '<<',
      ' ',
      '\n',
      '\r\n',
      '\t',
      '[',
      ']',
      '{',
      '}',
      ',',
      ': ',
      ':',
      '- ',
      'a',
      "'",
      '"',
      '\\',
      ' #',
      '|',
      '?',
      '!',
      '!a',
      '!!str ',
    );
    fc.assert(
      fc.property(fc.array(unit, { maxLength: 14 }), (parts) => {
        const t = parts.join('');
        if (!needsFullParser(t)) expect(usesAnchors(t), JSON.stringify(t)).toBe(false);
      }),
      { numRuns: 20000 },
    );
    for (const t of [
      'x: &a 1\ny: *a\n',
      '- *a\n',
      '[1, *a]',
      '{a: *b}',
      '<<: {a: 1}\n',
      "k: 'q'\nv: *x",
    ])
      expect(needsFullParser(t), t).toBe(true);
    for (const t of ["- 'cmd /c a & b *'\n", 'a: f(1,*,3)\n', 'x: 2>&1 # *c\n', 'd: "a\\" *"\n'])
      expect(needsFullParser(t), t).toBe(false);
  });

  it('sends files with YAML errors, anchors or duplicate keys to the located parse', () => {
    const dup = readDocuments('dup.yml', 'title: a\ntitle: b\n');
    expect(dup.issues.map((i) => [i.code, i.at?.line])).toEqual([['SIGMA_YAML', 2]]);
    const bad = readDocuments('bad.yml', 'title: [unclosed\n');
    expect(bad.issues[0]?.code).toBe('SIGMA_YAML');
    const anchors = readDocuments('a.yml', 'x: &a [1, 2]\ny: *a\n');
    expect(anchors.docs[0]?.value).toEqual({ x: [1, 2], y: [1, 2] });
  });
});
