/** `vigil serve`: wires the store, the detection engine, the pipeline, the API and the syslog listeners. */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildApi, hashPassword, newId, type RuleCatalog } from '../../api/index.ts';
import {
  Metrics,
  PROVIDER_TENANT,
  VigilError,
  type Issue,
  type NewEvent,
  type Store,
} from '../../core/index.ts';
import { startSyslog } from '../../ingest/index.ts';
import { openSqliteStore } from '../../store/index.ts';
import { ruleSetup } from '../files.ts';
import { describeUploads, logsourcesOf, validateRules, type RuleInfo } from './engine.ts';
import { Pipeline } from './pipeline.ts';
import type { ServerConfig } from './config.ts';

export { loadServerConfig, DEFAULTS as SERVER_DEFAULTS } from './config.ts';
export type { ServerConfig, SyslogListener } from './config.ts';

export interface RunningServer {
  /** `http://host:port` as bound (port 0 resolves to the real one). */
  readonly url: string;
  readonly port: number;
  readonly syslogPorts: readonly { protocol: string; port: number; tenant: string }[];
  readonly store: Store;
  readonly pipeline: Pipeline;
  readonly metrics: Metrics;
  /** The HTTP routes served (method and URL pattern), those hidden from OpenAPI included. */
  readonly routes: readonly { readonly method: string; readonly url: string }[];
  /** Runs the retention purge now (it also runs every `retention_interval_minutes`). */
  purgeNow(): Promise<void>;
  /** Re-reads the rule folders (also on SIGHUP). */
  reloadRules(): Promise<{ rules: number; issues: readonly Issue[] }>;
  close(): Promise<void>;
}

const VERSION = readVersion();

function readVersion(): string {
  try {
    const pkg = JSON.parse(
      readFileSync(new URL('../../../package.json', import.meta.url), 'utf8'),
    ) as { version?: string };
    return pkg.version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}

/** Creates the provider admin `admin` on first start. Without a configured password, prints a one-time one. */
async function bootstrapAdmin(
  store: Store,
  cfg: ServerConfig,
  log: (line: string) => void,
): Promise<void> {
  if ((await store.countUsers()) > 0) return;
  const given = cfg.adminPassword;
  const password = given ?? randomBytes(12).toString('base64url');
  const now = Date.now();
  const id = newId();
  await store.createUser({
    id,
    name: 'admin',
    role: 'provider_admin',
    tenant: PROVIDER_TENANT,
    tenants: [],
    passwordHash: await hashPassword(password),
    createdAt: now,
    disabled: false,
  });
  await store.appendAudit({
    tenant: PROVIDER_TENANT,
    ts: now,
    actor: 'system',
    action: 'user.create',
    target: id,
    detail: { name: 'admin', role: 'provider_admin', bootstrap: true },
  });
  if (given === undefined) {
    log(`created provider admin "admin" with one-time password: ${password}`);
    log('  (shown only now; set VIGIL_ADMIN_PASSWORD before the first start to choose it)');
  } else {
    log('created provider admin "admin" with the password from VIGIL_ADMIN_PASSWORD');
  }
}

export async function startServer(
  cfg: ServerConfig,
  log: (line: string) => void,
): Promise<RunningServer> {
  try {
    mkdirSync(cfg.data, { recursive: true });
  } catch (e) {
    throw new VigilError(
      'CONFIG',
      `cannot create the data directory ${cfg.data}: ${(e as Error).message}`,
    );
  }
  const store = openSqliteStore({ path: join(cfg.data, 'vigil.db'), synchronous: cfg.synchronous });
  const metrics = new Metrics();
  try {
    await bootstrapAdmin(store, cfg, log);
    // The main thread compiles no shared rules: the detection worker does. It keeps only what validating
    // and listing uploaded rules needs.
    const mapping = await ruleSetup([], false, 'server');
    const logsources = logsourcesOf(mapping.setup);
    const placeholders = mapping.setup.placeholders;
    const pipeline = await Pipeline.start(
      metrics,
      {
        dbPath: join(cfg.data, 'vigil.db'),
        synchronous: cfg.synchronous,
        ruleDirs: cfg.rules,
        builtin: cfg.builtinRules,
        batch: cfg.detectBatch,
        warmup: 20_000,
      },
      { maxBacklog: cfg.maxBacklog },
    );
    const ruleCount = (): number => pipeline.rules.filter((r) => r.kind !== 'filter').length;
    log(
      `rules: ${ruleCount()} loaded${pipeline.ruleIssues.length > 0 ? `, ${pipeline.ruleIssues.length} problem(s) (POST /api/v1/rules/reload lists them)` : ''}`,
    );

    const reloadRules = async (): Promise<{ rules: number; issues: readonly Issue[] }> => {
      const r = await pipeline.reload();
      return { rules: r.rules.length, issues: r.issues };
    };
    const uploads = new Map<string, RuleInfo[]>();
    const catalog: RuleCatalog = {
      list: async (tenant) => {
        let own = uploads.get(tenant);
        if (!own) {
          own = describeUploads(tenant, await store.listRules(tenant), logsources, placeholders);
          uploads.set(tenant, own);
        }
        return [...pipeline.rules, ...own];
      },
      validate: (file, text) => validateRules(file, text, logsources, placeholders),
      reload: reloadRules,
      source: async (tenant, id) => {
        const rule = (await catalog.list(tenant)).find((r) => r.id === id);
        if (!rule) return undefined;
        if (rule.origin === 'tenant')
          return (await store.listRules(tenant)).find((r) => r.id === id || r.yaml.includes(id))
            ?.yaml;
        if (rule.file === undefined) return undefined;
        try {
          return readFileSync(rule.file, 'utf8');
        } catch {
          return undefined;
        }
      },
      invalidate: (tenant) => {
        uploads.delete(tenant);
        pipeline.invalidate(tenant);
      },
    };
    const api = await buildApi({
      store,
      sink: pipeline,
      rules: catalog,
      incidents: { regroup: (tenant, reload) => pipeline.regroup(tenant, reload) },
      metrics,
      limits: {
        maxBodyBytes: cfg.maxBodyBytes,
        maxFieldBytes: cfg.maxFieldBytes,
        maxRuleBytes: cfg.maxRuleBytes,
        maxUploadBytes: cfg.maxUploadBytes,
        maxInflightBytes: cfg.maxInflightBytes,
      },
      version: VERSION,
      metricsPublic: cfg.metricsPublic,
      sessionTtlMs: cfg.sessionTtlHours * 3_600_000,
      now: Date.now,
    });
    await api.listen({ host: cfg.host, port: cfg.port });
    const address = api.server.address();
    const port = typeof address === 'object' && address ? address.port : cfg.port;

    const syslogErrors = metrics.counter(
      'vigil_errors_total',
      'Problems by pipeline stage and error code.',
    );
    const listeners: { close(): Promise<void> }[] = [];
    const syslogPorts: { protocol: string; port: number; tenant: string }[] = [];
    for (const l of cfg.syslog) {
      const tls =
        l.protocol === 'tls' && cfg.tlsCert && cfg.tlsKey
          ? { cert: readFileSync(cfg.tlsCert), key: readFileSync(cfg.tlsKey) }
          : undefined;
      const started = await startSyslog({
        host: cfg.host,
        tenant: l.tenant,
        ...(l.protocol === 'udp'
          ? { udpPort: l.port }
          : l.protocol === 'tcp'
            ? { tcpPort: l.port }
            : { tlsPort: l.port }),
        ...(tls ? { tls } : {}),
        onEvents: async (events: NewEvent[]) => {
          // Syslog has no acknowledgement: while the queue is full, hold the batch (TCP and TLS
          // connections are paused meanwhile) instead of dropping it.
          for (let waited = 0; ; waited += 100) {
            try {
              await pipeline.submit(events);
              return;
            } catch (e) {
              const code = e instanceof VigilError ? e.code : 'INTERNAL';
              if (code !== 'INGEST_BUSY' || waited >= 120_000) {
                syslogErrors({ stage: 'syslog', code }, events.length);
                return;
              }
              await new Promise((r) => setTimeout(r, 100));
            }
          }
        },
        onIssue: (issue: Issue) => {
          syslogErrors({ stage: 'syslog', code: issue.code });
        },
      });
      listeners.push(started);
      const p = started.ports.udp ?? started.ports.tcp ?? started.ports.tls ?? l.port;
      syslogPorts.push({ protocol: l.protocol, port: p, tenant: l.tenant });
      log(`syslog ${l.protocol} listening on ${cfg.host}:${p} for tenant ${l.tenant}`);
    }

    const purge = async (): Promise<void> => {
      const now = Date.now();
      for (const t of await store.listTenants()) {
        if (t.retentionDays <= 0) continue;
        const day = 86_400_000;
        const r = await store.purge(
          t.id,
          now - t.retentionDays * day,
          now - 2 * t.retentionDays * day,
        );
        if (r.events + r.alerts > 0) {
          await store.appendAudit({
            tenant: t.id,
            ts: now,
            actor: 'system',
            action: 'retention.purge',
            target: t.id,
            detail: { ...r },
          });
        }
      }
    };
    const purgeTimer = setInterval(() => {
      purge().catch((e: unknown) => {
        log(`retention purge failed: ${String(e)}`);
      });
    }, cfg.retentionIntervalMinutes * 60_000);
    purgeTimer.unref();

    let closed = false;
    return {
      url: `http://${cfg.host.includes(':') ? `[${cfg.host}]` : cfg.host}:${port}`,
      port,
      syslogPorts,
      store,
      pipeline,
      metrics,
      routes: api.vigilRoutes,
      reloadRules,
      purgeNow: purge,
      async close() {
        if (closed) return;
        closed = true;
        clearInterval(purgeTimer);
        for (const l of listeners) await l.close();
        await api.close();
        await pipeline.stop();
        await store.close();
      },
    };
  } catch (e) {
    await store.close();
    throw e;
  }
}
