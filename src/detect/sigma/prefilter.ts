/**
 * Rule prefilters: for each rule, literals one of which must occur in the event for the rule to match,
 * found in one pass per field with an Aho-Corasick automaton, so that most rules of a large route group
 * are never run on an event that cannot satisfy them. A skip is always exact; a mark only means "run it".
 */
import type { EvalCtx } from './event-context.ts';
import type { IrNode, ValueTest } from './ir.ts';
import { requiredLiterals } from './regex.ts';

/** Aho-Corasick over lowercased literals; marks the owners of every literal found in a text. */
export class LiteralScanner {
  /** Dense transitions for characters in `classOf`, per state: next = delta[state * width + class]. */
  private readonly delta: Int32Array;
  private readonly width: number;
  private readonly classOf = new Map<number, number>();
  private readonly ascii = new Int32Array(128);
  /** Owners (entry indices) reported at each state, including those of its suffix states. */
  private readonly out: (Int32Array | undefined)[];

  constructor(words: ReadonlyMap<string, readonly number[]>) {
    // Character classes: one per distinct UTF-16 unit used by the words; 0 means "no word uses it".
    for (const w of words.keys()) {
      for (let i = 0; i < w.length; i++) {
        const c = w.charCodeAt(i);
        if (!this.classOf.has(c)) this.classOf.set(c, this.classOf.size + 1);
      }
    }
    for (const [c, k] of this.classOf) if (c < 128) this.ascii[c] = k;
    const width = this.classOf.size + 1;
    this.width = width;
    // Trie.
    const goto: Map<number, number>[] = [new Map<number, number>()];
    const own: number[][] = [[]];
    for (const [w, owners] of words) {
      let s = 0;
      for (let i = 0; i < w.length; i++) {
        const k = this.classOf.get(w.charCodeAt(i)) ?? 0;
        let n = goto[s]?.get(k);
        if (n === undefined) {
          n = goto.length;
          goto.push(new Map());
          own.push([]);
          goto[s]?.set(k, n);
        }
        s = n;
      }
      own[s]?.push(...owners);
    }
    // Failure links in breadth-first order, folded into a dense transition table.
    const states = goto.length;
    const delta = new Int32Array(states * width);
    const fail = new Int32Array(states);
    const outs: number[][] = own.map((o) => [...o]);
    const queue: number[] = [];
    for (const [k, n] of goto[0] ?? new Map<number, number>()) {
      delta[k] = n;
      queue.push(n);
    }
    for (let q = 0; q < queue.length; q++) {
      const s = queue[q] ?? 0;
      const f = fail[s] ?? 0;
      const fo = outs[f];
      if (fo && fo.length > 0) outs[s]?.push(...fo);
      for (let k = 0; k < width; k++) {
        const n = goto[s]?.get(k);
        if (n !== undefined) {
          fail[n] = delta[f * width + k] ?? 0;
          delta[s * width + k] = n;
          queue.push(n);
        } else delta[s * width + k] = delta[f * width + k] ?? 0;
      }
    }
    this.delta = delta;
    this.out = outs.map((o) => (o.length > 0 ? Int32Array.from(new Set(o)) : undefined));
  }

  /** Sets `marks[owner] = gen` for the owners of every word occurring in `text`. */
  scan(text: string, marks: Int32Array, gen: number): void {
    const { delta, width, ascii, classOf, out } = this;
    let s = 0;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      const k = c < 128 ? (ascii[c] ?? 0) : (classOf.get(c) ?? 0);
      s = delta[s * width + k] ?? 0;
      const o = out[s];
      if (o !== undefined) for (let j = 0; j < o.length; j++) marks[o[j] ?? 0] = gen;
    }
  }
}

/** A literal that must be present for a tree to be true: an exact (lowercased) value or a substring of a field. */
interface Atom {
  readonly field: string;
  readonly eq: boolean;
  readonly s: string;
}

/** How selective a set of alternative atoms is: its weakest atom (exact values beat substrings). */
function strength(atoms: readonly Atom[]): number {
  let min = Infinity;
  for (const a of atoms) min = Math.min(min, a.eq ? 100 : Math.min(50, a.s.length));
  return min;
}

function testAtoms(field: string, t: ValueTest): Atom[] | undefined {
  switch (t.t) {
    case 'eq':
      return [{ field, eq: !t.cased, s: t.cased ? t.s.toLowerCase() : t.s }];
    case 'num':
      return [{ field, eq: true, s: String(t.n) }];
    case 'prefix':
    case 'suffix':
    case 'contains': {
      const s = t.cased ? t.s.toLowerCase() : t.s;
      return s.length > 0 ? [{ field, eq: false, s }] : undefined;
    }
    case 'glob': {
      let best = '';
      for (const p of t.parts) if (typeof p === 'string' && p.length > best.length) best = p;
      best = t.cased ? best.toLowerCase() : best;
      return best.length > 0 ? [{ field, eq: false, s: best }] : undefined;
    }
    case 're':
      return requiredLiterals(t.source)?.map((s) => ({ field, eq: false, s }));
    case 'bool':
    case 'cmp':
    case 'time':
    case 'cidr':
    case 'ref':
      return undefined;
  }
}

/**
 * Alternative atoms at least one of which holds whenever `node` is true; undefined when no such set is
 * known. Used to skip rules that cannot match before running them.
 */
export function necessary(node: IrNode): Atom[] | undefined {
  switch (node.k) {
    case 'field': {
      const out: Atom[] = [];
      for (const t of node.any) {
        const a = testAtoms(node.field, t);
        if (!a) return undefined;
        out.push(...a);
      }
      return out;
    }
    case 'or': {
      const out: Atom[] = [];
      for (const n of node.of) {
        const a = necessary(n);
        if (!a) return undefined;
        out.push(...a);
      }
      return out;
    }
    case 'and': {
      let best: Atom[] | undefined;
      for (const n of node.of) {
        const a = necessary(n);
        if (!a) continue;
        if (!best) best = a;
        else {
          const sa = strength(a);
          const sb = strength(best);
          if (sa > sb || (sa === sb && a.length < best.length)) best = a;
        }
      }
      return best;
    }
    case 'not':
    case 'const':
    case 'null':
    case 'exists':
    case 'keyword':
      return undefined;
  }
}

/** Marks the entries of a route group whose necessary atoms occur in the event; the others are skipped. */
export class Prefilter {
  private readonly always: number[] = [];
  private readonly eq = new Map<string, { slot: number; values: Map<string, number[]> }>();
  private readonly sub = new Map<string, { slot: number; scanner: LiteralScanner }>();
  private readonly marks: Int32Array;
  private gen = 0;

  constructor(trees: readonly IrNode[], ctx: EvalCtx) {
    this.marks = new Int32Array(trees.length);
    const words = new Map<string, Map<string, number[]>>();
    trees.forEach((tree, i) => {
      const atoms = necessary(tree);
      if (!atoms || atoms.length === 0) {
        this.always.push(i);
        return;
      }
      for (const a of atoms) {
        if (a.eq) {
          let f = this.eq.get(a.field);
          if (!f) {
            f = { slot: ctx.slot(a.field), values: new Map() };
            this.eq.set(a.field, f);
          }
          const list = f.values.get(a.s) ?? [];
          if (list[list.length - 1] !== i) list.push(i);
          f.values.set(a.s, list);
        } else {
          let w = words.get(a.field);
          if (!w) {
            w = new Map();
            words.set(a.field, w);
          }
          const list = w.get(a.s) ?? [];
          if (list[list.length - 1] !== i) list.push(i);
          w.set(a.s, list);
        }
      }
    });
    for (const [field, byWord] of words) {
      this.sub.set(field, { slot: ctx.slot(field), scanner: new LiteralScanner(byWord) });
    }
  }

  /** Returns the marks array and the generation that means "candidate" for this event. */
  run(ctx: EvalCtx): { marks: Int32Array; gen: number } {
    const gen = ++this.gen;
    const marks = this.marks;
    for (const i of this.always) marks[i] = gen;
    for (const [field, f] of this.eq) {
      const low = ctx.low(f.slot, field);
      if (low === undefined || low === null) continue;
      if (typeof low === 'string') {
        const l = f.values.get(low);
        if (l) for (const i of l) marks[i] = gen;
      } else {
        for (const x of low) {
          const l = x === null ? undefined : f.values.get(x);
          if (l) for (const i of l) marks[i] = gen;
        }
      }
    }
    for (const [field, f] of this.sub) {
      const low = ctx.low(f.slot, field);
      if (low === undefined || low === null) continue;
      const texts = typeof low === 'string' ? [low] : low;
      for (const text of texts) {
        if (text !== null && text.length > 0) f.scanner.scan(text, marks, gen);
      }
    }
    return { marks, gen };
  }
}
