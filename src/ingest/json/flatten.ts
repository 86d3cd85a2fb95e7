/** Turns nested JSON into Vigil's flat fields: dotted keys, scalar lists, repeated keys gathered into lists. */
import type { FieldValue, Fields, Scalar } from '../../core/index.ts';

/** True for the values a field may hold directly. */
export function isScalar(v: unknown): v is Scalar {
  return v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';
}

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Sets `key`, turning an existing value into a list when the key repeats (arrays of objects). A list
 * made here is extended in place, so a key repeated n times costs O(n), not O(n²).
 */
export function addField(out: Fields, key: string, v: FieldValue): void {
  const prev = out[key];
  if (prev === undefined) {
    out[key] = v;
    return;
  }
  let list: Scalar[];
  if (Array.isArray(prev) && grown.has(prev)) {
    list = prev as Scalar[];
  } else {
    list = Array.isArray(prev) ? [...(prev as Scalar[])] : [prev as Scalar];
    grown.add(list);
    out[key] = list;
  }
  if (Array.isArray(v)) for (const x of v as Scalar[]) list.push(x);
  else list.push(v as Scalar);
}

/** Lists addField made itself (and may therefore extend); others may be shared and are copied. */
const grown = new WeakSet<readonly Scalar[]>();

/**
 * Flattens `value` under `prefix` into `out`: objects become dotted keys (`a.b.c`), arrays of
 * scalars stay lists, arrays of objects are flattened element by element into the same keys
 * (so `items[].id` becomes one list `items.id`). Empty objects leave no field.
 */
export function flattenInto(out: Fields, prefix: string, value: unknown): void {
  if (isScalar(value)) {
    addField(out, prefix, value);
    return;
  }
  if (Array.isArray(value)) {
    if (value.every(isScalar)) {
      addField(out, prefix, value);
      return;
    }
    for (const item of value) flattenInto(out, prefix, item);
    return;
  }
  if (isObject(value)) {
    for (const key in value) flattenInto(out, prefix === '' ? key : `${prefix}.${key}`, value[key]);
  }
}

/**
 * The flat fields of an object. An object that is flat already (only scalars and lists of scalars,
 * as NXLog and Zeek write) is returned as it is, not copied: the caller must own it (a fresh
 * `JSON.parse` result).
 */
export function flatten(value: Record<string, unknown>): Fields {
  if (isFlat(value)) return value as Fields;
  const out: Fields = {};
  flattenInto(out, '', value);
  return out;
}

function isFlat(value: Record<string, unknown>): boolean {
  for (const key in value) {
    const v = value[key];
    if (isScalar(v)) continue;
    if (Array.isArray(v) && v.every(isScalar)) continue;
    return false;
  }
  return true;
}
