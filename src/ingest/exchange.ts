/**
 * The reader for Exchange Server's CSV logs as they lie on disk (message tracking MSGTRK*.LOG, and the
 * other transport logs of the same layout): `#Software`/`#Version`/`#Log-type`/`#Date`/`#Fields` headers,
 * then one comma-separated row a line with RFC 4180 quoting. Each row is named by the last `#Fields`
 * header and shaped like the same row sent as JSON by a shipper, so uploads and live shipping agree.
 */
import type { Fields, ReadBatch } from '../core/index.ts';
import type { ReadContext } from './context.ts';
import { shapeRecord } from './json/shapes.ts';
import { splitLines } from './lines.ts';
import { Batcher, makeIssue } from './record.ts';

/** True for the first line of an Exchange Server log. */
export function looksLikeExchangeLog(text: string): boolean {
  return text.startsWith('#Software: Microsoft Exchange Server');
}

/** The values of one CSV row; `""` inside quotes is a quote. */
export function csvRow(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line.charAt(i);
    if (quoted) {
      if (c === '"' && line.charAt(i + 1) === '"') {
        cur += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cur += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  out.push(cur);
  return out;
}

export function* readExchangeLog(bytes: Uint8Array, ctx: ReadContext): Generator<ReadBatch> {
  const out = new Batcher(ctx.file);
  let columns: string[] | undefined;
  for (const { text, line, offset } of splitLines(bytes)) {
    if (text === '') continue;
    if (text.startsWith('#')) {
      if (text.startsWith('#Fields: ')) columns = text.slice('#Fields: '.length).split(',');
      continue;
    }
    const at = { file: ctx.file, line, col: 1 };
    if (columns === undefined) {
      out.issue(
        makeIssue('READ_BAD_LINE', 'Exchange log row before any #Fields header; skipped', at),
      );
      continue;
    }
    const values = csvRow(text);
    if (values.length !== columns.length) {
      out.issue(
        makeIssue(
          'READ_BAD_LINE',
          `row has ${String(values.length)} columns, the header names ${String(columns.length)}`,
          at,
          'warning',
        ),
      );
    }
    const record: Fields = {};
    columns.forEach((c, i) => {
      const v = values[i];
      if (v !== undefined && v !== '') record[c] = v;
    });
    const shaped = shapeRecord(record, ctx.file);
    out.event({
      ts: shaped.ts,
      tenant: ctx.tenant,
      source: shaped.source,
      fields: shaped.fields,
      origin: { file: ctx.file, format: 'exchange-log', recordId: line, offset },
    });
    if (out.full) yield out.take();
  }
  yield* out.rest();
}
