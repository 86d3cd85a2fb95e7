/** The exception a form starts from when created from an alert: its matched fields and its host. */
import type { AlertWithEvents } from '../api/types.ts';

export interface DraftCondition {
  readonly field: string;
  readonly op: string;
  readonly value: string;
  /** Ticked in the form. */
  readonly use: boolean;
}

function scalar(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return undefined;
}

/**
 * One condition per field the rule matched (ticked, `equals` its value), then the host and the user
 * (not ticked: narrowing to one machine or account is the analyst's call).
 */
export function exceptionDraft(a: AlertWithEvents): { conditions: DraftCondition[] } {
  const out: DraftCondition[] = [];
  const seen = new Set<string>();
  const matched = Array.isArray(a.matched) ? {} : (a.matched as Record<string, unknown>);
  for (const [field, v] of Object.entries(matched)) {
    const value = scalar(Array.isArray(v) ? v[0] : v);
    if (value === undefined || seen.has(field)) continue;
    seen.add(field);
    out.push({ field, op: 'equals', value, use: true });
  }
  if (a.host && !seen.has('host.name')) {
    out.push({ field: 'host.name', op: 'equals', value: a.host, use: false });
  }
  if (a.user && !seen.has('user.name')) {
    out.push({ field: 'user.name', op: 'equals', value: a.user, use: false });
  }
  return { conditions: out };
}
