/**
 * The figures the overview and the wall screen show, from the incident list alone: open incidents per
 * tenant and severity, SLA clocks close to breach, and the newest critical and high incidents. Pure,
 * so they are tested without a browser.
 */
import { LEVELS, type IncidentSummary, type Level } from '../api/types.ts';
import { clockStates, type ClockState } from './format.ts';
import { severityBand } from './overview.ts';
import { isOpen } from './queue.ts';

export type SeverityCounts = Readonly<Record<Level, number>>;

export interface TenantSeverity {
  readonly tenant: string;
  readonly counts: SeverityCounts;
  readonly open: number;
}

const zero = (): Record<Level, number> => ({
  informational: 0,
  low: 0,
  medium: 0,
  high: 0,
  critical: 0,
});

/**
 * Open incidents per tenant and severity band, the tenants with the most severe work first
 * (critical count, then high, then …, then name).
 */
export function openBySeverity(incidents: readonly IncidentSummary[]): {
  readonly totals: SeverityCounts;
  readonly open: number;
  readonly tenants: readonly TenantSeverity[];
} {
  const totals = zero();
  const per = new Map<string, Record<Level, number>>();
  let open = 0;
  for (const i of incidents) {
    if (!isOpen(i.status)) continue;
    const band = severityBand(i);
    open++;
    totals[band]++;
    let c = per.get(i.tenant);
    if (!c) {
      c = zero();
      per.set(i.tenant, c);
    }
    c[band]++;
  }
  const desc = [...LEVELS].reverse();
  const tenants = [...per].map(([tenant, counts]) => ({
    tenant,
    counts,
    open: LEVELS.reduce((s, l) => s + counts[l], 0),
  }));
  tenants.sort((a, b) => {
    for (const l of desc) if (a.counts[l] !== b.counts[l]) return b.counts[l] - a.counts[l];
    return a.tenant.localeCompare(b.tenant);
  });
  return { totals, open, tenants };
}

export interface ClockNearBreach {
  readonly incident: IncidentSummary;
  readonly clock: ClockState['name'];
  /** Milliseconds until due; negative once overdue. */
  readonly left: number;
  readonly overdue: boolean;
}

/**
 * The clocks of open incidents that are overdue and still unmet, or due soon (format.ts's
 * `due_soon`), the most urgent first.
 */
export function clocksNearBreach(
  incidents: readonly IncidentSummary[],
  now: number,
): ClockNearBreach[] {
  const out: ClockNearBreach[] = [];
  for (const i of incidents) {
    if (!i.sla || !isOpen(i.status)) continue;
    for (const c of clockStates(i.sla, now)) {
      if (c.clock.met_at) continue;
      if (c.state === 'breached' || c.state === 'due_soon')
        out.push({ incident: i, clock: c.name, left: c.left, overdue: c.left < 0 });
    }
  }
  return out.sort((a, b) => a.left - b.left);
}

/** Open critical and high incidents, the most recently started first (then by score). */
export function newestSevere(incidents: readonly IncidentSummary[]): IncidentSummary[] {
  return incidents
    .filter((i) => isOpen(i.status) && ['critical', 'high'].includes(severityBand(i)))
    .map((i) => ({ i, at: Date.parse(i.first_ts) }))
    .sort((a, b) => (b.at || 0) - (a.at || 0) || b.i.score - a.i.score)
    .map(({ i }) => i);
}
