/**
 * A real `vigil serve` for the console's browser tests, screenshots and benchmark: a temporary data
 * directory, tenants and users created through the API, and a replay sent through ingest so that real
 * incidents exist. Shared by test/web-console.test.ts and scripts/web-*.ts.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadServerConfig, startServer, type RunningServer } from '../../src/app/index.ts';
import { winlogbeat, zeekJson } from '../scenarios/shippers.ts';

export const ROOT = join(import.meta.dirname, '..', '..');
export const PASSWORD = 'correct horse battery staple';

/** An attack replay: the records a shipper sends, and what its incident must show. */
export interface Replay {
  readonly name: string;
  /** The records, as POST /api/v1/ingest takes them. */
  records(): object[];
  /** The UTC day (YYYY-MM-DD) its events are dated, which `redate` moves to yesterday. */
  readonly date?: string;
  /** Host names rewritten when the replay is sent to a second tenant. */
  readonly rename?: Readonly<Record<string, string>>;
  /** What the incident at the top of the queue shows. */
  readonly expect: {
    readonly hosts: readonly string[];
    readonly infected: readonly string[];
    readonly narrativeMentions: readonly string[];
  };
}

function ndjsonIn(dir: string): object[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.jsonl') || f.endsWith('.ndjson'))
    .sort()
    .flatMap((f) =>
      readFileSync(join(dir, f), 'utf8')
        .split('\n')
        .filter((l) => l.trim() !== '')
        .map((l) => JSON.parse(l) as object),
    );
}

/** samples/quickstart: a macro document on WS-FIN-07, a UAC bypass, discovery, LSASS, brute force into SRV-DB-01. */
export const quickstart: Replay = {
  name: 'quickstart',
  records: () => ndjsonIn(join(ROOT, 'samples', 'quickstart')),
  date: '2026-11-17',
  rename: {
    'WS-FIN-07': 'NW-LAB-02',
    'SRV-DB-01': 'NW-FS-01',
    corvane: 'northwind',
    CORVANE: 'NORTHWIND',
    Corvane: 'Northwind',
  },
  expect: {
    hosts: ['WS-FIN-07', 'SRV-DB-01'],
    infected: ['WS-FIN-07'],
    narrativeMentions: ['WS-FIN-07', 'SRV-DB-01'],
  },
};

const PCASTLE = join(ROOT, 'test', 'scenarios', 'pcastle');

/**
 * test/scenarios/pcastle: the PCASTLE-style fileless coin-mining worm (SMB brute force from the
 * Internet into SRV-APP-01, encoded PowerShell from a scheduled task, an in-memory miner, EternalBlue to
 * WS-ACC-03, pass-the-hash to FIN-DB-02, HR-WS-07 only targeted), as Winlogbeat and Zeek ship it.
 */
export const pcastle: Replay = {
  name: 'pcastle',
  records: () => [
    ...winlogbeat(join(PCASTLE, 'winlogbeat.ndjson')),
    ...zeekJson(join(PCASTLE, 'zeek', 'conn.log')),
    ...zeekJson(join(PCASTLE, 'zeek', 'dns.log')),
    ...zeekJson(join(PCASTLE, 'zeek', 'notice.log')),
  ],
  rename: { 'corp.example': 'northwind.example', CORP: 'NORTHWIND' },
  expect: {
    hosts: ['srv-app-01', 'ws-acc-03', 'fin-db-02', 'hr-ws-07'],
    infected: ['srv-app-01', 'ws-acc-03', 'fin-db-02'],
    narrativeMentions: ['srv-app-01.corp.example'],
  },
};

export interface Seeded {
  readonly server: RunningServer;
  readonly url: string;
  readonly dir: string;
  /** The provider admin's token. */
  readonly admin: string;
  /** The tenant the replay was sent to, and a second tenant with its own (renamed) copy. */
  readonly victim: { readonly id: string; readonly name: string };
  readonly other: { readonly id: string; readonly name: string };
  /** Users, all with PASSWORD. */
  readonly users: {
    readonly analyst: string;
    readonly otherViewer: string;
    readonly victimAdmin: string;
  };
  close(): Promise<void>;
}

export async function call(
  url: string,
  method: string,
  path: string,
  opts: { token?: string; key?: string; body?: unknown; raw?: string } = {},
): Promise<{ status: number; body: unknown }> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (opts.token) headers['authorization'] = `Bearer ${opts.token}`;
  if (opts.key) headers['authorization'] = `ApiKey ${opts.key}`;
  let body: string | undefined;
  if (opts.body !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(opts.body);
  } else if (opts.raw !== undefined) {
    headers['content-type'] = 'application/x-ndjson';
    body = opts.raw;
  }
  const res = await fetch(url + path, { method, headers, ...(body === undefined ? {} : { body }) });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON
  }
  return { status: res.status, body: parsed };
}

function must(r: { status: number; body: unknown }, want: number, what: string): unknown {
  if (r.status !== want) {
    throw new Error(`${what}: HTTP ${r.status} ${JSON.stringify(r.body).slice(0, 300)}`);
  }
  return r.body;
}

/** Sends a replay's files through `/api/v1/ingest` with the tenant's key, host names rewritten if asked. */
export async function sendReplay(
  url: string,
  key: string,
  replay: Replay,
  rename: Readonly<Record<string, string>> = {},
): Promise<number> {
  const lines = replay.records().map((r) => {
    let text = JSON.stringify(r);
    for (const [from, to] of Object.entries(rename)) text = text.split(from).join(to);
    return text;
  });
  for (let i = 0; i < lines.length; i += 500) {
    const r = await call(url, 'POST', '/api/v1/ingest', {
      key,
      raw: lines.slice(i, i + 500).join('\n'),
    });
    must(r, 200, `ingest ${replay.name}`);
  }
  return lines.length;
}

/** Polls a tenant's queue until two reads in a row list the same incidents with the same alerts. */
async function settled(url: string, token: string, tenant: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  let last = '';
  for (;;) {
    const r = await call(url, 'GET', `/api/v1/incidents?tenant=${tenant}&limit=1000`, { token });
    const now = JSON.stringify(
      (must(r, 200, 'incidents') as { incidents: { id: string; alert_count: number }[] }).incidents
        .map((i) => `${i.id}:${i.alert_count}`)
        .sort(),
    );
    if (now === last && now !== '[]') return;
    if (Date.now() > deadline) throw new Error(`incidents of ${tenant} did not settle: ${now}`);
    last = now;
    await new Promise((res) => setTimeout(res, 250));
  }
}

/** `rules`: rule folders loaded beside Vigil's own (e.g. SigmaHQ's, for the screenshots). */
export async function seed(
  replay: Replay = quickstart,
  opts: {
    readonly rules?: readonly string[];
    /** Date the replay yesterday (screenshots: "this week" shows it). */
    readonly redate?: boolean;
    /** More customers, each sent the replay with these renames. */
    readonly more?: readonly { id: string; name: string; rename: Record<string, string> }[];
  } = {},
): Promise<Seeded> {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-web-'));
  const cfg = loadServerConfig({
    env: { VIGIL_ADMIN_PASSWORD: PASSWORD },
    flags: { data: dir, port: 0, ...(opts.rules ? { rules: [...opts.rules] } : {}) },
  });
  const server = await startServer(cfg, () => undefined);
  const url = server.url;
  try {
    const admin = (
      must(
        await call(url, 'POST', '/api/v1/login', {
          body: { name: 'admin', password: PASSWORD },
        }),
        200,
        'admin login',
      ) as { token: string }
    ).token;
    const victim = must(
      await call(url, 'POST', '/api/v1/tenants', {
        token: admin,
        body: { name: 'Corvane Logistics', id: 'corvane' },
      }),
      201,
      'create tenant',
    ) as { id: string; name: string };
    const other = must(
      await call(url, 'POST', '/api/v1/tenants', {
        token: admin,
        body: { name: 'Northwind Health', id: 'northwind' },
      }),
      201,
      'create tenant',
    ) as { id: string; name: string };
    const users = {
      analyst: 'mia.analyst',
      otherViewer: 'nw.viewer',
      victimAdmin: 'corvane.admin',
    };
    const create = async (body: Record<string, unknown>): Promise<void> => {
      must(
        await call(url, 'POST', '/api/v1/users', {
          token: admin,
          body: { password: PASSWORD, ...body },
        }),
        201,
        `create user ${String(body['name'])}`,
      );
    };
    await create({ name: users.analyst, role: 'provider_analyst' });
    await create({ name: users.otherViewer, role: 'customer_viewer', tenant: other.id });
    await create({ name: users.victimAdmin, role: 'customer_admin', tenant: victim.id });
    const day =
      opts.redate && replay.date
        ? { [replay.date]: new Date(Date.now() - 86_400_000).toISOString().slice(0, 10) }
        : {};
    for (const m of opts.more ?? []) {
      must(
        await call(url, 'POST', '/api/v1/tenants', {
          token: admin,
          body: { name: m.name, id: m.id },
        }),
        201,
        'create tenant',
      );
    }
    const sends: [string, Record<string, string>][] = [
      [victim.id, { ...day }],
      [other.id, { ...replay.rename, ...day }],
      ...(opts.more ?? []).map((m): [string, Record<string, string>] => [
        m.id,
        { ...m.rename, ...day },
      ]),
    ];
    for (const [t, rename] of sends) {
      const key = (
        must(
          await call(url, 'POST', `/api/v1/tenants/${t}/keys`, {
            token: admin,
            body: { name: 'replay' },
          }),
          201,
          'create key',
        ) as { key: string }
      ).key;
      await sendReplay(url, key, replay, rename);
    }
    await server.pipeline.drain();
    // Incidents are built after the alerts are stored: wait until two reads in a row agree.
    for (const t of sends.map(([id]) => id)) await settled(url, admin, t);
    return {
      server,
      url,
      dir,
      admin,
      victim,
      other,
      users,
      close: async () => {
        await server.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (e) {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
}
