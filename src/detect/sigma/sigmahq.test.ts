/** Every SigmaHQ rule (rules, rules-emerging-threats, rules-threat-hunting) loads with no error and none refused. */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatLocation } from '../../core/index.ts';
import { loadRules } from './load.ts';
import { parseLogsourceMap } from './logsource.ts';
import { RuleSet } from './match.ts';

const SIGMA = new URL('../../../../shared/data/sigma/', import.meta.url).pathname;
const CONFIG = new URL('../../../config/logsources.yml', import.meta.url).pathname;

function walk(dir: string, out: string[] = []): string[] {
  for (const e of readdirSync(dir).sort()) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (e.endsWith('.yml')) out.push(p);
  }
  return out;
}

describe('SigmaHQ rules', () => {
  it('all load: zero errors, zero unsupported', () => {
    const files = ['rules', 'rules-emerging-threats', 'rules-threat-hunting']
      .flatMap((d) => walk(join(SIGMA, d)))
      .map((f) => ({ file: relative(SIGMA, f), text: readFileSync(f, 'utf8') }));
    expect(files.length).toBeGreaterThan(3700);
    const map = parseLogsourceMap(readFileSync(CONFIG, 'utf8'), 'config/logsources.yml');
    if (!map.ok) throw new Error('logsource map does not load');
    const t0 = performance.now();
    // `%known_cdcs%` is the one site-specific placeholder SigmaHQ uses (a deployment lists its domain controllers).
    const r = loadRules(files, {
      logsources: map.value,
      placeholders: { known_cdcs: ['dc01.example.org'] },
    });
    const ms = performance.now() - t0;
    const errors = r.issues
      .filter((i) => i.severity === 'error')
      .map((i) => `${formatLocation(i.at ?? { file: '?' })} ${i.code} ${i.message}`);
    expect(errors).toEqual([]);
    expect(r.unsupported).toEqual([]);
    expect(r.rules.length).toBe(r.documents);
    expect(r.documents).toBe(files.length);
    // Every rule has at least one route, and the rule set builds.
    expect(r.rules.filter((x) => x.routes.length === 0).map((x) => x.ref.file)).toEqual([]);
    expect(new RuleSet(r.rules, r.filters).rules.length).toBe(r.rules.length);
    console.log(`${files.length} files, ${r.rules.length} rules in ${Math.round(ms)} ms`);
  }, 60_000);

  it('without the placeholder value the two rules that need it report SIGMA_PLACEHOLDER', () => {
    const files = walk(join(SIGMA, 'rules-emerging-threats', '2026'))
      .map((f) => ({ file: relative(SIGMA, f), text: readFileSync(f, 'utf8') }))
      .filter((f) => f.text.includes('%known_cdcs%'));
    const r = loadRules(files);
    expect(r.issues.map((i) => [i.code, i.at?.file.split('/').pop(), i.at?.line])).toEqual([
      ['SIGMA_PLACEHOLDER', 'win_security_adcs_certighost_cdc_chase_request.yml', 57],
      ['SIGMA_PLACEHOLDER', 'win_security_adcs_certighost_cert_issued_via_chase.yml', 44],
    ]);
  });
});
