/** The compiled form of a Sigma correlation rule (Sigma 2.1), shared by the compiler and the engine. */
import type { Location, RuleRef } from '../../../core/index.ts';

export const CORRELATION_TYPES = [
  'event_count',
  'value_count',
  'temporal',
  'temporal_ordered',
  'value_sum',
  'value_avg',
  'value_percentile',
] as const;
export type CorrelationType = (typeof CORRELATION_TYPES)[number];

export const COMPARISON_OPS = ['gt', 'gte', 'lt', 'lte', 'eq', 'neq'] as const;
export type ComparisonOp = (typeof COMPARISON_OPS)[number];

/** One criterion of a condition; a condition is the AND of its criteria (`gt: 100` + `lte: 200`). */
export interface Comparison {
  readonly op: ComparisonOp;
  readonly value: number;
}

/**
 * How `value_percentile` reads its condition.
 * - `percentile`: the condition carries `percentile: P`; the P-th percentile of the numeric `field` values
 *   in the window is compared (pySigma's reading, e.g. 95th percentile latency `gte: 500`).
 * - `share`: no `percentile` key; the share in percent (0–100) of the window's detections whose `field`
 *   equals the completing detection's value is compared (the specification's example: a process name seen
 *   in `lte: 1` % of a computer's process creations).
 */
export type PercentileMode = 'percentile' | 'share';

/**
 * A compiled correlation rule. Plain data: safe to serialise and to hand to another worker. Its metadata
 * is a detection's `RuleRef`: the `id` is the document's `id`, else its `name`, else
 * `<file>#<document index>`; `level` is `medium` when absent.
 */
export interface CorrelationRule extends Omit<RuleRef, 'file'> {
  readonly type: CorrelationType;
  /** Referenced rules, by `id` or `name`, in the listed order (the order matters for `temporal_ordered`). */
  readonly rules: readonly string[];
  /** Group-by fields or aliases; empty means one group for all detections (of a tenant). */
  readonly groupBy: readonly string[];
  /** The sliding window's length in milliseconds. */
  readonly timespanMs: number;
  /** The timespan as written (`90m`). */
  readonly timespan: string;
  /**
   * AND of comparisons against the aggregate: the count (event_count), the distinct count (value_count),
   * the number of referenced rules seen (temporal, temporal_ordered: default `gte` all of them), the sum,
   * average or percentile (value_*).
   */
  readonly condition: readonly Comparison[];
  /** The aggregated field (`condition.field`); for value_count with a list, the first. */
  readonly field?: string;
  /** All aggregated fields: value_count counts distinct combinations of them. Empty when none. */
  readonly fields: readonly string[];
  /** value_percentile only: the percentile (0–100) when `condition.percentile` is given. */
  readonly percentile?: number;
  readonly percentileMode?: PercentileMode;
  /** alias → (rule id or name → field name in that rule's events). */
  readonly aliases: Readonly<Record<string, Readonly<Record<string, string>>>>;
  /** Whether referenced rules still report their own detections (default false). */
  readonly generate: boolean;
  readonly file: string;
  /** Index of the document in its file. */
  readonly index: number;
  /** Where the document's `name` is (else its `id`, else its title), for duplicate-name errors. */
  readonly nameAt: Location;
  /** Where the document's `correlation.rules` list is, for reference errors. */
  readonly at: Location;
  /** Where each entry of `rules` is, in the same order. */
  readonly rulesAt: readonly Location[];
}

/** The `RuleRef` a correlation's detections carry. */
export function correlationRuleRef(c: CorrelationRule): RuleRef {
  return {
    id: c.id,
    ...(c.name !== undefined ? { name: c.name } : {}),
    title: c.title,
    level: c.level,
    ...(c.status !== undefined ? { status: c.status } : {}),
    tags: c.tags,
    ...(c.description !== undefined ? { description: c.description } : {}),
    ...(c.author !== undefined ? { author: c.author } : {}),
    ...(c.falsepositives !== undefined ? { falsepositives: c.falsepositives } : {}),
    file: c.file,
  };
}

/** Whether `x` satisfies every comparison of `condition`. */
export function testCondition(condition: readonly Comparison[], x: number): boolean {
  for (const c of condition) {
    if (!compare(c.op, x, c.value)) return false;
  }
  return true;
}

function compare(op: ComparisonOp, x: number, v: number): boolean {
  switch (op) {
    case 'gt':
      return x > v;
    case 'gte':
      return x >= v;
    case 'lt':
      return x < v;
    case 'lte':
      return x <= v;
    case 'eq':
      return x === v;
    case 'neq':
      return x !== v;
  }
}

/** `gte: 10, lte: 20` style text of a condition, for messages. */
export function formatCondition(condition: readonly Comparison[]): string {
  return condition.map((c) => `${c.op}: ${c.value}`).join(', ');
}
