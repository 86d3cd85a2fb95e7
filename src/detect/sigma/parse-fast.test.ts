/** The js-yaml fast path of readDocuments must give exactly what the located parse gives. */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { needsFullParser, readDocuments, readDocumentsLocated } from './parse.ts';

const shared = new URL('../../../../shared/data/sigma/', import.meta.url).pathname;
const repoRules = new URL('../../../rules/', import.meta.url).pathname;

function yamlFiles(dir: string, found: string[] = []): string[] {
  for (const entry of readdirSync(dir).sort()) {
    const p = join(dir, entry);
    if (statSync(p).isDirectory()) yamlFiles(p, found);
    else if (/\.ya?ml$/.test(entry)) found.push(p);
  }
  return found;
}

describe('readDocuments fast path', () => {
  const files = [
    ...[
      'rules',
      'rules-emerging-threats',
      'rules-threat-hunting',
      'rules-placeholder',
      'rules-compliance',
      'rules-dfir',
    ].flatMap((d) => yamlFiles(join(shared, d))),
    ...yamlFiles(repoRules),
  ];

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

  it('tells anchors, aliases and merge keys apart exactly as the regular expression it replaces', () => {
    const reference = (t: string) => /(^|[\s[{,:-])[&*][^\s]|<</m.test(t);
    for (const file of files) {
      const text = readFileSync(file, 'utf8');
      expect(needsFullParser(text), file).toBe(reference(text));
    }
    const unit = fc.constantFrom(
      '&',
      '*',
      '<',
      ' ',
      '\n',
      '\r',
      '\t',
      '\u2028',
      '\u00a0',
      '[',
      '{',
      ',',
      ':',
      '-',
      'a',
      "'",
      '"',
    );
    fc.assert(
      fc.property(fc.string({ unit, maxLength: 12 }), (t) => {
        expect(needsFullParser(t)).toBe(reference(t));
      }),
      { numRuns: 3000 },
    );
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
