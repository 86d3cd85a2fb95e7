/** Reads Sigma YAML files into located documents and checks them into rule and filter syntax trees. */
import { CORE_SCHEMA, loadAll } from 'js-yaml';
import { LineCounter, isMap, isPair, isScalar, isSeq, parseAllDocuments } from 'yaml';
import type { Node as YamlNode, Document as YamlDocument } from 'yaml';
import { LEVELS } from '../../core/index.ts';
import type { Issue, Level, LogSource } from '../../core/index.ts';
import type { RuleDocument } from './source.ts';
import type {
  CondAst,
  DetectionAst,
  FilterAst,
  ItemAst,
  Pos,
  RawValue,
  RuleAst,
  SearchAst,
} from './ast.ts';
import { lazyPos, patternSelects } from './ast.ts';
import { parseCondition } from './parse-condition.ts';
import { readYamlFast } from './yaml-fast.ts';

/** Deepest nesting of lists inside a search identifier. */
export const MAX_SEARCH_DEPTH = 16;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const TAG = /^[a-z0-9_-]+\.[a-z0-9._-]+$/;
const STATUSES = new Set(['stable', 'test', 'experimental', 'deprecated', 'unsupported']);

type Path = readonly (string | number)[];

/** Value-node positions for documents read here (RuleDocument.locate points at keys). */
const valueLocators = new WeakMap<RuleDocument, (path: Path) => Pos | undefined>();

/** Finds the node at `path` (map keys resolve to the key node); returns how deep the walk got. */
function walk(doc: YamlDocument, path: Path): { node: YamlNode | null; depth: number } {
  let node: unknown = doc.contents;
  let found: YamlNode | null = isNodeLike(node) ? node : null;
  let depth = 0;
  for (const seg of path) {
    if (isMap(node)) {
      const pair = node.items.find(
        (it) => isPair(it) && isScalar(it.key) && String(it.key.value) === String(seg),
      );
      if (!pair) break;
      found = isNodeLike(pair.key) ? pair.key : found;
      node = pair.value;
    } else if (isSeq(node) && typeof seg === 'number') {
      const item = node.items[seg];
      if (!isNodeLike(item)) break;
      found = item;
      node = item;
    } else break;
    depth++;
  }
  return { node: found, depth };
}

/** The value node at `path`, or undefined. */
function walkValue(doc: YamlDocument, path: Path): YamlNode | undefined {
  let node: unknown = doc.contents;
  for (const seg of path) {
    if (isMap(node)) {
      const pair = node.items.find(
        (it) => isPair(it) && isScalar(it.key) && String(it.key.value) === String(seg),
      );
      if (!pair) return undefined;
      node = pair.value;
    } else if (isSeq(node) && typeof seg === 'number') {
      node = node.items[seg];
    } else return undefined;
  }
  return isNodeLike(node) ? node : undefined;
}

function isNodeLike(x: unknown): x is YamlNode {
  return typeof x === 'object' && x !== null && 'range' in x;
}

function isPlainObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function withoutAction(v: Record<string, unknown>): Record<string, unknown> {
  const out = { ...v };
  delete out['action'];
  return out;
}

function merge(
  base: Record<string, unknown>,
  over: Record<string, unknown>,
): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const b = out[k];
    out[k] = isPlainObject(b) && isPlainObject(v) ? merge(b, v) : v;
  }
  return out;
}

/** Whether a UTF-16 unit is white space as a regular expression's `\s` means it. */
function isSpace(c: number): boolean {
  return (
    c === 0x20 ||
    (c >= 0x09 && c <= 0x0d) ||
    c === 0xa0 ||
    c === 0x1680 ||
    (c >= 0x2000 && c <= 0x200a) ||
    c === 0x2028 ||
    c === 0x2029 ||
    c === 0x202f ||
    c === 0x205f ||
    c === 0x3000 ||
    c === 0xfeff
  );
}

/**
 * Anchors, aliases and merge keys are left to the full parser, which bounds alias expansion. They can only
 * stand where a YAML node starts — a line start, after `- `, after `: `, or inside a flow collection after
 * `[`, `{` or `,` — so the scan looks at node starts only and steps over quoted scalars and comments, where
 * rule files hold thousands of `*` wildcards and `&` command separators. Whatever it cannot place for sure
 * (directives, complex keys, tabs, unterminated quotes) is sent to the full parser: a file that
 * needs it is never missed; a few that do not may still take it.
 */
export function needsFullParser(text: string): boolean {
  const n = text.length;
  let i = 0;
  /** Depth of `[`/`{` nesting; `,` starts a node only inside one. */
  let flow = 0;
  /** Whether the next non-blank character starts a node. */
  let nodeStart = true;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 0x0a || c === 0x0d) {
      i++;
      // A new line: in block context, its first character starts a node (a key, an entry or more text).
      nodeStart = true;
      continue;
    }
    if (c === 0x20) {
      i++;
      continue;
    }
    // Tabs and `? ` complex keys at a node start, and `%` directives, are not worth placing by hand.
    if (nodeStart && (c === 0x09 || (c === 0x3f && isSpace(text.charCodeAt(i + 1) || 0x20))))
      return true;
    if (c === 0x25 && (i === 0 || text.charCodeAt(i - 1) === 0x0a)) return true;
    if (c === 0x23 && (i === 0 || isSpace(text.charCodeAt(i - 1)))) {
      i = lineEnd(text, i);
      continue;
    }
    if (nodeStart) {
      if (c === 0x26 || c === 0x2a) {
        if (i + 1 >= n || !isSpace(text.charCodeAt(i + 1))) return true;
      }
      if (c === 0x3c && text.charCodeAt(i + 1) === 0x3c) return true;
      if (c === 0x27 || c === 0x22) {
        const end = c === 0x27 ? singleQuoteEnd(text, i) : doubleQuoteEnd(text, i);
        if (end < 0) return true;
        i = end;
        nodeStart = false;
        continue;
      }
      if (c === 0x2d && (i + 1 >= n || isSpace(text.charCodeAt(i + 1)))) {
        i++;
        continue;
      }
      if (c === 0x21) {
        // A tag: the node (and maybe an anchor) starts after it.
        while (
          i < n &&
          !isSpace(text.charCodeAt(i)) &&
          !(flow > 0 && isFlowMark(text.charCodeAt(i)))
        )
          i++;
        continue;
      }
      if (c === 0x5b || c === 0x7b) {
        flow++;
        i++;
        continue;
      }
    }
    // Inside text (a plain scalar, or after a quoted one): what may start the next node.
    nodeStart = false;
    if (c === 0x3a && (i + 1 >= n || isSpace(text.charCodeAt(i + 1)) || flow > 0)) nodeStart = true;
    else if (flow > 0 && (c === 0x2c || c === 0x5b || c === 0x7b)) {
      if (c !== 0x2c) flow++;
      nodeStart = true;
    } else if (flow > 0 && (c === 0x5d || c === 0x7d)) flow--;
    else if (c === 0x3c && text.charCodeAt(i + 1) === 0x3c && flow > 0) return true;
    i++;
  }
  return false;
}

/** `,`, `[`, `]`, `{` or `}`. */
function isFlowMark(c: number): boolean {
  return c === 0x2c || c === 0x5b || c === 0x5d || c === 0x7b || c === 0x7d;
}

/** The index of the line break that ends the line holding `i` (or the text's length). */
function lineEnd(text: string, i: number): number {
  let j = i;
  while (j < text.length && text.charCodeAt(j) !== 0x0a && text.charCodeAt(j) !== 0x0d) j++;
  return j;
}

/** Just past the closing quote of the single-quoted scalar opening at `i` (`''` is a quote), or -1. */
function singleQuoteEnd(text: string, i: number): number {
  let j = i + 1;
  for (;;) {
    const k = text.indexOf("'", j);
    if (k < 0) return -1;
    if (text.charCodeAt(k + 1) === 0x27) j = k + 2;
    else return k + 1;
  }
}

/** Just past the closing quote of the double-quoted scalar opening at `i` (`\` escapes), or -1. */
function doubleQuoteEnd(text: string, i: number): number {
  for (let j = i + 1; j < text.length; j++) {
    const c = text.charCodeAt(j);
    if (c === 0x5c) j++;
    else if (c === 0x22) return j + 1;
  }
  return -1;
}

/** YAML syntax errors listed per file; the rest are counted in one closing issue. */
const MAX_YAML_ERRORS = 20;

/**
 * Splits one file into its YAML documents, resolving Sigma 1.x collections (`action: global`, `reset`,
 * `repeat`). YAML syntax errors become SIGMA_YAML issues; the other documents of the file still load.
 *
 * Fast path: most rule files are plain YAML. Vigil's own reader (`yaml-fast.ts`) reads the subset rule
 * files use to exactly what js-yaml gives, two to three times faster; what it declines goes to js-yaml (core
 * schema, the same YAML 1.2 value rules as the `yaml` package), itself about three times faster than the
 * located parse. Positions are needed only when something is reported, so the located parse runs on the
 * first `locate` call. A file js-yaml refuses, or one with anchors, aliases or merge keys, takes the
 * located path straight away and gets its errors from there.
 */
export function readDocuments(
  file: string,
  text: string,
): { docs: RuleDocument[]; issues: Issue[] } {
  let values = readYamlFast(text);
  if (values === undefined) {
    if (needsFullParser(text)) return readDocumentsLocated(file, text);
    const read: unknown[] = [];
    try {
      loadAll(text, (v) => read.push(v), { schema: CORE_SCHEMA, filename: file });
    } catch {
      return readDocumentsLocated(file, text);
    }
    values = read;
  }
  let located: RuleDocument[] | undefined;
  const locatedDoc = (index: number): RuleDocument | undefined => {
    located ??= readDocumentsLocated(file, text).docs;
    return located.find((d) => d.index === index);
  };
  const docs: RuleDocument[] = [];
  let global: Record<string, unknown> | undefined;
  let previous: Record<string, unknown> | undefined;
  for (const [index, value] of values.entries()) {
    if (value === null || value === undefined) continue;
    if (!isPlainObject(value)) return readDocumentsLocated(file, text);
    const action = value['action'];
    if (action === 'global') {
      global = withoutAction(value);
      continue;
    }
    if (action === 'reset') {
      global = undefined;
      continue;
    }
    let merged: Record<string, unknown> = value;
    if (action === 'repeat' && previous) merged = merge(previous, withoutAction(value));
    else if (global) merged = merge(global, value);
    previous = merged;
    const rd: RuleDocument = {
      file,
      index,
      value: merged,
      locate: (path) => locatedDoc(index)?.locate(path) ?? { line: 1, col: 1 },
    };
    valueLocators.set(rd, (path) => {
      const twin = locatedDoc(index);
      return twin ? valueLocators.get(twin)?.(path) : undefined;
    });
    docs.push(rd);
  }
  return { docs, issues: [] };
}

/** The located read: every node keeps its position. */
export function readDocumentsLocated(
  file: string,
  text: string,
): { docs: RuleDocument[]; issues: Issue[] } {
  const lc = new LineCounter();
  const issues: Issue[] = [];
  const docs: RuleDocument[] = [];
  const parsed = parseAllDocuments(text, { lineCounter: lc, uniqueKeys: true });
  const all = Array.isArray(parsed) ? parsed : [];
  const posAt = (off: number): Pos => {
    const lp = lc.linePos(off);
    return { line: lp.line, col: lp.col };
  };
  let global: { value: Record<string, unknown>; doc: YamlDocument } | undefined;
  let previous: { value: Record<string, unknown>; doc: YamlDocument } | undefined;
  let yamlErrors = 0;
  all.forEach((doc, index) => {
    if (doc.errors.length > 0) {
      for (const e of doc.errors) {
        // A broken (or hostile) file can hold an error on every line: the first ones say where to look.
        if (++yamlErrors > MAX_YAML_ERRORS) continue;
        const p = posAt(e.pos[0]);
        issues.push({
          code: 'SIGMA_YAML',
          severity: 'error',
          message: e.message.split('\n')[0] ?? e.message,
          at: { file, line: p.line, col: p.col },
        });
      }
      return;
    }
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: 100 });
    } catch (e) {
      const p = posAt(doc.range[0]);
      issues.push({
        code: 'SIGMA_YAML',
        severity: 'error',
        message: e instanceof Error ? e.message : String(e),
        at: { file, line: p.line, col: p.col },
      });
      return;
    }
    if (value === null || value === undefined) return; // an empty document (e.g. a trailing `---`)
    if (!isPlainObject(value)) {
      const p = posAt(doc.range[0]);
      issues.push({
        code: 'SIGMA_SCHEMA',
        severity: 'error',
        message: 'a rule document must be a YAML map',
        at: { file, line: p.line, col: p.col },
      });
      return;
    }
    const action = value['action'];
    if (action === 'global') {
      global = { value: withoutAction(value), doc };
      return;
    }
    if (action === 'reset') {
      global = undefined;
      return;
    }
    let merged: Record<string, unknown> = value;
    const layers: YamlDocument[] = [doc];
    if (action === 'repeat' && previous) {
      merged = merge(previous.value, withoutAction(value));
      layers.push(previous.doc);
    } else if (global) {
      merged = merge(global.value, value);
      layers.push(global.doc);
    }
    previous = { value: merged, doc };
    const locate = (path: Path): { line: number; col: number } => {
      let best: { node: YamlNode | null; depth: number } = { node: null, depth: -1 };
      for (const layer of layers) {
        const w = walk(layer, path);
        if (w.depth === path.length) return posAt(w.node?.range?.[0] ?? 0);
        if (w.depth > best.depth) best = w;
      }
      return posAt(best.node?.range?.[0] ?? doc.range[0]);
    };
    const rd: RuleDocument = { file, index, value: merged, locate };
    valueLocators.set(rd, (path) => {
      const w = walkValue(doc, path);
      if (!w) return undefined;
      const p = posAt(w.range?.[0] ?? 0);
      const quoted = isScalar(w) && (w.type === 'QUOTE_SINGLE' || w.type === 'QUOTE_DOUBLE');
      return quoted ? { line: p.line, col: p.col + 1 } : p;
    });
    docs.push(rd);
  });
  if (yamlErrors > MAX_YAML_ERRORS) {
    issues.push({
      code: 'SIGMA_YAML',
      severity: 'error',
      message: `and ${yamlErrors - MAX_YAML_ERRORS} more YAML errors in this file (the first ${MAX_YAML_ERRORS} are listed)`,
      at: { file },
    });
  }
  return { docs, issues };
}

/** What a document is, decided by its top-level keys. */
export function documentKind(doc: RuleDocument): 'rule' | 'filter' | 'correlation' {
  if ('correlation' in doc.value) return 'correlation';
  if ('filter' in doc.value) return 'filter';
  return 'rule';
}

/** Collects issues against one document. */
class Checker {
  readonly issues: Issue[] = [];
  constructor(readonly doc: RuleDocument) {}
  at(path: Path): Pos {
    return lazyPos(() => this.doc.locate(path));
  }
  issue(
    code: Issue['code'],
    path: Path,
    message: string,
    severity: 'error' | 'warning' = 'error',
  ): void {
    const p = this.at(path);
    this.issues.push({
      code,
      severity,
      message,
      at: { file: this.doc.file, line: p.line, col: p.col, path: path.join('.') },
    });
  }
  get failed(): boolean {
    return this.issues.some((i) => i.severity === 'error');
  }
  optString(key: string, max?: number): string | undefined {
    const v = this.doc.value[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'string') {
      this.issue('SIGMA_SCHEMA', [key], `'${key}' must be a string`);
      return undefined;
    }
    if (max !== undefined && v.length > max) {
      this.issue('SIGMA_SCHEMA', [key], `'${key}' is longer than ${max} characters`);
    }
    return v;
  }
  stringList(key: string): string[] {
    const v = this.doc.value[key];
    if (v === undefined || v === null) return [];
    if (typeof v === 'string') return [v];
    if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v;
    this.issue('SIGMA_SCHEMA', [key], `'${key}' must be a list of strings`);
    return [];
  }
  title(): string {
    const t = this.optString('title', 256);
    if (t === undefined || t.trim() === '') {
      if (!('title' in this.doc.value)) this.issue('SIGMA_SCHEMA', [], "missing 'title'");
      else if (t !== undefined) this.issue('SIGMA_SCHEMA', ['title'], "'title' is empty");
      return '';
    }
    return t;
  }
  id(): string | undefined {
    const id = this.optString('id');
    if (id !== undefined && !UUID.test(id)) {
      this.issue('SIGMA_SCHEMA', ['id'], `'id' must be a UUID, got '${id}'`);
    }
    return id;
  }
  logsource(): LogSource {
    const ls = this.doc.value['logsource'];
    if (!isPlainObject(ls)) {
      if (ls === undefined) this.issue('SIGMA_SCHEMA', [], "missing 'logsource'");
      else this.issue('SIGMA_SCHEMA', ['logsource'], "'logsource' must be a map");
      return {};
    }
    const out: { product?: string; category?: string; service?: string } = {};
    let badPart = false;
    for (const key of ['product', 'category', 'service'] as const) {
      const v = ls[key];
      if (v === undefined || v === null) continue;
      if (typeof v !== 'string') {
        this.issue('SIGMA_SCHEMA', ['logsource', key], `'logsource.${key}' must be a string`);
        badPart = true;
        continue;
      }
      out[key] = v;
    }
    if (Object.keys(out).length === 0 && !badPart) {
      this.issue(
        'SIGMA_SCHEMA',
        ['logsource'],
        "'logsource' names no product, category or service",
      );
    }
    return out;
  }
}

function toRaw(v: unknown): RawValue | undefined {
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return v;
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  return undefined;
}

function parseItem(
  c: Checker,
  key: string | undefined,
  value: unknown,
  path: Path,
  keyPath: Path,
): ItemAst | undefined {
  let field: string | undefined;
  let modifiers: string[] = [];
  if (key !== undefined) {
    const parts = key.split('|');
    field = parts[0] === '' ? undefined : parts[0];
    modifiers = parts.slice(1);
    if (modifiers.some((m) => m === '')) {
      c.issue('SIGMA_MODIFIER', keyPath, `empty modifier in '${key}'`);
      return undefined;
    }
  }
  const list = Array.isArray(value) ? (value as unknown[]) : [value];
  const values: RawValue[] = [];
  for (const [i, v] of list.entries()) {
    const raw = toRaw(v);
    if (raw === undefined) {
      c.issue(
        'SIGMA_SCHEMA',
        Array.isArray(value) ? [...path, i] : path,
        'a detection value must be a string, number, boolean or null',
      );
      return undefined;
    }
    values.push(raw);
  }
  if (Array.isArray(value) && values.length > 1 && values.includes(null)) {
    c.issue('SIGMA_SCHEMA', path, '`null` cannot be part of a value list; use its own selection');
    return undefined;
  }
  return { field, modifiers, values, at: c.at(keyPath), path: keyPath.join('.') };
}

function parseSearch(c: Checker, def: unknown, path: Path, depth: number): SearchAst | undefined {
  const at = c.at(path);
  if (depth > MAX_SEARCH_DEPTH) {
    c.issue('SIGMA_SCHEMA', path, `search nests deeper than ${MAX_SEARCH_DEPTH} levels`);
    return undefined;
  }
  if (isPlainObject(def)) {
    const entries = Object.entries(def);
    if (entries.length === 0) {
      c.issue('SIGMA_SCHEMA', path, 'empty search identifier');
      return undefined;
    }
    const items: ItemAst[] = [];
    for (const [key, value] of entries) {
      if (
        isPlainObject(value) ||
        (Array.isArray(value) && value.some((v) => typeof v === 'object' && v !== null))
      ) {
        c.issue(
          'SIGMA_SCHEMA',
          [...path, key],
          'a field value must be a scalar or a list of scalars',
        );
        continue;
      }
      const item = parseItem(c, key, value, [...path, key], [...path, key]);
      if (item) items.push(item);
    }
    return { kind: 'map', items, at };
  }
  if (Array.isArray(def)) {
    if (def.length === 0) {
      c.issue('SIGMA_SCHEMA', path, 'empty search identifier');
      return undefined;
    }
    if (def.every((v) => toRaw(v) !== undefined)) {
      const item = parseItem(c, undefined, def, path, path);
      return item ? { kind: 'keywords', item, at } : undefined;
    }
    const of: SearchAst[] = [];
    for (const [i, v] of def.entries()) {
      const sub = parseSearch(c, v, [...path, i], depth + 1);
      if (sub) of.push(sub);
    }
    return { kind: 'list', of, at };
  }
  if (def === null || def === undefined) {
    c.issue('SIGMA_SCHEMA', path, 'empty search identifier');
    return undefined;
  }
  const raw = toRaw(def);
  if (raw === undefined) {
    c.issue('SIGMA_SCHEMA', path, 'unsupported search definition');
    return undefined;
  }
  const item = parseItem(c, undefined, raw, path, path);
  return item ? { kind: 'keywords', item, at } : undefined;
}

function condIds(
  ast: CondAst,
  out: { name: string; at: Pos }[],
  pats: { pattern: string; at: Pos }[],
): void {
  switch (ast.k) {
    case 'id':
      out.push({ name: ast.name, at: ast.at });
      return;
    case 'of':
      if (ast.pattern !== 'them') pats.push({ pattern: ast.pattern, at: ast.at });
      return;
    case 'not':
      condIds(ast.of, out, pats);
      return;
    case 'and':
    case 'or':
      for (const x of ast.of) condIds(x, out, pats);
      return;
  }
}

/** Parses a detection section (`detection` of a rule, `filter` of a meta filter) at `base`. */
function parseDetection(
  c: Checker,
  section: Record<string, unknown>,
  base: string,
  skip: ReadonlySet<string>,
): DetectionAst | undefined {
  const searches = new Map<string, SearchAst>();
  for (const [name, def] of Object.entries(section)) {
    if (name === 'condition' || skip.has(name)) continue;
    const s = parseSearch(c, def, [base, name], 0);
    if (s) searches.set(name, s);
  }
  const rawCond = section['condition'];
  const condList: { text: string; path: Path }[] = [];
  if (typeof rawCond === 'string') condList.push({ text: rawCond, path: [base, 'condition'] });
  else if (
    Array.isArray(rawCond) &&
    rawCond.length > 0 &&
    rawCond.every((x) => typeof x === 'string')
  ) {
    rawCond.forEach((text: string, i) => condList.push({ text, path: [base, 'condition', i] }));
  } else {
    c.issue(
      'SIGMA_SCHEMA',
      rawCond === undefined ? [base] : [base, 'condition'],
      rawCond === undefined
        ? `missing '${base}.condition'`
        : 'a condition must be a string or a list of strings',
    );
    return undefined;
  }
  const conditions: CondAst[] = [];
  for (const { text, path } of condList) {
    // The scalar's first character: after the `condition:` key on the same line, or the list item.
    const p = condValuePos(c.doc, path);
    const r = parseCondition(text, p, c.doc.file, path.join('.'));
    if (!r.ok) {
      c.issues.push(r.issue);
      continue;
    }
    const ids: { name: string; at: Pos }[] = [];
    const pats: { pattern: string; at: Pos }[] = [];
    condIds(r.value, ids, pats);
    for (const id of ids) {
      if (!searches.has(id.name) && !(id.name in section)) {
        c.issues.push({
          code: 'SIGMA_CONDITION',
          severity: 'error',
          message: `condition names '${id.name}', which is not a search identifier`,
          at: { file: c.doc.file, line: id.at.line, col: id.at.col, path: path.join('.') },
        });
      }
    }
    for (const pat of pats) {
      if (
        ![...Object.keys(section)].some(
          (n) => n !== 'condition' && !skip.has(n) && patternSelects(pat.pattern, n),
        )
      ) {
        c.issues.push({
          code: 'SIGMA_CONDITION',
          severity: 'error',
          message: `'${pat.pattern}' selects no search identifier`,
          at: { file: c.doc.file, line: pat.at.line, col: pat.at.col, path: path.join('.') },
        });
      }
    }
    conditions.push(r.value);
  }
  return { searches, conditions };
}

/** Where a condition string's text starts: its value node, past an opening quote. */
function condValuePos(doc: RuleDocument, path: Path): Pos {
  return lazyPos(() => {
    const exact = valueLocators.get(doc)?.(path);
    if (exact) return exact;
    const last = path[path.length - 1];
    const p = doc.locate(path);
    return typeof last === 'string' ? { line: p.line, col: p.col + last.length + 2 } : p;
  });
}

function level(c: Checker): Level {
  const v = c.doc.value['level'];
  if (v === undefined || v === null) return 'medium';
  if (typeof v === 'string' && (LEVELS as readonly string[]).includes(v)) return v as Level;
  c.issue('SIGMA_SCHEMA', ['level'], `'level' must be one of ${LEVELS.join(', ')}`);
  return 'medium';
}

function tags(c: Checker): string[] {
  const list = c.stringList('tags');
  list.forEach((t, i) => {
    if (!TAG.test(t)) {
      c.issue(
        'SIGMA_SCHEMA',
        ['tags', i],
        `tag '${t}' is not namespaced lowercase (e.g. attack.t1059)`,
        'warning',
      );
    }
  });
  return list;
}

/** Checks a rule document into a `RuleAst`; every problem found is returned, not just the first. */
export function parseRule(doc: RuleDocument): { rule: RuleAst | undefined; issues: Issue[] } {
  const c = new Checker(doc);
  const title = c.title();
  const id = c.id();
  const name = c.optString('name', 256);
  const status = c.optString('status');
  if (status !== undefined && !STATUSES.has(status)) {
    c.issue('SIGMA_SCHEMA', ['status'], `'status' must be one of ${[...STATUSES].join(', ')}`);
  }
  const lvl = level(c);
  const description = c.optString('description', 65535);
  const authorRaw = doc.value['author'];
  const author =
    typeof authorRaw === 'string'
      ? authorRaw
      : Array.isArray(authorRaw) && authorRaw.every((a) => typeof a === 'string')
        ? authorRaw.join(', ')
        : undefined;
  if (authorRaw !== undefined && author === undefined) {
    c.issue('SIGMA_SCHEMA', ['author'], "'author' must be a string");
  }
  const tagList = tags(c);
  const falsepositives = c.stringList('falsepositives');
  const logsource = c.logsource();
  const det = doc.value['detection'];
  let detection: DetectionAst | undefined;
  if (!isPlainObject(det)) {
    c.issue(
      'SIGMA_SCHEMA',
      det === undefined ? [] : ['detection'],
      det === undefined ? "missing 'detection'" : "'detection' must be a map",
    );
  } else {
    detection = parseDetection(c, det, 'detection', new Set());
  }
  if (c.failed || !detection) return { rule: undefined, issues: c.issues };
  return {
    rule: {
      file: doc.file,
      docIndex: doc.index,
      id,
      name,
      title,
      status,
      level: lvl,
      description,
      author,
      tags: tagList,
      falsepositives,
      logsource,
      detection,
      at: c.at(id !== undefined ? ['id'] : ['title']),
    },
    issues: c.issues,
  };
}

/** Checks a meta filter document (`filter:` with `rules`, searches and `condition`). */
export function parseFilter(doc: RuleDocument): { filter: FilterAst | undefined; issues: Issue[] } {
  const c = new Checker(doc);
  const title = c.title();
  const id = c.id();
  const name = c.optString('name', 256);
  const logsource = c.logsource();
  const f = doc.value['filter'];
  let detection: DetectionAst | undefined;
  let rules: 'any' | readonly string[] = 'any';
  if (!isPlainObject(f)) {
    c.issue('SIGMA_SCHEMA', ['filter'], "'filter' must be a map");
  } else {
    const r = f['rules'];
    if (typeof r === 'string') rules = r.toLowerCase() === 'any' ? 'any' : [r];
    else if (Array.isArray(r) && r.every((x) => typeof x === 'string'))
      rules = r.length === 0 ? 'any' : r;
    else
      c.issue(
        'SIGMA_SCHEMA',
        r === undefined ? ['filter'] : ['filter', 'rules'],
        "'filter.rules' must be 'any', a rule id or name, or a list of them",
      );
    detection = parseDetection(c, f, 'filter', new Set(['rules']));
  }
  if (c.failed || !detection) return { filter: undefined, issues: c.issues };
  return {
    filter: {
      file: doc.file,
      id,
      name,
      title,
      logsource,
      rules,
      detection,
      at: c.at(id !== undefined ? ['id'] : ['title']),
    },
    issues: c.issues,
  };
}
