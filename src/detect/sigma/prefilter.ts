/**
 * Rule prefilters: for each rule, literals one of which must occur in the event for the rule to match,
 * found in one pass per field with an Aho-Corasick automaton, so that most rules of a large route group
 * are never run on an event that cannot satisfy them. A skip is always exact; a mark only means "run it".
 */
import type { FieldValue, Scalar } from '../../core/index.ts';
import type { EvalCtx } from './event-context.ts';
import type { IrNode, ValueTest } from './ir.ts';
import { requiredLiterals } from './regex.ts';

/** Dense-table entries (4 bytes each) a scanner may spend on its shallow states; deeper ones go sparse. */
const DENSE_BUDGET = 1 << 20;

/**
 * Aho-Corasick over lowercased literals; marks the owners of every literal found in a text. The text is
 * read case-insensitively (each UTF-16 unit lowercased on the fly), so callers need not lowercase it.
 *
 * The trie's shallow states — as many levels as fit in DENSE_BUDGET, which is all of them for the usual
 * word lists — move on ASCII through complete dense rows (one lookup per character). Deeper states, and
 * every state on other characters, follow their own edges and then failure links: building stays linear
 * in the words' length even for lists of thousands of hashes, whose tries have hundreds of thousands of
 * states that the text almost never reaches.
 */
export class LiteralScanner {
  /** ASCII transitions of dense states: next = delta[row[state] * width + ascii class]. */
  private readonly delta: Int32Array;
  private readonly width: number;
  /** Dense row of each state, or -1 (a deep state). */
  private readonly row: Int32Array;
  /** ASCII code → class (both letter cases share one); 0 = used by no literal. */
  private readonly ascii = new Int32Array(128);
  /** The trie: each state's first child, next sibling and own symbol (ASCII class, or the UTF-16 unit). */
  private readonly firstChild: Int32Array;
  private readonly nextSibling: Int32Array;
  private readonly symbol: Int32Array;
  private readonly fail: Int32Array;
  private readonly lowerCache = new Map<number, number>();
  /** Owners (entry indices) of the words that end exactly at each state. */
  private readonly out: (Int32Array | undefined)[];
  /** Output links: the nearest proper suffix state with words of its own, or -1. */
  private readonly dict: Int32Array;

  /** `denseBudget` bounds the dense table (entries); tests lower it to exercise the sparse states. */
  constructor(words: ReadonlyMap<string, readonly number[]>, denseBudget = DENSE_BUDGET) {
    let classes = 0;
    let total = 1;
    for (const w of words.keys()) {
      total += w.length;
      for (let i = 0; i < w.length; i++) {
        const c = w.charCodeAt(i);
        if (c < 128 && this.ascii[c] === 0) {
          classes++;
          this.ascii[c] = classes;
          const up = String.fromCharCode(c).toUpperCase().charCodeAt(0);
          if (up < 128) this.ascii[up] = classes;
        }
      }
    }
    const width = classes + 1;
    this.width = width;
    // The trie, in arrays sized for the worst case (every character a new state).
    const firstChild = new Int32Array(total).fill(-1);
    const nextSibling = new Int32Array(total).fill(-1);
    const symbol = new Int32Array(total);
    const depth = new Int32Array(total);
    const own = new Map<number, number[]>();
    let states = 1;
    for (const [w, owners] of words) {
      let st = 0;
      for (let i = 0; i < w.length; i++) {
        const c = w.charCodeAt(i);
        const sym = c < 128 ? (this.ascii[c] ?? 0) : c;
        let n = firstChild[st] ?? -1;
        while (n !== -1 && symbol[n] !== sym) n = nextSibling[n] ?? -1;
        if (n === -1) {
          n = states++;
          symbol[n] = sym;
          depth[n] = (depth[st] ?? 0) + 1;
          nextSibling[n] = firstChild[st] ?? -1;
          firstChild[st] = n;
        }
        st = n;
      }
      const list = own.get(st);
      if (list) list.push(...owners);
      else own.set(st, [...owners]);
    }
    this.firstChild = firstChild;
    this.nextSibling = nextSibling;
    this.symbol = symbol;

    // The deepest level whose states, with all shallower ones, fit in the dense budget.
    const perDepth: number[] = [];
    for (let st = 0; st < states; st++) {
      const d = depth[st] ?? 0;
      perDepth[d] = (perDepth[d] ?? 0) + 1;
    }
    let denseDepth = -1;
    for (let d = 0, sum = 0; d < perDepth.length; d++) {
      sum += perDepth[d] ?? 0;
      if (sum * width > denseBudget && d > 0) break;
      denseDepth = d;
    }
    const row = new Int32Array(states).fill(-1);
    let rows = 0;
    const fail = new Int32Array(states);
    const dict = new Int32Array(states).fill(-1);
    this.row = row;
    this.fail = fail;
    this.dict = dict;
    const queue = new Int32Array(states);
    // Rows are handed out in breadth-first order as states are dequeued; count them first.
    for (let st = 0; st < states; st++) if ((depth[st] ?? 0) <= denseDepth) rows++;
    const delta = new Int32Array(rows * width);
    this.delta = delta;
    let nextRow = 0;
    let tail = 1;
    for (let q = 0; q < tail; q++) {
      const st = queue[q] ?? 0;
      const f = fail[st] ?? 0;
      if (st !== 0) dict[st] = own.has(f) ? f : (dict[f] ?? -1);
      if ((depth[st] ?? 0) <= denseDepth) {
        // The failure state is shallower, so its row is complete: start from it, then add own edges.
        const r = nextRow++;
        row[st] = r;
        const to = r * width;
        if (st !== 0) {
          const from = (row[f] ?? 0) * width;
          for (let k = 0; k < width; k++) delta[to + k] = delta[from + k] ?? 0;
        }
        for (let n = firstChild[st] ?? -1; n !== -1; n = nextSibling[n] ?? -1) {
          const sym = symbol[n] ?? 0;
          if (sym < width) delta[to + sym] = n;
        }
      }
      for (let n = firstChild[st] ?? -1; n !== -1; n = nextSibling[n] ?? -1) {
        fail[n] = st === 0 ? 0 : this.next(f, symbol[n] ?? 0);
        queue[tail++] = n;
      }
    }
    const out = new Array<Int32Array | undefined>(states).fill(undefined);
    for (const [st, list] of own) out[st] = Int32Array.from(new Set(list));
    this.out = out;
  }

  /** The state after reading `sym` in state `s` (ASCII classes are below `width`). */
  private next(s: number, sym: number): number {
    const { delta, width, row, firstChild, nextSibling, symbol, fail } = this;
    for (let st = s; ; st = fail[st] ?? 0) {
      const r = row[st] ?? -1;
      if (r >= 0 && sym < width) return delta[r * width + sym] ?? 0;
      for (let n = firstChild[st] ?? -1; n !== -1; n = nextSibling[n] ?? -1) {
        if (symbol[n] === sym) return n;
      }
      if (st === 0) return 0;
    }
  }

  private lower(c: number): number {
    let l = this.lowerCache.get(c);
    if (l === undefined) {
      const s = String.fromCharCode(c).toLowerCase();
      l = s.length === 1 ? s.charCodeAt(0) : c;
      if (this.lowerCache.size < 4096) this.lowerCache.set(c, l);
    }
    return l;
  }

  /** `scan` over every string value (and string list element) of an event. */
  scanValues(values: readonly FieldValue[], marks: Int32Array, gen: number, found: number[]): void {
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (typeof v === 'string') this.scan(v, marks, gen, found);
      else if (Array.isArray(v)) {
        for (const x of v as readonly Scalar[]) {
          if (typeof x === 'string') this.scan(x, marks, gen, found);
        }
      }
    }
  }

  /**
   * Sets `marks[owner] = gen` for the owners of every word occurring in `text`, and appends each owner
   * marked for the first time in this generation to `found`.
   */
  scan(text: string, marks: Int32Array, gen: number, found: number[]): void {
    const { delta, width, ascii, out, dict, row } = this;
    let s = 0;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      let sym: number;
      if (c < 128) sym = ascii[c] ?? 0;
      else {
        // Lowercased on the fly; a unit whose lowercase is ASCII (the Kelvin sign) reads as that letter.
        const l = this.lower(c);
        sym = l < 128 ? (ascii[l] ?? 0) : l;
      }
      const r = row[s] ?? -1;
      s = r >= 0 && sym < width ? (delta[r * width + sym] ?? 0) : this.next(s, sym);
      if (out[s] !== undefined || dict[s] !== -1) emit(s, out, dict, marks, gen, found);
    }
  }
}

/** Marks the owners of every word ending at state `s`: its own, then those along its output links. */
function emit(
  s: number,
  out: readonly (Int32Array | undefined)[],
  dict: Int32Array,
  marks: Int32Array,
  gen: number,
  found: number[],
): void {
  for (let t = out[s] !== undefined ? s : (dict[s] ?? -1); t !== -1; t = dict[t] ?? -1) {
    const o = out[t];
    if (o !== undefined) mark(o, marks, gen, found);
  }
}

function mark(owners: Int32Array, marks: Int32Array, gen: number, found: number[]): void {
  for (let j = 0; j < owners.length; j++) {
    const o = owners[j] ?? 0;
    if (marks[o] !== gen) {
      marks[o] = gen;
      found.push(o);
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

/**
 * Literals the scanner may look for: lowercasing a whole string and lowercasing it unit by unit agree
 * except for final sigma and dotted capital I, so literals holding their lowercase forms are not used.
 */
export function scannable(s: string): boolean {
  return s.length > 0 && !/[\u03c2\u0307]/.test(s);
}

function testAtoms(field: string, t: ValueTest): Atom[] | undefined {
  const atoms = rawAtoms(field, t);
  return atoms?.every((a) => a.eq || scannable(a.s)) ? atoms : undefined;
}

function rawAtoms(field: string, t: ValueTest): Atom[] | undefined {
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
    for (const [field, f] of this.eq) this.eqList.push({ field, slot: f.slot, values: f.values });
    for (const [field, f] of this.sub) this.subList.push({ field, scanner: f.scanner });
  }

  private readonly found: number[] = [];
  private readonly eqList: { field: string; slot: number; values: Map<string, number[]> }[] = [];
  private readonly subList: { field: string; scanner: LiteralScanner }[] = [];

  /** Indices (ascending) of the entries that may match the event in `ctx`. Valid until the next call. */
  run(ctx: EvalCtx): readonly number[] {
    const gen = ++this.gen;
    const marks = this.marks;
    const found = this.found;
    found.length = 0;
    for (const i of this.always) {
      marks[i] = gen;
      found.push(i);
    }
    for (const f of this.eqList) {
      const low = ctx.low(f.slot, f.field);
      if (low === undefined || low === null) continue;
      if (typeof low === 'string') {
        const l = f.values.get(low);
        if (l) markList(l, marks, gen, found);
      } else {
        for (const x of low) {
          const l = x === null ? undefined : f.values.get(x);
          if (l) markList(l, marks, gen, found);
        }
      }
    }
    for (const f of this.subList) {
      const raw = ctx.fields[f.field];
      if (raw === undefined || raw === null) continue;
      if (typeof raw === 'string') f.scanner.scan(raw, marks, gen, found);
      else if (Array.isArray(raw)) {
        for (const x of raw as readonly Scalar[]) {
          if (x !== null) f.scanner.scan(typeof x === 'string' ? x : String(x), marks, gen, found);
        }
      } else f.scanner.scan(String(raw), marks, gen, found);
    }
    if (found.length > 1) found.sort((a, b) => a - b);
    return found;
  }
}

function markList(list: readonly number[], marks: Int32Array, gen: number, found: number[]): void {
  for (const i of list) {
    if (marks[i] !== gen) {
      marks[i] = gen;
      found.push(i);
    }
  }
}
