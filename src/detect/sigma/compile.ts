/**
 * Compiles a rule's detection (AST) into the IR: applies modifiers through the registry, turns wildcards
 * into prefix/suffix/contains/glob tests, checks regexes for RE2, and resolves the condition.
 */
import type { Issue } from '../../core/index.ts';
import { patternSelects } from './ast.ts';
import type { CondAst, DetectionAst, ItemAst, RawValue, SearchAst } from './ast.ts';
import type { GlobPart, IrNode, ValueTest } from './ir.ts';
import { MODIFIERS, applyModifier, isWild, parseSigmaString } from './modifiers.ts';
import type { ItemState, StrVal, Val } from './modifiers.ts';
import { checkRegex } from './regex.ts';

export interface CompileOptions {
  /** Values for `%name%` placeholders used with `expand`. */
  readonly placeholders?: Readonly<Record<string, readonly string[]>> | undefined;
}

/** The IR of a detection, or why there is none. `unsupported` is set when only this engine's limits stand in the way. */
export interface CompileOutcome {
  readonly node: IrNode | undefined;
  readonly issues: readonly Issue[];
  readonly unsupported: string | undefined;
}

class Ctx {
  readonly issues: Issue[] = [];
  unsupported: string | undefined;
  constructor(
    readonly file: string,
    readonly opts: CompileOptions,
  ) {}
  issue(code: Issue['code'], item: ItemAst, message: string): void {
    this.issues.push({
      code,
      severity: 'error',
      message,
      at: { file: this.file, line: item.at.line, col: item.at.col, path: item.path },
    });
  }
  refuse(item: ItemAst, reason: string): void {
    this.unsupported ??= reason;
    this.issue('SIGMA_UNSUPPORTED', item, reason);
  }
}

function toVal(v: RawValue): Val {
  if (v === null) return { t: 'null' };
  if (typeof v === 'number') return { t: 'num', n: v };
  if (typeof v === 'boolean') return { t: 'bool', b: v };
  return parseSigmaString(v);
}

/** Wildcard string → the cheapest equivalent test. */
export function strTest(v: StrVal): ValueTest {
  const parts: GlobPart[] = [];
  for (const p of v.parts) {
    let g: GlobPart;
    if (typeof p === 'string') g = v.cased ? p : p.toLowerCase();
    else if (isWild(p)) g = p.w === '*' ? 0 : 1;
    else g = v.cased ? `%${p.ph}%` : `%${p.ph}%`.toLowerCase();
    const last = parts[parts.length - 1];
    if (typeof g === 'string' && typeof last === 'string') parts[parts.length - 1] = last + g;
    else if (g === 0 && last === 0) continue;
    else parts.push(g);
  }
  const cased = v.cased;
  const [a, b, c] = parts;
  if (parts.length === 0) return { t: 'eq', s: '', cased };
  if (parts.length === 1) {
    if (typeof a === 'string') return { t: 'eq', s: a, cased };
    if (a === 0) return { t: 'prefix', s: '', cased };
  }
  if (parts.length === 2) {
    if (typeof a === 'string' && b === 0) return { t: 'prefix', s: a, cased };
    if (a === 0 && typeof b === 'string') return { t: 'suffix', s: b, cased };
  }
  if (parts.length === 3 && a === 0 && typeof b === 'string' && c === 0) {
    return { t: 'contains', s: b, cased };
  }
  return { t: 'glob', parts, cased };
}

/** Keyword values search anywhere in a value unless a position modifier says otherwise. */
function keywordize(v: Val): Val {
  if (v.t === 'exp') return { t: 'exp', of: v.of.map(keywordize) };
  if (v.t === 'num' || v.t === 'bool')
    return keywordize(parseSigmaString(String(v.t === 'num' ? v.n : v.b)));
  if (v.t !== 'str') return v;
  const parts = [...v.parts];
  const first = parts[0];
  const last = parts[parts.length - 1];
  if (!(first !== undefined && isWild(first) && first.w === '*')) parts.unshift({ w: '*' });
  if (!(last !== undefined && isWild(last) && last.w === '*')) parts.push({ w: '*' });
  return { ...v, parts };
}

function valTests(ctx: Ctx, item: ItemAst, v: Val, out: ValueTest[], specials: IrNode[]): boolean {
  const field = item.field;
  switch (v.t) {
    case 'str':
      out.push(strTest(v));
      return true;
    case 'num':
      out.push({ t: 'num', n: v.n });
      return true;
    case 'bool':
      out.push({ t: 'bool', b: v.b });
      return true;
    case 'null':
      if (field === undefined) {
        ctx.issue('SIGMA_SCHEMA', item, '`null` must be bound to a field');
        return false;
      }
      specials.push({ k: 'null', field });
      return true;
    case 'exists':
      if (field === undefined) return false;
      specials.push({ k: 'exists', field, b: v.b });
      return true;
    case 're': {
      const r = checkRegex(v.src, v.flags, v.anchorStart, v.anchorEnd);
      if (!r.ok) {
        ctx.refuse(item, r.reason);
        return false;
      }
      out.push({ t: 're', source: r.source, flags: r.flags });
      return true;
    }
    case 'cidr':
      out.push({ t: 'cidr', text: v.text, net: v.net });
      return true;
    case 'cmp':
      out.push({ t: 'cmp', op: v.op, n: v.n });
      return true;
    case 'time':
      out.push({ t: 'time', part: v.part, n: v.n });
      return true;
    case 'ref':
      out.push({
        t: 'ref',
        field: v.field,
        mode: v.starts && v.ends ? 'contains' : v.starts ? 'prefix' : v.ends ? 'suffix' : 'eq',
      });
      return true;
    case 'exp': {
      let ok = true;
      for (const x of v.of) ok = valTests(ctx, item, x, out, specials) && ok;
      return ok;
    }
  }
}

function leaf(field: string | undefined, tests: readonly ValueTest[]): IrNode {
  return field === undefined ? { k: 'keyword', any: tests } : { k: 'field', field, any: tests };
}

function compileItem(ctx: Ctx, item: ItemAst): IrNode | undefined {
  const state: ItemState = { linking: 'or', negated: false };
  let vals: Val[] = item.values.length === 0 ? [{ t: 'null' }] : item.values.map(toVal);
  const applied: string[] = [];
  for (const name of item.modifiers) {
    const mod = Object.hasOwn(MODIFIERS, name) ? MODIFIERS[name] : undefined;
    if (!mod) {
      ctx.issue('SIGMA_MODIFIER', item, `unknown modifier '${name}'`);
      return undefined;
    }
    const mctx = { applied, field: item.field, placeholders: ctx.opts.placeholders, item: state };
    if (mod.scope === 'item') {
      const e = mod.apply(mctx);
      if (e) {
        ctx.issue(e.code ?? 'SIGMA_MODIFIER', item, `modifier '${name}': ${e.error}`);
        return undefined;
      }
    } else {
      const next: Val[] = [];
      for (const v of vals) {
        const r = applyModifier(mod, v, mctx);
        if ('error' in r) {
          if (r.unsupported) ctx.refuse(item, `modifier '${name}': ${r.error}`);
          else ctx.issue(r.code ?? 'SIGMA_MODIFIER', item, `modifier '${name}': ${r.error}`);
          return undefined;
        }
        if (Array.isArray(r)) next.push(...(r as readonly Val[]));
        else next.push(r as Val);
      }
      vals = next;
    }
    applied.push(name);
  }
  if (item.field === undefined) {
    const positioned = item.modifiers.some(
      (m) => m === 'contains' || m === 'startswith' || m === 'endswith',
    );
    if (!positioned) vals = vals.map(keywordize);
    if (vals.some((v) => v.t === 'ref' || v.t === 'exists')) {
      ctx.issue('SIGMA_MODIFIER', item, 'keyword values cannot use fieldref or exists');
      return undefined;
    }
  }
  let node: IrNode;
  if (state.linking === 'or' || vals.length === 1) {
    const tests: ValueTest[] = [];
    const specials: IrNode[] = [];
    let ok = true;
    for (const v of vals) ok = valTests(ctx, item, v, tests, specials) && ok;
    if (!ok) return undefined;
    const of = tests.length > 0 ? [leaf(item.field, tests), ...specials] : specials;
    node = of.length === 1 && of[0] ? of[0] : { k: 'or', of };
  } else {
    const of: IrNode[] = [];
    for (const v of vals) {
      const tests: ValueTest[] = [];
      const specials: IrNode[] = [];
      if (!valTests(ctx, item, v, tests, specials)) return undefined;
      const parts = tests.length > 0 ? [leaf(item.field, tests), ...specials] : specials;
      of.push(parts.length === 1 && parts[0] ? parts[0] : { k: 'or', of: parts });
    }
    node = { k: 'and', of };
  }
  return state.negated ? { k: 'not', of: node } : node;
}

function compileSearch(ctx: Ctx, s: SearchAst): IrNode | undefined {
  switch (s.kind) {
    case 'keywords':
      return compileItem(ctx, s.item);
    case 'map': {
      const of: IrNode[] = [];
      let ok = true;
      for (const item of s.items) {
        const n = compileItem(ctx, item);
        if (n) of.push(n);
        else ok = false;
      }
      return ok ? simplify({ k: 'and', of }) : undefined;
    }
    case 'list': {
      const of: IrNode[] = [];
      let ok = true;
      for (const sub of s.of) {
        const n = compileSearch(ctx, sub);
        if (n) of.push(n);
        else ok = false;
      }
      return ok ? simplify({ k: 'or', of }) : undefined;
    }
  }
}

function compileCond(ast: CondAst, searches: ReadonlyMap<string, IrNode>): IrNode {
  switch (ast.k) {
    case 'id':
      return searches.get(ast.name) ?? { k: 'const', v: false };
    case 'of': {
      const of = [...searches.entries()]
        .filter(([n]) => patternSelects(ast.pattern, n))
        .map(([, v]) => v);
      return { k: ast.quant === 'all' ? 'and' : 'or', of };
    }
    case 'not':
      return { k: 'not', of: compileCond(ast.of, searches) };
    case 'and':
    case 'or':
      return { k: ast.k, of: ast.of.map((x) => compileCond(x, searches)) };
  }
}

/** Flattens nested and/or, folds constants, drops single-child groups. */
export function simplify(node: IrNode): IrNode {
  switch (node.k) {
    case 'and':
    case 'or': {
      const of: IrNode[] = [];
      const absorbing = node.k === 'or';
      for (const child of node.of) {
        const c = simplify(child);
        if (c.k === node.k) of.push(...c.of);
        else if (c.k === 'const') {
          if (c.v === absorbing) return c;
        } else of.push(c);
      }
      if (of.length === 0) return { k: 'const', v: !absorbing };
      if (of.length === 1 && of[0]) return of[0];
      return { k: node.k, of };
    }
    case 'not': {
      const c = simplify(node.of);
      if (c.k === 'const') return { k: 'const', v: !c.v };
      if (c.k === 'not') return c.of;
      return { k: 'not', of: c };
    }
    case 'const':
    case 'field':
    case 'null':
    case 'exists':
    case 'keyword':
      return node;
  }
}

/** Compiles a detection section with the rule's own field names (routes map them afterwards). */
export function compileDetection(
  det: DetectionAst,
  file: string,
  opts: CompileOptions,
): CompileOutcome {
  const ctx = new Ctx(file, opts);
  const searches = new Map<string, IrNode>();
  for (const [name, s] of det.searches) {
    const n = compileSearch(ctx, s);
    if (n) searches.set(name, n);
  }
  if (ctx.issues.length > 0)
    return { node: undefined, issues: ctx.issues, unsupported: ctx.unsupported };
  const conds = det.conditions.map((c) => compileCond(c, searches));
  return {
    node: simplify(conds.length === 1 && conds[0] ? conds[0] : { k: 'or', of: conds }),
    issues: [],
    unsupported: undefined,
  };
}
