/**
 * Vigil's own reader for the plain YAML that Sigma rule files are written in: block mappings and
 * sequences, plain, quoted and block scalars, one-line flow sequences, comments and `---`.
 *
 * Contract: `readYamlFast(text)` returns the values of the text's documents exactly as js-yaml's
 * `loadAll(text, cb, { schema: CORE_SCHEMA })` gives them (same types, key order and strings), or
 * `undefined` when the text holds anything outside that subset or anything js-yaml would refuse. It
 * never throws for any input and never guesses: anchors, aliases, tags, directives, `?` keys, flow
 * mappings, multi-line quoted scalars, tabs outside comments and quotes, explicit block indentation,
 * `__proto__` and `<<` keys, and plain scalars that js-yaml could read as a number other than a plain
 * decimal integer all answer `undefined`, and the caller reads the text the slow way.
 */

/** Thrown (one shared instance) to give up on a text; caught in `readYamlFast` only. */
class OutsideSubset extends Error {}
const outside = new OutsideSubset('outside the fast YAML subset');

function fail(): never {
  throw outside;
}

const TAB = 0x09;
const LF = 0x0a;
const SPACE = 0x20;
const DQUOTE = 0x22;
const HASH = 0x23;
const SQUOTE = 0x27;
const PLUS = 0x2b;
const COMMA = 0x2c;
const DASH = 0x2d;
const DOT = 0x2e;
const COLON = 0x3a;
const GT = 0x3e;
const LBRACKET = 0x5b;
const BACKSLASH = 0x5c;
const RBRACKET = 0x5d;
const LBRACE = 0x7b;
const PIPE = 0x7c;
const RBRACE = 0x7d;

/** `nextLine()` answers: no more lines, or a `---` line. */
const END = -1;
const SEPARATOR = -2;

/** Deepest nesting of collections read here (js-yaml refuses past 100 nodes deep). */
const MAX_DEPTH = 50;

/**
 * Characters js-yaml refuses or treats specially (controls, lone surrogates, U+FFFE/U+FFFF), and a few
 * it reads as plain content that are not worth reasoning about (C1 controls, U+2028/U+2029, a BOM
 * inside the text).
 */
const UNUSUAL =
  /[\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x9F\u2028\u2029\uFEFF\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Anything but printable ASCII and line feeds: only a text holding some can be UNUSUAL. */
const NOT_PLAIN_ASCII = /[^\n\x20-\x7e]/;

/**
 * Plain scalars js-yaml may read as a number (binary, octal or hexadecimal integers, floats, .inf,
 * .nan). A superset of its rules: whatever matches and is not a short decimal integer is given up on.
 */
const NUMBER_LIKE =
  /^[-+]?(?:0[bxo][0-9a-fA-F]*|[0-9]+(?:\.[0-9]*)?(?:[eE][-+]?[0-9]+)?|\.[0-9]+(?:[eE][-+]?[0-9]+)?|\.(?:inf|Inf|INF|nan|NaN|NAN))$/;

// The reader's state: one text at a time, synchronously.
let src = '';
let len = 0;
/** Between nodes: the start of the next line to look at. */
let pos = 0;
/** A line start whose indentation a reader already stepped over, and where its text begins. */
let seenLine = -1;
let seenText = -1;
let depth = 0;
/** Set by the scalar readers: just past what they read. */
let tokEnd = 0;
/** Set by `plainLine`: why the line's text stopped (line end, a comment or `: `). */
let stop = 0;
/** Set by `plainLine`: the line feed ending the line (for LINE and COMMENT), or the `:` (for KEY). */
let stopAt = 0;
const LINE = 0;
const COMMENT = 1;
const KEY = 2;

/**
 * The values of the documents in `text` as js-yaml's core schema reads them, or undefined when the text
 * is outside the subset read here (see the file comment). Never throws.
 */
export function readYamlFast(text: string): unknown[] | undefined {
  if (!warmedUp) {
    warmedUp = true;
    for (let i = 0; i < WARM_UP_ROUNDS; i++) read(WARM_UP);
  }
  return read(text);
}

/**
 * A rule-shaped text that takes every branch of the reader, read a few times before the first real text.
 * V8 optimises the reader's functions for the branches it has seen run; a branch first met later in a
 * rule file (a blank line, a trailing space, `key: # comment`) throws the optimised code away and it is
 * compiled again, which on a busy machine costs more than all of this.
 */
export const WARM_UP = String.raw`title: Warm-up  
id: 5b4e3c2a-1111-2222-3333-444455556666
status: test
description: |
    Two lines

    of text
references:
    - https://example.com/a # c

    - 'quoted'  # c
author: a, b
date: 2023-01-01
n: 12345678901
z: -00
y: -0
t: True
e: ~
1: one
tags:
    -
    - # c
    - - x
      - y
    -   k: v
        k2: |-
            t
logsource: # c
    category: process_creation
detection:
    selection:
        EventID: 4688
        Image|endswith:
            - '\cmd.exe'
            - "\\p\ts\x41\u0041.exe"
            - 'it''s'
            - ?x
            - :x
            - -x
            - a:b
        K:
        - a
        - b
        'q k': v
        "d k": v
        L: [a, 'b', "c", 1, [d], ]
        M: >+
            folded
              more

            x
        N: >
            a
            b
    condition: selection and
        not filter

        and x
    filter: x # c
falsepositives:
    - Unknown
level: high
---
a: 1
`;
const WARM_UP_ROUNDS = 8;
let warmedUp = false;

function read(text: string): unknown[] | undefined {
  let t = text;
  if (t.charCodeAt(0) === 0xfeff) t = t.slice(1);
  if (t.includes('\r')) {
    t = t.replace(/\r\n/g, '\n');
    if (t.includes('\r')) return undefined;
  }
  if (t.length === 0 || (NOT_PLAIN_ASCII.test(t) && UNUSUAL.test(t))) return undefined;
  if (t.charCodeAt(t.length - 1) !== LF) t += '\n';
  src = t;
  len = t.length;
  pos = 0;
  depth = 0;
  colonSpaceAt = spaceHashAt = tabAt = seenLine = lfAt = lfFrom = -1;
  try {
    return documents();
  } catch (e) {
    if (e === outside) return undefined;
    throw e;
  } finally {
    src = '';
  }
}

function documents(): unknown[] {
  const docs: unknown[] = [];
  let k = nextLine();
  // A text of comments and blank lines only: js-yaml's answer ([] or [null]) turns on blank characters.
  if (k === END) fail();
  for (;;) {
    if (k === SEPARATOR) {
      startDocument();
      k = nextLine();
    }
    let value: unknown = null;
    if (k === 0) {
      value = nodeAt(pos, 0, -1, true);
      k = nextLine();
    }
    docs.push(value);
    if (k === END) return docs;
    if (k !== SEPARATOR) fail();
  }
}

/** Steps over the `---` line at `pos`, which may end in a comment but hold no node. */
function startDocument(): void {
  let q = pos + 3;
  while (src.charCodeAt(q) === SPACE) q++;
  const c = src.charCodeAt(q);
  if (c === HASH && q > pos + 3) q = lineEnd(q);
  else if (c !== LF) fail();
  pos = q + 1;
}

/**
 * Moves `pos` past blank and comment lines to the next line holding a node; returns that line's
 * indentation, END at the end of the text or SEPARATOR at a `---` line.
 */
function nextLine(): number {
  // Checked first: reading past the end (charCodeAt's NaN) would throw V8's optimised code away.
  if (pos >= len) return END;
  let i = pos === seenLine ? seenText : pos;
  while (src.charCodeAt(i) === SPACE) i++;
  const c = src.charCodeAt(i);
  // Most lines start a node with a character past `#`; a `-` or `.` in column 0 may be `---` or `...`.
  if (c > HASH && (i > pos || (c !== DASH && c !== DOT))) return i - pos;
  return nextLineSlowly(i);
}

function nextLineSlowly(first: number): number {
  let i = first;
  for (;;) {
    const c = src.charCodeAt(i);
    if (c === LF) pos = i + 1;
    else if (c === HASH) pos = lineEnd(i) + 1;
    else {
      if (c === TAB) fail();
      if (i === pos && (c === DASH || c === DOT)) {
        if (src.charCodeAt(i + 1) === c && src.charCodeAt(i + 2) === c) {
          const d = src.charCodeAt(i + 3);
          // `...` ends a document; `---x` is a separator to js-yaml at a document's start only.
          if (c === DASH && (d === SPACE || d === LF)) return SEPARATOR;
          fail();
        }
      }
      return i - pos;
    }
    if (pos >= len) return END;
    i = pos;
    while (src.charCodeAt(i) === SPACE) i++;
  }
}

/** Whether a block sequence entry (`-` and a space or line end) starts at `i`. */
function isEntryAt(i: number): boolean {
  if (src.charCodeAt(i) !== DASH) return false;
  const c = src.charCodeAt(i + 1);
  return c === SPACE || c === LF;
}

/**
 * The node starting at `p` (column `col`, on a line of its own or after `- `): when `blocks` allows,
 * a block sequence or a block mapping (when it opens with `- ` or a key), else a scalar or flow
 * sequence. `parent` is the indentation of the enclosing collection (-1 at a document's root, where
 * only a block collection is read). Leaves `pos` at the start of the first line after the node.
 *
 * The block sequence is read here rather than in a function of its own so that V8 compiles each of
 * the reader's recursive functions once, not also inside one another.
 */
function nodeAt(p: number, col: number, parent: number, blocks: boolean): unknown {
  const c = src.charCodeAt(p);
  if (blocks && c === DASH && isEntryAt(p)) {
    if (++depth > MAX_DEPTH) fail();
    const seq: unknown[] = [];
    let dash = p;
    for (;;) {
      let q = dash + 1;
      while (src.charCodeAt(q) === SPACE) q++;
      const d = src.charCodeAt(q);
      if (d === LF || d === HASH) {
        pos = (d === LF ? q : lineEnd(q)) + 1;
        const k = nextLine();
        if (k > col) seq.push(nodeAt(pos + k, k, col, true));
        else {
          seq.push(null);
          // After an empty entry js-yaml takes a `- ` at any lesser indentation as this sequence's.
          if (k >= 0 && k < col && isEntryAt(pos + k)) fail();
        }
      } else if (d === TAB) fail();
      else seq.push(nodeAt(q, col + q - dash, col, true));
      const k = nextLine();
      if (k === col && isEntryAt(pos + col)) {
        dash = pos + col;
        continue;
      }
      if (k > col) fail();
      break;
    }
    depth--;
    return seq;
  }
  if (c === SQUOTE || c === DQUOTE) {
    const text = c === SQUOTE ? singleQuoted(p) : doubleQuoted(p);
    let q = tokEnd;
    while (src.charCodeAt(q) === SPACE) q++;
    if (blocks && src.charCodeAt(q) === COLON) {
      const d = src.charCodeAt(q + 1);
      if (d !== SPACE && d !== LF) fail();
      return blockMap(col, text, q + 1);
    }
    if (parent < 0) fail();
    endLine(tokEnd);
    return text;
  }
  if (parent < 0) {
    if (c === LBRACKET || c === PIPE || c === GT) fail();
  } else {
    if (c === LBRACKET) {
      const v = flowSeq(p);
      endLine(tokEnd);
      return v;
    }
    if (c === PIPE || c === GT) return blockScalar(p, parent);
  }
  plainStart(p, c, false);
  const end = plainLine(p);
  if (stop === KEY) {
    if (!blocks) fail();
    return blockMap(col, keyAt(p, end), stopAt + 1);
  }
  if (parent < 0) fail();
  if (stop === COMMENT) {
    pos = stopAt + 1;
    return resolvePlain(src.slice(p, end));
  }
  // Lines indented deeper than the enclosing collection continue the scalar (rare in rule files).
  const line = stopAt + 1;
  if (line < len) {
    let i = line;
    while (src.charCodeAt(i) === SPACE) i++;
    const d = src.charCodeAt(i);
    if (d === LF || (i - line > parent && d !== HASH))
      return foldPlain(src.slice(p, end), line, parent);
    seenLine = line;
    seenText = i;
  }
  pos = line;
  return resolvePlain(src.slice(p, end));
}

/**
 * A plain scalar whose first line is `first`, continued on the lines from `from` that are indented
 * deeper than `parent`, folded as js-yaml folds them: one line break is a space, n breaks are n - 1.
 */
function foldPlain(first: string, from: number, parent: number): unknown {
  let text = first;
  let line = from;
  let breaks = 1;
  for (;;) {
    if (line >= len) {
      pos = len;
      break;
    }
    let i = line;
    while (src.charCodeAt(i) === SPACE) i++;
    const d = src.charCodeAt(i);
    if (d === LF) {
      breaks++;
      line = i + 1;
      continue;
    }
    if (d === TAB) fail();
    if (i - line <= parent || d === HASH) {
      pos = seenLine = line;
      seenText = i;
      break;
    }
    const e = plainLine(i);
    if (stop === KEY) fail();
    text += (breaks === 1 ? ' ' : '\n'.repeat(breaks - 1)) + src.slice(i, e);
    if (stop === COMMENT) {
      pos = stopAt + 1;
      break;
    }
    line = stopAt + 1;
    breaks = 1;
  }
  return resolvePlain(text);
}

/**
 * A block mapping indented `ind` whose first key was read (`after`: just past its `:`). Leaves `pos`
 * at the start of the first line that is not part of it.
 */
function blockMap(ind: number, firstKey: string, after: number): Record<string, unknown> {
  if (++depth > MAX_DEPTH) fail();
  const map: Record<string, unknown> = {};
  let key = firstKey;
  let p = after;
  for (;;) {
    if (key === '__proto__' || key === '<<' || Object.hasOwn(map, key)) fail();
    let q = p;
    while (src.charCodeAt(q) === SPACE) q++;
    const c = src.charCodeAt(q);
    let value: unknown = null;
    if (c === LF || c === HASH) {
      // The value is on the lines below: deeper, or a sequence at the key's own indentation.
      pos = (c === LF ? q : lineEnd(q)) + 1;
      const k = nextLine();
      if (k > ind) value = nodeAt(pos + k, k, ind, true);
      else if (k === ind && isEntryAt(pos + ind)) value = nodeAt(pos + ind, ind, ind, true);
    } else if (c === TAB) fail();
    else value = nodeAt(q, 0, ind, false);
    map[key] = value;
    const k = nextLine();
    if (k !== ind) {
      if (k > ind) fail();
      break;
    }
    const at = pos + ind;
    const first = src.charCodeAt(at);
    if (first === SQUOTE || first === DQUOTE) {
      key = first === SQUOTE ? singleQuoted(at) : doubleQuoted(at);
      p = tokEnd;
      while (src.charCodeAt(p) === SPACE) p++;
      if (src.charCodeAt(p) !== COLON) fail();
      p++;
      const d = src.charCodeAt(p);
      if (d !== SPACE && d !== LF) fail();
    } else {
      plainStart(at, first, false);
      const end = plainLine(at);
      if (stop !== KEY) fail();
      key = keyAt(at, end);
      p = stopAt + 1;
    }
  }
  depth--;
  return map;
}

/** After a one-line node ending at `q`: only spaces and a comment may follow. Moves `pos` to the next line. */
function endLine(q: number): void {
  let i = q;
  while (src.charCodeAt(i) === SPACE) i++;
  const c = src.charCodeAt(i);
  if (c === LF) pos = i + 1;
  else if (c === HASH && i > q) pos = lineEnd(i) + 1;
  else fail();
}

/** For each ASCII code: 1 when a plain scalar cannot start with it, 2 when it cannot if a space follows. */
const PLAIN_START = new Uint8Array(128);
for (const ch of ',[]{}#&*!|>\'"%@` \t\n') PLAIN_START[ch.charCodeAt(0)] = 1;
for (const ch of '?-:') PLAIN_START[ch.charCodeAt(0)] = 2;

/** Gives up on what js-yaml would not start a plain scalar with, or reads otherwise. */
function plainStart(p: number, c: number, flow: boolean): void {
  const kind = c < 128 ? PLAIN_START[c] : 0; // (past the table's end, as past a text's: see nextLine)
  if (kind === 1) fail();
  if (kind === 2) {
    const d = src.charCodeAt(p + 1);
    if (d === SPACE || d === LF || d === TAB || (flow && isFlowIndicator(d))) fail();
  }
}

function isFlowIndicator(c: number): boolean {
  return c === COMMA || c === LBRACKET || c === RBRACKET || c === LBRACE || c === RBRACE;
}

/**
 * Scans one line of a plain scalar from `p`; returns the end of its text (trailing spaces cut) and
 * sets `stop` and `stopAt`: the line ended, a comment began, or `: ` ended a key.
 */
function plainLine(p: number): number {
  // The next `: `, ` #` and tab are looked up again only once the reader has passed them.
  if (colonSpaceAt < p) {
    const k = src.indexOf(': ', p);
    colonSpaceAt = k < 0 ? len : k;
  }
  if (spaceHashAt < p) {
    // Looking for `#` (rare outside comments) and then behind it beats looking for ` #` (every space).
    let k = src.indexOf('#', p + 1);
    while (k > 0 && src.charCodeAt(k - 1) !== SPACE) k = src.indexOf('#', k + 1);
    spaceHashAt = k < 0 ? len : k - 1;
  }
  if (tabAt < p) {
    const k = src.indexOf('\t', p);
    tabAt = k < 0 ? len : k;
  }
  const eol = lineEnd(p);
  let at = eol;
  stop = LINE;
  if (colonSpaceAt < eol) {
    at = colonSpaceAt;
    stop = KEY;
  } else if (eol > p && src.charCodeAt(eol - 1) === COLON) {
    at = eol - 1;
    stop = KEY;
  }
  if (spaceHashAt < at) {
    at = spaceHashAt;
    stop = COMMENT;
  }
  if (tabAt < at) fail();
  stopAt = stop === KEY ? at : eol;
  while (at > p && src.charCodeAt(at - 1) === SPACE) at--;
  return at;
}

// Where the next `: `, ` #` and tab are at or after the reader's position, so that finding them on
// every line costs about one scan of the text in all.
let colonSpaceAt = -1;
let spaceHashAt = -1;
let tabAt = -1;
/** The line feed `lineEnd` found last, and where it looked from. */
let lfAt = -1;
let lfFrom = -1;

/** The line feed that ends the line holding `p` (the text always ends in one). */
function lineEnd(p: number): number {
  if (p < lfFrom || p > lfAt) {
    lfFrom = p;
    lfAt = src.indexOf('\n', p);
  }
  return lfAt;
}

/** A single-quoted scalar on one line opening at `p`; sets `tokEnd`. */
function singleQuoted(p: number): string {
  const q = src.indexOf("'", p + 1);
  if (q < 0 || q > lineEnd(p)) fail();
  if (src.charCodeAt(q + 1) !== SQUOTE) {
    tokEnd = q + 1;
    return src.slice(p + 1, q);
  }
  return withQuotes(p + 1, q);
}

/** The rest of a single-quoted scalar from `start`, where `q` is the first of a `''`. */
function withQuotes(start: number, q: number): string {
  let out = src.slice(start, q + 1);
  let from = q + 2;
  for (;;) {
    const e = src.indexOf("'", from);
    if (e < 0 || e > lineEnd(start)) fail();
    if (src.charCodeAt(e + 1) !== SQUOTE) {
      tokEnd = e + 1;
      return out + src.slice(from, e);
    }
    out += src.slice(from, e + 1);
    from = e + 2;
  }
}

/** A double-quoted scalar on one line opening at `p`, escapes as js-yaml reads them; sets `tokEnd`. */
function doubleQuoted(p: number): string {
  let out = '';
  let start = p + 1;
  let i = start;
  for (;;) {
    const c = src.charCodeAt(i);
    if (c === DQUOTE) {
      tokEnd = i + 1;
      return out + src.slice(start, i);
    }
    if (c === LF) fail();
    if (c !== BACKSLASH) {
      i++;
      continue;
    }
    out += src.slice(start, i);
    const e = src.charCodeAt(i + 1);
    i += 2;
    switch (e) {
      case 0x30:
        out += '\0';
        break;
      case 0x61:
        out += '\x07';
        break;
      case 0x62:
        out += '\b';
        break;
      case 0x74:
      case TAB:
        out += '\t';
        break;
      case 0x6e:
        out += '\n';
        break;
      case 0x76:
        out += '\v';
        break;
      case 0x66:
        out += '\f';
        break;
      case 0x72:
        out += '\r';
        break;
      case 0x65:
        out += '\x1b';
        break;
      case SPACE:
        out += ' ';
        break;
      case DQUOTE:
        out += '"';
        break;
      case 0x2f:
        out += '/';
        break;
      case BACKSLASH:
        out += '\\';
        break;
      case 0x4e:
        out += '\x85';
        break;
      case 0x5f:
        out += '\xa0';
        break;
      case 0x4c:
        out += '\u2028';
        break;
      case 0x50:
        out += '\u2029';
        break;
      case 0x78:
        out += hexEscape(i, 2);
        i += 2;
        break;
      case 0x75:
        out += hexEscape(i, 4);
        i += 4;
        break;
      case 0x55:
        out += hexEscape(i, 8);
        i += 8;
        break;
      default:
        fail();
    }
    start = i;
  }
}

/** The character named by `digits` hexadecimal digits at `i`. */
function hexEscape(i: number, digits: number): string {
  let code = 0;
  for (let j = i; j < i + digits; j++) {
    const c = src.charCodeAt(j);
    let v: number;
    if (c >= 0x30 && c <= 0x39) v = c - 0x30;
    else if ((c | 0x20) >= 0x61 && (c | 0x20) <= 0x66) v = (c | 0x20) - 0x57;
    else fail();
    code = code * 16 + v;
  }
  if (code > 0x10ffff) fail();
  return String.fromCodePoint(code);
}

/** A one-line flow sequence opening at `p` (no pairs, no flow mappings); sets `tokEnd`. */
function flowSeq(p: number): unknown[] {
  if (++depth > MAX_DEPTH) fail();
  const seq: unknown[] = [];
  let i = p + 1;
  let expectEntry = true;
  for (;;) {
    while (src.charCodeAt(i) === SPACE) i++;
    const c = src.charCodeAt(i);
    if (c === RBRACKET) {
      tokEnd = i + 1;
      depth--;
      return seq;
    }
    if (!expectEntry || c === COMMA || c === LF || c === HASH) fail();
    if (c === LBRACKET) seq.push(flowSeq(i));
    else if (c === SQUOTE) seq.push(singleQuoted(i));
    else if (c === DQUOTE) seq.push(doubleQuoted(i));
    else {
      plainStart(i, c, true);
      let j = i;
      let end = i;
      for (;;) {
        const d = src.charCodeAt(j);
        if (d === LF || isFlowIndicator(d)) break;
        if (d === SPACE) {
          if (src.charCodeAt(j + 1) === HASH) fail();
          j++;
          continue;
        }
        if (d === TAB) fail();
        if (d === COLON) {
          const e = src.charCodeAt(j + 1);
          // `a: b` inside brackets is a pair: a mapping js-yaml builds, not read here.
          if (e === SPACE || e === LF || e === TAB || isFlowIndicator(e)) fail();
        }
        end = ++j;
      }
      seq.push(resolvePlain(src.slice(i, end)));
      tokEnd = j;
    }
    i = tokEnd;
    while (src.charCodeAt(i) === SPACE) i++;
    if (src.charCodeAt(i) === COMMA) {
      expectEntry = true;
      i++;
    } else expectEntry = false;
  }
}

const CLIP = 0;
const STRIP = 1;
const KEEP = 2;

/**
 * A literal (`|`) or folded (`>`) block scalar whose header is at `p`, inside a collection indented
 * `parent`, read line by line as js-yaml reads it. Leaves `pos` at the line that ends it.
 */
function blockScalar(p: number, parent: number): string {
  const folded = src.charCodeAt(p) === GT;
  let chomp = CLIP;
  let i = p + 1;
  let c = src.charCodeAt(i);
  if (c === PLUS || c === DASH) {
    chomp = c === PLUS ? KEEP : STRIP;
    c = src.charCodeAt(++i);
  }
  // Explicit indentation (or a second chomping sign) is left to js-yaml.
  if ((c >= 0x30 && c <= 0x39) || c === PLUS || c === DASH) fail();
  if (c === SPACE) {
    while ((c = src.charCodeAt(++i)) === SPACE);
    if (c === HASH) {
      i = lineEnd(i);
      c = LF;
    }
  }
  if (c !== LF) fail();
  let line = i + 1;
  let indent = parent + 1;
  let detected = false;
  let out = '';
  let empty = 0;
  let didRead = false;
  let moreIndented = false;
  let j = line;
  // A line indented less than the text, or the text's end, ends the scalar.
  while (line < len) {
    j = line;
    if (detected) {
      const stopAt = line + indent;
      while (j < stopAt && src.charCodeAt(j) === SPACE) j++;
    } else {
      while (src.charCodeAt(j) === SPACE) j++;
      if (j - line > indent) indent = j - line;
    }
    const ch = src.charCodeAt(j);
    if (ch === LF) {
      empty++;
      line = j + 1;
      continue;
    }
    if (j - line < indent) {
      if (ch === TAB) fail();
      break;
    }
    if (folded) {
      if (ch === SPACE || ch === TAB) {
        moreIndented = true;
        out += '\n'.repeat(didRead ? empty + 1 : empty);
      } else if (moreIndented) {
        moreIndented = false;
        out += '\n'.repeat(empty + 1);
      } else if (empty === 0) {
        if (didRead) out += ' ';
      } else out += '\n'.repeat(empty);
    } else if (didRead) out += empty === 0 ? '\n' : '\n'.repeat(empty + 1);
    else if (empty > 0) out += '\n'.repeat(empty);
    didRead = true;
    detected = true;
    empty = 0;
    const eol = lineEnd(j);
    out += src.slice(j, eol);
    line = eol + 1;
  }
  if (chomp === KEEP) out += '\n'.repeat(didRead ? empty + 1 : empty);
  else if (chomp === CLIP && didRead) out += '\n';
  pos = seenLine = line;
  seenText = j;
  return out;
}

/**
 * The plain key from `start` to `end` as js-yaml stores it: resolved, then made a string (`~` → "null",
 * `01` → "1"). The keys most rule files repeat come from a table, sparing a new string each time.
 */
function keyAt(start: number, end: number): string {
  const n = end - start;
  const common = n < COMMON_KEYS.length ? COMMON_KEYS[n] : undefined;
  if (common !== undefined) {
    for (let i = 0; i < common.length; i++) {
      const k = common[i];
      if (k !== undefined && src.startsWith(k, start)) return k;
    }
  }
  const v = resolvePlain(src.slice(start, end));
  return typeof v === 'string' ? v : String(v);
}

/** Keys of SigmaHQ's rule files by length (all resolve to themselves). */
const COMMON_KEYS: string[][] = Array.from({ length: 32 }, () => []);
for (const k of [
  'id',
  'title',
  'status',
  'description',
  'references',
  'author',
  'date',
  'modified',
  'tags',
  'logsource',
  'category',
  'product',
  'service',
  'detection',
  'selection',
  'filter',
  'condition',
  'falsepositives',
  'level',
  'related',
  'type',
  'fields',
  'definition',
  'EventID',
  'Image',
  'Image|endswith',
  'Image|contains',
  'Image|startswith',
  'OriginalFileName',
  'ParentImage|endswith',
  'CommandLine|contains',
  'CommandLine|contains|all',
  'TargetObject|contains',
  'TargetObject|endswith',
  'TargetFilename|endswith',
  'TargetFilename|contains',
  'selection_img',
  'selection_cli',
  'regression_tests_path',
])
  COMMON_KEYS[k.length]?.push(k);

/** A plain scalar's value under the core schema: null, boolean, decimal integer or string. */
function resolvePlain(t: string): unknown {
  const c = t.charCodeAt(0);
  if ((c >= 0x30 && c <= 0x39) || c === DASH || c === PLUS || c === DOT)
    return numberOrString(t, c);
  if (t.length > 5) return t;
  switch (t) {
    case '~':
    case 'null':
    case 'Null':
    case 'NULL':
      return null;
    case 'true':
    case 'True':
    case 'TRUE':
      return true;
    case 'false':
    case 'False':
    case 'FALSE':
      return false;
    default:
      return t;
  }
}

function numberOrString(t: string, c: number): unknown {
  const n = t.length;
  const signed = c === DASH || c === PLUS;
  const from = signed ? 1 : 0;
  if (n > from && n - from <= 15) {
    let j = from;
    for (; j < n; j++) {
      const d = t.charCodeAt(j);
      if (d < 0x30 || d > 0x39) break;
    }
    if (j === n) {
      // js-yaml: a bare 0 (signed or not) is 0; otherwise the sign times the digits, so -00 is -0.
      const digits = signed ? t.slice(1) : t;
      if (digits === '0') return 0;
      return (c === DASH ? -1 : 1) * parseInt(digits, 10);
    }
  }
  if (NUMBER_LIKE.test(t)) fail();
  return t;
}
