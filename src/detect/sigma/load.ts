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

/** 1-based line and column of the node at `path` in document `docIndex` of `file`; undefined: unknown file. */
export type Locate = (
  file: string,
  docIndex: number,
  path: readonly (string | number)[],
) => { line: number; col: number } | undefined;

/**
 * Positions in documents of the given files, each file read again on its first question (duplicate ids
 * are rare: keeping every parsed document alive for them would cost more than reading one file twice).
 */
export function locateIn(files: readonly { file: string; text: string }[]): Locate {
  const texts = new Map<string, string>();
  for (const f of files) texts.set(f.file, f.text);
  const read = new Map<string, readonly RuleDocument[]>();
  return (file, docIndex, path) => {
    let docs = read.get(file);
    if (!docs) {
      const text = texts.get(file);
      if (text === undefined) return undefined;
      docs = readDocuments(file, text).docs;
      read.set(file, docs);
    }
    return docs.find((d) => d.index === docIndex)?.locate(path);
  };
}

/** A rule or filter document of a compiled part: what checking and compiling it found. */
interface PartDoc {
  readonly k: 'doc';
  readonly kind: 'rule' | 'filter';
  readonly file: string;
  readonly index: number;
  /** The document's `id` as written, for the duplicate check (which runs when parts are linked). */
  readonly id: string | undefined;
  /** Problems found reading the document (schema, detection syntax). */
  readonly parseIssues: readonly Issue[];
  /** Problems found compiling it and routing its logsource. */
  readonly compileIssues: readonly Issue[];
  readonly unsupported?: string;
  readonly rule?: CompiledRule;
  readonly filter?: PartFilter;
}

/** A meta filter compiled with the rule's own field names; linking maps it onto the routes it targets. */
interface PartFilter {
  readonly id: string | undefined;
  readonly name: string | undefined;
  readonly title: string;
  readonly file: string;
  readonly logsource: LogSource;
  readonly rules: 'any' | readonly string[];
  readonly node: IrNode;
  readonly at: { readonly line: number; readonly col: number };
}

type PartEntry =
  /** A file's YAML problems. */
  | { readonly k: 'file'; readonly issues: readonly Issue[] }
  | PartDoc
  | {
      readonly k: 'correlation';
      readonly issues: readonly Issue[];
      readonly rule?: CorrelationRule;
    };

/**
 * A slice of the rule files, read and compiled on its own: every document in file order. Plain data, so it
 * can be compiled on one thread and linked on another (structured clone or `v8.serialize`).
 */
export interface CompiledPart {
  readonly entries: readonly PartEntry[];
}

/**
 * Loads every file; see LoadResult. Deterministic: the output follows the input order. The same as
 * `linkRules([compileRules(files, opts).part], …)`; `vigil scan` compiles slices of the files on several
 * threads and links the parts in each.
 */
export function loadRules(
  files: readonly { file: string; text: string }[],
  opts: LoadOptions = {},
): LoadResult {
  const { part, locate } = compileRules(files, opts);
  return linkRules([part], locate);
}

/**
 * Reads, checks and compiles the documents of `files` — everything about a rule that does not depend on
 * the other rules. `locate` finds positions in these files for as long as the caller keeps it.
 */
export function compileRules(
  files: readonly { file: string; text: string }[],
  opts: LoadOptions = {},
): { part: CompiledPart; locate: Locate } {
  const entries: PartEntry[] = [];
  const seenIds = new Set<string>();

  for (const { file, text } of files) {
    const read = readDocuments(file, text);
    if (read.issues.length > 0) entries.push({ k: 'file', issues: read.issues });
    for (const doc of read.docs) {
      const kind = documentKind(doc);
      if (kind === 'correlation') {
        const r = compileCorrelation(doc);
        entries.push(
          r.ok
            ? { k: 'correlation', issues: r.warnings ?? [], rule: r.value }
            : { k: 'correlation', issues: r.issues },
        );
        continue;
      }
      const rawId = doc.value['id'];
      const id = typeof rawId === 'string' ? rawId : undefined;
      if (id !== undefined) {
        if (seenIds.has(id)) {
          // A duplicate: linking reports it and drops the document, so it is not compiled here.
          entries.push({
            k: 'doc',
            kind,
            file,
            index: doc.index,
            id,
            parseIssues: [],
            compileIssues: [],
          });
          continue;
        }
        seenIds.add(id);
      }
      entries.push(
        kind === 'filter' ? compileFilterDoc(doc, id, opts) : compileRuleDoc(doc, id, opts),
      );
    }
  }
  return { part: { entries }, locate: locateIn(files) };
}

function compileRuleDoc(doc: RuleDocument, id: string | undefined, opts: LoadOptions): PartDoc {
  const base = { k: 'doc' as const, kind: 'rule' as const, file: doc.file, index: doc.index, id };
  let ast: RuleAst | undefined;
  try {
    const r = parseRule(doc);
    ast = r.rule;
    if (!ast) return { ...base, parseIssues: r.issues, compileIssues: [] };
    if (r.issues.length > 0)
      return { ...base, ...compileRuleAst(ast, opts), parseIssues: r.issues };
  } catch (e) {
    return { ...base, parseIssues: [internal(doc.file, doc.locate([]), e)], compileIssues: [] };
  }
  return { ...base, ...compileRuleAst(ast, opts), parseIssues: [] };
}

function compileRuleAst(
  ast: RuleAst,
  opts: LoadOptions,
): { compileIssues: Issue[]; unsupported?: string; rule?: CompiledRule } {
  const issues: Issue[] = [];
  let out: ReturnType<typeof compileDetection>;
  try {
    out = compileDetection(ast.detection, ast.file, opts);
  } catch (e) {
    return { compileIssues: [internal(ast.file, ast.at, e)] };
  }
  issues.push(...out.issues);
  if (out.unsupported !== undefined) return { compileIssues: issues, unsupported: out.unsupported };
  if (!out.node) return { compileIssues: issues };
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
  return {
    compileIssues: issues,
    rule: { ref: refOf(ast), level: ast.level, logsource: ast.logsource, routes },
  };
}

function compileFilterDoc(doc: RuleDocument, id: string | undefined, opts: LoadOptions): PartDoc {
  const base = { k: 'doc' as const, kind: 'filter' as const, file: doc.file, index: doc.index, id };
  let f: FilterAst | undefined;
  let parseIssues: Issue[];
  try {
    const r = parseFilter(doc);
    f = r.filter;
    parseIssues = r.issues;
  } catch (e) {
    return { ...base, parseIssues: [internal(doc.file, doc.locate([]), e)], compileIssues: [] };
  }
  if (!f) return { ...base, parseIssues, compileIssues: [] };
  const out = compileDetection(f.detection, f.file, opts);
  if (out.unsupported !== undefined)
    return { ...base, parseIssues, compileIssues: out.issues, unsupported: out.unsupported };
  if (!out.node) return { ...base, parseIssues, compileIssues: out.issues };
  return {
    ...base,
    parseIssues,
    compileIssues: out.issues,
    filter: {
      id: f.id,
      name: f.name,
      title: f.title,
      file: f.file,
      logsource: f.logsource,
      rules: f.rules,
      node: out.node,
      // Filters are few: their position is read now, so the part stays plain data.
      at: { line: f.at.line, col: f.at.col },
    },
  };
}

/**
 * Joins compiled parts (in file order) into one LoadResult: drops documents whose id an earlier one
 * already used, applies meta filters to the rules they name, and checks correlation references.
 * `locate` must answer for every file of every part (it places duplicate-id reports).
 */
export function linkRules(parts: readonly CompiledPart[], locate: Locate): LoadResult {
  const issues: Issue[] = [];
  const unsupported: { file: string; reason: string }[] = [];
  let documents = 0;
  const docs: PartDoc[] = [];
  const correlationEntries: Extract<PartEntry, { k: 'correlation' }>[] = [];
  const seenIds = new Map<string, { file: string; index: number }>();

  for (const part of parts) {
    for (const e of part.entries) {
      if (e.k === 'file') {
        issues.push(...e.issues);
        continue;
      }
      documents++;
      if (e.k === 'correlation') {
        correlationEntries.push(e);
        continue;
      }
      if (e.id !== undefined) {
        const firstDoc = seenIds.get(e.id);
        if (firstDoc) {
          const nowhere = { line: 1, col: 1 };
          const first = {
            file: firstDoc.file,
            ...(locate(firstDoc.file, firstDoc.index, ['id']) ?? nowhere),
          };
          const p = locate(e.file, e.index, ['id']) ?? nowhere;
          issues.push({
            code: 'SIGMA_DUPLICATE_ID',
            severity: 'error',
            message: `id ${e.id} is already used at ${first.file}:${first.line}:${first.col}`,
            at: { file: e.file, line: p.line, col: p.col, path: 'id' },
          });
          continue;
        }
        seenIds.set(e.id, { file: e.file, index: e.index });
      }
      issues.push(...e.parseIssues);
      docs.push(e);
    }
  }

  const rules: CompiledRule[] = [];
  for (const d of docs) {
    if (d.kind !== 'rule') continue;
    issues.push(...d.compileIssues);
    if (d.unsupported !== undefined) unsupported.push({ file: d.file, reason: d.unsupported });
    if (d.rule) rules.push(d.rule);
  }

  const filters: CompiledFilter[] = [];
  for (const d of docs) {
    if (d.kind !== 'filter') continue;
    issues.push(...d.compileIssues);
    if (d.unsupported !== undefined) unsupported.push({ file: d.file, reason: d.unsupported });
    const f = d.filter;
    if (!f) continue;
    const routes = new Map<string, IrNode>();
    for (const rule of rules) {
      if (!targets(f, rule)) continue;
      for (const r of rule.routes) {
        if (!routes.has(r.route.name)) routes.set(r.route.name, forRoute(f.node, r.route));
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
  for (const c of correlationEntries) {
    issues.push(...c.issues);
    if (c.rule) correlations.push(c.rule);
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

function targets(f: Pick<FilterAst, 'logsource' | 'rules'>, rule: CompiledRule): boolean {
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
