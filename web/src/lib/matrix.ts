/** The ATT&CK matrix of a set of rules: per tactic, the techniques their tags name and how many rules. */
import type { RuleRef } from '../api/types.ts';
import { KILL_CHAIN } from './attack.ts';

export interface MatrixCell {
  readonly technique: string;
  readonly rules: number;
  readonly titles: readonly string[];
}

/** Tactic shortname → techniques (most rules first). A rule counts under every tactic it is tagged with. */
export function ruleMatrix(rules: readonly RuleRef[]): Map<string, MatrixCell[]> {
  const acc = new Map<string, Map<string, string[]>>();
  const tactics = new Set<string>(KILL_CHAIN);
  for (const r of rules) {
    const tags = (r.tags ?? []).map((t) => t.toLowerCase());
    const ts = tags
      .filter((t) => t.startsWith('attack.'))
      .map((t) => t.slice(7).replace(/_/g, '-'))
      .filter((t) => tactics.has(t));
    const techs = tags
      .filter((t) => /^attack\.t\d{4}(\.\d{3})?$/.test(t))
      .map((t) => t.slice(7).toUpperCase());
    for (const tactic of ts) {
      let m = acc.get(tactic);
      if (!m) {
        m = new Map<string, string[]>();
        acc.set(tactic, m);
      }
      for (const tech of techs) m.set(tech, [...(m.get(tech) ?? []), r.title]);
    }
  }
  const out = new Map<string, MatrixCell[]>();
  for (const [tactic, m] of acc) {
    out.set(
      tactic,
      [...m]
        .map(([technique, titles]) => ({ technique, rules: titles.length, titles }))
        .sort((a, b) => b.rules - a.rules || a.technique.localeCompare(b.technique)),
    );
  }
  return out;
}
