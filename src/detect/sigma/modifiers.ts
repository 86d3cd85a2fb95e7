/**
 * Sigma value modifiers: the typed values a detection item holds while it is compiled, and the registry
 * that maps each modifier name to its implementation. The compiler looks names up here; nothing else
 * branches on a modifier's name.
 */
import { parseCidr } from './cidr.ts';
import type { Cidr } from './cidr.ts';

/** A wildcard inside a Sigma string: `*` (any run) or `?` (one character). */
export interface Wild {
  readonly w: '*' | '?';
}
export const MULTI: Wild = { w: '*' };
export const SINGLE: Wild = { w: '?' };
/** A `%name%` placeholder left by `expand`, replaced by the configured values. */
export interface PlaceholderPart {
  readonly ph: string;
}
export type Part = string | Wild | PlaceholderPart;

/** A Sigma string: literal runs and wildcards. `bytes` marks strings whose characters are bytes (after utf16*). */
export interface StrVal {
  readonly t: 'str';
  readonly parts: readonly Part[];
  readonly cased: boolean;
  readonly bytes: boolean;
  /** The value exactly as written in the rule (what `re` reads). */
  readonly orig: string;
}
export type TimePart = 'minute' | 'hour' | 'day' | 'week' | 'month' | 'year';
export type CmpOp = 'lt' | 'lte' | 'gt' | 'gte';

/** Every type a detection value can have during compilation. `exp` is an OR group (windash, base64offset, expand). */
export type Val =
  | StrVal
  | { readonly t: 'num'; readonly n: number }
  | { readonly t: 'bool'; readonly b: boolean }
  | { readonly t: 'null' }
  | {
      readonly t: 're';
      readonly src: string;
      readonly flags: string;
      readonly anchorStart: boolean;
      readonly anchorEnd: boolean;
    }
  | { readonly t: 'cidr'; readonly text: string; readonly net: Cidr }
  | { readonly t: 'cmp'; readonly op: CmpOp; readonly n: number }
  | { readonly t: 'time'; readonly part: TimePart; readonly n: number }
  | { readonly t: 'ref'; readonly field: string; readonly starts: boolean; readonly ends: boolean }
  | { readonly t: 'exists'; readonly b: boolean }
  | { readonly t: 'exp'; readonly of: readonly Val[] };

/** State of the detection item the modifiers act on. */
export interface ItemState {
  linking: 'or' | 'and';
  negated: boolean;
}

export interface ModContext {
  /** Names of the modifiers applied before this one, in order. */
  readonly applied: readonly string[];
  readonly field: string | undefined;
  readonly placeholders: Readonly<Record<string, readonly string[]>> | undefined;
  readonly item: ItemState;
}

/** Why a modifier refused a value. `code` picks the issue code; `unsupported` marks limits of this engine. */
export interface ModError {
  readonly error: string;
  readonly code?: 'SIGMA_MODIFIER' | 'SIGMA_PLACEHOLDER';
  readonly unsupported?: boolean;
}

export type ModOutput = Val | readonly Val[] | ModError;

/** One modifier: `value` modifiers map each value, `item` modifiers change how the item's values combine. */
export type Modifier =
  | {
      readonly scope: 'value';
      readonly accepts: readonly Val['t'][];
      apply(v: Val, ctx: ModContext): ModOutput;
    }
  | { readonly scope: 'item'; apply(ctx: ModContext): ModError | undefined };

/** Most values a single expansion may produce before the rule is refused. */
export const MAX_EXPANSION = 4096;

/** Parses a Sigma string with its escapes: `\*`, `\?`, `\\` are literals; any other `\` stays a backslash. */
export function parseSigmaString(s: string): StrVal {
  const parts: Part[] = [];
  // Most values hold neither a wildcard nor a backslash: one literal, nothing to build.
  if (!SPECIAL.test(s)) {
    if (s) parts.push(s);
    return { t: 'str', parts, cased: false, bytes: false, orig: s };
  }
  // Literal runs are sliced out whole rather than built a character at a time.
  let acc = '';
  let run = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 92) {
      // `\*`, `\?` and `\\` escape; a backslash before anything else stays, as does a final one.
      acc += s.slice(run, i);
      const next = s[i + 1];
      if (next === undefined) acc += '\\';
      else acc += next === '*' || next === '?' || next === '\\' ? next : '\\' + next;
      i++;
      run = i + 1;
    } else if (c === 42 || c === 63) {
      acc += s.slice(run, i);
      if (acc) parts.push(acc);
      acc = '';
      parts.push(c === 42 ? MULTI : SINGLE);
      run = i + 1;
    }
  }
  if (run < s.length) acc += s.slice(run);
  if (acc) parts.push(acc);
  return { t: 'str', parts, cased: false, bytes: false, orig: s };
}

const SPECIAL = /[*?\\]/;

export function isWild(p: Part): p is Wild {
  return typeof p === 'object' && 'w' in p;
}

function hasSpecial(v: StrVal): boolean {
  return v.parts.some((p) => typeof p !== 'string');
}

function plainText(v: StrVal): string {
  return v.parts.map((p) => (typeof p === 'string' ? p : '')).join('');
}

function str(parts: Part[], like: StrVal, patch?: Partial<StrVal>): StrVal {
  return { t: 'str', parts, cased: like.cased, bytes: like.bytes, orig: like.orig, ...patch };
}

/** UTF-8 (or, for byte strings, the bytes themselves) of a plain string value. */
function toBytes(v: StrVal): Uint8Array | ModError {
  const text = plainText(v);
  if (!v.bytes) return new TextEncoder().encode(text);
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c > 0xff) return { error: 'byte string holds a character above 0xFF' };
    out[i] = c;
  }
  return out;
}

function base64(bytes: Uint8Array): string {
  let bin = '';
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin);
}

function utf16(v: StrVal, be: boolean, bom: boolean): StrVal {
  const enc = (s: string): string => {
    let out = '';
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      const lo = String.fromCharCode(c & 0xff);
      const hi = String.fromCharCode(c >> 8);
      out += be ? hi + lo : lo + hi;
    }
    return out;
  };
  const parts: Part[] = v.parts.map((p) => (typeof p === 'string' ? enc(p) : p));
  if (bom) parts.unshift(be ? '\u00fe\u00ff' : '\u00ff\u00fe');
  return str(parts, v, { bytes: true });
}

const WINDASH = ['-', '/', '\u2013', '\u2014', '\u2015'];

function windash(v: StrVal): Val | ModError {
  // A `-` or `/` preceded by a non-word character (or the start) and followed by a word character.
  const slots: { part: number; index: number }[] = [];
  v.parts.forEach((p, pi) => {
    if (typeof p !== 'string') return;
    const re = /\B[-/]\b/g;
    for (let m = re.exec(p); m; m = re.exec(p)) slots.push({ part: pi, index: m.index });
  });
  if (slots.length === 0) return v;
  const total = WINDASH.length ** slots.length;
  if (total > MAX_EXPANSION) {
    return { error: `windash would expand to ${total} values`, unsupported: true };
  }
  const out: Val[] = [];
  for (let n = 0; n < total; n++) {
    let k = n;
    const choice = new Map<string, string>(); // "part:index" → dash
    for (const s of slots) {
      choice.set(`${s.part}:${s.index}`, WINDASH[k % WINDASH.length] ?? '-');
      k = Math.floor(k / WINDASH.length);
    }
    const parts = v.parts.map((p, pi) => {
      if (typeof p !== 'string') return p;
      let text = '';
      for (let i = 0; i < p.length; i++) text += choice.get(`${pi}:${i}`) ?? p.charAt(i);
      return text;
    });
    out.push(str(parts, v));
  }
  return { t: 'exp', of: out };
}

/** `%name%` → placeholder parts; `\%` stays a literal percent sign. */
function insertPlaceholders(v: StrVal): Part[] {
  const parts: Part[] = [];
  for (const p of v.parts) {
    if (typeof p !== 'string') {
      parts.push(p);
      continue;
    }
    const re = /(?<!\\)%([^%]+)%/g;
    let last = 0;
    for (let m = re.exec(p); m; m = re.exec(p)) {
      const before = p.slice(last, m.index).replaceAll('\\%', '%');
      if (before) parts.push(before);
      parts.push({ ph: m[1] ?? '' });
      last = m.index + m[0].length;
    }
    const rest = p.slice(last).replaceAll('\\%', '%');
    if (rest) parts.push(rest);
  }
  return parts;
}

function expand(v: Val, ctx: ModContext): ModOutput {
  if (v.t === 're') {
    // Placeholders inside a regex become an alternation of the escaped values.
    let missing: string | undefined;
    const src = v.src.replace(/(?<!\\)%([^%]+)%/g, (_m, name: string) => {
      const vals = ctx.placeholders?.[name];
      if (!vals) {
        missing ??= name;
        return '';
      }
      return '(?:' + vals.map((x) => x.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|') + ')';
    });
    if (missing !== undefined)
      return { error: `unknown placeholder '%${missing}%'`, code: 'SIGMA_PLACEHOLDER' };
    return { ...v, src };
  }
  if (v.t !== 'str') return { error: 'expand needs a string' };
  const parts = insertPlaceholders(v);
  let variants: Part[][] = [[]];
  for (const p of parts) {
    if (typeof p === 'object' && 'ph' in p) {
      const vals = ctx.placeholders?.[p.ph];
      if (!vals) return { error: `unknown placeholder '%${p.ph}%'`, code: 'SIGMA_PLACEHOLDER' };
      if (variants.length * vals.length > MAX_EXPANSION) {
        return {
          error: `placeholders expand to more than ${MAX_EXPANSION} values`,
          unsupported: true,
        };
      }
      const next: Part[][] = [];
      for (const pre of variants) {
        for (const val of vals) next.push([...pre, ...parseSigmaString(val).parts]);
      }
      variants = next;
    } else {
      for (const pre of variants) pre.push(p);
    }
  }
  const out = variants.map((ps) => str(ps, v));
  return out.length === 1 && out[0] ? out[0] : { t: 'exp', of: out };
}

const STRINGY: readonly Val['t'][] = ['str'];

function position(kind: 'contains' | 'startswith' | 'endswith'): Modifier {
  const head = kind !== 'startswith';
  const tail = kind !== 'endswith';
  return {
    scope: 'value',
    accepts: ['str', 're', 'ref'],
    apply(v) {
      if (v.t === 'str') {
        const parts = [...v.parts];
        const first = parts[0];
        const last = parts[parts.length - 1];
        if (head && !(first !== undefined && isWild(first) && first.w === '*'))
          parts.unshift(MULTI);
        if (tail && !(last !== undefined && isWild(last) && last.w === '*')) parts.push(MULTI);
        return str(parts, v);
      }
      if (v.t === 're') {
        // Our regexes search; startswith/endswith anchor them, contains leaves them as they are.
        return {
          ...v,
          anchorStart: kind === 'startswith' || v.anchorStart,
          anchorEnd: kind === 'endswith' || v.anchorEnd,
        };
      }
      if (v.t === 'ref')
        return {
          ...v,
          starts: v.starts || kind === 'startswith' || kind === 'contains',
          ends: v.ends || kind === 'endswith' || kind === 'contains',
        };
      return { error: `${kind} needs a string` };
    },
  };
}

function reFlag(flag: 'i' | 'm' | 's'): Modifier {
  return {
    scope: 'value',
    accepts: ['re'],
    apply(v) {
      if (v.t !== 're') return { error: `'${flag}' only follows 're'` };
      return v.flags.includes(flag) ? v : { ...v, flags: v.flags + flag };
    },
  };
}

function cmp(op: CmpOp): Modifier {
  return {
    scope: 'value',
    accepts: ['num'],
    apply(v) {
      if (v.t !== 'num') return { error: `${op} needs a number` };
      return { t: 'cmp', op, n: v.n };
    },
  };
}

function time(part: TimePart): Modifier {
  return {
    scope: 'value',
    accepts: ['num'],
    apply(v) {
      if (v.t !== 'num' || !Number.isInteger(v.n)) return { error: `${part} needs an integer` };
      return { t: 'time', part, n: v.n };
    },
  };
}

const utf16le: Modifier = {
  scope: 'value',
  accepts: STRINGY,
  apply: (v) => (v.t === 'str' ? utf16(v, false, false) : { error: 'utf16le needs a string' }),
};

/** The modifier registry: every name a rule may use, and what it does. */
export const MODIFIERS: Readonly<Record<string, Modifier>> = {
  contains: position('contains'),
  startswith: position('startswith'),
  endswith: position('endswith'),
  all: {
    scope: 'item',
    apply(ctx) {
      ctx.item.linking = 'and';
      return undefined;
    },
  },
  neq: {
    scope: 'item',
    apply(ctx) {
      ctx.item.negated = true;
      return undefined;
    },
  },
  exists: {
    scope: 'value',
    accepts: ['bool'],
    apply(v, ctx) {
      if (ctx.field === undefined) return { error: 'exists needs a field' };
      if (ctx.applied.length > 0) return { error: 'exists must be the only modifier' };
      if (v.t !== 'bool') return { error: 'exists needs true or false' };
      return { t: 'exists', b: v.b };
    },
  },
  cased: {
    scope: 'value',
    accepts: STRINGY,
    apply: (v) => (v.t === 'str' ? { ...v, cased: true } : { error: 'cased needs a string' }),
  },
  windash: {
    scope: 'value',
    accepts: STRINGY,
    apply: (v) => (v.t === 'str' ? windash(v) : { error: 'windash needs a string' }),
  },
  re: {
    scope: 'value',
    accepts: STRINGY,
    apply(v, ctx) {
      if (ctx.applied.some((m) => m !== 'all' && m !== 'neq')) {
        return { error: "'re' must come before other value modifiers" };
      }
      if (v.t !== 'str') return { error: 're needs a string' };
      return { t: 're', src: v.orig, flags: '', anchorStart: false, anchorEnd: false };
    },
  },
  i: reFlag('i'),
  ignorecase: reFlag('i'),
  m: reFlag('m'),
  multiline: reFlag('m'),
  s: reFlag('s'),
  dotall: reFlag('s'),
  base64: {
    scope: 'value',
    accepts: STRINGY,
    apply(v) {
      if (v.t !== 'str') return { error: 'base64 needs a string' };
      if (hasSpecial(v)) return { error: 'base64 of a value with wildcards or placeholders' };
      const b = toBytes(v);
      if (b instanceof Uint8Array) return str([base64(b)], v, { bytes: false });
      return b;
    },
  },
  base64offset: {
    scope: 'value',
    accepts: STRINGY,
    apply(v) {
      if (v.t !== 'str') return { error: 'base64offset needs a string' };
      if (hasSpecial(v)) return { error: 'base64offset of a value with wildcards or placeholders' };
      const b = toBytes(v);
      if (!(b instanceof Uint8Array)) return b;
      const starts = [0, 2, 3];
      const ends = [0, 3, 2]; // characters dropped at the end, by (length + shift) % 3
      const out: Val[] = [];
      for (let shift = 0; shift < 3; shift++) {
        const padded = new Uint8Array(shift + b.length);
        padded.fill(0x20, 0, shift);
        padded.set(b, shift);
        const enc = base64(padded);
        const drop = ends[(b.length + shift) % 3] ?? 0;
        out.push(str([enc.slice(starts[shift] ?? 0, enc.length - drop)], v, { bytes: false }));
      }
      return { t: 'exp', of: out };
    },
  },
  utf16le,
  wide: utf16le,
  utf16be: {
    scope: 'value',
    accepts: STRINGY,
    apply: (v) => (v.t === 'str' ? utf16(v, true, false) : { error: 'utf16be needs a string' }),
  },
  utf16: {
    scope: 'value',
    accepts: STRINGY,
    apply: (v) => (v.t === 'str' ? utf16(v, false, true) : { error: 'utf16 needs a string' }),
  },
  lt: cmp('lt'),
  lte: cmp('lte'),
  gt: cmp('gt'),
  gte: cmp('gte'),
  minute: time('minute'),
  hour: time('hour'),
  day: time('day'),
  week: time('week'),
  month: time('month'),
  year: time('year'),
  cidr: {
    scope: 'value',
    accepts: STRINGY,
    apply(v, ctx) {
      if (ctx.applied.some((m) => m !== 'all' && m !== 'neq'))
        return { error: "'cidr' must come before other value modifiers" };
      if (v.t !== 'str' || hasSpecial(v))
        return { error: 'cidr needs a plain network like 10.0.0.0/8' };
      const text = plainText(v);
      const net = parseCidr(text);
      return net ? { t: 'cidr', text, net } : { error: `'${text}' is not a CIDR network` };
    },
  },
  expand: { scope: 'value', accepts: ['str', 're'], apply: expand },
  fieldref: {
    scope: 'value',
    accepts: STRINGY,
    apply(v, ctx) {
      if (ctx.field === undefined) return { error: 'fieldref needs a field' };
      if (v.t !== 'str' || hasSpecial(v))
        return { error: 'a field reference must be a plain field name' };
      return { t: 'ref', field: plainText(v), starts: false, ends: false };
    },
  },
};

/**
 * Applies one modifier to one value; expansion groups are mapped element by element and stay grouped.
 * Numbers given to a string modifier are read as their decimal text.
 */
export function applyModifier(
  mod: Extract<Modifier, { scope: 'value' }>,
  v: Val,
  ctx: ModContext,
): ModOutput {
  if (v.t === 'exp') {
    const of: Val[] = [];
    for (const x of v.of) {
      const r = applyModifier(mod, x, ctx);
      if ('error' in r) return r;
      if (Array.isArray(r)) of.push(...(r as readonly Val[]));
      else of.push(r as Val);
    }
    if (of.length > MAX_EXPANSION)
      return { error: `expands to more than ${MAX_EXPANSION} values`, unsupported: true };
    return { t: 'exp', of };
  }
  let input = v;
  if (!mod.accepts.includes(v.t) && v.t === 'num' && mod.accepts.includes('str')) {
    input = parseSigmaString(String(v.n));
  }
  if (!mod.accepts.includes(input.t)) {
    return { error: `does not apply to a ${describe(input)} value` };
  }
  return mod.apply(input, ctx);
}

function describe(v: Val): string {
  switch (v.t) {
    case 'str':
      return 'string';
    case 'num':
      return 'number';
    case 'bool':
      return 'boolean';
    case 'null':
      return 'null';
    case 're':
      return 'regular expression';
    case 'cidr':
      return 'CIDR';
    case 'cmp':
      return 'comparison';
    case 'time':
      return 'time part';
    case 'ref':
      return 'field reference';
    case 'exists':
      return 'exists';
    case 'exp':
      return 'expansion';
  }
}
