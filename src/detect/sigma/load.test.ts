/** Loading in slices: compiled parts, linked after a trip through structured clone, equal one whole load. */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileRules, linkRules, loadRules, locateIn } from './load.ts';
import type { LoadOptions, LoadResult, Locate } from './load.ts';
import { parseLogsourceMap } from './logsource.ts';
import { printRule } from './ir.ts';
import { issueLines } from './test-helpers.ts';

const SIGMA = new URL('../../../../shared/data/sigma/', import.meta.url).pathname;
const CONFIG = new URL('../../../config/logsources.yml', import.meta.url).pathname;

type TextFile = { file: string; text: string };

/** Compiles each slice on its own, clones the parts as a thread hand-over would, and links them. */
function loadInSlices(files: readonly TextFile[], cuts: readonly number[], opts: LoadOptions) {
  const bounds = [0, ...cuts, files.length];
  const slices = bounds.slice(1).map((end, i) => files.slice(bounds[i], end));
  const compiled = slices.map((s) => compileRules(s, opts));
  const parts = compiled.map((c) => structuredClone(c.part));
  // Each slice's own locator knows only its files; the last resort reads any file again.
  const again = locateIn(files);
  const locate: Locate = (file, index, path) => {
    for (const c of compiled) {
      const p = c.locate(file, index, path);
      if (p) return p;
    }
    return again(file, index, path);
  };
  return linkRules(parts, locate);
}

/** Everything a load result says, in a form `toEqual` compares completely. */
function summary(r: LoadResult) {
  return {
    documents: r.documents,
    issues: issueLines(r),
    unsupported: r.unsupported,
    rules: r.rules.map((x) => [x.ref, printRule(x)]),
    filters: r.filters.map((f) => ({ ...f, routes: [...f.routes.entries()] })),
    correlations: r.correlations,
  };
}

const map = parseLogsourceMap(readFileSync(CONFIG, 'utf8'), 'config/logsources.yml');
if (!map.ok) throw new Error('logsource map does not load');
const opts: LoadOptions = { logsources: map.value };

const rule = (id: string, title: string, body: string, extra = ''): string => `title: ${title}
id: ${id}
${extra}logsource:
  product: windows
  category: process_creation
level: high
detection:
${body}
`;
const ID = (n: number): string => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

/** Files with a problem or a cross-file link of every kind the linker handles. */
const FIXTURES: TextFile[] = [
  { file: 'a.yml', text: rule(ID(1), 'A', '  sel: { Image|endswith: a.exe }\n  condition: sel') },
  { file: 'broken.yml', text: 'title: [\n' },
  {
    file: 'b.yml',
    text: rule(
      ID(2),
      'B',
      '  sel: { CommandLine|contains: x }\n  condition: sel',
      'name: rule_b\n',
    ),
  },
  // Same id as a.yml: reported at the second one, which is dropped with its own problems.
  { file: 'dup.yml', text: rule(ID(1), 'Dup', '  sel: { Image|bogus: x }\n  condition: sel') },
  { file: 'bad-mod.yml', text: rule(ID(3), 'Bad', '  sel: { Image|bogus: x }\n  condition: sel') },
  {
    file: 'placeholder.yml',
    text: rule(ID(4), 'P', '  sel: { Image|expand: "%nowhere%" }\n  condition: sel'),
  },
  {
    file: 'unsupported.yml',
    // Six dashes: windash would expand to 5^6 values, past this engine's limit.
    text: rule(
      ID(5),
      'U',
      "  sel: { CommandLine|windash|contains: '-a -b -c -d -e -f' }\n  condition: sel",
    ),
  },
  {
    file: 'filter.yml',
    text: `title: Not for admins
id: ${ID(6)}
logsource: { product: windows, category: process_creation }
filter:
  rules: [${ID(1)}, rule_b]
  selection: { User|startswith: adm_ }
  condition: selection
---
title: Names nothing
id: ${ID(7)}
logsource: { product: windows, category: process_creation }
filter:
  rules: [${ID(99)}]
  selection: { User: x }
  condition: selection
`,
  },
  {
    file: 'corr.yml',
    text: `title: Many B
id: ${ID(8)}
correlation:
  type: event_count
  rules: [rule_b, missing_rule]
  group-by: [User]
  timespan: 5m
  condition: { gte: 3 }
level: high
`,
  },
  // A duplicate of the filter's id, in a later file.
  { file: 'dup2.yml', text: rule(ID(6), 'Dup2', '  sel: { a: 1 }\n  condition: sel') },
  { file: 'z.yml', text: rule(ID(9), 'Z', '  sel: { Image: z.exe }\n  condition: sel') },
];

describe('loading in slices', () => {
  it('links parts compiled apart into exactly what one load gives, wherever the files are cut', () => {
    const whole = summary(loadRules(FIXTURES, opts));
    // The fixtures do meet every case.
    expect(whole.issues.map((l) => l.split(' ')[2])).toEqual(
      expect.arrayContaining([
        'SIGMA_YAML',
        'SIGMA_DUPLICATE_ID',
        'SIGMA_MODIFIER',
        'SIGMA_PLACEHOLDER',
        'SIGMA_SCHEMA',
        'SIGMA_CORRELATION',
      ]),
    );
    expect(whole.unsupported).toHaveLength(1);
    expect(whole.filters).toHaveLength(2);
    expect(whole.filters[0]?.routes.length).toBeGreaterThan(0);
    expect(whole.correlations).toHaveLength(1);
    for (let a = 0; a <= FIXTURES.length; a++) {
      expect(summary(loadInSlices(FIXTURES, [a], opts)), `cut at ${a}`).toEqual(whole);
      for (let b = a; b <= FIXTURES.length; b += 3)
        expect(summary(loadInSlices(FIXTURES, [a, b], opts)), `cut at ${a}, ${b}`).toEqual(whole);
    }
  });

  it('places a duplicate id found across slices at both documents', () => {
    const r = loadInSlices(FIXTURES, [2], opts);
    expect(issueLines(r).filter((l) => l.includes('SIGMA_DUPLICATE_ID'))).toEqual([
      `dup.yml:2:1 error SIGMA_DUPLICATE_ID id ${ID(1)} is already used at a.yml:2:1`,
      `dup2.yml:2:1 error SIGMA_DUPLICATE_ID id ${ID(6)} is already used at filter.yml:2:1`,
    ]);
  });

  it('gives the same rule set for every SigmaHQ rule loaded in three slices', () => {
    const files = ['rules', 'rules-emerging-threats', 'rules-threat-hunting']
      .flatMap((d) => walk(join(SIGMA, d)))
      .map((f) => ({ file: relative(SIGMA, f), text: readFileSync(f, 'utf8') }));
    const third = Math.floor(files.length / 3);
    const sliced = loadInSlices(files, [third, 2 * third], opts);
    const whole = loadRules(files, opts);
    expect(sliced.rules.length).toBeGreaterThan(3700);
    expect(JSON.stringify(sliced)).toBe(JSON.stringify(whole));
  }, 60_000);
});

function walk(dir: string, out: string[] = []): string[] {
  for (const e of readdirSync(dir).sort()) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (e.endsWith('.yml')) out.push(p);
  }
  return out;
}
