/**
 * The Elasticsearch side of ingest: reading a `_bulk` body into items, writing the bulk response
 * shippers check item by item, and the bodies of the probes Beats, Elastic Agent, Logstash, Vector,
 * Fluent Bit, rsyslog and syslog-ng make before they send (`GET /`, `/_license`, `/_xpack`, index
 * template, ILM policy and ingest pipeline set-up).
 */
import { createHash } from 'node:crypto';
import type { Issue } from '../../core/index.ts';
import { isRecord, parseJsonValue } from './json.ts';
import type { WireRecord } from './events.ts';

export const BULK_ACTIONS = ['index', 'create', 'update', 'delete'] as const;
export type BulkAction = (typeof BULK_ACTIONS)[number];

/** One operation of a `_bulk` request. */
export interface BulkItem {
  /** The action; an unreadable or unknown action line is reported as `index` with an issue. */
  readonly action: BulkAction;
  /** `_index` of the action line, else the index of the URL (`/<index>/_bulk`), else ''. */
  readonly index: string;
  /** `_id` of the action line, when the shipper set one. */
  readonly id?: string;
  /** 1-based line of the action line. */
  readonly line: number;
  /** The document (`index`, `create`) or the update's `doc` / `upsert` (`update`). */
  readonly record?: Record<string, unknown>;
  /** The source line as sent (`index`, `create`). */
  readonly raw?: string;
  /** Why this item cannot be stored (INGEST_BAD_REQUEST, READ_BAD_JSON, INGEST_TOO_DEEP). */
  readonly issue?: Issue;
}

export interface ParseBulkOptions {
  /** The index named in the URL (`POST /<index>/_bulk`). */
  readonly defaultIndex?: string;
  /** Nesting limit per line (default 64). */
  readonly maxDepth?: number;
  /** Names the body in issue locations (default `request body`). */
  readonly name?: string;
}

/** Keys an action line's metadata may hold besides `_index`, `_id` and other `_` keys. */
const ACTION_PARAMS = new Set([
  'routing',
  'pipeline',
  'require_alias',
  'require_data_stream',
  'op_type',
  'if_seq_no',
  'if_primary_term',
  'version',
  'version_type',
  'retry_on_conflict',
  'dynamic_templates',
  'list_executed_pipelines',
]);

/**
 * The items of a `_bulk` body (NDJSON: an action line, then a source line except for `delete`;
 * the final newline optional, blank lines ignored). Problems stay with their item:
 * - an action line that is not JSON or names no known action → INGEST_BAD_REQUEST; the line after
 *   it is taken as its source and skipped, unless it is itself an action line;
 * - a missing source line (the input ends, or an action line comes instead) → INGEST_BAD_REQUEST;
 * - a source that is not JSON, not an object or too deep → READ_BAD_JSON / INGEST_TOO_DEEP.
 * An action line is recognised by its shape: one key (`index`, `create`, `update`, `delete`) whose
 * value is an object of metadata (`_index`, `_id`, `routing`, `pipeline`…). A document of exactly
 * that shape would be mistaken for one; none of the shippers' documents are.
 */
export function parseBulk(text: string, opts: ParseBulkOptions = {}): { items: BulkItem[] } {
  const file = opts.name ?? 'request body';
  const parseOpts = {
    ...(opts.maxDepth === undefined ? {} : { maxDepth: opts.maxDepth }),
    name: file,
  };
  const items: BulkItem[] = [];
  const lines = nonBlankLines(text);
  const badRequest = (line: number, message: string): Issue => ({
    code: 'INGEST_BAD_REQUEST',
    severity: 'error',
    message,
    at: { file, line },
  });

  for (let k = 0; k < lines.length; k++) {
    const l = lines[k];
    if (l === undefined) break;
    const parsed = parseJsonValue(text, { start: l.start, end: l.end, line: l.line, ...parseOpts });
    const action = actionOf(parsed.value);
    if (action === undefined) {
      const why =
        parsed.issue !== undefined
          ? `action line is not valid JSON (${parsed.issue.message})`
          : `not a bulk action line (expected {"index"|"create"|"update"|"delete": {…}})`;
      items.push({
        action: 'index',
        index: opts.defaultIndex ?? '',
        line: l.line,
        issue: badRequest(l.line, why),
      });
      const next = lines[k + 1];
      if (next !== undefined && !isActionLine(text, next, parseOpts)) k++; // its source line
      continue;
    }
    const index =
      typeof action.meta['_index'] === 'string' ? action.meta['_index'] : opts.defaultIndex;
    const rawId = action.meta['_id'];
    const id = typeof rawId === 'string' || typeof rawId === 'number' ? String(rawId) : undefined;
    const base = {
      action: action.name,
      index: index ?? '',
      line: l.line,
      ...(id === undefined ? {} : { id }),
    };
    if (index === undefined || index === '') {
      items.push({ ...base, issue: badRequest(l.line, `${action.name} names no index (_index)`) });
      if (action.name !== 'delete') {
        const next = lines[k + 1];
        if (next !== undefined && !isActionLine(text, next, parseOpts)) k++;
      }
      continue;
    }
    if (action.name === 'delete') {
      items.push(base);
      continue;
    }
    const next = lines[k + 1];
    if (next === undefined || isActionLine(text, next, parseOpts)) {
      items.push({
        ...base,
        issue: badRequest(l.line, `${action.name} action has no source line`),
      });
      continue;
    }
    k++;
    const source = parseJsonValue(text, {
      start: next.start,
      end: next.end,
      line: next.line,
      ...parseOpts,
    });
    if (source.issue !== undefined) {
      items.push({ ...base, issue: source.issue });
      continue;
    }
    const doc = action.name === 'update' ? updateDoc(source.value) : source.value;
    if (!isRecord(doc)) {
      const message =
        action.name === 'update'
          ? 'update source has no "doc" or "upsert" object'
          : 'source line is not a JSON object';
      items.push({
        ...base,
        issue: { code: 'READ_BAD_JSON', severity: 'error', message, at: { file, line: next.line } },
      });
      continue;
    }
    const raw = action.name !== 'update' && source.raw !== undefined ? { raw: source.raw } : {};
    items.push({ ...base, record: doc, ...raw });
  }
  return { items };
}

/**
 * The records of the `index` and `create` items that can be stored, for `toEvents`, with `item`
 * naming their position in `items`. The shipper's `_id` (scoped by index) becomes the record id.
 */
export function bulkRecords(
  items: readonly BulkItem[],
): (WireRecord & { readonly value: Record<string, unknown>; readonly item: number })[] {
  const out: (WireRecord & { readonly value: Record<string, unknown>; readonly item: number })[] =
    [];
  items.forEach((it, item) => {
    if (it.record === undefined || it.issue !== undefined) return;
    if (it.action !== 'index' && it.action !== 'create') return;
    out.push({
      line: it.line,
      value: it.record,
      item,
      ...(it.raw === undefined ? {} : { raw: it.raw }),
      ...(it.id === undefined ? {} : { id: `${it.index}/${it.id}` }),
    });
  });
  return out;
}

interface Line {
  readonly start: number;
  readonly end: number;
  readonly line: number;
}

function nonBlankLines(text: string): Line[] {
  const out: Line[] = [];
  let pos = 0;
  let line = 1;
  while (pos <= text.length) {
    let end = text.indexOf('\n', pos);
    if (end === -1) end = text.length;
    const stop = end > pos && text.charCodeAt(end - 1) === 13 ? end - 1 : end;
    if (text.slice(pos, stop).trim() !== '') out.push({ start: pos, end: stop, line });
    pos = end + 1;
    line++;
  }
  return out;
}

function actionOf(
  v: unknown,
): { readonly name: BulkAction; readonly meta: Record<string, unknown> } | undefined {
  if (!isRecord(v)) return undefined;
  const keys = Object.keys(v);
  const name = keys[0];
  if (keys.length !== 1 || name === undefined) return undefined;
  const meta = v[name];
  if (!isRecord(meta) || !(BULK_ACTIONS as readonly string[]).includes(name)) return undefined;
  return { name: name as BulkAction, meta };
}

function isActionLine(
  text: string,
  l: Line,
  parseOpts: { maxDepth?: number; name: string },
): boolean {
  const trimmed = text.slice(l.start, l.end).trimStart();
  if (!/^\{\s*"(?:index|create|update|delete)"/.test(trimmed)) return false;
  const parsed = parseJsonValue(text, { start: l.start, end: l.end, line: l.line, ...parseOpts });
  const action = actionOf(parsed.value);
  return (
    action !== undefined &&
    Object.keys(action.meta).every((k) => k.startsWith('_') || ACTION_PARAMS.has(k))
  );
}

function updateDoc(v: unknown): unknown {
  if (!isRecord(v)) return undefined;
  return isRecord(v['doc']) ? v['doc'] : v['upsert'];
}

// ---------------------------------------------------------------------------------------------
// Responses

/** The outcome of one item, as the server decides it. */
export interface BulkResult {
  /** 201 stored, 200 already stored / updated, 404 (delete: not found), 4xx/5xx refused. */
  readonly status: number;
  /** The stored event's id (the response's `_id`); defaults to the item's `_id`. */
  readonly id?: string;
  /** Present on refusal: `mapper_parsing_exception`, `es_rejected_execution_exception`… */
  readonly error?: { readonly type: string; readonly reason: string };
}

export interface BulkResponse {
  readonly took: number;
  readonly errors: boolean;
  readonly items: readonly Partial<Record<BulkAction, BulkItemResponse>>[];
}

export interface BulkItemResponse {
  readonly _index: string;
  readonly _id: string | null;
  readonly status: number;
  readonly _version?: number;
  readonly result?: 'created' | 'updated' | 'noop' | 'not_found' | 'deleted';
  readonly _shards?: {
    readonly total: number;
    readonly successful: number;
    readonly failed: number;
  };
  readonly _seq_no?: number;
  readonly _primary_term?: number;
  readonly error?: {
    readonly type: string;
    readonly reason: string;
    readonly index: string;
    readonly shard?: string;
    readonly index_uuid?: string;
  };
}

/**
 * The body Elasticsearch answers `_bulk` with (HTTP 200 even when items failed): one entry per
 * item, in order, keyed by its action; `errors` is true when any item failed. `results[i]` is the
 * outcome of `items[i]`. Successes carry `_version`, `result` (`created` for 201, `updated` /
 * `noop` for 200, `not_found` for a delete answered 404), `_shards`, `_seq_no` (counting from 0)
 * and `_primary_term`; failures carry `status` and `error: {type, reason, index}`. Shippers retry
 * items answered 429 or 5xx and drop those answered other 4xx.
 */
export function bulkResponse(
  items: readonly BulkItem[],
  results: readonly BulkResult[],
  tookMs: number,
): BulkResponse {
  let errors = false;
  let seq = 0;
  const out = items.map((item, i): Partial<Record<BulkAction, BulkItemResponse>> => {
    const r = results[i] ?? {
      status: 500,
      error: { type: 'exception', reason: 'no result for this item' },
    };
    const _id = r.id ?? item.id ?? null;
    const failed = r.status >= 300 && !(item.action === 'delete' && r.status === 404);
    if (r.error !== undefined || failed) {
      errors = true;
      const error = r.error ?? { type: 'exception', reason: `status ${r.status}` };
      return {
        [item.action]: {
          _index: item.index,
          _id,
          status: r.status,
          error: { type: error.type, reason: error.reason, index: item.index },
        },
      };
    }
    return {
      [item.action]: {
        _index: item.index,
        _id,
        _version: 1,
        result: resultWord(item.action, r.status),
        _shards: { total: 1, successful: r.status === 404 ? 0 : 1, failed: 0 },
        _seq_no: seq++,
        _primary_term: 1,
        status: r.status,
      },
    };
  });
  return { took: Math.max(0, Math.round(tookMs)), errors, items: out };
}

function resultWord(action: BulkAction, status: number): NonNullable<BulkItemResponse['result']> {
  if (status === 404) return 'not_found';
  if (status === 201) return 'created';
  if (action === 'delete') return 'deleted';
  return action === 'update' ? 'noop' : 'updated';
}

/** The error an item gets for its issue: 400 `mapper_parsing_exception` with the issue's message. */
export function bulkItemError(issue: Issue): BulkResult {
  const where = issue.at?.line === undefined ? '' : ` (line ${issue.at.line})`;
  return {
    status: 400,
    error: { type: 'mapper_parsing_exception', reason: `${issue.message}${where}` },
  };
}

/**
 * A whole-request error the way Elasticsearch writes it:
 * `{"error": {"root_cause": [{type, reason}], type, reason}, "status": n}`. Use 429 with
 * `es_rejected_execution_exception` when the ingest queue is full (Beats, Logstash, Vector and
 * Fluent Bit back off and retry), 400 `parse_exception` for an unreadable body, 401
 * `security_exception` for a missing or wrong key, 413 for a body over the limit.
 */
export function esError(
  status: number,
  type: string,
  reason: string,
): {
  error: { root_cause: { type: string; reason: string }[]; type: string; reason: string };
  status: number;
} {
  return { error: { root_cause: [{ type, reason }], type, reason }, status };
}

// ---------------------------------------------------------------------------------------------
// What shippers ask before they send

/**
 * Headers every Elasticsearch-compatible response must carry. The official Elasticsearch clients
 * (7.14 and later: Go, Java, JavaScript, Python, .NET, and the agents built on them) refuse a
 * server whose responses lack `X-Elastic-Product: Elasticsearch`; JSON bodies are
 * `application/json`. The server sets these on `/`, `/_bulk`, `/<index>/_bulk` and every probe
 * answered below, errors included.
 */
export const ES_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'X-elastic-product': 'Elasticsearch',
  'content-type': 'application/json; charset=UTF-8',
});

/**
 * The Elasticsearch version Vigil answers as. Beats and Elastic Agent 8 refuse a cluster older
 * than themselves by default, and read `build_flavor` (`serverless` switches them to data stream
 * lifecycle instead of ILM): a late 8.x with the `default` flavour suits every 8.x shipper.
 * Vector, Logstash and rsyslog read only the major version. Override for 9.x shippers.
 */
export const ES_VERSION = '8.19.0';

export interface EsRootOptions {
  /** `version.number` (default ES_VERSION). */
  readonly version?: string;
  /** The node name (default `vigil`). */
  readonly nodeName?: string;
}

/** The body of `GET /`, the first thing every shipper asks; ids derive from the cluster name. */
export function esRootInfo(clusterName: string, opts: EsRootOptions = {}): Record<string, unknown> {
  return {
    name: opts.nodeName ?? 'vigil',
    cluster_name: clusterName,
    cluster_uuid: clusterUuid(clusterName),
    version: {
      number: opts.version ?? ES_VERSION,
      build_flavor: 'default',
      build_type: 'tar',
      build_hash: hash(`build:${clusterName}`).slice(0, 40),
      build_date: '2025-07-01T00:00:00.000000000Z',
      build_snapshot: false,
      lucene_version: '9.12.2',
      minimum_wire_compatibility_version: '7.17.0',
      minimum_index_compatibility_version: '7.0.0',
    },
    tagline: 'You Know, for Search',
  };
}

/**
 * The body of `GET /_license` (Beats' x-pack features and Logstash ask; Beats read `license.type`
 * and `license.status`): an active basic license that never expires.
 */
export function esLicense(clusterName = 'vigil'): Record<string, unknown> {
  return {
    license: {
      status: 'active',
      uid: licenseUid(clusterName),
      type: 'basic',
      issue_date: '2025-01-01T00:00:00.000Z',
      issue_date_in_millis: Date.UTC(2025, 0, 1),
      max_nodes: 1000,
      max_resource_units: null,
      issued_to: clusterName,
      issuer: 'elasticsearch',
      start_date_in_millis: -1,
    },
  };
}

/**
 * The body of `GET /_xpack` (Beats 7 and Logstash check `features.ilm` before they set up index
 * lifecycle): basic license, ILM available and enabled, security off.
 */
export function esXpack(clusterName = 'vigil'): Record<string, unknown> {
  const on = { available: true, enabled: true };
  return {
    build: { hash: hash(`build:${clusterName}`).slice(0, 40), date: '2025-07-01T00:00:00.000Z' },
    license: { uid: licenseUid(clusterName), type: 'basic', mode: 'basic', status: 'active' },
    features: {
      ilm: on,
      monitoring: on,
      slm: on,
      security: { available: true, enabled: false },
      watcher: { available: false, enabled: true },
      ml: { available: false, enabled: true },
    },
    tagline: 'You know, for X',
  };
}

/** An answer to a probe: status, and a body unless the method is HEAD. */
export interface EsProbeAnswer {
  readonly status: number;
  readonly body?: Record<string, unknown>;
}

/** The set-up resources shippers create at start: index templates, ILM policies, pipelines… */
const SETUP_PATH =
  /^\/(?:_index_template|_template|_component_template|_ilm\/policy|_ingest\/pipeline|_data_stream)\/[^/]+\/?$/;

/**
 * Answers the requests shippers make before or beside `_bulk`, or undefined for any other path
 * (the server then answers 404 itself). Beats 8 at start: `GET /` (version, build flavour), then
 * with set-up enabled `GET /_ilm/policy/<name>` and `PUT` it when missing, the index template
 * (`/_index_template/<name>`, existence check, then `PUT`), and per module `GET` / `PUT
 * /_ingest/pipeline/<id>`; x-pack features read `GET /_license`. Logstash asks `/`, `/_license`
 * and the template; Vector and rsyslog only `/`. Set-up resources are not kept: a check answers
 * 404 (so the shipper creates it), a create answers `{"acknowledged": true}`, a delete too.
 * `path` is without the query string.
 */
export function esProbe(
  method: string,
  path: string,
  clusterName = 'vigil',
): EsProbeAnswer | undefined {
  const m = method.toUpperCase();
  const p = path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
  const head = m === 'HEAD';
  const ok = (body: Record<string, unknown>): EsProbeAnswer =>
    head ? { status: 200 } : { status: 200, body };
  if (m === 'GET' || head) {
    if (p === '/' || p === '') return ok(esRootInfo(clusterName));
    if (p === '/_license') return ok(esLicense(clusterName));
    if (p === '/_xpack') return ok(esXpack(clusterName));
    if (p === '/_cluster/health') {
      return ok({
        cluster_name: clusterName,
        status: 'green',
        timed_out: false,
        number_of_nodes: 1,
        number_of_data_nodes: 1,
        active_primary_shards: 0,
        active_shards: 0,
        relocating_shards: 0,
        initializing_shards: 0,
        unassigned_shards: 0,
        delayed_unassigned_shards: 0,
        number_of_pending_tasks: 0,
        number_of_in_flight_fetch: 0,
        task_max_waiting_in_queue_millis: 0,
        active_shards_percent_as_number: 100,
      });
    }
  }
  if (!SETUP_PATH.test(p)) return undefined;
  if (m === 'GET' || head) {
    const reason = `${p.slice(1)} is not kept by Vigil`;
    return head
      ? { status: 404 }
      : { status: 404, body: esError(404, 'resource_not_found_exception', reason) };
  }
  if (m === 'PUT' || m === 'POST' || m === 'DELETE')
    return { status: 200, body: { acknowledged: true } };
  return undefined;
}

function hash(s: string): string {
  return createHash('sha256').update(s).digest('hex');
}

function clusterUuid(clusterName: string): string {
  return createHash('sha256').update(`cluster:${clusterName}`).digest('base64url').slice(0, 22);
}

function licenseUid(clusterName: string): string {
  const h = hash(`license:${clusterName}`);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}
