/** A linear-time matcher for Sigma wildcard patterns (`*`, `?`) that never backtracks across stars. */
import type { GlobPart } from './ir.ts';

interface Segment {
  /** Literal runs and single-character wildcards (1). */
  readonly pieces: readonly (string | 1)[];
  readonly len: number;
  readonly literal: string | undefined;
}

function segment(pieces: (string | 1)[]): Segment {
  let len = 0;
  for (const p of pieces) len += p === 1 ? 1 : p.length;
  const literal = pieces.every((p) => p !== 1) ? pieces.join('') : undefined;
  return { pieces, len, literal };
}

function matchAt(seg: Segment, s: string, at: number): boolean {
  if (at < 0 || at + seg.len > s.length) return false;
  let pos = at;
  for (const p of seg.pieces) {
    if (p === 1) pos++;
    else {
      if (!s.startsWith(p, pos)) return false;
      pos += p.length;
    }
  }
  return true;
}

function find(seg: Segment, s: string, from: number): number {
  if (seg.literal !== undefined) return s.indexOf(seg.literal, from);
  for (let i = from; i + seg.len <= s.length; i++) if (matchAt(seg, s, i)) return i;
  return -1;
}

/**
 * Compiles a glob into a predicate. Segments between stars are matched leftmost-first, which is exact
 * for `*`-separated patterns, so the cost is at most (text length × pattern length).
 */
export function compileGlob(parts: readonly GlobPart[]): (s: string) => boolean {
  const segs: Segment[] = [];
  let cur: (string | 1)[] = [];
  for (const p of parts) {
    if (p === 0) {
      segs.push(segment(cur));
      cur = [];
    } else cur.push(p);
  }
  segs.push(segment(cur));
  const first = segs[0] ?? segment([]);
  if (segs.length === 1) return (s) => s.length === first.len && matchAt(first, s, 0);
  const last = segs[segs.length - 1] ?? segment([]);
  const middle = segs.slice(1, -1);
  return (s) => {
    if (s.length < first.len + last.len || !matchAt(first, s, 0)) return false;
    let pos = first.len;
    const end = s.length - last.len;
    for (const seg of middle) {
      const i = find(seg, s, pos);
      if (i < 0 || i + seg.len > end) return false;
      pos = i + seg.len;
    }
    return matchAt(last, s, end);
  };
}
