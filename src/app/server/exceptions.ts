/** Decides whether an exception (suppression) covers a rule hit on a stored event. */
import type {
  ExceptionCondition,
  FieldValue,
  RuleException,
  StoredEvent,
} from '../../core/index.ts';

/** True when the exception is live at `now`, names this rule (or every rule) and all its conditions hold. */
export function exceptionMatches(
  ex: RuleException,
  ruleId: string,
  event: StoredEvent,
  now: number,
): boolean {
  if (ex.expiresAt !== undefined && ex.expiresAt <= now) return false;
  if (ex.ruleId !== undefined && ex.ruleId !== ruleId) return false;
  return ex.conditions.every((c) => conditionHolds(c, event));
}

function valuesOf(event: StoredEvent, field: string): string[] {
  const v: FieldValue | undefined = event.fields[field] ?? event.entities[field];
  if (v === undefined) return [];
  if (Array.isArray(v)) return v.filter((x) => x !== null).map((x) => String(x).toLowerCase());
  return [String(v).toLowerCase()];
}

function conditionHolds(c: ExceptionCondition, event: StoredEvent): boolean {
  const want = c.value.toLowerCase();
  return valuesOf(event, c.field).some((have) => {
    switch (c.op) {
      case 'equals':
        return have === want;
      case 'contains':
        return have.includes(want);
      case 'startswith':
        return have.startsWith(want);
      case 'endswith':
        return have.endsWith(want);
      case 'cidr':
        return inCidr(have, want);
    }
  });
}

/** IPv4 CIDR containment (`10.0.0.0/8`); IPv6 prefixes compare by expanded hextets. */
export function inCidr(ip: string, cidr: string): boolean {
  const [net = '', bitsText] = cidr.split('/');
  const a = toBits(ip);
  const b = toBits(net);
  if (!a || !b || a.length !== b.length) return false;
  const bits = bitsText === undefined ? a.length : Number(bitsText);
  if (!Number.isInteger(bits) || bits < 0 || bits > a.length) return false;
  return a.slice(0, bits) === b.slice(0, bits);
}

function toBits(ip: string): string | undefined {
  if (ip.includes(':')) {
    const [head = '', tail] = ip.split('::');
    const h = head ? head.split(':') : [];
    const t = tail ? tail.split(':') : [];
    if (tail === undefined && h.length !== 8) return undefined;
    const parts = [...h, ...new Array<string>(8 - h.length - t.length).fill('0'), ...t];
    if (parts.length !== 8) return undefined;
    let out = '';
    for (const p of parts) {
      const n = parseInt(p || '0', 16);
      if (!/^[0-9a-f]{0,4}$/i.test(p) || Number.isNaN(n)) return undefined;
      out += n.toString(2).padStart(16, '0');
    }
    return out;
  }
  const parts = ip.split('.');
  if (parts.length !== 4) return undefined;
  let out = '';
  for (const p of parts) {
    const n = Number(p);
    if (!/^\d{1,3}$/.test(p) || n > 255) return undefined;
    out += n.toString(2).padStart(8, '0');
  }
  return out;
}
