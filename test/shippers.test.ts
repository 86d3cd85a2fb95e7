/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-return -- JSON bodies of the API under test */
/**
 * Real shippers end to end: Debian's rsyslog (omfwd over TCP and TLS, omelasticsearch) and
 * syslog-ng (elasticsearch-http, syslog() over TCP and TLS) run as foreground processes with their
 * own configuration in a temporary folder, follow a file the test writes sshd lines into, deliver
 * them to a running Vigil, and the lines become stored events of the right tenant and alerts of the
 * built-in sshd rule.
 *
 * The binaries come from `bash test/fixtures/shippers/install.sh` (unpacked under
 * $VIGIL_SHIPPERS_ROOT, default /var/cache/vigil-shippers; .ci/run calls it), else from a system
 * install. Missing in CI, the tests fail saying so; missing elsewhere, they are skipped with the reason.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import {
  appendFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadServerConfig, startServer, type RunningServer } from '../src/app/index.ts';

const ROOT = process.env['VIGIL_SHIPPERS_ROOT'] ?? '/var/cache/vigil-shippers';
const INSTALL_HINT = 'run `bash test/fixtures/shippers/install.sh` (as root; .ci/run does)';
const CI = Boolean(process.env['CI']);

interface Rsyslog {
  readonly bin: string;
  /** Passed as `-M` when the modules are not where the binary expects them. */
  readonly moduleDir?: string;
}

interface SyslogNg {
  readonly bin: string;
  readonly env: Record<string, string>;
  readonly args: readonly string[];
  /** `@define include-path` for an unpacked copy, whose SCL is not where the binary expects it. */
  readonly includePath?: string;
}

/** rsyslogd with imfile, omelasticsearch and the gtls driver, or why not. */
function findRsyslog(): Rsyslog | string {
  const candidates: Rsyslog[] = [];
  const libs = (base: string): string[] =>
    existsSync(base)
      ? readdirSync(base)
          .map((d) => join(base, d, 'rsyslog'))
          .filter((d) => existsSync(join(d, 'imfile.so')))
      : [];
  for (const moduleDir of libs(join(ROOT, 'usr/lib')))
    candidates.push({ bin: join(ROOT, 'usr/sbin/rsyslogd'), moduleDir });
  for (const dir of libs('/usr/lib'))
    candidates.push({ bin: '/usr/sbin/rsyslogd', moduleDir: dir });
  const found = candidates.find((c) => existsSync(c.bin));
  if (!found) return `rsyslogd not found (${ROOT} or /usr/sbin); ${INSTALL_HINT}`;
  const dir = found.moduleDir ?? '';
  for (const [mod, pkg] of [
    ['omelasticsearch.so', 'rsyslog-elasticsearch'],
    ['lmnsd_gtls.so', 'rsyslog-gnutls'],
  ] as const) {
    if (!existsSync(join(dir, mod)))
      return `${dir}/${mod} missing (Debian ${pkg}); ${INSTALL_HINT}`;
  }
  return found;
}

/** syslog-ng with the http module and the elasticsearch-http() SCL block, or why not. */
function findSyslogNg(): SyslogNg | string {
  const unpacked = join(ROOT, 'usr/sbin/syslog-ng');
  if (existsSync(unpacked)) {
    const lib = join(ROOT, 'usr/lib/syslog-ng');
    const modules = readdirSync(lib)
      .map((d) => join(lib, d))
      .find((d) => existsSync(join(d, 'libhttp.so')));
    if (!modules) return `${lib}/*/libhttp.so missing (Debian syslog-ng-mod-http); ${INSTALL_HINT}`;
    return {
      bin: unpacked,
      env: { LD_LIBRARY_PATH: lib },
      args: [`--module-path=${modules}`],
      includePath: `${join(ROOT, 'etc/syslog-ng')}:${join(ROOT, 'usr/share/syslog-ng/include')}`,
    };
  }
  if (!existsSync('/usr/sbin/syslog-ng'))
    return `syslog-ng not found (${ROOT} or /usr/sbin); ${INSTALL_HINT}`;
  if (!existsSync('/usr/share/syslog-ng/include/scl/elasticsearch/elastic-http.conf'))
    return `syslog-ng's elasticsearch-http() block missing (Debian syslog-ng-scl); ${INSTALL_HINT}`;
  return { bin: '/usr/sbin/syslog-ng', env: {}, args: [] };
}

const opensslMissing =
  spawnSync('openssl', ['version']).error === undefined
    ? undefined
    : 'openssl not found (Debian openssl)';
const rsyslog = findRsyslog();
const syslogNg = findSyslogNg();
const rsyslogProblem = typeof rsyslog === 'string' ? rsyslog : opensslMissing;
const syslogNgProblem = typeof syslogNg === 'string' ? syslogNg : opensslMissing;

/** A describe that fails in CI when its shipper is missing, and is skipped with the reason elsewhere. */
function describeShipper(name: string, problem: string | undefined, body: () => void): void {
  if (problem === undefined) {
    describe(name, body);
  } else if (CI) {
    describe(name, () => {
      it('is installed', () => {
        throw new Error(`${name}: ${problem}`);
      });
    });
  } else {
    describe.skip(`${name} (skipped: ${problem})`, body);
  }
}

let server: RunningServer | undefined;
let dir = '';
let admin = '';
const children = new Set<ChildProcess>();

function running(): RunningServer {
  if (!server) throw new Error('server not started');
  return server;
}

async function call(
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: any }> {
  const res = await fetch(running().url + path, {
    method,
    headers: {
      authorization: `Bearer ${admin}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, body: await res.json() };
}

/** A tenant and an ingest key for it. */
async function tenantWithKey(id: string): Promise<string> {
  const t = await call('POST', '/api/v1/tenants', { name: id, id });
  expect(t.status).toBe(201);
  const k = await call('POST', `/api/v1/tenants/${id}/keys`, { name: id });
  expect(k.status).toBe(201);
  return k.body.key as string;
}

/** Writes a self-signed CA and a server certificate for `vigil.test` / 127.0.0.1 signed by it. */
function makePki(at: string): { ca: string; cert: string; key: string } {
  const run = (args: string[]): void => {
    const r = spawnSync('openssl', args, { cwd: at, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`openssl ${args[0] ?? ''} failed: ${r.stderr}`);
  };
  const f = (n: string): string => join(at, n);
  run([
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    f('ca.key'),
    '-out',
    f('ca.pem'),
    '-days',
    '2',
    '-subj',
    '/CN=Vigil Test CA',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  run(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', f('server.key'), '-out', f('server.csr'), '-subj', '/CN=vigil.test']); // prettier-ignore
  writeFileSync(
    f('server.ext'),
    'subjectAltName=DNS:vigil.test,IP:127.0.0.1\nbasicConstraints=CA:FALSE\n' +
      'keyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n',
  );
  run(['x509', '-req', '-in', f('server.csr'), '-CA', f('ca.pem'), '-CAkey', f('ca.key'), '-CAcreateserial', '-out', f('server.pem'), '-days', '2', '-extfile', f('server.ext')]); // prettier-ignore
  return { ca: f('ca.pem'), cert: f('server.pem'), key: f('server.key') };
}

/** A shipper process; its output is kept for failure messages. */
interface Shipper {
  readonly child: ChildProcess;
  output(): string;
  stop(): Promise<void>;
}

function startShipper(bin: string, args: readonly string[], env: Record<string, string>): Shipper {
  const child = spawn(bin, args, {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  let out = '';
  const keep = (b: Buffer): void => {
    out = (out + b.toString()).slice(-8000);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  child.on('error', (e) => {
    out += `\nspawn failed: ${e.message}`;
  });
  const exited = new Promise<void>((resolve) => {
    child.on('exit', (code, signal) => {
      out += `\n[exited: ${signal ?? `code ${String(code)}`}]`;
      children.delete(child);
      resolve();
    });
  });
  return {
    child,
    output: () => out,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Polls a tenant's events until `want` say so, up to `ms`; fails with the shipper's output. */
async function waitForEvents(
  tenant: string,
  want: (events: any[]) => boolean,
  shipper: Shipper,
  ms = 20_000,
): Promise<any[]> {
  const until = Date.now() + ms;
  let events: any[] = [];
  for (;;) {
    const res = await call('GET', `/api/v1/events?tenant=${tenant}&limit=100`);
    events = res.body.events ?? [];
    if (want(events)) return events;
    if (Date.now() > until || shipper.child.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(
    `tenant ${tenant} has ${events.length} event(s) after ${ms} ms: ` +
      `${JSON.stringify(events.map((e) => e.fields?.message))}\nshipper output:\n${shipper.output()}`,
  );
}

/** Waits for detection to catch up, failing (well inside the test's time limit) if it does not. */
async function drained(ms = 15_000): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      running().pipeline.drain(),
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

/** The tenant's alerts once detection has caught up. */
async function alertsOf(tenant: string): Promise<any[]> {
  await drained();
  const res = await call('GET', `/api/v1/alerts?tenant=${tenant}`);
  expect(res.status).toBe(200);
  return res.body.alerts;
}

const BRUTE = 'SSH Brute Force Indicated by sshd';
const has = (events: any[], text: string): boolean =>
  events.some((e) => String(e.fields?.message ?? '').includes(text));

let pki: { ca: string; cert: string; key: string } | undefined;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'vigil-shippers-'));
  if (opensslMissing === undefined) pki = makePki(dir);
  const cfg = loadServerConfig({
    env: { VIGIL_ADMIN_PASSWORD: 'shipper test admin' },
    flags: {
      data: join(dir, 'data'),
      port: 0,
      syslog: [
        { protocol: 'tcp', port: 0, tenant: 'rsyslog-tcp' },
        { protocol: 'tcp', port: 0, tenant: 'syslog-ng-tcp' },
        ...(pki
          ? [
              { protocol: 'tls' as const, port: 0, tenant: 'rsyslog-tls' },
              { protocol: 'tls' as const, port: 0, tenant: 'syslog-ng-tls' },
            ]
          : []),
      ],
      ...(pki ? { tlsCert: pki.cert, tlsKey: pki.key } : {}),
    },
  });
  server = await startServer(cfg, () => undefined);
  const res = await fetch(`${server.url}/api/v1/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'admin', password: 'shipper test admin' }),
  });
  admin = ((await res.json()) as { token: string }).token;
  // The syslog listeners' tenants (events arriving there belong to them).
  for (const id of ['rsyslog-tcp', 'rsyslog-tls', 'syslog-ng-tcp', 'syslog-ng-tls'])
    expect((await call('POST', '/api/v1/tenants', { name: id, id })).status).toBe(201);
}, 60_000);

afterAll(async () => {
  for (const c of children) c.kill('SIGKILL');
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** The port of the syslog listener of `tenant`. */
function listenerPort(tenant: string): number | undefined {
  return server?.syslogPorts.find((p) => p.tenant === tenant)?.port;
}

/** Starts rsyslogd in the foreground on `conf`, with its pid file in `work`. */
function runRsyslog(conf: string, work: string): Shipper {
  const r = rsyslog as Rsyslog;
  return startShipper(
    r.bin,
    [
      '-n',
      '-f',
      conf,
      '-i',
      join(work, 'rsyslogd.pid'),
      ...(r.moduleDir === undefined ? [] : ['-M', r.moduleDir]),
    ],
    {},
  );
}

/** A work folder with an auth.log holding `first`, for imfile / file() to follow from the start. */
function workDir(name: string, first: string): { work: string; log: string } {
  const work = join(dir, name);
  mkdirSync(join(work, 'spool'), { recursive: true });
  const log = join(work, 'auth.log');
  writeFileSync(log, `${first}\n`);
  return { work, log };
}

/**
 * One shipper's run: `first` is in the file before it starts; once it is stored, `second` is
 * appended (the shipper follows the file), and both must arrive, for this tenant only.
 */
async function deliver(
  tenant: string,
  host: string,
  shipper: Shipper,
  log: string,
  lines: readonly [string, string],
): Promise<any[]> {
  let events: any[];
  try {
    await waitForEvents(tenant, (ev) => has(ev, lines[0]), shipper);
    appendFileSync(log, `${lines[1]}\n`);
    events = await waitForEvents(tenant, (ev) => has(ev, lines[1]), shipper);
  } finally {
    await shipper.stop();
  }
  // Exactly these two, from this shipper's host: nothing of the other shippers' tenants.
  expect(events.map((e) => [e.tenant, e.host]).sort()).toEqual([
    [tenant, host],
    [tenant, host],
  ]);
  return events;
}

const BRUTE_LINE = (ip: string): string =>
  `error: maximum authentication attempts exceeded for root from ${ip} port 52244 ssh2 [preauth]`;
const ACCEPTED_LINE = (ip: string): string =>
  `Accepted publickey for deploy from ${ip} port 40112 ssh2: ED25519 SHA256:q4cVn0b0dTZ3jFZ1bJkq5k0S8pZ0x3f2mN9eU1rLw7A`;

describeShipper('rsyslog', rsyslogProblem, () => {
  it('omfwd over TCP (octet-counted RFC 5424) to a Vigil syslog listener raises the sshd alert', async () => {
    const port = listenerPort('rsyslog-tcp');
    expect(port).toBeGreaterThan(0);
    const { work, log } = workDir('rsyslog-tcp', ACCEPTED_LINE('192.0.2.10'));
    const conf = join(work, 'rsyslog.conf');
    writeFileSync(
      conf,
      `global(workDirectory="${work}/spool" localHostname="web01.example.net")
module(load="imfile")
input(type="imfile" file="${log}" tag="sshd[4242]:" facility="authpriv" severity="info"
      freshStartTail="off" ruleset="to-vigil")
ruleset(name="to-vigil") {
  action(type="omfwd" target="127.0.0.1" port="${String(port)}" protocol="tcp"
         tcp_framing="octet-counted" template="RSYSLOG_SyslogProtocol23Format")
}
`,
    );
    const events = await deliver('rsyslog-tcp', 'web01.example.net', runRsyslog(conf, work), log, [
      ACCEPTED_LINE('192.0.2.10'),
      BRUTE_LINE('203.0.113.7'),
    ]);
    const brute = events.find((e) => String(e.fields.message).includes('203.0.113.7'));
    expect(brute).toMatchObject({
      tenant: 'rsyslog-tcp',
      format: 'syslog',
      receiver: `syslog-tcp:${String(port)}`,
      host: 'web01.example.net',
      source: { product: 'linux', service: 'auth' },
      fields: { program: 'sshd', pid: 4242, facility: 'authpriv' },
    });
    const alerts = await alertsOf('rsyslog-tcp');
    const alert = alerts.find((a) => a.rule.title === BRUTE);
    expect(alert, JSON.stringify(alerts)).toBeDefined();
    expect(alert.host).toBe('web01.example.net');
    expect(alert.event_ids).toEqual([brute.id]);
  });

  it('omfwd over TLS (gtls, x509/name against a test CA) to a Vigil TLS listener raises the sshd alert', async () => {
    const port = listenerPort('rsyslog-tls');
    expect(port, 'the TLS listener did not start').toBeGreaterThan(0);
    const { work, log } = workDir('rsyslog-tls', ACCEPTED_LINE('192.0.2.11'));
    const conf = join(work, 'rsyslog.conf');
    writeFileSync(
      conf,
      `global(workDirectory="${work}/spool" localHostname="web02.example.net"
       defaultNetstreamDriverCAFile="${pki?.ca ?? ''}")
module(load="imfile")
input(type="imfile" file="${log}" tag="sshd[4243]:" facility="authpriv" severity="info"
      freshStartTail="off" ruleset="to-vigil")
ruleset(name="to-vigil") {
  action(type="omfwd" target="127.0.0.1" port="${String(port)}" protocol="tcp"
         tcp_framing="octet-counted" template="RSYSLOG_SyslogProtocol23Format"
         streamDriver="gtls" streamDriverMode="1" streamDriverAuthMode="x509/name"
         streamDriverPermittedPeers="vigil.test")
}
`,
    );
    const events = await deliver('rsyslog-tls', 'web02.example.net', runRsyslog(conf, work), log, [
      ACCEPTED_LINE('192.0.2.11'),
      BRUTE_LINE('203.0.113.8'),
    ]);
    const brute = events.find((e) => String(e.fields.message).includes('203.0.113.8'));
    expect(brute).toMatchObject({
      tenant: 'rsyslog-tls',
      receiver: `syslog-tls:${String(port)}`,
      host: 'web02.example.net',
      fields: { program: 'sshd', pid: 4243 },
    });
    const alerts = await alertsOf('rsyslog-tls');
    expect(alerts.map((a) => [a.rule.title, a.host])).toContainEqual([BRUTE, 'web02.example.net']);
  });

  it('omelasticsearch (bulk mode, basic auth with the ingest key) to _bulk raises the sshd alert', async () => {
    const key = await tenantWithKey('rsyslog-es');
    const url = new URL(server?.url ?? '');
    const { work, log } = workDir('rsyslog-es', ACCEPTED_LINE('192.0.2.12'));
    const conf = join(work, 'rsyslog.conf');
    const errors = join(work, 'es-errors.json');
    // The ECS-style template of docs/shippers.md: event.dataset tells Vigil it is auth.log.
    writeFileSync(
      conf,
      `global(workDirectory="${work}/spool" localHostname="web03.example.net")
module(load="imfile")
module(load="omelasticsearch")
template(name="vigil-ecs" type="list" option.json="on") {
  constant(value="{\\"@timestamp\\":\\"") property(name="timereported" dateFormat="rfc3339")
  constant(value="\\",\\"message\\":\\"") property(name="msg")
  constant(value="\\",\\"host\\":{\\"hostname\\":\\"") property(name="hostname")
  constant(value="\\"},\\"process\\":{\\"name\\":\\"") property(name="programname")
  constant(value="\\",\\"pid\\":\\"") property(name="procid")
  constant(value="\\"},\\"log\\":{\\"syslog\\":{\\"facility\\":{\\"name\\":\\"") property(name="syslogfacility-text")
  constant(value="\\"},\\"severity\\":{\\"name\\":\\"") property(name="syslogseverity-text")
  constant(value="\\"}}},\\"event\\":{\\"dataset\\":\\"") property(name="$.dataset")
  constant(value="\\"}}")
}
input(type="imfile" file="${log}" tag="sshd[4244]:" facility="authpriv" severity="info"
      freshStartTail="off" ruleset="to-vigil")
ruleset(name="to-vigil") {
  if $syslogfacility-text == ["auth", "authpriv"] then { set $.dataset = "system.auth"; }
  else { set $.dataset = "system.syslog"; }
  action(type="omelasticsearch" server="${url.hostname}" serverport="${url.port}"
         searchIndex="rsyslog" template="vigil-ecs" bulkmode="on"
         uid="rsyslog" pwd="${key}" errorFile="${errors}")
}
`,
    );
    const events = await deliver('rsyslog-es', 'web03.example.net', runRsyslog(conf, work), log, [
      ACCEPTED_LINE('192.0.2.12'),
      BRUTE_LINE('203.0.113.9'),
    ]);
    expect(existsSync(errors), 'omelasticsearch wrote failed items to its errorFile').toBe(false);
    const brute = events.find((e) => String(e.fields.message).includes('203.0.113.9'));
    expect(brute).toMatchObject({
      tenant: 'rsyslog-es',
      receiver: 'bulk',
      host: 'web03.example.net',
      source: { product: 'linux', service: 'auth' },
      fields: { program: 'sshd', 'event.dataset': 'system.auth' },
    });
    const alerts = await alertsOf('rsyslog-es');
    expect(alerts.map((a) => [a.rule.title, a.host])).toContainEqual([BRUTE, 'web03.example.net']);
  });
});

/** Starts syslog-ng in the foreground on a config that follows `log` with `destination` (named d_vigil). */
function runSyslogNg(work: string, log: string, host: string, destination: string): Shipper {
  const ng = syslogNg as SyslogNg;
  const conf = join(work, 'syslog-ng.conf');
  writeFileSync(
    conf,
    `@version: 3.38
${ng.includePath === undefined ? '' : `@define include-path "${ng.includePath}"`}
@include "scl.conf"
options { use-dns(no); dns-cache(no); stats-freq(0); };
source s_auth {
  file("${log}" flags(no-parse) program-override("sshd") host-override("${host}")
       default-facility(authpriv) default-priority(info) follow-freq(1));
};
destination d_vigil {
${destination}
};
log { source(s_auth); destination(d_vigil); };
`,
  );
  return startShipper(
    ng.bin,
    [
      ...ng.args,
      '-f',
      conf,
      '-F',
      '-e',
      '--no-caps',
      '-R',
      join(work, 'syslog-ng.persist'),
      '-p',
      join(work, 'syslog-ng.pid'),
      '-c',
      join(work, 'syslog-ng.ctl'),
    ],
    ng.env,
  );
}

describeShipper('syslog-ng', syslogNgProblem, () => {
  it('elasticsearch-http() with basic auth to _bulk raises the sshd alert', async () => {
    const key = await tenantWithKey('syslog-ng-es');
    const { work, log } = workDir('syslog-ng-es', ACCEPTED_LINE('192.0.2.13'));
    const shipper = runSyslogNg(
      work,
      log,
      'web04.example.net',
      `  elasticsearch-http(
    url("${running().url}/_bulk")
    index("syslog-ng")
    type("")
    user("syslog-ng")
    password("${key}")
    batch-lines(10)
    batch-timeout(200)
    template("$(format-json @timestamp=\${ISODATE} message=\${MESSAGE} host.hostname=\${HOST} process.name=\${PROGRAM} event.dataset=system.auth)")
  );`,
    );
    const events = await deliver('syslog-ng-es', 'web04.example.net', shipper, log, [
      ACCEPTED_LINE('192.0.2.13'),
      BRUTE_LINE('203.0.113.10'),
    ]);
    const brute = events.find((e) => String(e.fields.message).includes('203.0.113.10'));
    expect(brute).toMatchObject({
      tenant: 'syslog-ng-es',
      receiver: 'bulk',
      host: 'web04.example.net',
      source: { product: 'linux', service: 'auth' },
      fields: { program: 'sshd' },
    });
    const alerts = await alertsOf('syslog-ng-es');
    expect(alerts.map((a) => [a.rule.title, a.host])).toContainEqual([BRUTE, 'web04.example.net']);
  });

  it('syslog() over TCP (RFC 5424, octet counting) to a Vigil listener raises the sshd alert', async () => {
    const port = listenerPort('syslog-ng-tcp');
    expect(port).toBeGreaterThan(0);
    const { work, log } = workDir('syslog-ng-tcp', ACCEPTED_LINE('192.0.2.14'));
    const shipper = runSyslogNg(
      work,
      log,
      'web05.example.net',
      `  syslog("127.0.0.1" transport("tcp") port(${String(port)}));`,
    );
    const events = await deliver('syslog-ng-tcp', 'web05.example.net', shipper, log, [
      ACCEPTED_LINE('192.0.2.14'),
      BRUTE_LINE('203.0.113.11'),
    ]);
    const brute = events.find((e) => String(e.fields.message).includes('203.0.113.11'));
    expect(brute).toMatchObject({
      receiver: `syslog-tcp:${String(port)}`,
      source: { product: 'linux', service: 'auth' },
      fields: { program: 'sshd', facility: 'authpriv' },
    });
    const alerts = await alertsOf('syslog-ng-tcp');
    expect(alerts.map((a) => [a.rule.title, a.host])).toContainEqual([BRUTE, 'web05.example.net']);
  });

  it('syslog() over TLS (peer-verify against the test CA) to a Vigil listener raises the sshd alert', async () => {
    const port = listenerPort('syslog-ng-tls');
    expect(port, 'the TLS listener did not start').toBeGreaterThan(0);
    const { work, log } = workDir('syslog-ng-tls', ACCEPTED_LINE('192.0.2.15'));
    // The certificate names vigil.test and 127.0.0.1; syslog-ng checks the name it connected to.
    const shipper = runSyslogNg(
      work,
      log,
      'web06.example.net',
      `  syslog("127.0.0.1" transport("tls") port(${String(port)})
         tls(ca-file("${pki?.ca ?? ''}") peer-verify(required-trusted)));`,
    );
    const events = await deliver('syslog-ng-tls', 'web06.example.net', shipper, log, [
      ACCEPTED_LINE('192.0.2.15'),
      BRUTE_LINE('203.0.113.12'),
    ]);
    const brute = events.find((e) => String(e.fields.message).includes('203.0.113.12'));
    expect(brute).toMatchObject({
      receiver: `syslog-tls:${String(port)}`,
      fields: { program: 'sshd' },
    });
    const alerts = await alertsOf('syslog-ng-tls');
    expect(alerts.map((a) => [a.rule.title, a.host])).toContainEqual([BRUTE, 'web06.example.net']);
  });
});
