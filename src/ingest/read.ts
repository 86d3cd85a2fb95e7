/** Reads one input's bytes into batches: opens gzip and zip containers, detects the format, runs its reader. */
import type { Issue, ReadBatch } from '../core/index.ts';
import { readAuditd } from './auditd.ts';
import { readExchangeLog } from './exchange.ts';
import type { ReadContext } from './context.ts';
import { detectFormat } from './detect.ts';
import { parseEvtx } from './evtx/index.ts';
import { readJson } from './json/read.ts';
import { makeIssue } from './record.ts';
import { readSyslog } from './syslog.ts';
import { readWindowsXml } from './winxml.ts';
import { readZeekTsv } from './zeek.ts';
import { gunzip, zipEntries, zipEntry } from './zip.ts';

/** What `vigil scan --input-format` may say; `auto` detects from the content. */
export type InputFormat = 'auto' | 'evtx' | 'json' | 'syslog' | 'auditd' | 'zeek';

export interface ReadOptions {
  readonly tenant: string;
  /** Forces the reader for the content (containers are still opened); `auto` or absent detects. */
  readonly format?: InputFormat;
  /** Reference time for syslog lines without a year (ms since the epoch); defaults to now. */
  readonly referenceTime?: number;
}

type Reader = (bytes: Uint8Array, ctx: ReadContext) => Iterable<ReadBatch>;

/** The readers by format name. Zeek JSON goes through the JSON reader, which recognises it per record. */
export const readers = {
  evtx: (bytes, ctx) => parseEvtx(bytes, ctx.file, { tenant: ctx.tenant }),
  json: readJson,
  syslog: readSyslog,
  auditd: readAuditd,
  zeek: (bytes, ctx) => (isZeekTsv(bytes) ? readZeekTsv(bytes, ctx) : readJson(bytes, ctx)),
  /** Windows event XML; detected only (not an `--input-format` choice). */
  xml: readWindowsXml,
  /** Exchange Server's CSV logs (message tracking); detected only. */
  exchange: readExchangeLog,
} satisfies Record<Exclude<InputFormat, 'auto'> | 'xml' | 'exchange', Reader>;

function isZeekTsv(bytes: Uint8Array): boolean {
  return detectFormat(bytes) !== 'json';
}

/** Nesting limit for archives inside archives. */
const MAX_DEPTH = 4;

/**
 * Reads `bytes` (a whole file, zip entry or upload) named `name`. Gzip is decompressed, zip entries
 * are read one by one as `name!entry`. Never throws for bad input: problems come as issues.
 */
export function readBytes(bytes: Uint8Array, name: string, opts: ReadOptions): Iterable<ReadBatch> {
  return readNested(bytes, name, opts, 0);
}

function* readNested(
  bytes: Uint8Array,
  name: string,
  opts: ReadOptions,
  depth: number,
): Generator<ReadBatch> {
  if (isBlank(bytes)) return; // an empty log (a fresh rotation) holds nothing and is no problem
  const found = detectFormat(bytes, name);
  if (found === 'gzip' || found === 'zip') {
    if (depth >= MAX_DEPTH) {
      yield fileIssue(name, 'READ_BAD_ZIP', `archives nested deeper than ${String(MAX_DEPTH)}`);
      return;
    }
    if (found === 'gzip') {
      const { data, error } = gunzip(bytes);
      if (error !== undefined) {
        yield fileIssue(
          name,
          'READ_BAD_ZIP',
          `damaged gzip (${error}); read the ${String(data.length)} bytes before the damage`,
        );
      }
      if (data.length > 0) yield* readNested(data, name, opts, depth + 1);
      return;
    }
    let names: string[];
    try {
      names = zipEntries(bytes)
        .map((e) => e.name)
        .filter((n) => !isHidden(n))
        .sort();
    } catch (e) {
      yield fileIssue(name, 'READ_BAD_ZIP', `cannot read zip archive: ${message(e)}`);
      return;
    }
    for (const entry of names) {
      let data: Uint8Array;
      try {
        data = zipEntry(bytes, entry);
      } catch (e) {
        yield fileIssue(
          `${name}!${entry}`,
          'READ_BAD_ZIP',
          `cannot inflate zip entry: ${message(e)}`,
        );
        continue;
      }
      yield* readNested(data, `${name}!${entry}`, opts, depth + 1);
    }
    return;
  }
  if (isUtf16(bytes)) {
    // Windows tools (PowerShell 5 `>`, Out-File) write UTF-16 with a BOM: read it as UTF-8
    yield* readNested(toUtf8(bytes), name, opts, depth + 1);
    return;
  }
  const format = opts.format !== undefined && opts.format !== 'auto' ? opts.format : found;
  if (format === undefined) {
    yield fileIssue(
      name,
      'READ_UNKNOWN_FORMAT',
      'skipped: cannot tell the format from the content (force a reader with --input-format)',
      'warning',
    );
    return;
  }
  const ctx: ReadContext =
    opts.referenceTime === undefined
      ? { file: name, tenant: opts.tenant }
      : { file: name, tenant: opts.tenant, referenceTime: opts.referenceTime };
  try {
    yield* readers[format](bytes, ctx);
  } catch (e) {
    // a reader bug must cost this input only, never the scan
    yield fileIssue(name, 'INTERNAL', `the ${format} reader failed: ${message(e)}`);
  }
}

function isBlank(bytes: Uint8Array): boolean {
  for (const b of bytes) if (b !== 32 && b !== 9 && b !== 10 && b !== 13) return false;
  return true;
}

function isUtf16(bytes: Uint8Array): boolean {
  return (bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff);
}

function toUtf8(bytes: Uint8Array): Uint8Array {
  const encoding = bytes[0] === 0xff ? 'utf-16le' : 'utf-16be';
  return new TextEncoder().encode(new TextDecoder(encoding).decode(bytes));
}

/** Dotfiles and macOS resource forks inside archives are not inputs. */
export function isHidden(entryPath: string): boolean {
  return entryPath.split('/').some((part) => part.startsWith('.') || part === '__MACOSX');
}

function fileIssue(
  file: string,
  code: Issue['code'],
  msg: string,
  severity: Issue['severity'] = 'error',
): ReadBatch {
  return { file, events: [], issues: [makeIssue(code, msg, { file }, severity)] };
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
