/** Page sizes and opaque page cursors shared by every store implementation. */
import { VigilError } from '../core/index.ts';

export const DEFAULT_PAGE_LIMIT = 100;
export const MAX_PAGE_LIMIT = 1000;

/** The page size to use: the default when absent, at most `MAX_PAGE_LIMIT`; throws on a non-positive or fractional limit. */
export function pageLimit(limit: number | undefined): number {
  if (limit === undefined) return DEFAULT_PAGE_LIMIT;
  if (!Number.isInteger(limit) || limit < 1) {
    throw new VigilError('BAD_REQUEST', `limit must be a positive integer, not ${String(limit)}`);
  }
  return Math.min(limit, MAX_PAGE_LIMIT);
}

/** A positive integer count for provider-side feeds (no upper bound beyond the caller's own). */
export function positiveLimit(limit: number): number {
  if (!Number.isInteger(limit) || limit < 1) {
    throw new VigilError('BAD_REQUEST', `limit must be a positive integer, not ${String(limit)}`);
  }
  return limit;
}

type Part = 'number' | 'string';
type PartValue<P extends Part> = P extends 'number' ? number : string;
type PartValues<S extends readonly Part[]> = { -readonly [K in keyof S]: PartValue<S[K]> };

/** Encodes the sort key of the last row of a page as an opaque base64url string. */
export function encodeCursor(parts: readonly (string | number)[]): string {
  return Buffer.from(JSON.stringify(parts), 'utf8').toString('base64url');
}

/** Decodes a cursor made by `encodeCursor` with the given shape; throws `BAD_REQUEST` on anything else. */
export function decodeCursor<const S extends readonly Part[]>(
  cursor: string,
  shape: S,
): PartValues<S> {
  let parts: unknown;
  try {
    parts = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    parts = undefined;
  }
  const valid =
    Array.isArray(parts) &&
    parts.length === shape.length &&
    shape.every((type, i) =>
      type === 'number' ? Number.isFinite(parts[i]) : typeof parts[i] === 'string',
    );
  if (!valid) throw new VigilError('BAD_REQUEST', 'cursor is not one this store issued');
  return parts as PartValues<S>;
}
