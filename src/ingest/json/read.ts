/** The JSON reader: NDJSON, concatenated or pretty-printed objects, top-level arrays and `{"Records": […]}` files. */
import type { Event, Issue, ReadBatch } from '../../core/index.ts';
import { bomLength, decodeUtf8 } from '../lines.ts';
import { Batcher, MAX_FIELD_CHARS, limitFields, makeIssue } from '../record.ts';
import type { ReadContext } from '../context.ts';
import { isObject } from './flatten.ts';
import { scanJson } from './scan.ts';
import { shapeRecord } from './shapes.ts';

/** Lines evtx_dump prints between records (`Record 12`); skipped without an issue. */
const EVTX_DUMP_SEPARATOR = /^Record \d+\s*$/;

export function* readJson(bytes: Uint8Array, ctx: ReadContext): Generator<ReadBatch> {
  const out = new Batcher(ctx.file);
  const wrapper = recordsWrapper(bytes);
  const items =
    wrapper === undefined
      ? scanJson(bytes, bomLength(bytes))
      : scanJson(bytes, wrapper.from, { inArray: true, line: wrapper.line });
  for (const item of items) {
    const at = { file: ctx.file, line: item.line, offset: item.start };
    if (item.kind === 'noise' && wrapper !== undefined && isClosingBrace(bytes, item)) {
      // the `}` that closes the wrapper
    } else if (item.kind === 'noise') {
      const text = decodeUtf8(bytes.subarray(item.start, Math.min(item.end, item.start + 200)));
      if (!EVTX_DUMP_SEPARATOR.test(text)) {
        out.issue(makeIssue('READ_BAD_JSON', `text outside any JSON value: ${clip(text)}`, at));
      }
    } else if (item.kind === 'broken') {
      out.issue(makeIssue('READ_BAD_JSON', `malformed JSON record skipped: ${item.reason}`, at));
    } else {
      let value: unknown;
      try {
        value = JSON.parse(decodeUtf8(bytes.subarray(item.start, item.end)));
      } catch (e) {
        const why = e instanceof Error ? e.message : String(e);
        out.issue(makeIssue('READ_BAD_JSON', `malformed JSON record skipped: ${why}`, at));
        value = undefined;
      }
      if (value !== undefined) {
        for (const record of unwrap(value)) {
          if (!isObject(record)) {
            out.issue(makeIssue('READ_BAD_JSON', 'JSON value is not an object; skipped', at));
            continue;
          }
          const issues: Issue[] = [];
          const large = item.end - item.start > MAX_FIELD_CHARS;
          out.event(toEvent(record, ctx, at.line, at.offset, large ? issues : undefined));
          for (const i of issues) out.issue(i);
        }
      }
    }
    if (out.full) yield out.take();
  }
  yield* out.rest();
}

const WRAPPER = /^\s*\{\s*"(?:Records|records)"\s*:\s*\[/;

/**
 * A file that opens with `{"Records": [` (CloudTrail) or `{"records": [` (Azure): where its array's
 * content starts, so the records are read one by one and one bad record costs only itself.
 */
function recordsWrapper(bytes: Uint8Array): { from: number; line: number } | undefined {
  const start = bomLength(bytes);
  const head = decodeUtf8(bytes.subarray(start, start + 256));
  const m = WRAPPER.exec(head);
  if (!m) return undefined;
  const from = start + new TextEncoder().encode(m[0]).length;
  return { from, line: 1 + (m[0].match(/\n/g)?.length ?? 0) };
}

function isClosingBrace(bytes: Uint8Array, item: { start: number; end: number }): boolean {
  return decodeUtf8(bytes.subarray(item.start, item.end)).trim() === '}';
}

/** `{"Records": […]}` (CloudTrail) and `{"records": […]}` (Azure exports) hold the real records. */
function unwrap(value: unknown): readonly unknown[] {
  if (Array.isArray(value)) return value;
  if (isObject(value)) {
    for (const key of ['Records', 'records']) {
      const inner = value[key];
      if (Array.isArray(inner) && Object.keys(value).length === 1) return inner;
    }
  }
  return [value];
}

function toEvent(
  record: Record<string, unknown>,
  ctx: ReadContext,
  line: number,
  offset: number,
  issues: Issue[] | undefined,
): Event {
  const shaped = shapeRecord(record, ctx.file);
  // no string can exceed the limit when the whole record is smaller than it
  if (issues) limitFields(shaped.fields, { file: ctx.file, line, offset }, issues);
  return {
    ts: shaped.ts,
    tenant: ctx.tenant,
    source: shaped.source,
    fields: shaped.fields,
    origin: { file: ctx.file, format: 'json', recordId: line, offset },
  };
}

function clip(text: string): string {
  return text.length > 60 ? `${text.slice(0, 60)}…` : text;
}
