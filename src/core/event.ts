/** The normalised event every stage passes along, and the shapes its fields take. */

/** One field value as a reader produced it. Lists hold repeated elements (e.g. several `<Data>` with one name). */
export type Scalar = string | number | boolean | null;
export type FieldValue = Scalar | readonly Scalar[];

/** Fields as the source named them, flattened: nested objects become dotted keys (`a.b.c`). */
export type Fields = Record<string, FieldValue>;

/** A Sigma logsource triple; any part may be absent. */
export interface LogSource {
  readonly product?: string;
  readonly category?: string;
  readonly service?: string;
}

/** Where an event came from, for evidence and for the timeline. */
export interface EventOrigin {
  /** Path of the input file (scan) or the receiver name (server). */
  readonly file?: string;
  /** The reader that produced it (`evtx`, `ndjson`, `syslog`, `zeek-tsv`, …). */
  readonly format: string;
  /** EVTX EventRecordID, or the line number for line-oriented formats. */
  readonly recordId?: number;
  /** Byte offset of the record in its file, when the reader knows it. */
  readonly offset?: number;
}

/**
 * One normalised record. `fields` keeps the source's own names, so SigmaHQ rules match as written
 * (Windows: System attributes and EventData flattened: `EventID`, `Channel`, `Image`, …).
 */
export interface Event {
  /** Milliseconds since the Unix epoch; NaN when the record carries no usable time. */
  readonly ts: number;
  /** The tenant that owns the event. `vigil scan` uses `local`. */
  readonly tenant: string;
  /** What the reader knows about the logsource (Windows events are routed by Channel/EventID instead). */
  readonly source: LogSource;
  readonly fields: Fields;
  readonly origin: EventOrigin;
}

export type Level = 'informational' | 'low' | 'medium' | 'high' | 'critical';
export const LEVELS: readonly Level[] = ['informational', 'low', 'medium', 'high', 'critical'];

/** Rank of a level for comparisons (`informational` = 0 … `critical` = 4); -1 for an unknown name. */
export function levelRank(level: string): number {
  return LEVELS.indexOf(level as Level);
}
