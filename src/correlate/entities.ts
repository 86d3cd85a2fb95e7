/**
 * The entities an event names (host, users, logon session, processes, files, hashes, addresses,
 * domains, URLs, registry keys, services, tasks, mail, databases), each with a stable, tenant-free
 * id that alerts and incidents are joined on. Which field yields which entity is a table.
 */
import type { FieldValue, Scalar, StoredEvent } from '../core/index.ts';
import { classifyIp } from './ip.ts';
import type { ProcessSighting } from './process-facts.ts';
import {
  UNKNOWN_HOST,
  eventIdOf,
  hostOf,
  isAuditd,
  processEntityId,
  processFacts,
  text,
} from './process-facts.ts';

export const ENTITY_TYPES = [
  'host',
  'user',
  'session',
  'process',
  'file',
  'hash',
  'ip',
  'domain',
  'url',
  'registry',
  'service',
  'task',
  'mail',
  'database',
] as const;
export type EntityType = (typeof ENTITY_TYPES)[number];

/**
 * What the entity is to the event: `actor` did it, `target` was acted on, `parent` created the
 * actor process, `source`/`destination` are the two ends of a connection or logon, `answer` an
 * address a DNS query resolved to, `sender`/`recipient` the ends of a mail, `loaded` a module the
 * actor loaded.
 */
export const ENTITY_ROLES = [
  'actor',
  'target',
  'parent',
  'source',
  'destination',
  'answer',
  'sender',
  'recipient',
  'loaded',
] as const;
export type EntityRole = (typeof ENTITY_ROLES)[number];

export interface Entity {
  readonly type: EntityType;
  /**
   * Stable and tenant-free (the tenant scopes it): the same thing seen in two events has the same
   * id. `<type>:<key>`; things that only exist on one machine carry the host (`file:<host>:<path>`).
   */
  readonly id: string;
  /** For people: the value as the source wrote it (a path, `CORP\alice`, `cmd.exe (1680)`). */
  readonly label: string;
  readonly role?: EntityRole;
  readonly attributes?: Readonly<Record<string, string | number>>;
}

/** Resolves a process known by pid at a time to its entity id (`ProcessTree` implements it). */
export interface PidResolver {
  resolve(tenant: string, host: string, pid: number, at: number): string;
}

export interface ExtractOptions {
  /**
   * Gives a process referenced only by pid (a 4688 creator, the process of a 4624, an auditd
   * event's process) the id of the process that held that pid at the time. Without it such a
   * process is `process:<host>:<pid>` (start unknown).
   */
  readonly processes?: PidResolver;
}

// ---------------------------------------------------------------------------------------------
// The table

interface Ctx {
  readonly event: StoredEvent;
  readonly host: string;
  readonly eventId: number | undefined;
  readonly product: string | undefined;
  /** Accounts without a domain are local to the machine (Linux, auditd). */
  readonly localAccounts: boolean;
  readonly opts: ExtractOptions;
}

interface Candidate {
  /** `e`: the ECS entities derived at ingest; `f`: the source's own fields. */
  readonly from: 'e' | 'f';
  readonly key: string;
  /** Companion values read from the same place (`domain` → `SubjectDomainName`, …). */
  readonly with?: Readonly<Record<string, string>>;
  /** A constant the maker reads (the hash algorithm). */
  readonly tag?: string;
  /** Only for these Windows EventIDs. */
  readonly events?: ReadonlySet<number>;
  readonly exceptEvents?: ReadonlySet<number>;
  /** Only for events whose logsource product is one of these. */
  readonly products?: ReadonlySet<string>;
  /** Only when this field is present (`Sender` is a mail sender only beside a `MessageId`). */
  readonly requires?: string;
}

type Made = Entity | readonly Entity[] | undefined;
type Maker = (value: string, ctx: Ctx, c: Candidate) => Made;

interface Row {
  readonly type: EntityType;
  readonly role?: EntityRole;
  readonly from: readonly Candidate[];
  readonly make: Maker;
  /** Every candidate and every element of a list yields entities (default: the first usable one). */
  readonly all?: true;
}

/** Entities that need more than one field's value (processes, the event's host). */
interface DerivedRow {
  readonly type: EntityType;
  readonly extract: (ctx: Ctx) => readonly Entity[];
}

const e = (key: string, more: Omit<Candidate, 'from' | 'key'> = {}): Candidate => ({
  from: 'e',
  key,
  ...more,
});
const f = (key: string, more: Omit<Candidate, 'from' | 'key'> = {}): Candidate => ({
  from: 'f',
  key,
  ...more,
});

function read(ctx: Ctx, from: 'e' | 'f', key: string): FieldValue | undefined {
  return from === 'e' ? ctx.event.entities[key] : ctx.event.fields[key];
}

function companion(ctx: Ctx, c: Candidate, name: string): string | undefined {
  const key = c.with?.[name];
  return key === undefined ? undefined : text(read(ctx, c.from, key));
}

function applies(c: Candidate, ctx: Ctx): boolean {
  if (c.events !== undefined && (ctx.eventId === undefined || !c.events.has(ctx.eventId))) {
    return false;
  }
  if (
    c.exceptEvents !== undefined &&
    ctx.eventId !== undefined &&
    c.exceptEvents.has(ctx.eventId)
  ) {
    return false;
  }
  if (c.products !== undefined && (ctx.product === undefined || !c.products.has(ctx.product))) {
    return false;
  }
  return c.requires === undefined || ctx.event.fields[c.requires] !== undefined;
}

/** Every usable text value of a candidate (lists give one value per element). */
function values(ctx: Ctx, c: Candidate): string[] {
  const v = read(ctx, c.from, c.key);
  if (v === undefined || v === null) return [];
  const list: readonly Scalar[] = Array.isArray(v) ? (v as readonly Scalar[]) : [v as Scalar];
  const out: string[] = [];
  for (const x of list) {
    const s = text(x);
    if (s !== undefined) out.push(s);
  }
  return out;
}

function attrs(pairs: Record<string, string | number | undefined>): {
  attributes?: Readonly<Record<string, string | number>>;
} {
  const out: Record<string, string | number> = {};
  let any = false;
  for (const [k, v] of Object.entries(pairs)) {
    if (v === undefined) continue;
    out[k] = v;
    any = true;
  }
  return any ? { attributes: out } : {};
}

function baseName(path: string): string {
  return path.slice(Math.max(path.lastIndexOf('\\'), path.lastIndexOf('/')) + 1);
}

/** Windows paths (drive letter, UNC, device) compare case-insensitively; POSIX paths do not. */
function pathKey(path: string): string {
  return /^(?:[a-z]:[\\/]|\\\\|\\)/i.test(path) ? path.toLowerCase() : path;
}

// --- makers ----------------------------------------------------------------------------------

const host: Maker = (value, ctx) => {
  const name = value.toLowerCase();
  if (name === ctx.host) return undefined; // the event's own machine is listed once, without a role
  return { type: 'host', id: `host:${name}`, label: name };
};

/** Account names that exist on every Windows machine (joining on them joins everything). */
const WELL_KNOWN_USERS = new Set([
  'system',
  'local system',
  'localsystem',
  'local service',
  'network service',
  'anonymous logon',
]);
const WELL_KNOWN_DOMAINS = new Set([
  'nt authority',
  'window manager',
  'font driver host',
  'nt service',
]);

/**
 * `domain\name`, lower-cased, as `user:<domain>\<name>`; `name@domain` (UPN, mail address) as it
 * is. A name without a domain from a source whose accounts are local (Linux, auditd, MongoDB) is
 * scoped to its machine: `user:<host>\<name>`.
 */
const user: Maker = (value, ctx, c) => {
  let name = value;
  let domain = companion(ctx, c, 'domain');
  const slash = name.indexOf('\\');
  if (slash > 0 && slash < name.length - 1) {
    domain = name.slice(0, slash);
    name = name.slice(slash + 1);
  }
  if (c.tag === 'mail') name = name.replace(/^.*<([^>]+)>.*$/, '$1');
  const local =
    domain === undefined && !name.includes('@') && (ctx.localAccounts || c.tag === 'local');
  const key = domain !== undefined ? `${domain}\\${name}` : local ? `${ctx.host}\\${name}` : name;
  const lower = name.toLowerCase();
  const wellKnown =
    WELL_KNOWN_USERS.has(lower) ||
    (domain !== undefined && WELL_KNOWN_DOMAINS.has(domain.toLowerCase()));
  return {
    type: 'user',
    id: `user:${key.toLowerCase()}`,
    label: domain === undefined ? name : `${domain}\\${name}`,
    ...attrs({
      domain,
      sid: companion(ctx, c, 'sid'),
      database: companion(ctx, c, 'database'),
      wellKnown: wellKnown ? 1 : undefined,
      machine: name.endsWith('$') ? 1 : undefined,
    }),
  };
};

/** Mail addresses: a list, or one text with `;` or `,` between them (message tracking CSV). */
const mailboxes: Maker = (value, ctx, c) => {
  const out: Entity[] = [];
  for (const part of value.split(/[;,]/)) {
    const address = part.trim();
    const made = address === '' ? undefined : user(address, ctx, c);
    if (made !== undefined && !Array.isArray(made)) out.push(made as Entity);
  }
  return out;
};

/** auditd's numeric login uid (when the log is not enriched with names); 4294967295 is "unset". */
const uid: Maker = (value, ctx) => {
  if (!/^\d+$/.test(value) || value === '4294967295') return undefined;
  return {
    type: 'user',
    id: `user:${ctx.host}\\uid:${value}`,
    label: `uid ${value}`,
    attributes: { uid: Number(value) },
  };
};

/** Windows logon sessions of the machine's own accounts (SYSTEM, LOCAL and NETWORK SERVICE). */
const SERVICE_LOGONS = new Set(['0x3e7', '0x3e4', '0x3e5']);

/** `session:<host>:<logon id>` (Windows LUID, `0x…`) or `session:<host>:<audit session>` (auditd `ses`). */
const session: Maker = (value, ctx, c) => {
  const id = value.toLowerCase();
  if (c.tag === 'conn') {
    // MongoDB: a client connection, `ctx: conn1187` on what it did, `connectionId: 1187` when accepted
    const n = /^(?:conn)?(\d+)$/.exec(id)?.[1];
    if (n === undefined) return undefined;
    return {
      type: 'session',
      id: `session:${ctx.host}:conn${n}`,
      label: `connection ${n}`,
      attributes: { protocol: 'mongodb' },
    };
  }
  if (c.tag === 'ses') {
    if (!/^\d+$/.test(id) || id === '4294967295') return undefined;
  } else if (!/^0x[0-9a-f]+$/.test(id) || /^0x0+$/.test(id) || SERVICE_LOGONS.has(id)) {
    return undefined;
  }
  const logonType = companion(ctx, c, 'logonType');
  return {
    type: 'session',
    id: `session:${ctx.host}:${id}`,
    label: c.tag === 'ses' ? `audit session ${id}` : `logon ${id}`,
    ...attrs({ logonType: logonType === undefined ? undefined : Number(logonType) || logonType }),
  };
};

const file: Maker = (value, ctx) => ({
  type: 'file',
  id: `file:${ctx.host}:${pathKey(value)}`,
  label: value,
  attributes: { name: baseName(value) },
});

const hash: Maker = (value, ctx, c) => {
  const hex = value.toLowerCase();
  if (!/^[0-9a-f]{16,128}$/.test(hex)) return undefined;
  const algorithm = c.tag ?? 'hash';
  const ent = ctx.event.entities;
  const of = ent['dll.path'] ?? ent['file.path'] ?? ent['process.executable'];
  return {
    type: 'hash',
    id: `hash:${algorithm}:${hex}`,
    label: `${algorithm} ${hex}`,
    ...attrs({ algorithm, of: typeof of === 'string' ? of : undefined }),
  };
};

/** An address, or `address:port` (`[v6]:port`); loopback and unspecified addresses name no one and are skipped. */
const ip: Maker = (value, ctx, c) => {
  let info = classifyIp(value);
  let port = companion(ctx, c, 'port');
  if (info === undefined) {
    const m = /^\[?([^\]]+?)\]?:(\d{1,5})$/.exec(value);
    if (m !== null) {
      info = classifyIp(m[1] ?? '');
      port = m[2];
    }
  }
  if (info === undefined || info.range === 'loopback' || info.range === 'unspecified') {
    return undefined;
  }
  return {
    type: 'ip',
    id: `ip:${info.ip}`,
    label: info.ip,
    ...attrs({
      version: info.version,
      scope: info.scope,
      range: info.range,
      port: port === undefined ? undefined : Number(port),
    }),
  };
};

/** Sysmon 22 `QueryResults`: `type:  5 cname.example;::ffff:203.0.113.7;…` — the addresses in it. */
const answers: Maker = (value, ctx, c) => {
  const out: Entity[] = [];
  for (const part of value.split(';')) {
    const made = ip(part.trim(), ctx, c);
    if (made !== undefined && !Array.isArray(made)) out.push(made as Entity);
  }
  return out;
};

/** Lower-case, no trailing dot; IP literals and values that cannot be names are not domains. */
export function normalizeDomain(value: string): string | undefined {
  const d = value.trim().toLowerCase().replace(/\.+$/, '');
  if (d === '' || /[\s/\\:@()<>"',;=]/.test(d) || classifyIp(d) !== undefined) return undefined;
  return d;
}

const domain: Maker = (value) => {
  const d = normalizeDomain(value);
  return d === undefined ? undefined : { type: 'domain', id: `domain:${d}`, label: d };
};

/** `url:<href>` with scheme and host lower-cased (WHATWG URL); the host becomes a domain or ip entity too. */
const url: Maker = (value, ctx, c) => {
  let href = value;
  let hostname: string | undefined;
  try {
    const u = new URL(value);
    href = u.href;
    hostname = u.hostname;
  } catch {
    return undefined;
  }
  const out: Entity[] = [{ type: 'url', id: `url:${href}`, label: value }];
  if (hostname !== '') {
    const h = hostname.startsWith('[') ? hostname.slice(1, -1) : hostname;
    const other = classifyIp(h) !== undefined ? ip(h, ctx, c) : domain(h, ctx, c);
    if (other !== undefined && !Array.isArray(other)) out.push(other as Entity);
  }
  return out;
};

/** Zeek http: `host` + `uri`. */
const zeekUrl: Maker = (uri, ctx, c) => {
  const h = companion(ctx, c, 'host');
  return h === undefined
    ? undefined
    : url(`http://${h}${uri.startsWith('/') ? '' : '/'}${uri}`, ctx, c);
};

const HIVES: readonly (readonly [RegExp, string])[] = [
  [/^\\registry\\machine\\?/i, 'HKLM\\'],
  [/^\\registry\\user\\?/i, 'HKU\\'],
  [/^hkey_local_machine\\?/i, 'HKLM\\'],
  [/^hkey_users\\?/i, 'HKU\\'],
  [/^hkey_current_user\\?/i, 'HKCU\\'],
  [/^hkey_classes_root\\?/i, 'HKCR\\'],
];

/** `registry:<host>:<key>`, hive names as Sysmon writes them (`HKLM\…`, `HKU\…`), lower-cased. */
const registry: Maker = (value, ctx) => {
  let key = value;
  for (const [re, short] of HIVES) {
    if (re.test(key)) {
      key = key.replace(re, short);
      break;
    }
  }
  return {
    type: 'registry',
    id: `registry:${ctx.host}:${key.toLowerCase()}`,
    label: key,
    attributes: { name: baseName(key) },
  };
};

const service: Maker = (value, ctx, c) => ({
  type: 'service',
  id: `service:${ctx.host}:${value.toLowerCase()}`,
  label: value,
  ...attrs({
    image: companion(ctx, c, 'image'),
    account: companion(ctx, c, 'account'),
    startType: companion(ctx, c, 'startType'),
  }),
});

/** `task:<host>:<\path\name>`; the command and arguments are read from the task's XML. */
const task: Maker = (value, ctx, c) => {
  const xml = companion(ctx, c, 'content') ?? '';
  const tag = (name: string): string | undefined => {
    const m = new RegExp(`<${name}>([^<]*)</${name}>`).exec(xml);
    const v = m?.[1]?.trim();
    return v === undefined || v === '' ? undefined : unescapeXml(v);
  };
  return {
    type: 'task',
    id: `task:${ctx.host}:${value.toLowerCase()}`,
    label: value,
    ...attrs({ command: tag('Command'), arguments: tag('Arguments') }),
  };
};

const XML_ENTITIES: Readonly<Record<string, string>> = {
  lt: '<',
  gt: '>',
  amp: '&',
  quot: '"',
  apos: "'",
};

function unescapeXml(v: string): string {
  return v.replace(/&(lt|gt|amp|quot|apos);/g, (m, name: string) => XML_ENTITIES[name] ?? m);
}

/** A message by its Message-ID (angle brackets dropped, lower-cased). */
const mail: Maker = (value, ctx, c) => {
  const mid = value.replace(/^<|>$/g, '').toLowerCase();
  if (mid === '') return undefined;
  const subject = companion(ctx, c, 'subject');
  return {
    type: 'mail',
    id: `mail:${mid}`,
    label: subject ?? mid,
    ...attrs({ subject, event: companion(ctx, c, 'event') }),
  };
};

/** `database:<host>:<name>`; a MongoDB namespace `db.collection` gives the database and the collection. */
const database: Maker = (value, ctx, c) => {
  const dot = c.tag === 'ns' ? value.indexOf('.') : -1;
  const name = dot > 0 ? value.slice(0, dot) : value;
  const collection = dot > 0 ? value.slice(dot + 1) : undefined;
  return {
    type: 'database',
    id: `database:${ctx.host}:${name}`,
    label: name,
    ...attrs({ collection: collection?.startsWith('$') === true ? undefined : collection }),
  };
};

// --- process and host entities -------------------------------------------------------------

function processEntity(ctx: Ctx, s: ProcessSighting, start: number | undefined): Entity {
  const ref = s.ref;
  const id =
    ref.by === 'pid'
      ? (ctx.opts.processes?.resolve(ctx.event.tenant, ctx.host, ref.pid, ref.at) ??
        processEntityId(ctx.host, ref))
      : processEntityId(ctx.host, ref);
  const pid = s.pid ?? (ref.by === 'guid' ? undefined : ref.pid);
  const name = s.image === undefined ? 'process' : baseName(s.image);
  return {
    type: 'process',
    id,
    label: pid === undefined ? name : `${name} (${pid})`,
    ...attrs({
      pid,
      image: s.image,
      commandLine: s.commandLine,
      user: s.user,
      guid: ref.by === 'guid' ? ref.guid : undefined,
      start,
    }),
  };
}

const processes: DerivedRow = {
  type: 'process',
  extract: (ctx) => {
    const facts = processFacts(ctx.event);
    if (facts === undefined) return [];
    const out: Entity[] = [
      {
        ...processEntity(ctx, facts.actor, facts.kind === 'create' ? facts.at : undefined),
        role: 'actor',
      },
    ];
    if (facts.parent !== undefined) {
      out.push({ ...processEntity(ctx, facts.parent, undefined), role: 'parent' });
    }
    if (facts.target !== undefined) {
      out.push({ ...processEntity(ctx, facts.target, undefined), role: 'target' });
    }
    return out;
  },
};

/**
 * The machine's own addresses as its shipper reports them (Beats' `host.ip`, Elastic Agent's too): what
 * lets a network sensor's record (Zeek) that names the address be tied to the machine. Loopback,
 * link-local and unspecified addresses are left out; the rest are joined with `,` in their order.
 */
function ownAddresses(ctx: Ctx): string | undefined {
  const v = ctx.event.fields['host.ip'];
  if (v === undefined || v === null) return undefined;
  const out: string[] = [];
  for (const x of Array.isArray(v) ? (v as readonly Scalar[]) : [v as Scalar]) {
    const info = typeof x === 'string' ? classifyIp(x) : undefined;
    if (info === undefined || ['loopback', 'link-local', 'unspecified'].includes(info.range))
      continue;
    if (!out.includes(info.ip)) out.push(info.ip);
  }
  return out.length > 0 ? out.join(',') : undefined;
}

const eventHost: DerivedRow = {
  type: 'host',
  extract: (ctx) => {
    if (ctx.host === UNKNOWN_HOST) return [];
    const dot = ctx.host.indexOf('.');
    const short =
      dot > 0 && classifyIp(ctx.host) === undefined ? ctx.host.slice(0, dot) : undefined;
    return [
      {
        type: 'host',
        id: `host:${ctx.host}`,
        label: ctx.host,
        ...attrs({ hostname: short, addresses: ownAddresses(ctx) }),
      },
    ];
  },
};

// --- the rows --------------------------------------------------------------------------------

/** Windows logon events, whose `TargetUserName` logged on (ingest puts it in `user.name`). */
const LOGON_EVENTS: ReadonlySet<number> = new Set([
  4624, 4625, 4634, 4647, 4648, 4768, 4769, 4770, 4771, 4776, 4778, 4779, 4800, 4801, 4964,
]);
/** System log service events (7045 installed, 7040 start type changed, 7036 state changed). */
const SERVICE_EVENTS: ReadonlySet<number> = new Set([7045, 7040, 7036]);
/** Security 4697: a service was installed (its own field names). */
const SERVICE_INSTALLED: ReadonlySet<number> = new Set([4697]);
const REGISTRY_EVENTS: ReadonlySet<number> = new Set([4657]);
const ZEEK: ReadonlySet<string> = new Set(['zeek']);
const MONGODB: ReadonlySet<string> = new Set(['mongodb']);
const SYSMON_DNS: ReadonlySet<number> = new Set([22]);

const ACTOR = { domain: 'SubjectDomainName', sid: 'SubjectUserSid' };
const TARGET = { domain: 'TargetDomainName', sid: 'TargetUserSid' };

/**
 * Entity rows in output order. Within a row candidates are tried in order and the first usable
 * value wins, unless the row takes `all`. The ECS entities derived at ingest (`e`) are read where
 * their meaning is unambiguous; the source's own fields (`f`) where a role needs them.
 */
const ENTITY_ROWS: readonly (Row | DerivedRow)[] = [
  eventHost,
  { type: 'host', role: 'source', make: host, from: [f('WorkstationName'), f('Workstation')] },
  processes,
  {
    type: 'user',
    role: 'actor',
    make: user,
    from: [
      f('SubjectUserName', { with: ACTOR }),
      f('User', { with: { sid: 'UserSid' } }),
      f('SourceUser'),
      f('AUID'),
      f('attr.principalName', { tag: 'local', with: { database: 'attr.authenticationDatabase' } }),
      f('attr.user', { tag: 'local', with: { database: 'attr.db' } }),
      e('user.name', {
        with: { domain: 'user.domain', sid: 'user.id' },
        exceptEvents: LOGON_EVENTS,
      }),
    ],
  },
  { type: 'user', role: 'actor', make: uid, from: [f('auid', { products: new Set(['linux']) })] },
  {
    type: 'user',
    role: 'target',
    make: user,
    from: [
      f('TargetUserName', { with: TARGET }),
      f('TargetUser'),
      e('user.target.name', { with: { domain: 'user.target.domain', sid: 'user.target.id' } }),
      e('user.name', { with: { domain: 'user.domain', sid: 'user.id' }, events: LOGON_EVENTS }),
    ],
  },
  { type: 'user', role: 'parent', make: user, from: [f('ParentUser')] },
  {
    type: 'user',
    role: 'sender',
    make: mailboxes,
    from: [
      f('Sender', { tag: 'mail', requires: 'MessageId' }),
      f('sender-address', { tag: 'mail', requires: 'message-id' }),
    ],
  },
  {
    type: 'user',
    role: 'recipient',
    make: mailboxes,
    all: true,
    from: [
      f('Recipients', { tag: 'mail', requires: 'MessageId' }),
      f('recipient-address', { tag: 'mail', requires: 'message-id' }),
    ],
  },
  {
    type: 'session',
    role: 'actor',
    make: session,
    from: [
      f('SubjectLogonId'),
      f('LogonId'),
      f('ses', { tag: 'ses', products: new Set(['linux']) }),
      f('ctx', { tag: 'conn', products: MONGODB }),
      f('attr.connectionId', { tag: 'conn', products: MONGODB }),
      e('winlog.logon.id', { exceptEvents: LOGON_EVENTS }),
    ],
  },
  {
    type: 'session',
    role: 'target',
    make: session,
    from: [f('TargetLogonId', { with: { logonType: 'LogonType' } })],
  },
  { type: 'file', role: 'target', make: file, from: [e('file.path'), f('TargetFilename')] },
  { type: 'file', role: 'loaded', make: file, from: [e('dll.path'), f('ImageLoaded')] },
  ...(['sha256', 'sha1', 'md5', 'imphash'] as const).map((algo): Row => ({
    type: 'hash',
    make: hash,
    from: [e(`hash.${algo}`, { tag: algo })],
  })),
  {
    type: 'ip',
    role: 'source',
    make: ip,
    from: [
      e('source.ip', { with: { port: 'source.port' } }),
      f('SourceIp', { with: { port: 'SourcePort' } }),
      f('IpAddress', { with: { port: 'IpPort' } }),
      f('ClientIp'),
      f('attr.remote'),
      f('addr', { products: new Set(['linux']) }),
    ],
  },
  {
    type: 'ip',
    role: 'destination',
    make: ip,
    from: [
      e('destination.ip', { with: { port: 'destination.port' } }),
      f('DestinationIp', { with: { port: 'DestinationPort' } }),
    ],
  },
  {
    type: 'ip',
    role: 'answer',
    make: answers,
    all: true,
    from: [f('answers', { products: ZEEK }), f('QueryResults', { events: SYSMON_DNS })],
  },
  {
    type: 'domain',
    role: 'destination',
    make: domain,
    all: true,
    from: [
      e('dns.question.name'),
      f('QueryName'),
      e('destination.domain'),
      f('DestinationHostname'),
      f('server_name', { products: ZEEK }),
    ],
  },
  {
    type: 'url',
    role: 'destination',
    make: url,
    from: [e('url.original'), f('url'), f('URL')],
  },
  {
    type: 'url',
    role: 'destination',
    make: zeekUrl,
    from: [f('uri', { products: ZEEK, with: { host: 'host' } })],
  },
  {
    type: 'registry',
    role: 'target',
    make: registry,
    from: [e('registry.path'), f('TargetObject'), f('ObjectName', { events: REGISTRY_EVENTS })],
  },
  {
    type: 'service',
    role: 'target',
    make: service,
    from: [
      f('ServiceName', {
        events: SERVICE_EVENTS,
        with: { image: 'ImagePath', account: 'AccountName', startType: 'StartType' },
      }),
      f('ServiceName', {
        events: SERVICE_INSTALLED,
        with: {
          image: 'ServiceFileName',
          account: 'ServiceAccount',
          startType: 'ServiceStartType',
        },
      }),
    ],
  },
  {
    type: 'task',
    role: 'target',
    make: task,
    from: [f('TaskName', { with: { content: 'TaskContent' } })],
  },
  {
    type: 'mail',
    role: 'target',
    make: mail,
    from: [
      f('MessageId', { with: { subject: 'MessageSubject', event: 'EventId' } }),
      f('message-id', { with: { subject: 'message-subject', event: 'event-id' } }),
    ],
  },
  {
    type: 'database',
    role: 'target',
    make: database,
    from: [
      f('attr.ns', { tag: 'ns' }),
      f('attr.namespace', { tag: 'ns' }),
      f('attr.db'),
      f('attr.authenticationDatabase'),
    ],
  },
];

const isDerived = (row: Row | DerivedRow): row is DerivedRow => 'extract' in row;

/**
 * The entities `event` names, in table order, each (id, role) once. Pure: the same event gives
 * the same list; pass `processes` (a `ProcessTree`) to name pid-only processes by their start.
 */
export function extractEntities(event: StoredEvent, opts: ExtractOptions = {}): Entity[] {
  const ctx: Ctx = {
    event,
    host: hostOf(event),
    eventId: eventIdOf(event.fields),
    product: event.source.product,
    localAccounts: event.source.product === 'linux' || isAuditd(event),
    opts,
  };
  const out: Entity[] = [];
  const seen = new Set<string>();
  const push = (ent: Entity): void => {
    const key = `${ent.role ?? ''}\0${ent.id}`;
    if (seen.has(key)) return;
    seen.add(key);
    out.push(ent);
  };
  for (const row of ENTITY_ROWS) {
    if (isDerived(row)) {
      for (const ent of row.extract(ctx)) push(ent);
      continue;
    }
    let found = false;
    for (const c of row.from) {
      if (!applies(c, ctx)) continue;
      for (const v of values(ctx, c)) {
        const made = row.make(v, ctx, c);
        const list: readonly Entity[] =
          made === undefined ? [] : Array.isArray(made) ? made : [made as Entity];
        for (const ent of list) {
          push(row.role === undefined || ent.role !== undefined ? ent : { ...ent, role: row.role });
          found = true;
        }
        if (found && row.all !== true) break;
      }
      if (found && row.all !== true) break;
    }
  }
  return out;
}

/** The entities of several events (an alert's), each (id, role) once, in event order. */
export function entitiesOfEvents(
  events: readonly StoredEvent[],
  opts: ExtractOptions = {},
): Entity[] {
  const out: Entity[] = [];
  const seen = new Set<string>();
  for (const ev of events) {
    for (const ent of extractEntities(ev, opts)) {
      const key = `${ent.role ?? ''}\0${ent.id}`;
      if (seen.has(key)) continue;
      seen.add(key);
      out.push(ent);
    }
  }
  return out;
}
