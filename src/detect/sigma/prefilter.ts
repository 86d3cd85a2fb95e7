/**
 * Rule prefilters: for each rule, literals one of which must occur in the event for the rule to match,
 * found in one pass per field with an Aho-Corasick automaton, so that most rules of a large route group
 * are never run on an event that cannot satisfy them. A skip is always exact; a mark only means "run it".
 */
import type { FieldValue, Scalar } from '../../core/index.ts';
import type { EvalCtx } from './event-context.ts';
import type { IrNode, ValueTest } from './ir.ts';
import { requiredLiterals } from './regex.ts';

/**
 * Dense-table entries (4 bytes each) a scanner may spend on its shallow states; deeper ones go sparse.
 * 64 Ki entries hold the levels a text spends nearly all its characters in; with SigmaHQ's rules a
 * budget of 1 Mi matched no faster but cost a cold scan ~70 ms more per thread filling rows (and made
 * the cached prefilters 37 MB instead of 17).
 */
const DENSE_BUDGET = 1 << 16;

/** A built LiteralScanner as plain data (typed arrays): what `toData` gives and `fromData` takes. */
export interface ScannerData {
  readonly width: number;
  readonly ascii: Int32Array;
  readonly delta: Int32Array;
  readonly row: Int32Array;
  readonly firstChild: Int32Array;
  readonly nextSibling: Int32Array;
  readonly symbol: Int32Array;
  readonly fail: Int32Array;
  readonly dict: Int32Array;
  /** The owners of the words ending at state `s` are `owners[outStart[s]] … owners[outStart[s + 1] - 1]`. */
  readonly outStart: Int32Array;
  readonly owners: Int32Array;
  /** 1 for the states where some word ends (their own, or along output links). */
  readonly hit: Uint8Array;
}

/**
 * Aho-Corasick over lowercased literals; marks the owners of every literal found in a text. The text is
 * read case-insensitively (each UTF-16 unit lowercased on the fly), so callers need not lowercase it.
 *
 * The trie's shallow states — as many levels as fit in DENSE_BUDGET — move on ASCII through complete dense rows (one lookup per character). Deeper states, and
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
  private readonly ascii: Int32Array;
  private readonly lowerCache = new Map<number, number>();
  /** Owners (entry indices) of the words that end exactly at a state: see ScannerData. */
  private readonly outStart: Int32Array;
  private readonly owners: Int32Array;
  /** Output links: the nearest proper suffix state with words of its own, or -1. */
  private readonly dict: Int32Array;
  private readonly hit: Uint8Array;
  private readonly data: ScannerData;

  /** Nothing per state is built here: a worker takes another's scanner (or a cached one) as it is. */
  private constructor(d: ScannerData) {
    this.width = d.width;
    this.ascii = d.ascii;
    this.delta = d.delta;
    this.row = d.row;
    this.dict = d.dict;
    this.outStart = d.outStart;
    this.owners = d.owners;
    this.hit = d.hit instanceof Uint8Array ? d.hit : hitFlags(d);
    this.data = d;
  }

  /** A scanner for `words` (lowercased literal → the entries it stands for). */
  static build(
    words: ReadonlyMap<string, readonly number[]>,
    denseBudget = DENSE_BUDGET,
  ): LiteralScanner {
    return new LiteralScanner(scannerData(words, denseBudget));
  }

  /** A scanner from what `toData` gave (another thread's, or a cached one). */
  static fromData(data: ScannerData): LiteralScanner {
    return new LiteralScanner(data);
  }

  /** The scanner as plain data, safe to serialise. */
  toData(): ScannerData {
    return this.data;
  }

  /** The state after reading `sym` in state `s` (ASCII classes are below `width`). */
  private next(s: number, sym: number): number {
    return step(this.data, s, sym);
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
    const { delta, width, ascii, dict, row, hit, outStart, owners } = this;
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
      if (hit[s] === 1) emit(s, outStart, owners, dict, marks, gen, found);
    }
  }
}

/**
 * `bytes` zeroed bytes in shared memory where the platform has it: a prefilter one thread built then
 * reaches the others without its arrays being copied (`postMessage` shares the memory).
 */
function sharedMemory(bytes: number): ArrayBufferLike {
  return typeof SharedArrayBuffer === 'function'
    ? new SharedArrayBuffer(bytes)
    : new ArrayBuffer(bytes);
}

/** An Int32Array of `n` zeros in shared memory (see `sharedMemory`). */
function int32(n: number): Int32Array {
  return new Int32Array(sharedMemory(4 * n));
}

/** The first `n` elements of `a` in an array of their own (shared, as `int32`). */
function prefix(a: Int32Array, n: number): Int32Array {
  const out = int32(n);
  out.set(a.subarray(0, n));
  return out;
}

/** Builds the automaton of `words`; see LiteralScanner. */
function scannerData(
  words: ReadonlyMap<string, readonly number[]>,
  denseBudget: number,
): ScannerData {
  const ascii = int32(128);
  let classes = 0;
  let total = 1;
  for (const w of words.keys()) {
    total += w.length;
    for (let i = 0; i < w.length; i++) {
      const c = w.charCodeAt(i);
      if (c < 128 && ascii[c] === 0) {
        classes++;
        ascii[c] = classes;
        const up = String.fromCharCode(c).toUpperCase().charCodeAt(0);
        if (up < 128) ascii[up] = classes;
      }
    }
  }
  const width = classes + 1;
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
      const sym = c < 128 ? (ascii[c] ?? 0) : c;
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
  const row = int32(states).fill(-1);
  let rows = 0;
  const fail = int32(states);
  const dict = int32(states).fill(-1);
  const queue = new Int32Array(states);
  // Rows are handed out in breadth-first order as states are dequeued; count them first.
  for (let st = 0; st < states; st++) if ((depth[st] ?? 0) <= denseDepth) rows++;
  const delta = int32(rows * width);
  const t = { width, ascii, delta, row, firstChild, nextSibling, symbol, fail, dict };
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
      fail[n] = st === 0 ? 0 : step(t, f, symbol[n] ?? 0);
      queue[tail++] = n;
    }
  }
  const outStart = int32(states + 1);
  const lists = new Map<number, readonly number[]>();
  let count = 0;
  for (const [st, list] of own) {
    const unique = list.length === 1 ? list : [...new Set(list)];
    lists.set(st, unique);
    count += unique.length;
  }
  const owners = int32(count);
  const hit = new Uint8Array(sharedMemory(states));
  for (let st = 0, at = 0; st < states; st++) {
    outStart[st] = at;
    const l = lists.get(st);
    if (l) {
      for (const o of l) owners[at++] = o;
    }
    outStart[st + 1] = at;
    if (l || dict[st] !== -1) hit[st] = 1;
  }
  return {
    ...t,
    firstChild: prefix(firstChild, states),
    nextSibling: prefix(nextSibling, states),
    symbol: prefix(symbol, states),
    outStart,
    owners,
    hit,
  };
}

/** `ScannerData.hit` for data that lacks it. */
function hitFlags(d: ScannerData): Uint8Array {
  const hit = new Uint8Array(d.fail.length);
  for (let st = 0; st < d.fail.length; st++) {
    if ((d.outStart[st + 1] ?? 0) > (d.outStart[st] ?? 0) || d.dict[st] !== -1) hit[st] = 1;
  }
  return hit;
}

/** The state after reading `sym` in state `s`: a dense row, else the state's edges, else its failure link. */
function step(
  t: Pick<
    ScannerData,
    'delta' | 'width' | 'row' | 'firstChild' | 'nextSibling' | 'symbol' | 'fail'
  >,
  s: number,
  sym: number,
): number {
  const { delta, width, row, firstChild, nextSibling, symbol, fail } = t;
  for (let st = s; ; st = fail[st] ?? 0) {
    const r = row[st] ?? -1;
    if (r >= 0 && sym < width) return delta[r * width + sym] ?? 0;
    for (let n = firstChild[st] ?? -1; n !== -1; n = nextSibling[n] ?? -1) {
      if (symbol[n] === sym) return n;
    }
    if (st === 0) return 0;
  }
}

/** Marks the owners of every word ending at state `s`: its own, then those along its output links. */
function emit(
  s: number,
  outStart: Int32Array,
  owners: Int32Array,
  dict: Int32Array,
  marks: Int32Array,
  gen: number,
  found: number[],
): void {
  for (let t = s; t !== -1; t = dict[t] ?? -1) {
    const to = outStart[t + 1] ?? 0;
    for (let j = outStart[t] ?? 0; j < to; j++) {
      const o = owners[j] ?? 0;
      if (marks[o] !== gen) {
        marks[o] = gen;
        found.push(o);
      }
    }
  }
}

/** A literal that must be present for a tree to be true: an exact (lowercased) value or a substring of a field. */
interface Atom {
  readonly field: string;
  readonly eq: boolean;
  readonly s: string;
}

/**
 * Fields that pick a route's events (the Windows channel, provider and event id): an exact value of one
 * of them says little inside the route, where most events share it.
 */
const ROUTING_FIELDS = new Set(['EventID', 'Channel', 'Provider_Name']);

/** How selective a set of alternative atoms is: its weakest atom (exact values beat substrings). */
function strength(atoms: readonly Atom[]): number {
  let min = Infinity;
  for (const a of atoms) {
    const s = a.eq ? (ROUTING_FIELDS.has(a.field) ? 3 : 100) : Math.min(50, a.s.length);
    min = Math.min(min, s);
  }
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

/** A route group's prefilter as plain data: what `Prefilter.toData` gives and `Prefilter.fromData` takes. */
export interface PrefilterData {
  /** How many entries (rules on the route) the group has. */
  readonly size: number;
  /** Entries with no necessary literal: always run. */
  readonly always: readonly number[];
  /** Per field: exact (lowercased) value → the entries that need it. */
  readonly eq: readonly {
    readonly field: string;
    readonly values: readonly (readonly [string, readonly number[]])[];
  }[];
  /** Per field: the scanner of the substrings entries need. */
  readonly sub: readonly { readonly field: string; readonly scanner: ScannerData }[];
}

/** Marks the entries of a route group whose necessary atoms occur in the event; the others are skipped. */
export class Prefilter {
  private readonly always: readonly number[];
  private readonly marks: Int32Array;
  private gen = 0;

  private constructor(
    private readonly data: PrefilterData,
    ctx: EvalCtx,
  ) {
    this.marks = new Int32Array(data.size);
    this.always = data.always;
    for (const f of data.eq)
      this.eqList.push({ field: f.field, slot: ctx.slot(f.field), values: new Map(f.values) });
    for (const f of data.sub)
      this.subList.push({ field: f.field, scanner: LiteralScanner.fromData(f.scanner) });
  }

  /** The prefilter of a group whose entries' conditions are `trees` (in entry order). */
  static build(trees: readonly IrNode[], ctx: EvalCtx): Prefilter {
    const always: number[] = [];
    const eq = new Map<string, Map<string, number[]>>();
    const words = new Map<string, Map<string, number[]>>();
    trees.forEach((tree, i) => {
      const atoms = necessary(tree);
      if (!atoms || atoms.length === 0) {
        always.push(i);
        return;
      }
      for (const a of atoms) {
        const byField = a.eq ? eq : words;
        let m = byField.get(a.field);
        if (!m) {
          m = new Map();
          byField.set(a.field, m);
        }
        const list = m.get(a.s);
        if (!list) m.set(a.s, [i]);
        else if (list[list.length - 1] !== i) list.push(i);
      }
    });
    const data: PrefilterData = {
      size: trees.length,
      always,
      eq: [...eq].map(([field, values]) => ({ field, values: [...values] })),
      sub: [...words].map(([field, byWord]) => ({
        field,
        scanner: LiteralScanner.build(byWord).toData(),
      })),
    };
    return new Prefilter(data, ctx);
  }

  /** A prefilter from what `toData` gave for the same conditions (another thread's, or a cached one). */
  static fromData(data: PrefilterData, ctx: EvalCtx): Prefilter {
    return new Prefilter(data, ctx);
  }

  /** The prefilter as plain data, safe to serialise. */
  toData(): PrefilterData {
    return this.data;
  }

  private readonly found: number[] = [];
  private readonly eqList: {
    field: string;
    slot: number;
    values: Map<string, readonly number[]>;
  }[] = [];
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
    if (found.length > 1) sortInts(found);
    return found;
  }
}

let scratch = new Int32Array(256);

/**
 * Sorts entry indices in place, ascending, without the allocation `Array.prototype.sort` makes on every
 * call: insertion for the usual few (the always-run entries come first, already in order), a typed
 * array's numeric sort for more.
 */
function sortInts(a: number[]): void {
  if (a.length > 48) {
    if (scratch.length < a.length) scratch = new Int32Array(a.length * 2);
    const view = scratch.subarray(0, a.length);
    for (let i = 0; i < a.length; i++) view[i] = a[i] ?? 0;
    view.sort();
    for (let i = 0; i < a.length; i++) a[i] = view[i] ?? 0;
    return;
  }
  for (let i = 1; i < a.length; i++) {
    const v = a[i] ?? 0;
    let j = i - 1;
    while (j >= 0 && (a[j] ?? 0) > v) {
      a[j + 1] = a[j] ?? 0;
      j--;
    }
    a[j + 1] = v;
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
