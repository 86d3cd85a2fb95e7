/** Pieces every reader shares: located issues, the field size limit, and grouping events into batches. */
import type {
  ErrorCode,
  Event,
  Fields,
  Issue,
  Location,
  ReadBatch,
  Scalar,
} from '../core/index.ts';

/** A string field longer than this (in UTF-16 code units, i.e. about 1 MiB of text) is truncated. */
export const MAX_FIELD_CHARS = 1 << 20;

/** Events per batch: large enough to amortise the hand-off, small enough to keep memory flat. */
export const BATCH_EVENTS = 1000;

export function makeIssue(
  code: ErrorCode,
  message: string,
  at: Location,
  severity: 'error' | 'warning' = 'error',
): Issue {
  return { code, severity, message, at };
}

/**
 * Cuts every string (or string list item) longer than MAX_FIELD_CHARS down to that size, in place,
 * and reports each cut as READ_FIELD_TOO_LARGE at `at`.
 */
export function limitFields(fields: Fields, at: Location, issues: Issue[]): void {
  for (const key in fields) {
    const v = fields[key];
    if (typeof v === 'string') {
      if (v.length > MAX_FIELD_CHARS) {
        fields[key] = cut(v);
        issues.push(tooLarge(key, v.length, at));
      }
    } else if (
      Array.isArray(v) &&
      v.some((x) => typeof x === 'string' && x.length > MAX_FIELD_CHARS)
    ) {
      fields[key] = (v as readonly Scalar[]).map((x): Scalar => {
        if (typeof x !== 'string' || x.length <= MAX_FIELD_CHARS) return x;
        issues.push(tooLarge(key, x.length, at));
        return cut(x);
      });
    }
  }
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * The first MAX_FIELD_CHARS of `s`, as a copy: a plain slice would be a view that keeps the whole
 * (maybe 10 MB) original alive for as long as the event lives.
 */
function cut(s: string): string {
  return decoder.decode(encoder.encode(s.slice(0, MAX_FIELD_CHARS)));
}

function tooLarge(key: string, length: number, at: Location): Issue {
  return makeIssue(
    'READ_FIELD_TOO_LARGE',
    `field ${key} has ${String(length)} characters; kept the first ${String(MAX_FIELD_CHARS)}`,
    { ...at, path: key },
    'warning',
  );
}

/** Collects events and issues of one input and hands them out in batches of BATCH_EVENTS. */
export class Batcher {
  private events: Event[] = [];
  private issues: Issue[] = [];

  constructor(readonly file: string) {}

  get full(): boolean {
    return this.events.length >= BATCH_EVENTS || this.issues.length >= BATCH_EVENTS;
  }

  event(e: Event): void {
    this.events.push(e);
  }

  issue(i: Issue): void {
    this.issues.push(i);
  }

  /** The batch so far, emptying the batcher. */
  take(): ReadBatch {
    const batch = { file: this.file, events: this.events, issues: this.issues };
    this.events = [];
    this.issues = [];
    return batch;
  }

  /** The last batch, or nothing when there is nothing left to hand out. */
  *rest(): Generator<ReadBatch> {
    if (this.events.length > 0 || this.issues.length > 0) yield this.take();
  }
}
