/** Decides what an input holds from its first bytes (magic numbers, then the shape of its first lines). */
import { looksLikeAuditd } from './auditd.ts';
import { looksLikeExchangeLog } from './exchange.ts';
import { bomLength } from './lines.ts';
import { looksLikeSyslog } from './syslog.ts';
import { looksLikeWindowsXml } from './winxml.ts';

/** A reader's format, or a container to open first. */
export type DetectedFormat =
  'evtx' | 'zip' | 'gzip' | 'json' | 'xml' | 'zeek' | 'auditd' | 'syslog' | 'exchange';

const EVTX_MAGIC = [0x45, 0x6c, 0x66, 0x46, 0x69, 0x6c, 0x65, 0x00]; // "ElfFile\0"
const SNIFF_BYTES = 16 * 1024;
const SNIFF_LINES = 20;

function startsWith(bytes: Uint8Array, magic: readonly number[]): boolean {
  return magic.every((b, i) => bytes[i] === b);
}

/**
 * The format of `bytes`, or undefined when nothing matches. Text formats are judged on the first
 * non-empty lines: auditd when most hold an audit record, syslog when most start with a syslog
 * header (audit records forwarded through syslog among ordinary lines stay syslog). `name` only breaks ties for text that matches nothing (`*.json`, `audit.log`, …).
 */
export function detectFormat(bytes: Uint8Array, name = ''): DetectedFormat | undefined {
  if (startsWith(bytes, EVTX_MAGIC)) return 'evtx';
  if (startsWith(bytes, [0x50, 0x4b, 0x03, 0x04]) || startsWith(bytes, [0x50, 0x4b, 0x05, 0x06])) {
    return 'zip';
  }
  if (startsWith(bytes, [0x1f, 0x8b])) return 'gzip';
  let i = bomLength(bytes);
  while (
    i < bytes.length &&
    (bytes[i] === 32 || bytes[i] === 9 || bytes[i] === 10 || bytes[i] === 13)
  )
    i++;
  if (looksLikeJson(bytes, i)) return 'json';
  const head = bytes.subarray(i, Math.min(bytes.length, i + SNIFF_BYTES));
  if (head.includes(0)) return undefined; // binary
  const text = new TextDecoder('utf-8').decode(head);
  if (text.startsWith('#separator')) return 'zeek';
  if (looksLikeExchangeLog(text)) return 'exchange';
  if (looksLikeWindowsXml(text)) return 'xml';
  const lines = text
    .split('\n')
    .slice(0, SNIFF_LINES)
    .filter((l) => l.trim() !== '' && !l.startsWith('#'));
  if (lines.filter(looksLikeAuditd).length * 2 > lines.length) return 'auditd';
  const syslog = lines.filter(looksLikeSyslog).length;
  if (lines.length > 0 && syslog * 2 > lines.length) return 'syslog';
  return formatFromName(name);
}

/**
 * True when the text at `i` opens a JSON object or array: `{` followed by `"` or `}`, `[` followed
 * by a JSON value or `]`. Bracketed log lines (`[Thu Dec 15 …] [error]`) are not JSON.
 */
function looksLikeJson(bytes: Uint8Array, i: number): boolean {
  const first = bytes[i];
  if (first !== 0x7b && first !== 0x5b) return false;
  let j = i + 1;
  while (
    j < bytes.length &&
    (bytes[j] === 32 || bytes[j] === 9 || bytes[j] === 10 || bytes[j] === 13)
  )
    j++;
  if (j >= bytes.length) return true;
  const next = bytes[j] ?? 0;
  if (first === 0x7b) return next === 0x22 || next === 0x7d;
  if (next === 0x7b || next === 0x5b || next === 0x22 || next === 0x5d || next === 0x2d)
    return true;
  if (next >= 0x30 && next <= 0x39) return true;
  const word = new TextDecoder().decode(bytes.subarray(j, j + 5));
  return /^(true|false|null)\b/.test(word);
}

/** The format a file name suggests, if any. */
export function formatFromName(name: string): DetectedFormat | undefined {
  const base = (
    name
      .slice(name.lastIndexOf('/') + 1)
      .split('!')
      .pop() ?? ''
  ).toLowerCase();
  if (base.endsWith('.evtx')) return 'evtx';
  if (/\.(json|jsonl|ndjson)(\.gz)?$/.test(base)) return 'json';
  if (/\.xml(\.gz)?$/.test(base)) return 'xml';
  if (/^audit\.log/.test(base)) return 'auditd';
  if (/^(syslog|messages|auth\.log|secure|kern\.log)/.test(base)) return 'syslog';
  return undefined;
}
