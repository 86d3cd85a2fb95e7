/** Compiles one YAML document with a `correlation:` key into a `CorrelationRule`, reporting every problem at once. */
import { fail, LEVELS, ok } from '../../../core/index.ts';
import type { Issue, Level, Location, Result } from '../../../core/index.ts';
import type { RuleDocument } from '../source.ts';
import { COMPARISON_OPS, CORRELATION_TYPES, formatCondition, testCondition } from './types.ts';
import type {
  Comparison,
  ComparisonOp,
  CorrelationRule,
  CorrelationType,
  PercentileMode,
} from './types.ts';

type Path = readonly (string | number)[];

const UNIT_MS = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
const TIMESPAN = /^([0-9]+)([smhd])$/;
const TEMPORAL: ReadonlySet<CorrelationType> = new Set(['temporal', 'temporal_ordered']);
const NEEDS_FIELD: ReadonlySet<CorrelationType> = new Set([
  'value_count',
  'value_sum',
  'value_avg',
  'value_percentile',
]);
const CORRELATION_KEYS = new Set([
  'type',
  'rules',
  'group-by',
  'timespan',
  'condition',
  'aliases',
  'generate',
]);
const CONDITION_KEYS = new Set<string>([...COMPARISON_OPS, 'field', 'percentile']);

/** Collects located issues for one document. */
class Reporter {
  readonly issues: Issue[] = [];
  constructor(private readonly doc: RuleDocument) {}

  at(path: Path): Location {
    const { line, col } = this.doc.locate(path);
    return { file: this.doc.file, line, col, path: path.join('.') };
  }

  error(path: Path, message: string): void {
    this.issues.push({ code: 'SIGMA_CORRELATION', severity: 'error', message, at: this.at(path) });
  }

  warn(path: Path, message: string): void {
    this.issues.push({
      code: 'SIGMA_CORRELATION',
      severity: 'warning',
      message,
      at: this.at(path),
    });
  }

  /** The issues in document order. */
  sorted(): Issue[] {
    return [...this.issues].sort(
      (a, b) => (a.at?.line ?? 0) - (b.at?.line ?? 0) || (a.at?.col ?? 0) - (b.at?.col ?? 0),
    );
  }

  get failed(): boolean {
    return this.issues.some((i) => i.severity === 'error');
  }
}

function isRecord(v: unknown): v is Readonly<Record<string, unknown>> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function describe(v: unknown): string {
  if (v === null || v === undefined) return 'nothing';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  return `${typeof v} ${JSON.stringify(v)}`;
}

/** An optional string; reports and returns undefined when present with another type. */
function optString(r: Reporter, v: unknown, path: Path): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string') return v;
  r.error(path, `${path.join('.')} must be a string, not ${describe(v)}`);
  return undefined;
}

/** A string or a list of strings; reports each bad entry. Returns undefined when absent. */
function stringList(
  r: Reporter,
  v: unknown,
  path: Path,
  opts: { unique: boolean; nonEmpty: boolean; atLeastOne?: boolean },
): string[] | undefined {
  if (v === undefined || v === null) return undefined;
  const name = path.join('.');
  if (typeof v === 'string') {
    if (opts.nonEmpty && v === '') r.error(path, `${name} must not be empty`);
    return [v];
  }
  if (!Array.isArray(v)) {
    r.error(path, `${name} must be a string or a list of strings, not ${describe(v)}`);
    return undefined;
  }
  const out: string[] = [];
  const seen = new Set<string>();
  v.forEach((item: unknown, i) => {
    if (typeof item !== 'string' || (opts.nonEmpty && item === '')) {
      r.error([...path, i], `${name}[${i}] must be a non-empty string, not ${describe(item)}`);
      return;
    }
    if (opts.unique && seen.has(item)) {
      r.error([...path, i], `${name} lists "${item}" twice`);
      return;
    }
    seen.add(item);
    out.push(item);
  });
  if (opts.atLeastOne === true && v.length === 0)
    r.error(path, `${name} must not be an empty list`);
  return out;
}

/** Parses `90m` into milliseconds; reports a bad value and returns undefined. */
export function parseTimespan(text: string): number | undefined {
  const m = TIMESPAN.exec(text);
  if (!m) return undefined;
  const n = Number(m[1]);
  const unit = m[2] as keyof typeof UNIT_MS;
  const ms = n * UNIT_MS[unit];
  return ms > 0 && Number.isSafeInteger(ms) ? ms : undefined;
}

/** Whether some number satisfies every comparison (checked on points around each bound). */
function satisfiable(condition: readonly Comparison[]): boolean {
  if (condition.length === 0) return true;
  for (const c of condition) {
    for (const d of [0, -1, 1, -0.5, 0.5, -1e-6, 1e-6]) {
      if (testCondition(condition, c.value + d)) return true;
    }
  }
  return false;
}

interface ParsedCondition {
  comparisons: Comparison[];
  fields: string[];
  percentile?: number;
}

function parseCondition(
  r: Reporter,
  raw: unknown,
  type: CorrelationType | undefined,
): ParsedCondition | undefined {
  const path = ['correlation', 'condition'];
  if (raw === undefined || raw === null) {
    if (type !== undefined && !TEMPORAL.has(type)) {
      r.error(path, `correlation.condition is required for type ${type}`);
    }
    return undefined;
  }
  if (typeof raw === 'string') {
    r.error(
      path,
      'correlation.condition must be a mapping such as {gte: 10}; boolean condition expressions are not part of Sigma 2.1',
    );
    return undefined;
  }
  if (!isRecord(raw)) {
    r.error(
      path,
      `correlation.condition must be a mapping such as {gte: 10}, not ${describe(raw)}`,
    );
    return undefined;
  }
  const comparisons: Comparison[] = [];
  for (const [key, value] of Object.entries(raw)) {
    const keyPath = [...path, key];
    if (!CONDITION_KEYS.has(key)) {
      r.error(
        keyPath,
        `unknown condition key "${key}" (expected ${COMPARISON_OPS.join(', ')}, field, percentile)`,
      );
      continue;
    }
    if ((COMPARISON_OPS as readonly string[]).includes(key)) {
      if (typeof value !== 'number' || !Number.isFinite(value)) {
        r.error(keyPath, `condition ${key} must be a number, not ${describe(value)}`);
        continue;
      }
      comparisons.push({ op: key as ComparisonOp, value });
    }
  }
  if (comparisons.length === 0) {
    r.error(path, `correlation.condition needs one of ${COMPARISON_OPS.join(', ')}`);
  } else if (!satisfiable(comparisons)) {
    r.warn(path, `condition ${formatCondition(comparisons)} can never be true`);
  }

  const out: ParsedCondition = { comparisons, fields: [] };
  const fieldRaw = raw['field'];
  const fieldPath = [...path, 'field'];
  if (fieldRaw !== undefined && fieldRaw !== null) {
    if (type !== undefined && !NEEDS_FIELD.has(type)) {
      r.warn(fieldPath, `condition.field is ignored by type ${type}`);
    } else if (type === 'value_count') {
      out.fields =
        stringList(r, fieldRaw, fieldPath, { unique: true, nonEmpty: true, atLeastOne: true }) ??
        [];
    } else if (typeof fieldRaw === 'string' && fieldRaw !== '') {
      out.fields = [fieldRaw];
    } else {
      r.error(fieldPath, `condition.field must be one field name, not ${describe(fieldRaw)}`);
    }
  } else if (type !== undefined && NEEDS_FIELD.has(type)) {
    r.error(path, `type ${type} needs condition.field`);
  }

  const pRaw = raw['percentile'];
  if (pRaw !== undefined && pRaw !== null) {
    const pPath = [...path, 'percentile'];
    if (type !== undefined && type !== 'value_percentile') {
      r.error(pPath, `condition.percentile belongs to type value_percentile only`);
    } else if (typeof pRaw !== 'number' || !(pRaw >= 0 && pRaw <= 100)) {
      r.error(pPath, `condition.percentile must be a number from 0 to 100, not ${describe(pRaw)}`);
    } else {
      out.percentile = pRaw;
    }
  }
  return out;
}

function parseAliases(
  r: Reporter,
  raw: unknown,
  rules: readonly string[] | undefined,
  groupBy: readonly string[],
): Record<string, Record<string, string>> {
  const out: Record<string, Record<string, string>> = {};
  const path = ['correlation', 'aliases'];
  if (raw === undefined || raw === null) return out;
  if (!isRecord(raw)) {
    r.error(
      path,
      `correlation.aliases must be a mapping alias → {rule: field}, not ${describe(raw)}`,
    );
    return out;
  }
  for (const [alias, mapping] of Object.entries(raw)) {
    const aliasPath = [...path, alias];
    if (!isRecord(mapping) || Object.keys(mapping).length === 0) {
      r.error(aliasPath, `alias "${alias}" must map rule names to field names`);
      continue;
    }
    const fields: Record<string, string> = {};
    for (const [rule, field] of Object.entries(mapping)) {
      if (typeof field !== 'string' || field === '') {
        r.error([...aliasPath, rule], `alias "${alias}" for rule "${rule}" must name a field`);
        continue;
      }
      if (rules !== undefined && !rules.includes(rule)) {
        r.error(
          [...aliasPath, rule],
          `alias "${alias}" maps rule "${rule}", which correlation.rules does not list`,
        );
        continue;
      }
      fields[rule] = field;
    }
    if (!groupBy.includes(alias)) r.warn(aliasPath, `alias "${alias}" is not used in group-by`);
    out[alias] = fields;
  }
  return out;
}

/** Compiles a correlation document. Errors fail the result; warnings ride along with the value. */
export function compileCorrelation(doc: RuleDocument): Result<CorrelationRule> {
  const r = new Reporter(doc);
  const v = doc.value;

  const title = v['title'];
  if (typeof title !== 'string' || title.trim() === '') {
    r.error(['title'], `a correlation rule needs a title (a non-empty string)`);
  } else if (title.length > 256) {
    r.warn(['title'], `title is longer than 256 characters`);
  }
  const id = optString(r, v['id'], ['id']);
  const name = optString(r, v['name'], ['name']);
  const status = optString(r, v['status'], ['status']);
  const description = optString(r, v['description'], ['description']);
  const author = optString(r, v['author'], ['author']);
  const levelRaw = optString(r, v['level'], ['level']);
  let level: Level = 'medium';
  if (levelRaw !== undefined) {
    if ((LEVELS as readonly string[]).includes(levelRaw)) level = levelRaw as Level;
    else r.error(['level'], `level "${levelRaw}" is not one of ${LEVELS.join(', ')}`);
  }
  const tags = stringList(r, v['tags'], ['tags'], { unique: false, nonEmpty: true }) ?? [];
  const falsepositives = stringList(r, v['falsepositives'], ['falsepositives'], {
    unique: false,
    nonEmpty: false,
  });
  for (const key of ['detection', 'logsource']) {
    if (v[key] !== undefined)
      r.error([key], `a correlation rule has no ${key}: split it into its own document`);
  }

  const corr = v['correlation'];
  if (!isRecord(corr)) {
    r.error(['correlation'], `correlation must be a mapping, not ${describe(corr)}`);
    return fail(r.sorted());
  }
  for (const key of Object.keys(corr)) {
    if (!CORRELATION_KEYS.has(key)) r.warn(['correlation', key], `unknown key correlation.${key}`);
  }

  const typeRaw = corr['type'];
  let type: CorrelationType | undefined;
  if (typeRaw === undefined || typeRaw === null) {
    r.error(['correlation'], `correlation.type is required (${CORRELATION_TYPES.join(', ')})`);
  } else if (
    typeof typeRaw === 'string' &&
    (CORRELATION_TYPES as readonly string[]).includes(typeRaw)
  ) {
    type = typeRaw as CorrelationType;
  } else {
    r.error(
      ['correlation', 'type'],
      `correlation.type ${describe(typeRaw)} is not one of ${CORRELATION_TYPES.join(', ')}`,
    );
  }

  const rulesRaw = corr['rules'];
  const rules = stringList(r, rulesRaw, ['correlation', 'rules'], {
    unique: true,
    nonEmpty: true,
    atLeastOne: true,
  });
  if (rulesRaw === undefined || rulesRaw === null) {
    r.error(
      ['correlation'],
      `correlation.rules is required: the ids or names of the rules to correlate`,
    );
  }
  const rulesAt = (rules ?? []).map((_, i) =>
    r.at(Array.isArray(rulesRaw) ? ['correlation', 'rules', i] : ['correlation', 'rules']),
  );

  const groupRaw = corr['group-by'];
  const groupBy = stringList(r, groupRaw, ['correlation', 'group-by'], {
    unique: true,
    nonEmpty: true,
  });
  if (groupRaw === undefined || groupRaw === null) {
    r.warn(
      ['correlation'],
      `correlation.group-by is missing: all detections of a tenant form one group`,
    );
  }

  const spanRaw = corr['timespan'];
  let timespanMs = 0;
  let timespan = '';
  if (spanRaw === undefined || spanRaw === null) {
    r.error(['correlation'], `correlation.timespan is required (e.g. 30s, 5m, 1h, 7d)`);
  } else {
    const ms = typeof spanRaw === 'string' ? parseTimespan(spanRaw) : undefined;
    if (ms === undefined) {
      r.error(
        ['correlation', 'timespan'],
        `correlation.timespan ${describe(spanRaw)} must be a positive number and a unit s, m, h or d (e.g. 90m)`,
      );
    } else {
      timespanMs = ms;
      timespan = spanRaw as string;
    }
  }

  const cond = parseCondition(r, corr['condition'], type);
  const aliases = parseAliases(r, corr['aliases'], rules, groupBy ?? []);

  const genRaw = corr['generate'];
  let generate = false;
  if (genRaw !== undefined && genRaw !== null) {
    if (typeof genRaw === 'boolean') generate = genRaw;
    else
      r.error(
        ['correlation', 'generate'],
        `correlation.generate must be true or false, not ${describe(genRaw)}`,
      );
  }

  if (r.failed || type === undefined || rules === undefined || typeof title !== 'string') {
    return fail(r.sorted());
  }

  let condition: readonly Comparison[] = cond?.comparisons ?? [];
  if (TEMPORAL.has(type) && cond === undefined) condition = [{ op: 'gte', value: rules.length }];
  if (TEMPORAL.has(type) && !satisfiableWithin(condition, rules.length)) {
    r.warn(
      ['correlation', 'condition'],
      `condition ${formatCondition(condition)} cannot hold for a count of 1 to ${rules.length} rules`,
    );
  }
  const fields = cond?.fields ?? [];
  let percentileMode: PercentileMode | undefined;
  if (type === 'value_percentile')
    percentileMode = cond?.percentile !== undefined ? 'percentile' : 'share';

  const rule: CorrelationRule = {
    id: id ?? name ?? `${doc.file}#${doc.index}`,
    ...(name !== undefined ? { name } : {}),
    title,
    level,
    ...(status !== undefined ? { status } : {}),
    tags,
    ...(description !== undefined ? { description } : {}),
    ...(author !== undefined ? { author } : {}),
    ...(falsepositives !== undefined ? { falsepositives } : {}),
    type,
    rules,
    groupBy: groupBy ?? [],
    timespanMs,
    timespan,
    condition,
    ...(fields[0] !== undefined ? { field: fields[0] } : {}),
    fields,
    ...(cond?.percentile !== undefined ? { percentile: cond.percentile } : {}),
    ...(percentileMode !== undefined ? { percentileMode } : {}),
    aliases,
    generate,
    file: doc.file,
    index: doc.index,
    nameAt: r.at([name !== undefined ? 'name' : id !== undefined ? 'id' : 'title']),
    at: r.at(['correlation', 'rules']),
    rulesAt,
  };
  return ok(rule, r.sorted());
}

function satisfiableWithin(condition: readonly Comparison[], n: number): boolean {
  for (let k = 1; k <= n; k++) if (testCondition(condition, k)) return true;
  return false;
}
