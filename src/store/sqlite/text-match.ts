/** Free-text and field-value matching that SQLite runs as user functions during event search. */
import type { FieldValue } from '../../core/index.ts';

/** A search text prepared once per query: folded, and as it appears inside stored JSON text. */
export interface TextNeedle {
  readonly folded: string;
  readonly escaped: string;
}

export function textNeedle(text: string): TextNeedle {
  const folded = text.toLowerCase();
  return { folded, escaped: JSON.stringify(folded).slice(1, -1) };
}

function valueContains(value: unknown, folded: string): boolean {
  if (typeof value === 'string') return value.toLowerCase().includes(folded);
  if (typeof value === 'number' || typeof value === 'boolean') {
    return String(value).toLowerCase().includes(folded);
  }
  if (Array.isArray(value)) return value.some((item: unknown) => valueContains(item, folded));
  return false;
}

function jsonValuesContain(json: string, needle: TextNeedle): boolean {
  // JSON escaping works character by character, so a value holding the text means the stored JSON holds
  // its escaped form: a cheap test that rejects most rows before any parse. Names are then excluded.
  if (!json.toLowerCase().includes(needle.escaped)) return false;
  const record = JSON.parse(json) as Record<string, FieldValue>;
  return Object.values(record).some((value) => valueContains(value, needle.folded));
}

/** Whether any value of the event's fields or entities contains the text, case-insensitively. */
export function eventTextMatches(
  fieldsJson: string,
  entitiesJson: string,
  needle: TextNeedle,
): boolean {
  return jsonValuesContain(fieldsJson, needle) || jsonValuesContain(entitiesJson, needle);
}

/** Lower case of a value json_each produced (numbers as JavaScript prints them); null stays null. */
export function foldValue(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') return value.toLowerCase();
  if (typeof value === 'number' || typeof value === 'bigint') return String(value);
  return null;
}

/** The JSON path of one top-level member, quoted so dots, spaces and quotes in names are literal. */
export function memberPath(name: string): string {
  return `$.${JSON.stringify(name)}`;
}
