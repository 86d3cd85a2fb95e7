/**
 * Derives ECS-named entity fields (`host.name`, `user.name`, `process.*`, `source.ip`, `hash.*`…)
 * from an event's original fields, whatever product named them. The mapping is a table: each entity
 * lists the source fields that can carry it, in order of preference.
 */
import type { EntityFields, FieldValue, Fields, LogSource, Scalar } from '../../core/index.ts';

/** How a source value becomes an entity value; undefined means "not usable". */
type Convert = (v: Scalar) => string | number | undefined;

interface Source {
  /** The original field name (`TargetUserName`, `id.orig_h`, `winlog.event_data.Image`). */
  readonly field: string;
  /** Only for these Windows EventIDs. */
  readonly events?: ReadonlySet<number>;
  /** Not for these Windows EventIDs. */
  readonly exceptEvents?: ReadonlySet<number>;
  /** Only for these products (logsource `product`). */
  readonly onlyFor?: ReadonlySet<string>;
  /** Not for these products (`host` is the HTTP Host header in Zeek, the machine in syslog). */
  readonly notFor?: ReadonlySet<string>;
  /** For user fields: the field holding this user's domain, and the one holding its SID. */
  readonly domain?: string;
  readonly sid?: string;
}

interface EntityRule {
  /** The entity field; for `user` rules the prefix (`user`, `user.target`) of `.name`, `.domain`, `.id`. */
  readonly to: string;
  readonly user?: true;
  readonly convert: Convert;
  readonly from: readonly Source[];
}

// ---------------------------------------------------------------------------------------------
// Value conversions

function text(v: Scalar): string | undefined {
  if (typeof v === 'number') return String(v);
  if (typeof v !== 'string') return undefined;
  const s = v.trim();
  return s === '' || s === '-' ? undefined : s;
}

/** ECS recommends the lower-case FQDN for `host.name`; Windows names are case-insensitive anyway. */
function hostName(v: Scalar): string | undefined {
  return text(v)?.toLowerCase();
}

const IPV4 = /^(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;
const IPV6 = /^[0-9a-f:]+(?:%[\w.-]+)?$/i;

/** `203.0.113.7:51234` or `[2001:db8::7]:51234` (MongoDB's `remote`, Exchange endpoints): address and port. */
const ENDPOINT = /^(?:(\d{1,3}(?:\.\d{1,3}){3})|\[([0-9a-f:.]+)\]):(\d{1,5})$/i;

/** An IPv4 or IPv6 address (IPv4-mapped IPv6 written as IPv4), alone or with a port; names and `-` are not. */
function ip(v: Scalar): string | undefined {
  let s = text(v);
  if (s === undefined) return undefined;
  const endpoint = ENDPOINT.exec(s);
  if (endpoint !== null) s = endpoint[1] ?? endpoint[2] ?? s;
  if (s.toLowerCase().startsWith('::ffff:') && IPV4.test(s.slice(7))) s = s.slice(7);
  if (IPV4.test(s)) return s;
  if (s.includes(':') && IPV6.test(s) && s.split(':').length <= 9) return s.toLowerCase();
  return undefined;
}

/** A decimal or `0x` hex integer (Security events write process ids in hex). */
function integer(v: Scalar): number | undefined {
  if (typeof v === 'number') return Number.isInteger(v) && v >= 0 ? v : undefined;
  const s = text(v);
  if (s === undefined) return undefined;
  if (/^\d{1,15}$/.test(s)) return Number(s);
  if (/^0x[0-9a-f]{1,13}$/i.test(s)) return parseInt(s.slice(2), 16);
  return undefined;
}

function port(v: Scalar): number | undefined {
  const endpoint = typeof v === 'string' ? ENDPOINT.exec(v.trim()) : null;
  const n = endpoint !== null ? integer(endpoint[3] ?? '') : integer(v);
  return n !== undefined && n <= 65535 ? n : undefined;
}

/** Process ids; 0 is the idle process / "no process" and names nothing worth pivoting on. */
function pid(v: Scalar): number | undefined {
  const n = integer(v);
  return n === 0 ? undefined : n;
}

/** Logon ids as Windows writes them (`0x3e7`); `0x0` means "none". */
function logonId(v: Scalar): string | undefined {
  const s = text(v);
  return s === undefined || /^0x0+$/i.test(s) || s === '0' ? undefined : s.toLowerCase();
}

function lowerText(v: Scalar): string | undefined {
  return text(v)?.toLowerCase();
}

// ---------------------------------------------------------------------------------------------
// The table

const f = (field: string, more: Omit<Source, 'field'> = {}): Source => ({ field, ...more });

/** Windows logon events whose user of interest is the target account, not the reporting subject. */
const LOGON_EVENTS: ReadonlySet<number> = new Set([
  4624, 4625, 4634, 4647, 4648, 4768, 4769, 4770, 4771, 4776, 4778, 4779, 4800, 4801, 4964,
]);
/** Security 4688: `ProcessId` is the creator's (the parent's) pid, `NewProcessId` the new one's. */
const PROCESS_CREATE: ReadonlySet<number> = new Set([4688]);
const ZEEK: ReadonlySet<string> = new Set(['zeek']);
const LINUX: ReadonlySet<string> = new Set(['linux']);
const MONGODB: ReadonlySet<string> = new Set(['mongodb']);
const EXCHANGE: ReadonlySet<string> = new Set(['exchange']);

const TARGET_USER = f('TargetUserName', {
  domain: 'TargetDomainName',
  sid: 'TargetUserSid',
});
const SUBJECT_USER = f('SubjectUserName', {
  domain: 'SubjectDomainName',
  sid: 'SubjectUserSid',
});

/**
 * Entity → candidate source fields, best first. ECS names already present win (Winlogbeat, Elastic
 * Agent, ECS-formatted shippers), then Windows (Security, Sysmon), Zeek, syslog, cloud audit logs.
 */
export const ENTITY_RULES: readonly EntityRule[] = [
  {
    to: 'host.name',
    convert: hostName,
    from: [
      f('host.name'),
      f('Computer'),
      f('winlog.computer_name'),
      f('host.hostname'),
      f('agent.hostname'),
      // auditd names the machine in `node=`; its `hostname=` is the remote peer of USER_* records
      f('node', { onlyFor: LINUX }),
      f('Hostname'),
      f('hostname'),
      f('ComputerName'),
      f('DeviceName'),
      f('_HOSTNAME'),
      f('host', { notFor: ZEEK }),
      f('beat.hostname'),
      f('splunk.host'),
    ],
  },
  {
    to: 'user',
    user: true,
    convert: text,
    from: [
      f('user.name'),
      { ...TARGET_USER, events: LOGON_EVENTS },
      f('User', { sid: 'UserSid' }),
      f('SourceUser'),
      SUBJECT_USER,
      TARGET_USER,
      f('winlog.user.name', { domain: 'winlog.user.domain', sid: 'winlog.user.identifier' }),
      f('AccountName', { domain: 'AccountDomain' }),
      f('UserName'),
      f('username'),
      f('userIdentity.userName'),
      f('actor.alternateId'),
      f('UserPrincipalName'),
      f('userPrincipalName'),
      f('protoPayload.authenticationInfo.principalEmail'),
      f('UserId'),
      f('user'),
      f('attr.principalName', { onlyFor: MONGODB }),
      f('attr.user', { onlyFor: MONGODB }),
    ],
  },
  {
    to: 'user.target',
    user: true,
    convert: text,
    from: [f('user.target.name'), { ...TARGET_USER, exceptEvents: LOGON_EVENTS }],
  },
  { to: 'event.code', convert: text, from: [f('event.code'), f('EventID'), f('winlog.event_id')] },
  {
    to: 'process.pid',
    convert: pid,
    from: [
      f('process.pid'),
      f('NewProcessId'),
      f('ProcessId', { exceptEvents: PROCESS_CREATE }),
      f('SourceProcessId'),
      f('pid'),
    ],
  },
  {
    to: 'process.executable',
    convert: text,
    from: [
      f('process.executable'),
      f('Image'),
      f('NewProcessName'),
      f('SourceImage'),
      f('ProcessName'),
      f('exe'),
    ],
  },
  {
    to: 'process.command_line',
    convert: text,
    from: [f('process.command_line'), f('CommandLine'), f('ProcessCommandLine')],
  },
  {
    to: 'process.entity_id',
    convert: text,
    from: [
      f('process.entity_id'),
      f('ProcessGuid'),
      f('SourceProcessGuid'),
      f('SourceProcessGUID'),
    ],
  },
  {
    to: 'process.parent.pid',
    convert: pid,
    from: [
      f('process.parent.pid'),
      f('ParentProcessId'),
      f('ProcessId', { events: PROCESS_CREATE }),
      f('ppid'),
    ],
  },
  {
    to: 'process.parent.executable',
    convert: text,
    from: [f('process.parent.executable'), f('ParentImage'), f('ParentProcessName')],
  },
  {
    to: 'process.parent.command_line',
    convert: text,
    from: [f('process.parent.command_line'), f('ParentCommandLine')],
  },
  {
    to: 'process.parent.entity_id',
    convert: text,
    from: [f('process.parent.entity_id'), f('ParentProcessGuid')],
  },
  {
    to: 'source.ip',
    convert: ip,
    from: [
      f('source.ip'),
      f('SourceIp'),
      f('IpAddress'),
      f('SourceAddress'),
      f('SourceNetworkAddress'),
      f('ClientAddress'),
      f('id.orig_h'),
      f('client.ip'),
      f('sourceIPAddress'),
      f('client.ipAddress'),
      f('IPAddress'),
      f('ClientIP'),
      f('ClientIp'),
      f('callerIpAddress'),
      f('protoPayload.requestMetadata.callerIp'),
      f('src_ip'),
      f('src'),
      f('attr.remote', { onlyFor: MONGODB }),
      f('attr.client', { onlyFor: MONGODB }),
      f('client-ip', { onlyFor: EXCHANGE }),
    ],
  },
  {
    to: 'source.port',
    convert: port,
    from: [
      f('source.port'),
      f('SourcePort'),
      f('IpPort'),
      f('id.orig_p'),
      f('client.port'),
      f('src_port'),
      f('spt'),
      f('attr.remote', { onlyFor: MONGODB }),
      f('attr.client', { onlyFor: MONGODB }),
    ],
  },
  {
    to: 'destination.ip',
    convert: ip,
    from: [
      f('destination.ip'),
      f('DestinationIp'),
      f('DestAddress'),
      f('id.resp_h'),
      f('server.ip'),
      f('dst_ip'),
      f('dst'),
      f('server-ip', { onlyFor: EXCHANGE }),
    ],
  },
  {
    to: 'destination.port',
    convert: port,
    from: [
      f('destination.port'),
      f('DestinationPort'),
      f('DestPort'),
      f('id.resp_p'),
      f('server.port'),
      f('dst_port'),
      f('dpt'),
    ],
  },
  {
    to: 'destination.domain',
    convert: text,
    from: [f('destination.domain'), f('DestinationHostname')],
  },
  { to: 'file.path', convert: text, from: [f('file.path'), f('TargetFilename')] },
  { to: 'dll.path', convert: text, from: [f('dll.path'), f('ImageLoaded')] },
  { to: 'registry.path', convert: text, from: [f('registry.path'), f('TargetObject')] },
  {
    to: 'dns.question.name',
    convert: text,
    from: [f('dns.question.name'), f('QueryName'), f('query', { onlyFor: ZEEK })],
  },
  { to: 'url.original', convert: text, from: [f('url.original'), f('url'), f('URL')] },
  { to: 'service.name', convert: text, from: [f('service.name'), f('ServiceName')] },
  {
    to: 'winlog.logon.id',
    convert: logonId,
    from: [
      f('winlog.logon.id'),
      f('TargetLogonId'),
      f('LogonId'),
      f('SubjectLogonId'),
      f('winlog.event_data.TargetLogonId'),
    ],
  },
  ...(['md5', 'sha1', 'sha256', 'imphash'] as const).map((algo): EntityRule => ({
    to: `hash.${algo}`,
    convert: lowerText,
    from: [
      f(`hash.${algo}`),
      f(`process.hash.${algo}`),
      f(`file.hash.${algo}`),
      f(algo.toUpperCase()),
      f(algo),
    ],
  })),
];

/** Sysmon `Hashes` / `Hash`: `SHA1=…,MD5=…,SHA256=…,IMPHASH=…` (any subset, any order). */
const HASH_FIELDS = ['Hashes', 'Hash', 'process.hash', 'hashes'];
const HASH_NAMES: Readonly<Record<string, string>> = {
  MD5: 'hash.md5',
  SHA1: 'hash.sha1',
  SHA256: 'hash.sha256',
  IMPHASH: 'hash.imphash',
};

/**
 * The entity fields of one event. Values `-` and empty are skipped; host names are lower-cased
 * (ECS recommends the lower-case FQDN) and `host.hostname` holds the short name; `DOMAIN\user`
 * is split into `user.domain` and `user.name`; process ids are numbers (hex ones converted);
 * hashes are lower-case hex. `event.code` is the EventID as text.
 */
export function deriveEntities(fields: Fields, source: LogSource): EntityFields {
  const out: Record<string, string | number> = {};
  const eventId = numberOf(fields['EventID'] ?? fields['winlog.event_id'] ?? fields['event.code']);
  // Only the sources present in this event are looked at: an event has tens of fields, the table
  // hundreds of candidates.
  const present: (number[] | undefined)[] = [];
  for (const key in fields) {
    const refs = SOURCES_BY_FIELD.get(key);
    if (refs === undefined) continue;
    for (const ref of refs) {
      const list = present[ref.rule];
      if (list === undefined) present[ref.rule] = [ref.source];
      else list.push(ref.source);
    }
  }
  for (let ri = 0; ri < ENTITY_RULES.length; ri++) {
    const candidates = present[ri];
    const rule = ENTITY_RULES[ri];
    if (candidates === undefined || rule === undefined) continue;
    if (candidates.length > 1) candidates.sort((a, b) => a - b);
    for (const si of candidates) {
      const src = rule.from[si];
      if (src === undefined || !applies(src, eventId, source.product)) continue;
      const raw = first(fields[src.field]);
      if (raw === undefined) continue;
      const v = rule.convert(raw);
      if (v === undefined) continue;
      if (rule.user) setUser(out, rule.to, fields, src, String(v));
      else out[rule.to] = v;
      break;
    }
  }
  hashes(out, fields);
  derived(out);
  return out;
}

/** Field name → the (rule, source) pairs of ENTITY_RULES that read it, in table order. */
const SOURCES_BY_FIELD = new Map<string, { readonly rule: number; readonly source: number }[]>();
ENTITY_RULES.forEach((rule, ri) => {
  rule.from.forEach((src, si) => {
    const list = SOURCES_BY_FIELD.get(src.field);
    if (list === undefined) SOURCES_BY_FIELD.set(src.field, [{ rule: ri, source: si }]);
    else list.push({ rule: ri, source: si });
  });
});

function applies(src: Source, eventId: number | undefined, product: string | undefined): boolean {
  if (src.events !== undefined && (eventId === undefined || !src.events.has(eventId))) return false;
  if (src.exceptEvents !== undefined && eventId !== undefined && src.exceptEvents.has(eventId)) {
    return false;
  }
  if (src.onlyFor !== undefined && (product === undefined || !src.onlyFor.has(product)))
    return false;
  return !(src.notFor !== undefined && product !== undefined && src.notFor.has(product));
}

function setUser(
  out: Record<string, string | number>,
  prefix: string,
  fields: Fields,
  src: Source,
  value: string,
): void {
  const slash = value.indexOf('\\');
  if (slash > 0 && slash < value.length - 1) {
    out[`${prefix}.domain`] = value.slice(0, slash);
    out[`${prefix}.name`] = value.slice(slash + 1);
  } else {
    out[`${prefix}.name`] = value;
    const domain = src.domain === undefined ? undefined : text(first(fields[src.domain]) ?? null);
    if (domain !== undefined) out[`${prefix}.domain`] = domain;
  }
  const sid = src.sid === undefined ? undefined : text(first(fields[src.sid]) ?? null);
  if (sid !== undefined) out[`${prefix}.id`] = sid;
}

function hashes(out: Record<string, string | number>, fields: Fields): void {
  for (const key of HASH_FIELDS) {
    const v = first(fields[key]);
    if (typeof v !== 'string' || !v.includes('=')) continue;
    for (const part of v.split(',')) {
      const eq = part.indexOf('=');
      if (eq <= 0) continue;
      const name = HASH_NAMES[part.slice(0, eq).trim().toUpperCase()];
      const hex = part.slice(eq + 1).trim();
      if (name !== undefined && /^[0-9a-f]+$/i.test(hex) && out[name] === undefined) {
        out[name] = hex.toLowerCase();
      }
    }
  }
}

/** Entities computed from other entities: short host name, process and file names. */
function derived(out: Record<string, string | number>): void {
  const host = out['host.name'];
  if (typeof host === 'string' && ip(host) === undefined) {
    const dot = host.indexOf('.');
    if (dot > 0) out['host.hostname'] = host.slice(0, dot);
  }
  setBase(out, 'process.executable', 'process.name');
  setBase(out, 'process.parent.executable', 'process.parent.name');
  setBase(out, 'file.path', 'file.name');
}

function setBase(out: Record<string, string | number>, from: string, to: string): void {
  const v = out[from];
  if (typeof v !== 'string' || out[to] !== undefined) return;
  const base = v.slice(Math.max(v.lastIndexOf('\\'), v.lastIndexOf('/')) + 1);
  if (base !== '') out[to] = base;
}

function first(v: FieldValue | undefined): Scalar | undefined {
  if (v === undefined || v === null) return undefined;
  if (Array.isArray(v))
    return (v as readonly Scalar[]).find((x) => x !== null && x !== '' && x !== '-');
  return v as Scalar;
}

function numberOf(v: FieldValue | undefined): number | undefined {
  const s = first(v);
  if (typeof s === 'number') return s;
  if (typeof s === 'string' && /^\d+$/.test(s)) return Number(s);
  return undefined;
}
