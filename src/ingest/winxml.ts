/**
 * Windows events given as XML (`<Event><System>…</System><EventData><Data Name="X">…`): one in a
 * syslog message as Sysmon for Linux writes it, or whole files from `wevtutil qe /f:xml`, Event
 * Viewer's "Save as XML" and PowerShell's `ToXml()`, read into the same fields the EVTX reader gives.
 */
import type { Fields, ReadBatch } from '../core/index.ts';
import type { ReadContext } from './context.ts';
import { flattenWindowsEvent } from './json/windows.ts';
import { bomLength, decodeUtf8 } from './lines.ts';
import { Batcher, limitFields, makeIssue } from './record.ts';
import { parseIsoTime } from './time.ts';

interface XmlElement {
  readonly name: string;
  readonly attrs: Record<string, string>;
  readonly children: XmlElement[];
  text: string;
}

const ENTITIES: Readonly<Record<string, string>> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
};

function decodeEntities(s: string): string {
  if (!s.includes('&')) return s;
  return s.replace(/&(#x[0-9a-fA-F]{1,6}|#\d{1,7}|amp|lt|gt|quot|apos);/g, (m, e: string) => {
    if (e.startsWith('#x')) return safeCodePoint(parseInt(e.slice(2), 16), m);
    if (e.startsWith('#')) return safeCodePoint(parseInt(e.slice(1), 10), m);
    return ENTITIES[e] ?? m;
  });
}

function safeCodePoint(n: number, fallback: string): string {
  return n <= 0x10ffff ? String.fromCodePoint(n) : fallback;
}

const NAME = /[\w:.-]/;

/**
 * Parses the first element of `xml` (a small, well-formed document; no DTDs). Returns undefined
 * when it is not well formed.
 */
export function parseXmlElement(xml: string): XmlElement | undefined {
  const stack: XmlElement[] = [];
  let i = 0;
  const n = xml.length;
  while (i < n) {
    const lt = xml.indexOf('<', i);
    const text = xml.slice(i, lt === -1 ? n : lt);
    const top = stack[stack.length - 1];
    if (top && text !== '') top.text += decodeEntities(text);
    if (lt === -1) break;
    if (xml.startsWith('<!--', lt)) {
      const end = xml.indexOf('-->', lt + 4);
      if (end === -1) return undefined;
      i = end + 3;
      continue;
    }
    if (xml.startsWith('<![CDATA[', lt)) {
      const end = xml.indexOf(']]>', lt + 9);
      if (end === -1) return undefined;
      if (top) top.text += xml.slice(lt + 9, end);
      i = end + 3;
      continue;
    }
    if (xml[lt + 1] === '?' || xml[lt + 1] === '!') {
      const end = xml.indexOf('>', lt);
      if (end === -1) return undefined;
      i = end + 1;
      continue;
    }
    if (xml[lt + 1] === '/') {
      const end = xml.indexOf('>', lt);
      if (end === -1) return undefined;
      const name = xml.slice(lt + 2, end).trim();
      const open = stack.pop();
      if (open?.name !== name) return undefined;
      if (stack.length === 0) return open;
      i = end + 1;
      continue;
    }
    // an opening tag: name, attributes, optional self-closing slash
    let j = lt + 1;
    while (j < n && NAME.test(xml[j] ?? '')) j++;
    const el: XmlElement = { name: xml.slice(lt + 1, j), attrs: {}, children: [], text: '' };
    if (el.name === '') return undefined;
    for (;;) {
      while (j < n && /\s/.test(xml[j] ?? '')) j++;
      const c = xml[j];
      if (c === undefined) return undefined;
      if (c === '>' || (c === '/' && xml[j + 1] === '>')) break;
      const start = j;
      while (j < n && NAME.test(xml[j] ?? '')) j++;
      const attr = xml.slice(start, j);
      while (j < n && /\s/.test(xml[j] ?? '')) j++;
      if (attr === '' || xml[j] !== '=') return undefined;
      j++;
      while (j < n && /\s/.test(xml[j] ?? '')) j++;
      const q = xml[j];
      if (q !== '"' && q !== "'") return undefined;
      const close = xml.indexOf(q, j + 1);
      if (close === -1) return undefined;
      el.attrs[attr] = decodeEntities(xml.slice(j + 1, close));
      j = close + 1;
    }
    const selfClosing = xml[j] === '/';
    i = j + (selfClosing ? 2 : 1);
    stack[stack.length - 1]?.children.push(el);
    if (selfClosing) {
      if (stack.length === 0) return el;
    } else {
      stack.push(el);
    }
  }
  return undefined;
}

/** An element in the evtx crate's JSON shape (`#attributes`, `#text`), which flattenWindowsEvent reads. */
function toCrateJson(el: XmlElement): unknown {
  const attrs = Object.keys(el.attrs).length > 0;
  const text = el.text.trim();
  if (!attrs && el.children.length === 0) return text === '' ? '' : el.text;
  const out: Record<string, unknown> = {};
  if (attrs) out['#attributes'] = el.attrs;
  for (const child of el.children) {
    const v = toCrateJson(child);
    const prev = out[child.name];
    out[child.name] =
      prev === undefined ? v : Array.isArray(prev) ? [...(prev as unknown[]), v] : [prev, v];
  }
  if (text !== '') out['#text'] = el.text;
  return out;
}

/** A Data value as written; only line breaks and indentation added by pretty-printing count as empty. */
function dataText(el: XmlElement): string {
  return el.text.includes('\n') && el.text.trim() === '' ? '' : el.text;
}

/** EventData / UserData: `<Data Name="X">v</Data>` → `X: v`, unnamed Data → `Data`. */
function dataJson(el: XmlElement): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const unnamed: string[] = [];
  for (const child of el.children) {
    const name = child.attrs['Name'];
    if (child.name === 'Data' && name !== undefined) out[name] = dataText(child);
    else if (child.name === 'Data') unnamed.push(dataText(child));
    else {
      const v = toCrateJson(child);
      if (v !== '') out[child.name] = v;
    }
  }
  if (unnamed.length > 0) out['Data'] = { '#text': unnamed.length === 1 ? unnamed[0] : unnamed };
  return out;
}

/** The flat fields of an `<Event>` XML document, or undefined when it is not one. */
export function windowsXmlFields(xml: string): Fields | undefined {
  const root = parseXmlElement(xml);
  if (root?.name !== 'Event') return undefined;
  const event: Record<string, unknown> = {};
  for (const section of root.children) {
    event[section.name] =
      section.name === 'EventData' || section.name === 'UserData'
        ? dataJson(section)
        : toCrateJson(section);
  }
  return flattenWindowsEvent(event);
}

/** True when the text at the start of `text` is Windows event XML (used by format detection). */
export function looksLikeWindowsXml(text: string): boolean {
  return /^(?:<\?xml[^>]*\?>\s*)?(?:<!--[\s\S]*?-->\s*)?<Events?[\s>]/.test(text);
}

const WINDOWS = Object.freeze({ product: 'windows' });

/** Reads every `<Event>…</Event>` of a file; one that does not parse is reported and skipped. */
export function* readWindowsXml(bytes: Uint8Array, ctx: ReadContext): Generator<ReadBatch> {
  const out = new Batcher(ctx.file);
  const text = decodeUtf8(bytes.subarray(bomLength(bytes)));
  const encoder = new TextEncoder();
  let line = 1;
  let offset = bomLength(bytes);
  let counted = 0;
  let from = 0;
  for (;;) {
    const start = nextEventStart(text, from);
    if (start === -1) break;
    // line and byte offset of `start`, counted incrementally
    const between = text.slice(counted, start);
    for (let i = between.indexOf('\n'); i !== -1; i = between.indexOf('\n', i + 1)) line++;
    offset += encoder.encode(between).length;
    counted = start;
    const at = { file: ctx.file, line, offset };
    const close = text.indexOf('</Event>', start);
    const end = close === -1 ? text.length : close + '</Event>'.length;
    const fields = close === -1 ? undefined : windowsXmlFields(text.slice(start, end));
    if (fields === undefined) {
      out.issue(makeIssue('READ_BAD_LINE', 'malformed <Event> XML skipped', at));
    } else {
      const issues: ReturnType<typeof makeIssue>[] = [];
      limitFields(fields, at, issues);
      for (const i of issues) out.issue(i);
      out.event({
        ts: parseIsoTime(String(fields['TimeCreated_SystemTime'] ?? '')),
        tenant: ctx.tenant,
        source: WINDOWS,
        fields,
        origin: { file: ctx.file, format: 'xml', recordId: line, offset },
      });
    }
    if (out.full) yield out.take();
    from = close === -1 ? start + 1 : end;
  }
  yield* out.rest();
}

/** Index of the next `<Event>` or `<Event …>` tag (not `<Events>`, not `<EventData>`), or -1. */
function nextEventStart(text: string, from: number): number {
  for (let i = text.indexOf('<Event', from); i !== -1; i = text.indexOf('<Event', i + 1)) {
    const c = text[i + 6];
    if (c === '>' || c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '/') return i;
  }
  return -1;
}
