/** Timestamp parsing shared by the readers: ISO 8601 strings, epoch numbers, and zone-less dates taken as UTC. */

const ISO_LIKE =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?)?\s*(Z|[+-]\d{2}:?\d{2})?$/i;

/**
 * Milliseconds since the epoch for an ISO 8601 date (a missing zone means UTC, fractions beyond
 * milliseconds are dropped); NaN when the text is not such a date.
 */
export function parseIsoTime(text: string): number {
  const m = ISO_LIKE.exec(text.trim());
  if (!m) return NaN;
  const [, y, mo, d, h = '0', mi = '0', s = '0', frac = '', zone] = m;
  const ms = frac === '' ? 0 : Number(frac.slice(0, 3).padEnd(3, '0'));
  let t = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s), ms);
  if (zone !== undefined && zone.toUpperCase() !== 'Z') {
    const sign = zone.startsWith('-') ? -1 : 1;
    const digits = zone.slice(1).replace(':', '');
    t -= sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4))) * 60_000;
  }
  return t;
}

/**
 * Milliseconds since the epoch for an epoch number: values below 1e11 are seconds, below 1e14
 * milliseconds, anything larger microseconds (Zeek, CloudTrail and ECS exports all occur).
 */
export function epochToMs(n: number): number {
  if (!Number.isFinite(n)) return NaN;
  const abs = Math.abs(n);
  // truncated to the millisecond like ISO fractions; rounded to the microsecond first so that
  // binary fractions such as 0.865999999 still count as 866
  if (abs < 1e11) return Math.floor(Math.round(n * 1e6) / 1000);
  if (abs < 1e14) return Math.floor(n);
  return Math.floor(n / 1000);
}

/** Milliseconds for a time value found in a record: an ISO string, a numeric string or a number. */
export function parseTimeValue(v: unknown): number {
  if (typeof v === 'number') return epochToMs(v);
  if (typeof v !== 'string' || v === '') return NaN;
  const iso = parseIsoTime(v);
  if (!Number.isNaN(iso)) return iso;
  if (/^\d+(\.\d+)?$/.test(v)) return epochToMs(Number(v));
  return NaN;
}
