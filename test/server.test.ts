/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-argument -- JSON bodies of the API under test */
/** The server end to end over real HTTP: bootstrap, tenants, keys, every ingest path, alerts, exceptions, rules. */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadServerConfig, startServer, type RunningServer } from '../src/app/index.ts';

let server: RunningServer;
let dir: string;
let admin: string;

async function call(
  method: string,
  path: string,
  opts: {
    token?: string;
    auth?: string;
    body?: unknown;
    raw?: Uint8Array | string;
    headers?: Record<string, string>;
  } = {},
): Promise<{ status: number; body: any; headers: Headers }> {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.token) headers['authorization'] = `Bearer ${opts.token}`;
  if (opts.auth) headers['authorization'] = opts.auth;
  let body: string | Uint8Array | undefined;
  if (opts.body !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(opts.body);
  } else if (opts.raw !== undefined) {
    headers['content-type'] ??= 'application/x-ndjson';
    body = opts.raw;
  }
  const res = await fetch(server.url + path, {
    method,
    headers,
    ...(body === undefined ? {} : { body }),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // keep text
  }
  return { status: res.status, body: parsed, headers: res.headers };
}

const sysmonProcess = (host: string, image: string, cmd: string, n: number) => ({
  Event: {
    System: {
      Provider: { '#attributes': { Name: 'Microsoft-Windows-Sysmon' } },
      EventID: 1,
      Channel: 'Microsoft-Windows-Sysmon/Operational',
      Computer: host,
      EventRecordID: n,
      TimeCreated: {
        '#attributes': { SystemTime: new Date(Date.UTC(2026, 10, 27, 10, 0, n)).toISOString() },
      },
    },
    EventData: {
      Image: image,
      CommandLine: cmd,
      User: 'ACME\\bob',
      ProcessGuid: `{guid-${n}}`,
      ParentImage: 'C:\\Windows\\explorer.exe',
    },
  },
});

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'vigil-server-'));
  const cfg = loadServerConfig({
    env: { VIGIL_ADMIN_PASSWORD: 'correct horse battery' },
    flags: { data: dir, port: 0 },
  });
  server = await startServer(cfg, () => undefined);
  const login = await call('POST', '/api/v1/login', {
    body: { name: 'admin', password: 'correct horse battery' },
  });
  expect(login.status).toBe(200);
  admin = login.body.token;
}, 60_000);

afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('vigil serve', () => {
  let key = '';
  it('answers health without credentials and serves OpenAPI', async () => {
    const h = await call('GET', '/api/v1/health');
    expect(h.status).toBe(200);
    expect(h.body.status).toBe('ok');
    const api = await call('GET', '/api/v1/openapi.json');
    expect(api.status).toBe(200);
    expect(api.body.openapi).toMatch(/^3\./);
    expect(Object.keys(api.body.paths)).toEqual(
      expect.arrayContaining(['/api/v1/alerts', '/api/v1/tenants', '/api/v1/ingest']),
    );
  });

  it('rejects a wrong password and throttles repeated failures', async () => {
    const bad = await call('POST', '/api/v1/login', { body: { name: 'nobody', password: 'x' } });
    expect(bad.status).toBe(401);
    expect(bad.body.error.code).toBe('AUTH_FAILED');
    for (let i = 0; i < 5; i++)
      await call('POST', '/api/v1/login', { body: { name: 'nobody', password: 'x' } });
    const locked = await call('POST', '/api/v1/login', { body: { name: 'nobody', password: 'x' } });
    expect(locked.status).toBe(429);
    expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(0);
  });

  it('creates a tenant and an ingest key shown once', async () => {
    const t = await call('POST', '/api/v1/tenants', { token: admin, body: { name: 'Acme Corp' } });
    expect(t.status).toBe(201);
    expect(t.body.id).toBe('acme-corp');
    const k = await call('POST', '/api/v1/tenants/acme-corp/keys', {
      token: admin,
      body: { name: 'winlogbeat' },
    });
    expect(k.status).toBe(201);
    key = k.body.key;
    expect(key).toMatch(/^vgi_/);
    const list = await call('GET', '/api/v1/tenants/acme-corp/keys', { token: admin });
    expect(JSON.stringify(list.body)).not.toContain(key);
    expect(list.body.keys[0].prefix).toBe(key.slice(0, 10));
  });

  it('ingests NDJSON, raises an alert from a built-in rule, and lists it', async () => {
    const lines = [
      sysmonProcess('WS01.acme.local', 'C:\\Windows\\System32\\whoami.exe', 'whoami /all', 1),
      sysmonProcess('WS01.acme.local', 'C:\\Windows\\System32\\notepad.exe', 'notepad.exe', 2),
    ];
    const res = await call('POST', '/api/v1/ingest', {
      auth: `ApiKey ${key}`,
      raw: gzipSync(lines.map((l) => JSON.stringify(l)).join('\n')),
      headers: { 'content-encoding': 'gzip' },
    });
    expect(res.status).toBe(200);
    expect(res.body.stored).toBe(2);
    await server.pipeline.drain();
    const alerts = await call('GET', '/api/v1/alerts?tenant=acme-corp', { token: admin });
    expect(alerts.status).toBe(200);
    expect(alerts.body.alerts.length).toBeGreaterThan(0);
    const a = alerts.body.alerts[0];
    expect(a.host).toBe('ws01.acme.local');
    expect(a.rule.id).toBeTruthy();
    expect(a.rule.title).toBeTruthy();
    // a redelivered request stores nothing new and raises nothing twice
    const again = await call('POST', '/api/v1/ingest', {
      auth: `ApiKey ${key}`,
      raw: lines.map((l) => JSON.stringify(l)).join('\n'),
    });
    expect(again.body.stored).toBe(0);
    await server.pipeline.drain();
    const after = await call('GET', '/api/v1/alerts?tenant=acme-corp', { token: admin });
    expect(after.body.alerts.length).toBe(alerts.body.alerts.length);
  });

  it('speaks the Elasticsearch _bulk API with per-item errors', async () => {
    const root = await call('GET', '/', {
      auth: `ApiKey ${Buffer.from(`id:${key}`).toString('base64')}`,
    });
    expect(root.status).toBe(200);
    expect(root.body.version.number).toMatch(/^\d+\./);
    expect(root.headers.get('x-elastic-product')).toBe('Elasticsearch');
    const body =
      [
        JSON.stringify({ create: { _index: 'winlogbeat-8' } }),
        JSON.stringify({
          '@timestamp': '2026-11-27T10:00:00Z',
          winlog: { channel: 'Security', event_id: 4625, computer_name: 'DC01' },
          event: { code: '4625' },
          message: 'failed logon',
        }),
        JSON.stringify({ create: { _index: 'winlogbeat-8' } }),
        '{ not json',
      ].join('\n') + '\n';
    const res = await call('POST', '/_bulk', {
      auth: `Basic ${Buffer.from(`elastic:${key}`).toString('base64')}`,
      raw: body,
    });
    expect(res.status).toBe(200);
    expect(res.body.errors).toBe(true);
    expect(res.body.items).toHaveLength(2);
    expect(res.body.items[0].create.status).toBe(201);
    expect(res.body.items[1].create.status).toBe(400);
  });

  it('speaks Splunk HEC', async () => {
    const ok = await call('POST', '/services/collector/event', {
      auth: `Splunk ${key}`,
      raw: JSON.stringify({ event: { message: 'hello' }, host: 'web01', sourcetype: 'custom' }),
    });
    expect(ok.status).toBe(200);
    expect(ok.body).toEqual({ text: 'Success', code: 0 });
    const bad = await call('POST', '/services/collector/event', {
      auth: 'Splunk vgi_wrong',
      raw: '{"event":"x"}',
    });
    expect(bad.status).toBe(403);
    expect(bad.body.code).toBe(4);
  });

  it('uploads a file for triage', async () => {
    const dirQ = join(import.meta.dirname, '..', 'samples', 'quickstart');
    const name = readdirSync(dirQ).sort()[0] ?? '';
    const res = await call('POST', `/api/v1/upload?name=${name}`, {
      auth: `ApiKey ${key}`,
      raw: readFileSync(join(dirQ, name)),
    });
    expect(res.status).toBe(200);
    expect(res.body.records).toBeGreaterThan(0);
    expect(res.body.stored).toBe(res.body.records);
  });

  it('keeps ingest keys ingest-only and tenants apart', async () => {
    const read = await call('GET', '/api/v1/alerts?tenant=acme-corp', { auth: `ApiKey ${key}` });
    expect(read.status).toBe(403);
    await call('POST', '/api/v1/tenants', { token: admin, body: { name: 'Globex', id: 'globex' } });
    const u = await call('POST', '/api/v1/users', {
      token: admin,
      body: {
        name: 'globex-viewer',
        password: 'viewer-pass-1',
        role: 'customer_viewer',
        tenant: 'globex',
      },
    });
    expect(u.status).toBe(201);
    const login = await call('POST', '/api/v1/login', {
      body: { name: 'globex-viewer', password: 'viewer-pass-1' },
    });
    const viewer = login.body.token;
    const theirs = await call('GET', '/api/v1/alerts?tenant=acme-corp', { token: viewer });
    expect(theirs.status).toBe(404);
    const own = await call('GET', '/api/v1/alerts', { token: viewer });
    expect(own.status).toBe(200);
    expect(own.body.alerts).toEqual([]);
    const mkKey = await call('POST', '/api/v1/tenants/globex/keys', { token: viewer, body: {} });
    expect(mkKey.status).toBe(403);
  });

  it('suppresses alerts with an exception and counts the hits', async () => {
    const alerts = await call('GET', '/api/v1/alerts?tenant=acme-corp', { token: admin });
    const rule = alerts.body.alerts[0].rule.id as string;
    const ex = await call('POST', '/api/v1/tenants/acme-corp/exceptions', {
      token: admin,
      body: {
        rule_id: rule,
        conditions: [{ field: 'host.name', op: 'equals', value: 'ws02.acme.local' }],
        reason: 'admin workstation',
      },
    });
    expect(ex.status).toBe(201);
    await call('POST', '/api/v1/ingest', {
      auth: `ApiKey ${key}`,
      raw: JSON.stringify(
        sysmonProcess('WS02.acme.local', 'C:\\Windows\\System32\\whoami.exe', 'whoami /all', 9),
      ),
    });
    await server.pipeline.drain();
    const list = await call('GET', '/api/v1/tenants/acme-corp/exceptions', { token: admin });
    expect(list.body.exceptions[0].hits).toBeGreaterThan(0);
    const ws02 = await call('GET', '/api/v1/alerts?tenant=acme-corp&host=WS02.acme.local', {
      token: admin,
    });
    expect(ws02.body.alerts.filter((a: { rule: { id: string } }) => a.rule.id === rule)).toEqual(
      [],
    );
  });

  it('validates an uploaded rule and reports line and column', async () => {
    const bad = await call('POST', '/api/v1/tenants/acme-corp/rules', {
      token: admin,
      raw: 'title: bad\nlogsource:\n  product: windows\ndetection:\n  sel:\n    Image|nosuchmodifier: x\n  condition: sel\n',
      headers: { 'content-type': 'application/yaml' },
    });
    expect(bad.status).toBe(422);
    expect(bad.body.error.issues[0].line).toBe(6);
  });

  it('purges events past the tenant’s retention and audits it', async () => {
    await call('POST', '/api/v1/tenants', {
      token: admin,
      body: { name: 'Old Co', id: 'oldco', retention_days: 30 },
    });
    const k = await call('POST', '/api/v1/tenants/oldco/keys', { token: admin, body: {} });
    const old = sysmonProcess('OLD01', 'C:\\Windows\\System32\\notepad.exe', 'notepad.exe', 3);
    old.Event.System.TimeCreated['#attributes'].SystemTime = '2020-01-01T00:00:00Z';
    const fresh = sysmonProcess('OLD01', 'C:\\Windows\\System32\\notepad.exe', 'notepad.exe x', 4);
    fresh.Event.System.TimeCreated['#attributes'].SystemTime = new Date().toISOString();
    await call('POST', '/api/v1/ingest', {
      auth: `ApiKey ${k.body.key}`,
      raw: `${JSON.stringify(old)}\n${JSON.stringify(fresh)}`,
    });
    await server.pipeline.drain();
    expect(await server.store.countEvents('oldco')).toBe(2);
    await server.purgeNow();
    expect(await server.store.countEvents('oldco')).toBe(1);
    expect(await server.store.countEvents('acme-corp')).toBeGreaterThan(0);
    const audit = await call('GET', '/api/v1/audit?tenant=oldco', { token: admin });
    expect(audit.body.entries.map((e: { action: string }) => e.action)).toContain(
      'retention.purge',
    );
    expect(audit.body.chain_intact).toBe(true);
  });

  it('turns a whole rule set off for one tenant', async () => {
    const sets = await call('GET', '/api/v1/rulesets?tenant=acme-corp', { token: admin });
    expect(sets.status).toBe(200);
    expect(sets.body.rulesets).toContainEqual({
      name: 'vigil',
      rules: expect.any(Number),
      enabled: true,
    });
    const off = await call('PUT', '/api/v1/tenants/acme-corp/rulesets/vigil', {
      token: admin,
      body: { enabled: false },
    });
    expect(off.status).toBe(200);
    const before = (
      await call('GET', '/api/v1/alerts?tenant=acme-corp&limit=1000', { token: admin })
    ).body.alerts.length as number;
    await call('POST', '/api/v1/ingest', {
      auth: `ApiKey ${(await call('POST', '/api/v1/tenants/acme-corp/keys', { token: admin, body: {} })).body.key}`,
      raw: JSON.stringify(
        sysmonProcess('WS03.acme.local', 'C:\\Windows\\System32\\whoami.exe', 'whoami /all', 21),
      ),
    });
    await server.pipeline.drain();
    const after = (
      await call('GET', '/api/v1/alerts?tenant=acme-corp&limit=1000', { token: admin })
    ).body.alerts.length as number;
    expect(after).toBe(before);
    const rules = await call('GET', '/api/v1/rules?tenant=acme-corp', { token: admin });
    expect(
      rules.body.rules.every(
        (r: { enabled: boolean; ruleset: string }) => r.ruleset !== 'vigil' || !r.enabled,
      ),
    ).toBe(true);
    await call('PUT', '/api/v1/tenants/acme-corp/rulesets/vigil', {
      token: admin,
      body: { enabled: true },
    });
  });

  it('takes triage uploads larger than a shipper request, gzip-encoded, in their own size limit', async () => {
    const dir2 = mkdtempSync(join(tmpdir(), 'vigil-upload-'));
    const small = await startServer(
      loadServerConfig({
        env: { VIGIL_ADMIN_PASSWORD: 'correct horse battery' },
        flags: { data: dir2, port: 0, maxBodyBytes: 256 << 10, maxUploadBytes: 8 << 20 },
      }),
      () => undefined,
    );
    try {
      const post = (path: string, init: RequestInit) => fetch(small.url + path, init);
      const token = (
        (await (
          await post('/api/v1/login', {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ name: 'admin', password: 'correct horse battery' }),
          })
        ).json()) as { token: string }
      ).token;
      const auth = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
      await post('/api/v1/tenants', {
        method: 'POST',
        headers: auth,
        body: JSON.stringify({ name: 'IR', id: 'ir' }),
      });
      const k = (
        (await (
          await post('/api/v1/tenants/ir/keys', { method: 'POST', headers: auth, body: '{}' })
        ).json()) as { key: string }
      ).key;
      const evtx = readFileSync(
        join(
          import.meta.dirname,
          '..',
          '..',
          'shared',
          'data',
          'evtx',
          'omerbenamram-evtx-samples',
          'samples',
          '2-vss_0-Microsoft-Windows-RemoteDesktopServices-RdpCoreTS%4Operational.evtx',
        ),
      );
      expect(evtx.length).toBeGreaterThan(256 << 10);
      const up = await post('/api/v1/upload?name=rdp.evtx', {
        method: 'POST',
        headers: { authorization: `ApiKey ${k}`, 'content-encoding': 'gzip' },
        body: gzipSync(evtx),
      });
      expect(up.status).toBe(200);
      const r = (await up.json()) as { records: number; stored: number };
      expect(r.records).toBeGreaterThan(100);
      expect(r.stored).toBe(r.records);
      // a shipper request of the same size is over the body limit
      const big = await post('/api/v1/ingest', {
        method: 'POST',
        headers: { authorization: `ApiKey ${k}` },
        body: evtx,
      });
      expect(big.status).toBe(413);
      // and an upload past its own limit is refused, compressed or not
      const bomb = await post('/api/v1/upload?name=bomb.evtx', {
        method: 'POST',
        headers: { authorization: `ApiKey ${k}`, 'content-encoding': 'gzip' },
        body: gzipSync(Buffer.alloc(9 << 20)),
      });
      expect(bomb.status).toBe(413);
    } finally {
      await small.close();
      rmSync(dir2, { recursive: true, force: true });
    }
  }, 60_000);
});
