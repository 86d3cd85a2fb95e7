/**
 * `vigil serve` configuration: defaults, then a YAML file, then `VIGIL_*` environment variables, then
 * command-line flags. Every problem is reported at once, each naming its key and, for the file, its line.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { isMap, isScalar, LineCounter, parseDocument, type Node } from 'yaml';
import { VigilError } from '../../core/index.ts';

export interface SyslogListener {
  readonly protocol: 'udp' | 'tcp' | 'tls';
  readonly port: number;
  /** Events arriving on this listener belong to this tenant. */
  readonly tenant: string;
}

export interface ServerConfig {
  readonly data: string;
  readonly host: string;
  readonly port: number;
  readonly rules: readonly string[];
  readonly builtinRules: boolean;
  readonly maxBodyBytes: number;
  readonly maxFieldBytes: number;
  readonly maxRuleBytes: number;
  /** Largest triage upload (`/api/v1/upload`, `vigil send`), after decompression. */
  readonly maxUploadBytes: number;
  /** Ingest body bytes being read and parsed at once before ingest answers 429. */
  readonly maxInflightBytes: number;
  /** Events accepted but not yet through detection before ingest answers 429. */
  readonly maxBacklog: number;
  readonly detectBatch: number;
  readonly syslog: readonly SyslogListener[];
  readonly tlsCert?: string;
  readonly tlsKey?: string;
  readonly sessionTtlHours: number;
  readonly metricsPublic: boolean;
  readonly retentionIntervalMinutes: number;
  readonly synchronous: 'NORMAL' | 'FULL';
  readonly adminPassword?: string;
  /** Where the configuration came from, for the start-up banner. */
  readonly configFile?: string;
}

export const DEFAULTS: ServerConfig = {
  data: './vigil-data',
  host: '127.0.0.1',
  port: 8080,
  rules: [],
  builtinRules: true,
  maxBodyBytes: 32 << 20,
  maxFieldBytes: 1 << 20,
  maxRuleBytes: 1 << 20,
  maxUploadBytes: 512 << 20,
  maxInflightBytes: 64 << 20,
  maxBacklog: 200_000,
  detectBatch: 1000,
  syslog: [],
  sessionTtlHours: 12,
  metricsPublic: false,
  retentionIntervalMinutes: 60,
  synchronous: 'NORMAL',
};

/** File keys (snake_case, as written in vigil.yml) → config keys, with their kind. */
const KEYS = {
  data: ['data', 'string'],
  host: ['host', 'string'],
  port: ['port', 'port'],
  rules: ['rules', 'list'],
  builtin_rules: ['builtinRules', 'boolean'],
  max_body_bytes: ['maxBodyBytes', 'size'],
  max_field_bytes: ['maxFieldBytes', 'size'],
  max_rule_bytes: ['maxRuleBytes', 'size'],
  max_upload_bytes: ['maxUploadBytes', 'size'],
  max_inflight_bytes: ['maxInflightBytes', 'size'],
  max_backlog: ['maxBacklog', 'count'],
  detect_batch: ['detectBatch', 'count'],
  syslog: ['syslog', 'syslog'],
  tls_cert: ['tlsCert', 'string'],
  tls_key: ['tlsKey', 'string'],
  session_ttl_hours: ['sessionTtlHours', 'count'],
  metrics_public: ['metricsPublic', 'boolean'],
  retention_interval_minutes: ['retentionIntervalMinutes', 'count'],
  synchronous: ['synchronous', 'sync'],
  admin_password: ['adminPassword', 'string'],
} as const;

type FileKey = keyof typeof KEYS;

export interface ConfigSources {
  /** Explicit config file (`--config`); else `VIGIL_CONFIG`; else `<data>/vigil.yml` when it exists. */
  readonly file?: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Command-line values, already typed. */
  readonly flags: Partial<ServerConfig>;
}

export function loadServerConfig(src: ConfigSources): ServerConfig {
  const problems: string[] = [];
  const out: Record<string, unknown> = { ...DEFAULTS };
  const dataHint = src.flags.data ?? src.env['VIGIL_DATA'] ?? DEFAULTS.data;
  const file =
    src.file ??
    src.env['VIGIL_CONFIG'] ??
    (existsSync(join(dataHint, 'vigil.yml')) ? join(dataHint, 'vigil.yml') : undefined);
  if (file !== undefined) readFile(file, out, problems);

  for (const [key, [name, kind]] of Object.entries(KEYS)) {
    const envName = `VIGIL_${key.toUpperCase()}`;
    const raw = src.env[envName];
    if (raw === undefined || raw === '') continue;
    const v = convert(kind, raw, envName, problems);
    if (v !== undefined) out[name] = v;
  }
  for (const [k, v] of Object.entries(src.flags) as [string, unknown][])
    if (v !== undefined) out[k] = v;
  if (file !== undefined) out['configFile'] = resolve(file);
  const cfg = out as unknown as ServerConfig;
  if (cfg.syslog.some((l) => l.protocol === 'tls') && (!cfg.tlsCert || !cfg.tlsKey)) {
    problems.push(
      'syslog: a tls listener needs tls_cert and tls_key (VIGIL_TLS_CERT, VIGIL_TLS_KEY)',
    );
  }
  if (problems.length > 0) {
    throw new VigilError('CONFIG', `invalid configuration:\n  ${problems.join('\n  ')}`);
  }
  return cfg;
}

function readFile(file: string, out: Record<string, unknown>, problems: string[]): void {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    problems.push(`${file}: cannot read: ${(e as Error).message}`);
    return;
  }
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines });
  const where = (node: Node | null | undefined): string => {
    const at = node?.range ? lines.linePos(node.range[0]) : undefined;
    return at ? `${file}:${at.line}:${at.col}` : file;
  };
  for (const e of doc.errors) {
    const at = lines.linePos(e.pos[0]);
    problems.push(`${file}:${at.line}:${at.col}: ${e.message.split('\n')[0] ?? ''}`);
  }
  if (doc.errors.length > 0) return;
  if (doc.contents === null) return;
  if (!isMap(doc.contents)) {
    problems.push(`${where(doc.contents)}: the configuration must be a mapping of keys`);
    return;
  }
  for (const pair of doc.contents.items) {
    const keyNode = pair.key as Node;
    const key = isScalar(keyNode) ? String(keyNode.value) : '';
    const spec = KEYS[key as FileKey] as (typeof KEYS)[FileKey] | undefined;
    if (!spec) {
      problems.push(
        `${where(keyNode)}: unknown key "${key}" (known: ${Object.keys(KEYS).join(', ')})`,
      );
      continue;
    }
    const value: unknown = (pair.value as Node | null)?.toJSON();
    const v = convert(spec[1], value, `${where(pair.value)}: ${key}`, problems);
    if (v !== undefined) out[spec[0]] = v;
  }
}

function convert(kind: string, raw: unknown, name: string, problems: string[]): unknown {
  const text = typeof raw === 'string' ? raw.trim() : raw;
  switch (kind) {
    case 'string':
      if (typeof text === 'string' || typeof text === 'number') return String(text);
      break;
    case 'boolean':
      if (typeof text === 'boolean') return text;
      if (text === 'true' || text === '1' || text === 'yes') return true;
      if (text === 'false' || text === '0' || text === 'no') return false;
      break;
    case 'port':
    case 'count': {
      const n = Number(text);
      const max = kind === 'port' ? 65535 : Number.MAX_SAFE_INTEGER;
      if (Number.isInteger(n) && n >= 0 && n <= max) return n;
      problems.push(
        `${name}: must be a whole number${kind === 'port' ? ' from 0 to 65535' : ''}, got ${JSON.stringify(raw)}`,
      );
      return undefined;
    }
    case 'size': {
      const n = parseSize(text);
      if (n !== undefined) return n;
      problems.push(`${name}: must be a size like 32MiB or 1048576, got ${JSON.stringify(raw)}`);
      return undefined;
    }
    case 'list':
      if (Array.isArray(text)) return text.map(String);
      if (typeof text === 'string')
        return text
          .split(/[,:]/)
          .map((s) => s.trim())
          .filter(Boolean);
      break;
    case 'sync':
      if (text === 'NORMAL' || text === 'FULL') return text;
      break;
    case 'syslog':
      return parseSyslogListeners(text, name, problems);
  }
  problems.push(`${name}: invalid value ${JSON.stringify(raw)}`);
  return undefined;
}

function parseSize(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isInteger(v) && v > 0 ? v : undefined;
  if (typeof v !== 'string') return undefined;
  const m = /^(\d+)\s*(b|k|kb|kib|m|mb|mib|g|gb|gib)?$/i.exec(v);
  if (!m) return undefined;
  const unit = (m[2] ?? 'b').toLowerCase()[0];
  const mult = unit === 'k' ? 1024 : unit === 'm' ? 1 << 20 : unit === 'g' ? 1 << 30 : 1;
  return Number(m[1]) * mult;
}

/** `udp:5514:acme,tcp:5514:acme` in the environment, or a YAML list of `{protocol, port, tenant}`. */
function parseSyslogListeners(
  v: unknown,
  name: string,
  problems: string[],
): SyslogListener[] | undefined {
  const items: unknown[] =
    typeof v === 'string'
      ? v.split(',').map((s) => {
          const [protocol, port, tenant] = s.trim().split(':');
          return { protocol, port, tenant };
        })
      : Array.isArray(v)
        ? v
        : [];
  if (typeof v !== 'string' && !Array.isArray(v)) {
    problems.push(`${name}: must be a list of {protocol, port, tenant}`);
    return undefined;
  }
  const out: SyslogListener[] = [];
  items.forEach((item, i) => {
    const o = (item ?? {}) as Record<string, unknown>;
    const protocol = typeof o['protocol'] === 'string' ? o['protocol'] : '';
    const port = Number(o['port']);
    const tenant = typeof o['tenant'] === 'string' ? o['tenant'] : '';
    if (protocol !== 'udp' && protocol !== 'tcp' && protocol !== 'tls') {
      problems.push(`${name}[${i}]: protocol must be udp, tcp or tls`);
    } else if (!Number.isInteger(port) || port < 0 || port > 65535) {
      problems.push(`${name}[${i}]: port must be 0-65535`);
    } else if (!tenant) {
      problems.push(
        `${name}[${i}]: tenant is required (events on a listener belong to one tenant)`,
      );
    } else out.push({ protocol, port, tenant });
  });
  return out;
}
