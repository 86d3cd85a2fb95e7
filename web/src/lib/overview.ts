/** Helpers of the overview: Prometheus text parsing and the severity band of an incident. */
import type { IncidentSummary, Level } from '../api/types.ts';

export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/** Parses Prometheus text exposition lines (`name{a="b"} 1`); comments and bad lines are skipped. */
export function parseMetrics(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
      labels[l[1] ?? ''] = (l[2] ?? '').replace(/\\(.)/g, (_s, c: string) =>
        c === 'n' ? '\n' : c,
      );
    }
    const value = Number(m[3]);
    if (Number.isNaN(value)) continue;
    out.push({ name: m[1] ?? '', labels, value });
  }
  return out;
}

/**
 * The incident's severity; a server that does not send one yet is banded by score (80+ critical,
 * 60+ high, 40+ medium, 20+ low), the same bands the score badge is coloured by.
 */
export function severityBand(i: Pick<IncidentSummary, 'severity' | 'score'>): Level {
  if (i.severity) return i.severity;
  if (i.score >= 80) return 'critical';
  if (i.score >= 60) return 'high';
  if (i.score >= 40) return 'medium';
  if (i.score >= 20) return 'low';
  return 'informational';
}
