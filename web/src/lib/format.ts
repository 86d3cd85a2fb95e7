/** Small formatting helpers shared by the screens: relative times and SLA clocks. */
import type { Sla, SlaClock } from '../api/types.ts';

export function ago(ms: number, now = Date.now()): string {
  if (!Number.isFinite(ms)) return '—';
  const s = Math.round((now - ms) / 1000);
  const future = s < 0;
  const a = Math.abs(s);
  const text =
    a < 60
      ? `${a}s`
      : a < 3600
        ? `${Math.floor(a / 60)}m`
        : a < 86_400
          ? `${Math.floor(a / 3600)}h`
          : `${Math.floor(a / 86_400)}d`;
  return future ? `in ${text}` : `${text} ago`;
}

/** `2026-11-17 09:05:11` in UTC: analysts compare times across customers' time zones. */
export function utc(iso: string | number | null | undefined): string {
  if (iso === null || iso === undefined) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '—';
  return `${d.toISOString().slice(0, 19).replace('T', ' ')}Z`;
}

export function duration(ms: number): string {
  const m = Math.round(Math.abs(ms) / 60_000);
  if (m < 60) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}h ${m % 60}m`;
  return `${Math.floor(h / 24)}d ${h % 24}h`;
}

export const SLA_CLOCKS = ['acknowledge', 'contain', 'resolve'] as const;

export interface ClockState {
  readonly name: (typeof SLA_CLOCKS)[number];
  readonly clock: SlaClock;
  readonly state: 'met' | 'breached' | 'due_soon' | 'running';
  /** Milliseconds left (negative once overdue). */
  readonly left: number;
}

export function clockStates(sla: Sla | undefined, now: number): ClockState[] {
  if (!sla) return [];
  const out: ClockState[] = [];
  for (const name of SLA_CLOCKS) {
    const clock = sla[name];
    if (!clock) continue;
    const left = Date.parse(clock.due) - now;
    const state = clock.breached
      ? 'breached'
      : clock.met_at
        ? 'met'
        : left < 0
          ? 'breached'
          : left < Math.max(15 * 60_000, clock.target_min * 60_000 * 0.25)
            ? 'due_soon'
            : 'running';
    out.push({ name, clock, state, left });
  }
  return out;
}

/** The one clock the queue shows: a breach, else the next unmet clock. */
export function slaState(
  sla: Sla | undefined,
  now: number,
): { label: string; color: string; title: string } | undefined {
  const clocks = clockStates(sla, now);
  if (clocks.length === 0) return undefined;
  const title = clocks
    .map((c) => `${c.name}: ${c.state.replace('_', ' ')} (due ${utc(c.clock.due)})`)
    .join('\n');
  const breached = clocks.find((c) => c.state === 'breached' && !c.clock.met_at);
  if (breached) return { label: `${breached.name.slice(0, 3)} late`, color: 'red', title };
  const next = clocks.find((c) => c.state !== 'met');
  if (!next) return { label: 'met', color: 'green', title };
  return {
    label: duration(next.left),
    color: next.state === 'due_soon' ? 'orange' : 'gray',
    title,
  };
}
