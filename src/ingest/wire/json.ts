/**
 * Splits the body of a JSON ingest request (NDJSON, a JSON array of objects, one object, or objects
 * one after another) into records, each parsed on its own: a malformed or too deeply nested record
 * costs only itself. Nesting is measured by a scan before JSON.parse, without recursion, so
 * 10,000-deep input cannot overflow the stack.
 */
import type { Issue, Location } from '../../core/index.ts';

/** Nesting limit for one record (objects and arrays; `{}` is depth 1). */
export const MAX_JSON_DEPTH = 64;

export interface JsonRecordsOptions {
  /** Deepest nesting a record may have (default 64); deeper is INGEST_TOO_DEEP. */
  readonly maxDepth?: number;
  /** Names the input in issue locations (default `request body`). */
  readonly name?: string;
}

/** One record of the body: its value, or the issue that made it unreadable. `line` is 1-based. */
export interface JsonRecord {
  readonly line: number;
  readonly value?: Record<string, unknown>;
  /** The record's text as sent (absent for records taken out of a `Records` wrapper). */
  readonly raw?: string;
  readonly issue?: Issue;
}

/**
 * Every record of `text`, in order. A top-level array's elements are records; so are the elements
 * of a lone `{"Records": […]}` / `{"records": […]}` wrapper (CloudTrail, Azure exports). A value
 * that is not an object, text outside any value and malformed records give READ_BAD_JSON (with the
 * line and column of the fault); records nested deeper than `maxDepth` give INGEST_TOO_DEEP. The
 * records around them are still returned.
 */
export function parseJsonRecords(text: string, opts: JsonRecordsOptions = {}): JsonRecord[] {
  const maxDepth = opts.maxDepth ?? MAX_JSON_DEPTH;
  const file = opts.name ?? 'request body';
  const out: JsonRecord[] = [];
  for (const span of scanValues(text, maxDepth)) {
    const at: Location = { file, line: span.line, col: span.col };
    if (span.kind === 'noise') {
      const what = clip(text.slice(span.start, span.end));
      out.push(bad(span.line, `text outside any JSON value: ${what}`, at));
    } else if (span.kind === 'scalar') {
      const what = clip(text.slice(span.start, span.end).trim());
      out.push(bad(span.line, `array element is not an object: ${what}`, at));
    } else if (span.kind === 'broken') {
      out.push(bad(span.line, `malformed JSON record skipped: ${span.reason}`, at));
    } else if (span.tooDeep) {
      out.push({
        line: span.line,
        issue: tooDeep(maxDepth, at),
      });
    } else {
      const parsed = parseSpan(text, span.start, span.end, span.line, span.col, file);
      if (parsed.issue) {
        out.push({ line: span.line, issue: parsed.issue });
        continue;
      }
      const values = unwrap(parsed.value);
      const whole = values.length === 1 && values[0] === parsed.value;
      for (const value of values) {
        if (!isRecord(value)) {
          out.push(bad(span.line, `JSON value is not an object (${kind(value)}); skipped`, at));
        } else if (whole && parsed.raw !== undefined) {
          out.push({ line: span.line, value, raw: parsed.raw });
        } else out.push({ line: span.line, value });
      }
    }
  }
  return out;
}

/** One JSON value from `text[start, end)`, as a bulk or HEC line holds it: depth-checked, parsed, located. */
export function parseJsonValue(
  text: string,
  opts: {
    readonly start?: number;
    readonly end?: number;
    readonly line?: number;
    readonly maxDepth?: number;
    readonly name?: string;
  } = {},
): { readonly value?: unknown; readonly raw?: string; readonly issue?: Issue } {
  const start = opts.start ?? 0;
  const end = opts.end ?? text.length;
  const line = opts.line ?? 1;
  const file = opts.name ?? 'request body';
  const maxDepth = opts.maxDepth ?? MAX_JSON_DEPTH;
  if (depthExceeds(text, start, end, maxDepth)) {
    return { issue: tooDeep(maxDepth, { file, line, col: 1 }) };
  }
  return parseSpan(text, start, end, line, 1, file);
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function parseSpan(
  text: string,
  start: number,
  end: number,
  line: number,
  col: number,
  file: string,
): { readonly value?: unknown; readonly raw?: string; readonly issue?: Issue } {
  const slice = text.slice(start, end);
  try {
    return { value: JSON.parse(slice) as unknown, raw: slice };
  } catch (e) {
    const fault = syntaxError(text, start, end);
    if (fault === undefined) {
      const why = e instanceof Error ? e.message : String(e);
      return { issue: badIssue(`malformed JSON record skipped: ${why}`, { file, line, col }) };
    }
    const where = position(text, start, fault.at, line, col);
    return {
      issue: badIssue(`malformed JSON record skipped: ${fault.reason}`, { file, ...where }),
    };
  }
}

function tooDeep(maxDepth: number, at: Location): Issue {
  return {
    code: 'INGEST_TOO_DEEP',
    severity: 'error',
    message: `record nests deeper than ${maxDepth} levels; skipped`,
    at,
  };
}

function bad(line: number, message: string, at: Location): JsonRecord {
  return { line, issue: badIssue(message, at) };
}

function badIssue(message: string, at: Location): Issue {
  return { code: 'READ_BAD_JSON', severity: 'error', message, at };
}

function unwrap(value: unknown): readonly unknown[] {
  if (isRecord(value)) {
    const keys = Object.keys(value);
    const only = keys.length === 1 ? keys[0] : undefined;
    if (only === 'Records' || only === 'records') {
      const inner = value[only];
      if (Array.isArray(inner)) return inner;
    }
  }
  return [value];
}

function kind(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v;
}

function clip(s: string): string {
  return s.length > 60 ? `${s.slice(0, 60)}…` : s;
}

/** Line and column (1-based) of `at`, counted from `start`, which is at `line`:`col`. */
function position(
  text: string,
  start: number,
  at: number,
  line: number,
  col: number,
): { line: number; col: number } {
  let l = line;
  let lastLf = -1;
  for (let i = text.indexOf('\n', start); i !== -1 && i < at; i = text.indexOf('\n', i + 1)) {
    l++;
    lastLf = i;
  }
  return lastLf === -1 ? { line: l, col: col + (at - start) } : { line: l, col: at - lastLf };
}

// ---------------------------------------------------------------------------------------------
// The scan: where values start and end, how deep they nest, and recovery from broken ones.

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

type Span =
  | {
      readonly kind: 'value';
      readonly start: number;
      readonly end: number;
      readonly line: number;
      readonly col: number;
      readonly tooDeep: boolean;
    }
  | {
      readonly kind: 'broken';
      readonly line: number;
      readonly col: number;
      readonly reason: string;
    }
  | {
      readonly kind: 'noise';
      readonly start: number;
      readonly end: number;
      readonly line: number;
      readonly col: number;
    }
  | {
      readonly kind: 'scalar';
      readonly start: number;
      readonly end: number;
      readonly line: number;
      readonly col: number;
    };

/**
 * Yields the values of `text`. A top-level `[` is a container whose elements are yielded one by
 * one. Recovery: a `{` in column 0 while a value is still open ends that value as broken and starts
 * a new one, and so does a raw line break inside a string, so one bad record never swallows the
 * ones after it. Depth is counted, never recursed.
 */
function* scanValues(text: string, maxDepth: number): Generator<Span> {
  const n = text.length;
  let pos = 0;
  let line = 1;
  let lineStart = 0;
  let inArray = false;
  /** After a broken value, the rest of its line is not reported again as noise. */
  let quiet = false;
  let nextLf = -1;

  while (pos < n) {
    const c = text.charCodeAt(pos);
    if (c === LF) {
      line++;
      pos++;
      lineStart = pos;
      continue;
    }
    if (c === SPACE || c === TAB || c === CR || c === 0xfeff) {
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
      const start = pos;
      const startLine = line;
      const col = pos - lineStart + 1;
      let depth = 0;
      let tooDeep = false;
      let p = pos;
      let done: Span | undefined;
      while (done === undefined) {
        if (p >= n) {
          done = { kind: 'broken', line: startLine, col, reason: 'input ends inside it' };
          break;
        }
        const b = text.charCodeAt(p);
        if (b === QUOTE) {
          if (nextLf < p) {
            nextLf = text.indexOf('\n', p);
            if (nextLf === -1) nextLf = n;
          }
          let q = p + 1;
          for (;;) {
            const close = text.indexOf('"', q);
            if (close === -1 || close > nextLf) {
              const atLf = nextLf < n;
              done = {
                kind: 'broken',
                line: startLine,
                col,
                reason: atLf ? 'a string runs into a line break' : 'input ends inside a string',
              };
              p = nextLf;
              quiet = true;
              break;
            }
            let k = close - 1;
            while (text.charCodeAt(k) === BACKSLASH) k--;
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
          lineStart = p;
          if (depth > 0 && text.charCodeAt(p) === OPEN_BRACE) {
            done = {
              kind: 'broken',
              line: startLine,
              col,
              reason: 'it is not closed before the next record starts',
            };
          }
          continue;
        }
        if (b === OPEN_BRACE || b === OPEN_BRACKET) {
          depth++;
          if (depth > maxDepth) tooDeep = true;
        } else if (b === CLOSE_BRACE || b === CLOSE_BRACKET) {
          depth--;
          if (depth === 0) {
            p++;
            done = { kind: 'value', start, end: p, line: startLine, col, tooDeep };
            break;
          }
        }
        p++;
      }
      pos = p;
      yield done;
      continue;
    }
    if (inArray) {
      // a scalar element: up to the next comma, bracket or line end
      const start = pos;
      let p = pos;
      while (p < n) {
        const b = text.charCodeAt(p);
        if (b === COMMA || b === CLOSE_BRACKET || b === LF) break;
        if (b === QUOTE) {
          const close = text.indexOf('"', p + 1);
          const lf = text.indexOf('\n', p + 1);
          p = close === -1 || (lf !== -1 && lf < close) ? (lf === -1 ? n : lf) : close + 1;
          continue;
        }
        p++;
      }
      // the rest of a broken element (`},`) is not reported again
      if (!quiet) yield { kind: 'scalar', start, end: p, line, col: start - lineStart + 1 };
      pos = p;
      continue;
    }
    // not JSON: report the rest of the line once
    let end = text.indexOf('\n', pos);
    if (end === -1) end = n;
    if (!quiet) yield { kind: 'noise', start: pos, end, line, col: pos - lineStart + 1 };
    quiet = true;
    pos = end;
  }
}

/** True when the value in `text[start, end)` nests deeper than `max` (strings honoured). */
function depthExceeds(text: string, start: number, end: number, max: number): boolean {
  let depth = 0;
  for (let p = start; p < end; p++) {
    const b = text.charCodeAt(p);
    if (b === QUOTE) {
      let q = p + 1;
      for (;;) {
        const close = text.indexOf('"', q);
        if (close === -1 || close >= end) return false; // unterminated: JSON.parse reports it
        let k = close - 1;
        while (text.charCodeAt(k) === BACKSLASH) k--;
        if ((close - 1 - k) % 2 === 1) {
          q = close + 1;
          continue;
        }
        p = close;
        break;
      }
    } else if (b === OPEN_BRACE || b === OPEN_BRACKET) {
      if (++depth > max) return true;
    } else if (b === CLOSE_BRACE || b === CLOSE_BRACKET) depth--;
  }
  return false;
}

// ---------------------------------------------------------------------------------------------
// Locating a syntax error: a JSON grammar checker with an explicit stack (no recursion), run only
// after JSON.parse has refused a record, to name the line and column.

/** Grammar states: what the checker expects next. */
const State = { Value: 0, ValueOrClose: 1, Key: 2, KeyOrClose: 3, Colon: 4, After: 5 } as const;
type State = (typeof State)[keyof typeof State];

/** Offset and reason of the first syntax error in `text[from, to)`, or undefined when it is valid JSON. */
export function syntaxError(
  text: string,
  from: number,
  to: number,
): { at: number; reason: string } | undefined {
  const stack: number[] = []; // OPEN_BRACE or OPEN_BRACKET
  let state: State = State.Value;
  let i = from;
  const fail = (reason: string): { at: number; reason: string } => ({ at: i, reason });
  for (;;) {
    while (i < to) {
      const c = text.charCodeAt(i);
      if (c !== SPACE && c !== TAB && c !== LF && c !== CR) break;
      i++;
    }
    if (i >= to) {
      return state === State.After && stack.length === 0
        ? undefined
        : fail('unexpected end of the record');
    }
    const c = text.charCodeAt(i);
    switch (state) {
      case State.ValueOrClose:
        if (c === CLOSE_BRACKET) {
          stack.pop();
          i++;
          state = State.After;
          continue;
        }
        state = State.Value;
        continue;
      case State.KeyOrClose:
        if (c === CLOSE_BRACE) {
          stack.pop();
          i++;
          state = State.After;
          continue;
        }
        state = State.Key;
        continue;
      case State.Key: {
        if (c !== QUOTE) return fail('expected a property name in double quotes');
        const end = stringEnd(text, i, to);
        if (typeof end === 'object') return end;
        i = end;
        state = State.Colon;
        continue;
      }
      case State.Colon:
        if (c !== 58) return fail("expected ':' after the property name");
        i++;
        state = State.Value;
        continue;
      case State.After: {
        const top = stack[stack.length - 1];
        if (top === undefined) return fail('unexpected text after the value');
        if (c === COMMA) {
          i++;
          state = top === OPEN_BRACE ? State.Key : State.Value;
          continue;
        }
        if (
          (top === OPEN_BRACE && c === CLOSE_BRACE) ||
          (top === OPEN_BRACKET && c === CLOSE_BRACKET)
        ) {
          stack.pop();
          i++;
          continue;
        }
        return fail(top === OPEN_BRACE ? "expected ',' or '}'" : "expected ',' or ']'");
      }
      case State.Value: {
        if (c === OPEN_BRACE || c === OPEN_BRACKET) {
          stack.push(c);
          i++;
          state = c === OPEN_BRACE ? State.KeyOrClose : State.ValueOrClose;
          continue;
        }
        if (c === QUOTE) {
          const end = stringEnd(text, i, to);
          if (typeof end === 'object') return end;
          i = end;
        } else if (c === 45 || (c >= 48 && c <= 57)) {
          const m = NUMBER.exec(text.slice(i, Math.min(to, i + 400)));
          if (!m) return fail('malformed number');
          i += m[0].length;
        } else {
          const word = LITERAL.exec(text.slice(i, Math.min(to, i + 5)));
          if (!word) return fail('unexpected character');
          i += word[0].length;
        }
        state = State.After;
        continue;
      }
    }
  }
}

const NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/;
const LITERAL = /^(?:true|false|null)/;

/** Offset after the string opening at `i`, or the fault inside it. */
function stringEnd(text: string, i: number, to: number): number | { at: number; reason: string } {
  let p = i + 1;
  while (p < to) {
    const c = text.charCodeAt(p);
    if (c === QUOTE) return p + 1;
    if (c < 0x20) return { at: p, reason: 'control character inside a string' };
    if (c === BACKSLASH) {
      const e = text.charCodeAt(p + 1);
      if (e === 117) {
        if (!/^[0-9a-fA-F]{4}$/.test(text.slice(p + 2, p + 6))) {
          return { at: p, reason: 'malformed \\u escape' };
        }
        p += 6;
        continue;
      }
      if (!'"\\/bfnrt'.includes(String.fromCharCode(e)) || p + 1 >= to) {
        return { at: p, reason: 'invalid escape in a string' };
      }
      p += 2;
      continue;
    }
    p++;
  }
  return { at: i, reason: 'string is not closed' };
}
