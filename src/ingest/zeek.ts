/** The Zeek TSV reader: `#separator`/`#fields`/`#types` headers, typed values, sets and vectors as lists. */
import type { Fields, FieldValue, ReadBatch, Scalar } from '../core/index.ts';
import type { ReadContext } from './context.ts';
import { zeekLogName } from './json/shapes.ts';
import { splitLines } from './lines.ts';
import { Batcher, MAX_FIELD_CHARS, makeIssue } from './record.ts';
import { epochToMs } from './time.ts';

interface Header {
  separator: string;
  setSeparator: string;
  empty: string;
  unset: string;
  path: string;
  fields: string[];
  types: string[];
}

const NUMERIC = new Set(['count', 'int', 'port', 'double', 'interval', 'time']);

/**
 * Zeek escapes a backslash as `\\` and bytes it cannot write (separators, controls) as `\xHH`.
 * Printable characters, tab, LF and CR are decoded; other bytes keep their `\xHH` text, which is how
 * Zeek's own JSON writer shows them (`ref_id: "\\x00\\x00"`), so TSV and JSON logs give one value.
 */
function unescape(s: string): string {
  if (!s.includes('\\')) return s;
  return s.replace(/\\(\\|x[0-9a-fA-F]{2})/g, (m, e: string) => {
    if (e === '\\') return '\\';
    const code = parseInt(e.slice(1), 16);
    const keep = code === 9 || code === 10 || code === 13 || (code >= 0x20 && code < 0x7f);
    return keep ? String.fromCharCode(code) : m;
  });
}

type Convert = (text: string) => FieldValue | undefined;

function scalarOf(type: string): (text: string) => Scalar {
  if (NUMERIC.has(type)) {
    return (text) => {
      const n = Number(text);
      return Number.isNaN(n) ? text : n;
    };
  }
  if (type === 'bool') return (text) => (text === 'T' ? true : text === 'F' ? false : text);
  return unescape;
}

/** A converter per column, built once per header: unset → absent, sets and vectors → lists. */
function converters(h: Header): Convert[] {
  return h.fields.map((_, i) => {
    const type = h.types[i] ?? 'string';
    const container = /^(?:set|vector|table)\[(.+)\]$/.exec(type);
    if (container) {
      const inner = scalarOf(container[1] ?? 'string');
      return (text) =>
        text === h.unset
          ? undefined
          : text === h.empty
            ? []
            : text.split(h.setSeparator).map(inner);
    }
    const scalar = scalarOf(type);
    return (text) =>
      text === h.unset ? undefined : text === h.empty && type === 'string' ? '' : scalar(text);
  });
}

export function* readZeekTsv(bytes: Uint8Array, ctx: ReadContext): Generator<ReadBatch> {
  const out = new Batcher(ctx.file);
  const h: Header = {
    separator: '\t',
    setSeparator: ',',
    empty: '(empty)',
    unset: '-',
    path: zeekLogName(ctx.file),
    fields: [],
    types: [],
  };
  let convert: Convert[] = [];
  for (const { text, line, offset, cutFrom } of splitLines(bytes)) {
    if (text === '') continue;
    const at = { file: ctx.file, line, offset };
    if (text.startsWith('#')) {
      header(h, text);
      convert = converters(h);
      continue;
    }
    if (h.fields.length === 0) {
      out.issue(
        makeIssue('READ_BAD_LINE', 'Zeek data line before any #fields header; skipped', at),
      );
      continue;
    }
    if (cutFrom !== undefined) {
      out.issue(
        makeIssue(
          'READ_FIELD_TOO_LARGE',
          `line has ${String(cutFrom)} bytes; kept the first ${String(MAX_FIELD_CHARS)}`,
          at,
          'warning',
        ),
      );
    }
    const cols = text.split(h.separator);
    if (cols.length !== h.fields.length && cutFrom === undefined) {
      out.issue(
        makeIssue(
          'READ_BAD_LINE',
          `Zeek line has ${String(cols.length)} columns, the header names ${String(h.fields.length)}`,
          at,
          'warning',
        ),
      );
    }
    const fields: Fields = {};
    const n = Math.min(cols.length, h.fields.length);
    for (let i = 0; i < n; i++) {
      const v = (convert[i] as Convert)(cols[i] ?? '');
      if (v !== undefined) fields[h.fields[i] ?? `column${String(i)}`] = v;
    }
    const ts = fields['ts'];
    out.event({
      ts: typeof ts === 'number' ? epochToMs(ts) : NaN,
      tenant: ctx.tenant,
      source: h.path === '' ? { product: 'zeek' } : { product: 'zeek', service: h.path },
      fields,
      origin: { file: ctx.file, format: 'zeek-tsv', recordId: line, offset },
    });
    if (out.full) yield out.take();
  }
  yield* out.rest();
}

function header(h: Header, text: string): void {
  if (text.startsWith('#separator ')) {
    h.separator = unescape(text.slice('#separator '.length));
    return;
  }
  const cols = text.split(h.separator);
  const name = cols[0];
  const rest = cols.slice(1);
  switch (name) {
    case '#set_separator':
      h.setSeparator = unescape(rest[0] ?? ',');
      break;
    case '#empty_field':
      h.empty = rest[0] ?? '(empty)';
      break;
    case '#unset_field':
      h.unset = rest[0] ?? '-';
      break;
    case '#path':
      h.path = rest[0] ?? h.path;
      break;
    case '#fields':
      h.fields = rest;
      break;
    case '#types':
      h.types = rest;
      break;
    case undefined:
    default:
      break;
  }
}
