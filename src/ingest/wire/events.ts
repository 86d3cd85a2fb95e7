/**
 * Turns what a receiver read (JSON records, text lines, reader events) into the events the server
 * stores: shape detection, field limits, time, entities, and a deterministic id so that a record a
 * shipper delivers twice is stored once.
 *
 * How ids are made (first 32 hex digits of a sha256):
 * - the shipper named the record (`_id` in `_bulk`): the hash of that name (`id\0<name>`);
 * - otherwise, without `idPrefix`: the hash of the record's content and its occurrence number
 *   among identical records of the same call (0 for the first copy, 1 for the second…). The content
 *   is the record's text as sent when the receiver kept it (`raw`: shippers resend the same bytes,
 *   and hashing them costs a quarter of re-serialising), else its canonical JSON (keys sorted),
 *   with any envelope time and metadata. A redelivered request gives the same ids, so the store
 *   drops the copies; two identical records in one request stay two events. The costs: the same
 *   record sent with other whitespace or key order by another shipper is stored twice; and when a
 *   shipper re-batches so that an identical record lands in a different request as a first copy,
 *   it collides with the stored one and is dropped (identical records — same time, same fields —
 *   are rare; their count is what would be lost).
 * - with `idPrefix` (a value stable across redelivery: a syslog connection, an upload's content
 *   hash): the hash of prefix, position (line and index) and content, so every record of that
 *   prefix is its own event, identical or not. Never pass a per-request random id: redelivery
 *   would then store everything twice.
 * The tenant is not part of the id: ids are unique per tenant (the store keys on tenant and id).
 */
import { createHash } from 'node:crypto';
import type {
  Event,
  Fields,
  Issue,
  Location,
  LogSource,
  NewEvent,
  Scalar,
} from '../../core/index.ts';
import { shapeRecord } from '../json/shapes.ts';
import { MAX_FIELD_CHARS } from '../record.ts';
import type { Parsed } from '../syslog.ts';
import { looksLikeSyslog, parseSyslogLine, sourceOf, withEventXml } from '../syslog.ts';
import { windowsXmlFields } from '../winxml.ts';
import { parseIsoTime } from '../time.ts';
import { deriveEntities } from './entities.ts';
import { isRecord, parseJsonValue } from './json.ts';

/** One thing a receiver read, before it becomes an event. */
export interface WireRecord {
  /** 1-based line (or frame number) in the request or stream, for issues and ids. */
  readonly line: number;
  /** A JSON object: its shape is detected (EVTX-as-JSON, Winlogbeat/ECS, NXLog, CloudTrail, Zeek…). */
  readonly value?: Record<string, unknown>;
  /** `value`'s text as sent, when known: ids hash it instead of re-serialising `value`. */
  readonly raw?: string;
  /** A text line: syslog (RFC 3164/5424), Windows event XML, a JSON object as text, or plain text. */
  readonly text?: string;
  /** The record could not be read: the issue is passed through and no event is made. */
  readonly issue?: Issue;
  /** The shipper's own id for the record (`_index/_id` in `_bulk`): ids derive from it. */
  readonly id?: string;
  /** Time the envelope gave (HEC `time`), ms since the epoch; used when the record has none. */
  readonly time?: number;
  /** Envelope fields (HEC `splunk.*`), added to the event's fields where those have no such key. */
  readonly meta?: Fields;
  /** Logsource to use when the record itself names none (from a HEC sourcetype). */
  readonly source?: LogSource;
  /** A file name the record came from (HEC `source`), which names Zeek logs without `_path`. */
  readonly name?: string;
}

export interface ToEventsOptions {
  readonly tenant: string;
  /** The receiver the records came through (`ingest`, `bulk`, `hec`, `syslog-tcp:5514`). */
  readonly receiver: string;
  /** When the server accepted them, ms since the epoch; the time of records that carry none. */
  readonly receivedAt: number;
  /** Makes every record its own event, identical or not (see the file comment). */
  readonly idPrefix?: string;
  /** A string field longer than this many UTF-8 bytes is cut (default 1 MiB). */
  readonly maxFieldBytes?: number;
}

/**
 * The events of `records`, in order, and every problem: records that came with an issue, fields
 * cut to the size limit (READ_FIELD_TOO_LARGE, the event is kept). Every record with `value` or
 * `text` gives exactly one event, so `events[k]` belongs to the k-th such record; records with
 * only an issue give none. Records are taken over: their objects become the events' fields and may
 * be modified.
 */
export function toEvents(
  records: readonly WireRecord[],
  opts: ToEventsOptions,
): { events: NewEvent[]; issues: Issue[] } {
  const events: NewEvent[] = [];
  const issues: Issue[] = [];
  const seen = new Map<string, number>();
  records.forEach((record, index) => {
    if (record.value === undefined && record.text === undefined) {
      if (record.issue) issues.push(record.issue);
      return;
    }
    const content = contentHash(record);
    let occurrence = 0;
    if (record.id === undefined && opts.idPrefix === undefined) {
      occurrence = seen.get(content) ?? 0;
      seen.set(content, occurrence + 1);
    }
    const id = eventId(record, content, opts.idPrefix, `${record.line}:${index}`, occurrence);
    const made = buildEvent(record, id, opts);
    events.push(made.event);
    issues.push(...made.issues);
  });
  return { events, issues };
}

/**
 * One record's event (no occurrence counting: `occurrence` says which identical copy this is).
 * For callers that must map records to results one to one (`_bulk` items).
 */
export function toEvent(
  record: WireRecord,
  opts: ToEventsOptions & { readonly occurrence?: number; readonly index?: number },
): { event?: NewEvent; issues: Issue[] } {
  if (record.value === undefined && record.text === undefined) {
    return { issues: record.issue ? [record.issue] : [] };
  }
  const content = contentHash(record);
  const position = `${record.line}:${opts.index ?? 0}`;
  const id = eventId(record, content, opts.idPrefix, position, opts.occurrence ?? 0);
  return buildEvent(record, id, opts);
}

/**
 * Events a file reader produced (`readBytes`, for uploads) as the server stores them. Ids hash
 * each event's fields with its place in the file (record id or line, byte offset), so uploading
 * the same file again stores nothing new. `file` (the upload's name) is kept as `log.file.path`.
 * The readers have applied the field limit already.
 */
export function eventsFromRead(
  events: readonly Event[],
  opts: Omit<ToEventsOptions, 'maxFieldBytes'> & { readonly file?: string },
): NewEvent[] {
  return events.map((e) => {
    const content = sha256(
      canonical({ f: e.fields, r: e.origin.recordId ?? null, o: e.origin.offset ?? null }),
    );
    const id =
      opts.idPrefix === undefined
        ? short(content)
        : short(sha256(`p\0${opts.idPrefix}\0${content}`));
    const fields = e.fields;
    if (opts.file !== undefined && fields['log.file.path'] === undefined) {
      fields['log.file.path'] = opts.file;
    }
    return newEvent({ id, opts, ts: e.ts, source: e.source, format: e.origin.format, fields });
  });
}

/** A syslog line already parsed (`parseSyslogLine`), as the event the server stores. */
export function eventFromParsed(
  parsed: Parsed,
  opts: {
    readonly tenant: string;
    readonly receiver: string;
    readonly receivedAt: number;
    readonly id: string;
    readonly source?: LogSource;
    readonly format?: string;
  },
): NewEvent {
  return newEvent({
    id: opts.id,
    opts,
    ts: parsed.ts,
    source: opts.source ?? sourceOf(parsed.fields, false),
    format: opts.format ?? 'syslog',
    fields: parsed.fields,
  });
}

/**
 * The content part of the id `toEvents` gives a record (exported for receivers that build events
 * themselves); the stored id puts the event's own time before it.
 */
export function recordId(
  record: WireRecord,
  opts: {
    readonly idPrefix?: string;
    readonly position?: string;
    readonly occurrence?: number;
  } = {},
): string {
  return eventId(
    record,
    contentHash(record),
    opts.idPrefix,
    opts.position ?? `${record.line}:0`,
    opts.occurrence ?? 0,
  );
}

// ---------------------------------------------------------------------------------------------

/** Field size limit: 1 MiB of UTF-8. */
export const MAX_FIELD_BYTES = MAX_FIELD_CHARS;

function eventId(
  record: WireRecord,
  content: string,
  idPrefix: string | undefined,
  position: string,
  occurrence: number,
): string {
  if (record.id !== undefined) return short(sha256(`id\0${record.id}`));
  if (idPrefix !== undefined) return short(sha256(`p\0${idPrefix}\0${position}\0${content}`));
  return short(sha256(`c\0${content}\0${String(occurrence)}`));
}

function contentHash(record: WireRecord): string {
  // The common case, a record as sent and nothing else: its text alone.
  if (
    record.raw !== undefined &&
    record.text === undefined &&
    record.time === undefined &&
    record.meta === undefined
  ) {
    return sha256(`r\0${record.raw}`);
  }
  const parts: Record<string, unknown> = {};
  if (record.raw !== undefined) parts['r'] = record.raw;
  else if (record.value !== undefined) parts['v'] = record.value;
  if (record.text !== undefined) parts['t'] = record.text;
  if (record.time !== undefined) parts['time'] = record.time;
  if (record.meta !== undefined) parts['m'] = record.meta;
  return sha256(canonical(parts));
}

function sha256(s: string): string {
  return createHash('sha256').update(s).digest('hex');
}

function short(hex: string): string {
  return hex.slice(0, 32);
}

/**
 * JSON with object keys sorted, so the same record re-serialised by another shipper hashes the
 * same. Records have passed the depth limit, so recursion is bounded.
 */
export function canonical(v: unknown): string {
  if (v === null || typeof v !== 'object') {
    // undefined, functions and symbols have no JSON text
    const s = JSON.stringify(v) as string | undefined;
    return s ?? 'null';
  }
  if (Array.isArray(v)) {
    let out = '[';
    for (let i = 0; i < v.length; i++) out += (i === 0 ? '' : ',') + canonical(v[i]);
    return `${out}]`;
  }
  const obj = v as Record<string, unknown>;
  const keys = Object.keys(obj);
  if (!isSorted(keys)) keys.sort();
  let out = '{';
  let first = true;
  for (const k of keys) {
    const x = obj[k];
    if (x === undefined) continue;
    out += `${first ? '' : ','}${JSON.stringify(k)}:${canonical(x)}`;
    first = false;
  }
  return `${out}}`;
}

function isSorted(keys: readonly string[]): boolean {
  for (let i = 1; i < keys.length; i++) if ((keys[i - 1] ?? '') > (keys[i] ?? '')) return false;
  return true;
}

interface Built {
  readonly fields: Fields;
  readonly source: LogSource;
  readonly ts: number;
  readonly format: string;
}

function buildEvent(
  record: WireRecord,
  id: string,
  opts: ToEventsOptions,
): { event: NewEvent; issues: Issue[] } {
  const built =
    record.value === undefined
      ? fromText(record.text ?? '', opts.receivedAt, record.name ?? '')
      : fromValue(record.value, record.name ?? '');
  const fields = built.fields;
  if (record.meta !== undefined) {
    for (const key in record.meta) {
      const v = record.meta[key];
      if (v !== undefined && fields[key] === undefined) fields[key] = v;
    }
  }
  const issues: Issue[] = [];
  limitFieldBytes(
    fields,
    opts.maxFieldBytes ?? MAX_FIELD_BYTES,
    { file: opts.receiver, line: record.line },
    issues,
  );
  const source =
    built.source.product === undefined && built.source.service === undefined && record.source
      ? record.source
      : built.source;
  const ts = Number.isNaN(built.ts) ? (record.time ?? NaN) : built.ts;
  return {
    event: newEvent({ id, opts, ts, source, format: built.format, fields }),
    issues,
  };
}

function newEvent(p: {
  readonly id: string;
  readonly opts: {
    readonly tenant: string;
    readonly receiver: string;
    readonly receivedAt: number;
  };
  readonly ts: number;
  readonly source: LogSource;
  readonly format: string;
  readonly fields: Fields;
}): NewEvent {
  const entities = deriveEntities(p.fields, p.source);
  const host = entities['host.name'];
  const user = entities['user.name'];
  return {
    id: orderedId(p.ts, p.id),
    tenant: p.opts.tenant,
    ts: Number.isFinite(p.ts) ? p.ts : p.opts.receivedAt,
    receivedAt: p.opts.receivedAt,
    source: p.source,
    format: p.format,
    receiver: p.opts.receiver,
    fields: p.fields,
    entities,
    ...(host === undefined ? {} : { host: String(host) }),
    ...(user === undefined ? {} : { user: String(user) }),
  };
}

/**
 * The stored id: the event's own time (12 hex digits of ms) then 20 hex digits of the content id. A
 * redelivered record has the same time and content, so the same id; and ids in time order make the
 * store's unique index grow at its end like the time index, instead of at random places (with random ids,
 * a SQLite insert slowed from ~15 to ~70 µs as the table grew past a few hundred thousand events).
 * Records without a time of their own sort last (`ffffffffffff`).
 */
function orderedId(ts: number, id: string): string {
  const prefix =
    Number.isFinite(ts) && ts >= 0 && ts < 2 ** 48
      ? Math.floor(ts).toString(16).padStart(12, '0')
      : 'ffffffffffff';
  return prefix + id.slice(0, 20);
}

function fromValue(value: Record<string, unknown>, name: string): Built {
  const shaped = shapeRecord(value, name);
  return { fields: shaped.fields, source: shaped.source, ts: shaped.ts, format: shaped.shape };
}

const WINDOWS: LogSource = Object.freeze({ product: 'windows' });

/**
 * A text record: Windows event XML (Splunk's XmlWinEventLog, Sysmon for Linux), a JSON object sent
 * as a string, a syslog line, or else plain text kept as `message`. `ref` (ms) dates syslog lines
 * that carry no year.
 */
function fromText(text: string, ref: number, name: string): Built {
  const trimmed = text.trimStart();
  if (trimmed.startsWith('<Event')) {
    const fields = windowsXmlFields(trimmed);
    if (fields !== undefined) {
      return {
        fields,
        source: WINDOWS,
        ts: parseIsoTime(String(fields['TimeCreated_SystemTime'] ?? '')),
        format: 'windows-xml',
      };
    }
  }
  if (trimmed.startsWith('{')) {
    const parsed = parseJsonValue(trimmed);
    if (isRecord(parsed.value)) return fromValue(parsed.value, name);
  }
  if (looksLikeSyslog(text)) {
    const parsed = withEventXml(parseSyslogLine(text, ref));
    if (parsed.ok) {
      return {
        fields: parsed.fields,
        source: sourceOf(parsed.fields, false),
        ts: parsed.ts,
        format: 'syslog',
      };
    }
  }
  return { fields: { message: text }, source: {}, ts: NaN, format: 'text' };
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * Cuts every string (and string list item) longer than `max` UTF-8 bytes to at most `max` bytes on
 * a character boundary, reporting each cut as READ_FIELD_TOO_LARGE (a warning: the event is kept).
 */
export function limitFieldBytes(fields: Fields, max: number, at: Location, issues: Issue[]): void {
  for (const key in fields) {
    const v = fields[key];
    if (typeof v === 'string') {
      const cut = cutString(v, max);
      if (cut !== undefined) {
        fields[key] = cut.text;
        issues.push(tooLarge(key, cut.bytes, max, at));
      }
    } else if (Array.isArray(v)) {
      const list = [...(v as readonly Scalar[])];
      let changed = false;
      for (let i = 0; i < list.length; i++) {
        const x = list[i];
        const cut = typeof x === 'string' ? cutString(x, max) : undefined;
        if (cut === undefined) continue;
        list[i] = cut.text;
        changed = true;
        issues.push(tooLarge(key, cut.bytes, max, at));
      }
      if (changed) fields[key] = list;
    }
  }
}

function cutString(s: string, max: number): { text: string; bytes: number } | undefined {
  // a string of n UTF-16 units has at most 3n UTF-8 bytes: most strings need no encoding at all
  if (s.length * 3 <= max) return undefined;
  const bytes = encoder.encode(s);
  if (bytes.length <= max) return undefined;
  let end = max;
  while (end > 0 && ((bytes[end] ?? 0) & 0xc0) === 0x80) end--;
  return { text: decoder.decode(bytes.subarray(0, end)), bytes: bytes.length };
}

function tooLarge(key: string, bytes: number, max: number, at: Location): Issue {
  return {
    code: 'READ_FIELD_TOO_LARGE',
    severity: 'warning',
    message: `field ${key} has ${bytes} bytes; kept the first ${max}`,
    at: { ...at, path: key },
  };
}
