/** Checks what correlation rules refer to: unknown rules, ambiguous names and loops in chains. */
import type { Issue } from '../../../core/index.ts';
import type { CorrelationRule } from './types.ts';

/** Maps every id and name of the given correlations to their positions. */
export function indexCorrelations(correlations: readonly CorrelationRule[]): Map<string, number[]> {
  const byRef = new Map<string, number[]>();
  correlations.forEach((c, i) => {
    for (const ref of c.name !== undefined && c.name !== c.id ? [c.id, c.name] : [c.id]) {
      const list = byRef.get(ref);
      if (list) list.push(i);
      else byRef.set(ref, [i]);
    }
  });
  return byRef;
}

/**
 * Reports, as SIGMA_CORRELATION errors located at the offending `rules` entry: references that are
 * neither a correlation in `correlations` nor `known` (the detection rules' ids and names); a correlation
 * id or name used by two correlations or by a detection rule; and chains that loop back on themselves.
 */
export function checkReferences(
  correlations: readonly CorrelationRule[],
  known: (ref: string) => boolean,
): Issue[] {
  const issues: Issue[] = [];
  const byRef = indexCorrelations(correlations);
  for (const [ref, list] of byRef) {
    const owners = [...new Set(list)];
    if (owners.length < 2) continue;
    for (const i of owners.slice(1)) {
      const c = correlations[i];
      if (!c) continue;
      issues.push({
        code: 'SIGMA_CORRELATION',
        severity: 'error',
        message: `correlation id or name "${ref}" is also used by "${correlations[owners[0] ?? 0]?.title ?? ''}"`,
        at: c.nameAt,
      });
    }
  }

  correlations.forEach((c) => {
    for (const ref of new Set([c.id, ...(c.name !== undefined ? [c.name] : [])])) {
      if (!known(ref)) continue;
      issues.push({
        code: 'SIGMA_CORRELATION',
        severity: 'error',
        message: `correlation id or name "${ref}" is also a detection rule's id or name`,
        at: c.nameAt,
      });
    }
  });

  const edges: number[][] = correlations.map(() => []);
  correlations.forEach((c, i) => {
    c.rules.forEach((ref, j) => {
      const targets = byRef.get(ref);
      if (targets) {
        edges[i]?.push(...targets);
        return;
      }
      if (!known(ref)) {
        issues.push({
          code: 'SIGMA_CORRELATION',
          severity: 'error',
          message: `correlation "${c.title}" refers to rule "${ref}", which no loaded rule has as id or name`,
          at: c.rulesAt[j] ?? c.at,
        });
      }
    });
  });

  // Depth-first search, iterative so that long chains cannot overflow the stack.
  const state = new Uint8Array(correlations.length); // 0 new, 1 on the path, 2 done
  const reported = new Set<string>();
  for (let start = 0; start < correlations.length; start++) {
    if (state[start] !== 0) continue;
    const path: number[] = [start];
    const next: number[] = [0];
    state[start] = 1;
    while (path.length > 0) {
      const node = path[path.length - 1] ?? 0;
      const k = next[next.length - 1] ?? 0;
      const out = edges[node] ?? [];
      if (k >= out.length) {
        state[node] = 2;
        path.pop();
        next.pop();
        continue;
      }
      next[next.length - 1] = k + 1;
      const to = out[k] ?? 0;
      if (state[to] === 0) {
        state[to] = 1;
        path.push(to);
        next.push(0);
      } else if (state[to] === 1) {
        const loop = path.slice(path.indexOf(to));
        const key = [...loop].sort((a, b) => a - b).join(',');
        if (reported.has(key)) continue;
        reported.add(key);
        const names = [...loop, to].map((i) => {
          const c = correlations[i];
          return c ? (c.name ?? c.id) : '?';
        });
        const c = correlations[node];
        const j = c ? c.rules.findIndex((ref) => byRef.get(ref)?.includes(to)) : -1;
        issues.push({
          code: 'SIGMA_CORRELATION',
          severity: 'error',
          message: `correlation chain loops: ${names.join(' → ')}`,
          ...(c ? { at: c.rulesAt[j] ?? c.at } : {}),
        });
      }
    }
  }
  return issues;
}
