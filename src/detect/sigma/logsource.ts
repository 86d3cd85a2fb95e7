/** Reads the logsource routing data (config/logsources.yml) and resolves a Sigma rule's logsource to the event streams it stands for. */
import { isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument } from 'yaml';
import type { Document, Node, Pair } from 'yaml';
import { fail, ok } from '../../core/index.ts';
import type { ErrorCode, Issue, Location, LogSource, Result } from '../../core/index.ts';
import type { LogsourceMap, SourceRoute } from './source.ts';

/** A route as the data describes it: the shared `SourceRoute` plus what a rule compiler needs to use it faithfully. */
export interface MappedRoute extends SourceRoute {
  /**
   * Set on closed routes only: every rule field the route's events can answer faithfully, sorted (mapped
   * fields whose values are spelled differently, `values_differ` in the data, are left out). A rule that
   * tests another field cannot be evaluated faithfully there: under `not`, a missing match would fire.
   */
  readonly servedFields?: readonly string[];
  /** Per rule field: rule value → the value this route's events spell it as (4688: `High` → `S-1-16-12288`). */
  readonly valueMap: Readonly<Record<string, Readonly<Record<string, string>>>>;
}

/** The parsed routing data. Immutable; safe to share between workers. */
export interface RoutingTable extends LogsourceMap {
  routes(logsource: LogSource): readonly MappedRoute[] | undefined;
  /** Every logsource the data names, in file order. */
  readonly logsources: readonly LogSource[];
  /** The table as plain data (what `routingTableFromData` takes back). */
  toData(): RoutingTableData;
}

/**
 * A parsed routing table as plain JSON-safe data: each logsource (in file order) with its routes. Lets a
 * mapping parsed once (at build time, or by another thread) be used without parsing its YAML again.
 */
export interface RoutingTableData {
  readonly entries: readonly {
    readonly logsource: LogSource;
    readonly routes: readonly MappedRoute[];
  }[];
}

/** The table `data` describes (as `toData` gave it). */
export function routingTableFromData(data: RoutingTableData): RoutingTable {
  const table = new Map<string, readonly MappedRoute[]>();
  const logsources: LogSource[] = [];
  for (const e of data.entries) {
    logsources.push(deepFrozen(e.logsource));
    table.set(logsourceKey(e.logsource), deepFrozen(e.routes));
  }
  return makeTable(table, logsources);
}

/** A copy of `value` frozen all the way down (data read back from JSON is as immutable as parsed data). */
function deepFrozen<T>(value: T): T {
  if (value === null || typeof value !== 'object') return value;
  const copy: unknown = Array.isArray(value)
    ? value.map((v: unknown) => deepFrozen(v))
    : Object.fromEntries(Object.entries(value).map(([k, v]) => [k, deepFrozen(v)]));
  return Object.freeze(copy) as T;
}

function makeTable(
  table: ReadonlyMap<string, readonly MappedRoute[]>,
  logsources: readonly LogSource[],
): RoutingTable {
  const frozenSources = Object.freeze([...logsources]);
  return Object.freeze({
    routes: (logsource: LogSource) => table.get(logsourceKey(logsource)),
    logsources: frozenSources,
    toData: (): RoutingTableData => ({
      entries: frozenSources.map((logsource) => ({
        logsource,
        routes: table.get(logsourceKey(logsource)) ?? [],
      })),
    }),
  });
}

const LOGSOURCE_PARTS = ['product', 'category', 'service'] as const;
const TOP_KEYS = ['version', 'system_fields', 'logsources'] as const;
const ENTRY_KEYS = ['logsource', 'routes'] as const;
const ROUTE_KEYS = [
  'name',
  'where',
  'source',
  'fieldmap',
  'closed',
  'values_differ',
  'values',
] as const;
const SUPPORTED_VERSION = 1;

/** The lookup key of a logsource triple: parts lower-cased and trimmed, absent parts empty. */
export function logsourceKey(logsource: LogSource): string {
  return LOGSOURCE_PARTS.map((part) => (logsource[part] ?? '').trim().toLowerCase()).join('\t');
}

/** The rule fields a route cannot answer (always empty for open routes, whose events carry the logsource's usual fields). */
export function unservedFields(route: SourceRoute, ruleFields: Iterable<string>): string[] {
  const served = (route as Partial<MappedRoute>).servedFields;
  if (served === undefined) return [];
  const set = new Set(served);
  const missing: string[] = [];
  for (const field of ruleFields)
    if (!set.has(field) && !missing.includes(field)) missing.push(field);
  return missing;
}

/** A rule's value as this route's events spell it (case-insensitive lookup); the value itself when the route keeps it. */
export function translateValue(route: SourceRoute, ruleField: string, value: string): string {
  const table = (route as Partial<MappedRoute>).valueMap?.[ruleField];
  if (table === undefined) return value;
  const wanted = value.toLowerCase();
  for (const [from, to] of Object.entries(table)) if (from.toLowerCase() === wanted) return to;
  return value;
}

type PathPart = string | number;

/** Collects issues, each located at a YAML node. */
class Reader {
  readonly issues: Issue[] = [];
  readonly warnings: Issue[] = [];

  constructor(
    readonly file: string,
    private readonly lines: LineCounter,
    private readonly doc: Document.Parsed,
  ) {}

  report(
    code: ErrorCode,
    message: string,
    node: Node | Pair | null | undefined,
    path: readonly PathPart[],
  ): void {
    this.issues.push({ code, severity: 'error', message, at: this.locate(node, path) });
  }

  locate(node: Node | Pair | null | undefined, path: readonly PathPart[]): Location {
    const target =
      node && 'range' in node ? node : node && 'key' in node ? (node.key as Node | null) : null;
    const offset = target?.range?.[0];
    const at = { file: this.file, ...(path.length > 0 ? { path: formatPath(path) } : {}) };
    if (offset === undefined) return at;
    const { line, col } = this.lines.linePos(offset);
    return { ...at, line, col };
  }

  /** Follows an alias to its anchored node. */
  deref(node: unknown): Node | null {
    if (isAlias(node)) return (node.resolve(this.doc) as Node | undefined) ?? null;
    return (node as Node | null | undefined) ?? null;
  }

  /** The pairs of a mapping node, with its keys checked against `allowed`; `undefined` when the node is not a mapping. */
  mapping(
    node: Node | null,
    path: readonly PathPart[],
    what: string,
    allowed?: readonly string[],
  ): { key: string; value: Node | null }[] | undefined {
    if (!isMap(node)) {
      this.report('SIGMA_SCHEMA', `${what} must be a mapping`, node, path);
      return undefined;
    }
    const out: { key: string; value: Node | null }[] = [];
    for (const pair of node.items) {
      const keyNode = this.deref(pair.key);
      if (
        !isScalar(keyNode) ||
        (typeof keyNode.value !== 'string' && typeof keyNode.value !== 'number')
      ) {
        this.report('SIGMA_SCHEMA', `keys of ${what} must be strings`, keyNode ?? node, path);
        continue;
      }
      const key = String(keyNode.value);
      if (allowed && !allowed.includes(key)) {
        this.report(
          'SIGMA_SCHEMA',
          `unknown key '${key}' in ${what} (expected one of: ${allowed.join(', ')})`,
          keyNode,
          [...path, key],
        );
        continue;
      }
      out.push({ key, value: this.deref(pair.value) });
    }
    return out;
  }

  string(node: Node | null, path: readonly PathPart[], what: string): string | undefined {
    if (isScalar(node) && typeof node.value === 'string' && node.value.trim() !== '')
      return node.value;
    this.report('SIGMA_SCHEMA', `${what} must be a non-empty string`, node, path);
    return undefined;
  }

  stringList(node: Node | null, path: readonly PathPart[], what: string): string[] {
    if (!isSeq(node)) {
      this.report('SIGMA_SCHEMA', `${what} must be a list of strings`, node, path);
      return [];
    }
    const out: string[] = [];
    node.items.forEach((item, i) => {
      const s = this.string(this.deref(item), [...path, i], `each of ${what}`);
      if (s !== undefined) out.push(s);
    });
    return out;
  }
}

function formatPath(path: readonly PathPart[]): string {
  let s = '';
  for (const part of path)
    s += typeof part === 'number' ? `[${part}]` : s === '' ? part : `.${part}`;
  return s;
}

/** Where the first of two duplicates was, for messages. */
function lineOf(at: Location): string {
  return at.line === undefined ? 'earlier' : `at line ${at.line}`;
}

function readLogSource(
  r: Reader,
  node: Node | null,
  path: readonly PathPart[],
  what: string,
): LogSource | undefined {
  const pairs = r.mapping(node, path, what, LOGSOURCE_PARTS);
  if (pairs === undefined) return undefined;
  const parts: { product?: string; category?: string; service?: string } = {};
  for (const { key, value } of pairs) {
    const s = r.string(value, [...path, key], `${what}.${key}`);
    if (s !== undefined) parts[key as (typeof LOGSOURCE_PARTS)[number]] = s.trim();
  }
  if (pairs.length === 0) {
    r.report(
      'SIGMA_SCHEMA',
      `${what} needs at least one of product, category, service`,
      node,
      path,
    );
    return undefined;
  }
  return parts;
}

function readWhere(
  r: Reader,
  node: Node | null,
  path: readonly PathPart[],
): Record<string, readonly (string | number)[]> {
  const out: Record<string, readonly (string | number)[]> = {};
  const pairs = r.mapping(node, path, 'where');
  if (pairs === undefined) return out;
  if (pairs.length === 0) r.report('SIGMA_SCHEMA', 'where lists no condition', node, path);
  const one = (item: Node | null, p: readonly PathPart[]): string | number | undefined => {
    if (isScalar(item) && (typeof item.value === 'string' || typeof item.value === 'number'))
      return item.value;
    r.report('SIGMA_SCHEMA', 'a where value must be a string or a number', item, p);
    return undefined;
  };
  for (const { key, value } of pairs) {
    const values: (string | number)[] = [];
    if (isSeq(value)) {
      value.items.forEach((item, i) => {
        const v = one(r.deref(item), [...path, key, i]);
        if (v !== undefined) values.push(v);
      });
      if (value.items.length === 0)
        r.report('SIGMA_SCHEMA', `where.${key} lists no values`, value, [...path, key]);
    } else {
      const v = one(value, [...path, key]);
      if (v !== undefined) values.push(v);
    }
    out[key] = Object.freeze(values);
  }
  return out;
}

function readStringMap(
  r: Reader,
  node: Node | null,
  path: readonly PathPart[],
  what: string,
): Record<string, string> {
  const out: Record<string, string> = {};
  const pairs = r.mapping(node, path, what);
  if (pairs === undefined) return out;
  for (const { key, value } of pairs) {
    if (
      isScalar(value) &&
      (typeof value.value === 'string' || typeof value.value === 'number') &&
      String(value.value) !== ''
    ) {
      out[key] = String(value.value);
    } else {
      r.report('SIGMA_FIELD_MAPPING', `${what}.${key} must be a non-empty string`, value, [
        ...path,
        key,
      ]);
    }
  }
  return out;
}

function readRoute(
  r: Reader,
  node: Node | null,
  path: readonly PathPart[],
  systemFields: readonly string[],
): MappedRoute | undefined {
  const pairs = r.mapping(node, path, 'a route', ROUTE_KEYS);
  if (pairs === undefined) return undefined;
  let name: string | undefined;
  let where: Record<string, readonly (string | number)[]> = {};
  let source: LogSource | undefined;
  let fieldMap: Record<string, string> = {};
  let closed = false;
  let closedNode: Node | null = null;
  const valueMap: Record<string, Readonly<Record<string, string>>> = {};
  const valueNodes: Record<string, Node | null> = {};
  let differ: string[] = [];
  let differNode: Node | null = null;
  for (const { key, value } of pairs) {
    const p = [...path, key];
    switch (key) {
      case 'name':
        name = r.string(value, p, 'route name');
        break;
      case 'where':
        where = readWhere(r, value, p);
        break;
      case 'source':
        source = readLogSource(r, value, p, 'source');
        break;
      case 'fieldmap':
        fieldMap = readStringMap(r, value, p, 'fieldmap');
        break;
      case 'closed':
        if (isScalar(value) && typeof value.value === 'boolean') closed = value.value;
        else r.report('SIGMA_SCHEMA', 'closed must be true or false', value, p);
        closedNode = value;
        break;
      case 'values_differ':
        differ = r.stringList(value, p, 'values_differ');
        differNode = value;
        break;
      case 'values':
        for (const field of r.mapping(value, p, 'values') ?? []) {
          valueMap[field.key] = Object.freeze(
            readStringMap(r, field.value, [...p, field.key], `values.${field.key}`),
          );
          valueNodes[field.key] = field.value;
        }
        break;
      default:
        break;
    }
  }
  if (name === undefined) {
    if (!pairs.some((p) => p.key === 'name'))
      r.report('SIGMA_SCHEMA', 'a route needs a name', node, path);
    return undefined;
  }
  const selects = pairs.some((p) => p.key === 'where' || p.key === 'source');
  if (!selects) {
    r.report(
      'SIGMA_LOGSOURCE',
      `route '${name}' would match every event: give it where or source`,
      node,
      path,
    );
  }
  if (closed && Object.keys(fieldMap).length === 0) {
    r.report(
      'SIGMA_FIELD_MAPPING',
      `closed route '${name}' serves no fields: list them in fieldmap`,
      closedNode,
      [...path, 'closed'],
    );
  }
  for (const field of Object.keys(valueMap)) {
    if (closed && !(field in fieldMap)) {
      r.report(
        'SIGMA_FIELD_MAPPING',
        `values.${field}: closed route '${name}' does not serve ${field}`,
        valueNodes[field],
        [...path, 'values', field],
      );
    }
  }
  if (differNode !== null && !closed) {
    r.report(
      'SIGMA_FIELD_MAPPING',
      `values_differ needs closed: true on route '${name}'`,
      differNode,
      [...path, 'values_differ'],
    );
  }
  differ.forEach((field, i) => {
    if (!(field in fieldMap)) {
      r.report(
        'SIGMA_FIELD_MAPPING',
        `values_differ: ${field} is not in the fieldmap of route '${name}'`,
        isSeq(differNode) ? r.deref(differNode.items[i]) : differNode,
        [...path, 'values_differ', i],
      );
    }
  });
  const comparable = Object.keys(fieldMap).filter((field) => !differ.includes(field));
  const served = closed
    ? Object.freeze([...new Set([...comparable, ...Object.keys(where), ...systemFields])].sort())
    : undefined;
  return Object.freeze({
    name,
    ...(source ? { source: Object.freeze(source) } : {}),
    where: Object.freeze(where),
    fieldMap: Object.freeze(fieldMap),
    ...(served ? { servedFields: served } : {}),
    valueMap: Object.freeze(valueMap),
  });
}

/**
 * Parses the routing data. Every problem is reported at once, each with file:line:col; the table is
 * only returned when there are none.
 */
export function parseLogsourceMap(yamlText: string, file: string): Result<RoutingTable> {
  const lines = new LineCounter();
  const doc = parseDocument(yamlText, {
    lineCounter: lines,
    prettyErrors: false,
    uniqueKeys: true,
  });
  const r = new Reader(file, lines, doc);
  const yamlIssue = (
    severity: 'error' | 'warning',
    e: { message: string; pos: [number, number] },
  ): Issue => {
    const { line, col } = lines.linePos(e.pos[0]);
    return { code: 'SIGMA_YAML', severity, message: e.message, at: { file, line, col } };
  };
  if (doc.errors.length > 0) return fail(doc.errors.map((e) => yamlIssue('error', e)));
  r.warnings.push(...doc.warnings.map((w) => yamlIssue('warning', w)));

  if (doc.contents === null) {
    return fail([
      {
        code: 'SIGMA_SCHEMA',
        severity: 'error',
        message: 'the logsource map is empty',
        at: { file, line: 1, col: 1 },
      },
    ]);
  }
  const top = r.mapping(r.deref(doc.contents), [], 'the logsource map', TOP_KEYS);
  if (top === undefined) return fail(r.issues);
  const get = (key: string) => top.find((p) => p.key === key);

  const version = get('version');
  if (version === undefined) r.report('SIGMA_SCHEMA', 'missing version', doc.contents, []);
  else if (!isScalar(version.value) || version.value.value !== SUPPORTED_VERSION) {
    r.report('SIGMA_SCHEMA', `version must be ${SUPPORTED_VERSION}`, version.value, ['version']);
  }
  const systemFieldsPair = get('system_fields');
  const systemFields = systemFieldsPair
    ? r.stringList(systemFieldsPair.value, ['system_fields'], 'system_fields')
    : [];

  const table = new Map<string, MappedRoute[]>();
  const logsources: LogSource[] = [];
  const firstAt = new Map<string, Location>();
  const routeNames = new Map<string, Location>();
  const entries = get('logsources');
  if (entries === undefined) r.report('SIGMA_SCHEMA', 'missing logsources', doc.contents, []);
  else if (!isSeq(entries.value))
    r.report('SIGMA_SCHEMA', 'logsources must be a list', entries.value, ['logsources']);
  else {
    entries.value.items.forEach((item, i) => {
      const path = ['logsources', i];
      const entryNode = r.deref(item);
      const pairs = r.mapping(entryNode, path, 'a logsources entry', ENTRY_KEYS);
      if (pairs === undefined) return;
      const lsPair = pairs.find((p) => p.key === 'logsource');
      const routesPair = pairs.find((p) => p.key === 'routes');
      if (lsPair === undefined)
        r.report('SIGMA_SCHEMA', 'a logsources entry needs a logsource', entryNode, path);
      if (routesPair === undefined)
        r.report('SIGMA_SCHEMA', 'a logsources entry needs routes', entryNode, path);
      const ls = lsPair && readLogSource(r, lsPair.value, [...path, 'logsource'], 'logsource');
      const routes: MappedRoute[] = [];
      if (routesPair && !isSeq(routesPair.value)) {
        r.report('SIGMA_SCHEMA', 'routes must be a list', routesPair.value, [...path, 'routes']);
      } else if (routesPair && isSeq(routesPair.value)) {
        if (routesPair.value.items.length === 0) {
          r.report('SIGMA_SCHEMA', 'routes lists no route', routesPair.value, [...path, 'routes']);
        }
        routesPair.value.items.forEach((routeItem, j) => {
          const routePath = [...path, 'routes', j];
          const routeNode = r.deref(routeItem);
          const route = readRoute(r, routeNode, routePath, systemFields);
          if (route === undefined) return;
          const at = r.locate(routeNode, routePath);
          const earlier = routeNames.get(route.name);
          if (earlier) {
            r.report(
              'SIGMA_LOGSOURCE',
              `route name '${route.name}' is already used ${lineOf(earlier)}`,
              routeNode,
              routePath,
            );
          } else routeNames.set(route.name, at);
          routes.push(route);
        });
      }
      if (ls === undefined || lsPair === undefined) return;
      const key = logsourceKey(ls);
      const earlier = firstAt.get(key);
      if (earlier) {
        r.report(
          'SIGMA_LOGSOURCE',
          `logsource ${describe(ls)} is already mapped ${lineOf(earlier)}`,
          lsPair.value,
          [...path, 'logsource'],
        );
        return;
      }
      firstAt.set(key, r.locate(lsPair.value, path));
      logsources.push(Object.freeze(ls));
      table.set(key, Object.freeze(routes) as MappedRoute[]);
    });
  }
  if (r.issues.length > 0) return fail(r.issues);
  return ok(makeTable(table, logsources), r.warnings);
}

/** `product/category/service` with absent parts shown as `-`, for messages. */
function describe(ls: LogSource): string {
  return LOGSOURCE_PARTS.map((part) => ls[part] ?? '-').join('/');
}
