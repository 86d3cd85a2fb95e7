/**
 * The compiled form of a rule: a small tree of typed tests over event fields, printable for golden
 * tests. The compiler writes it; the matcher turns it into closures. Neither YAML nor the AST reach here.
 */
import type { Level, LogSource, RuleRef } from '../../core/index.ts';
import type { Cidr } from './cidr.ts';
import type { SourceRoute } from './source.ts';

/** A glob piece: literal text, `*` or `?`. Strings are already lowercased unless the test is cased. */
export type GlobPart = string | 0 | 1; // 0 = `*`, 1 = `?`

/** One test of one field value (each element, for list-valued fields). */
export type ValueTest =
  | {
      readonly t: 'eq' | 'prefix' | 'suffix' | 'contains';
      readonly s: string;
      readonly cased: boolean;
    }
  | { readonly t: 'glob'; readonly parts: readonly GlobPart[]; readonly cased: boolean }
  /** A number from the rule: equals a numeric value, or a string that reads as the same decimal text. */
  | { readonly t: 'num'; readonly n: number }
  | { readonly t: 'bool'; readonly b: boolean }
  /** RE2 syntax; searches unless anchored. `flags` ⊆ "ims". */
  | { readonly t: 're'; readonly source: string; readonly flags: string }
  | { readonly t: 'cmp'; readonly op: 'lt' | 'lte' | 'gt' | 'gte'; readonly n: number }
  | {
      readonly t: 'time';
      readonly part: 'minute' | 'hour' | 'day' | 'week' | 'month' | 'year';
      readonly n: number;
    }
  | { readonly t: 'cidr'; readonly text: string; readonly net: Cidr }
  /** Compares with another field of the same event (case-insensitively). */
  | {
      readonly t: 'ref';
      readonly field: string;
      readonly mode: 'eq' | 'prefix' | 'suffix' | 'contains';
    };

export type IrNode =
  | { readonly k: 'and' | 'or'; readonly of: readonly IrNode[] }
  | { readonly k: 'not'; readonly of: IrNode }
  | { readonly k: 'const'; readonly v: boolean }
  /** The field is present and some value of it passes some test. */
  | { readonly k: 'field'; readonly field: string; readonly any: readonly ValueTest[] }
  /** The field is absent or null. */
  | { readonly k: 'null'; readonly field: string }
  | { readonly k: 'exists'; readonly field: string; readonly b: boolean }
  /** Some string value of any field of the event passes some test. */
  | { readonly k: 'keyword'; readonly any: readonly ValueTest[] };

/** A rule compiled for one route: its field names already mapped to that route's event fields. */
export interface CompiledRoute {
  readonly route: SourceRoute;
  readonly cond: IrNode;
}

/** A detection rule ready for `RuleSet`. */
export interface CompiledRule {
  readonly ref: RuleRef;
  readonly level: Level;
  readonly logsource: LogSource;
  readonly routes: readonly CompiledRoute[];
}

/** A Sigma meta filter, compiled for every route of the rules it can apply to. */
export interface CompiledFilter {
  readonly id: string | undefined;
  readonly name: string | undefined;
  readonly title: string;
  readonly file: string;
  readonly logsource: LogSource;
  readonly rules: 'any' | readonly string[];
  /** Route name → the filter's condition on that route (the rule is suppressed where it is true). */
  readonly routes: ReadonlyMap<string, IrNode>;
}

/**
 * Rewrites every field name through `map` (names not in it stay). `translate`, when given, respells the
 * text of exact-value tests per rule field (a route whose events write `High` as `S-1-16-12288`).
 */
export function mapFields(
  node: IrNode,
  map: Readonly<Record<string, string>>,
  translate?: (ruleField: string, value: string) => string,
): IrNode {
  const f = (name: string): string => map[name] ?? name;
  const test = (field: string, t: ValueTest): ValueTest => {
    if (t.t === 'ref') return { ...t, field: f(t.field) };
    if (t.t === 'eq' && translate) {
      const v = translate(field, t.s);
      if (v !== t.s) return { ...t, s: t.cased ? v : v.toLowerCase() };
    }
    return t;
  };
  switch (node.k) {
    case 'and':
    case 'or':
      return { k: node.k, of: node.of.map((n) => mapFields(n, map, translate)) };
    case 'not':
      return { k: 'not', of: mapFields(node.of, map, translate) };
    case 'const':
      return node;
    case 'field': {
      const mapped = node.any.map((t) => test(node.field, t));
      if (mapped.length <= 1) return { k: 'field', field: f(node.field), any: mapped };
      // Respelled values may collide (`High` and `S-1-16-12288` on 4688): keep each test once.
      const seen = new Set<string>();
      const any = mapped.filter((t) => {
        const key = testKey(t);
        if (seen.has(key)) return false;
        seen.add(key);
        return true;
      });
      return { k: 'field', field: f(node.field), any };
    }
    case 'null':
      return { k: 'null', field: f(node.field) };
    case 'exists':
      return { k: 'exists', field: f(node.field), b: node.b };
    case 'keyword':
      return node;
  }
}

/** Every field name the tree reads (including fieldref targets), in first-seen order. */
export function fieldsOf(node: IrNode, out: string[] = []): string[] {
  const add = (n: string): void => {
    if (!out.includes(n)) out.push(n);
  };
  switch (node.k) {
    case 'and':
    case 'or':
      for (const n of node.of) fieldsOf(n, out);
      break;
    case 'not':
      fieldsOf(node.of, out);
      break;
    case 'field':
      add(node.field);
      for (const t of node.any) if (t.t === 'ref') add(t.field);
      break;
    case 'null':
    case 'exists':
      add(node.field);
      break;
    case 'const':
    case 'keyword':
      break;
  }
  return out;
}

function q(s: string): string {
  return JSON.stringify(s);
}

/**
 * A key equal for two tests exactly when `printTest` prints them alike, cheaper to make for the string
 * tests (hash lists hold thousands): no quoting, and a separator `printTest` never writes.
 */
function testKey(t: ValueTest): string {
  if (t.t === 'eq' || t.t === 'prefix' || t.t === 'suffix' || t.t === 'contains')
    return `${t.t}\u0000${t.cased ? 1 : 0}${t.s}`;
  return printTest(t);
}

/** One test as text: `endswith "\\cmd.exe"`, `re "a+" /i`, `cased eq "X"`. */
export function printTest(t: ValueTest): string {
  switch (t.t) {
    case 'eq':
    case 'prefix':
    case 'suffix':
    case 'contains':
      return `${t.cased ? 'cased ' : ''}${t.t} ${q(t.s)}`;
    case 'glob':
      return `${t.cased ? 'cased ' : ''}glob ${q(t.parts.map((p) => (p === 0 ? '*' : p === 1 ? '?' : p.replace(/[*?\\]/g, '\\$&'))).join(''))}`;
    case 'num':
      return `num ${t.n}`;
    case 'bool':
      return `bool ${t.b}`;
    case 're':
      return `re ${q(t.source)}${t.flags ? ' /' + t.flags : ''}`;
    case 'cmp':
      return `${t.op} ${t.n}`;
    case 'time':
      return `${t.part} ${t.n}`;
    case 'cidr':
      return `cidr ${t.text}`;
    case 'ref':
      return `ref-${t.mode} ${t.field}`;
  }
}

/** The tree as indented lines. */
export function printNode(node: IrNode, indent = ''): string {
  switch (node.k) {
    case 'and':
    case 'or':
      return `${indent}${node.k}\n${node.of.map((n) => printNode(n, indent + '  ')).join('\n')}`;
    case 'not':
      return `${indent}not\n${printNode(node.of, indent + '  ')}`;
    case 'const':
      return `${indent}${node.v}`;
    case 'field':
      return `${indent}${node.field}: ${node.any.map(printTest).join(' | ')}`;
    case 'null':
      return `${indent}${node.field}: null`;
    case 'exists':
      return `${indent}${node.field}: exists ${node.b}`;
    case 'keyword':
      return `${indent}keyword: ${node.any.map(printTest).join(' | ')}`;
  }
}

/** A compiled rule as text: header, then each route with its condition tree. Stable for golden tests. */
export function printRule(rule: CompiledRule): string {
  const ls = rule.logsource;
  const lines = [
    `rule ${rule.ref.id} ${q(rule.ref.title)} level=${rule.level}`,
    `logsource product=${ls.product ?? '-'} category=${ls.category ?? '-'} service=${ls.service ?? '-'}`,
  ];
  for (const r of rule.routes) {
    const where = Object.entries(r.route.where)
      .map(([k, v]) => `${k}=${v.join(',')}`)
      .join(' ');
    lines.push(`route ${r.route.name}${where ? ' where ' + where : ''}`);
    lines.push(printNode(r.cond, '  '));
  }
  return lines.join('\n') + '\n';
}
