/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-return, @typescript-eslint/no-unsafe-argument -- JSON bodies of the API under test */
/**
 * The requests of shippers not packaged in Debian (Winlogbeat, Filebeat, Elastic Agent, Vector,
 * Fluent Bit, and Vector's and Fluent Bit's Splunk HEC outputs), replayed over real HTTP against a
 * running Vigil: their start-up probes, their bodies, headers and compression as their
 * documentation describes them, and the answers they need (status, `errors`, per-item status, the
 * product header). The payloads are written here from that documentation; each test names what
 * it follows.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadServerConfig, startServer, type RunningServer } from '../src/app/index.ts';

let server: RunningServer;
let dir: string;
let admin: string;

interface Reply {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  readonly body: any;
}

async function send(
  method: string,
  path: string,
  opts: { headers?: Record<string, string>; body?: string | Uint8Array } = {},
): Promise<Reply> {
  const res = await fetch(server.url + path, {
    method,
    headers: opts.headers ?? {},
    ...(opts.body === undefined ? {} : { body: opts.body }),
  });
  const text = await res.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  return { status: res.status, headers: res.headers, text, body };
}

const asAdmin = (method: string, path: string, body?: unknown): Promise<Reply> =>
  send(method, path, {
    headers: {
      authorization: `Bearer ${admin}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });

async function tenantWithKey(id: string): Promise<string> {
  expect((await asAdmin('POST', '/api/v1/tenants', { name: id, id })).status).toBe(201);
  const k = await asAdmin('POST', `/api/v1/tenants/${id}/keys`, { name: id });
  expect(k.status).toBe(201);
  return k.body.key as string;
}

/** Waits for detection to catch up, failing (well inside the test's time limit) if it does not. */
async function drained(ms = 15_000): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      server.pipeline.drain(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          reject(new Error(`detection did not catch up within ${String(ms)} ms`));
        }, ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

async function eventsOf(tenant: string): Promise<any[]> {
  await drained();
  const res = await asAdmin('GET', `/api/v1/events?tenant=${tenant}&limit=100`);
  expect(res.status).toBe(200);
  return res.body.events;
}

async function alertTitles(tenant: string): Promise<string[]> {
  await drained();
  const res = await asAdmin('GET', `/api/v1/alerts?tenant=${tenant}`);
  expect(res.status).toBe(200);
  return res.body.alerts.map((a: any) => a.rule.title as string);
}

const basic = (user: string, password: string): string =>
  `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
const ndjson = (lines: readonly unknown[]): string =>
  lines.map((l) => JSON.stringify(l)).join('\n') + '\n';

/** A `_bulk` answer every Elasticsearch client takes as "all stored". */
function expectAllStored(res: Reply, action: 'create' | 'index', index: string, n: number): void {
  expect(res.status, res.text).toBe(200);
  expect(res.headers.get('x-elastic-product')).toBe('Elasticsearch');
  expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  expect(res.body.errors).toBe(false);
  expect(typeof res.body.took).toBe('number');
  expect(res.body.items).toHaveLength(n);
  for (const item of res.body.items) {
    expect(Object.keys(item)).toEqual([action]);
    expect(item[action]).toMatchObject({ _index: index, status: 201, result: 'created' });
    expect(typeof item[action]._id).toBe('string');
  }
}

const SSHD_BRUTE = 'SSH Brute Force Indicated by sshd';
const PRIVILEGED_GROUP = 'Member Added to a Highly Privileged Group';
const DOMAIN_DISCOVERY = 'Domain Account and Trust Discovery With Built-in Tools';

/** Winlogbeat 8 ECS documents (winlog.* as Winlogbeat's "Exported fields" list them). */
function winlogbeatDocs(host: string, agent: Record<string, unknown>): unknown[] {
  const common = { agent, ecs: { version: '8.0.0' }, host: { name: host, hostname: host } };
  return [
    {
      '@timestamp': '2026-11-28T08:14:03.512Z',
      message: 'A member was added to a security-enabled local group.',
      ...common,
      event: {
        code: '4732',
        kind: 'event',
        provider: 'Microsoft-Windows-Security-Auditing',
        action: 'added-member-to-group',
        category: ['iam'],
        type: ['group', 'change'],
        outcome: 'success',
        created: '2026-11-28T08:14:04.100Z',
      },
      log: { level: 'information' },
      winlog: {
        channel: 'Security',
        event_id: '4732',
        provider_name: 'Microsoft-Windows-Security-Auditing',
        provider_guid: '{54849625-5478-4994-a5ba-3e3b0328c30d}',
        computer_name: host,
        record_id: 981_223,
        api: 'wineventlog',
        keywords: ['Audit Success'],
        opcode: 'Info',
        task: 'Security Group Management',
        process: { pid: 712, thread: { id: 4408 } },
        event_data: {
          MemberName: '-',
          MemberSid: 'S-1-5-21-3623811015-3361044348-30300820-1107',
          TargetUserName: 'Administrators',
          TargetDomainName: 'Builtin',
          TargetSid: 'S-1-5-32-544',
          SubjectUserSid: 'S-1-5-21-3623811015-3361044348-30300820-1013',
          SubjectUserName: 'helpdesk01',
          SubjectDomainName: 'CORP',
          SubjectLogonId: '0x3e7a1f',
          PrivilegeList: '-',
        },
      },
      group: { name: 'Administrators', domain: 'Builtin', id: 'S-1-5-32-544' },
      user: { name: 'helpdesk01', domain: 'CORP' },
    },
    {
      '@timestamp': '2026-11-28T08:15:10.004Z',
      message: 'Process Create:\nImage: C:\\Windows\\System32\\whoami.exe',
      ...common,
      event: {
        code: '1',
        kind: 'event',
        provider: 'Microsoft-Windows-Sysmon',
        category: ['process'],
        type: ['start'],
        module: 'sysmon',
      },
      winlog: {
        channel: 'Microsoft-Windows-Sysmon/Operational',
        event_id: '1',
        provider_name: 'Microsoft-Windows-Sysmon',
        computer_name: host,
        record_id: 55_102,
        api: 'wineventlog',
        version: 5,
        user: { identifier: 'S-1-5-18', domain: 'NT AUTHORITY', name: 'SYSTEM', type: 'User' },
        event_data: {
          RuleName: '-',
          UtcTime: '2026-11-28 08:15:10.003',
          ProcessGuid: '{6a0b1c2d-0000-0000-0000-00000000a1b2}',
          ProcessId: '6620',
          Image: 'C:\\Windows\\System32\\whoami.exe',
          CommandLine: 'whoami /all',
          CurrentDirectory: 'C:\\Users\\jdoe\\',
          User: 'CORP\\jdoe',
          IntegrityLevel: 'Medium',
          ParentImage: 'C:\\Windows\\System32\\cmd.exe',
          ParentCommandLine: '"C:\\Windows\\system32\\cmd.exe"',
        },
      },
      process: {
        pid: 6620,
        executable: 'C:\\Windows\\System32\\whoami.exe',
        command_line: 'whoami /all',
        name: 'whoami.exe',
      },
    },
  ];
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'vigil-shapes-'));
  server = await startServer(
    loadServerConfig({
      env: { VIGIL_ADMIN_PASSWORD: 'shapes test admin' },
      flags: { data: dir, port: 0 },
    }),
    () => undefined,
  );
  const login = await send('POST', '/api/v1/login', {
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'admin', password: 'shapes test admin' }),
  });
  admin = login.body.token;
}, 60_000);

afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('Beats 8 (Winlogbeat, Filebeat) to the Elasticsearch output', () => {
  // Follows the Beats reference "Configure the Elasticsearch output" (username/password, the
  // default compression_level 1, i.e. gzip), "Index lifecycle management (ILM)" and "Load the
  // Elasticsearch index template" (setup.ilm / setup.template, data stream `<beat>-<version>`),
  // and libbeat's bulk requests: `create` actions, `filter_path` on the URL, JSON content type.
  const VERSION = '8.15.3';
  const agent = {
    type: 'winlogbeat',
    version: VERSION,
    name: 'WS-FIN-07',
    id: '3b1f2c8e-7d55-4a6b-9f0e-0c1d2e3f4a5b',
    ephemeral_id: '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d',
  };
  let key = '';
  let auth = '';
  const beatHeaders = (): Record<string, string> => ({
    authorization: auth,
    accept: 'application/json',
    'user-agent': `Winlogbeat/${VERSION} (windows; amd64)`,
  });

  beforeAll(async () => {
    key = await tenantWithKey('winlogbeat');
    auth = basic('winlogbeat_writer', key);
  });

  it('answers the start-up checks: GET / with the product header and a version new enough', async () => {
    const root = await send('GET', '/', { headers: beatHeaders() });
    expect(root.status).toBe(200);
    expect(root.headers.get('x-elastic-product')).toBe('Elasticsearch');
    const [major = 0, minor = 0] = String(root.body.version.number).split('.').map(Number);
    // Beats 8 refuse an Elasticsearch older than themselves; `build_flavor` picks ILM vs serverless.
    expect(major).toBe(8);
    expect(minor).toBeGreaterThanOrEqual(15);
    expect(root.body.version.build_flavor).toBe('default');
    expect(root.body.cluster_uuid).toMatch(/^[\w-]{22}$/);
    const license = await send('GET', '/_license?human=false', { headers: beatHeaders() });
    expect(license.status).toBe(200);
    expect(license.body.license).toMatchObject({ status: 'active', type: 'basic' });
  });

  it('lets setup.ilm and setup.template create what they check for', async () => {
    const headers = { ...beatHeaders(), 'content-type': 'application/json; charset=UTF-8' };
    const policy = await send('GET', '/_ilm/policy/winlogbeat', { headers });
    expect(policy.status).toBe(404);
    const putPolicy = await send('PUT', '/_ilm/policy/winlogbeat', {
      headers,
      body: JSON.stringify({
        policy: {
          phases: {
            hot: { actions: { rollover: { max_age: '30d', max_primary_shard_size: '50gb' } } },
          },
        },
      }),
    });
    expect(putPolicy.status).toBe(200);
    expect(putPolicy.body).toEqual({ acknowledged: true });
    const name = `winlogbeat-${VERSION}`;
    const head = await send('HEAD', `/_index_template/${name}`, { headers });
    expect(head.status).toBe(404);
    const putTemplate = await send('PUT', `/_index_template/${name}`, {
      headers,
      body: JSON.stringify({
        index_patterns: [name],
        data_stream: {},
        priority: 150,
        template: {
          settings: { index: { lifecycle: { name: 'winlogbeat' }, number_of_shards: 1 } },
          mappings: { properties: { '@timestamp': { type: 'date' } } },
        },
      }),
    });
    expect(putTemplate.status).toBe(200);
    expect(putTemplate.body).toEqual({ acknowledged: true });
  });

  it('takes a gzipped _bulk of create actions into the data stream and raises the Windows rules', async () => {
    const index = `winlogbeat-${VERSION}`;
    const docs = winlogbeatDocs('WS-FIN-07.corp.example.com', agent);
    const body = gzipSync(ndjson(docs.flatMap((d) => [{ create: { _index: index } }, d])));
    const res = await send(
      'POST',
      '/_bulk?filter_path=errors,items.index.status,items.index.error,items.create.status,items.create.error',
      {
        headers: {
          ...beatHeaders(),
          'content-type': 'application/json; charset=UTF-8',
          'content-encoding': 'gzip',
        },
        body,
      },
    );
    expectAllStored(res, 'create', index, 2);
    const events = await eventsOf('winlogbeat');
    expect(events.map((e) => [e.format, e.receiver, e.source.product])).toEqual([
      ['winlogbeat', 'bulk', 'windows'],
      ['winlogbeat', 'bulk', 'windows'],
    ]);
    const ids = res.body.items.map((i: any) => i.create._id).sort();
    expect(events.map((e) => e.id).sort()).toEqual(ids);
    const titles = await alertTitles('winlogbeat');
    expect(titles).toEqual(expect.arrayContaining([PRIVILEGED_GROUP, DOMAIN_DISCOVERY]));
  });

  it('refuses a wrong key the way Elasticsearch does, so the Beat reports it', async () => {
    const res = await send('GET', '/', {
      headers: { ...beatHeaders(), authorization: basic('winlogbeat_writer', 'vgi_wrong') },
    });
    expect(res.status).toBe(401);
    expect(res.body.error.type).toBe('security_exception');
    expect(res.body.status).toBe(401);
  });

  it('stores Filebeat system-module lines sent with their ingest pipeline named', async () => {
    // Filebeat's system module (auth fileset): the line is parsed by the Elasticsearch ingest
    // pipeline Filebeat installs, so the document carries the raw line and names the pipeline.
    const fbKey = await tenantWithKey('filebeat');
    const headers = {
      authorization: basic('filebeat_writer', fbKey),
      accept: 'application/json',
      'content-type': 'application/json; charset=UTF-8',
    };
    const pipeline = `filebeat-${VERSION}-system-auth-pipeline`;
    expect((await send('GET', `/_ingest/pipeline/${pipeline}`, { headers })).status).toBe(404);
    const put = await send('PUT', `/_ingest/pipeline/${pipeline}`, {
      headers,
      body: JSON.stringify({ description: 'Pipeline for parsing system authorization logs', processors: [] }), // prettier-ignore
    });
    expect(put.body).toEqual({ acknowledged: true });
    const index = `filebeat-${VERSION}`;
    const doc = {
      '@timestamp': '2026-11-28T09:02:11.000Z',
      message:
        'Nov 28 09:02:11 bastion01 sshd[2211]: Failed password for invalid user oracle from 203.0.113.44 port 40022 ssh2',
      event: { dataset: 'system.auth', module: 'system', timezone: '+00:00' },
      fileset: { name: 'auth' },
      service: { type: 'system' },
      input: { type: 'log' },
      log: { file: { path: '/var/log/auth.log' }, offset: 18_211 },
      host: { name: 'bastion01', hostname: 'bastion01', os: { family: 'debian' } },
      agent: { type: 'filebeat', version: VERSION, name: 'bastion01' },
      ecs: { version: '1.12.0' },
    };
    const res = await send('POST', '/_bulk?filter_path=errors,items.create.status', {
      headers: { ...headers, 'content-encoding': 'gzip' },
      body: gzipSync(ndjson([{ create: { _index: index, pipeline } }, doc])),
    });
    expectAllStored(res, 'create', index, 1);
    const [event] = await eventsOf('filebeat');
    expect(event).toMatchObject({
      source: { product: 'linux', service: 'auth' },
      host: 'bastion01',
      fields: { 'event.dataset': 'system.auth', 'log.file.path': '/var/log/auth.log' },
    });
    // Vigil does the pipeline's work itself: program, pid and host come out of the raw line, so the
    // rules routed on `program` (sshd, sudo…) see it; the raw line stays as `event.original`.
    expect(event).toMatchObject({
      fields: {
        program: 'sshd',
        pid: 2211,
        message: 'Failed password for invalid user oracle from 203.0.113.44 port 40022 ssh2',
        'event.original': doc.message,
      },
    });
  });
});

describe('Elastic Agent 8 (standalone) to the Elasticsearch output', () => {
  // Follows Elastic Agent's "Elasticsearch output settings" (api_key `id:key`, sent base64-encoded
  // as `Authorization: ApiKey`) and the data stream naming scheme `logs-<dataset>-<namespace>` with
  // `data_stream.*` fields; the Windows events are the system integration's security channel.
  it('takes create actions into logs-system.security-default and raises the Windows rules', async () => {
    const key = await tenantWithKey('elastic-agent');
    const auth = `ApiKey ${Buffer.from(`vigil-agent:${key}`).toString('base64')}`;
    const root = await send('GET', '/', { headers: { authorization: auth } });
    expect(root.status).toBe(200);
    expect(root.headers.get('x-elastic-product')).toBe('Elasticsearch');
    const index = 'logs-system.security-default';
    const agent = {
      type: 'filebeat',
      version: '8.15.3',
      name: 'SRV-DB-02',
      id: 'c0ffee00-1111-4222-8333-444455556666',
    };
    const docs = winlogbeatDocs('SRV-DB-02.corp.example.com', agent).map((d) => ({
      ...(d as Record<string, unknown>),
      data_stream: { type: 'logs', dataset: 'system.security', namespace: 'default' },
      elastic_agent: { id: agent.id, version: '8.15.3', snapshot: false },
    }));
    const res = await send(
      'POST',
      '/_bulk?filter_path=errors,items.create.status,items.create.error',
      {
        headers: {
          authorization: auth,
          'content-type': 'application/json; charset=UTF-8',
          'content-encoding': 'gzip',
        },
        body: gzipSync(ndjson(docs.flatMap((d) => [{ create: { _index: index } }, d]))),
      },
    );
    expectAllStored(res, 'create', index, 2);
    expect(await alertTitles('elastic-agent')).toEqual(
      expect.arrayContaining([PRIVILEGED_GROUP, DOMAIN_DISCOVERY]),
    );
  });
});

/** An sshd line as a shipper's documented ECS mapping leaves it (see docs/shippers.md). */
const sshdEcs = (host: string, ip: string, ts: string): Record<string, unknown> => ({
  '@timestamp': ts,
  message: `error: maximum authentication attempts exceeded for root from ${ip} port 51234 ssh2 [preauth]`,
  host: { hostname: host },
  process: { name: 'sshd', pid: 3120 },
  log: { syslog: { facility: { name: 'authpriv' }, severity: { name: 'info' } } },
  event: { dataset: 'system.auth' },
});

describe('Vector elasticsearch sink', () => {
  // Follows Vector's `elasticsearch` sink reference: `mode: bulk` with the default `bulk.action:
  // index` and `bulk.index: vector-%Y.%m.%d`, `auth.strategy: basic`, `api_version: auto` (reads
  // the version from GET /), the healthcheck GET /_cluster/health, `request.timeout_secs` sent as
  // `?timeout=60s`, NDJSON content type, and `compression: gzip`.
  it('passes the healthcheck and takes bulk index actions, gzipped or not', async () => {
    const key = await tenantWithKey('vector-es');
    const headers = { authorization: basic('vector', key) };
    const root = await send('GET', '/', { headers });
    expect(root.status).toBe(200);
    expect(Number(String(root.body.version.number).split('.')[0])).toBeGreaterThanOrEqual(8);
    const health = await send('GET', '/_cluster/health', { headers });
    expect(health.status).toBe(200);
    expect(health.body.status).toBe('green');
    const index = 'vector-2026.11.28';
    // What the documented remap leaves of a `file` source event on /var/log/auth.log.
    const doc = {
      ...sshdEcs('bastion02', '203.0.113.61', '2026-11-28T10:01:02.123456789Z'),
      source_type: 'file',
      file: '/var/log/auth.log',
    };
    const plain = await send('POST', '/_bulk?timeout=60s', {
      headers: { ...headers, 'content-type': 'application/x-ndjson' },
      body: ndjson([{ index: { _index: index } }, doc]),
    });
    expectAllStored(plain, 'index', index, 1);
    const gz = await send('POST', '/_bulk?timeout=60s', {
      headers: { ...headers, 'content-type': 'application/x-ndjson', 'content-encoding': 'gzip' },
      body: gzipSync(
        ndjson([
          { index: { _index: index } },
          { ...doc, '@timestamp': '2026-11-28T10:01:03Z', message: 'pam_unix(sshd:session): session closed for user deploy' }, // prettier-ignore
        ]),
      ),
    });
    expectAllStored(gz, 'index', index, 1);
    const events = await eventsOf('vector-es');
    expect(events).toHaveLength(2);
    expect(events.every((e) => e.host === 'bastion02' && e.fields.program === 'sshd')).toBe(true);
    expect(await alertTitles('vector-es')).toEqual([SSHD_BRUTE]);
  });
});

describe('Fluent Bit', () => {
  // Follows Fluent Bit's `es` output reference: `Index fluent-bit`, `HTTP_User` / `HTTP_Passwd`,
  // `Suppress_Type_Name On` (no `_type` for Elasticsearch 8; Off sends `"_type": "_doc"`), the
  // default `Write_Operation create`, the record time under `Time_Key @timestamp`, NDJSON
  // content type; the record is a `tail` + `syslog` parser line renamed by a `modify` filter.
  it('es output: create actions with and without _type are stored and raise the sshd rule', async () => {
    const key = await tenantWithKey('fluent-bit');
    const headers = {
      authorization: basic('fluent-bit', key),
      'content-type': 'application/x-ndjson',
      'user-agent': 'Fluent-Bit',
    };
    const record = (ip: string): Record<string, unknown> => ({
      '@timestamp': '2026-11-28T11:20:00.000Z',
      pri: '38',
      time: 'Nov 28 11:20:00',
      'host.hostname': 'bastion03',
      'process.name': 'sshd',
      'process.pid': '4100',
      'event.dataset': 'system.auth',
      message: `Disconnecting authenticating user root ${ip} port 40022: Too many authentication failures [preauth]`,
    });
    const suppressed = await send('POST', '/_bulk', {
      headers,
      body: ndjson([{ create: { _index: 'fluent-bit' } }, record('203.0.113.71')]),
    });
    expectAllStored(suppressed, 'create', 'fluent-bit', 1);
    const typed = await send('POST', '/_bulk', {
      headers,
      body: ndjson([{ create: { _index: 'fluent-bit', _type: '_doc' } }, record('203.0.113.72')]),
    });
    expectAllStored(typed, 'create', 'fluent-bit', 1);
    const events = await eventsOf('fluent-bit');
    expect(events.map((e) => [e.host, e.source.service, e.fields.program])).toEqual([
      ['bastion03', 'auth', 'sshd'],
      ['bastion03', 'auth', 'sshd'],
    ]);
    expect(await alertTitles('fluent-bit')).toEqual([SSHD_BRUTE, SSHD_BRUTE]);
  });

  // Follows Fluent Bit's `http` output reference: `URI /api/v1/ingest`, `Header Authorization
  // ApiKey <key>`, `Format json_lines` (and `json`, an array), `json_date_key date` with
  // `json_date_format iso8601`.
  it('http output: json_lines and json arrays to /api/v1/ingest', async () => {
    const key = await tenantWithKey('fluent-bit-http');
    const headers = { authorization: `ApiKey ${key}` };
    const rec = (n: number): Record<string, unknown> => ({
      ...sshdEcs('bastion04', `203.0.113.8${String(n)}`, '2026-11-28T11:30:00Z'),
      date: `2026-11-28T11:30:0${String(n)}.000000Z`,
    });
    const lines = await send('POST', '/api/v1/ingest', {
      headers: { ...headers, 'content-type': 'application/x-ndjson' },
      body: ndjson([rec(1), rec(2)]),
    });
    expect(lines.status, lines.text).toBe(200);
    expect(lines.body).toMatchObject({ accepted: 2, stored: 2, rejected: [] });
    const array = await send('POST', '/api/v1/ingest', {
      headers: { ...headers, 'content-type': 'application/json' },
      body: JSON.stringify([rec(3)]),
    });
    expect(array.status, array.text).toBe(200);
    expect(array.body).toMatchObject({ accepted: 1, stored: 1 });
    expect(await alertTitles('fluent-bit-http')).toEqual([SSHD_BRUTE, SSHD_BRUTE, SSHD_BRUTE]);
  });
});

describe('Splunk HEC as Vector and Fluent Bit send it', () => {
  const line = (host: string, ip: string): string =>
    `Nov 28 12:00:01 ${host} sshd[5150]: error: maximum authentication attempts exceeded for invalid user admin from ${ip} port 61000 ssh2 [preauth]`;

  // Follows Vector's `splunk_hec_logs` sink reference: healthcheck GET
  // /services/collector/health/1.0, `endpoint_target: event`, `encoding.codec: text` (the line as
  // `event`), host / source / sourcetype / time in the envelope, events concatenated in one body,
  // `X-Splunk-Request-Channel` (indexer acknowledgements, on by default: a reply without `ackId`
  // counts as delivered), `compression: gzip`.
  it('Vector splunk_hec_logs: healthcheck, then concatenated envelopes, gzipped', async () => {
    const key = await tenantWithKey('hec-vector');
    const headers = { authorization: `Splunk ${key}` };
    const health = await send('GET', '/services/collector/health/1.0', { headers });
    expect(health.status).toBe(200);
    expect(health.body).toEqual({ text: 'HEC is healthy', code: 17 });
    const envelope = (n: number): string =>
      JSON.stringify({
        event: line('bastion05', `198.51.100.${String(n)}`),
        host: 'bastion05',
        source: '/var/log/auth.log',
        sourcetype: 'linux_secure',
        time: 1_795_838_401.25 + n,
        fields: { environment: 'prod' },
      });
    const res = await send('POST', '/services/collector/event', {
      headers: {
        ...headers,
        'content-type': 'application/json',
        'content-encoding': 'gzip',
        'x-splunk-request-channel': randomUUID(),
      },
      body: gzipSync(envelope(1) + envelope(2)),
    });
    expect(res.status, res.text).toBe(200);
    expect(res.body).toEqual({ text: 'Success', code: 0 });
    const events = await eventsOf('hec-vector');
    expect(events.map((e) => [e.receiver, e.host, e.fields.program])).toEqual([
      ['hec', 'bastion05', 'sshd'],
      ['hec', 'bastion05', 'sshd'],
    ]);
    expect(await alertTitles('hec-vector')).toEqual([SSHD_BRUTE, SSHD_BRUTE]);
  });

  // Follows Fluent Bit's `splunk` output reference: `Splunk_Token` sent as `Authorization: Splunk`,
  // `event_key $log` (the tail input's line as the event), `event_host`, `event_sourcetype`,
  // `Splunk_Send_Raw Off` (Fluent Bit builds the envelope, time as seconds with fractions).
  it('Fluent Bit splunk output: envelopes with the tail line as event', async () => {
    const key = await tenantWithKey('hec-fluent-bit');
    const body = [1, 2]
      .map((n) =>
        JSON.stringify({
          time: 1_795_838_500.5 + n,
          host: 'bastion06',
          sourcetype: 'linux_secure',
          event: line('bastion06', `192.0.2.${String(n)}`),
        }),
      )
      .join('');
    const res = await send('POST', '/services/collector/event', {
      headers: {
        authorization: `Splunk ${key}`,
        'content-type': 'application/json',
        'user-agent': 'Fluent-Bit',
      },
      body,
    });
    expect(res.status, res.text).toBe(200);
    expect(res.body).toEqual({ text: 'Success', code: 0 });
    expect(await alertTitles('hec-fluent-bit')).toEqual([SSHD_BRUTE, SSHD_BRUTE]);
    const bad = await send('POST', '/services/collector/event', {
      headers: { authorization: 'Splunk vgi_not_a_key', 'content-type': 'application/json' },
      body,
    });
    expect(bad.status).toBe(403);
    expect(bad.body).toEqual({ text: 'Invalid token', code: 4 });
  });
});
