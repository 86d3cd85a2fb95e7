/**
 * The matcher: turns IR trees into closures, indexes compiled rules by route (Channel + EventID for
 * Windows), and returns a Detection for every rule an event satisfies.
 */
import type { Detection, Event, FieldValue, LogSource, Scalar } from '../../core/index.ts';
import { cidrContains, inNetwork, parseIp } from './cidr.ts';
import type { Cidr } from './cidr.ts';
import { compileGlob } from './glob.ts';
import type { CompiledFilter, CompiledRoute, CompiledRule, IrNode, ValueTest } from './ir.ts';
import { EvalCtx, scalarText } from './event-context.ts';
import { LiteralScanner, Prefilter, scannable, type PrefilterData } from './prefilter.ts';
import { SkipSearch } from './skip-search.ts';
import { makeRegex, minRunLength, requiredLiterals } from './regex.ts';
import type { SourceRoute } from './source.ts';

export { EvalCtx };

/** A test of one value element: its raw scalar (never null) and its lowercased text. */
type ElemTest = (raw: Scalar, low: string, ctx: EvalCtx) => boolean;
export type Evaluator = (ctx: EvalCtx) => boolean;

function toNumber(raw: Scalar): number {
  if (typeof raw === 'number') return raw;
  if (typeof raw === 'string' && raw.trim() !== '') return Number(raw);
  return NaN;
}

const TIME = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})/;

/** Calendar parts of a timestamp as written (no time-zone conversion); numbers are epoch ms (or s). */
function timeParts(
  raw: Scalar,
):
  | { minute: number; hour: number; day: number; week: number; month: number; year: number }
  | undefined {
  let y: number, mo: number, d: number, h: number, mi: number;
  if (typeof raw === 'number') {
    const dt = new Date(raw < 1e11 ? raw * 1000 : raw);
    if (Number.isNaN(dt.getTime())) return undefined;
    y = dt.getUTCFullYear();
    mo = dt.getUTCMonth() + 1;
    d = dt.getUTCDate();
    h = dt.getUTCHours();
    mi = dt.getUTCMinutes();
  } else if (typeof raw === 'string') {
    const m = TIME.exec(raw);
    if (!m) return undefined;
    y = Number(m[1]);
    mo = Number(m[2]);
    d = Number(m[3]);
    h = Number(m[4]);
    mi = Number(m[5]);
  } else return undefined;
  // ISO 8601 week number.
  const date = new Date(Date.UTC(y, mo - 1, d));
  const dayNum = (date.getUTCDay() + 6) % 7;
  date.setUTCDate(date.getUTCDate() - dayNum + 3);
  const firstThursday = new Date(Date.UTC(date.getUTCFullYear(), 0, 4));
  const week =
    1 +
    Math.round(
      ((date.getTime() - firstThursday.getTime()) / 86400000 -
        3 +
        ((firstThursday.getUTCDay() + 6) % 7)) /
        7,
    );
  return { minute: mi, hour: h, day: d, week, month: mo, year: y };
}

function refValues(ctx: EvalCtx, slot: number, name: string): readonly string[] {
  const v = ctx.low(slot, name);
  if (v === undefined || v === null) return [];
  if (typeof v === 'string') return [v];
  return v.filter((x): x is string => x !== null);
}

/** Whether `text` holds at least `n` consecutive code points (newline breaks a run unless `dotAll`). */
function longestRun(text: string, dotAll: boolean, n: number): boolean {
  let run = 0;
  for (const ch of text) {
    if (!dotAll && ch === '\n') run = 0;
    else if (++run >= n) return true;
  }
  return n === 0;
}

/** Builds one element test. Each ValueTest kind carries its own behaviour here. */
function elemTest(t: ValueTest, ctx: EvalCtx): ElemTest {
  switch (t.t) {
    case 'eq': {
      const s = t.s;
      return t.cased ? (raw) => scalarText(raw) === s : (_r, low) => low === s;
    }
    case 'prefix': {
      const s = t.s;
      return t.cased
        ? (raw) => scalarText(raw)?.startsWith(s) === true
        : (_r, low) => low.startsWith(s);
    }
    case 'suffix': {
      const s = t.s;
      return t.cased
        ? (raw) => scalarText(raw)?.endsWith(s) === true
        : (_r, low) => low.endsWith(s);
    }
    case 'contains': {
      const s = t.s;
      return t.cased
        ? (raw) => scalarText(raw)?.includes(s) === true
        : (_r, low) => low.includes(s);
    }
    case 'glob': {
      const g = compileGlob(t.parts);
      return t.cased ? (raw) => g(scalarText(raw) ?? '') : (_r, low) => g(low);
    }
    case 'num': {
      const n = t.n;
      const text = String(n);
      return (raw) =>
        typeof raw === 'number' ? raw === n : typeof raw === 'string' && raw === text;
    }
    case 'bool': {
      const b = t.b;
      const text = String(b);
      return (raw, low) => raw === b || (typeof raw === 'string' && low === text);
    }
    case 're': {
      const run = minRunLength(t.source);
      if (run !== undefined) {
        const dotAll = t.flags.includes('s');
        return (raw) => longestRun(scalarText(raw) ?? '', dotAll, run);
      }
      const re = makeRegex(t.source, t.flags);
      const lits = requiredLiterals(t.source);
      if (lits) {
        // A regex whose every branch starts with a literal cannot match text lacking all of them.
        return (raw, low) => lits.some((l) => low.includes(l)) && re.test(scalarText(raw) ?? '');
      }
      return (raw) => re.test(scalarText(raw) ?? '');
    }
    case 'cmp': {
      const n = t.n;
      switch (t.op) {
        case 'lt':
          return (raw) => toNumber(raw) < n;
        case 'lte':
          return (raw) => toNumber(raw) <= n;
        case 'gt':
          return (raw) => toNumber(raw) > n;
        case 'gte':
          return (raw) => toNumber(raw) >= n;
      }
    }
    case 'time': {
      const part = t.part;
      const n = t.n;
      return (raw) => timeParts(raw)?.[part] === n;
    }
    case 'cidr': {
      const net = t.net;
      return (raw) => typeof raw === 'string' && cidrContains(net, raw);
    }
    case 'ref': {
      const name = t.field;
      const slot = ctx.slot(name);
      switch (t.mode) {
        case 'eq':
          return (_r, low, c) => refValues(c, slot, name).some((o) => low === o);
        case 'prefix':
          return (_r, low, c) => refValues(c, slot, name).some((o) => low.startsWith(o));
        case 'suffix':
          return (_r, low, c) => refValues(c, slot, name).some((o) => low.endsWith(o));
        case 'contains':
          return (_r, low, c) => refValues(c, slot, name).some((o) => low.includes(o));
      }
    }
  }
}

/** OR of the tests, with case-insensitive equality folded into one Set lookup. */
function anyTest(tests: readonly ValueTest[], ctx: EvalCtx): ElemTest {
  const eqs = new Set<string>();
  const rest: ElemTest[] = [];
  const nets: Cidr[] = [];
  const regexes = new Map<string, string[]>(); // flags → sources, run as one alternation
  for (const t of tests) {
    if (t.t === 'eq' && !t.cased) eqs.add(t.s);
    else if (t.t === 'cidr') nets.push(t.net);
    else if (t.t === 're' && minRunLength(t.source) === undefined) {
      regexes.set(t.flags, [...(regexes.get(t.flags) ?? []), t.source]);
    } else rest.push(elemTest(t, ctx));
  }
  for (const [flags, sources] of regexes) {
    if (sources.length === 1) {
      rest.push(elemTest({ t: 're', source: sources[0] ?? '', flags }, ctx));
      continue;
    }
    const re = makeRegex(sources.map((x) => `(?:${x})`).join('|'), flags);
    const lits = sources.map((x) => requiredLiterals(x));
    const all = lits.every((l) => l !== undefined) ? lits.flat() : undefined;
    rest.push(
      all
        ? (raw, low) => all.some((l) => low.includes(l)) && re.test(scalarText(raw) ?? '')
        : (raw) => re.test(scalarText(raw) ?? ''),
    );
  }
  if (nets.length > 0) {
    // Parse the address once for all networks.
    rest.push((raw) => {
      if (typeof raw !== 'string') return false;
      const a = parseIp(raw);
      return a !== undefined && nets.some((n) => inNetwork(n, a));
    });
  }
  const suffixes = tests
    .filter((t) => t.t === 'suffix' && !t.cased && nets.length === 0)
    .map((t) => (t as { s: string }).s);
  if (rest.length === suffixes.length && suffixes.length > 0) {
    // Only case-insensitive equality and suffix tests: a tight loop.
    return (_r, low) => {
      if (eqs.size > 0 && eqs.has(low)) return true;
      for (const s of suffixes) if (low.endsWith(s)) return true;
      return false;
    };
  }
  const containsOnly = tests.every((t) => t.t === 'contains' && !t.cased);
  if (containsOnly) {
    const needles = tests.map((t) => (t as { s: string }).s);
    return (_r, low) => {
      for (const s of needles) if (low.includes(s)) return true;
      return false;
    };
  }
  if (eqs.size === 0 && rest.length === 1 && rest[0]) return rest[0];
  return (raw, low, c) => {
    if (eqs.size > 0 && eqs.has(low)) return true;
    for (const f of rest) if (f(raw, low, c)) return true;
    return false;
  };
}

function fieldEval(field: string, tests: readonly ValueTest[], ctx: EvalCtx): Evaluator {
  const slot = ctx.slot(field);
  const test = anyTest(tests, ctx);
  return (c) => {
    const low = c.low(slot, field);
    if (low === undefined || low === null) return false;
    if (typeof low === 'string') return test(c.fields[field] as Scalar, low, c);
    const raw = c.fields[field] as readonly Scalar[];
    for (let i = 0; i < low.length; i++) {
      const l = low[i];
      if (l !== null && l !== undefined && test(raw[i] ?? null, l, c)) return true;
    }
    return false;
  };
}

/** Keyword search: `fn` over every string value of the event; `probe` over one field (for explain). */
function keywordEval(
  tests: readonly ValueTest[],
  ctx: EvalCtx,
): { fn: Evaluator; probe: (c: EvalCtx, name: string) => boolean } {
  let check: (c: EvalCtx, name: string) => boolean;
  // Plain keywords: one Aho-Corasick pass over each string value, for all keywords at once.
  const words = tests.every((t) => t.t === 'contains' && !t.cased && scannable(t.s))
    ? tests.map((t) => (t as { s: string }).s)
    : [];
  // Long plain keywords: a search that skips most characters.
  const skip = SkipSearch.build(words);
  if (skip) {
    const anyText = (v: FieldValue | undefined): boolean => {
      if (typeof v === 'string') return skip.test(v);
      if (Array.isArray(v)) {
        for (const x of v as readonly Scalar[])
          if (typeof x === 'string' && skip.test(x)) return true;
      }
      return false;
    };
    return {
      fn: (c) => {
        const values = c.values();
        for (let i = 0; i < values.length; i++) if (anyText(values[i])) return true;
        return false;
      },
      probe: (c, name) => anyText(c.fields[name]),
    };
  }
  const scanner = LiteralScanner.build(new Map(words.map((w) => [w, [0]])));
  const marks = new Int32Array(1);
  const found: number[] = [];
  let gen = 0;
  if (words.length > 0) {
    check = (c, name) => {
      const raw = c.fields[name];
      const g = ++gen;
      found.length = 0;
      if (typeof raw === 'string') scanner.scan(raw, marks, g, found);
      else if (Array.isArray(raw)) {
        for (const x of raw as readonly Scalar[]) {
          if (typeof x === 'string') scanner.scan(x, marks, g, found);
        }
      }
      return marks[0] === g;
    };
  } else {
    const test = anyTest(tests, ctx);
    check = (c, name) => {
      const raw = c.fields[name];
      if (typeof raw === 'string') return test(raw, c.low(c.slot(name), name) as string, c);
      if (Array.isArray(raw)) {
        const low = c.low(c.slot(name), name) as readonly (string | null)[];
        for (let i = 0; i < raw.length; i++) {
          const r = (raw as readonly Scalar[])[i];
          const l = low[i];
          if (typeof r === 'string' && typeof l === 'string' && test(r, l, c)) return true;
        }
      }
      return false;
    };
  }
  if (words.length > 0) {
    return {
      fn: (c) => {
        const g = ++gen;
        found.length = 0;
        scanner.scanValues(c.values(), marks, g, found);
        return marks[0] === g;
      },
      probe: check,
    };
  }
  return {
    fn: (c) => {
      const keys = c.keys();
      for (let i = 0; i < keys.length; i++) if (check(c, keys[i] ?? '')) return true;
      return false;
    },
    probe: check,
  };
}

/** A closure with the IR node it came from, kept for the explain pass. */
export interface EvalNode {
  readonly node: IrNode;
  readonly fn: Evaluator;
  readonly kids: readonly EvalNode[];
  readonly cost: number;
  /** Keyword nodes: whether one named field holds a keyword. */
  readonly probe?: (c: EvalCtx, name: string) => boolean;
}

function testCost(t: ValueTest): number {
  switch (t.t) {
    case 'eq':
    case 'num':
    case 'bool':
      return 1;
    case 'prefix':
    case 'suffix':
      return 2;
    case 'contains':
    case 'cmp':
    case 'time':
    case 'ref':
      return 3;
    case 'glob':
    case 'cidr':
      return 5;
    case 're':
      return 20;
  }
}

/** Builds the closure tree; and/or children run cheapest first (they have no side effects). */
export function buildEval(node: IrNode, ctx: EvalCtx): EvalNode {
  switch (node.k) {
    case 'and':
    case 'or': {
      const kids = node.of.map((n) => buildEval(n, ctx)).sort((a, b) => a.cost - b.cost);
      const fns = kids.map((k) => k.fn);
      const cost = kids.reduce((s, k) => s + k.cost, 0);
      const [a, b] = fns;
      let fn: Evaluator;
      if (node.k === 'and') {
        if (fns.length === 2 && a && b) fn = (c) => a(c) && b(c);
        else
          fn = (c) => {
            for (const f of fns) if (!f(c)) return false;
            return true;
          };
      } else if (fns.length === 2 && a && b) fn = (c) => a(c) || b(c);
      else
        fn = (c) => {
          for (const f of fns) if (f(c)) return true;
          return false;
        };
      return { node, fn, kids, cost };
    }
    case 'not': {
      const kid = buildEval(node.of, ctx);
      const f = kid.fn;
      return { node, fn: (c) => !f(c), kids: [kid], cost: kid.cost };
    }
    case 'const': {
      const v = node.v;
      return { node, fn: () => v, kids: [], cost: 0 };
    }
    case 'field':
      return {
        node,
        fn: fieldEval(node.field, node.any, ctx),
        kids: [],
        cost: Math.min(
          20,
          node.any.reduce((s, t) => s + testCost(t), 0),
        ),
      };
    case 'null': {
      const name = node.field;
      return {
        node,
        fn: (c) => c.fields[name] === undefined || c.fields[name] === null,
        kids: [],
        cost: 1,
      };
    }
    case 'exists': {
      const name = node.field;
      const want = node.b;
      return { node, fn: (c) => (c.fields[name] !== undefined) === want, kids: [], cost: 1 };
    }
    case 'keyword': {
      const k = keywordEval(node.any, ctx);
      return { node, fn: k.fn, probe: k.probe, kids: [], cost: 50 };
    }
  }
}

/** Records the fields that the true branches of a matching tree looked at. */
export function explain(e: EvalNode, ctx: EvalCtx, out: Record<string, FieldValue>): void {
  const n = e.node;
  switch (n.k) {
    case 'and':
      for (const k of e.kids) explain(k, ctx, out);
      return;
    case 'or':
      for (const k of e.kids) if (k.fn(ctx)) explain(k, ctx, out);
      return;
    case 'not':
    case 'const':
      return;
    case 'field': {
      const v = ctx.fields[n.field];
      if (v !== undefined) out[n.field] = v;
      for (const t of n.any) {
        if (t.t === 'ref') {
          const o = ctx.fields[t.field];
          if (o !== undefined) out[t.field] = o;
        }
      }
      return;
    }
    case 'null':
    case 'exists': {
      const v = ctx.fields[n.field];
      if (v !== undefined) out[n.field] = v;
      return;
    }
    case 'keyword': {
      for (const name of Object.keys(ctx.fields)) {
        const v = ctx.fields[name];
        if (v !== undefined && e.probe?.(ctx, name)) out[name] = v;
      }
      return;
    }
  }
}

/** Whether an event may belong to a route: `where` values (strings case-insensitively) and `source`. */
export function routeAccepts(
  route: SourceRoute,
  skip: ReadonlySet<string> = new Set(),
  withSource = true,
): ((ev: Event) => boolean) | null {
  const checks: ((ev: Event) => boolean)[] = [];
  for (const [field, vals] of Object.entries(route.where)) {
    if (skip.has(field)) continue;
    const strs = new Set(
      vals.filter((v): v is string => typeof v === 'string').map((v) => v.toLowerCase()),
    );
    const nums = new Set(vals.filter((v): v is number => typeof v === 'number'));
    const one = (x: Scalar): boolean => {
      if (typeof x === 'number') return nums.has(x) || strs.has(String(x));
      if (typeof x === 'string')
        return strs.has(x.toLowerCase()) || (x.trim() !== '' && nums.has(Number(x)));
      return false;
    };
    checks.push((ev) => {
      const v = ev.fields[field];
      if (v === undefined || v === null) return false;
      return Array.isArray(v) ? (v as readonly Scalar[]).some(one) : one(v as Scalar);
    });
  }
  const src = withSource ? route.source : undefined;
  if (src) {
    for (const key of ['product', 'category', 'service'] as const) {
      const want = src[key]?.toLowerCase();
      if (want !== undefined) checks.push((ev) => ev.source[key]?.toLowerCase() === want);
    }
  }
  if (checks.length === 0) return null;
  return (ev) => {
    for (const c of checks) if (!c(ev)) return false;
    return true;
  };
}

/** One rule on one route. Its condition is read, and its evaluator built, only when first needed. */
interface Entry {
  readonly index: number;
  readonly rule: CompiledRule;
  readonly route: CompiledRoute;
  /** Meta filters that apply (`and not` each). */
  readonly nots: readonly IrNode[];
  /** Built on the entry's first evaluation: most rules of a large group never pass its prefilter. */
  tree: EvalNode | undefined;
}

/** An entry's condition: the rule's on the route, and not any of the filters that apply to it. */
function condOf(e: Entry): IrNode {
  if (e.nots.length === 0) return e.route.cond;
  return { k: 'and', of: [e.route.cond, ...e.nots.map((n) => ({ k: 'not' as const, of: n }))] };
}

interface Group {
  /** The group's position: the same in every rule set linked from the same rules. */
  readonly index: number;
  readonly route: SourceRoute;
  accept: ((ev: Event) => boolean) | null;
  /** The rules of the group on its route. */
  readonly entries: Entry[];
  /** Whether the group has met its first event (and built its prefilter). */
  started: boolean;
  /** Built with the entries (null when the group is too small to need one). */
  prefilter: Prefilter | null;
}

/** Groups smaller than this are run without a prefilter. */
const PREFILTER_MIN = 4;

function logsourceContains(outer: LogSource, inner: LogSource): boolean {
  return (
    (outer.product === undefined || outer.product === inner.product) &&
    (outer.category === undefined || outer.category === inner.category) &&
    (outer.service === undefined || outer.service === inner.service)
  );
}

/** Whether a meta filter applies to a rule: named by id or name (or `any`), within the filter's logsource. */
export function filterApplies(f: CompiledFilter, rule: CompiledRule): boolean {
  if (!logsourceContains(f.logsource, rule.logsource)) return false;
  if (f.rules === 'any') return true;
  return f.rules.some(
    (r) => r === rule.ref.id || (rule.ref.name !== undefined && r === rule.ref.name),
  );
}

const INDEX_FIELDS = new Set(['Channel', 'EventID']);

/**
 * The runtime rule set. `match` is synchronous, never throws for a well-formed Event, and keeps per-event
 * state only for the duration of one call, so one instance may serve any number of events in sequence.
 */
export class RuleSet {
  readonly rules: readonly CompiledRule[];
  private readonly ctx = new EvalCtx();
  private readonly byKey = new Map<string, Group[]>();
  private readonly byChannel = new Map<string, Map<string, Group[]>>();
  private readonly scan: Group[] = [];
  private readonly stamps: Int32Array;
  private readonly groups: Group[] = [];
  private readonly knownPrefilters = new Map<string, PrefilterData>();
  private gen = 0;

  constructor(rules: readonly CompiledRule[], filters: readonly CompiledFilter[] = []) {
    this.rules = rules;
    this.stamps = new Int32Array(rules.length);
    const groups = new Map<string, Group>();
    rules.forEach((rule, index) => {
      const applicable = filters.filter((f) => filterApplies(f, rule));
      for (const r of rule.routes) {
        // The rule's condition (`r.cond`) is not read here: it may not be needed at all.
        const nots = applicable.flatMap((f) => {
          const n = f.routes.get(r.route.name);
          return n ? [n] : [];
        });
        let g = groups.get(r.route.name);
        if (!g) {
          g = {
            index: groups.size,
            route: r.route,
            accept: null,
            entries: [],
            started: false,
            prefilter: null,
          };
          groups.set(r.route.name, g);
        }
        g.entries.push({ index, rule, route: r, nots, tree: undefined });
      }
    });
    for (const g of groups.values()) {
      this.groups.push(g);
      const channels = g.route.where['Channel'];
      if (channels && channels.length > 0) {
        g.accept = routeAccepts(g.route, INDEX_FIELDS);
        const eids = g.route.where['EventID'];
        const eidKeys = eids && eids.length > 0 ? eids.map((e) => String(e)) : ['*'];
        if (!eids || eids.length === 0) g.accept = routeAccepts(g.route, new Set(['Channel']));
        for (const ch of channels) {
          const key = String(ch).toLowerCase();
          let m = this.byChannel.get(key);
          if (!m) {
            m = new Map();
            this.byChannel.set(key, m);
          }
          for (const e of eidKeys) {
            const list = m.get(e) ?? [];
            list.push(g);
            m.set(e, list);
          }
        }
      } else {
        // The route's `source` is checked once per kind of source (`scanFor`), the rest per event.
        g.accept = routeAccepts(g.route, new Set(), false);
        this.scan.push(g);
      }
    }
  }

  /** The groups without a channel whose route's `source` accepts events from `src`. */
  private scanFor(src: Event['source']): readonly Group[] {
    const key = `${src.product ?? ''}\u0000${src.category ?? ''}\u0000${src.service ?? ''}`;
    let list = this.scanBySource.get(key);
    if (!list) {
      const have = {
        product: src.product?.toLowerCase(),
        category: src.category?.toLowerCase(),
        service: src.service?.toLowerCase(),
      };
      list = this.scan.filter((g) => {
        const want = g.route.source;
        if (!want) return true;
        return (['product', 'category', 'service'] as const).every(
          (k) => want[k] === undefined || want[k].toLowerCase() === have[k],
        );
      });
      if (this.scanBySource.size < 10_000) this.scanBySource.set(key, list);
    }
    return list;
  }

  private readonly scanBySource = new Map<string, readonly Group[]>();

  private candidates(ev: Event): readonly Group[] {
    const ch = ev.fields['Channel'];
    if (typeof ch !== 'string') return [];
    const eid = ev.fields['EventID'];
    const key = ch + '\u0000' + (eid === undefined || eid === null ? '' : String(eid));
    let list = this.byKey.get(key);
    if (!list) {
      const m = this.byChannel.get(ch.toLowerCase());
      const eidText = eid === undefined || eid === null ? '' : String(eid).trim();
      list = m ? [...(m.get(eidText) ?? []), ...(m.get('*') ?? [])] : [];
      if (this.byKey.size < 100_000) this.byKey.set(key, list);
    }
    return list;
  }

  /**
   * Starts a group on its first event: takes or builds its prefilter (building one costs more than a few
   * thousand events of matching, and a scan meets only some routes).
   */
  private start(g: Group): void {
    g.started = true;
    if (g.entries.length < PREFILTER_MIN) {
      g.prefilter = null;
      return;
    }
    const name = g.route.name;
    let known = this.knownPrefilters.get(name);
    if (known?.size !== g.entries.length) known = this.awaitPrefilter?.(name, g.index);
    if (known?.size === g.entries.length) g.prefilter = Prefilter.fromData(known, this.ctx);
    else {
      g.prefilter = Prefilter.build(g.entries.map(condOf), this.ctx);
      this.onPrefilterBuilt?.(name, g.prefilter.toData(), g.index);
    }
  }

  /**
   * Asked before a group builds its prefilter, with the group's position: gives the prefilter another
   * thread builds for the same rule set (waiting for it if need be), or undefined to build it here.
   */
  awaitPrefilter: ((route: string, group: number) => PrefilterData | undefined) | undefined;

  /** Told each prefilter this rule set builds, so that another thread can take it (`usePrefilters`). */
  onPrefilterBuilt: ((route: string, data: PrefilterData, group: number) => void) | undefined;

  private evaluator(e: Entry): EvalNode {
    const tree = buildEval(condOf(e), this.ctx);
    e.tree = tree;
    return tree;
  }

  /**
   * Prefilters built elsewhere for this same rule set (another worker's, or cached), by route name: a
   * group takes its own when its first event comes instead of building it. Only the data of an identical
   * rule set fits; a group whose size differs builds its own.
   */
  usePrefilters(prefilters: ReadonlyMap<string, PrefilterData>): void {
    for (const [route, data] of prefilters) this.knownPrefilters.set(route, data);
  }

  /** The prefilters of the route groups built so far, by route name, as plain data. */
  builtPrefilters(): Map<string, PrefilterData> {
    const out = new Map<string, PrefilterData>();
    for (const g of this.groups) if (g.prefilter) out.set(g.route.name, g.prefilter.toData());
    return out;
  }

  /** Every rule the event satisfies, each once, in load order within a route. */
  match(event: Event): Detection[] {
    const ctx = this.ctx;
    ctx.reset(event.fields);
    const gen = ++this.gen;
    let out: Detection[] | undefined;
    const run = (g: Group): void => {
      if (g.accept && !g.accept(event)) return;
      if (!g.started) this.start(g);
      const entries = g.entries;
      const pf = g.prefilter?.run(ctx);
      const n = pf ? pf.length : entries.length;
      for (let j = 0; j < n; j++) {
        const e = entries[pf ? (pf[j] ?? 0) : j] as Entry;
        if (this.stamps[e.index] === gen) continue;
        const tree = e.tree ?? this.evaluator(e);
        if (tree.fn(ctx)) {
          this.stamps[e.index] = gen;
          const matched: Record<string, FieldValue> = {};
          explain(tree, ctx, matched);
          (out ??= []).push({
            rule: e.rule.ref,
            kind: 'event',
            ts: event.ts,
            events: [event],
            matched,
          });
        }
      }
    };
    for (const g of this.candidates(event)) run(g);
    for (const g of this.scanFor(event.source)) run(g);
    return out ?? [];
  }
}
