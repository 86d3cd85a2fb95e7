/**
 * The auditd reader: `type=… msg=audit(secs.ms:serial): key=value …` records (raw or enriched),
 * hex-encoded values decoded, and the records of one serial (SYSCALL, EXECVE, CWD, PATH,
 * PROCTITLE…) joined into one event.
 */
import type { Fields, Issue, LogSource, ReadBatch, Scalar } from '../core/index.ts';
import type { ReadContext } from './context.ts';
import { addField } from './json/flatten.ts';
import { splitLines } from './lines.ts';
import { Batcher, MAX_FIELD_CHARS, limitFields, makeIssue } from './record.ts';
import { syscallName } from './syscalls.ts';

/** A record's header; the type's characters are spelled out so that no input makes this regex backtrack far. */
const RECORD = /(?:^|\s)(?:node=(\S+) )?type=([\w[\]-]+) msg=audit\((\d+)\.(\d+):(\d+)\): ?/;

/** Fields auditd writes hex-encoded (unquoted) when the text holds spaces, quotes or control bytes. */
const ENCODED = new Set([
  'proctitle',
  'exe',
  'comm',
  'name',
  'cwd',
  'key',
  'cmd',
  'acct',
  'path',
  'data',
  'dir',
  'ocomm',
  'watch',
  'file',
  'new-disk',
  'old-disk',
  'new-chardev',
  'old-chardev',
  'new-fs',
  'old-fs',
]);
const HEX = /^(?:[0-9A-F]{2})+$/;
const EXECVE_ARG = /^a(\d+)(?:\[(\d+)\])?$/;
/** Lines an event may wait for later records of its serial before it is emitted anyway. */
const WINDOW = 64;
/** Records one event may gather; a serial that keeps repeating beyond this starts a new event. */
const MAX_RECORDS = 256;

/** Shared by every event (sources are read-only). */
const AUDITD: LogSource = Object.freeze({ product: 'linux', service: 'auditd' });

/** True when `text` holds an audit record (used by format detection). */
export function looksLikeAuditd(text: string): boolean {
  return RECORD.test(text);
}

interface Pending {
  readonly serial: string;
  readonly ts: number;
  readonly line: number;
  readonly offset: number;
  readonly types: string[];
  readonly fields: Fields;
  /** EXECVE arguments split into `aN[i]` pieces, joined when the event is emitted. */
  readonly pieces: Map<number, string[]>;
  lastLine: number;
  records: number;
}

export function* readAuditd(bytes: Uint8Array, ctx: ReadContext): Generator<ReadBatch> {
  const out = new Batcher(ctx.file);
  const pending = new Map<string, Pending>();
  const emit = (p: Pending): void => {
    pending.delete(p.serial);
    const issues: Issue[] = [];
    const fields = finish(p);
    limitFields(fields, { file: ctx.file, line: p.line, offset: p.offset }, issues);
    out.event({
      ts: p.ts,
      tenant: ctx.tenant,
      source: AUDITD,
      fields,
      origin: { file: ctx.file, format: 'auditd', recordId: p.line, offset: p.offset },
    });
    for (const i of issues) out.issue(i);
  };

  for (const { text, line, offset, cutFrom } of splitLines(bytes)) {
    if (text.trim() === '') continue;
    const at = { file: ctx.file, line, offset };
    const m = RECORD.exec(text);
    if (!m) {
      out.issue(makeIssue('READ_BAD_LINE', 'not an audit record; skipped', at));
    } else {
      if (cutFrom !== undefined) {
        out.issue(
          makeIssue(
            'READ_FIELD_TOO_LARGE',
            `record has ${String(cutFrom)} bytes; kept the first ${String(MAX_FIELD_CHARS)}`,
            at,
            'warning',
          ),
        );
      }
      const [, node, type = '', secs = '0', millis = '0', serialNo = '0'] = m;
      const serial = `${secs}.${millis}:${serialNo}`;
      if (type === 'EOE') {
        const p = pending.get(serial);
        if (p) emit(p);
      } else {
        let p = pending.get(serial);
        if (p !== undefined && p.records >= MAX_RECORDS) {
          emit(p);
          p = undefined;
        }
        if (p === undefined) {
          p = {
            serial,
            ts: Number(secs) * 1000 + Number(millis.slice(0, 3).padEnd(3, '0')),
            line,
            offset,
            types: [],
            fields: {},
            pieces: new Map(),
            lastLine: line,
            records: 0,
          };
          if (node !== undefined) p.fields['node'] = node;
          pending.set(serial, p);
        }
        p.lastLine = line;
        p.records++;
        if (!p.types.includes(type)) p.types.push(type);
        addRecord(p, type, text.slice(m.index + m[0].length));
      }
    }
    for (const p of pending.values()) {
      if (p.lastLine >= line - WINDOW) break;
      emit(p);
    }
    if (out.full) yield out.take();
  }
  for (const p of [...pending.values()]) emit(p);
  yield* out.rest();
}

/** Adds one record's key=value pairs (including the enriched part after \x1d and a nested `msg='…'`). */
function addRecord(p: Pending, type: string, body: string): void {
  for (const [key, value, quoted] of pairs(body)) {
    if (key === 'msg' && quoted) {
      // userspace records carry their details inside msg='…'
      for (const [k, v, q] of pairs(value)) put(p, type, k, v, q);
      continue;
    }
    put(p, type, key, value, quoted);
  }
}

function put(p: Pending, type: string, key: string, raw: string, quoted: boolean): void {
  if (type === 'EXECVE') {
    const arg = EXECVE_ARG.exec(key);
    if (arg) {
      const text = quoted ? raw : decodeHex(raw, false);
      if (arg[2] === undefined) {
        addField(p.fields, key, text);
      } else {
        const n = Number(arg[1]);
        const list = p.pieces.get(n) ?? [];
        list[Number(arg[2])] = text;
        p.pieces.set(n, list);
      }
      return;
    }
    if (/^a\d+_len$/.test(key)) return;
  }
  let value: Scalar | Scalar[] = raw;
  if (!quoted && ENCODED.has(key) && HEX.test(raw)) {
    value = decodeHex(raw, key !== 'key');
    if (key === 'key' && value.includes('\x01')) value = value.split('\x01');
  }
  addField(p.fields, key, value);
}

function finish(p: Pending): Fields {
  const f = p.fields;
  for (const [n, list] of p.pieces) addField(f, `a${String(n)}`, list.join(''));
  const first = p.types[0] ?? '';
  f['type'] = p.types.length === 1 ? first : p.types;
  if (
    f['SYSCALL'] === undefined &&
    typeof f['arch'] === 'string' &&
    typeof f['syscall'] === 'string'
  ) {
    const name = syscallName(f['arch'], Number(f['syscall']));
    if (name !== undefined) f['SYSCALL'] = name;
  }
  return f;
}

/**
 * Splits `k=v k="v w" k='v w'` into [key, value, quoted]. The enriched part of a record, after
 * the \x1d separator, is read the same way (its keys are upper case: `SYSCALL`, `AUID`, `UID`…).
 */
function* pairs(body: string): Generator<[string, string, boolean]> {
  const n = body.length;
  let i = 0;
  while (i < n) {
    while (i < n && (body[i] === ' ' || body[i] === '\x1d')) i++;
    const eq = body.indexOf('=', i);
    if (eq === -1) return;
    const space = body.indexOf(' ', i);
    if (space !== -1 && space < eq) {
      // a bare word without a value
      i = space + 1;
      continue;
    }
    const key = body.slice(i, eq);
    const q = body[eq + 1];
    if (q === '"' || q === "'") {
      let close = body.indexOf(q, eq + 2);
      if (close === -1) close = n;
      yield [key, body.slice(eq + 2, close), true];
      i = close + 1;
    } else {
      let end = eq + 1;
      while (end < n && body[end] !== ' ' && body[end] !== '\x1d') end++;
      yield [key, body.slice(eq + 1, end), false];
      i = end;
    }
  }
}

const utf8 = new TextDecoder('utf-8');

/** Decodes hex text; NUL bytes (argument separators in proctitle) become spaces when `nulToSpace`. */
function decodeHex(hex: string, nulToSpace: boolean): string {
  if (!HEX.test(hex)) return hex;
  const bytes = new Uint8Array(hex.length / 2);
  for (let i = 0; i < bytes.length; i++) {
    const b = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
    bytes[i] = nulToSpace && b === 0 ? 32 : b;
  }
  const text = utf8.decode(bytes);
  return nulToSpace ? text.replace(/ +$/, '') : text;
}
