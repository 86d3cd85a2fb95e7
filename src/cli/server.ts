/**
 * The server-side commands: `vigil serve` runs the server; `tenant`, `key`, `user`, `send` and `alerts`
 * talk to a running one over its HTTP API.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { LEVELS, ROLES, VigilError, type Level, type Role } from '../core/index.ts';
import { loadServerConfig, startServer, type ServerConfig } from '../app/index.ts';

/** Exit code when the server refused the request or could not be reached. */
export const EXIT_SERVER = 4;

interface ClientFlags {
  server?: string;
  user?: string;
  password?: string;
  token?: string;
  json?: boolean;
}

class ServerError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** A small API client: one base URL and one credential. */
class Client {
  private bearer: string | undefined;
  private session = false;
  constructor(
    readonly base: string,
    private readonly flags: ClientFlags,
  ) {}

  static from(flags: ClientFlags): Client {
    const base = (flags.server ?? process.env['VIGIL_SERVER'] ?? 'http://127.0.0.1:8080').replace(
      /\/+$/,
      '',
    );
    return new Client(base, flags);
  }

  async request(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<unknown> {
    let res: Response;
    try {
      res = await fetch(this.base + path, {
        method,
        headers: {
          ...(body === undefined || body instanceof Uint8Array
            ? {}
            : { 'content-type': 'application/json' }),
          ...headers,
        },
        ...(body === undefined
          ? {}
          : { body: body instanceof Uint8Array ? body : JSON.stringify(body) }),
      });
    } catch (e) {
      const cause = (e as { cause?: { code?: string } }).cause?.code ?? (e as Error).message;
      throw new ServerError(
        0,
        `cannot reach the Vigil server at ${this.base} (${cause}); set --server or VIGIL_SERVER`,
      );
    }
    const text = await res.text();
    let data: unknown = text;
    try {
      data = text ? JSON.parse(text) : undefined;
    } catch {
      // not JSON: keep the text
    }
    if (!res.ok) {
      const err = (data as { error?: { code?: string; message?: string } } | undefined)?.error;
      const retry = res.headers.get('retry-after');
      throw Object.assign(
        new ServerError(
          res.status,
          err?.message ? `${err.message}${err.code ? ` (${err.code})` : ''}` : `HTTP ${res.status}`,
        ),
        { retryAfter: retry === null ? undefined : Number(retry), data },
      );
    }
    return data;
  }

  /** Calls with the user's credential: `--token`, or a session from `--user`/`--password`. */
  async authed(method: string, path: string, body?: unknown): Promise<unknown> {
    await this.login();
    return this.request(method, path, body, { authorization: `Bearer ${this.bearer ?? ''}` });
  }

  private async login(): Promise<void> {
    if (this.bearer) return;
    const token = this.flags.token ?? process.env['VIGIL_TOKEN'];
    if (token) {
      this.bearer = token;
      return;
    }
    const name = this.flags.user ?? process.env['VIGIL_USER'];
    const password = this.flags.password ?? process.env['VIGIL_PASSWORD'];
    if (!name || !password) {
      throw new VigilError(
        'AUTH_REQUIRED',
        'give --token (or VIGIL_TOKEN), or --user and --password (or VIGIL_USER and VIGIL_PASSWORD)',
      );
    }
    const res = (await this.request('POST', '/api/v1/login', { name, password })) as {
      token: string;
    };
    this.bearer = res.token;
    this.session = true;
  }

  async close(): Promise<void> {
    if (this.session && this.bearer) {
      await this.request('POST', '/api/v1/logout', undefined, {
        authorization: `Bearer ${this.bearer}`,
      }).catch(() => undefined);
    }
  }
}

function clientOptions(cmd: Command): Command {
  return cmd
    .option('--server <url>', 'the Vigil server (default: VIGIL_SERVER or http://127.0.0.1:8080)')
    .option('--user <name>', 'log in as this user (or VIGIL_USER)')
    .option('--password <password>', 'password (or VIGIL_PASSWORD)')
    .option('--token <token>', 'API token (or VIGIL_TOKEN)')
    .option('--json', 'print JSON');
}

async function withClient(flags: ClientFlags, run: (c: Client) => Promise<void>): Promise<number> {
  const client = Client.from(flags);
  try {
    await run(client);
    return 0;
  } catch (e) {
    if (e instanceof ServerError || e instanceof VigilError) {
      process.stderr.write(`vigil: ${e.message}\n`);
      return e instanceof VigilError ? 1 : EXIT_SERVER;
    }
    throw e;
  } finally {
    await client.close();
  }
}

function print(json: boolean | undefined, value: unknown, human: string): void {
  process.stdout.write(json ? JSON.stringify(value) + '\n' : human + '\n');
}

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new InvalidArgumentError('must be a port number 0-65535');
  return n;
}

function oneOf<T extends string>(what: string, allowed: readonly T[]) {
  return (value: string): T => {
    if ((allowed as readonly string[]).includes(value)) return value as T;
    throw new InvalidArgumentError(`${what} must be one of ${allowed.join(', ')}`);
  };
}

/** Every file under the given paths (directories walked recursively, hidden files skipped). */
function filesUnder(paths: readonly string[]): { files: string[]; missing: string[] } {
  const files: string[] = [];
  const missing: string[] = [];
  const visit = (p: string, top: boolean): void => {
    let st;
    try {
      st = statSync(p);
    } catch {
      if (top) missing.push(p);
      return;
    }
    if (st.isDirectory()) {
      for (const e of readdirSync(p).sort()) if (!e.startsWith('.')) visit(join(p, e), false);
    } else if (st.isFile()) files.push(p);
  };
  for (const p of paths) visit(p, true);
  return { files, missing };
}

interface SendResult {
  path: string;
  records: number;
  stored: number;
  duplicates: number;
  errors: number;
  problems: unknown[];
  error?: string;
}

async function sendFile(client: Client, key: string, path: string): Promise<SendResult> {
  const raw = readFileSync(path);
  const gzip =
    raw.length > 64 * 1024 &&
    !(raw[0] === 0x1f && raw[1] === 0x8b) &&
    !(raw[0] === 0x50 && raw[1] === 0x4b);
  const body = gzip ? gzipSync(raw) : raw;
  const headers: Record<string, string> = {
    authorization: `ApiKey ${key}`,
    'content-type': 'application/octet-stream',
    ...(gzip ? { 'content-encoding': 'gzip' } : {}),
  };
  for (let attempt = 0; ; attempt++) {
    try {
      const res = (await client.request(
        'POST',
        `/api/v1/upload?name=${encodeURIComponent(basename(path))}`,
        new Uint8Array(body),
        headers,
      )) as {
        records: number;
        stored: number;
        duplicates: number;
        errors: number;
        problems: unknown[];
      };
      return {
        path,
        records: res.records,
        stored: res.stored,
        duplicates: res.duplicates,
        errors: res.errors,
        problems: res.problems,
      };
    } catch (e) {
      const retryAfter = (e as { retryAfter?: number }).retryAfter;
      if (e instanceof ServerError && e.status === 429 && attempt < 30) {
        await new Promise((r) => setTimeout(r, Math.max(1, retryAfter ?? 1) * 1000));
        continue;
      }
      if (e instanceof ServerError && e.status > 0 && e.status !== 401 && e.status !== 403) {
        const data = (e as { data?: { problems?: unknown[]; records?: number } }).data;
        return {
          path,
          records: data?.records ?? 0,
          stored: 0,
          duplicates: 0,
          errors: 1,
          problems: data?.problems ?? [],
          error: e.message,
        };
      }
      throw e;
    }
  }
}

export function addServerCommands(root: Command, result: { code: number }): void {
  root
    .command('serve')
    .description('run the Vigil server: ingest, streaming detection, alerts and the API')
    .option(
      '--data <dir>',
      'data directory (SQLite store, config vigil.yml) (default ./vigil-data)',
    )
    .addOption(new Option('--port <n>', 'HTTP port (default 8080)').argParser(port))
    .option('--host <host>', 'address to listen on (default 127.0.0.1)')
    .option('--rules <dirs...>', 'extra Sigma rule folders, loaded with the built-in ones')
    .option('--no-builtin', "do not load Vigil's own rules")
    .option('--config <file>', 'configuration file (default VIGIL_CONFIG or <data>/vigil.yml)')
    .action(
      async (flags: {
        data?: string;
        port?: number;
        host?: string;
        rules?: string[];
        builtin: boolean;
        config?: string;
      }) => {
        let cfg: ServerConfig;
        try {
          cfg = loadServerConfig({
            ...(flags.config === undefined ? {} : { file: flags.config }),
            env: process.env,
            flags: {
              ...(flags.data === undefined ? {} : { data: flags.data }),
              ...(flags.port === undefined ? {} : { port: flags.port }),
              ...(flags.host === undefined ? {} : { host: flags.host }),
              ...(flags.rules === undefined ? {} : { rules: flags.rules }),
              ...(flags.builtin ? {} : { builtinRules: false }),
            },
          });
        } catch (e) {
          if (e instanceof VigilError) {
            process.stderr.write(`vigil: ${e.message}\n`);
            result.code = 1;
            return;
          }
          throw e;
        }
        const log = (line: string): void => {
          process.stderr.write(`vigil: ${line}\n`);
        };
        let server;
        try {
          server = await startServer(cfg, log);
        } catch (e) {
          if (e instanceof VigilError || (e as { code?: string }).code === 'EADDRINUSE') {
            process.stderr.write(`vigil: cannot start: ${(e as Error).message}\n`);
            result.code = 1;
            return;
          }
          throw e;
        }
        log(
          `listening on ${server.url} (data in ${cfg.data}${cfg.configFile ? `, config ${cfg.configFile}` : ''})`,
        );
        const running = server;
        await new Promise<void>((resolveStop) => {
          const stop = (signal: string): void => {
            log(`${signal}: finishing detection of accepted events, then stopping`);
            void running.close().then(resolveStop);
          };
          process.once('SIGINT', () => {
            stop('SIGINT');
          });
          process.once('SIGTERM', () => {
            stop('SIGTERM');
          });
          process.on('SIGHUP', () => {
            void running.reloadRules().then((r) => {
              log(`rules reloaded: ${r.rules} rules, ${r.issues.length} problem(s)`);
            });
          });
        });
      },
    );

  const tenant = root.command('tenant').description('manage tenants on a running server');
  clientOptions(
    tenant.command('create').description('create a tenant').argument('<name>', 'display name'),
  )
    .option('--id <id>', 'tenant id (default: derived from the name)')
    .action(async (name: string, flags: ClientFlags & { id?: string }) => {
      result.code = await withClient(flags, async (c) => {
        const t = (await c.authed('POST', '/api/v1/tenants', {
          name,
          ...(flags.id ? { id: flags.id } : {}),
        })) as { id: string; name: string };
        print(flags.json, { id: t.id, name: t.name }, `created tenant ${t.id} (${t.name})`);
      });
    });
  clientOptions(tenant.command('list').description('list the tenants you may see')).action(
    async (flags: ClientFlags) => {
      result.code = await withClient(flags, async (c) => {
        const r = (await c.authed('GET', '/api/v1/tenants')) as {
          tenants: { id: string; name: string }[];
        };
        print(flags.json, r.tenants, r.tenants.map((t) => `${t.id}\t${t.name}`).join('\n'));
      });
    },
  );

  const key = root.command('key').description('manage ingest keys on a running server');
  clientOptions(key.command('create').description('create an ingest key for a tenant (shown once)'))
    .requiredOption('--tenant <id>', 'the tenant the key sends for')
    .option('--name <name>', 'a label for the key')
    .action(async (flags: ClientFlags & { tenant: string; name?: string }) => {
      result.code = await withClient(flags, async (c) => {
        const k = (await c.authed(
          'POST',
          `/api/v1/tenants/${encodeURIComponent(flags.tenant)}/keys`,
          flags.name ? { name: flags.name } : {},
        )) as { id: string; key: string };
        print(
          flags.json,
          { id: k.id, key: k.key },
          `${k.key}\n(key id ${k.id}; this key is shown only now — store it in your shipper's configuration)`,
        );
      });
    });
  clientOptions(
    key.command('revoke').description('revoke an ingest key').argument('<id>', 'key id'),
  )
    .requiredOption('--tenant <id>', 'the key’s tenant')
    .action(async (id: string, flags: ClientFlags & { tenant: string }) => {
      result.code = await withClient(flags, async (c) => {
        await c.authed(
          'DELETE',
          `/api/v1/tenants/${encodeURIComponent(flags.tenant)}/keys/${encodeURIComponent(id)}`,
        );
        print(flags.json, { id, revoked: true }, `revoked key ${id}`);
      });
    });

  const user = root.command('user').description('manage users on a running server');
  clientOptions(user.command('create').description('create a user'))
    .option('--tenant <id>', 'the user’s tenant (customer roles)')
    .addOption(
      new Option('--role <role>', `one of ${ROLES.join(', ')}`)
        .makeOptionMandatory()
        .argParser(oneOf('--role', ROLES)),
    )
    .requiredOption('--name <name>', 'login name')
    .option(
      '--user-password <password>',
      'the new user’s password (alias of --password when logging in with --token)',
    )
    .option('--tenants <ids...>', 'provider analysts: the tenants assigned to them (default: all)')
    .action(
      async (
        flags: ClientFlags & {
          tenant?: string;
          role: Role;
          name: string;
          userPassword?: string;
          tenants?: string[];
        },
      ) => {
        // `--password` names the new user's password, as the issue's command line has it; the caller then
        // authenticates with --token/VIGIL_TOKEN or VIGIL_USER/VIGIL_PASSWORD.
        const newPassword = flags.userPassword ?? flags.password;
        const login: ClientFlags = { ...flags };
        if (flags.userPassword === undefined) delete login.password;
        result.code = await withClient(login, async (c) => {
          if (!newPassword)
            throw new VigilError('USAGE', '--password is required: the new user’s password');
          const u = (await c.authed('POST', '/api/v1/users', {
            name: flags.name,
            password: newPassword,
            role: flags.role,
            ...(flags.tenant ? { tenant: flags.tenant } : {}),
            ...(flags.tenants ? { tenants: flags.tenants } : {}),
          })) as { id: string; name: string; role: string; tenant: string };
          print(
            flags.json,
            { id: u.id, name: u.name, role: u.role, tenant: u.tenant },
            `created user ${u.name} (${u.role}, tenant ${u.tenant})`,
          );
        });
      },
    );

  root
    .command('send')
    .description(
      'upload log files (EVTX, JSON, syslog, auditd, Zeek) to a tenant with its ingest key',
    )
    .argument('<files...>', 'files or directories')
    .option('--key <key>', 'ingest key (or VIGIL_KEY)')
    .option('--server <url>', 'the Vigil server (default: VIGIL_SERVER or http://127.0.0.1:8080)')
    .option('--json', 'print JSON')
    .action(async (paths: string[], flags: { key?: string; server?: string; json?: boolean }) => {
      const keyValue = flags.key ?? process.env['VIGIL_KEY'];
      if (!keyValue) {
        process.stderr.write(
          'vigil: send needs an ingest key: --key KEY or VIGIL_KEY (create one with `vigil key create --tenant ID`)\n',
        );
        result.code = 1;
        return;
      }
      const { files, missing } = filesUnder(paths);
      for (const m of missing) process.stderr.write(`vigil: ${m}: no such file or directory\n`);
      const client = Client.from(flags.server === undefined ? {} : { server: flags.server });
      const results: SendResult[] = [];
      try {
        for (const f of files) {
          const r = await sendFile(client, keyValue, f);
          results.push(r);
          if (!flags.json) {
            process.stdout.write(
              r.error
                ? `${f}: not stored: ${r.error}\n`
                : `${f}: ${r.records} records, ${r.stored} stored${r.duplicates > 0 ? `, ${r.duplicates} already there` : ''}${r.errors > 0 ? `, ${r.errors} problem(s)` : ''}\n`,
            );
          }
        }
      } catch (e) {
        if (e instanceof ServerError) {
          process.stderr.write(`vigil: ${e.message}\n`);
          result.code = EXIT_SERVER;
          return;
        }
        throw e;
      }
      const records = results.reduce((n, r) => n + r.records, 0);
      const stored = results.reduce((n, r) => n + r.stored, 0);
      if (flags.json) {
        process.stdout.write(JSON.stringify({ files: results, records, stored }) + '\n');
      } else {
        process.stdout.write(`${files.length} file(s), ${records} records, ${stored} stored\n`);
      }
      const failed =
        missing.length > 0 || results.some((r) => r.error !== undefined || r.errors > 0);
      result.code = failed ? 2 : 0;
    });

  clientOptions(
    root.command('incidents').description("list a tenant's incidents, highest score first"),
  )
    .requiredOption('--tenant <id>', 'tenant')
    .addOption(
      new Option('--lang <lang>', 'narrative language: en or zh-TW')
        .default('en')
        .argParser(oneOf('--lang', ['en', 'zh-TW'] as const)),
    )
    .addOption(
      new Option('--limit <n>', 'at most this many (default 20)').argParser((v) => {
        const n = Number(v);
        if (!Number.isInteger(n) || n < 1)
          throw new InvalidArgumentError('must be a positive integer');
        return n;
      }),
    )
    .option(
      '--status <list>',
      'only these statuses (comma list: new,triage,investigating,contained,…)',
    )
    .option('--severity <list>', 'only these severities (comma list: critical,high,medium,low)')
    .option('--assignee <name>', "only this analyst's incidents ('' = unassigned)")
    .option('--host <name>', 'only incidents touching this host')
    .option(
      '--technique <id>',
      'only incidents with this ATT&CK technique (T1059 includes T1059.001)',
    )
    .action(
      async (
        flags: ClientFlags & {
          tenant: string;
          lang: 'en' | 'zh-TW';
          limit?: number;
          status?: string;
          severity?: string;
          assignee?: string;
          host?: string;
          technique?: string;
        },
      ) => {
        result.code = await withClient(flags, async (c) => {
          const q = new URLSearchParams({
            tenant: flags.tenant,
            limit: String(flags.limit ?? 20),
            full: 'true',
          });
          for (const k of ['status', 'severity', 'assignee', 'host', 'technique'] as const) {
            const v = flags[k];
            if (v !== undefined) q.set(k, v);
          }
          const r = (await c.authed('GET', `/api/v1/incidents?${q.toString()}`)) as {
            incidents: Record<string, unknown>[];
          };
          if (flags.json) {
            process.stdout.write(JSON.stringify(r.incidents) + '\n');
            return;
          }
          if (r.incidents.length === 0) {
            process.stdout.write(`no incidents for tenant ${flags.tenant}\n`);
            return;
          }
          for (const i of r.incidents) {
            const hosts = (i['hosts'] as { name: string; state: string }[]).filter(
              (h) => h.state !== 'clean',
            );
            const narrative = (i['narrative'] as Record<string, string>)[flags.lang] ?? '';
            const assignee = typeof i['assignee'] === 'string' ? i['assignee'] : 'unassigned';
            const breached = i['sla_breached'] === true ? '  SLA BREACHED' : '';
            process.stdout.write(
              `${String(i['score']).padStart(3)}  ${String(i['title'])}  (${String(i['alert_count'])} alerts)\n` +
                `     ${String(i['id'])}  ${String(i['severity'])}  ${String(i['status'])}  ${assignee}${breached}\n` +
                `     hosts: ${hosts.map((h) => `${h.name} [${h.state}]`).join(', ')}\n` +
                `     ${narrative}\n\n`,
            );
          }
        });
      },
    );

  const incident = root.command('incident').description('work one incident on a running server');
  const incidentPath = (tenant: string, id: string): string =>
    `/api/v1/tenants/${encodeURIComponent(tenant)}/incidents/${encodeURIComponent(id)}`;
  const incidentLine = (i: Record<string, unknown>): string =>
    `${String(i['id'])}  score ${String(i['score'])}  ${String(i['severity'])}  ${String(i['status'])}` +
    `  ${typeof i['assignee'] === 'string' ? i['assignee'] : 'unassigned'}  ${String(i['title'])}`;
  clientOptions(
    incident
      .command('show')
      .description('one incident with its story, case and notes')
      .argument('<id>', 'incident id'),
  )
    .requiredOption('--tenant <id>', 'the incident’s tenant')
    .addOption(
      new Option('--lang <lang>', 'narrative language: en or zh-TW')
        .default('en')
        .argParser(oneOf('--lang', ['en', 'zh-TW'] as const)),
    )
    .action(async (id: string, flags: ClientFlags & { tenant: string; lang: 'en' | 'zh-TW' }) => {
      result.code = await withClient(flags, async (c) => {
        const i = (await c.authed('GET', incidentPath(flags.tenant, id))) as Record<
          string,
          unknown
        >;
        const notes =
          (i['notes'] as { author: string; ts: string; text: string }[] | undefined) ?? [];
        const steps = (i['next_steps'] as Record<string, string[]> | undefined)?.[flags.lang] ?? [];
        print(
          flags.json,
          i,
          [
            incidentLine(i),
            '',
            (i['narrative'] as Record<string, string>)[flags.lang] ?? '',
            '',
            ...steps.map((s) => `- ${s}`),
            ...(notes.length > 0
              ? ['', 'notes:', ...notes.map((n) => `  ${n.ts} ${n.author}: ${n.text}`)]
              : []),
          ].join('\n'),
        );
      });
    });
  clientOptions(
    incident
      .command('update')
      .description('change status, determination, assignee or tags (each change is audited)')
      .argument('<id>', 'incident id'),
  )
    .requiredOption('--tenant <id>', 'the incident’s tenant')
    .option(
      '--status <status>',
      'new, triage, investigating, contained, resolved, false_positive, benign',
    )
    .option('--determination <d>', "incident, noteworthy, not_noteworthy ('' clears)")
    .option('--assignee <name>', "a user who may see the tenant ('' unassigns)")
    .option('--tags <list>', 'comma-separated tags (replaces them)')
    .action(
      async (
        id: string,
        flags: ClientFlags & {
          tenant: string;
          status?: string;
          determination?: string;
          assignee?: string;
          tags?: string;
        },
      ) => {
        const body: Record<string, unknown> = {};
        if (flags.status !== undefined) body['status'] = flags.status;
        if (flags.determination !== undefined)
          body['determination'] = flags.determination === '' ? null : flags.determination;
        if (flags.assignee !== undefined)
          body['assignee'] = flags.assignee === '' ? null : flags.assignee;
        if (flags.tags !== undefined)
          body['tags'] = flags.tags
            .split(',')
            .map((t) => t.trim())
            .filter((t) => t !== '');
        if (Object.keys(body).length === 0) {
          process.stderr.write(
            'vigil: incident update: give at least one of --status, --determination, --assignee, --tags\n',
          );
          result.code = 1;
          return;
        }
        result.code = await withClient(flags, async (c) => {
          const i = (await c.authed('PATCH', incidentPath(flags.tenant, id), body)) as Record<
            string,
            unknown
          >;
          print(flags.json, i, incidentLine(i));
        });
      },
    );
  clientOptions(
    incident
      .command('note')
      .description('add a note to an incident')
      .argument('<id>', 'incident id')
      .argument('<text>', 'the note'),
  )
    .requiredOption('--tenant <id>', 'the incident’s tenant')
    .action(async (id: string, text: string, flags: ClientFlags & { tenant: string }) => {
      result.code = await withClient(flags, async (c) => {
        const n = (await c.authed('POST', `${incidentPath(flags.tenant, id)}/notes`, {
          text,
        })) as Record<string, unknown>;
        print(flags.json, n, `note ${String(n['id'])} added to ${id}`);
      });
    });

  clientOptions(root.command('alerts').description("list a tenant's alerts, newest first"))
    .requiredOption('--tenant <id>', 'tenant')
    .addOption(
      new Option('--min-level <level>', 'only alerts at or above this level').argParser(
        oneOf('--min-level', LEVELS),
      ),
    )
    .option('--rule <id>', 'only alerts of this rule')
    .option('--host <name>', 'only alerts on this host')
    .option('--since <time>', 'only alerts at or after this time (ISO 8601)')
    .addOption(
      new Option('--limit <n>', 'at most this many (default 100)').argParser((v) => {
        const n = Number(v);
        if (!Number.isInteger(n) || n < 1)
          throw new InvalidArgumentError('must be a positive integer');
        return n;
      }),
    )
    .action(
      async (
        flags: ClientFlags & {
          tenant: string;
          minLevel?: Level;
          rule?: string;
          host?: string;
          since?: string;
          limit?: number;
        },
      ) => {
        result.code = await withClient(flags, async (c) => {
          const want = flags.limit ?? 100;
          const alerts: Record<string, unknown>[] = [];
          let cursor: string | undefined;
          do {
            const q = new URLSearchParams({
              tenant: flags.tenant,
              limit: String(Math.min(1000, want - alerts.length)),
            });
            if (flags.minLevel) q.set('level', flags.minLevel);
            if (flags.rule) q.set('rule', flags.rule);
            if (flags.host) q.set('host', flags.host);
            if (flags.since) q.set('from', flags.since);
            if (cursor) q.set('cursor', cursor);
            const page = (await c.authed('GET', `/api/v1/alerts?${q.toString()}`)) as {
              alerts: Record<string, unknown>[];
              next: string | null;
            };
            alerts.push(...page.alerts);
            cursor = page.next ?? undefined;
          } while (cursor && alerts.length < want);
          if (flags.json) {
            process.stdout.write(JSON.stringify(alerts) + '\n');
            return;
          }
          if (alerts.length === 0) {
            process.stdout.write(`no alerts for tenant ${flags.tenant}\n`);
            return;
          }
          for (const a of alerts) {
            const rule = a['rule'] as { title?: string };
            process.stdout.write(
              `${String(a['ts'])}  ${String(a['level']).padEnd(13)} ${(typeof a['host'] === 'string' ? a['host'] : '-').padEnd(20)} ${rule.title ?? ''}\n`,
            );
          }
        });
      },
    );
}
