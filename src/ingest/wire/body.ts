/**
 * Turns a request body as it came off the wire into text: undoes its content encoding (gzip,
 * deflate, br) without ever inflating past the size limit, and checks that it is UTF-8.
 */
import { brotliDecompressSync, gunzipSync, inflateRawSync, inflateSync } from 'node:zlib';
import type { Issue, Result } from '../../core/index.ts';
import { fail, ok } from '../../core/index.ts';

export interface DecodeBodyOptions {
  /** The request's `Content-Encoding` header, as sent (`gzip`, `x-gzip`, `deflate`, `br`, `identity`, a list). */
  readonly contentEncoding?: string;
  /** Most bytes the body may hold after decompression; more is INGEST_TOO_LARGE. */
  readonly maxBytes: number;
  /** Names the body in issue locations (default `request body`). */
  readonly name?: string;
  /**
   * What bytes that are not UTF-8 do: `fail` (the default) refuses the body; `replace` reads each
   * invalid sequence as U+FFFD, as the syslog listeners do, so one bad byte costs no record, and
   * returns a warning (INGEST_BAD_ENCODING with line and byte offset) for each of the first 100.
   */
  readonly invalidUtf8?: 'fail' | 'replace';
}

type Inflate = (bytes: Uint8Array, maxOutputLength: number) => Uint8Array;

/** Node's zlib stops (ERR_BUFFER_TOO_LARGE) as soon as the output passes maxOutputLength. */
const DECODERS: Readonly<Record<string, Inflate>> = {
  gzip: (b, max) => gunzipSync(b, { maxOutputLength: max }),
  deflate: (b, max) => {
    // RFC 9110 deflate is the zlib format; some clients send a raw deflate stream
    try {
      return inflateSync(b, { maxOutputLength: max });
    } catch (e) {
      if (isTooLarge(e)) throw e;
      return inflateRawSync(b, { maxOutputLength: max });
    }
  },
  br: (b, max) => brotliDecompressSync(b, { maxOutputLength: max }),
};

const ALIASES: Readonly<Record<string, string>> = {
  'x-gzip': 'gzip',
  gzip: 'gzip',
  deflate: 'deflate',
  br: 'br',
};

/** The codings `decodeBody` undoes, as an `Accept-Encoding` value (for a 415 answer). */
export const ACCEPTED_CODINGS = 'gzip, deflate, br';

/** The first coding of a `Content-Encoding` value that `decodeBody` cannot undo, or undefined. */
export function unsupportedCoding(contentEncoding: string): string | undefined {
  return contentEncoding
    .split(',')
    .map((c) => c.trim().toLowerCase())
    .find((c) => c !== '' && c !== 'identity' && ALIASES[c] === undefined);
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });
const lossyUtf8 = new TextDecoder('utf-8', { fatal: false, ignoreBOM: false });

/** Invalid sequences reported one by one under `invalidUtf8: 'replace'`; the rest are replaced silently. */
const MAX_REPORTED = 100;

/**
 * The body as text. Decompresses per `contentEncoding` (codings applied in the order listed are
 * undone in reverse), or gzip when the body starts with the gzip magic and no encoding was named;
 * output beyond `maxBytes` stops the inflater at once (INGEST_TOO_LARGE). A corrupt stream, an
 * unknown coding or bytes that are not UTF-8 are INGEST_BAD_ENCODING, the last naming the byte
 * offset (in the decompressed body). A UTF-8 BOM is dropped; a body with a UTF-16 BOM is read as
 * UTF-16 (PowerShell 5 sends that).
 */
export function decodeBody(body: Uint8Array, opts: DecodeBodyOptions): Result<string> {
  const file = opts.name ?? 'request body';
  const inflated = decodeBytes(body, opts);
  if (!inflated.ok) return inflated;
  const bytes = inflated.value;
  if (isUtf16(bytes)) return decodeUtf16(bytes, file);
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    if (opts.invalidUtf8 === 'replace') {
      const lossy = lossyUtf8.decode(bytes);
      const warnings = invalidUtf8Issues(bytes, file);
      return ok(lossy.charCodeAt(0) === 0xfeff ? lossy.slice(1) : lossy, warnings);
    }
    const at = firstInvalidUtf8(bytes);
    return fail([
      issue('INGEST_BAD_ENCODING', `not UTF-8: invalid byte sequence at byte offset ${at}`, file, {
        offset: at,
      }),
    ]);
  }
  // ignoreBOM: false makes the decoder drop a leading BOM already; this covers a BOM after a BOM
  return ok(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
}

/**
 * The body's bytes with its content codings undone (gzip also when only its magic says so), for binary
 * uploads (EVTX, zip). Output beyond `maxBytes` stops the inflater at once (INGEST_TOO_LARGE); a corrupt
 * stream or an unknown coding is INGEST_BAD_ENCODING.
 */
export function decodeBytes(body: Uint8Array, opts: DecodeBodyOptions): Result<Uint8Array> {
  const file = opts.name ?? 'request body';
  if (body.length === 0) return ok(body); // an empty body is empty whatever its header says
  const codings = (opts.contentEncoding ?? '')
    .split(',')
    .map((c) => c.trim().toLowerCase())
    .filter((c) => c !== '' && c !== 'identity');
  if (codings.length === 0 && body[0] === 0x1f && body[1] === 0x8b) codings.push('gzip');
  if (codings.length === 0 && body.length > opts.maxBytes) {
    return fail([tooLarge(file, opts.maxBytes)]);
  }
  let bytes = body;
  for (const coding of codings.reverse()) {
    const name = ALIASES[coding];
    const inflate = name === undefined ? undefined : DECODERS[name];
    if (inflate === undefined) {
      return fail([issue('INGEST_BAD_ENCODING', `unsupported content encoding ${coding}`, file)]);
    }
    try {
      bytes = inflate(bytes, opts.maxBytes);
    } catch (e) {
      if (isTooLarge(e)) return fail([tooLarge(file, opts.maxBytes)]);
      const why = e instanceof Error ? e.message : String(e);
      return fail([issue('INGEST_BAD_ENCODING', `corrupt ${coding} stream: ${why}`, file)]);
    }
  }
  return ok(bytes);
}

function isTooLarge(e: unknown): boolean {
  return (
    typeof e === 'object' &&
    e !== null &&
    'code' in e &&
    (e.code === 'ERR_BUFFER_TOO_LARGE' || e.code === 'ERR_OUT_OF_RANGE')
  );
}

function isUtf16(bytes: Uint8Array): boolean {
  return (bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff);
}

function decodeUtf16(bytes: Uint8Array, file: string): Result<string> {
  const le = bytes[0] === 0xff;
  try {
    return ok(new TextDecoder(le ? 'utf-16le' : 'utf-16be', { fatal: true }).decode(bytes));
  } catch {
    return fail([issue('INGEST_BAD_ENCODING', 'invalid UTF-16 text', file)]);
  }
}

/** A warning for each run of invalid bytes (the first MAX_REPORTED), with its line and byte offset. */
function invalidUtf8Issues(bytes: Uint8Array, file: string): Issue[] {
  const out: Issue[] = [];
  let line = 1;
  let counted = 0;
  for (let at = firstInvalidUtf8(bytes); at !== -1 && out.length < MAX_REPORTED;) {
    for (let i = bytes.indexOf(0x0a, counted); i !== -1 && i < at; i = bytes.indexOf(0x0a, i + 1))
      line++;
    counted = at;
    out.push(
      issue(
        'INGEST_BAD_ENCODING',
        `not UTF-8: invalid byte sequence at byte offset ${at} (line ${line}); read as U+FFFD`,
        file,
        { line, offset: at },
        'warning',
      ),
    );
    let next = at + 1;
    while (next < bytes.length && firstInvalidUtf8(bytes, next) === next) next++;
    at = firstInvalidUtf8(bytes, next);
  }
  return out;
}

/**
 * Offset of the first byte at or after `from` that does not start or continue a valid UTF-8
 * sequence, by the rules the WHATWG decoder applies (no overlong forms, no surrogates, nothing
 * above U+10FFFF); -1 when every byte is valid. A sequence cut off by the end of the input is
 * invalid at its first byte.
 */
export function firstInvalidUtf8(bytes: Uint8Array, from = 0): number {
  const n = bytes.length;
  let i = from;
  while (i < n) {
    const b = bytes[i] ?? 0;
    if (b < 0x80) {
      i++;
      continue;
    }
    let need: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (b >= 0xc2 && b <= 0xdf) need = 1;
    else if (b >= 0xe0 && b <= 0xef) {
      need = 2;
      if (b === 0xe0) lo = 0xa0;
      if (b === 0xed) hi = 0x9f;
    } else if (b >= 0xf0 && b <= 0xf4) {
      need = 3;
      if (b === 0xf0) lo = 0x90;
      if (b === 0xf4) hi = 0x8f;
    } else return i;
    if (i + need >= n) return i;
    for (let k = 1; k <= need; k++) {
      const c = bytes[i + k] ?? 0;
      if (c < (k === 1 ? lo : 0x80) || c > (k === 1 ? hi : 0xbf)) return i;
    }
    i += need + 1;
  }
  return -1;
}

function tooLarge(file: string, max: number): Issue {
  return issue('INGEST_TOO_LARGE', `body is larger than ${max} bytes after decompression`, file);
}

function issue(
  code: Issue['code'],
  message: string,
  file: string,
  where: { offset?: number; line?: number } = {},
  severity: Issue['severity'] = 'error',
): Issue {
  return { code, severity, message, at: { file, ...where } };
}
