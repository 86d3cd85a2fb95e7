/**
 * Loads Sigma rule files: YAML documents → checked syntax trees → IR compiled once per logsource route.
 * Every problem of every file is collected; one bad rule never stops the others.
 */
import type { Issue, LogSource, RuleRef } from '../../core/index.ts';
import type { FilterAst, RuleAst } from './ast.ts';
import { compileDetection } from './compile.ts';
import { checkReferences, compileCorrelation } from './correlation/index.ts';
import type { CorrelationRule } from './correlation/index.ts';
import { fieldsOf, mapFields } from './ir.ts';
import type { CompiledFilter, CompiledRoute, CompiledRule, IrNode } from './ir.ts';
import { translateValue, unservedFields } from './logsource.ts';
import { documentKind, parseFilter, parseRule, readDocuments } from './parse.ts';
import type { LogsourceMap, RuleDocument, SourceRoute } from './source.ts';

export interface LoadOptions {
  /** Logsource routing. Without it every rule has one route, `unrouted`, that sees every event. */
  readonly logsources?: LogsourceMap | undefined;
  /** Values for `%name%` placeholders (`expand` modifier). */
  readonly placeholders?: Readonly<Record<string, readonly string[]>> | undefined;
}

export interface LoadResult {
  /** How many rule documents (detection, filter and correlation) the files held. */
  readonly documents: number;
  readonly rules: CompiledRule[];
  /** Compiled `correlation:` documents whose references all resolve. */
  readonly correlations: CorrelationRule[];
  readonly filters: CompiledFilter[];
  /** Every problem found; `error` ones kept their rule out of `rules`. */
  readonly issues: Issue[];
  /** Rules that are valid Sigma but that this engine refuses to run, with the reason. */
  readonly unsupported: { file: string; reason: string }[];
}

/** The route used when no logsource map is given: every event, field names as written. */
export const UNROUTED: SourceRoute = { name: 'unrouted', where: {}, fieldMap: {} };

function describe(ls: LogSource): string {
  return ['product', 'category', 'service']
    .map((k) => ls[k as keyof LogSource])
    .filter((x): x is string => x !== undefined)
    .join('/');
}

/** Routes for a logsource; an unknown logsource falls back to the event's own `source`, with a warning. */
function routesFor(
  ls: LogSource,
  opts: LoadOptions,
  file: string,
  at: { line: number; col: number },
  issues: Issue[],
): readonly SourceRoute[] {
  const map = opts.logsources;
  if (!map) return [UNROUTED];
  const routes = map.routes(ls);
  if (routes && routes.length > 0) return routes;
  issues.push({
    code: 'SIGMA_LOGSOURCE',
    severity: 'warning',
    message: `logsource ${describe(ls)} is not in the logsource map; the rule only sees events whose source says so`,
    at: { file, line: at.line, col: at.col, path: 'logsource' },
  });
  return [{ name: `source:${describe(ls)}`, source: ls, where: {}, fieldMap: {} }];
}

function refOf(r: RuleAst): RuleRef {
  return {
    id: r.id ?? `${r.file}#${r.docIndex}`,
    ...(r.name !== undefined ? { name: r.name } : {}),
    title: r.title,
    level: r.level,
    ...(r.status !== undefined ? { status: r.status } : {}),
    tags: r.tags,
    ...(r.description !== undefined ? { description: r.description } : {}),
    ...(r.author !== undefined ? { author: r.author } : {}),
    falsepositives: r.falsepositives,
    file: r.file,
  };
}

/** Loads every file; see LoadResult. Deterministic: the output follows the input order. */
export function loadRules(
  files: readonly { file: string; text: string }[],
  opts: LoadOptions = {},
): LoadResult {
  const issues: Issue[] = [];
  const unsupported: { file: string; reason: string }[] = [];
  const correlationDocs: RuleDocument[] = [];
  let documents = 0;
  const ruleAsts: RuleAst[] = [];
  const filterAsts: FilterAst[] = [];
  const seenIds = new Map<string, RuleDocument>();

  for (const { file, text } of files) {
    const read = readDocuments(file, text);
    issues.push(...read.issues);
    for (const doc of read.docs) {
      documents++;
      const kind = documentKind(doc);
      if (kind === 'correlation') {
        correlationDocs.push(doc);
        continue;
      }
      const id = doc.value['id'];
      if (typeof id === 'string') {
        const firstDoc = seenIds.get(id);
        if (firstDoc) {
          const first = { file: firstDoc.file, ...firstDoc.locate(['id']) };
          const p = doc.locate(['id']);
          issues.push({
            code: 'SIGMA_DUPLICATE_ID',
            severity: 'error',
            message: `id ${id} is already used at ${first.file}:${first.line}:${first.col}`,
            at: { file, line: p.line, col: p.col, path: 'id' },
          });
          continue;
        }
        // Where the first one is, is worked out only if a duplicate turns up.
        seenIds.set(id, doc);
      }
      try {
        if (kind === 'filter') {
          const r = parseFilter(doc);
          issues.push(...r.issues);
          if (r.filter) filterAsts.push(r.filter);
        } else {
          const r = parseRule(doc);
          issues.push(...r.issues);
          if (r.rule) ruleAsts.push(r.rule);
        }
      } catch (e) {
        issues.push(internal(doc.file, doc.locate([]), e));
      }
    }
  }

  const rules: CompiledRule[] = [];
  for (const ast of ruleAsts) {
    let out: ReturnType<typeof compileDetection>;
    try {
      out = compileDetection(ast.detection, ast.file, opts);
    } catch (e) {
      issues.push(internal(ast.file, ast.at, e));
      continue;
    }
    issues.push(...out.issues);
    if (out.unsupported !== undefined) {
      unsupported.push({ file: ast.file, reason: out.unsupported });
      continue;
    }
    if (!out.node) continue;
    const node = out.node;
    const fields = fieldsOf(node);
    const routes: CompiledRoute[] = [];
    const candidates = routesFor(ast.logsource, opts, ast.file, ast.at, issues);
    const skipped: string[] = [];
    for (const route of candidates) {
      const missing = unservedFields(route, fields);
      if (missing.length > 0) skipped.push(`${route.name} lacks ${missing.join(', ')}`);
      else routes.push({ route, cond: forRoute(node, route) });
    }
    if (routes.length === 0) {
      issues.push({
        code: 'SIGMA_FIELD_MAPPING',
        severity: 'warning',
        message: `no route can answer this rule's fields (${skipped.join('; ')}); it will not match`,
        at: { file: ast.file, line: ast.at.line, col: ast.at.col, path: 'logsource' },
      });
    }
    rules.push({ ref: refOf(ast), level: ast.level, logsource: ast.logsource, routes });
  }

  const filters: CompiledFilter[] = [];
  for (const f of filterAsts) {
    const out = compileDetection(f.detection, f.file, opts);
    issues.push(...out.issues);
    if (out.unsupported !== undefined) {
      unsupported.push({ file: f.file, reason: out.unsupported });
      continue;
    }
    if (!out.node) continue;
    const node = out.node;
    const routes = new Map<string, IrNode>();
    for (const rule of rules) {
      if (!targets(f, rule)) continue;
      for (const r of rule.routes) {
        if (!routes.has(r.route.name)) routes.set(r.route.name, forRoute(node, r.route));
      }
    }
    if (f.rules !== 'any' && routes.size === 0) {
      issues.push({
        code: 'SIGMA_SCHEMA',
        severity: 'warning',
        message: `filter '${f.title}' names no loaded rule of its logsource`,
        at: { file: f.file, line: f.at.line, col: f.at.col, path: 'filter.rules' },
      });
    }
    filters.push({
      id: f.id,
      name: f.name,
      title: f.title,
      file: f.file,
      logsource: f.logsource,
      rules: f.rules,
      routes,
    });
  }
  const correlations: CorrelationRule[] = [];
  for (const doc of correlationDocs) {
    const r = compileCorrelation(doc);
    if (r.ok) {
      correlations.push(r.value);
      if (r.warnings) issues.push(...r.warnings);
    } else issues.push(...r.issues);
  }
  if (correlations.length > 0) {
    const known = new Set<string>();
    for (const r of rules) {
      known.add(r.ref.id);
      if (r.ref.name !== undefined) known.add(r.ref.name);
    }
    const refIssues = checkReferences(correlations, (ref) => known.has(ref));
    issues.push(...refIssues);
  }
  return { documents, rules, correlations, filters, issues, unsupported };
}

/** The rule's IR on one route: field names mapped, exact values spelled the way the route's events spell them. */
function forRoute(node: IrNode, route: SourceRoute): IrNode {
  const mapped = mapFields(node, route.fieldMap, (field, s) => translateValue(route, field, s));
  return mapped;
}

/** A bug met while loading one rule: reported against that rule, the others still load. */
function internal(file: string, at: { line: number; col: number }, e: unknown): Issue {
  return {
    code: 'INTERNAL',
    severity: 'error',
    message: `internal error while loading this rule: ${e instanceof Error ? e.message : String(e)}`,
    at: { file, line: at.line, col: at.col },
  };
}

function targets(f: FilterAst, rule: CompiledRule): boolean {
  const ls = f.logsource;
  const inner = rule.logsource;
  if (ls.product !== undefined && ls.product !== inner.product) return false;
  if (ls.category !== undefined && ls.category !== inner.category) return false;
  if (ls.service !== undefined && ls.service !== inner.service) return false;
  if (f.rules === 'any') return true;
  return f.rules.some(
    (r) => r === rule.ref.id || (rule.ref.name !== undefined && r === rule.ref.name),
  );
}
