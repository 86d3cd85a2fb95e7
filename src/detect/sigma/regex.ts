/**
 * Regular expressions from rules run on RE2 (linear time, no backtracking). Patterns RE2 cannot run are
 * rewritten only where the rewrite is exact for a yes/no search; otherwise they are refused with a reason.
 */
import RE2 from 're2';

export type RegexCheck =
  | {
      readonly ok: true;
      readonly source: string;
      readonly flags: string;
      readonly rewritten: boolean;
    }
  | { readonly ok: false; readonly reason: string };

/** Top-level structure of a pattern: where its depth-0 alternations and groups are. */
function topLevel(src: string): { alternation: boolean; groups: { start: number; end: number }[] } {
  const groups: { start: number; end: number }[] = [];
  const stack: number[] = [];
  let alternation = false;
  let inClass = false;
  for (let i = 0; i < src.length; i++) {
    const c = src.charAt(i);
    if (c === '\\') {
      i++;
      continue;
    }
    if (inClass) {
      if (c === ']') inClass = false;
      continue;
    }
    if (c === '[') {
      inClass = true;
      if (src.charAt(i + 1) === ']') i++;
      else if (src.charAt(i + 1) === '^' && src.charAt(i + 2) === ']') i += 2;
    } else if (c === '(') stack.push(i);
    else if (c === ')') {
      const start = stack.pop();
      if (start !== undefined && stack.length === 0) groups.push({ start, end: i });
    } else if (c === '|' && stack.length === 0) alternation = true;
  }
  return { alternation, groups };
}

/** Replaces `\Z` (end, or before a final newline) outside character classes with `(?:\n?\z)`. */
function rewriteBigZ(src: string): string {
  let out = '';
  let inClass = false;
  for (let i = 0; i < src.length; i++) {
    const c = src.charAt(i);
    if (c === '\\') {
      const n = src.charAt(i + 1);
      out += !inClass && n === 'Z' ? '(?:\\n?\\z)' : c + n;
      i++;
      continue;
    }
    if (c === '[') inClass = true;
    else if (c === ']') inClass = false;
    out += c;
  }
  return out;
}

/**
 * For a yes/no search, a trailing `(?=X)` matches exactly when `X` follows, i.e. like `…X`; a leading
 * `(?<=X)` likewise like `X…`. Only applied when the lookaround is a whole top-level group and the
 * pattern has no top-level alternation.
 */
function rewriteLookarounds(src: string, anchored: boolean): string | undefined {
  if (anchored) return undefined;
  const { alternation, groups } = topLevel(src);
  if (alternation) return undefined;
  let out = src;
  const last = groups[groups.length - 1];
  if (last && last.end === out.length - 1 && out.startsWith('(?=', last.start)) {
    out = out.slice(0, last.start) + '(?:' + out.slice(last.start + 3);
  }
  const first = topLevel(out).groups[0];
  if (first && first.start === 0 && out.startsWith('(?<=', 0)) {
    out = '(?:' + out.slice(4);
  }
  return out === src ? undefined : out;
}

function tryRe2(source: string, flags: string): string | undefined {
  try {
    new RE2(source, flags);
    return undefined;
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
}

/** Checks (and where exact, rewrites) a rule regex, adding start/end anchors for startswith/endswith. */
export function checkRegex(
  src: string,
  flags: string,
  anchorStart: boolean,
  anchorEnd: boolean,
): RegexCheck {
  const wrap = (s: string): string =>
    anchorStart || anchorEnd ? `${anchorStart ? '\\A' : ''}(?:${s})${anchorEnd ? '\\z' : ''}` : s;
  const direct = wrap(src);
  const err = tryRe2(direct, flags);
  if (err === undefined) return { ok: true, source: direct, flags, rewritten: false };
  let s = src.includes('\\Z') ? rewriteBigZ(src) : src;
  for (let i = 0; i < 2; i++) {
    const r = rewriteLookarounds(s, anchorStart || anchorEnd);
    if (r === undefined) break;
    s = r;
  }
  if (s !== src && tryRe2(wrap(s), flags) === undefined) {
    return { ok: true, source: wrap(s), flags, rewritten: true };
  }
  return {
    ok: false,
    reason: `regex /${src}/ cannot run on RE2 (${err}) and has no exact rewrite`,
  };
}

/** Builds the RE2 object for a checked pattern. Throws only if given an unchecked pattern. */
export function makeRegex(source: string, flags: string): RE2 {
  return new RE2(source, flags);
}

const LEADING_FLAGS = /^\(\?[imsU]+\)/;

/**
 * The longest run of literal characters that every match of a branch contains (lowercased): consecutive
 * top-level literal characters, none of them optional. Groups, classes and escapes like \s break a run.
 */
function mandatoryLiteral(branch: string): string {
  let best = '';
  let run = '';
  const end = (): void => {
    if (run.length > best.length) best = run;
    run = '';
  };
  let i = 0;
  while (i < branch.length) {
    const c = branch.charAt(i);
    let lit: string | undefined;
    if (c === '\\') {
      const n = branch.charAt(i + 1);
      if (n !== '' && !/[A-Za-z0-9]/.test(n)) lit = n;
      i += n === 'x' || n === 'p' || n === 'P' ? 2 : 2;
    } else if (c === '(') {
      let depth = 1;
      let j = i + 1;
      let inClass = false;
      for (; j < branch.length && depth > 0; j++) {
        const d = branch.charAt(j);
        if (d === '\\') j++;
        else if (inClass) {
          if (d === ']') inClass = false;
        } else if (d === '[') inClass = true;
        else if (d === '(') depth++;
        else if (d === ')') depth--;
      }
      i = j;
    } else if (c === '[') {
      let j = i + 1;
      if (branch.charAt(j) === '^') j++;
      if (branch.charAt(j) === ']') j++;
      for (; j < branch.length && branch.charAt(j) !== ']'; j++) if (branch.charAt(j) === '\\') j++;
      i = j + 1;
    } else if (c === '|' || c === ')') {
      return ''; // unbalanced input: claim nothing
    } else if ('.^$'.includes(c)) {
      i++;
    } else {
      lit = c;
      i++;
    }
    // A following quantifier: optional (?, *, {0,…}) drops the token; + or {n≥1} keeps it but ends the run.
    const q = branch.charAt(i);
    let optional = false;
    let repeats = false;
    if (q === '?' || q === '*') {
      optional = true;
      i++;
    } else if (q === '+') {
      repeats = true;
      i++;
    } else if (q === '{') {
      const m = /^\{(\d*)(,\d*)?\}/.exec(branch.slice(i));
      if (m) {
        optional = m[1] === '' || Number(m[1]) === 0;
        repeats = !optional;
        i += m[0].length;
      }
    }
    if (branch.charAt(i) === '?' && (optional || repeats)) i++; // lazy quantifier
    if (lit === undefined || optional) {
      end();
      continue;
    }
    run += lit;
    if (repeats) end();
  }
  end();
  return best.toLowerCase();
}

function balanced(s: string): boolean {
  let depth = 0;
  let inClass = false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charAt(i);
    if (c === '\\') i++;
    else if (inClass) {
      if (c === ']') inClass = false;
    } else if (c === '[') inClass = true;
    else if (c === '(') depth++;
    else if (c === ')' && --depth < 0) return false;
  }
  return depth === 0 && !inClass;
}

/**
 * Literals (lowercased) one of which appears in any text the pattern matches, or undefined when none are
 * known: each top-level branch's leading literal. Used to skip a regex, never to decide a match.
 */
export function requiredLiterals(source: string, minLength = 1): string[] | undefined {
  let s = source;
  const wrapped = /^(\\A)?\(\?:([\s\S]*)\)(\\z)?$/.exec(s);
  if (wrapped && (wrapped[1] || wrapped[3]) && balanced(wrapped[2] ?? '')) s = wrapped[2] ?? '';
  s = s.replace(LEADING_FLAGS, '');
  if (s.startsWith('^')) s = s.slice(1);
  const { alternation } = topLevel(s);
  const branches: string[] = [];
  if (alternation) {
    let depth = 0;
    let inClass = false;
    let start = 0;
    for (let i = 0; i < s.length; i++) {
      const c = s.charAt(i);
      if (c === '\\') {
        i++;
        continue;
      }
      if (inClass) {
        if (c === ']') inClass = false;
        continue;
      }
      if (c === '[') inClass = true;
      else if (c === '(') depth++;
      else if (c === ')') depth--;
      else if (c === '|' && depth === 0) {
        branches.push(s.slice(start, i));
        start = i + 1;
      }
    }
    branches.push(s.slice(start));
  } else branches.push(s);
  const out: string[] = [];
  for (const b of branches) {
    const lit = mandatoryLiteral(b.replace(LEADING_FLAGS, ''));
    if (lit.length < minLength) return undefined;
    out.push(lit);
  }
  return out;
}

/**
 * `.{n,}` / `(.){n,m}` searched anywhere: true exactly when the text holds a run of at least n characters
 * other than newline (any characters with the `s` flag). RE2 runs such counted repeats slowly, so the
 * matcher counts instead. Returns n, or undefined for any other pattern.
 */
export function minRunLength(source: string): number | undefined {
  const m = /^(?:\.|\(\.\)|\(\?:\.\))\{(\d+),(\d*)\}$/.exec(source);
  if (!m) return undefined;
  const n = Number(m[1]);
  if (m[2] !== '' && Number(m[2]) < n) return undefined;
  return n;
}
