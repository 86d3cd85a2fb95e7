/**
 * Recognises what a JSON record is (Windows event as JSON, Winlogbeat/ECS, NXLog or Sentinel flat
 * Windows, CloudTrail, Zeek, MongoDB, Exchange message tracking, Okta, Azure, GCP, Microsoft 365, or
 * anything else) and names its fields the way SigmaHQ rules for that source expect.
 */
import type { Fields, LogSource } from '../../core/index.ts';
import {
  FACILITIES,
  looksLikeSyslog,
  parseSyslogLine,
  SEVERITIES,
  sourceOf,
  withEventXml,
} from '../syslog.ts';
import { parseTimeValue } from '../time.ts';
import { flatten, isObject } from './flatten.ts';
import { flattenVelociraptorEvent, flattenWindowsEvent, numericSystemFields } from './windows.ts';

/** A record after normalisation. `shape` names the recogniser that took it (for tests and docs). */
export interface Shaped {
  readonly shape: string;
  readonly fields: Fields;
  readonly source: LogSource;
  readonly ts: number;
}

const WINDOWS: LogSource = { product: 'windows' };

/**
 * Normalises one JSON object. `fileName` (the base name of the input) names the Zeek log when
 * the record has no `_path`.
 */
export function shapeRecord(record: Record<string, unknown>, fileName: string): Shaped {
  const event = record['Event'];
  if (isObject(event) && isObject(event['System'])) {
    const fields = flattenWindowsEvent(event);
    return {
      shape: 'evtx-json',
      fields,
      source: WINDOWS,
      ts: parseTimeValue(fields['TimeCreated_SystemTime']),
    };
  }
  const system = record['System'];
  if (isObject(system) && system['EventID'] !== undefined && system['Channel'] !== undefined) {
    const fields = flattenVelociraptorEvent(record);
    return {
      shape: 'velociraptor',
      fields,
      source: WINDOWS,
      ts: parseTimeValue(fields['TimeCreated_SystemTime']),
    };
  }
  const fields = flatten(record);
  if (
    fields['MESSAGE'] !== undefined &&
    (fields['__REALTIME_TIMESTAMP'] !== undefined || fields['_HOSTNAME'] !== undefined)
  ) {
    return journald(fields);
  }
  if (fields['winlog.channel'] !== undefined || fields['winlog.event_id'] !== undefined) {
    return winlogbeat(fields);
  }
  if (
    fields['EventID'] !== undefined &&
    (fields['Channel'] !== undefined || fields['EventLog'] !== undefined)
  ) {
    return flatWindows(fields);
  }
  if (
    fields['eventSource'] !== undefined &&
    fields['eventName'] !== undefined &&
    fields['eventVersion'] !== undefined
  ) {
    return {
      shape: 'cloudtrail',
      fields,
      source: { product: 'aws', service: 'cloudtrail' },
      ts: firstTime(fields, 'eventTime', '@timestamp'),
    };
  }
  const mongo = mongodb(fields);
  if (mongo) return mongo;
  const tracking = messageTracking(fields);
  if (tracking) return tracking;
  const zeekPath = fields['_path'];
  if (
    typeof zeekPath === 'string' ||
    (fields['ts'] !== undefined &&
      ((fields['uid'] !== undefined && fields['id.orig_h'] !== undefined) ||
        ZEEK_LOGS.has(zeekLogName(fileName))))
  ) {
    const service = typeof zeekPath === 'string' ? zeekPath : zeekLogName(fileName);
    return {
      shape: 'zeek',
      fields,
      source: service === '' ? { product: 'zeek' } : { product: 'zeek', service },
      ts: parseTimeValue(fields['ts']),
    };
  }
  const cloud = cloudSource(fields);
  if (cloud) return cloud;
  const source = ecsSource(fields['event.dataset']);
  if (source.product === 'linux' && source.service !== 'auditd') {
    // Filebeat's system module: the syslog reader's names, which linux routes use (`program`)
    setIfAbsent(fields, 'program', fields['process.name']);
    setIfAbsent(fields, 'pid', fields['process.pid']);
    setIfAbsent(fields, 'host', fields['host.hostname'] ?? fields['host.name']);
    // Filebeat's system module and Elastic Agent's system integration ship the raw line in `message`
    // (Elasticsearch's ingest pipeline parses it there): parse it here instead.
    const message = fields['message'];
    if (
      fields['program'] === undefined &&
      typeof message === 'string' &&
      looksLikeSyslog(message)
    ) {
      const parsed = parseSyslogLine(message, Date.now());
      if (parsed.ok) {
        for (const key of ['program', 'pid', 'host', 'facility', 'severity', 'tag'] as const) {
          setIfAbsent(fields, key, parsed.fields[key]);
        }
        const text = parsed.fields['message'];
        if (typeof text === 'string') {
          fields['event.original'] ??= message;
          fields['message'] = text;
        }
      }
    }
  }
  return {
    shape: 'generic',
    fields,
    source,
    ts: firstTime(
      fields,
      '@timestamp',
      'timestamp',
      'Timestamp',
      'time',
      'eventTime',
      'EventTime',
      'TimeGenerated',
      'ts',
      'date',
    ),
  };
}

/**
 * Zeek's standard log names: a JSON file so named whose records have `ts` is Zeek's even without
 * `_path` (LogAscii::use_json writes none) and without `uid` (x509, software, known_*…).
 */
const ZEEK_LOGS = new Set([
  'conn',
  'dns',
  'http',
  'ssl',
  'x509',
  'files',
  'notice',
  'weird',
  'dhcp',
  'dce_rpc',
  'kerberos',
  'ntlm',
  'rdp',
  'smb_files',
  'smb_mapping',
  'smtp',
  'ssh',
  'ftp',
  'irc',
  'sip',
  'snmp',
  'socks',
  'tunnel',
  'pe',
  'ocsp',
  'software',
  'known_hosts',
  'known_services',
  'known_certs',
  'modbus',
  'dnp3',
  'mysql',
  'radius',
  'rfb',
  'ntp',
  'syslog',
  'ldap',
  'ldap_search',
  'quic',
  'analyzer',
  'dpd',
  'capture_loss',
  'stats',
  'reporter',
  'loaded_scripts',
  'packet_filter',
  'intel',
  'signatures',
]);

/** The Zeek log a file holds, from its name: `conn.log`, `dns.json.gz`, `conn.00:00:00-01:00:00.log.gz`. */
export function zeekLogName(fileName: string): string {
  const base = fileName.slice(fileName.lastIndexOf('/') + 1);
  const m = /^([a-z][a-z0-9_]*)(?:\.|$)/i.exec(base);
  return m?.[1]?.toLowerCase() ?? '';
}

function firstTime(fields: Fields, ...keys: string[]): number {
  for (const key of keys) {
    const v = fields[key];
    if (v === undefined) continue;
    const t = parseTimeValue(v);
    if (!Number.isNaN(t)) return t;
  }
  return NaN;
}

function setIfAbsent(fields: Fields, key: string, v: Fields[string] | undefined): void {
  if (v !== undefined && fields[key] === undefined) fields[key] = v;
}

function asNumber(v: Fields[string] | undefined): Fields[string] | undefined {
  if (typeof v === 'string' && /^\d+$/.test(v)) return Number(v);
  return v;
}

/** Winlogbeat / Elastic Agent: ECS fields kept, plus the Windows names derived from `winlog.*`. */
function winlogbeat(fields: Fields): Shaped {
  for (const key of Object.keys(fields)) {
    for (const prefix of ['winlog.event_data.', 'winlog.user_data.']) {
      if (key.startsWith(prefix)) {
        const bare = key.slice(prefix.length);
        const v = fields[key];
        if (v !== undefined) setIfAbsent(fields, bare, v);
      }
    }
  }
  setIfAbsent(fields, 'EventID', asNumber(fields['event.code'] ?? fields['winlog.event_id']));
  setIfAbsent(fields, 'Channel', fields['winlog.channel']);
  setIfAbsent(fields, 'Computer', fields['winlog.computer_name'] ?? fields['host.name']);
  setIfAbsent(fields, 'Provider_Name', fields['winlog.provider_name']);
  setIfAbsent(fields, 'Provider_Guid', fields['winlog.provider_guid']);
  setIfAbsent(fields, 'EventRecordID', asNumber(fields['winlog.record_id']));
  setIfAbsent(fields, 'Version', fields['winlog.version']);
  setIfAbsent(fields, 'Execution_ProcessID', fields['winlog.process.pid']);
  setIfAbsent(fields, 'Execution_ThreadID', fields['winlog.process.thread.id']);
  setIfAbsent(fields, 'Security_UserID', fields['winlog.user.identifier']);
  numericSystemFields(fields);
  return {
    shape: 'winlogbeat',
    fields,
    source: WINDOWS,
    ts: firstTime(fields, '@timestamp', 'event.created'),
  };
}

/** NXLog, Azure Sentinel `SecurityEvent` and similar: EventData at the top level beside System values. */
function flatWindows(fields: Fields): Shaped {
  setIfAbsent(fields, 'Channel', fields['EventLog']);
  setIfAbsent(fields, 'Computer', fields['Hostname']);
  setIfAbsent(
    fields,
    'Provider_Name',
    fields['SourceName'] ?? fields['ProviderName'] ?? fields['EventSourceName'] ?? fields['Source'],
  );
  setIfAbsent(fields, 'Provider_Guid', fields['ProviderGuid']);
  setIfAbsent(fields, 'EventRecordID', fields['RecordNumber']);
  setIfAbsent(fields, 'Execution_ProcessID', fields['ExecutionProcessID']);
  setIfAbsent(fields, 'Execution_ThreadID', fields['ExecutionThreadID']);
  numericSystemFields(fields);
  return {
    shape: 'windows-flat',
    fields,
    source: WINDOWS,
    ts: firstTime(
      fields,
      'EventTime',
      '@timestamp',
      'TimeCreated',
      'TimeGenerated',
      'EventReceivedTime',
    ),
  };
}

/**
 * A journald record (`journalctl -o json`): the syslog reader's names are added (`host`, `program`,
 * `pid`, `message`, `facility`, `severity`) and it gets the same linux/auth or linux/syslog source;
 * Sysmon for Linux XML in MESSAGE is read as in syslog files.
 */
function journald(fields: Fields): Shaped {
  const text = (v: Fields[string] | undefined): string | undefined => {
    if (typeof v === 'string') return v;
    // journald writes a message that is not valid UTF-8 as a list of byte values
    if (Array.isArray(v) && v.every((x) => typeof x === 'number')) {
      return new TextDecoder().decode(Uint8Array.from(v));
    }
    return undefined;
  };
  const out: Fields = { ...fields };
  const host = text(fields['_HOSTNAME']);
  const program = text(fields['SYSLOG_IDENTIFIER']) ?? text(fields['_COMM']);
  const pid = text(fields['SYSLOG_PID']) ?? text(fields['_PID']);
  const message = text(fields['MESSAGE']);
  const facility = FACILITIES[Number(fields['SYSLOG_FACILITY'] ?? NaN)];
  const severity = SEVERITIES[Number(fields['PRIORITY'] ?? NaN)];
  if (host !== undefined) out['host'] = host;
  if (program !== undefined) out['program'] = program;
  if (pid !== undefined && /^\d+$/.test(pid)) out['pid'] = Number(pid);
  if (message !== undefined) out['message'] = message;
  if (facility !== undefined) out['facility'] = facility;
  if (severity !== undefined) out['severity'] = severity;
  const realtime = text(fields['__REALTIME_TIMESTAMP']);
  const parsed = withEventXml({
    fields: out,
    ts:
      realtime !== undefined && /^\d+$/.test(realtime) ? Math.floor(Number(realtime) / 1000) : NaN,
    ok: true,
  });
  return {
    shape: 'journald',
    fields: parsed.fields,
    source: sourceOf(parsed.fields, false),
    ts: parsed.ts,
  };
}

/** Elastic `event.dataset` values whose Sigma logsource is known (Filebeat / Elastic Agent modules). */
const ECS_DATASETS: Readonly<Record<string, LogSource>> = {
  'system.auth': { product: 'linux', service: 'auth' },
  'system.syslog': { product: 'linux', service: 'syslog' },
  'auditd.log': { product: 'linux', service: 'auditd' },
  'aws.cloudtrail': { product: 'aws', service: 'cloudtrail' },
  'okta.system': { product: 'okta', service: 'okta' },
  'azure.auditlogs': { product: 'azure', service: 'auditlogs' },
  'azure.signinlogs': { product: 'azure', service: 'signinlogs' },
  'azure.activitylogs': { product: 'azure', service: 'activitylogs' },
  'gcp.audit': { product: 'gcp', service: 'gcp.audit' },
  'o365.audit': { product: 'm365', service: 'audit' },
};

/** The logsource an ECS document's `event.dataset` names (`zeek.conn` → zeek/conn), else none. */
function ecsSource(dataset: Fields[string] | undefined): LogSource {
  if (typeof dataset !== 'string') return {};
  const known = ECS_DATASETS[dataset];
  if (known) return known;
  if (dataset.startsWith('zeek.')) return { product: 'zeek', service: dataset.slice(5) };
  return {};
}

/** Okta, Azure (audit, sign-in, activity), GCP audit and Microsoft 365 audit records. */
function cloudSource(f: Fields): Shaped | undefined {
  const type = f['Type'];
  if (
    f['eventType'] !== undefined &&
    f['actor.id'] !== undefined &&
    (f['published'] !== undefined || f['displayMessage'] !== undefined)
  ) {
    return {
      shape: 'okta',
      fields: f,
      source: { product: 'okta', service: 'okta' },
      ts: firstTime(f, 'published'),
    };
  }
  if (
    f['protoPayload.methodName'] !== undefined ||
    (typeof f['logName'] === 'string' && f['logName'].includes('cloudaudit.googleapis.com'))
  ) {
    return {
      shape: 'gcp-audit',
      fields: f,
      source: { product: 'gcp', service: 'gcp.audit' },
      ts: firstTime(f, 'timestamp', 'receiveTimestamp'),
    };
  }
  const azureTime = (): number =>
    firstTime(f, 'TimeGenerated', 'time', 'CreatedDateTime', 'createdDateTime');
  if (type === 'SigninLogs' || f['category'] === 'SignInLogs' || f['Category'] === 'SignInLogs') {
    return {
      shape: 'azure-signin',
      fields: f,
      source: { product: 'azure', service: 'signinlogs' },
      ts: azureTime(),
    };
  }
  if (
    type === 'AuditLogs' ||
    (f['OperationName'] !== undefined && f['LoggedByService'] !== undefined) ||
    f['category'] === 'AuditLogs'
  ) {
    return {
      shape: 'azure-audit',
      fields: f,
      source: { product: 'azure', service: 'auditlogs' },
      ts: azureTime(),
    };
  }
  if (
    type === 'AzureActivity' ||
    (f['operationName'] !== undefined &&
      f['resourceId'] !== undefined &&
      f['category'] !== undefined)
  ) {
    return {
      shape: 'azure-activity',
      fields: f,
      source: { product: 'azure', service: 'activitylogs' },
      ts: azureTime(),
    };
  }
  if (
    f['Operation'] !== undefined &&
    (f['Workload'] !== undefined || f['OfficeWorkload'] !== undefined) &&
    f['RecordType'] !== undefined
  ) {
    return {
      shape: 'm365-audit',
      fields: f,
      source: { product: 'm365', service: 'audit' },
      ts: firstTime(f, 'CreationTime', 'TimeGenerated'),
    };
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// MongoDB and Exchange message tracking

const MONGODB: LogSource = { product: 'mongodb', service: 'mongod' };

/** A MongoDB 4.4+ structured log line: `{"t":{"$date":…},"s":"I","c":"NETWORK","id":22943,"ctx":…,"msg":…,"attr":{…}}`. */
function isMongoLine(f: Fields): boolean {
  return (
    f['t.$date'] !== undefined &&
    typeof f['msg'] === 'string' &&
    typeof f['c'] === 'string' &&
    f['ctx'] !== undefined &&
    f['s'] !== undefined
  );
}

/**
 * MongoDB's own log (mongod 4.4+ writes one JSON object a line), as a log shipper forwards it: the
 * parsed line with the shipper's metadata beside it (Vector, Fluent Bit, Filebeat's `decode_json_fields`),
 * or Filebeat's MongoDB module, which ships the line as text in `message` with `event.dataset:
 * mongodb.log` (Elasticsearch's ingest pipeline would parse it; Vigil parses it here). Times come from
 * the line's `t`, not from the shipper's read time.
 */
function mongodb(fields: Fields): Shaped | undefined {
  if (isMongoLine(fields)) {
    return { shape: 'mongodb', fields, source: MONGODB, ts: firstTime(fields, 't.$date') };
  }
  if (fields['event.dataset'] !== 'mongodb.log') return undefined;
  const message = fields['message'];
  if (typeof message === 'string' && message.trimStart().startsWith('{')) {
    let line: unknown;
    try {
      line = JSON.parse(message);
    } catch {
      line = undefined;
    }
    if (isObject(line)) {
      const parsed = flatten(line);
      if (isMongoLine(parsed)) {
        const out: Fields = { ...fields };
        delete out['message'];
        out['event.original'] ??= message;
        for (const key in parsed) {
          const v = parsed[key];
          if (v !== undefined) out[key] = v;
        }
        return {
          shape: 'mongodb',
          fields: out,
          source: MONGODB,
          ts: firstTime(out, 't.$date', '@timestamp'),
        };
      }
    }
  }
  // an older text log (before 4.4): the logsource is still MongoDB's
  return { shape: 'mongodb', fields, source: MONGODB, ts: firstTime(fields, '@timestamp') };
}

/**
 * The columns of Exchange Server's message tracking log (`#Fields:` of MSGTRK*.LOG, Exchange 2013–SE),
 * in file order. The log's own names are the field names; shippers that cannot keep a hyphen in a
 * field name (NXLog's xm_csv, Logstash's csv filter configured by hand) write `_`, which is undone.
 */
export const MESSAGE_TRACKING_COLUMNS: readonly string[] = [
  'date-time',
  'client-ip',
  'client-hostname',
  'server-ip',
  'server-hostname',
  'source-context',
  'connector-id',
  'source',
  'event-id',
  'internal-message-id',
  'message-id',
  'network-message-id',
  'recipient-address',
  'recipient-status',
  'total-bytes',
  'recipient-count',
  'related-recipient-address',
  'reference',
  'message-subject',
  'sender-address',
  'return-path',
  'message-info',
  'directionality',
  'tenant-id',
  'original-client-ip',
  'original-server-ip',
  'custom-data',
  'transport-traffic-type',
  'log-id',
  'schema-version',
];

const UNDERSCORED = new Map(MESSAGE_TRACKING_COLUMNS.map((c) => [c.replaceAll('-', '_'), c]));

/** A message tracking log row, named as the log names its columns (or with `_` for `-`). */
function messageTracking(fields: Fields): Shaped | undefined {
  const hyphen = fields['event-id'] !== undefined && fields['message-id'] !== undefined;
  const underscore = fields['event_id'] !== undefined && fields['message_id'] !== undefined;
  if (!hyphen && !underscore) return undefined;
  if (fields['date-time'] === undefined && fields['date_time'] === undefined) return undefined;
  let out = fields;
  if (!hyphen) {
    out = {};
    for (const key in fields) {
      const v = fields[key];
      if (v !== undefined) out[UNDERSCORED.get(key) ?? key] = v;
    }
  }
  return {
    shape: 'exchange-message-tracking',
    fields: out,
    source: { product: 'exchange', service: 'message_tracking' },
    ts: firstTime(out, 'date-time', '@timestamp', 'EventTime'),
  };
}
