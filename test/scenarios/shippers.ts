/**
 * The scenario replays are kept the way the products write them (mongod's JSON log, Zeek's JSON logs,
 * Exchange's message tracking CSV, Windows events); these functions turn them into what a log shipper
 * sends to POST /api/v1/ingest: Filebeat's documents with the line in `message`, Zeek lines forwarded as
 * parsed JSON objects (Fluent Bit, Vector), NXLog's JSON for CSV rows, Winlogbeat's ECS documents.
 */
import { readFileSync } from 'node:fs';

export interface HostMeta {
  /** As Beats' add_host_metadata reports it (`host.name`: the FQDN when the host has one). */
  readonly name: string;
  readonly ip: readonly string[];
  readonly os: { readonly family: string; readonly name: string; readonly version: string };
}

const AGENT = (type: string, host: HostMeta): Record<string, unknown> => ({
  type,
  version: '8.15.3',
  name: host.name.split('.')[0],
  ephemeral_id: '3d9b6c5e-0c6b-4f0e-9b8e-2f1d7a0c9e11',
  id: '6f8e1c0a-77b2-4b9e-a1f5-0c4d2e9b8a73',
});

function hostDoc(h: HostMeta): Record<string, unknown> {
  return {
    name: h.name,
    hostname: h.name.split('.')[0],
    ip: h.ip,
    os: { ...h.os, type: h.os.family === 'windows' ? 'windows' : 'linux' },
    architecture: 'x86_64',
  };
}

export function lines(path: string): string[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '');
}

/**
 * Filebeat's mongodb module reading /var/log/mongodb/mongod.log: one document a line, the line in
 * `message` (Elasticsearch's ingest pipeline would parse it), read a second after it was written.
 */
export function filebeatMongod(path: string, host: HostMeta): object[] {
  let offset = 0;
  return lines(path).map((line) => {
    const t = (JSON.parse(line) as { t: { $date: string } }).t.$date;
    const doc = {
      '@timestamp': new Date(Date.parse(t) + 1000).toISOString(),
      message: line,
      log: { file: { path: '/var/log/mongodb/mongod.log' }, offset },
      input: { type: 'log' },
      fileset: { name: 'log' },
      service: { type: 'mongodb' },
      event: { module: 'mongodb', dataset: 'mongodb.log' },
      host: hostDoc(host),
      agent: AGENT('filebeat', host),
      ecs: { version: '8.0.0' },
    };
    offset += Buffer.byteLength(line) + 1;
    return doc;
  });
}

/** Zeek's JSON lines (json-streaming-logs: `_path`, `_write_ts`) forwarded as parsed objects. */
export function zeekJson(path: string): object[] {
  return lines(path).map((l) => JSON.parse(l) as object);
}

/** Winlogbeat's documents, kept in the replay as Winlogbeat sends them (NDJSON). */
export function winlogbeat(path: string): object[] {
  return lines(path).map((l) => JSON.parse(l) as object);
}

/** One CSV record (RFC 4180 quoting) of a W3C-style log line. */
function csvFields(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line.charAt(i);
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cur += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  out.push(cur);
  return out;
}

/**
 * NXLog (im_file + xm_w3c, to_json) reading Exchange's message tracking log: one JSON object a row,
 * named by the `#Fields:` header, empty columns left out, with NXLog's own fields beside them.
 */
export function nxlogMessageTracking(path: string, hostname: string): object[] {
  let columns: string[] = [];
  const out: object[] = [];
  for (const line of readFileSync(path, 'utf8').split(/\r?\n/)) {
    if (line.startsWith('#Fields: ')) {
      columns = line.slice('#Fields: '.length).split(',');
      continue;
    }
    if (line === '' || line.startsWith('#')) continue;
    const values = csvFields(line);
    const record: Record<string, string> = {};
    columns.forEach((c, i) => {
      const v = values[i] ?? '';
      if (v !== '') record[c] = v;
    });
    record['EventReceivedTime'] = record['date-time'] ?? '';
    record['SourceModuleName'] = 'exchange_msgtrk';
    record['SourceModuleType'] = 'im_file';
    record['Hostname'] = hostname;
    out.push(record);
  }
  return out;
}
