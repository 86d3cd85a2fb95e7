/** Turns detections into the flat rows every output format shares (timeline columns and JSON records). */
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
  return text(first(fields, ['TimeCreated_SystemTime', '@timestamp', 'timestamp', 'ts']));
}

export function eventRef(e: Event): EventRef {
  const f = e.fields;
  const recordId = e.origin.recordId ?? first(f, ['EventRecordID']);
  return {
    timestamp: timestampOf(e.ts, f),
    computer: text(
      first(f, ['Computer', 'host.name', 'hostname', 'host', 'Hostname', 'computer_name']),
    ),
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
