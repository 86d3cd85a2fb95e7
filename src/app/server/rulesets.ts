/**
 * Rule sets: the folders rules come from (`vigil` for Vigil's own, each `--rules` folder by its name,
 * `tenant` for a tenant's uploads). A tenant can turn a whole set off; its `disabledRules` then holds
 * `ruleset:<name>` beside single rule ids.
 */
import { basename, resolve, sep } from 'node:path';
import { builtinRulesDir } from '../files.ts';

export interface RuleSetDir {
  readonly name: string;
  readonly dir: string;
}

export const RULESET_PREFIX = 'ruleset:';

/** The sets of a server's rule folders, named after them (`sigma-rules`, `rules-2`, …). */
export function ruleSetDirs(ruleDirs: readonly string[], builtin: boolean): RuleSetDir[] {
  const out: RuleSetDir[] = builtin ? [{ name: 'vigil', dir: resolve(builtinRulesDir) }] : [];
  for (const d of ruleDirs) {
    const dir = resolve(d);
    const base =
      basename(dir)
        .toLowerCase()
        .replace(/[^a-z0-9._-]+/g, '-') || 'rules';
    let name = base;
    for (let i = 2; out.some((s) => s.name === name); i++) name = `${base}-${i}`;
    out.push({ name, dir });
  }
  return out;
}

/** The set a rule file belongs to: the deepest folder holding it; uploads are `tenant`. */
export function ruleSetOf(file: string | undefined, sets: readonly RuleSetDir[]): string {
  if (file === undefined) return 'other';
  if (file.startsWith('tenant:')) return 'tenant';
  const path = resolve(file);
  let best: RuleSetDir | undefined;
  for (const s of sets) {
    if (
      (path === s.dir || path.startsWith(s.dir + sep)) &&
      (!best || s.dir.length > best.dir.length)
    )
      best = s;
  }
  return best?.name ?? 'other';
}
