/**
 * Flattens a Windows event given as JSON in the evtx_dump / Rust `evtx` crate shape
 * (`Event.System`, `Event.EventData`, `#attributes`, `#text`) into the same fields the EVTX
 * reader (src/ingest/evtx) gives the binary record, so SigmaHQ rules match either twin.
 */
import type { FieldValue, Fields } from '../../core/index.ts';
import { NUMERIC_SYSTEM, SYSTEM_KEYS } from '../evtx/flatten.ts';
import { addField, isObject, isScalar } from './flatten.ts';

const ATTRS = '#attributes';
const TEXT = '#text';

/** Turns digit strings of the NUMERIC_SYSTEM fields into numbers, in place. */
export function numericSystemFields(fields: Fields): void {
  for (const key of NUMERIC_SYSTEM) {
    const v = fields[key];
    if (typeof v === 'string' && /^\d{1,15}$/.test(v)) fields[key] = Number(v);
  }
}

/**
 * The flat fields of one `Event` object. Everywhere: element text under the element's name,
 * attributes as `Element_Attribute` (`Provider_Name`, `TimeCreated_SystemTime`,
 * `EventID_Qualifiers`, `Security_UserID`…; `xmlns` and empty attributes dropped). EventData and
 * UserData: each named value under its own name (empty strings kept, nulls dropped), unnamed
 * values as `Data`, nested elements under their own names. Other sections (`RenderingInfo`) keep
 * their section as a prefix (`RenderingInfo.Message`). A name seen twice becomes a list.
 */
export function flattenWindowsEvent(event: Record<string, unknown>): Fields {
  const out: Fields = {};
  for (const section in event) {
    const v = event[section];
    if (section === ATTRS || section.startsWith('@')) continue;
    if (section === 'EventData' || section === 'UserData')
      inData(section, () => {
        container(out, section, v);
      });
    else if (section === 'System') element(out, v, section, '');
    else element(out, v, section, `${section}.`);
  }
  numericSystemFields(out);
  return out;
}

/**
 * The data section being flattened, or null. As in the EVTX reader, a data field named like a System
 * field that is already set (UserData `Channel` of a log-cleared event) goes under `<Section>.<name>`,
 * so System values stay single and routable.
 */
let dataSection: string | null = null;

function inData(section: string, run: () => void): void {
  dataSection = section;
  try {
    run();
  } finally {
    dataSection = null;
  }
}

function add(out: Fields, name: string, v: unknown): void {
  const key =
    dataSection !== null && SYSTEM_KEYS.has(name) && out[name] !== undefined
      ? `${dataSection}.${name}`
      : name;
  if (isScalar(v)) {
    if (v !== null) addField(out, key, v);
  } else if (Array.isArray(v)) {
    const list = v.filter((x) => isScalar(x) && x !== null) as FieldValue[];
    if (list.length > 0) addField(out, key, list as FieldValue);
  }
}

function attributes(out: Fields, key: string, attrs: unknown): void {
  if (!isObject(attrs)) return;
  for (const name in attrs) {
    const a = attrs[name];
    if (name === 'xmlns' || name.startsWith('xmlns:') || a === '' || a === null) continue;
    add(out, `${key}_${name}`, a);
  }
}

/** An element: its text under `key`, its attributes as `key_attr`, its children as `prefix + name`. */
function element(out: Fields, v: unknown, key: string, prefix: string): void {
  if (v === null || v === undefined || v === '') return;
  if (isScalar(v) || (Array.isArray(v) && v.every(isScalar))) {
    add(out, key, v);
    return;
  }
  if (Array.isArray(v)) {
    for (const item of v) element(out, item, key, prefix);
    return;
  }
  if (!isObject(v)) return;
  for (const name in v) {
    const child = v[name];
    if (name === ATTRS) attributes(out, key, child);
    else if (name === TEXT) {
      if (child !== '') add(out, key, child);
    } else if (name.startsWith('@')) attributes(out, key, { [name.slice(1)]: child });
    else element(out, child, prefix + name, prefix);
  }
}

/** EventData / UserData: keys as they are; `#text` directly inside is the section's own text. */
function container(out: Fields, section: string, v: unknown): void {
  if (v === null || v === undefined) return;
  if (!isObject(v)) {
    if (v !== '') add(out, section, v);
    return;
  }
  for (const name in v) {
    const x = v[name];
    if (name === ATTRS) attributes(out, section, x);
    else if (name === TEXT) {
      if (x !== '') add(out, section, x);
    } else if (name.startsWith('@')) attributes(out, section, { [name.slice(1)]: x });
    else if (isScalar(x)) add(out, name, x);
    else if (name === 'Data' && hasNamedItems(x)) namedData(out, x);
    else element(out, x, name, '');
  }
}

/** xmltodict-style `Data: [{"@Name": "X", "#text": "v"}, …]` (Splunk, Python exports). */
function hasNamedItems(x: unknown): boolean {
  const items = Array.isArray(x) ? x : [x];
  return items.some((i) => isObject(i) && typeof i['@Name'] === 'string');
}

function namedData(out: Fields, x: unknown): void {
  const positional: unknown[] = [];
  for (const item of Array.isArray(x) ? x : [x]) {
    if (isObject(item) && typeof item['@Name'] === 'string') {
      const v = item[TEXT];
      add(out, item['@Name'], v === undefined || v === null ? '' : v);
    } else if (isObject(item)) {
      positional.push(item[TEXT]);
    } else {
      positional.push(item);
    }
  }
  if (positional.length > 0) add(out, 'Data', positional.length === 1 ? positional[0] : positional);
}

/**
 * Velociraptor's `parse_evtx()` rows: `System` and `EventData` at the top level, attributes as
 * plain keys (`System.Provider.Name`, `System.Execution.ProcessID`) and `System.EventID.Value`.
 * Named like the evtx crate's output: `Provider_Name`, `Execution_ProcessID`, `EventID`….
 */
export function flattenVelociraptorEvent(row: Record<string, unknown>): Fields {
  const out: Fields = {};
  for (const section in row) {
    const v = row[section];
    if (section === 'System' && isObject(v)) {
      for (const name in v) {
        const x = v[name];
        if (isObject(x)) {
          for (const attr in x) {
            const a = x[attr];
            if (attr === 'Value') add(out, name, a);
            else if (a !== '' && !attr.startsWith('xmlns')) add(out, `${name}_${attr}`, a);
          }
        } else if (x !== '') add(out, name, x);
      }
    } else if (section === 'EventData' || section === 'UserData') {
      inData(section, () => {
        container(out, section, v);
      });
    } else element(out, v, section, `${section}.`);
  }
  numericSystemFields(out);
  return out;
}
