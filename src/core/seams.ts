/** The typed seams between stages: what a reader yields and what a detector returns. */
import type { Event, FieldValue, Level } from './event.ts';
import type { Issue } from './errors.ts';

/** What one input produced so far. Readers yield many of these per file; problems never stop a file. */
export interface ReadBatch {
  /** The input file's path as the user named it (inside a zip: `archive.zip!inner/path`). */
  readonly file: string;
  readonly events: readonly Event[];
  /** Per-record, per-chunk or per-file problems, each located. */
  readonly issues: readonly Issue[];
}

/** The part of a rule a detection carries with it. */
export interface RuleRef {
  readonly id: string;
  /** The rule's optional `name`, which correlation rules may refer to instead of the id. */
  readonly name?: string;
  readonly title: string;
  readonly level: Level;
  readonly status?: string;
  readonly tags: readonly string[];
  readonly description?: string;
  readonly author?: string;
  readonly falsepositives?: readonly string[];
  /** The rule file the rule came from. */
  readonly file?: string;
}

/** A rule hit: one event for a detection rule, several for a correlation rule. */
export interface Detection {
  readonly rule: RuleRef;
  readonly kind: 'event' | 'correlation';
  /** Time of the (last) event that completed the match, ms since epoch. */
  readonly ts: number;
  readonly events: readonly Event[];
  /** The event fields the rule's detection looked at and found, for the timeline. */
  readonly matched: Readonly<Record<string, FieldValue>>;
  /** Correlation rules: the group-by values of the group that fired. */
  readonly group?: Readonly<Record<string, FieldValue>>;
}
