/** IPv4 and IPv6 address parsing and CIDR containment, for the `cidr` modifier. */

/** A network: its address as 16-bit words (2 for IPv4, 8 for IPv6) and the prefix length in bits. */
export interface Cidr {
  readonly v6: boolean;
  readonly words: readonly number[];
  readonly bits: number;
}

function parseV4(s: string): number[] | undefined {
  const parts = s.split('.');
  if (parts.length !== 4) return undefined;
  const bytes: number[] = [];
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p)) return undefined;
    const n = Number(p);
    if (n > 255) return undefined;
    bytes.push(n);
  }
  const [a = 0, b = 0, c = 0, d = 0] = bytes;
  return [(a << 8) | b, (c << 8) | d];
}

function parseV6(input: string): number[] | undefined {
  let s = input;
  const pct = s.indexOf('%'); // zone index (fe80::1%eth0)
  if (pct >= 0) s = s.slice(0, pct);
  let tail: number[] = [];
  const lastColon = s.lastIndexOf(':');
  if (s.includes('.', lastColon)) {
    const v4 = parseV4(s.slice(lastColon + 1));
    if (!v4) return undefined;
    tail = v4;
    s = s.slice(0, lastColon + 1) + '0:0';
  }
  const halves = s.split('::');
  if (halves.length > 2) return undefined;
  const read = (h: string): number[] | undefined => {
    if (h === '') return [];
    const out: number[] = [];
    for (const g of h.split(':')) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
      out.push(parseInt(g, 16));
    }
    return out;
  };
  const head = read(halves[0] ?? '');
  const rest = halves.length === 2 ? read(halves[1] ?? '') : [];
  if (!head || !rest) return undefined;
  let words: number[];
  if (halves.length === 2) {
    const fill = 8 - head.length - rest.length;
    if (fill < 1) return undefined;
    words = [...head, ...new Array<number>(fill).fill(0), ...rest];
  } else {
    words = head;
  }
  if (words.length !== 8) return undefined;
  if (tail.length === 2) words.splice(6, 2, tail[0] ?? 0, tail[1] ?? 0);
  return words;
}

/** Parses an address into words; IPv4-mapped IPv6 (`::ffff:1.2.3.4`) stays IPv6. */
export function parseIp(s: string): { v6: boolean; words: number[] } | undefined {
  const t = s.trim();
  if (t.includes(':')) {
    const w = parseV6(t.startsWith('[') && t.endsWith(']') ? t.slice(1, -1) : t);
    return w ? { v6: true, words: w } : undefined;
  }
  const w = parseV4(t);
  return w ? { v6: false, words: w } : undefined;
}

/** Parses `10.0.0.0/8`, `2001:db8::/32`, or a bare address (a host network). */
export function parseCidr(s: string): Cidr | undefined {
  const slash = s.indexOf('/');
  const addr = parseIp(slash >= 0 ? s.slice(0, slash) : s);
  if (!addr) return undefined;
  const max = addr.v6 ? 128 : 32;
  let bits = max;
  if (slash >= 0) {
    const b = s.slice(slash + 1);
    if (!/^\d{1,3}$/.test(b)) return undefined;
    bits = Number(b);
    if (bits > max) return undefined;
  }
  return { v6: addr.v6, words: addr.words, bits };
}

/** Whether `ip` (text) lies inside `net`. Unparseable text and the other IP family never match. */
export function cidrContains(net: Cidr, ip: string): boolean {
  const a = parseIp(ip);
  return a !== undefined && inNetwork(net, a);
}

/** Whether a parsed address lies inside `net`. */
export function inNetwork(net: Cidr, a: { v6: boolean; words: readonly number[] }): boolean {
  if (a.v6 !== net.v6) return false;
  let bits = net.bits;
  for (let i = 0; i < a.words.length && bits > 0; i++) {
    const take = Math.min(16, bits);
    const mask = (0xffff << (16 - take)) & 0xffff;
    if (((a.words[i] ?? 0) & mask) !== ((net.words[i] ?? 0) & mask)) return false;
    bits -= take;
  }
  return true;
}
