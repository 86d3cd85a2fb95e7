/**
 * Turns detections into the flat rows every output format shares (timeline columns and JSON records),
 * and renders the machine formats' lines — here, not in the CLI, because `vigil scan`'s worker threads
 * render their own hits (`ScanOptions.render`).
 */
import type { Detection, Event, FieldValue, Fields } from '../core/index.ts';

export interface EventRef {
  readonly timestamp: string;
  readonly computer: string;
  readonly channel: string;
  readonly event_id: FieldValue;
  readonly record_id: number | null;
  readonly file: string;
}

/** One detection as written by `--format json|jsonl`. Field names are a contract: scripts read them. */
export interface DetectionRecord extends EventRef {
  readonly rule_id: string;
  readonly rule_title: string;
  readonly level: string;
  readonly tags: readonly string[];
  readonly kind: 'event' | 'correlation';
  readonly matched: Readonly<Record<string, FieldValue>>;
  readonly rule_file?: string;
  /** Detection rules: the whole event. */
  readonly event?: Fields;
  /** Correlation rules: the group-by values and the events that made the hit. */
  readonly group?: Readonly<Record<string, FieldValue>>;
  readonly events?: readonly (EventRef & { readonly fields: Fields })[];
}

/** Where `eventRef` finds an event's host and time. */
const HOST_FIELDS = ['Computer', 'host.name', 'hostname', 'host', 'Hostname', 'computer_name'];
const TIME_FIELDS = ['TimeCreated_SystemTime', '@timestamp', 'timestamp', 'ts'];

function first(fields: Fields, names: readonly string[]): FieldValue | undefined {
  for (const n of names) {
    const v = fields[n];
    if (v !== undefined && v !== null && v !== '') return v;
  }
  return undefined;
}

function text(v: FieldValue | undefined): string {
  if (v === undefined || v === null) return '';
  return Array.isArray(v) ? v.join(',') : String(v);
}

export function timestampOf(ts: number, fields: Fields): string {
  if (!Number.isNaN(ts)) return new Date(ts).toISOString();
  return text(first(fields, TIME_FIELDS));
}

/** The host an event names (the timeline's `computer`), '' when none. */
export function hostOf(fields: Fields): string {
  return text(first(fields, HOST_FIELDS));
}

/** Where an event sits in the timeline; `timestamp`, when given, is its time already formatted. */
export function eventRef(e: Event, timestamp?: string): EventRef {
  const f = e.fields;
  const recordId = e.origin.recordId ?? first(f, ['EventRecordID']);
  return {
    timestamp: timestamp ?? timestampOf(e.ts, f),
    computer: hostOf(f),
    channel:
      text(first(f, ['Channel'])) || [e.source.product, e.source.service].filter(Boolean).join('/'),
    event_id: first(f, ['EventID', 'event.code']) ?? null,
    record_id: typeof recordId === 'number' ? recordId : recordId ? Number(recordId) : null,
    file: e.origin.file ?? '',
  };
}

export function toRecord(d: Detection): DetectionRecord {
  const last = d.events[d.events.length - 1];
  const ref: EventRef = last
    ? eventRef(last)
    : { timestamp: '', computer: '', channel: '', event_id: null, record_id: null, file: '' };
  const base = {
    ...ref,
    timestamp: Number.isNaN(d.ts) ? ref.timestamp : new Date(d.ts).toISOString(),
    rule_id: d.rule.id,
    rule_title: d.rule.title,
    level: d.rule.level,
    tags: d.rule.tags,
    kind: d.kind,
    matched: d.matched,
    ...(d.rule.file !== undefined ? { rule_file: d.rule.file } : {}),
  };
  if (d.kind === 'correlation') {
    return {
      ...base,
      ...(d.group ? { group: d.group } : {}),
      events: d.events.map((e) => ({ ...eventRef(e), fields: e.fields })),
    };
  }
  return last ? { ...base, event: last.fields } : base;
}

/** Fields the timeline already shows in their own columns. */
const COLUMN_FIELDS = new Set(['EventID', 'Channel']);
const DETAIL_VALUE_MAX = 200;

/** One line, bounded: newlines and runs of blanks collapse to one space, long values are cut. */
function oneLine(s: string): string {
  const flat = s.replace(/\s+/g, ' ').trim();
  return flat.length > DETAIL_VALUE_MAX ? `${flat.slice(0, DETAIL_VALUE_MAX - 1)}…` : flat;
}

/** The matched fields as `Name: value ¦ Name: value`, the way Hayabusa shows details. */
export function details(d: Detection): string {
  const parts: string[] = [];
  const source = d.kind === 'correlation' && d.group ? d.group : d.matched;
  for (const [k, v] of Object.entries(source)) {
    if (!COLUMN_FIELDS.has(k)) parts.push(`${k}: ${oneLine(text(v))}`);
  }
  if (d.kind === 'correlation') parts.push(`events: ${d.events.length}`);
  return parts.join(' ¦ ');
}

/** The machine formats whose lines can be rendered ahead, each hit on its own. */
export type LineFormat = 'jsonl' | 'csv';

export const CSV_HEADER =
  'timestamp,computer,channel,event_id,record_id,level,rule_id,rule_title,tags,details,file\n';

function csvField(s: string): string {
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** One detection as a CSV line (with its line break). */
export function csvLine(d: Detection): string {
  const r = toRecord(d);
  const cells = [
    r.timestamp,
    r.computer,
    r.channel,
    r.event_id === null ? '' : String(r.event_id),
    r.record_id === null ? '' : String(r.record_id),
    r.level,
    r.rule_id,
    r.rule_title,
    r.tags.join(' '),
    details(d),
    r.file,
  ];
  return `${cells.map(csvField).join(',')}\n`;
}

/**
 * One detection as a JSON record (no line break): a JSONL line, or an element of the JSON array. The
 * text is `JSON.stringify(toRecord(d))`; a one-event hit's is written directly, with the rule's part
 * made once per rule: a scan writes tens of thousands of them.
 */
export function jsonLine(d: Detection): string {
  const e = d.events[0];
  if (d.kind !== 'event' || d.events.length !== 1 || e === undefined) {
    return JSON.stringify(toRecord(d));
  }
  // `eventRef(e)` but for its time, which is the hit's own unless it has none.
  const ref = eventRef(e, Number.isNaN(d.ts) ? undefined : new Date(d.ts).toISOString());
  const ts = ref.timestamp;
  return (
    `{"timestamp":${JSON.stringify(ts)},"computer":${JSON.stringify(ref.computer)}` +
    `,"channel":${JSON.stringify(ref.channel)},"event_id":${JSON.stringify(ref.event_id)}` +
    `,"record_id":${JSON.stringify(ref.record_id)},"file":${JSON.stringify(ref.file)}` +
    `,${ruleJson(d.rule)},"kind":"event","matched":${JSON.stringify(d.matched)}` +
    `${ruleFileJson(d.rule)},"event":${JSON.stringify(e.fields)}}`
  );
}

const ruleParts = new WeakMap<Detection['rule'], string>();

/** `"rule_id":…,"rule_title":…,"level":…,"tags":[…]`, as `toRecord` has them. */
function ruleJson(rule: Detection['rule']): string {
  let text = ruleParts.get(rule);
  if (text === undefined) {
    const json = JSON.stringify({
      rule_id: rule.id,
      rule_title: rule.title,
      level: rule.level,
      tags: rule.tags,
    });
    text = json.slice(1, -1);
    ruleParts.set(rule, text);
  }
  return text;
}

const ruleFiles = new WeakMap<Detection['rule'], string>();

/** `,"rule_file":…` when the rule came from a file, else nothing. */
function ruleFileJson(rule: Detection['rule']): string {
  let text = ruleFiles.get(rule);
  if (text === undefined) {
    text = rule.file === undefined ? '' : `,"rule_file":${JSON.stringify(rule.file)}`;
    ruleFiles.set(rule, text);
  }
  return text;
}

/** The line of `d` in `format`. */
export function renderLine(format: LineFormat, d: Detection): string {
  return format === 'csv' ? csvLine(d) : jsonLine(d);
}
