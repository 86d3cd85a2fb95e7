/**
 * Finds where each JSON value starts and ends in NDJSON, concatenated (possibly pretty-printed)
 * objects or a top-level array, without parsing, and recovers from broken records.
 */

/** One stretch of the input the scanner found. Offsets are bytes; `line` is 1-based. */
export type ScanItem =
  /** A balanced `{…}` (or `[…]` inside a top-level array); JSON.parse may still reject it. */
  | { readonly kind: 'record'; readonly start: number; readonly end: number; readonly line: number }
  /** A value that never closed: the next record starts at column 0 first, a string runs into a line break, or the input ends. */
  | {
      readonly kind: 'broken';
      readonly start: number;
      readonly end: number;
      readonly line: number;
      readonly reason: string;
    }
  /** Text between values that is not JSON (one item per line). */
  | { readonly kind: 'noise'; readonly start: number; readonly end: number; readonly line: number };

const LF = 10;
const CR = 13;
const TAB = 9;
const SPACE = 32;
const QUOTE = 34;
const COMMA = 44;
const BACKSLASH = 92;
const OPEN_BRACE = 123;
const CLOSE_BRACE = 125;
const OPEN_BRACKET = 91;
const CLOSE_BRACKET = 93;

/**
 * Yields the records of a JSON text in order. A top-level `[` is a container whose elements are
 * the records; `{"Records": […]}` wrappers are left to the caller. Recovery: a `{` in column 0
 * while a record is still open ends that record as broken and starts a new one, and so does a
 * raw line break inside a string, so one bad object never swallows the ones after it.
 */
export function* scanJson(
  bytes: Uint8Array,
  from = 0,
  /** Start inside an array (after the `[` of a `{"Records": [` wrapper), on this line. */
  opts: { readonly inArray?: boolean; readonly line?: number } = {},
): Generator<ScanItem> {
  const n = bytes.length;
  let pos = from;
  let line = opts.line ?? 1;
  let inArray = opts.inArray ?? false;
  /** After a broken record, the rest of its lines are not reported again as noise. */
  let quiet = false;
  let nextLf = -1;

  while (pos < n) {
    const c = bytes[pos];
    if (c === LF) {
      line++;
      pos++;
      continue;
    }
    if (c === SPACE || c === TAB || c === CR) {
      pos++;
      continue;
    }
    if (inArray && c === COMMA) {
      pos++;
      continue;
    }
    if (c === OPEN_BRACKET && !inArray) {
      inArray = true;
      pos++;
      continue;
    }
    if (c === CLOSE_BRACKET && inArray) {
      inArray = false;
      pos++;
      continue;
    }
    if (c === OPEN_BRACE || (inArray && c === OPEN_BRACKET)) {
      quiet = false;
      // scan one record
      const start = pos;
      const startLine = line;
      let depth = 0;
      let p = pos;
      let done: ScanItem | undefined;
      while (done === undefined) {
        if (p >= n) {
          done = { kind: 'broken', start, end: n, line: startLine, reason: 'input ends inside it' };
          p = n;
          break;
        }
        const b = bytes[p];
        if (b === QUOTE) {
          if (nextLf < p) {
            nextLf = bytes.indexOf(LF, p);
            if (nextLf === -1) nextLf = n;
          }
          let q = p + 1;
          for (;;) {
            const close = bytes.indexOf(QUOTE, q);
            if (close === -1 || close > nextLf) {
              const atLf = nextLf < n;
              const end = atLf ? nextLf : n;
              done = {
                kind: 'broken',
                start,
                end,
                line: startLine,
                reason: atLf ? 'a string runs into a line break' : 'input ends inside a string',
              };
              p = end;
              quiet = true;
              break;
            }
            let k = close - 1;
            while (bytes[k] === BACKSLASH) k--;
            if ((close - 1 - k) % 2 === 1) {
              q = close + 1;
              continue;
            }
            p = close + 1;
            break;
          }
          continue;
        }
        if (b === LF) {
          line++;
          p++;
          if (depth > 0 && bytes[p] === OPEN_BRACE) {
            done = {
              kind: 'broken',
              start,
              end: p,
              line: startLine,
              reason: 'it is not closed before the next record starts',
            };
          }
          continue;
        }
        if (b === OPEN_BRACE || b === OPEN_BRACKET) depth++;
        else if (b === CLOSE_BRACE || b === CLOSE_BRACKET) {
          depth--;
          if (depth === 0) {
            p++;
            done = { kind: 'record', start, end: p, line: startLine };
            break;
          }
        }
        p++;
      }
      pos = p;
      yield done;
      continue;
    }
    // not JSON: report the rest of the line once
    let end = bytes.indexOf(LF, pos);
    if (end === -1) end = n;
    if (!quiet) yield { kind: 'noise', start: pos, end, line };
    pos = end;
  }
}
