/** The sliding window of one (correlation rule, tenant, group-by values) key and its running aggregates. */
import type { Event, FieldValue } from '../../../core/index.ts';

/** One contribution of a detection to a group. */
export class Entry {
  constructor(
    readonly ts: number,
    /** Arrival order, which breaks ties between equal timestamps. */
    readonly seq: number,
    /** Position of the matched rule in `correlation.rules` (temporal types); 0 otherwise. */
    readonly rule: number,
    /** Distinct-value key (value_count, value_percentile share mode). */
    readonly key: string | undefined,
    /** Numeric value (value_sum, value_avg, value_percentile percentile mode). */
    readonly num: number | undefined,
    /** The contributing detection's events; dropped for entries in the middle of a long window. */
    public events: readonly Event[] | undefined,
  ) {}
}

/** What the window keeps and how much of it. */
export interface WindowLimits {
  /** Entries kept per group; older ones are forgotten (counted in `dropped`) past this. */
  readonly maxEntries: number;
  /** Entries at the start of the window whose events are kept for the detection. */
  readonly firstEvents: number;
  /** Entries at the end of the window whose events are kept for the detection. */
  readonly lastEvents: number;
}

function before(a: Entry, b: Entry): boolean {
  return a.ts < b.ts || (a.ts === b.ts && (a.seq < b.seq || (a.seq === b.seq && a.rule < b.rule)));
}

/**
 * A time-ordered deque of entries no older than `spanMs` before the newest one, with counts per key,
 * per rule, and a running sum, all kept exact as entries come and go.
 */
export class GroupWindow {
  /** Slots before `head` are spent (undefined) until the array is compacted. */
  private entries: (Entry | undefined)[] = [];
  private head = 0;
  /** Newest timestamp seen by this group. */
  maxTs = -Infinity;
  /** The first event of the last detection added, to count an event matched by two rules once. */
  lastEvent: Event | undefined;
  /** `maxTs` when the engine last queued this group for expiry. */
  queuedTs = -Infinity;
  readonly keyCounts = new Map<string, number>();
  readonly ruleCounts = new Map<number, number>();
  sum = 0;
  numCount = 0;
  /** Numeric values in ascending order, maintained only when asked for (percentiles). */
  private readonly sorted: number[] | undefined;

  constructor(
    readonly key: string,
    readonly tenant: string,
    readonly group: Readonly<Record<string, FieldValue>>,
    private readonly spanMs: number,
    private readonly limits: WindowLimits,
    keepSorted: boolean,
  ) {
    this.sorted = keepSorted ? [] : undefined;
  }

  get size(): number {
    return this.entries.length - this.head;
  }

  /** Entries in time order (a fresh array). */
  list(): Entry[] {
    const out: Entry[] = [];
    for (let i = this.head; i < this.entries.length; i++) {
      const e = this.entries[i];
      if (e) out.push(e);
    }
    return out;
  }

  /** Whether an entry at `ts` would already be outside the window. */
  isLate(ts: number): boolean {
    return ts < this.maxTs - this.spanMs;
  }

  /** Adds an entry in time order, expires what fell out of the window; returns how many were forgotten over the cap. */
  add(e: Entry): number {
    if (e.ts > this.maxTs) this.maxTs = e.ts;
    const last = this.entries[this.entries.length - 1];
    if (this.size === 0 || last === undefined || !before(e, last)) {
      this.entries.push(e);
    } else {
      let lo = this.head;
      let hi = this.entries.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        const m = this.entries[mid];
        if (m !== undefined && before(m, e)) lo = mid + 1;
        else hi = mid;
      }
      this.entries.splice(lo, 0, e);
    }
    this.count(e, 1);
    this.expire(this.maxTs);
    let dropped = 0;
    while (this.size > this.limits.maxEntries) {
      this.removeFront();
      dropped++;
    }
    this.trimEvents();
    return dropped;
  }

  /** Removes entries older than `now - spanMs` (an entry exactly `spanMs` old stays). */
  expire(now: number): void {
    const cutoff = now - this.spanMs;
    for (;;) {
      const first = this.entries[this.head];
      if (first === undefined || first.ts >= cutoff) break;
      this.removeFront();
    }
  }

  /** Empties the window after it fired; its time, its last event and its place in the expiry queue stay. */
  reset(): void {
    this.entries = [];
    this.head = 0;
    this.keyCounts.clear();
    this.ruleCounts.clear();
    this.sum = 0;
    this.numCount = 0;
    if (this.sorted) this.sorted.length = 0;
  }

  /** How many of rules 0…n-1 appear in that order, one after another, among the entries (greedy, which is optimal). */
  orderedPrefix(n: number): number {
    let pos = 0;
    for (let i = this.head; i < this.entries.length && pos < n; i++) {
      if (this.entries[i]?.rule === pos) pos++;
    }
    return pos;
  }

  /** The `q`-th percentile (0–100) of the numeric values, interpolating between closest ranks. */
  percentile(q: number): number | undefined {
    const s = this.sorted;
    if (!s || s.length === 0) return undefined;
    const pos = ((s.length - 1) * q) / 100;
    const lo = Math.floor(pos);
    const hi = Math.ceil(pos);
    const a = s[lo] ?? 0;
    const b = s[hi] ?? a;
    return a + (b - a) * (pos - lo);
  }

  private removeFront(): void {
    const e = this.entries[this.head];
    if (e === undefined) return;
    this.entries[this.head] = undefined;
    this.head++;
    this.count(e, -1);
    if (this.head >= 1024 && this.head * 2 >= this.entries.length) {
      this.entries = this.entries.slice(this.head);
      this.head = 0;
    }
  }

  private count(e: Entry, delta: 1 | -1): void {
    bump(this.ruleCounts, e.rule, delta);
    if (e.key !== undefined) bump(this.keyCounts, e.key, delta);
    if (e.num !== undefined) {
      this.sum += delta * e.num;
      this.numCount += delta;
      if (this.numCount === 0) this.sum = 0;
      const s = this.sorted;
      if (s) {
        const at = lowerBound(s, e.num);
        if (delta === 1) s.splice(at, 0, e.num);
        else if (s[at] === e.num) s.splice(at, 1);
      }
    }
  }

  /** Keeps events only on the first and last entries of the window. */
  private trimEvents(): void {
    const { firstEvents, lastEvents } = this.limits;
    const drop = this.entries.length - 1 - lastEvents;
    if (drop >= this.head + firstEvents) {
      const e = this.entries[drop];
      if (e) e.events = undefined;
    }
  }
}

function bump<K>(m: Map<K, number>, k: K, delta: number): void {
  const n = (m.get(k) ?? 0) + delta;
  if (n <= 0) m.delete(k);
  else m.set(k, n);
}

function lowerBound(s: readonly number[], x: number): number {
  let lo = 0;
  let hi = s.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((s[mid] ?? 0) < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
