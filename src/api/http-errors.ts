/** The one place error codes become HTTP statuses, and the JSON shape errors take on the API. */
import { VigilError, type ErrorCode } from '../core/index.ts';

const STATUS: Partial<Record<ErrorCode, number>> = {
  AUTH_REQUIRED: 401,
  AUTH_FAILED: 401,
  AUTH_THROTTLED: 429,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  BAD_REQUEST: 400,
  INGEST_TOO_LARGE: 413,
  INGEST_BAD_ENCODING: 400,
  INGEST_TOO_DEEP: 400,
  INGEST_BAD_REQUEST: 400,
  READ_BAD_JSON: 400,
  INGEST_BUSY: 429,
  STORE: 503,
  CONFIG: 500,
  INTERNAL: 500,
};

export function statusOf(code: ErrorCode): number {
  return STATUS[code] ?? 400;
}

/** `{ "error": { "code", "message", "issues"? } }` — every API error looks like this. */
export interface ErrorBody {
  readonly error: {
    readonly code: string;
    readonly message: string;
    readonly [k: string]: unknown;
  };
}

export function errorBody(
  code: string,
  message: string,
  extra: Record<string, unknown> = {},
): ErrorBody {
  return { error: { code, message, ...extra } };
}

/** Maps anything thrown in a handler to a status and body; unknown errors become INTERNAL without detail. */
export function toHttpError(err: unknown): {
  status: number;
  body: ErrorBody;
  retryAfter?: number;
} {
  if (err instanceof VigilError) {
    const status = (err as VigilError & { status?: number }).status ?? statusOf(err.code);
    const retryAfter = (err as VigilError & { retryAfter?: number }).retryAfter;
    return {
      status,
      body: errorBody(err.code, err.message),
      ...(retryAfter !== undefined
        ? { retryAfter }
        : err.code === 'INGEST_BUSY'
          ? { retryAfter: 1 }
          : {}),
    };
  }
  const e = err as { statusCode?: number; code?: string; message?: string; validation?: unknown };
  if (e.validation !== undefined) {
    return { status: 400, body: errorBody('BAD_REQUEST', e.message ?? 'invalid request') };
  }
  if (e.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
    return {
      status: 413,
      body: errorBody('INGEST_TOO_LARGE', 'request body is over the size limit'),
    };
  }
  if (e.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
    return { status: 415, body: errorBody('BAD_REQUEST', e.message ?? 'unsupported content type') };
  }
  if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
    const code =
      e.statusCode === 413
        ? 'INGEST_TOO_LARGE'
        : e.statusCode === 404
          ? 'NOT_FOUND'
          : 'BAD_REQUEST';
    return { status: e.statusCode, body: errorBody(code, e.message ?? 'bad request') };
  }
  return {
    status: 500,
    body: errorBody('INTERNAL', 'internal error; the server log has the details'),
  };
}

/** A VigilError answered with `status` instead of its code's usual one (415 for an unknown coding). */
export function withStatus(err: VigilError, status: number): VigilError {
  return Object.assign(err, { status });
}

/** A VigilError that carries a Retry-After value in seconds. */
export function throttled(message: string, retryAfter: number): VigilError {
  const err = new VigilError('AUTH_THROTTLED', message) as VigilError & { retryAfter: number };
  err.retryAfter = retryAfter;
  return err;
}
