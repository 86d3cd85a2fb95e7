/** Test helpers: flatten the evtx crate's JSON (SigmaHQ regression twins) the way Vigil names fields. */

/** Splits a file of one JSON value, an array, or several JSON documents back to back. */
export function splitJsonDocuments(text: string): unknown[] {
  const out: unknown[] = [];
  let depth = 0;
  let start = -1;
  let inString = false;
  let escaped = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (escaped) escaped = false;
      else if (c === '\\') escaped = true;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') inString = true;
    else if (c === '{' || c === '[') {
      if (depth === 0) start = i;
      depth++;
    } else if (c === '}' || c === ']') {
      depth--;
      if (depth === 0) {
        const doc: unknown = JSON.parse(text.slice(start, i + 1));
        if (Array.isArray(doc)) out.push(...(doc as unknown[]));
        else out.push(doc);
      }
    }
  }
  return out;
}

type Flat = Record<string, unknown>;

function set(out: Flat, key: string, v: unknown): void {
  const old = out[key];
  if (old === undefined) out[key] = v;
  else out[key] = (Array.isArray(old) ? old : [old]).concat(v);
}

function walk(out: Flat, v: unknown, key: string, prefix: string): void {
  if (v === null || v === undefined) return;
  if (Array.isArray(v) || typeof v !== 'object') {
    set(out, key, v);
    return;
  }
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
    if (k === '#attributes') {
      for (const [a, av] of Object.entries(x as Record<string, unknown>)) {
        if (a !== 'xmlns' && av !== null && av !== '') set(out, `${key}_${a}`, av);
      }
    } else if (k === '#text') {
      if (x !== null && x !== '') set(out, key, x);
    } else {
      walk(out, x, prefix + k, prefix);
    }
  }
}

/**
 * Flat fields of one evtx-crate JSON event: `Event.System` children under their own names,
 * `#attributes` as `Element_Attribute`, `EventData`/`UserData` keys as they are.
 */
export function flattenCrateJson(doc: unknown): Flat {
  const out: Flat = {};
  const event = (doc as { Event?: Record<string, unknown> }).Event ?? {};
  for (const [section, v] of Object.entries(event)) {
    if (section === '#attributes') continue;
    if (section === 'EventData' || section === 'UserData') {
      if (v === null) continue;
      // Named Data keep "" values; walk() would drop them, so copy scalars directly.
      for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
        if (k === '#attributes') walk(out, { '#attributes': x }, section, '');
        else if (x !== null && typeof x !== 'object') set(out, k, x);
        else walk(out, x, k, '');
      }
    } else if (section === 'System') {
      walk(out, v, 'System', '');
    } else {
      walk(out, v, section, `${section}.`);
    }
  }
  return out;
}
