/** Turns an instantiated record tree into the flat fields Sigma rules name (`EventID`, `Image`, …). */
import type { FieldValue, Fields } from '../../core/index.ts';
import { BinXmlError, Nested, NO_VALUES } from './binxml.ts';
import type { AttrNode, ElementNode, Value, XNode } from './binxml.ts';
import type { Scalar } from './values.ts';

type Part = Scalar | readonly Scalar[];
type MutableFields = Record<string, FieldValue>;

/** An element's content once substitutions are resolved: child elements and text parts. */
class Content {
  readonly els: ElementNode[] = [];
  readonly subs: (readonly Value[])[] = [];
  readonly parts: Part[] = [];
}

function resolveNodes(nodes: readonly XNode[], c: Content): void {
  for (const n of nodes) {
    if (n.k === 0) {
      c.els.push(n);
      c.subs.push(NO_VALUES);
    } else if (n.k === 1) {
      if (n.text !== '') c.parts.push(n.text);
    } else if (n.k === 3) {
      c.els.push(n.root);
      c.subs.push(n.subs);
    }
  }
}

/** Content of an element without substitutions or instances among its children. */
function pureContent(el: ElementNode, subs: readonly Value[]): Content {
  const c = new Content();
  for (const ch of el.children) {
    if (ch.k === 0) {
      c.els.push(ch);
      c.subs.push(subs);
    } else if (ch.k === 1 && ch.text !== '') c.parts.push(ch.text);
  }
  return c;
}

function resolve(el: ElementNode, subs: readonly Value[]): Content {
  const c = new Content();
  for (const ch of el.children) {
    switch (ch.k) {
      case 0:
        c.els.push(ch);
        c.subs.push(subs);
        break;
      case 1:
        if (ch.text !== '') c.parts.push(ch.text);
        break;
      case 2: {
        const v = subs[ch.index];
        if (v === null || v === undefined) break;
        if (v instanceof Nested) resolveNodes(v.nodes, c);
        else c.parts.push(v);
        break;
      }
      case 3:
        c.els.push(ch.root);
        c.subs.push(ch.subs);
        break;
    }
  }
  return c;
}

function join(parts: readonly Part[]): Part | null {
  if (parts.length === 0) return null;
  if (parts.length === 1) return parts[0] ?? null;
  let s = '';
  for (const p of parts) s += Array.isArray(p) ? p.join(',') : String(p);
  return s;
}

function attrValue(a: AttrNode, subs: readonly Value[]): Part | null {
  const parts = a.parts;
  if (parts.length === 1) {
    const p = parts[0];
    if (p === undefined) return null;
    if (p.k === 1) return p.text === '' ? null : p.text;
    const v = subs[p.index];
    return v === undefined || v instanceof Nested ? null : v;
  }
  let s = '';
  for (const p of parts) {
    if (p.k === 1) s += p.text;
    else {
      const v = subs[p.index];
      if (v === null || v === undefined || v instanceof Nested) continue;
      s += Array.isArray(v) ? v.join(',') : String(v);
    }
  }
  return s === '' ? null : s;
}

function add(f: MutableFields, key: string, v: Part): void {
  const old = f[key];
  if (old === undefined) f[key] = v;
  else addRepeat(f, key, old, v);
}

/**
 * Names the System element sets. A data field with one of these names (UserData `EventID` of an
 * event-processing failure, `Channel` of a log-cleared event) goes under `<Section>.<name>`
 * instead, so that System values stay single and routable.
 */
const SYSTEM_KEYS = new Set([
  'Provider_Name',
  'Provider_Guid',
  'Provider_EventSourceName',
  'EventID',
  'EventID_Qualifiers',
  'Version',
  'Level',
  'Task',
  'Opcode',
  'Keywords',
  'TimeCreated_SystemTime',
  'EventRecordID',
  'Correlation_ActivityID',
  'Correlation_RelatedActivityID',
  'Execution_ProcessID',
  'Execution_ThreadID',
  'Channel',
  'Computer',
  'Security_UserID',
]);

/** The data section being flattened (`EventData`, `UserData`), or null inside System. */
let dataSection: string | null = null;

/** A second value under one name: the field becomes a list. */
function addRepeat(f: MutableFields, key: string, old: FieldValue, v: Part): void {
  if (dataSection !== null && SYSTEM_KEYS.has(key)) {
    add(f, `${dataSection}.${key}`, v);
    return;
  }
  if (Array.isArray(old) && ownLists.has(old)) {
    const list = old as (Scalar | null)[];
    if (Array.isArray(v)) for (const x of v as readonly Scalar[]) list.push(x);
    else list.push(v as Scalar);
    return;
  }
  const first: readonly (Scalar | null)[] = Array.isArray(old) ? old : [old as Scalar | null];
  const list = first.concat(v);
  ownLists.add(list);
  f[key] = list;
}

/** Lists this module made for repeated names, which it may extend in place. */
const ownLists = new WeakSet<readonly unknown[]>();

/**
 * Elements one record may expand to. Templates can nest instances of other templates, so a small
 * record could otherwise expand exponentially.
 */
const ELEMENT_BUDGET = 50_000;
let budget = ELEMENT_BUDGET;

function spend(): void {
  if (--budget < 0) throw new BinXmlError(`record expands to more than ${ELEMENT_BUDGET} elements`);
}

/** Attribute keys are `Element_Attribute`; the concatenation is remembered per attribute. */
const attrKeys = new WeakMap<AttrNode, { key: string; full: string }>();

function emitAttrs(f: MutableFields, el: ElementNode, subs: readonly Value[], key: string): void {
  for (const a of el.attrs) {
    if (a.name === 'xmlns' || a.name.startsWith('xmlns:')) continue;
    const v = attrValue(a, subs);
    if (v === null || v === '') continue;
    let k = attrKeys.get(a);
    if (k?.key !== key) {
      k = { key, full: key + '_' + a.name };
      attrKeys.set(a, k);
    }
    add(f, k.full, v);
  }
}

/** Any element outside the data containers: text under its own name, attributes as `Name_Attr`. */
function emitGeneric(
  f: MutableFields,
  el: ElementNode,
  subs: readonly Value[],
  key: string,
  prefix: string,
): void {
  spend();
  if (el.attrs.length > 0) emitAttrs(f, el, subs, key);
  const ch = el.children;
  if (!el.hasElement) {
    if (!el.hasDynamic) {
      if (ch.length === 0) return;
      const only = ch[0];
      if (ch.length === 1 && only?.k === 1) {
        if (only.text !== '') add(f, key, only.text);
        return;
      }
    } else if (ch.length === 1) {
      const only = ch[0];
      if (only?.k === 2) {
        const v = subs[only.index];
        if (!(v instanceof Nested)) {
          if (v !== null && v !== undefined && v !== '') add(f, key, v);
          return;
        }
      }
    }
  }
  if (!el.hasDynamic) {
    // Only elements and literal text: walk the template's own children, no resolving needed.
    let text = '';
    for (const n of ch) {
      if (n.k === 0) emitGeneric(f, n, subs, prefix === '' ? n.name : prefix + n.name, prefix);
      else if (n.k === 1) text += n.text;
    }
    if (text !== '') add(f, key, text);
    return;
  }
  const c = resolve(el, subs);
  for (let i = 0; i < c.els.length; i++) {
    const child = c.els[i] as ElementNode;
    emitGeneric(f, child, c.subs[i] ?? NO_VALUES, prefix + child.name, prefix);
  }
  const v = join(c.parts);
  if (v !== null && v !== '') add(f, key, v);
}

function nameOf(el: ElementNode, subs: readonly Value[]): string | null {
  for (const a of el.attrs) {
    if (a.name !== 'Name') continue;
    const v = attrValue(a, subs);
    return v === null ? null : Array.isArray(v) ? v.join(',') : String(v);
  }
  return null;
}

/** The value of one `<Data>`: `""` when empty; child elements are emitted under their own names. */
function dataValue(
  f: MutableFields,
  el: ElementNode,
  subs: readonly Value[],
  prefix: string,
): Part | undefined {
  spend();
  const ch = el.children;
  if (!el.hasElement && ch.length <= 1) {
    const only = ch[0];
    if (only === undefined) return '';
    if (only.k === 1) return only.text;
    if (only.k === 2) {
      const v = subs[only.index];
      if (!(v instanceof Nested)) return v ?? '';
    }
  }
  const c = resolve(el, subs);
  for (let i = 0; i < c.els.length; i++) {
    const child = c.els[i] as ElementNode;
    emitGeneric(f, child, c.subs[i] ?? NO_VALUES, prefix + child.name, prefix);
  }
  const v = join(c.parts);
  if (c.els.length > 0) return v ?? undefined;
  return v ?? '';
}

/** `EventData` / `UserData`: named `<Data Name="X">` become `X`, unnamed ones `Data`. */
function emitContainer(
  f: MutableFields,
  el: ElementNode,
  subs: readonly Value[],
  key: string,
  prefix: string,
): void {
  spend();
  if (el.attrs.length > 0) emitAttrs(f, el, subs, key);
  const c = el.hasDynamic ? resolve(el, subs) : pureContent(el, subs);
  const text = join(c.parts);
  if (text !== null && text !== '') add(f, key, text);
  const els = c.els;
  let named = false;
  for (let i = 0; i < els.length; i++) {
    const d = els[i] as ElementNode;
    if (d.name !== 'Data') continue;
    const n = nameOf(d, c.subs[i] ?? NO_VALUES);
    if (n !== null && n !== '') {
      named = true;
      break;
    }
  }
  let positional: Scalar[] | null = null;
  for (let i = 0; i < els.length; i++) {
    const d = els[i] as ElementNode;
    const s = c.subs[i] ?? NO_VALUES;
    if (d.name !== 'Data') {
      emitGeneric(f, d, s, prefix + d.name, prefix);
      continue;
    }
    if (named) {
      const n = nameOf(d, s);
      if (n === null || n === '') continue;
      const v = dataValue(f, d, s, prefix);
      if (v !== undefined) add(f, prefix + n, v);
    } else {
      const v = dataValue(f, d, s, prefix);
      if (v === undefined) continue;
      positional ??= [];
      if (Array.isArray(v)) for (const x of v as readonly Scalar[]) positional.push(x);
      else positional.push(v as Scalar);
    }
  }
  if (positional !== null && positional.length > 0) {
    add(f, prefix + 'Data', positional.length === 1 ? (positional[0] as Scalar) : positional);
  }
}

/** System fields that are numbers even when a forwarding collector wrote them as text. */
const NUMERIC_SYSTEM = [
  'EventID',
  'EventID_Qualifiers',
  'Version',
  'Level',
  'Task',
  'Opcode',
  'EventRecordID',
  'Execution_ProcessID',
  'Execution_ThreadID',
] as const;

const DIGITS = /^\d{1,15}$/;

/** The record's root element (the first element or template instance) with its values. */
function rootOf(nodes: readonly XNode[]): { el: ElementNode; subs: readonly Value[] } | null {
  for (const n of nodes) {
    if (n.k === 0) return { el: n, subs: NO_VALUES };
    if (n.k === 3) return { el: n.root, subs: n.subs };
  }
  return null;
}

/** Flat fields of one record, or `null` when the BinXML holds no element. */
export function flattenRecord(nodes: readonly XNode[]): Fields | null {
  const root = rootOf(nodes);
  if (root === null) return null;
  const f: MutableFields = {};
  dataSection = null;
  budget = ELEMENT_BUDGET;
  const c = resolve(root.el, root.subs);
  for (let i = 0; i < c.els.length; i++) {
    const el = c.els[i] as ElementNode;
    const s = c.subs[i] ?? NO_VALUES;
    if (el.name === 'System') {
      dataSection = null;
      emitGeneric(f, el, s, 'System', '');
      continue;
    }
    dataSection = el.name;
    if (el.name === 'EventData' || el.name === 'UserData') emitContainer(f, el, s, el.name, '');
    else emitGeneric(f, el, s, el.name, el.name + '.');
  }
  dataSection = null;
  for (const k of NUMERIC_SYSTEM) {
    const v = f[k];
    if (typeof v === 'string' && DIGITS.test(v)) f[k] = Number(v);
  }
  return f;
}

/** Milliseconds of an ISO `…Z` timestamp such as `TimeCreated_SystemTime`; NaN when absent. */
export function timeMs(v: FieldValue | undefined): number {
  if (typeof v !== 'string') return Number.NaN;
  return Date.parse(v);
}
