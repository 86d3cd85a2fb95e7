/**
 * The Splunk HTTP Event Collector protocol: `/services/collector/event` bodies (JSON envelopes one
 * after another), `/services/collector/raw` bodies (one event per line), and the replies HEC clients
 * expect (`{"text": "Success", "code": 0}` and the numbered errors with their HTTP statuses).
 */
import type { Fields, LogSource, Scalar } from '../../core/index.ts';
import { epochToMs } from '../time.ts';
import type { WireRecord } from './events.ts';
import { isRecord, parseJsonRecords } from './json.ts';

/**
 * HEC's status codes as Splunk documents them (Troubleshoot HTTP Event Collector, "Possible error
 * codes"): the reply body's `code` and `text`, and the HTTP status sent with it. "Server is busy"
 * (9) is HEC's answer to a full queue — HTTP 503, which HEC clients retry — where Vigil's other
 * ingest endpoints answer 429.
 */
export const HEC_REPLIES = {
  success: { code: 0, status: 200, text: 'Success' },
  'token-disabled': { code: 1, status: 403, text: 'Token disabled' },
  'token-required': { code: 2, status: 401, text: 'Token is required' },
  'invalid-authorization': { code: 3, status: 401, text: 'Invalid authorization' },
  'invalid-token': { code: 4, status: 403, text: 'Invalid token' },
  'no-data': { code: 5, status: 400, text: 'No data' },
  'invalid-data-format': { code: 6, status: 400, text: 'Invalid data format' },
  'incorrect-index': { code: 7, status: 400, text: 'Incorrect index' },
  'internal-error': { code: 8, status: 500, text: 'Internal server error' },
  busy: { code: 9, status: 503, text: 'Server is busy' },
  'channel-missing': { code: 10, status: 400, text: 'Data channel is missing' },
  'invalid-channel': { code: 11, status: 400, text: 'Invalid data channel' },
  'event-required': { code: 12, status: 400, text: 'Event field is required' },
  'event-blank': { code: 13, status: 400, text: 'Event field cannot be blank' },
  'ack-disabled': { code: 14, status: 400, text: 'ACK is disabled' },
  healthy: { code: 17, status: 200, text: 'HEC is healthy' },
} as const satisfies Record<string, { code: number; status: number; text: string }>;

export type HecReplyKind = keyof typeof HEC_REPLIES;

/** A HEC reply body. `invalid-event-number` (0-based) names the first bad event of a batch. */
export interface HecReply {
  readonly text: string;
  readonly code: number;
  readonly 'invalid-event-number'?: number;
}

/** The reply body for `kind`; send it with `hecStatus(kind)`. */
export function hecResponse(kind: HecReplyKind, invalidEvent?: number): HecReply {
  const r = HEC_REPLIES[kind];
  return invalidEvent === undefined
    ? { text: r.text, code: r.code }
    : { text: r.text, code: r.code, 'invalid-event-number': invalidEvent };
}

/** The HTTP status HEC sends with `kind`. */
export function hecStatus(kind: HecReplyKind): number {
  return HEC_REPLIES[kind].status;
}

/** What `parseHecEvents` and `parseHecRaw` return. */
export interface HecParse {
  /** The readable events, in order, for `toEvents` (envelope fields as `splunk.*`). */
  readonly records: readonly WireRecord[];
  /**
   * The reply for the first unreadable event (answer it with HTTP 400), or for an empty body.
   * Splunk refuses the request from that event on; `records` still holds every readable event,
   * before and after it, so the server may store them and answer the error.
   */
  readonly error?: HecReply;
}

/**
 * The events of a `/services/collector/event` body: JSON objects one after another (newlines
 * optional; a JSON array is accepted too), each with `event` (a string or an object) and
 * optionally `time` (epoch seconds, a float or a numeric string), `host`, `source`, `sourcetype`,
 * `index` and `fields`. An object event goes through shape detection like any JSON record; a
 * string event is read as Windows XML, JSON text or a syslog line when it is one, else kept as
 * `message`. The envelope's values become `splunk.host`, `splunk.source`, `splunk.sourcetype`,
 * `splunk.index` and `splunk.fields.<name>`; its `time` dates events that carry none; a known
 * sourcetype names the logsource when the event does not.
 */
export function parseHecEvents(
  text: string,
  opts: { readonly maxDepth?: number; readonly name?: string } = {},
): HecParse {
  if (text.trim() === '') return { records: [], error: hecResponse('no-data') };
  const records: WireRecord[] = [];
  let error: HecReply | undefined;
  const fail = (kind: HecReplyKind, n: number): void => {
    error ??= hecResponse(kind, n);
  };
  parseJsonRecords(text, opts).forEach((r, n) => {
    if (r.value === undefined) {
      fail('invalid-data-format', n);
      return;
    }
    const envelope = r.value;
    if (!('event' in envelope)) {
      fail('event-required', n);
      return;
    }
    const event = envelope['event'];
    if (event === null || event === '' || (isRecord(event) && Object.keys(event).length === 0)) {
      fail('event-blank', n);
      return;
    }
    const meta = envelopeFields(envelope);
    const time = timeOf(envelope['time']);
    const body: Partial<Pick<WireRecord, 'value' | 'text'>> = isRecord(event)
      ? { value: event }
      : { text: typeof event === 'string' ? event : JSON.stringify(event) };
    records.push({
      line: r.line,
      ...body,
      ...hints(meta),
      ...(time === undefined ? {} : { time }),
    });
  });
  return error === undefined ? { records } : { records, error };
}

/** Query parameters of `/services/collector/raw` that describe the events. */
export interface HecRawQuery {
  readonly host?: string | undefined;
  readonly source?: string | undefined;
  readonly sourcetype?: string | undefined;
  readonly index?: string | undefined;
}

/**
 * The events of a `/services/collector/raw` body: one per non-blank line (LF or CRLF), each read
 * as a string event is (Windows XML, JSON text, syslog, plain text), with the query's `host`,
 * `source`, `sourcetype` and `index` as `splunk.*` fields.
 */
export function parseHecRaw(text: string, query: HecRawQuery = {}): HecParse {
  const meta: Fields = {};
  for (const key of ['host', 'source', 'sourcetype', 'index'] as const) {
    const v = query[key];
    if (typeof v === 'string' && v !== '') meta[`splunk.${key}`] = v;
  }
  const extra = hints(meta);
  const records: WireRecord[] = [];
  let line = 0;
  for (const raw of text.split('\n')) {
    line++;
    const t = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (t.trim() !== '') records.push({ line, text: t, ...extra });
  }
  return records.length === 0 ? { records, error: hecResponse('no-data') } : { records };
}

function envelopeFields(envelope: Record<string, unknown>): Fields {
  const meta: Fields = {};
  for (const key of ['host', 'source', 'sourcetype', 'index'] as const) {
    const v = envelope[key];
    if (typeof v === 'string' && v !== '') meta[`splunk.${key}`] = v;
  }
  const fields = envelope['fields'];
  if (isRecord(fields)) {
    for (const name in fields) {
      const v = fields[name];
      if (isScalar(v)) meta[`splunk.fields.${name}`] = v;
      else if (Array.isArray(v) && v.every(isScalar)) meta[`splunk.fields.${name}`] = v;
    }
  }
  return meta;
}

function isScalar(v: unknown): v is Scalar {
  return v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';
}

/** `meta`, and the logsource and Zeek log name that the sourcetype and source imply. */
function hints(meta: Fields): Pick<WireRecord, 'meta' | 'source' | 'name'> {
  const out: { meta?: Fields; source?: LogSource; name?: string } = {};
  if (Object.keys(meta).length > 0) out.meta = meta;
  const sourcetype = meta['splunk.sourcetype'];
  const found = typeof sourcetype === 'string' ? sourcetypeSource(sourcetype) : undefined;
  if (found !== undefined) out.source = found;
  const source = meta['splunk.source'];
  if (found?.product === 'zeek' && found.service !== undefined) out.name = `${found.service}.log`;
  else if (typeof source === 'string') out.name = source;
  return out;
}

/** Sourcetypes of the Splunk add-ons whose logsource Sigma knows. */
const SOURCETYPES: readonly (readonly [RegExp, LogSource])[] = [
  [/^(?:xml)?wineventlog(?::|$)/i, { product: 'windows' }],
  [/^linux_secure$/i, { product: 'linux', service: 'auth' }],
  [/^(?:linux_)?audit(?:d)?$/i, { product: 'linux', service: 'auditd' }],
  [/^syslog$/i, { product: 'linux', service: 'syslog' }],
  [/^aws:cloudtrail$/i, { product: 'aws', service: 'cloudtrail' }],
  [/^(?:ms:o365:management|o365:management:activity)$/i, { product: 'm365', service: 'audit' }],
  [/^azure:aad:signin$/i, { product: 'azure', service: 'signinlogs' }],
  [/^azure:aad:audit$/i, { product: 'azure', service: 'auditlogs' }],
  [/^okta:im2$/i, { product: 'okta', service: 'okta' }],
];

function sourcetypeSource(sourcetype: string): LogSource | undefined {
  const zeek = /^(?:zeek|bro|corelight)[:_]([a-z0-9_]+)/i.exec(sourcetype);
  if (zeek?.[1] !== undefined) return { product: 'zeek', service: zeek[1].toLowerCase() };
  return SOURCETYPES.find(([re]) => re.test(sourcetype))?.[1];
}

function timeOf(v: unknown): number | undefined {
  const n =
    typeof v === 'number'
      ? v
      : typeof v === 'string' && /^\d+(?:\.\d+)?$/.test(v)
        ? Number(v)
        : NaN;
  const ms = epochToMs(n);
  return Number.isNaN(ms) ? undefined : ms;
}
