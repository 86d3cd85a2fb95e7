/**
 * The syslog reader: RFC 3164 (BSD, `Mmm dd hh:mm:ss host prog[pid]: msg`, also with an ISO
 * timestamp as rsyslog writes it) and RFC 5424 lines, with or without `<PRI>`, as in
 * /var/log/syslog, /var/log/auth.log, /var/log/secure.
 */
import type { Fields, LogSource, ReadBatch } from '../core/index.ts';
import type { ReadContext } from './context.ts';
import { splitLines } from './lines.ts';
import { Batcher, MAX_FIELD_CHARS, makeIssue } from './record.ts';
import { parseIsoTime } from './time.ts';
import { windowsXmlFields } from './winxml.ts';

export const FACILITIES = [
  'kern',
  'user',
  'mail',
  'daemon',
  'auth',
  'syslog',
  'lpr',
  'news',
  'uucp',
  'cron',
  'authpriv',
  'ftp',
  'ntp',
  'security',
  'console',
  'solaris-cron',
  'local0',
  'local1',
  'local2',
  'local3',
  'local4',
  'local5',
  'local6',
  'local7',
];
export const SEVERITIES = ['emerg', 'alert', 'crit', 'err', 'warning', 'notice', 'info', 'debug'];
const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];

/** Programs whose lines belong to SigmaHQ's `linux/auth` logsource wherever they are written. */
const AUTH_PROGRAMS = new Set([
  'sshd',
  'sshd-session',
  'sudo',
  'su',
  'login',
  'systemd-logind',
  'useradd',
  'userdel',
  'usermod',
  'groupadd',
  'groupdel',
  'groupmod',
  'passwd',
  'chpasswd',
  'chage',
  'gpasswd',
  'newgrp',
  'polkitd',
  'pkexec',
  'doas',
  'unix_chkpwd',
  'gdm-password',
  'lightdm',
  'dropbear',
  'vsftpd',
  'in.telnetd',
]);

/** File names that are an auth log as a whole: auth.log, secure, with rotation suffixes. */
const AUTH_FILE = /(^|[/!])(auth\.log|secure)([.-]\d+)?(\.gz)?$/i;

const PRI = /^<(\d{1,3})>/;
const RFC5424 = /^1 (\S+) (\S+) (\S+) (\S+) (\S+) ?(.*)$/s;
const BSD_TIME =
  /^([A-Za-z]{3}) {1,2}(\d{1,2}) (\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?(?: (\d{4}))? /;
const ISO_TIME = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})?) /;
const TAG = /^([^\s[\]:]+)(?:\[(\d+)\])?: ?/;
/** vsftpd's own log (vsftpd.log): `Wed Jul 27 18:32:27 2016 [pid 2] CONNECT: Client "10.1.2.3"`. */
const VSFTPD =
  /^[A-Z][a-z]{2} ([A-Z][a-z]{2}) {1,2}(\d{1,2}) (\d{2}):(\d{2}):(\d{2}) (\d{4}) \[pid (\d+)\] /;

/** A parsed line, before the event is built. */
export interface Parsed {
  readonly fields: Fields;
  readonly ts: number;
  readonly ok: boolean;
}

/** True when `text` starts like a syslog line (used by format detection). */
export function looksLikeSyslog(text: string): boolean {
  let s = text.trimStart();
  const pri = PRI.exec(s);
  if (pri) s = s.slice(pri[0].length);
  if (RFC5424.test(s) && ISO_TIME.test(s.slice(2))) return true;
  return BSD_TIME.test(s) || ISO_TIME.test(s) || VSFTPD.test(s);
}

export function* readSyslog(bytes: Uint8Array, ctx: ReadContext): Generator<ReadBatch> {
  const out = new Batcher(ctx.file);
  const ref = ctx.referenceTime ?? Date.now();
  const authFile = AUTH_FILE.test(ctx.file);
  for (const { text, line, offset, cutFrom } of splitLines(bytes)) {
    if (text.trim() === '') continue;
    const at = { file: ctx.file, line, offset };
    const parsed = withEventXml(parseSyslogLine(text, ref));
    if (!parsed.ok) {
      out.issue(
        makeIssue('READ_BAD_LINE', 'not a syslog line; kept as message only', at, 'warning'),
      );
    }
    if (cutFrom !== undefined) {
      out.issue(
        makeIssue(
          'READ_FIELD_TOO_LARGE',
          `line has ${String(cutFrom)} bytes; kept the first ${String(MAX_FIELD_CHARS)}`,
          { ...at, path: 'message' },
          'warning',
        ),
      );
    }
    out.event({
      ts: parsed.ts,
      tenant: ctx.tenant,
      source: sourceOf(parsed.fields, authFile, isVsftpdLog(text)),
      fields: parsed.fields,
      origin: { file: ctx.file, format: 'syslog', recordId: line, offset },
    });
    if (out.full) yield out.take();
  }
  yield* out.rest();
}

/** A line of vsftpd's own log file (its source is linux/vsftpd, not syslog). */
function isVsftpdLog(line: string): boolean {
  return VSFTPD.test(line.trimStart());
}

/**
 * Sysmon for Linux logs each event as `<Event>…</Event>` XML in the message: its System and
 * EventData fields are added (`EventID`, `Channel: Linux-Sysmon/Operational`, `Image`,
 * `CommandLine`…) so SigmaHQ's linux process_creation and network_connection rules apply, and its
 * `TimeCreated` (which has a year) gives the time.
 */
export function withEventXml(parsed: Parsed): Parsed {
  const message = parsed.fields['message'];
  if (typeof message !== 'string' || !message.startsWith('<Event')) return parsed;
  const xml = windowsXmlFields(message);
  if (xml === undefined) return parsed;
  const fields: Fields = { ...parsed.fields };
  for (const key in xml) {
    const v = xml[key];
    if (v !== undefined && fields[key] === undefined) fields[key] = v;
  }
  const ts = parseIsoTime(String(xml['TimeCreated_SystemTime'] ?? ''));
  return { fields, ts: Number.isNaN(ts) ? parsed.ts : ts, ok: parsed.ok };
}

/** `linux/auth` for auth files and auth programs, `linux/syslog` for the rest. */
export function sourceOf(fields: Fields, authFile: boolean, vsftpdFile = false): LogSource {
  const program = fields['program'];
  const message = fields['message'];
  const auth =
    authFile ||
    fields['facility'] === 'auth' ||
    fields['facility'] === 'authpriv' ||
    (typeof program === 'string' && AUTH_PROGRAMS.has(program.toLowerCase())) ||
    (typeof message === 'string' && message.startsWith('pam_'));
  if (vsftpdFile) return LINUX_VSFTPD;
  return auth ? LINUX_AUTH : LINUX_SYSLOG;
}

/** Shared by every event (sources are read-only). */
const LINUX_AUTH: LogSource = Object.freeze({ product: 'linux', service: 'auth' });
const LINUX_SYSLOG: LogSource = Object.freeze({ product: 'linux', service: 'syslog' });
const LINUX_VSFTPD: LogSource = Object.freeze({ product: 'linux', service: 'vsftpd' });

/**
 * Parses one line. `ref` (ms) decides the year of BSD timestamps, which carry none: the latest
 * year that does not put the line more than two days after `ref`. Times without a zone are UTC.
 */
export function parseSyslogLine(line: string, ref: number): Parsed {
  const fields: Fields = {};
  let s = line.trimStart();
  const pri = PRI.exec(s);
  if (pri) {
    const value = Number(pri[1]);
    const facility = FACILITIES[value >> 3];
    const severity = SEVERITIES[value & 7];
    if (facility !== undefined) fields['facility'] = facility;
    if (severity !== undefined) fields['severity'] = severity;
    s = s.slice(pri[0].length);
  }
  const v5 = RFC5424.exec(s);
  if (v5) {
    const ts = parseIsoTime(v5[1] ?? '');
    if (!Number.isNaN(ts) || v5[1] === '-') return rfc5424(fields, v5, ts);
  }
  const vsftpd = VSFTPD.exec(s);
  if (vsftpd) {
    const [, mon = '', day, h, mi, sec, year, pid] = vsftpd;
    fields['program'] = 'vsftpd';
    fields['pid'] = Number(pid);
    fields['message'] = s.slice(vsftpd[0].length);
    const month = MONTHS.indexOf(mon.toLowerCase());
    const ts = Date.UTC(Number(year), month, Number(day), Number(h), Number(mi), Number(sec));
    return { fields, ts: month === -1 ? NaN : ts, ok: month !== -1 };
  }
  let ts = NaN;
  const bsd = BSD_TIME.exec(s);
  if (bsd) {
    ts = bsdTime(bsd, ref);
    s = s.slice(bsd[0].length);
  } else {
    const iso = ISO_TIME.exec(s);
    if (iso) {
      ts = parseIsoTime(iso[1] ?? '');
      s = s.slice(iso[0].length);
    }
  }
  if (Number.isNaN(ts)) {
    fields['message'] = line;
    return { fields, ts, ok: false };
  }
  let tag = TAG.exec(s);
  if (!tag) {
    const space = s.indexOf(' ');
    const host = space === -1 ? s : s.slice(0, space);
    if (host !== '') fields['host'] = host;
    s = space === -1 ? '' : s.slice(space + 1);
    tag = TAG.exec(s);
  }
  if (tag) {
    const name = tag[1] ?? '';
    // old PAM style `sshd(pam_unix)[42]:` — the program is sshd; the tag is kept as written
    const paren = name.indexOf('(');
    fields['program'] = paren > 0 ? name.slice(0, paren) : name;
    if (paren > 0) fields['tag'] = name;
    if (tag[2] !== undefined) fields['pid'] = Number(tag[2]);
    s = s.slice(tag[0].length);
  }
  fields['message'] = s.trimStart();
  return { fields, ts, ok: true };
}

function bsdTime(m: RegExpExecArray, ref: number): number {
  const month = MONTHS.indexOf((m[1] ?? '').toLowerCase());
  if (month === -1) return NaN;
  const day = Number(m[2]);
  const ms = m[6] === undefined ? 0 : Number(m[6].slice(0, 3).padEnd(3, '0'));
  const at = (year: number): number =>
    Date.UTC(year, month, day, Number(m[3]), Number(m[4]), Number(m[5]), ms);
  if (m[7] !== undefined) return at(Number(m[7]));
  const year = new Date(ref).getUTCFullYear();
  const t = at(year);
  return t > ref + 2 * 86_400_000 ? at(year - 1) : t;
}

function rfc5424(fields: Fields, m: RegExpExecArray, ts: number): Parsed {
  const [, , host = '-', app = '-', procid = '-', msgid = '-', rest = ''] = m;
  if (host !== '-') fields['host'] = host;
  if (app !== '-') fields['program'] = app;
  if (procid !== '-') fields['pid'] = /^\d+$/.test(procid) ? Number(procid) : procid;
  if (msgid !== '-') fields['msgid'] = msgid;
  let msg = rest;
  if (msg.startsWith('-')) msg = msg.slice(1);
  else if (msg.startsWith('[')) msg = structuredData(fields, msg);
  msg = msg.startsWith(' ') ? msg.slice(1) : msg;
  if (msg.startsWith('\uFEFF')) msg = msg.slice(1);
  fields['message'] = msg;
  return { fields, ts, ok: true };
}

/** Reads `[id k="v" …][id2 …]` into `sd.<id>.<k>` fields; returns what follows it. */
function structuredData(fields: Fields, text: string): string {
  let i = 0;
  while (text[i] === '[') {
    const idEnd = text.slice(i + 1).search(/[ \]]/);
    if (idEnd === -1) return text.slice(i);
    const id = text.slice(i + 1, i + 1 + idEnd);
    i += 1 + idEnd;
    for (;;) {
      while (text[i] === ' ') i++;
      if (text[i] === ']') {
        i++;
        break;
      }
      const eq = text.indexOf('="', i);
      if (eq === -1) return text.slice(i);
      const name = text.slice(i, eq);
      let j = eq + 2;
      let value = '';
      while (j < text.length && text[j] !== '"') {
        if (text[j] === '\\' && j + 1 < text.length) j++;
        value += text[j] ?? '';
        j++;
      }
      fields[`sd.${id}.${name}`] = value;
      i = j + 1;
    }
  }
  return text.slice(i);
}
