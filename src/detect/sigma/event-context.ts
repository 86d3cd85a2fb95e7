/** Per-event matching state: the event's fields and a lazily filled cache of lowercased values. */
import type { FieldValue, Fields, Scalar } from '../../core/index.ts';

export type Low = string | null | readonly (string | null)[];

/** Most field names given a cache slot; names met beyond it (keywords over odd events) are not cached. */
const MAX_SLOTS = 4096;

/** Per-event state: the event's fields and a lazily filled cache of lowercased values, one slot per field name. */
export class EvalCtx {
  fields: Fields = {};
  private gen = 1;
  private stamps = new Int32Array(64);
  private lows: (Low | undefined)[] = [];
  private readonly slots = new Map<string, number>();

  /** The slot number of a field name (-1: not cached); closures resolve it once at build time. */
  slot(name: string): number {
    let s = this.slots.get(name);
    if (s === undefined) {
      if (this.slots.size >= MAX_SLOTS) return -1;
      s = this.slots.size;
      this.slots.set(name, s);
      if (s >= this.stamps.length) {
        const bigger = new Int32Array(this.stamps.length * 2);
        bigger.set(this.stamps);
        this.stamps = bigger;
      }
    }
    return s;
  }

  private keyList: readonly string[] = [];
  private keyGen = 0;

  reset(fields: Fields): void {
    this.fields = fields;
    this.gen++;
  }

  private valueList: readonly FieldValue[] = [];
  private valueGen = 0;

  /** The event's field values, listed once per event. */
  values(): readonly FieldValue[] {
    if (this.valueGen !== this.gen) {
      this.valueList = Object.values(this.fields);
      this.valueGen = this.gen;
    }
    return this.valueList;
  }

  /** The event's field names, listed once per event. */
  keys(): readonly string[] {
    if (this.keyGen !== this.gen) {
      this.keyList = Object.keys(this.fields);
      this.keyGen = this.gen;
    }
    return this.keyList;
  }

  /** Lowercased value of the field in `slot` (named `name`); `undefined` when absent. */
  low(slot: number, name: string): Low | undefined {
    if (this.stamps[slot] === this.gen) return this.lows[slot];
    const raw = this.fields[name];
    const v = raw === undefined ? undefined : lowerValue(raw);
    if (slot < 0) return v;
    this.stamps[slot] = this.gen;
    this.lows[slot] = v;
    return v;
  }
}

export function scalarText(v: Scalar): string | null {
  if (v === null) return null;
  return typeof v === 'string' ? v : String(v);
}

function lowerValue(v: FieldValue): Low {
  if (Array.isArray(v))
    return (v as readonly Scalar[]).map((x) => scalarText(x)?.toLowerCase() ?? null);
  const t = scalarText(v as Scalar);
  return t === null ? null : t.toLowerCase();
}
