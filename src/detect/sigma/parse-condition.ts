/** Parses a Sigma condition string (`selection and not 1 of filter_*`) into a `CondAst`, with a depth cap. */
import type { Issue } from '../../core/index.ts';
import { lazyPos, type CondAst, type Pos } from './ast.ts';

/** Deepest nesting of parentheses and `not` a condition may use; deeper input is rejected, never recursed. */
export const MAX_CONDITION_DEPTH = 64;

type Tok =
  | { readonly t: 'word'; readonly v: string; readonly off: number }
  | { readonly t: '(' | ')' | 'end'; readonly off: number };

const WORD = /[A-Za-z0-9_\-*]/;

function tokenize(text: string): Tok[] | { bad: number; ch: string } {
  const toks: Tok[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text.charAt(i);
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++;
    } else if (c === '(' || c === ')') {
      toks.push({ t: c, off: i });
      i++;
    } else if (WORD.test(c)) {
      const start = i;
      while (i < text.length && WORD.test(text.charAt(i))) i++;
      toks.push({ t: 'word', v: text.slice(start, i), off: start });
    } else {
      return { bad: i, ch: c };
    }
  }
  toks.push({ t: 'end', off: text.length });
  return toks;
}

const KEYWORDS = new Set(['and', 'or', 'not', 'of']);

/**
 * Parses `text`. `at` is where the condition's first character is in the file and `file` names it;
 * every issue points at the offending token (same line, column shifted by the token's offset).
 */
export function parseCondition(
  text: string,
  at: Pos,
  file: string,
  path: string,
): { ok: true; value: CondAst } | { ok: false; issue: Issue } {
  const posOf = (off: number): Pos =>
    lazyPos(() => {
      // Multi-line conditions: count lines inside the string.
      let line = at.line;
      let col = at.col;
      for (let i = 0; i < off; i++) {
        if (text.charAt(i) === '\n') {
          line++;
          col = 1;
        } else col++;
      }
      return { line, col };
    });
  const err = (off: number, message: string) => {
    const p = posOf(off);
    return {
      ok: false as const,
      issue: {
        code: 'SIGMA_CONDITION' as const,
        severity: 'error' as const,
        message,
        at: { file, line: p.line, col: p.col, path },
      },
    };
  };

  if (text.includes('|')) {
    return err(
      text.indexOf('|'),
      'aggregation with `|` was removed from Sigma; write a correlation rule instead',
    );
  }
  const toks = tokenize(text);
  if (!Array.isArray(toks)) return err(toks.bad, `unexpected character '${toks.ch}' in condition`);

  let p = 0;
  const peek = (): Tok => toks[p] ?? { t: 'end', off: text.length };
  class Fail extends Error {
    constructor(
      readonly off: number,
      message: string,
    ) {
      super(message);
    }
  }
  const isWord = (t: Tok, v: string): boolean => t.t === 'word' && t.v === v;

  const parseOr = (depth: number): CondAst => {
    const first = parseAnd(depth);
    const of: CondAst[] = [first];
    while (isWord(peek(), 'or')) {
      p++;
      of.push(parseAnd(depth));
    }
    return of.length === 1 ? first : { k: 'or', of };
  };
  const parseAnd = (depth: number): CondAst => {
    const first = parseNot(depth);
    const of: CondAst[] = [first];
    while (isWord(peek(), 'and')) {
      p++;
      of.push(parseNot(depth));
    }
    return of.length === 1 ? first : { k: 'and', of };
  };
  const parseNot = (depth: number): CondAst => {
    if (depth > MAX_CONDITION_DEPTH) {
      throw new Fail(peek().off, `condition nests deeper than ${MAX_CONDITION_DEPTH} levels`);
    }
    if (isWord(peek(), 'not')) {
      p++;
      return { k: 'not', of: parseNot(depth + 1) };
    }
    return parseAtom(depth);
  };
  const parseAtom = (depth: number): CondAst => {
    const t = peek();
    if (t.t === '(') {
      p++;
      const inner = parseOr(depth + 1);
      const close = peek();
      if (close.t !== ')') throw new Fail(close.off, "expected ')'");
      p++;
      return inner;
    }
    if (t.t === 'word') {
      const next = toks[p + 1];
      if ((t.v === '1' || t.v === 'any' || t.v === 'all') && next && isWord(next, 'of')) {
        const pat = toks[p + 2];
        if (pat?.t !== 'word' || KEYWORDS.has(pat.v)) {
          throw new Fail(
            pat?.off ?? text.length,
            "expected an identifier pattern or 'them' after 'of'",
          );
        }
        p += 3;
        return { k: 'of', quant: t.v === 'all' ? 'all' : 'any', pattern: pat.v, at: posOf(t.off) };
      }
      if (KEYWORDS.has(t.v)) throw new Fail(t.off, `unexpected '${t.v}'`);
      if (t.v.includes('*')) {
        throw new Fail(t.off, `wildcard identifier '${t.v}' needs '1 of' or 'all of'`);
      }
      p++;
      return { k: 'id', name: t.v, at: posOf(t.off) };
    }
    throw new Fail(t.off, t.t === 'end' ? 'condition ends too early' : `unexpected '${t.t}'`);
  };

  try {
    const ast = parseOr(0);
    const rest = peek();
    if (rest.t !== 'end') {
      return err(rest.off, `unexpected '${rest.t === 'word' ? rest.v : rest.t}' after expression`);
    }
    return { ok: true, value: ast };
  } catch (e) {
    if (e instanceof Fail) return err(e.off, e.message);
    throw e;
  }
}
