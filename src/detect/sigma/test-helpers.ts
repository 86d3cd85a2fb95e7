/** Small builders shared by the Sigma tests: a rule from a detection snippet, an event from fields. */
import type { Event, Fields } from '../../core/index.ts';
import { formatLocation } from '../../core/index.ts';
import type { LoadOptions, LoadResult } from './load.ts';
import { loadRules } from './load.ts';
import { RuleSet } from './match.ts';

export function event(fields: Fields, source: Event['source'] = {}): Event {
  return { ts: 1_700_000_000_000, tenant: 't', source, fields, origin: { format: 'test' } };
}

/** A full rule document around a `detection:` body (indented by the caller at 2 spaces). */
export function ruleText(detection: string, extra = ''): string {
  return `title: Test rule
id: 11111111-2222-4333-8444-555555555555
status: test
logsource:
  product: windows
  category: process_creation
level: high
${extra}detection:
${detection}
`;
}

export function load(text: string, opts: LoadOptions = {}, file = 'rule.yml'): LoadResult {
  return loadRules([{ file, text }], opts);
}

/** Loads one rule (asserting it loaded cleanly) and returns a predicate over event fields. */
export function matcher(detection: string, opts: LoadOptions = {}): (fields: Fields) => boolean {
  const r = load(ruleText(detection), opts);
  const bad = r.issues.filter((i) => i.severity === 'error');
  if (bad.length > 0 || r.rules.length !== 1) {
    throw new Error(
      `rule did not load: ${bad.map((i) => `${formatLocation(i.at ?? { file: '?' })} ${i.message}`).join('; ')}`,
    );
  }
  const set = new RuleSet(r.rules, r.filters);
  return (fields) => set.match(event(fields)).length > 0;
}

/** Issues as compact `file:line:col CODE message` lines, for inline snapshots. */
export function issueLines(r: Pick<LoadResult, 'issues'>): string[] {
  return r.issues.map(
    (i) =>
      `${i.at ? formatLocation({ file: i.at.file, ...(i.at.line !== undefined ? { line: i.at.line } : {}), ...(i.at.col !== undefined ? { col: i.at.col } : {}) }) : '-'} ${i.severity} ${i.code} ${i.message}`,
  );
}
