/**
 * The score of an incident, 0–100, as a sum of terms an analyst can read one by one: how severe its worst
 * rule is, how far along the kill chain it got, how many hosts and users it touches, how critical those
 * hosts are, how much to trust its rules, and how recent it is.
 */
import { levelRank, type Level } from '../core/index.ts';
import { killChainOrder, tacticIndex, tacticsFromTags } from './attack.ts';

export interface ScoredAlert {
  readonly level: Level;
  /** Sigma rule status: stable, test, experimental, deprecated, unsupported. */
  readonly status?: string;
  readonly tags: readonly string[];
  readonly ts: number;
  readonly host?: string;
  readonly user?: string;
}

export interface ScoreInput {
  readonly alerts: readonly ScoredAlert[];
  /** Per-tenant asset tags by host name (lower case): `domain_controller`, `exchange`, `database`, `server`… */
  readonly assets?: Readonly<Record<string, readonly string[]>>;
  /** Rule hits of this incident's rules that exceptions suppressed (lower confidence). */
  readonly suppressed?: number;
  readonly now: number;
}

export interface ScoreTerm {
  readonly name:
    'severity' | 'kill_chain' | 'breadth' | 'asset_criticality' | 'confidence' | 'recency';
  readonly points: number;
  readonly max: number;
  /** One sentence on why, for the analyst. */
  readonly why: string;
}

export interface Score {
  readonly score: number;
  readonly terms: readonly ScoreTerm[];
}

const LEVEL_POINTS: Readonly<Record<Level, number>> = {
  informational: 0,
  low: 8,
  medium: 16,
  high: 24,
  critical: 30,
};

/** Asset tags and what they weigh (the highest of a host's tags counts). */
export const ASSET_WEIGHTS: Readonly<Record<string, number>> = {
  domain_controller: 15,
  identity: 15,
  exchange: 13,
  mail: 13,
  database: 13,
  backup: 12,
  hypervisor: 12,
  server: 8,
  workstation: 2,
};

const STATUS_POINTS: Readonly<Record<string, number>> = {
  stable: 10,
  test: 7,
  experimental: 4,
  deprecated: 2,
  unsupported: 1,
};

const HOUR = 3_600_000;

export function scoreIncident(input: ScoreInput): Score {
  const { alerts } = input;
  const terms: ScoreTerm[] = [];

  let worst: Level = 'informational';
  for (const a of alerts) if (levelRank(a.level) > levelRank(worst)) worst = a.level;
  terms.push({
    name: 'severity',
    points: LEVEL_POINTS[worst],
    max: 30,
    why: `highest rule level: ${worst}`,
  });

  const tactics = killChainOrder([...new Set(alerts.flatMap((a) => tacticsFromTags(a.tags)))]);
  const furthest = tactics[tactics.length - 1];
  const reach = furthest === undefined ? 0 : (tacticIndex(furthest) ?? 0) + 1;
  const chain = Math.min(20, Math.round((reach / 14) * 12) + Math.min(tactics.length, 4) * 2);
  terms.push({
    name: 'kill_chain',
    points: chain,
    max: 20,
    why:
      tactics.length === 0
        ? 'no ATT&CK tactic tagged'
        : `${tactics.length} tactic(s), furthest: ${furthest ?? ''} (${tactics.join(' → ')})`,
  });

  const hosts = new Set(alerts.flatMap((a) => (a.host ? [a.host.toLowerCase()] : [])));
  const users = new Set(alerts.flatMap((a) => (a.user ? [a.user.toLowerCase()] : [])));
  const hostPoints = hosts.size <= 1 ? 0 : hosts.size === 2 ? 5 : hosts.size <= 5 ? 8 : 10;
  const userPoints = users.size <= 1 ? 0 : users.size === 2 ? 3 : 5;
  terms.push({
    name: 'breadth',
    points: hostPoints + userPoints,
    max: 15,
    why: `${hosts.size} host(s), ${users.size} user(s)`,
  });

  let asset = 0;
  let assetWhy = 'no tagged asset involved';
  for (const h of hosts) {
    for (const tag of input.assets?.[h] ?? []) {
      const w = ASSET_WEIGHTS[tag] ?? 0;
      if (w > asset) {
        asset = w;
        assetWhy = `${h} is tagged ${tag}`;
      }
    }
  }
  terms.push({ name: 'asset_criticality', points: asset, max: 15, why: assetWhy });

  const statuses = alerts.map((a) => STATUS_POINTS[a.status ?? ''] ?? 4);
  const trust = statuses.length === 0 ? 0 : Math.max(...statuses);
  const suppressed = input.suppressed ?? 0;
  const confidence = Math.max(0, trust - (suppressed > 0 ? 3 : 0));
  terms.push({
    name: 'confidence',
    points: confidence,
    max: 10,
    why: `most trusted rule status: ${statuses.length === 0 ? 'none' : (Object.entries(STATUS_POINTS).find(([, v]) => v === trust)?.[0] ?? 'unknown')}${suppressed > 0 ? `; ${suppressed} hit(s) of its rules suppressed by exceptions` : ''}`,
  });

  const last = alerts.reduce((m, a) => Math.max(m, a.ts), -Infinity);
  const age = input.now - last;
  const recency = !Number.isFinite(last)
    ? 0
    : age <= HOUR
      ? 10
      : age <= 24 * HOUR
        ? 6
        : age <= 7 * 24 * HOUR
          ? 3
          : 0;
  terms.push({
    name: 'recency',
    points: recency,
    max: 10,
    why: Number.isFinite(last)
      ? `last activity ${Math.max(0, Math.round(age / 60_000))} min ago`
      : 'no activity',
  });

  const score = Math.max(
    0,
    Math.min(
      100,
      terms.reduce((n, t) => n + t.points, 0),
    ),
  );
  return { score, terms };
}
