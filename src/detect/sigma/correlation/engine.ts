/** Runs compiled correlation rules over a stream of detections and emits the correlation detections they complete. */
import type { Detection, Event, FieldValue, RuleRef } from '../../../core/index.ts';
import { indexCorrelations } from './references.ts';
import { correlationRuleRef, testCondition } from './types.ts';
import type { CorrelationRule } from './types.ts';
import { Entry, GroupWindow } from './window.ts';
import type { WindowLimits } from './window.ts';

/** Memory bounds of the engine. Every default is documented in docs/correlation.md. */
export interface CorrelationEngineOptions {
  /** Detections remembered per group and window; past this the oldest are forgotten. Default 10,000. */
  readonly maxEntriesPerGroup?: number;
  /** Groups kept per correlation rule; past this the least recently touched is dropped. Default 100,000. */
  readonly maxGroupsPerRule?: number;
  /** A correlation detection carries the events of the first N contributing detections… Default 20. */
  readonly firstEvents?: number;
  /** …and of the last N. Default 80. */
  readonly lastEvents?: number;
}

/** Counters of what the engine skipped or forgot; all only grow. */
export interface CorrelationEngineStats {
  /** Detections (of referenced rules) taken in. */
  detections: number;
  /** Detections without a usable timestamp. */
  untimed: number;
  /** Detections older than their group's window when they arrived. */
  late: number;
  /** Detections lacking a group-by field. */
  ungrouped: number;
  /** Detections lacking the aggregated field, or with a non-numeric value where a number is needed. */
  noValue: number;
  /** Detections of a second referenced rule on the event just counted (an event counts once). */
  sameEvent: number;
  /** Entries forgotten because a group reached `maxEntriesPerGroup`. */
  dropped: number;
  /** Groups dropped because a rule reached `maxGroupsPerRule`. */
  evictedGroups: number;
  /** Correlation detections emitted. */
  fired: number;
}

interface Target {
  readonly rule: number;
  readonly ref: string;
}

/**
 * One tenant's clock within a rule: the newest detection time, and groups queued by the time they were
 * last queued at, oldest first. A group is queued again only once its newest entry is half a timespan past
 * its last queued time, so the queue holds about two items per group and timespan.
 */
class TenantClock {
  watermark = -Infinity;
  queue: (GroupWindow | undefined)[] = [];
  head = 0;

  enqueue(w: GroupWindow): void {
    w.queuedTs = w.maxTs;
    this.queue.push(w);
  }

  peek(): GroupWindow | undefined {
    return this.queue[this.head];
  }

  shift(): void {
    this.queue[this.head++] = undefined;
    if (this.head >= 1024 && this.head * 2 >= this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
  }
}

/** One correlation rule's live state. */
class RuleState {
  /** Groups by key, in creation order (the cap evicts the oldest). */
  readonly groups = new Map<string, GroupWindow>();
  /** Per tenant, so that one tenant's backlog does not expire another tenant's live groups. */
  readonly clocks = new Map<string, TenantClock>();
  readonly ref: RuleRef;
  constructor(readonly c: CorrelationRule) {
    this.ref = correlationRuleRef(c);
  }
}

const TEMPORAL = new Set(['temporal', 'temporal_ordered']);

/**
 * Keyed, bounded correlation state. State is keyed by (correlation rule, tenant, group-by values), so a
 * partitioned deployment can give each key one owner. Not thread-safe; one engine per partition.
 */
export class CorrelationEngine {
  /** Rule ids/names of base rules whose detections this engine needs. */
  readonly referenced: ReadonlySet<string>;
  private readonly states: RuleState[];
  /** rule id or name → (correlation, position in its `rules`). */
  private readonly routes = new Map<string, { c: number; targets: Target[] }[]>();
  private readonly suppressed = new Set<string>();
  private readonly produced = new WeakSet<Detection>();
  private readonly limits: WindowLimits;
  private readonly maxGroups: number;
  private seq = 0;
  private readonly counters: CorrelationEngineStats = {
    detections: 0,
    untimed: 0,
    late: 0,
    ungrouped: 0,
    noValue: 0,
    sameEvent: 0,
    dropped: 0,
    evictedGroups: 0,
    fired: 0,
  };

  constructor(correlations: readonly CorrelationRule[], options: CorrelationEngineOptions = {}) {
    this.states = correlations.map((c) => new RuleState(c));
    this.limits = {
      maxEntries: Math.max(1, options.maxEntriesPerGroup ?? 10_000),
      firstEvents: Math.max(0, options.firstEvents ?? 20),
      lastEvents: Math.max(0, options.lastEvents ?? 80),
    };
    this.maxGroups = Math.max(1, options.maxGroupsPerRule ?? 100_000);
    const ownRefs = indexCorrelations(correlations);
    const referenced = new Set<string>();
    correlations.forEach((c, ci) => {
      c.rules.forEach((ref, ri) => {
        if (!ownRefs.has(ref)) referenced.add(ref);
        if (!c.generate) this.suppressed.add(ref);
        let list = this.routes.get(ref);
        if (!list) this.routes.set(ref, (list = []));
        let slot = list.find((s) => s.c === ci);
        if (!slot) list.push((slot = { c: ci, targets: [] }));
        slot.targets.push({ rule: ri, ref });
      });
    });
    this.referenced = referenced;
  }

  /** Counters since construction (a copy). */
  get stats(): CorrelationEngineStats {
    return { ...this.counters };
  }

  /** Number of live groups over all rules. */
  get groupCount(): number {
    let n = 0;
    for (const s of this.states) n += s.groups.size;
    return n;
  }

  /**
   * Whether detections of `rule` should still be reported on their own: false when a correlation
   * without `generate: true` refers to it by id or name.
   */
  shouldReport(rule: RuleRef): boolean {
    return !(
      this.suppressed.has(rule.id) ||
      (rule.name !== undefined && this.suppressed.has(rule.name))
    );
  }

  /**
   * Feeds one detection of a base rule or of a correlation rule; returns the correlation detections it
   * completes, including those of correlations chained on them (fed internally, in the same call).
   * Detections this engine returned are ignored if pushed back. Filter the result with `shouldReport` as
   * well: an inner correlation of a chain is returned but is only reported with `generate: true`. Detections should arrive in time order;
   * one older than its group's window is dropped (`stats.late`), others are placed in time order.
   */
  push(d: Detection): Detection[] {
    if (this.produced.has(d)) return [];
    const out: Detection[] = [];
    let wave: Detection[] = [d];
    // A chain can be at most as deep as there are correlations; more means a loop.
    for (let depth = 0; wave.length > 0 && depth <= this.states.length; depth++) {
      const next: Detection[] = [];
      for (const x of wave) {
        for (const f of this.process(x)) {
          this.produced.add(f);
          out.push(f);
          next.push(f);
        }
      }
      wave = next;
    }
    return out;
  }

  /** Advances time without a detection: drops groups whose windows ended before `now`. */
  advance(now: number): void {
    for (const s of this.states) {
      for (const clock of s.clocks.values()) {
        if (now > clock.watermark) clock.watermark = now;
        this.sweep(s, clock);
      }
    }
  }

  private process(d: Detection): Detection[] {
    const byId = this.routes.get(d.rule.id);
    const byName =
      d.rule.name !== undefined && d.rule.name !== d.rule.id
        ? this.routes.get(d.rule.name)
        : undefined;
    if (byId === undefined && byName === undefined) return [];
    // Usually one rule is referred to one way; merge only when both its id and name are used.
    let slots: readonly { c: number; targets: Target[] }[] = byId ?? byName ?? [];
    if (byId !== undefined && byName !== undefined) {
      const merged = new Map<number, Target[]>();
      for (const sl of [...byId, ...byName]) {
        merged.set(sl.c, [...(merged.get(sl.c) ?? []), ...sl.targets]);
      }
      slots = [...merged].map(([c, targets]) => ({ c, targets }));
    }
    this.counters.detections++;
    if (!Number.isFinite(d.ts)) {
      this.counters.untimed++;
      return [];
    }
    const fired: Detection[] = [];
    for (const { c, targets } of slots) {
      const s = this.states[c];
      if (!s) continue;
      const f = this.feed(s, d, targets);
      if (f) fired.push(f);
    }
    return fired;
  }

  private feed(s: RuleState, d: Detection, targets: readonly Target[]): Detection | undefined {
    const c = s.c;
    const tenant = d.events[0]?.tenant ?? '';
    const values: FieldValue[] = [];
    let gkey = keyPart(tenant);
    for (const g of c.groupBy) {
      const v = lookup(d, resolveField(c, g, targets));
      if (v === undefined) {
        this.counters.ungrouped++;
        return undefined;
      }
      values.push(v);
      gkey += '\u0000' + keyPart(v);
    }

    let key: string | undefined;
    let num: number | undefined;
    if (
      c.type === 'value_count' ||
      (c.type === 'value_percentile' && c.percentileMode === 'share')
    ) {
      key = '';
      for (const f of c.fields) {
        const v = lookup(d, resolveField(c, f, targets));
        if (v === undefined) {
          this.counters.noValue++;
          return undefined;
        }
        key += '\u0000' + keyPart(v);
      }
    } else if (c.type === 'value_sum' || c.type === 'value_avg' || c.type === 'value_percentile') {
      num = toNumber(lookup(d, resolveField(c, c.field ?? '', targets)));
      if (num === undefined) {
        this.counters.noValue++;
        return undefined;
      }
    }

    let w = s.groups.get(gkey);
    if (w) {
      if (w.isLate(d.ts)) {
        this.counters.late++;
        return undefined;
      }
    } else {
      const group: Record<string, FieldValue> = {};
      c.groupBy.forEach((g, i) => {
        group[g] = values[i] ?? null;
      });
      w = new GroupWindow(
        gkey,
        tenant,
        group,
        c.timespanMs,
        this.limits,
        c.type === 'value_percentile' && c.percentileMode === 'percentile',
      );
      s.groups.set(gkey, w);
      if (s.groups.size > this.maxGroups) this.evictOldest(s);
    }

    // Two referenced rules matching one event make two detections; like a query over both rules, the
    // counting types count the event once (they arrive one after the other, so the last one tells).
    const first = d.kind === 'event' ? d.events[0] : undefined;
    if (!TEMPORAL.has(c.type) && first !== undefined && w.lastEvent === first) {
      this.counters.sameEvent++;
      return undefined;
    }
    w.lastEvent = first;

    const seq = this.seq++;
    if (TEMPORAL.has(c.type)) {
      // One entry per referenced position the detection stands for (a rule listed by id and by name).
      let prev = -1;
      for (const t of targets) {
        if (t.rule === prev) continue;
        prev = t.rule;
        this.counters.dropped += w.add(
          new Entry(d.ts, seq, t.rule, undefined, undefined, d.events),
        );
      }
    } else {
      this.counters.dropped += w.add(new Entry(d.ts, seq, 0, key, num, d.events));
    }

    let clock = s.clocks.get(tenant);
    if (!clock) s.clocks.set(tenant, (clock = new TenantClock()));
    if (d.ts > clock.watermark) clock.watermark = d.ts;
    if (w.maxTs - w.queuedTs >= c.timespanMs / 2) clock.enqueue(w);
    const x = aggregate(c, w, key);
    let fired: Detection | undefined;
    if (x !== undefined && testCondition(c.condition, x)) {
      fired = this.fire(s, w, d, x);
      w.reset(); // re-firing policy: the group starts over after it fires
    }
    this.sweep(s, clock);
    return fired;
  }

  private fire(s: RuleState, w: GroupWindow, d: Detection, x: number): Detection {
    this.counters.fired++;
    const seen = new Set<Event>();
    const events: Event[] = [];
    for (const e of w.list()) {
      for (const ev of e.events ?? []) {
        if (!seen.has(ev)) {
          seen.add(ev);
          events.push(ev);
        }
      }
    }
    events.sort((a, b) => a.ts - b.ts);
    const group = { ...w.group };
    return {
      rule: s.ref,
      kind: 'correlation',
      ts: d.ts,
      events,
      matched: { ...group, [s.c.type]: x },
      group,
    };
  }

  /** Drops the tenant's groups whose newest entry left the window; requeues those still live. */
  private sweep(s: RuleState, clock: TenantClock): void {
    const cutoff = clock.watermark - s.c.timespanMs;
    for (let w = clock.peek(); w !== undefined && w.queuedTs < cutoff; w = clock.peek()) {
      clock.shift();
      if (s.groups.get(w.key) !== w) continue; // fired or evicted since it was queued
      if (w.maxTs < cutoff) s.groups.delete(w.key);
      else if (w.queuedTs < w.maxTs) clock.enqueue(w);
    }
  }

  /** Drops the oldest group of a rule that holds too many. */
  private evictOldest(s: RuleState): void {
    const first = s.groups.keys().next();
    if (first.done === true) return;
    s.groups.delete(first.value);
    this.counters.evictedGroups++;
  }
}

/** The field a group-by name or condition field stands for in detections of the matched rule. */
function resolveField(c: CorrelationRule, name: string, targets: readonly Target[]): string {
  const alias = c.aliases[name];
  if (alias) {
    for (const t of targets) {
      const f = alias[t.ref];
      if (f !== undefined) return f;
    }
  }
  return name;
}

/** An injective text form of a value for group keys: type-tagged, NUL-free. */
function keyPart(v: FieldValue): string {
  if (typeof v === 'string' && !v.includes('\u0000')) return 's' + v;
  if (typeof v === 'number') return `n${String(v)}`;
  if (typeof v === 'boolean') return `b${String(v)}`;
  return `j${JSON.stringify(v)}`; // JSON escapes control characters, NUL included
}

/** A field's value in a detection: a chained correlation's group first, then its events in order. */
function lookup(d: Detection, field: string): FieldValue | undefined {
  if (d.kind === 'correlation') {
    const g = d.group?.[field] ?? d.matched[field];
    if (g !== undefined && g !== null) return g;
  }
  for (const e of d.events) {
    const v = e.fields[field];
    if (v !== undefined && v !== null) return v;
  }
  return undefined;
}

function toNumber(v: FieldValue | undefined): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  if (typeof v === 'string' && v.trim() !== '') {
    const n = Number(v);
    return Number.isFinite(n) ? n : undefined;
  }
  return undefined;
}

/** The number the condition is tested against, or undefined when there is none yet. */
function aggregate(
  c: CorrelationRule,
  w: GroupWindow,
  key: string | undefined,
): number | undefined {
  switch (c.type) {
    case 'event_count':
      return w.size;
    case 'value_count':
      return w.keyCounts.size;
    case 'temporal':
      return w.ruleCounts.size;
    case 'temporal_ordered': {
      // The ordered run is at most the number of rules seen; with lower bounds only, skip the scan when
      // even that is too few (a rule flooding its group would otherwise cost a scan per detection).
      const seen = w.ruleCounts.size;
      if (lowerBoundsOnly(c) && !testCondition(c.condition, seen)) return seen;
      return w.orderedPrefix(c.rules.length);
    }
    case 'value_sum':
      return w.sum;
    case 'value_avg':
      return w.numCount > 0 ? w.sum / w.numCount : undefined;
    case 'value_percentile':
      if (c.percentileMode === 'percentile') return w.percentile(c.percentile ?? 50);
      if (key === undefined || w.size === 0) return undefined;
      return ((w.keyCounts.get(key) ?? 0) * 100) / w.size;
  }
}

function lowerBoundsOnly(c: CorrelationRule): boolean {
  return c.condition.every((x) => x.op === 'gt' || x.op === 'gte');
}
