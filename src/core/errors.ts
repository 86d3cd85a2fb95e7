/** Errors as data: the closed set of codes every stage reports with, and the one error class. */

/**
 * Every code Vigil reports. `docs/errors.md` documents each one; a test keeps the two in sync.
 * Codes are grouped by the stage that raises them.
 */
export const ERROR_CODES = [
  // reading input
  'READ_IO',
  'READ_UNKNOWN_FORMAT',
  'READ_BAD_JSON',
  'READ_BAD_LINE',
  'READ_BAD_ZIP',
  'READ_FIELD_TOO_LARGE',
  // EVTX
  'EVTX_BAD_FILE_HEADER',
  'EVTX_BAD_CHUNK_HEADER',
  'EVTX_BAD_CHUNK_CHECKSUM',
  'EVTX_BAD_RECORD',
  'EVTX_BAD_BINXML',
  'EVTX_TRUNCATED',
  // Sigma rules
  'SIGMA_YAML',
  'SIGMA_SCHEMA',
  'SIGMA_CONDITION',
  'SIGMA_MODIFIER',
  'SIGMA_REGEX',
  'SIGMA_UNSUPPORTED',
  'SIGMA_DUPLICATE_ID',
  'SIGMA_CORRELATION',
  'SIGMA_LOGSOURCE',
  'SIGMA_PLACEHOLDER',
  'SIGMA_FIELD_MAPPING',
  // server ingest
  'INGEST_TOO_LARGE',
  'INGEST_BAD_ENCODING',
  'INGEST_TOO_DEEP',
  'INGEST_BAD_REQUEST',
  'INGEST_BUSY',
  'SYSLOG_BAD_FRAME',
  // server API and access
  'AUTH_REQUIRED',
  'AUTH_FAILED',
  'AUTH_THROTTLED',
  'FORBIDDEN',
  'NOT_FOUND',
  'CONFLICT',
  'BAD_REQUEST',
  // server internals
  'STORE',
  'CONFIG',
  // command line
  'USAGE',
  'INTERNAL',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

/** Where a problem is. Files and lines are 1-based; offsets are bytes from the start of the file. */
export interface Location {
  readonly file: string;
  readonly line?: number;
  readonly col?: number;
  /** A path inside the document (`detection.selection.Image|endswith`). */
  readonly path?: string;
  readonly offset?: number;
  readonly chunk?: number;
  readonly record?: number;
}

/** One problem found while loading or reading; loaders collect all of them instead of stopping. */
export interface Issue {
  readonly code: ErrorCode;
  readonly severity: 'error' | 'warning';
  readonly message: string;
  readonly at?: Location;
}

export type Result<T> =
  | { readonly ok: true; readonly value: T; readonly warnings?: readonly Issue[] }
  | { readonly ok: false; readonly issues: readonly Issue[] };

export function ok<T>(value: T, warnings?: readonly Issue[]): Result<T> {
  return warnings && warnings.length > 0 ? { ok: true, value, warnings } : { ok: true, value };
}

export function fail<T = never>(issues: readonly Issue[]): Result<T> {
  return { ok: false, issues };
}

/** A fault: thrown, never returned. Per-record problems are `Issue`s, not throws. */
export class VigilError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'VigilError';
  }
}

/** Formats a location the way compilers do: `file:line:col`. */
export function formatLocation(at: Location): string {
  let s = at.file;
  if (at.line !== undefined) s += `:${at.line}`;
  if (at.line !== undefined && at.col !== undefined) s += `:${at.col}`;
  const extra: string[] = [];
  if (at.offset !== undefined) extra.push(`offset 0x${at.offset.toString(16)}`);
  if (at.chunk !== undefined) extra.push(`chunk ${at.chunk}`);
  if (at.record !== undefined) extra.push(`record ${at.record}`);
  if (at.path !== undefined) extra.push(at.path);
  return extra.length > 0 ? `${s} (${extra.join(', ')})` : s;
}
