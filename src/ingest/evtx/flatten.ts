/** Turns an instantiated record tree into the flat fields Sigma rules name (`EventID`, `Image`, …). */
import type { FieldValue, Fields } from '../../core/index.ts';
import { BinXmlError, Nested, NO_VALUES } from './binxml.ts';
import type { AttrNode, ElementNode, Value, XNode } from './binxml.ts';
import type { Scalar } from './values.ts';
import { FieldBuilder } from './fields.ts';

type Part = Scalar | readonly Scalar[];
type MutableFields = FieldBuilder;

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
  const old = f.get(key);
  if (old === undefined) f.set(key, v);
  else addRepeat(f, key, old, v);
}

/**
 * Names the System element sets. A data field with one of these names (UserData `EventID` of an
 * event-processing failure, `Channel` of a log-cleared event) goes under `<Section>.<name>`
 * instead, so that System values stay single and routable.
 */
export const SYSTEM_KEYS: ReadonlySet<string> = new Set([
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
  f.set(key, list);
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
export const NUMERIC_SYSTEM = [
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

/*
 * Compiled plans. Most sections of a template (System, EventData, UserData) have a fixed shape:
 * elements whose content is one literal or one substitution. Such a section is compiled once
 * per template into a flat list of steps with precomputed field names; a record then only runs
 * the steps over its values. Any shape a plan does not cover (mixed content, elements inside
 * Data, computed Data names) keeps the walk, and so does a record whose content substitution
 * holds a nested fragment.
 */

const S_SECTION = 0; // enter System (text '') or a data section (text = its name)
const S_ATTR = 1; // attribute `attr` → `key`, when not empty
const S_TEXT = 2; // literal text → `key` (skipped at compile time when empty)
const S_SUB = 3; // substitution `index` → `key`, when not empty
const S_DATA_TEXT = 4; // named <Data> literal → `key`, even when empty
const S_DATA_SUB = 5; // named <Data> substitution → `key`, "" when empty
const S_POS_TEXT = 6; // unnamed <Data> literal → the positional list
const S_POS_SUB = 7; // unnamed <Data> substitution → the positional list (arrays spread)
const S_POS_END = 8; // the positional list → `key`
const S_NESTED = 9; // a container's only child, a nested fragment: its elements under their names

interface Step {
  readonly s: number;
  readonly key: string;
  readonly index: number;
  readonly text: string;
  readonly attr: AttrNode | null;
}

interface Plan {
  readonly steps: readonly Step[];
  /** Substitutions in content position: a nested fragment there needs the walk. */
  readonly content: readonly number[];
  /** Elements the plan stands for, spent from the record's element budget. */
  readonly elements: number;
  /** Substitutions of S_NESTED steps: what they hold decides whether the plan fits the record. */
  readonly nested: readonly number[];
}

function step(s: number, key: string, index = -1, text = '', attr: AttrNode | null = null): Step {
  return { s, key, index, text, attr };
}

class PlanBuilder {
  readonly steps: Step[] = [];
  readonly content: number[] = [];
  readonly nested: number[] = [];
  elements = 0;

  plan(): Plan {
    return {
      steps: this.steps,
      content: this.content,
      elements: this.elements,
      nested: this.nested,
    };
  }

  attrs(el: ElementNode, key: string): void {
    this.elements++;
    for (const a of el.attrs) {
      if (a.name === 'xmlns' || a.name.startsWith('xmlns:')) continue;
      this.steps.push(step(S_ATTR, key + '_' + a.name, -1, '', a));
    }
  }

  /** Mirrors emitGeneric; false when the shape needs the walk. */
  generic(el: ElementNode, key: string, prefix: string): boolean {
    this.attrs(el, key);
    const ch = el.children;
    if (!el.hasElement && el.hasDynamic) {
      const only = ch[0];
      if (ch.length !== 1 || only?.k !== 2) return false;
      this.content.push(only.index);
      this.steps.push(step(S_SUB, key, only.index));
      return true;
    }
    if (el.hasDynamic) return false;
    let text = '';
    for (const n of ch) {
      if (n.k === 0) {
        if (!this.generic(n, prefix === '' ? n.name : prefix + n.name, prefix)) return false;
      } else if (n.k === 1) text += n.text;
    }
    if (text !== '') this.steps.push(step(S_TEXT, key, -1, text));
    return true;
  }

  /** Mirrors emitContainer. */
  container(el: ElementNode, key: string, prefix: string): boolean {
    this.attrs(el, key);
    const only = el.children[0];
    if (el.hasDynamic && el.children.length === 1 && only?.k === 2 && prefix === '') {
      // `<UserData>%n</UserData>`: the section's content is a nested fragment.
      this.nested.push(only.index);
      this.steps.push(step(S_NESTED, '', only.index));
      return true;
    }
    if (el.hasDynamic) return false;
    let text = '';
    for (const n of el.children) if (n.k === 1) text += n.text;
    if (text !== '') this.steps.push(step(S_TEXT, key, -1, text));
    let named = false;
    for (const d of el.children) {
      if (d.k !== 0 || d.name !== 'Data') continue;
      const n = staticName(d);
      if (n === undefined) return false;
      if (n !== null && n !== '') named = true;
    }
    let positional = false;
    for (const d of el.children) {
      if (d.k !== 0) continue;
      if (d.name !== 'Data') {
        if (!this.generic(d, prefix + d.name, prefix)) return false;
        continue;
      }
      const n = staticName(d);
      if (named && (n === null || n === undefined || n === '')) continue;
      const ch = d.children;
      const only = ch[0];
      if (d.hasElement || ch.length > 1) return false;
      this.elements++;
      if (only === undefined) {
        this.steps.push(named ? step(S_DATA_TEXT, prefix + (n ?? '')) : step(S_POS_TEXT, ''));
      } else if (only.k === 1) {
        this.steps.push(
          named
            ? step(S_DATA_TEXT, prefix + (n ?? ''), -1, only.text)
            : step(S_POS_TEXT, '', -1, only.text),
        );
      } else if (only.k === 2) {
        this.content.push(only.index);
        this.steps.push(
          named
            ? step(S_DATA_SUB, prefix + (n ?? ''), only.index)
            : step(S_POS_SUB, '', only.index),
        );
      } else return false;
      if (!named) positional = true;
    }
    if (positional) this.steps.push(step(S_POS_END, prefix + 'Data'));
    return true;
  }
}

/** A Data element's Name when it is literal text; null without one; undefined when computed. */
function staticName(d: ElementNode): string | null | undefined {
  for (const a of d.attrs) {
    if (a.name !== 'Name') continue;
    let s = '';
    for (const p of a.parts) {
      if (p.k !== 1) return undefined;
      s += p.text;
    }
    return s;
  }
  return null;
}

/** The plan of one top-level section (System, EventData, UserData, …), or null for the walk. */
function compile(el: ElementNode): Plan | null {
  const b = new PlanBuilder();
  b.steps.push(step(S_SECTION, '', -1, el.name === 'System' ? '' : el.name));
  const ok =
    el.name === 'System'
      ? b.generic(el, 'System', '')
      : el.name === 'EventData' || el.name === 'UserData'
        ? b.container(el, el.name, '')
        : b.generic(el, el.name, el.name + '.');
  return ok ? b.plan() : null;
}

const plans = new WeakMap<ElementNode, Plan | null>();
let plansOn = true;

/** Turns compiled plans off (on by default): for tests that hold plans to the walk, and benches. */
export function useCompiledPlans(on: boolean): void {
  plansOn = on;
}

function planFor(el: ElementNode, subs: readonly Value[]): Plan | null {
  if (!plansOn) return null;
  let plan = plans.get(el);
  if (plan === undefined) {
    plan = compile(el);
    plans.set(el, plan);
  }
  if (plan === null) return null;
  for (const i of plan.content) if (subs[i] instanceof Nested) return null;
  for (const i of plan.nested) if (!plainNested(subs[i])) return null;
  return plan;
}

/**
 * Does a container's nested content hold only elements other than `<Data>` (or nothing)? Then
 * each element is flattened on its own, which is what a plan's S_NESTED step does.
 */
function plainNested(v: Value | undefined): boolean {
  if (v === null || v === undefined) return true;
  if (!(v instanceof Nested)) return false;
  for (const n of v.nodes) {
    if (n.k === 1 && n.text !== '') return false;
    if (n.k === 0 && n.name === 'Data') return false;
    if (n.k === 3 && n.root.name === 'Data') return false;
  }
  return true;
}

/** Plans of elements met inside nested fragments, flattened as emitGeneric does at prefix ''. */
const elementPlans = new WeakMap<ElementNode, Plan | null>();

function emitElement(f: MutableFields, el: ElementNode, subs: readonly Value[]): void {
  let plan = elementPlans.get(el);
  if (plan === undefined) {
    const b = new PlanBuilder();
    plan = b.generic(el, el.name, '') ? b.plan() : null;
    elementPlans.set(el, plan);
  }
  if (plan !== null && plan.content.every((i) => !(subs[i] instanceof Nested))) {
    run(plan, f, subs);
  } else {
    emitGeneric(f, el, subs, el.name, '');
  }
}

function run(plan: Plan, f: MutableFields, subs: readonly Value[]): void {
  budget -= plan.elements;
  if (budget < 0) throw new BinXmlError(`record expands to more than ${ELEMENT_BUDGET} elements`);
  let list: Scalar[] | null = null;
  for (const st of plan.steps) {
    switch (st.s) {
      case S_SECTION:
        dataSection = st.text === '' ? null : st.text;
        break;
      case S_ATTR: {
        const v = attrValue(st.attr as AttrNode, subs);
        if (v !== null && v !== '') add(f, st.key, v);
        break;
      }
      case S_TEXT:
      case S_DATA_TEXT:
        add(f, st.key, st.text);
        break;
      case S_SUB: {
        const v = subs[st.index];
        if (v !== null && v !== undefined && v !== '') add(f, st.key, v as Part);
        break;
      }
      case S_DATA_SUB:
        add(f, st.key, (subs[st.index] ?? '') as Part);
        break;
      case S_POS_TEXT:
        (list ??= []).push(st.text);
        break;
      case S_POS_SUB: {
        const v = (subs[st.index] ?? '') as Part;
        list ??= [];
        if (Array.isArray(v)) for (const x of v as readonly Scalar[]) list.push(x);
        else list.push(v as Scalar);
        break;
      }
      case S_POS_END:
        if (list !== null && list.length > 0) {
          add(f, st.key, list.length === 1 ? (list[0] as Scalar) : list);
        }
        list = null;
        break;
      case S_NESTED: {
        const v = subs[st.index];
        if (!(v instanceof Nested)) break;
        for (const n of v.nodes) {
          if (n.k === 0) emitElement(f, n, NO_VALUES);
          else if (n.k === 3) emitElement(f, n.root, n.subs);
        }
        break;
      }
    }
  }
}

/** One top-level section of the record: by its compiled plan, or by the walk. */
function emitSection(f: MutableFields, el: ElementNode, subs: readonly Value[]): void {
  const plan = planFor(el, subs);
  if (plan !== null) {
    run(plan, f, subs);
    return;
  }
  if (el.name === 'System') {
    dataSection = null;
    emitGeneric(f, el, subs, 'System', '');
    return;
  }
  dataSection = el.name;
  if (el.name === 'EventData' || el.name === 'UserData') emitContainer(f, el, subs, el.name, '');
  else emitGeneric(f, el, subs, el.name, el.name + '.');
}

/** Flat fields of one record, or `null` when the BinXML holds no element. */
export function flattenRecord(nodes: readonly XNode[]): Fields | null {
  const root = rootOf(nodes);
  if (root === null) return null;
  const f = builder;
  f.reset();
  dataSection = null;
  budget = ELEMENT_BUDGET;
  // Event's children: System inline, the data section often a nested fragment (a substitution).
  const c = resolve(root.el, root.subs);
  for (let i = 0; i < c.els.length; i++) {
    emitSection(f, c.els[i] as ElementNode, c.subs[i] ?? NO_VALUES);
  }
  dataSection = null;
  const out = f.build() as Record<string, FieldValue>;
  for (const k of NUMERIC_SYSTEM) {
    const v = out[k];
    if (typeof v === 'string' && DIGITS.test(v)) out[k] = Number(v);
  }
  return out;
}

/** The fields of the record being flattened (one record at a time per thread). */
const builder = new FieldBuilder();

/** Milliseconds of an ISO `…Z` timestamp such as `TimeCreated_SystemTime`; NaN when absent. */
export function timeMs(v: FieldValue | undefined): number {
  if (typeof v !== 'string') return Number.NaN;
  // The shape this reader writes (`2025-11-27T07:40:10.165324Z`), read without Date.parse.
  const year = digits(v, 0, 4);
  if (v.length === 27 && v.charCodeAt(26) === 90 && v.charCodeAt(19) === 46 && year >= 100) {
    const t = Date.UTC(
      year,
      digits(v, 5, 7) - 1,
      digits(v, 8, 10),
      digits(v, 11, 13),
      digits(v, 14, 16),
      digits(v, 17, 19),
      digits(v, 20, 23),
    );
    if (!Number.isNaN(t)) return t;
  }
  return Date.parse(v);
}

/** The decimal number in `s[from, to)`, NaN when a character is not a digit. */
function digits(s: string, from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i++) {
    const d = s.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return Number.NaN;
    n = n * 10 + d;
  }
  return n;
}
