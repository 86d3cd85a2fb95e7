/**
 * How events name machines and processes: the host key, and for each source (Sysmon, Security
 * 4688, auditd, ECS shippers) which process acted, which created it and which it acted on, keyed
 * so that entity ids and the process tree agree.
 */
import type { FieldValue, Fields, Scalar, StoredEvent } from '../core/index.ts';

/** Host key used when an event names no machine. */
export const UNKNOWN_HOST = '-';

function first(v: FieldValue | undefined): Scalar | undefined {
  if (v === undefined || v === null) return undefined;
  if (Array.isArray(v)) {
    return (v as readonly Scalar[]).find((x) => x !== null && x !== '' && x !== '-');
  }
  return v as Scalar;
}

/** Trimmed text; empty, `-`, `?` and `N/A` (what sources write for "none") are undefined. */
export function text(v: FieldValue | undefined): string | undefined {
  const s0 = first(v);
  if (typeof s0 === 'number') return String(s0);
  if (typeof s0 !== 'string') return undefined;
  const s = s0.trim();
  return s === '' || s === '-' || s === '?' || s === 'N/A' || s === '(null)' ? undefined : s;
}

/** A process id: decimal or Windows' `0x` hex; 0 (idle / none) is undefined. */
function pidOf(v: FieldValue | undefined): number | undefined {
  const s = first(v);
  let n: number | undefined;
  if (typeof s === 'number') n = Number.isInteger(s) ? s : undefined;
  else if (typeof s === 'string') {
    const t = s.trim();
    if (/^\d{1,12}$/.test(t)) n = Number(t);
    else if (/^0x[0-9a-f]{1,12}$/i.test(t)) n = parseInt(t.slice(2), 16);
  }
  return n === undefined || n <= 0 ? undefined : n;
}

/** The EventID of a Windows event (number or digits), else undefined. */
export function eventIdOf(fields: Fields): number | undefined {
  const v = first(fields['EventID'] ?? fields['winlog.event_id']);
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && /^\d{1,5}$/.test(v.trim())) return Number(v.trim());
  return undefined;
}

const GUID = /^\{?([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\}?$/i;
const NULL_GUID = '00000000-0000-0000-0000-000000000000';

/** A process GUID without braces, lower-case; the all-zero GUID (no parent) is undefined. Other ids are kept as written. */
function guidOf(v: FieldValue | undefined): string | undefined {
  const s = text(v);
  if (s === undefined) return undefined;
  const m = GUID.exec(s);
  if (m === null) return s;
  const g = (m[1] ?? '').toLowerCase();
  return g === NULL_GUID ? undefined : g;
}

/** Events of the auditd reader (or shipped as auditd). */
export function isAuditd(event: StoredEvent): boolean {
  return event.source.service === 'auditd' || event.format === 'auditd';
}

/**
 * The machine an event happened on, lower-cased: `host.name` (derived at ingest), else the
 * source's own field. auditd names the machine in `node=`; its `hostname=` is the remote peer.
 */
export function hostOf(event: StoredEvent): string {
  const f = event.fields;
  const candidates: (FieldValue | undefined)[] = isAuditd(event)
    ? [f['node'], f['Computer']]
    : [event.entities['host.name'], f['Computer'], f['ServerHostname'], f['node']];
  for (const c of candidates) {
    const s = text(c);
    if (s !== undefined) return s.toLowerCase();
  }
  return UNKNOWN_HOST;
}

/**
 * How an event names a process. `guid`: a unique id (Sysmon ProcessGuid, an EDR's entity id).
 * `start`: a pid together with the time the process was created (the creation event itself).
 * `pid`: a pid alive at time `at`, start unknown — resolved through the process tree.
 */
export type ProcessRef =
  | { readonly by: 'guid'; readonly guid: string }
  | { readonly by: 'start'; readonly pid: number; readonly start: number }
  | { readonly by: 'pid'; readonly pid: number; readonly at: number };

/** What one event says about one process. */
export interface ProcessSighting {
  readonly ref: ProcessRef;
  readonly pid?: number;
  readonly image?: string;
  readonly commandLine?: string;
  readonly user?: string;
}

/** What one event says about processes: the acting one, and its parent or target when named. */
export interface ProcessFacts {
  readonly host: string;
  /** `create`: the event records the actor's creation; `exit`: its end; `activity`: anything else. */
  readonly kind: 'create' | 'exit' | 'activity';
  /** When it happened, ms since the epoch (Sysmon's own `UtcTime` when present). */
  readonly at: number;
  readonly actor: ProcessSighting;
  readonly parent?: ProcessSighting;
  readonly target?: ProcessSighting;
}

/** `process:<host>:<guid>` or `process:<host>:<pid>:<start, whole seconds since the epoch>`; a bare pid gives `process:<host>:<pid>`. */
export function processEntityId(host: string, ref: ProcessRef): string {
  switch (ref.by) {
    case 'guid':
      return `process:${host}:${ref.guid}`;
    case 'start':
      return `process:${host}:${ref.pid}:${Math.floor(ref.start / 1000)}`;
    case 'pid':
      return `process:${host}:${ref.pid}`;
  }
}

const SYSMON_CHANNEL = 'microsoft-windows-sysmon/operational';

/** Sysmon's `UtcTime` (`2019-04-30 20:32:51.168`), else the event time. */
function sysmonTime(fields: Fields, fallback: number): number {
  const s = text(fields['UtcTime']);
  const m =
    s === undefined
      ? null
      : /^(\d{4})-(\d\d)-(\d\d)[ T](\d\d):(\d\d):(\d\d)(?:\.(\d{1,9}))?/.exec(s);
  if (m === null) return fallback;
  const [, y, mo, d, h, mi, sec, frac = '0'] = m;
  const ms = Number(frac.slice(0, 3).padEnd(3, '0'));
  const t = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(sec), ms);
  return Number.isFinite(t) ? t : fallback;
}

function sighting(
  ref: ProcessRef,
  fields: Fields,
  names: { pid?: string; image?: string; commandLine?: string; user?: string },
): ProcessSighting {
  const pid = names.pid === undefined ? undefined : pidOf(fields[names.pid]);
  const image = names.image === undefined ? undefined : text(fields[names.image]);
  const commandLine = names.commandLine === undefined ? undefined : text(fields[names.commandLine]);
  const user = names.user === undefined ? undefined : text(fields[names.user]);
  return {
    ref,
    ...(pid === undefined ? {} : { pid }),
    ...(image === undefined ? {} : { image }),
    ...(commandLine === undefined ? {} : { commandLine }),
    ...(user === undefined ? {} : { user }),
  };
}

/** A guid ref from `guidField`, else a pid ref from `pidField` at `at`. */
function refFrom(
  fields: Fields,
  guidField: string,
  pidField: string,
  at: number,
): ProcessRef | undefined {
  // Sysmon before version 11 spelled the process access GUIDs `SourceProcessGUID`, `TargetProcessGUID`.
  const guid = guidOf(fields[guidField] ?? fields[guidField.replace(/Guid$/, 'GUID')]);
  if (guid !== undefined) return { by: 'guid', guid };
  const pid = pidOf(fields[pidField]);
  return pid === undefined ? undefined : { by: 'pid', pid, at };
}

type FactsReader = (event: StoredEvent, host: string) => ProcessFacts | undefined;

const SYSMON_SIDES = {
  actor: { pid: 'ProcessId', image: 'Image', commandLine: 'CommandLine', user: 'User' },
  parent: {
    pid: 'ParentProcessId',
    image: 'ParentImage',
    commandLine: 'ParentCommandLine',
    user: 'ParentUser',
  },
  source: { pid: 'SourceProcessId', image: 'SourceImage', user: 'SourceUser' },
  target: { pid: 'TargetProcessId', image: 'TargetImage', user: 'TargetUser' },
} as const;

const sysmon: FactsReader = (event, host) => {
  const f = event.fields;
  const channel = text(f['Channel'])?.toLowerCase();
  if (
    channel !== SYSMON_CHANNEL &&
    f['ProcessGuid'] === undefined &&
    f['SourceProcessGuid'] === undefined &&
    f['SourceProcessGUID'] === undefined
  ) {
    return undefined;
  }
  const eid = eventIdOf(f);
  const at = sysmonTime(f, event.ts);
  if (eid === 8 || eid === 10) {
    const src = refFrom(f, 'SourceProcessGuid', 'SourceProcessId', at);
    if (src === undefined) return undefined;
    const tgt = refFrom(f, 'TargetProcessGuid', 'TargetProcessId', at);
    return {
      host,
      kind: 'activity',
      at,
      actor: sighting(src, f, SYSMON_SIDES.source),
      ...(tgt === undefined ? {} : { target: sighting(tgt, f, SYSMON_SIDES.target) }),
    };
  }
  const guid = guidOf(f['ProcessGuid']);
  const pid = pidOf(f['ProcessId']);
  if (eid === 1) {
    const ref: ProcessRef =
      guid !== undefined
        ? { by: 'guid', guid }
        : pid !== undefined
          ? { by: 'start', pid, start: at }
          : { by: 'pid', pid: 0, at };
    if (ref.by === 'pid') return undefined;
    const parent = refFrom(f, 'ParentProcessGuid', 'ParentProcessId', at);
    return {
      host,
      kind: 'create',
      at,
      actor: sighting(ref, f, SYSMON_SIDES.actor),
      ...(parent === undefined ? {} : { parent: sighting(parent, f, SYSMON_SIDES.parent) }),
    };
  }
  const ref = refFrom(f, 'ProcessGuid', 'ProcessId', at);
  if (ref === undefined) return undefined;
  return {
    host,
    kind: eid === 5 ? 'exit' : 'activity',
    at,
    actor: sighting(ref, f, SYSMON_SIDES.actor),
  };
};

/** `DOMAIN\\name` from a Security event's `<side>UserName` and `<side>DomainName`. */
function account(f: Fields, side: 'Subject' | 'Target'): string | undefined {
  const name = text(f[`${side}UserName`]);
  if (name === undefined) return undefined;
  const domain = text(f[`${side}DomainName`]);
  return domain === undefined ? name : `${domain}\\${name}`;
}

const security: FactsReader = (event, host) => {
  const f = event.fields;
  const eid = eventIdOf(f);
  if (eid === 4688) {
    const pid = pidOf(f['NewProcessId']);
    if (pid === undefined) return undefined;
    const ppid = pidOf(f['ProcessId']);
    // Since Windows 10 the new process's own account is the Target*; before, the creator's (Subject*).
    const user = account(f, 'Target') ?? account(f, 'Subject');
    const actor = sighting({ by: 'start', pid, start: event.ts }, f, {
      pid: 'NewProcessId',
      image: 'NewProcessName',
      commandLine: 'CommandLine',
    });
    return {
      host,
      kind: 'create',
      at: event.ts,
      actor: user === undefined ? actor : { ...actor, user },
      ...(ppid === undefined
        ? {}
        : {
            parent: sighting({ by: 'pid', pid: ppid, at: event.ts }, f, {
              pid: 'ProcessId',
              image: 'ParentProcessName',
            }),
          }),
    };
  }
  if (eid === undefined || f['Channel'] === undefined) return undefined;
  const pid = pidOf(f['ProcessId']);
  if (pid === undefined) return undefined;
  return {
    host,
    kind: eid === 4689 ? 'exit' : 'activity',
    at: event.ts,
    actor: sighting({ by: 'pid', pid, at: event.ts }, f, {
      pid: 'ProcessId',
      image: 'ProcessName',
    }),
  };
};

/** argv from EXECVE's `a0…a(argc-1)`; the SYSCALL record's registers share the names and come first. */
function auditdArgv(fields: Fields): string | undefined {
  const argc = pidOf(fields['argc']);
  if (argc === undefined) return undefined;
  const args: string[] = [];
  for (let i = 0; i < argc && i < 256; i++) {
    const v = fields[`a${i}`];
    const last = Array.isArray(v) ? (v as readonly Scalar[])[v.length - 1] : v;
    if (last === undefined || last === null) return undefined;
    args.push(String(last));
  }
  return args.join(' ');
}

const auditd: FactsReader = (event, host) => {
  if (!isAuditd(event)) return undefined;
  const f = event.fields;
  const pid = pidOf(f['pid']);
  if (pid === undefined) return undefined;
  const types = f['type'];
  const hasExecve = Array.isArray(types) ? types.includes('EXECVE') : types === 'EXECVE';
  const success = text(f['success']);
  const execve = (text(f['SYSCALL']) === 'execve' || hasExecve) && success !== 'no';
  const ppid = pidOf(f['ppid']);
  const commandLine = auditdArgv(f) ?? text(f['proctitle']);
  const image = text(f['exe']);
  const user = text(f['AUID']) ?? text(f['UID']);
  const actor: ProcessSighting = {
    ref: execve ? { by: 'start', pid, start: event.ts } : { by: 'pid', pid, at: event.ts },
    pid,
    ...(image === undefined ? {} : { image }),
    ...(commandLine === undefined ? {} : { commandLine }),
    ...(user === undefined ? {} : { user }),
  };
  return {
    host,
    kind: execve ? 'create' : 'activity',
    at: event.ts,
    actor,
    ...(ppid === undefined
      ? {}
      : { parent: { ref: { by: 'pid', pid: ppid, at: event.ts }, pid: ppid } }),
  };
};

/** ECS-shaped process events from other shippers (Elastic Defend, Auditbeat, EDRs). */
const ecs: FactsReader = (event, host) => {
  const e = event.entities;
  const f = event.fields;
  const guid =
    typeof e['process.entity_id'] === 'string' ? guidOf(e['process.entity_id']) : undefined;
  const pid = typeof e['process.pid'] === 'number' ? e['process.pid'] : undefined;
  const types = f['event.type'];
  const start = Array.isArray(types) ? types.includes('start') : types === 'start';
  const actorRef: ProcessRef | undefined =
    guid !== undefined
      ? { by: 'guid', guid }
      : pid === undefined
        ? undefined
        : start
          ? { by: 'start', pid, start: event.ts }
          : { by: 'pid', pid, at: event.ts };
  if (actorRef === undefined) return undefined;
  const pguid =
    typeof e['process.parent.entity_id'] === 'string'
      ? guidOf(e['process.parent.entity_id'])
      : undefined;
  const ppid = typeof e['process.parent.pid'] === 'number' ? e['process.parent.pid'] : undefined;
  const parentRef: ProcessRef | undefined =
    pguid !== undefined
      ? { by: 'guid', guid: pguid }
      : ppid === undefined
        ? undefined
        : { by: 'pid', pid: ppid, at: event.ts };
  const str = (k: string): string | undefined => {
    const v = e[k];
    return typeof v === 'string' ? v : undefined;
  };
  const actor = compact({
    ref: actorRef,
    pid,
    image: str('process.executable'),
    commandLine: str('process.command_line'),
    user: str('user.name'),
  });
  const parent =
    parentRef === undefined
      ? undefined
      : compact({
          ref: parentRef,
          pid: ppid,
          image: str('process.parent.executable'),
          commandLine: str('process.parent.command_line'),
          user: undefined,
        });
  return {
    host,
    kind: start ? 'create' : 'activity',
    at: event.ts,
    actor,
    ...(parent === undefined ? {} : { parent }),
  };
};

function compact(s: {
  ref: ProcessRef;
  pid: number | undefined;
  image: string | undefined;
  commandLine: string | undefined;
  user: string | undefined;
}): ProcessSighting {
  return {
    ref: s.ref,
    ...(s.pid === undefined ? {} : { pid: s.pid }),
    ...(s.image === undefined ? {} : { image: s.image }),
    ...(s.commandLine === undefined ? {} : { commandLine: s.commandLine }),
    ...(s.user === undefined ? {} : { user: s.user }),
  };
}

/** Readers tried in order; the first that recognises the event answers. */
const FACTS_READERS: readonly FactsReader[] = [sysmon, security, auditd, ecs];

/** What `event` says about processes, or undefined when it names none. */
export function processFacts(event: StoredEvent): ProcessFacts | undefined {
  const host = hostOf(event);
  for (const read of FACTS_READERS) {
    const facts = read(event, host);
    if (facts !== undefined) return facts;
  }
  return undefined;
}
