/** IP addresses: parsing into a canonical text form and classifying them as internal or external. */
export type IpRange =
  | 'public'
  | 'rfc1918'
  | 'loopback'
  | 'link-local'
  | 'cgnat'
  | 'ula'
  | 'multicast'
  | 'unspecified'
  | 'reserved';

export interface IpInfo {
  /** Canonical text: dotted quad, or RFC 5952 IPv6 (IPv4-mapped IPv6 becomes IPv4). */
  readonly ip: string;
  readonly version: 4 | 6;
  readonly range: IpRange;
  /** `external` only for public unicast addresses. */
  readonly scope: 'internal' | 'external';
}

const V4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

function v4Number(s: string): number | undefined {
  const m = V4.exec(s);
  if (m === null) return undefined;
  let n = 0;
  for (let i = 1; i <= 4; i++) {
    const part = m[i] ?? '';
    if (part.length > 1 && part.startsWith('0')) return undefined; // octal-looking: not an address
    const b = Number(part);
    if (b > 255) return undefined;
    n = n * 256 + b;
  }
  return n;
}

/** [first address, prefix length, range] — first match wins. */
const V4_RANGES: readonly (readonly [string, number, IpRange])[] = [
  ['0.0.0.0', 8, 'unspecified'],
  ['10.0.0.0', 8, 'rfc1918'],
  ['100.64.0.0', 10, 'cgnat'],
  ['127.0.0.0', 8, 'loopback'],
  ['169.254.0.0', 16, 'link-local'],
  ['172.16.0.0', 12, 'rfc1918'],
  ['192.168.0.0', 16, 'rfc1918'],
  ['224.0.0.0', 4, 'multicast'],
  ['240.0.0.0', 4, 'reserved'],
];
const V4_TABLE = V4_RANGES.map(([base, bits, range]) => {
  const size = 2 ** (32 - bits);
  return { base: v4Number(base) ?? 0, size, range };
});

function v4Range(n: number): IpRange {
  for (const r of V4_TABLE) if (n >= r.base && n < r.base + r.size) return r.range;
  return 'public';
}

/** Eight 16-bit groups, or undefined when `s` is not IPv6 (an embedded dotted quad is allowed at the end). */
function v6Groups(input: string): number[] | undefined {
  let s = input;
  const lastColon = s.lastIndexOf(':');
  if (lastColon >= 0 && s.slice(lastColon + 1).includes('.')) {
    const n = v4Number(s.slice(lastColon + 1));
    if (n === undefined) return undefined;
    s = `${s.slice(0, lastColon + 1)}${(n >>> 16).toString(16)}:${(n & 0xffff).toString(16)}`;
  }
  const halves = s.split('::');
  if (halves.length > 2) return undefined;
  const parse = (part: string): number[] | undefined => {
    if (part === '') return [];
    const out: number[] = [];
    for (const g of part.split(':')) {
      if (!/^[0-9a-f]{1,4}$/i.test(g)) return undefined;
      out.push(parseInt(g, 16));
    }
    return out;
  };
  const head = parse(halves[0] ?? '');
  const rest = halves.length === 2 ? parse(halves[1] ?? '') : [];
  if (head === undefined || rest === undefined) return undefined;
  const have = head.length + rest.length;
  if (halves.length === 2) {
    return have > 7 ? undefined : [...head, ...new Array<number>(8 - have).fill(0), ...rest];
  }
  return have === 8 ? head : undefined;
}

/** RFC 5952: lower-case, no leading zeros, the longest run (≥ 2) of zero groups as `::`. */
function v6Text(g: readonly number[]): string {
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = g.map((x) => x.toString(16));
  if (best < 0) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
}

function v6Range(g: readonly number[]): IpRange {
  const [a = 0] = g;
  if (g.every((x) => x === 0)) return 'unspecified';
  if (g.slice(0, 7).every((x) => x === 0) && g[7] === 1) return 'loopback';
  if ((a & 0xffc0) === 0xfe80) return 'link-local';
  if ((a & 0xfe00) === 0xfc00) return 'ula';
  if ((a & 0xff00) === 0xff00) return 'multicast';
  return 'public';
}

/**
 * Parses and classifies an address: internal are RFC 1918, loopback, link-local (169.254/16,
 * fe80::/10), CGNAT (100.64/10), ULA (fc00::/7), multicast, unspecified and reserved; external
 * are public unicast addresses. IPv6 zone ids (`%12`) are dropped. Undefined for non-addresses.
 */
export function classifyIp(value: string): IpInfo | undefined {
  let s = value.trim();
  if (s.startsWith('[') && s.endsWith(']')) s = s.slice(1, -1);
  const v4 = v4Number(s);
  if (v4 !== undefined) return ipInfo(s, 4, v4Range(v4));
  if (!s.includes(':')) return undefined;
  const zone = s.indexOf('%');
  if (zone > 0) s = s.slice(0, zone);
  const g = v6Groups(s.toLowerCase());
  if (g === undefined) return undefined;
  if (g.slice(0, 5).every((x) => x === 0) && g[5] === 0xffff) {
    const q = [(g[6] ?? 0) >> 8, (g[6] ?? 0) & 255, (g[7] ?? 0) >> 8, (g[7] ?? 0) & 255];
    const dotted = q.join('.');
    return ipInfo(dotted, 4, v4Range(v4Number(dotted) ?? 0));
  }
  return ipInfo(v6Text(g), 6, v6Range(g));
}

function ipInfo(ip: string, version: 4 | 6, range: IpRange): IpInfo {
  return { ip, version, range, scope: range === 'public' ? 'external' : 'internal' };
}
