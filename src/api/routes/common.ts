/** Bits every route file shares: audit rows, schema fragments for OpenAPI, cursor/limit parsing. */
import { VigilError, type Store } from '../../core/index.ts';

/** Tenant and object ids: URL-safe, at most 64 characters. */
export const ID_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$';

export const idParam = {
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'string', maxLength: 200 } },
} as const;

const errorSchema = {
  type: 'object',
  description: 'Every API error: a code from docs/errors.md and a message naming the problem.',
  properties: {
    error: {
      type: 'object',
      additionalProperties: true,
      properties: { code: { type: 'string' }, message: { type: 'string' } },
    },
  },
} as const;

/** The error responses every JSON route may give, for the OpenAPI document. */
export const errorResponses = { '4xx': errorSchema, '5xx': errorSchema } as const;

export async function audit(
  store: Store,
  tenant: string,
  actor: string,
  action: string,
  target: string,
  detail: Record<string, unknown>,
  ts: number,
): Promise<void> {
  await store.appendAudit({ tenant, ts, actor, action, target, detail });
}

/** Parses an ISO time or epoch milliseconds from a query parameter; undefined when absent. */
export function timeParam(v: string | undefined, name: string): number | undefined {
  if (v === undefined || v === '') return undefined;
  const n = /^\d+$/.test(v) ? Number(v) : Date.parse(v);
  if (Number.isNaN(n)) {
    throw new VigilError('BAD_REQUEST', `${name}: not a time (use ISO 8601 or epoch ms): ${v}`);
  }
  return n;
}
