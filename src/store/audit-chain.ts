/** The audit log's hash chain: canonical JSON of a row and the hash linking it to the previous row. */
import { createHash } from 'node:crypto';
import type { AuditEntry } from '../core/index.ts';

/** `prevHash` of the first row of the chain. */
export const GENESIS_HASH = '0'.repeat(64);

/** The part of an audit row its hash covers. */
export type AuditContent = Pick<
  AuditEntry,
  'tenant' | 'ts' | 'actor' | 'action' | 'target' | 'detail'
>;

/**
 * The detail as it reads back from storage: a JSON round trip (dates become strings, `undefined` members
 * disappear). Hashing this form, not the caller's object, keeps `verifyAudit` able to recompute the hash.
 */
export function normaliseDetail(
  detail: Readonly<Record<string, unknown>>,
): Record<string, unknown> {
  const json = JSON.stringify(detail) as string | undefined;
  const value: unknown = json === undefined ? {} : JSON.parse(json);
  return value !== null && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}

/**
 * Canonical JSON of a JSON value: object members sorted by UTF-16 code units, no white space, numbers and
 * strings as `JSON.stringify` writes them (RFC 8785 for values that went through `normaliseDetail`).
 */
export function canonicalJson(value: unknown): string {
  if (value === undefined) return 'null';
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) {
    return `[${value.map((item: unknown) => (item === undefined ? 'null' : canonicalJson(item))).join(',')}]`;
  }
  const record = value as Record<string, unknown>;
  const members = Object.keys(record)
    .filter((key) => record[key] !== undefined)
    .sort()
    .map((key) => `${JSON.stringify(key)}:${canonicalJson(record[key])}`);
  return `{${members.join(',')}}`;
}

/** sha256 hex of `prevHash` followed by the canonical JSON of the row's content. */
export function auditHash(prevHash: string, content: AuditContent): string {
  const { tenant, ts, actor, action, target, detail } = content;
  return createHash('sha256')
    .update(prevHash)
    .update(canonicalJson({ tenant, ts, actor, action, target, detail }))
    .digest('hex');
}

/** Checks stored rows one at a time, in seq order, against the chain they should form. */
export class AuditChainWalker {
  #prevHash = GENESIS_HASH;

  /** Whether this row breaks the chain: its `prevHash` is not the previous row's hash, or its hash is wrong. */
  breaks(row: AuditEntry): boolean {
    if (row.prevHash !== this.#prevHash || row.hash !== auditHash(this.#prevHash, row)) return true;
    this.#prevHash = row.hash;
    return false;
  }
}
