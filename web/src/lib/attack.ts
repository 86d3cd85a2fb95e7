/**
 * ATT&CK tactics in kill-chain order (Enterprise; shortnames as the API sends them) and the event
 * search links the console pivots to.
 */
import { withQuery } from '../api/client.ts';

export const KILL_CHAIN = [
  'reconnaissance',
  'resource-development',
  'initial-access',
  'execution',
  'persistence',
  'privilege-escalation',
  'defense-evasion',
  'credential-access',
  'discovery',
  'lateral-movement',
  'collection',
  'command-and-control',
  'exfiltration',
  'impact',
] as const;

/** `privilege-escalation` → `Privilege Escalation` (accepts `_` too). */
export function tacticLabel(t: string): string {
  return t
    .split(/[-_]/)
    .map((w) => (w === 'and' ? 'and' : w.charAt(0).toUpperCase() + w.slice(1)))
    .join(' ');
}

/** The kill-chain position of a tactic, or -1. */
export function tacticIndex(t: string): number {
  return (KILL_CHAIN as readonly string[]).indexOf(t.replace(/_/g, '-').toLowerCase());
}

export function eventSearchPath(
  tenant: string,
  q: { host?: string; user?: string; q?: string; field?: string[] },
): string {
  return withQuery('/events', { tenant, ...q });
}
