/** Rules (list, enable per tenant, upload), exceptions, alerts, event search and the audit log. */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { load as loadYaml } from 'js-yaml';
import {
  ALERT_STATUSES,
  CONDITION_OPS,
  isProviderRole,
  LEVELS,
  VigilError,
  type Alert,
  type AlertStatus,
  type ExceptionCondition,
  type Issue,
  type Level,
  type RuleException,
  type StoredEvent,
  type User,
} from '../../core/index.ts';
import { MANAGERS, newId, visibleTenants } from '../auth.ts';
import type { ApiDeps } from '../deps.ts';
import { requireTenant, requireUser } from '../guard.ts';
import { audit, errorResponses, idParam, timeParam } from './common.ts';

/** An alert as the API shows it. Customer roles do not see where the rule file lives on the server. */
export function publicAlert(a: Alert, viewer: User): Record<string, unknown> {
  const { file, ...rule } = a.rule;
  return {
    id: a.id,
    tenant: a.tenant,
    rule: isProviderRole(viewer.role) && file !== undefined ? { ...rule, file } : rule,
    kind: a.kind,
    level: a.level,
    ts: new Date(a.ts).toISOString(),
    created_at: new Date(a.createdAt).toISOString(),
    host: a.host ?? null,
    user: a.user ?? null,
    status: a.status,
    event_ids: a.eventIds,
    matched: a.matched,
    ...(a.group === undefined ? {} : { group: a.group }),
    entities: a.entities,
  };
}

export function publicEvent(e: StoredEvent): Record<string, unknown> {
  return {
    id: e.id,
    tenant: e.tenant,
    ts: Number.isNaN(e.ts) ? null : new Date(e.ts).toISOString(),
    received_at: new Date(e.receivedAt).toISOString(),
    source: e.source,
    format: e.format,
    receiver: e.receiver,
    host: e.host ?? null,
    user: e.user ?? null,
    fields: e.fields,
    entities: e.entities,
  };
}

function publicException(x: RuleException): Record<string, unknown> {
  return {
    id: x.id,
    tenant: x.tenant,
    rule_id: x.ruleId ?? null,
    conditions: x.conditions,
    reason: x.reason,
    author: x.author,
    created_at: new Date(x.createdAt).toISOString(),
    expires_at: x.expiresAt === undefined ? null : new Date(x.expiresAt).toISOString(),
    hits: x.hits,
    last_hit_at: x.lastHitAt === undefined ? null : new Date(x.lastHitAt).toISOString(),
  };
}

function publicIssue(i: Issue): Record<string, unknown> {
  return {
    code: i.code,
    severity: i.severity,
    message: i.message,
    ...(i.at?.line === undefined ? {} : { line: i.at.line }),
    ...(i.at?.col === undefined ? {} : { col: i.at.col }),
    ...(i.at?.path === undefined ? {} : { path: i.at.path }),
  };
}

/** The tenants a list request covers: the named one, or every tenant the user may see. */
async function tenantsFor(
  deps: ApiDeps,
  user: User,
  tenant: string | undefined,
): Promise<string[]> {
  if (tenant !== undefined) return [requireTenant(user, tenant)];
  const seen = visibleTenants(user);
  if (seen !== undefined) return [...seen];
  return (await deps.store.listTenants()).map((t) => t.id);
}

const alertQuery = {
  type: 'object',
  properties: {
    tenant: { type: 'string' },
    from: { type: 'string', description: 'ISO 8601 or epoch ms, inclusive' },
    to: { type: 'string', description: 'ISO 8601 or epoch ms, exclusive' },
    level: { type: 'string', enum: [...LEVELS], description: 'minimum level' },
    rule: { type: 'string' },
    host: { type: 'string' },
    status: { type: 'string', enum: [...ALERT_STATUSES] },
    limit: { type: 'integer', minimum: 1, maximum: 1000 },
    cursor: { type: 'string', maxLength: 500 },
  },
} as const;

const eventQuery = {
  type: 'object',
  properties: {
    tenant: {
      type: 'string',
      description: 'required for provider users; customers default to their own',
    },
    from: { type: 'string' },
    to: { type: 'string' },
    host: { type: 'string' },
    user: { type: 'string' },
    q: {
      type: 'string',
      maxLength: 1000,
      description: 'case-insensitive text anywhere in the event',
    },
    field: {
      anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' }, maxItems: 50 }],
      description: 'field filter `name:value` (equality, case-insensitive); repeat for AND',
    },
    limit: { type: 'integer', minimum: 1, maximum: 1000 },
    cursor: { type: 'string', maxLength: 500 },
  },
} as const;

const tenantRule = {
  type: 'object',
  required: ['id', 'rule'],
  properties: { id: { type: 'string' }, rule: { type: 'string', maxLength: 200 } },
} as const;

export function detectionRoutes(deps: ApiDeps) {
  const { store } = deps;
  /** Adds `key` to (or removes it from) a tenant's disabled list, tells detection, and audits it. */
  const toggle = async (
    current: readonly string[],
    key: string,
    enabled: boolean,
    what: { tenant: string; user: string; action: 'rule' | 'ruleset'; target: string },
  ): Promise<void> => {
    const disabled = new Set(current);
    if (enabled) disabled.delete(key);
    else disabled.add(key);
    await store.updateTenant(what.tenant, { disabledRules: [...disabled].sort() });
    deps.rules.invalidate(what.tenant);
    const action = `${what.action}.${enabled ? 'enable' : 'disable'}`;
    await audit(store, what.tenant, `user:${what.user}`, action, what.target, {}, deps.now());
  };
  return (app: FastifyInstance, _opts: unknown, done: (err?: Error) => void): void => {
    app.addContentTypeParser(
      ['application/yaml', 'application/x-yaml', 'text/yaml', 'text/x-yaml', 'text/plain'],
      { parseAs: 'string', bodyLimit: deps.limits.maxRuleBytes },
      (
        _req: FastifyRequest,
        body: string | Buffer,
        done: (err: Error | null, body?: unknown) => void,
      ) => {
        done(null, typeof body === 'string' ? body : body.toString('utf8'));
      },
    );

    app.get(
      '/api/v1/rules',
      {
        schema: {
          tags: ['rules'],
          summary:
            "Every rule that runs for a tenant (shared and uploaded) with the tenant's enabled state.",
          querystring: { type: 'object', properties: { tenant: { type: 'string' } } },
          response: errorResponses,
        },
      },
      async (req: FastifyRequest<{ Querystring: { tenant?: string } }>) => {
        const user = requireUser(req);
        const tenant = requireTenant(user, req.query.tenant);
        const t = await store.getTenant(tenant);
        if (!t) throw new VigilError('NOT_FOUND', `no tenant ${tenant}`);
        const disabled = new Set(t.disabledRules);
        const rules = await deps.rules.list(tenant);
        const provider = isProviderRole(user.role);
        return {
          tenant,
          rules: rules.map(({ file, ...r }) => ({
            ...r,
            ...(provider && file !== undefined ? { file } : {}),
            enabled: !disabled.has(r.id) && !disabled.has(`ruleset:${r.ruleset}`),
          })),
        };
      },
    );

    app.get(
      '/api/v1/rules/:rule',
      {
        schema: {
          tags: ['rules'],
          summary:
            'A rule that runs for the tenant, with the Sigma YAML it came from (its whole file).',
          params: {
            type: 'object',
            required: ['rule'],
            properties: { rule: { type: 'string', maxLength: 200 } },
          },
          querystring: { type: 'object', properties: { tenant: { type: 'string' } } },
          response: errorResponses,
        },
      },
      async (
        req: FastifyRequest<{ Params: { rule: string }; Querystring: { tenant?: string } }>,
      ) => {
        const user = requireUser(req);
        const tenant = requireTenant(user, req.query.tenant);
        const rule = (await deps.rules.list(tenant)).find((r) => r.id === req.params.rule);
        const yaml = rule ? await deps.rules.source(tenant, rule.id) : undefined;
        if (!rule || yaml === undefined)
          throw new VigilError('NOT_FOUND', `no rule ${req.params.rule} for tenant ${tenant}`);
        const { file, ...ref } = rule;
        return {
          tenant,
          ...ref,
          ...(isProviderRole(user.role) && file !== undefined ? { file } : {}),
          yaml,
        };
      },
    );

    app.get(
      '/api/v1/rulesets',
      {
        schema: {
          tags: ['rules'],
          summary:
            "The rule sets (rule folders, and the tenant's uploads) with their size and the tenant's enabled state.",
          querystring: { type: 'object', properties: { tenant: { type: 'string' } } },
          response: errorResponses,
        },
      },
      async (req: FastifyRequest<{ Querystring: { tenant?: string } }>) => {
        const user = requireUser(req);
        const tenant = requireTenant(user, req.query.tenant);
        const t = await store.getTenant(tenant);
        if (!t) throw new VigilError('NOT_FOUND', `no tenant ${tenant}`);
        const counts = new Map<string, number>();
        for (const r of await deps.rules.list(tenant))
          counts.set(r.ruleset, (counts.get(r.ruleset) ?? 0) + 1);
        const disabled = new Set(t.disabledRules);
        return {
          tenant,
          rulesets: [...counts].map(([name, rules]) => ({
            name,
            rules,
            enabled: !disabled.has(`ruleset:${name}`),
          })),
        };
      },
    );

    app.put(
      '/api/v1/tenants/:id/rulesets/:name',
      {
        schema: {
          tags: ['rules'],
          summary: 'Enable or disable a whole rule set for a tenant.',
          params: {
            type: 'object',
            required: ['id', 'name'],
            properties: { id: { type: 'string' }, name: { type: 'string', maxLength: 200 } },
          },
          body: {
            type: 'object',
            required: ['enabled'],
            properties: { enabled: { type: 'boolean' } },
          },
          response: errorResponses,
        },
      },
      async (
        req: FastifyRequest<{ Params: { id: string; name: string }; Body: { enabled: boolean } }>,
      ) => {
        const user = requireUser(req, MANAGERS);
        const tenant = requireTenant(user, req.params.id);
        const t = await store.getTenant(tenant);
        if (!t) throw new VigilError('NOT_FOUND', `no tenant ${tenant}`);
        const known = (await deps.rules.list(tenant)).some((r) => r.ruleset === req.params.name);
        if (!known) throw new VigilError('NOT_FOUND', `no rule set ${req.params.name}`);
        await toggle(t.disabledRules, `ruleset:${req.params.name}`, req.body.enabled, {
          tenant,
          user: user.name,
          action: 'ruleset',
          target: req.params.name,
        });
        return { name: req.params.name, tenant, enabled: req.body.enabled };
      },
    );

    app.put(
      '/api/v1/tenants/:id/rules/:rule',
      {
        schema: {
          tags: ['rules'],
          summary: 'Enable or disable a rule for a tenant.',
          params: tenantRule,
          body: {
            type: 'object',
            required: ['enabled'],
            properties: { enabled: { type: 'boolean' } },
          },
          response: errorResponses,
        },
      },
      async (
        req: FastifyRequest<{ Params: { id: string; rule: string }; Body: { enabled: boolean } }>,
      ) => {
        const user = requireUser(req, MANAGERS);
        const tenant = requireTenant(user, req.params.id);
        const t = await store.getTenant(tenant);
        if (!t) throw new VigilError('NOT_FOUND', `no tenant ${tenant}`);
        const known = (await deps.rules.list(tenant)).some((r) => r.id === req.params.rule);
        if (!known) throw new VigilError('NOT_FOUND', `no rule ${req.params.rule}`);
        await toggle(t.disabledRules, req.params.rule, req.body.enabled, {
          tenant,
          user: user.name,
          action: 'rule',
          target: req.params.rule,
        });
        return { id: req.params.rule, tenant, enabled: req.body.enabled };
      },
    );

    app.post(
      '/api/v1/tenants/:id/rules',
      {
        schema: {
          tags: ['rules'],
          summary:
            'Upload a Sigma rule (YAML body, or JSON {"yaml": "..."}) for a tenant. Every problem comes back with its line and column; with ?dry_run=true nothing is kept.',
          params: idParam,
          querystring: { type: 'object', properties: { dry_run: { type: 'boolean' } } },
          response: errorResponses,
        },
      },
      async (
        req: FastifyRequest<{
          Params: { id: string };
          Querystring: { dry_run?: boolean };
          Body: unknown;
        }>,
        reply: FastifyReply,
      ) => {
        const user = requireUser(req, MANAGERS);
        const tenant = requireTenant(user, req.params.id);
        if (!(await store.getTenant(tenant)))
          throw new VigilError('NOT_FOUND', `no tenant ${tenant}`);
        const body = req.body;
        const text =
          typeof body === 'string'
            ? body
            : body &&
                typeof body === 'object' &&
                typeof (body as { yaml?: unknown }).yaml === 'string'
              ? (body as { yaml: string }).yaml
              : undefined;
        if (text === undefined) {
          throw new VigilError(
            'BAD_REQUEST',
            'send the rule as a YAML body (Content-Type: application/yaml) or as JSON {"yaml": "..."}',
          );
        }
        const file = 'upload.yml';
        const checked = deps.rules.validate(file, text);
        const errors = checked.issues.filter((i) => i.severity === 'error');
        if (errors.length > 0 || checked.rules.length === 0) {
          return reply.status(422).send({
            error: {
              code: errors[0]?.code ?? 'SIGMA_SCHEMA',
              message:
                errors.length > 0
                  ? `the rule has ${errors.length} problem(s)`
                  : 'the upload holds no rule',
              issues: checked.issues.map(publicIssue),
            },
          });
        }
        if (req.query.dry_run !== true) {
          // Store each document separately, keyed by its rule id, so a later upload of the same id replaces it.
          const docs = splitDocuments(text);
          const ids = checked.rules.map((r) => r.id);
          for (const [i, id] of ids.entries()) {
            await store.saveRule({
              id,
              tenant,
              yaml: docs.length === ids.length ? (docs[i] ?? text) : text,
              author: user.name,
              createdAt: deps.now(),
            });
            if (docs.length !== ids.length) break;
          }
          deps.rules.invalidate(tenant);
          await audit(
            store,
            tenant,
            `user:${user.name}`,
            'rule.upload',
            ids.join(','),
            { titles: checked.rules.map((r) => r.title) },
            deps.now(),
          );
        }
        return reply.status(req.query.dry_run === true ? 200 : 201).send({
          tenant,
          stored: req.query.dry_run !== true,
          rules: checked.rules.map((r) => ({ id: r.id, title: r.title, level: r.level })),
          issues: checked.issues.map(publicIssue),
        });
      },
    );

    app.delete(
      '/api/v1/tenants/:id/rules/:rule',
      {
        schema: {
          tags: ['rules'],
          summary: "Delete one of a tenant's uploaded rules.",
          params: tenantRule,
          response: errorResponses,
        },
      },
      async (req: FastifyRequest<{ Params: { id: string; rule: string } }>) => {
        const user = requireUser(req, MANAGERS);
        const tenant = requireTenant(user, req.params.id);
        if (!(await store.deleteRule(tenant, req.params.rule)))
          throw new VigilError('NOT_FOUND', `no uploaded rule ${req.params.rule}`);
        deps.rules.invalidate(tenant);
        await audit(
          store,
          tenant,
          `user:${user.name}`,
          'rule.delete',
          req.params.rule,
          {},
          deps.now(),
        );
        return { ok: true };
      },
    );

    app.post(
      '/api/v1/rules/reload',
      {
        schema: {
          tags: ['rules'],
          summary: 'Re-read the rule folders without a restart (provider admin).',
          response: errorResponses,
        },
      },
      async (req: FastifyRequest) => {
        const user = requireUser(req, ['provider_admin']);
        const r = await deps.rules.reload();
        await audit(
          store,
          '_provider',
          `user:${user.name}`,
          'rules.reload',
          '',
          { rules: r.rules, problems: r.issues.length },
          deps.now(),
        );
        return {
          rules: r.rules,
          issues: r.issues.map((i) => ({ ...publicIssue(i), file: i.at?.file ?? null })),
        };
      },
    );

    // exceptions
    app.get(
      '/api/v1/tenants/:id/exceptions',
      {
        schema: {
          tags: ['exceptions'],
          summary: "A tenant's exceptions with their hit counts.",
          params: idParam,
          response: errorResponses,
        },
      },
      async (req: FastifyRequest<{ Params: { id: string } }>) => {
        const user = requireUser(req);
        const tenant = requireTenant(user, req.params.id);
        return { exceptions: (await store.listExceptions(tenant)).map(publicException) };
      },
    );

    app.post(
      '/api/v1/tenants/:id/exceptions',
      {
        schema: {
          tags: ['exceptions'],
          summary:
            'Create an exception: hits of the rule (or any rule) whose event meets every condition are suppressed and counted.',
          params: idParam,
          body: {
            type: 'object',
            required: ['reason'],
            properties: {
              rule_id: { type: 'string', maxLength: 200 },
              reason: { type: 'string', minLength: 1, maxLength: 2000 },
              expires_at: { type: 'string' },
              conditions: {
                type: 'array',
                maxItems: 50,
                items: {
                  type: 'object',
                  required: ['field', 'value'],
                  properties: {
                    field: { type: 'string', minLength: 1, maxLength: 200 },
                    op: { type: 'string', enum: [...CONDITION_OPS] },
                    value: { type: 'string', maxLength: 4000 },
                  },
                },
              },
            },
          },
          response: errorResponses,
        },
      },
      async (
        req: FastifyRequest<{
          Params: { id: string };
          Body: {
            rule_id?: string;
            reason: string;
            expires_at?: string;
            conditions?: Partial<ExceptionCondition>[];
          };
        }>,
        reply: FastifyReply,
      ) => {
        const user = requireUser(req, MANAGERS);
        const tenant = requireTenant(user, req.params.id);
        if (!(await store.getTenant(tenant)))
          throw new VigilError('NOT_FOUND', `no tenant ${tenant}`);
        const conditions = (req.body.conditions ?? []).map((c) => ({
          field: c.field ?? '',
          op: c.op ?? 'equals',
          value: c.value ?? '',
        }));
        if (req.body.rule_id === undefined && conditions.length === 0) {
          throw new VigilError(
            'BAD_REQUEST',
            'an exception needs a rule_id or at least one condition (it would suppress everything)',
          );
        }
        const expiresAt = timeParam(req.body.expires_at, 'expires_at');
        const ex: RuleException = {
          id: newId(),
          tenant,
          ...(req.body.rule_id === undefined ? {} : { ruleId: req.body.rule_id }),
          conditions,
          reason: req.body.reason,
          author: user.name,
          createdAt: deps.now(),
          ...(expiresAt === undefined ? {} : { expiresAt }),
          hits: 0,
        };
        await store.createException(ex);
        deps.rules.invalidate(tenant);
        await audit(
          store,
          tenant,
          `user:${user.name}`,
          'exception.create',
          ex.id,
          { rule_id: ex.ruleId ?? null, conditions, reason: ex.reason },
          deps.now(),
        );
        return reply.status(201).send(publicException(ex));
      },
    );

    app.delete(
      '/api/v1/tenants/:id/exceptions/:ex',
      {
        schema: {
          tags: ['exceptions'],
          summary: 'Delete an exception.',
          params: {
            type: 'object',
            required: ['id', 'ex'],
            properties: { id: { type: 'string' }, ex: { type: 'string' } },
          },
          response: errorResponses,
        },
      },
      async (req: FastifyRequest<{ Params: { id: string; ex: string } }>) => {
        const user = requireUser(req, MANAGERS);
        const tenant = requireTenant(user, req.params.id);
        if (!(await store.deleteException(tenant, req.params.ex)))
          throw new VigilError('NOT_FOUND', `no exception ${req.params.ex}`);
        deps.rules.invalidate(tenant);
        await audit(
          store,
          tenant,
          `user:${user.name}`,
          'exception.delete',
          req.params.ex,
          {},
          deps.now(),
        );
        return { ok: true };
      },
    );

    // alerts
    app.get(
      '/api/v1/alerts',
      {
        schema: {
          tags: ['alerts'],
          summary: 'Alerts, newest first, with cursor pagination.',
          querystring: alertQuery,
          response: errorResponses,
        },
      },
      async (
        req: FastifyRequest<{
          Querystring: {
            tenant?: string;
            from?: string;
            to?: string;
            level?: Level;
            rule?: string;
            host?: string;
            status?: AlertStatus;
            limit?: number;
            cursor?: string;
          };
        }>,
      ) => {
        const user = requireUser(req);
        const q = req.query;
        const tenants = await tenantsFor(deps, user, q.tenant);
        if (tenants.length === 0) return { alerts: [], next: null };
        const from = timeParam(q.from, 'from');
        const to = timeParam(q.to, 'to');
        const page = await store.listAlerts({
          tenants,
          ...(from === undefined ? {} : { from }),
          ...(to === undefined ? {} : { to }),
          ...(q.level === undefined ? {} : { level: q.level }),
          ...(q.rule === undefined ? {} : { ruleId: q.rule }),
          ...(q.host === undefined ? {} : { host: q.host }),
          ...(q.status === undefined ? {} : { status: q.status }),
          ...(q.limit === undefined ? {} : { limit: q.limit }),
          ...(q.cursor === undefined ? {} : { cursor: q.cursor }),
        });
        return { alerts: page.items.map((a) => publicAlert(a, user)), next: page.next ?? null };
      },
    );

    app.get(
      '/api/v1/tenants/:id/alerts/:alert',
      {
        schema: {
          tags: ['alerts'],
          summary: 'One alert with the events that made it.',
          params: {
            type: 'object',
            required: ['id', 'alert'],
            properties: { id: { type: 'string' }, alert: { type: 'string' } },
          },
          response: errorResponses,
        },
      },
      async (req: FastifyRequest<{ Params: { id: string; alert: string } }>) => {
        const user = requireUser(req);
        const tenant = requireTenant(user, req.params.id);
        const a = await store.getAlert(tenant, req.params.alert);
        if (!a) throw new VigilError('NOT_FOUND', `no alert ${req.params.alert}`);
        const events = await store.getEvents(tenant, a.eventIds);
        return { ...publicAlert(a, user), events: events.map(publicEvent) };
      },
    );

    app.patch(
      '/api/v1/tenants/:id/alerts/:alert',
      {
        schema: {
          tags: ['alerts'],
          summary: "Change an alert's status.",
          params: {
            type: 'object',
            required: ['id', 'alert'],
            properties: { id: { type: 'string' }, alert: { type: 'string' } },
          },
          body: {
            type: 'object',
            required: ['status'],
            properties: { status: { type: 'string', enum: [...ALERT_STATUSES] } },
          },
          response: errorResponses,
        },
      },
      async (
        req: FastifyRequest<{
          Params: { id: string; alert: string };
          Body: { status: AlertStatus };
        }>,
      ) => {
        const user = requireUser(req, MANAGERS);
        const tenant = requireTenant(user, req.params.id);
        const a = await store.setAlertStatus(tenant, req.params.alert, req.body.status);
        if (!a) throw new VigilError('NOT_FOUND', `no alert ${req.params.alert}`);
        await audit(
          store,
          tenant,
          `user:${user.name}`,
          'alert.status',
          a.id,
          { status: req.body.status },
          deps.now(),
        );
        return publicAlert(a, user);
      },
    );

    // events
    app.get(
      '/api/v1/events',
      {
        schema: {
          tags: ['events'],
          summary: "Search a tenant's events, newest first.",
          querystring: eventQuery,
          response: errorResponses,
        },
      },
      async (
        req: FastifyRequest<{
          Querystring: {
            tenant?: string;
            from?: string;
            to?: string;
            host?: string;
            user?: string;
            q?: string;
            field?: string | string[];
            limit?: number;
            cursor?: string;
          };
        }>,
      ) => {
        const user = requireUser(req);
        const q = req.query;
        const tenant = requireTenant(user, q.tenant);
        const fields = q.field === undefined ? [] : Array.isArray(q.field) ? q.field : [q.field];
        const filters = fields.map((f) => {
          const i = f.indexOf(':');
          if (i <= 0)
            throw new VigilError('BAD_REQUEST', `field filter must be name:value, got "${f}"`);
          return { field: f.slice(0, i), value: f.slice(i + 1) };
        });
        const from = timeParam(q.from, 'from');
        const to = timeParam(q.to, 'to');
        const page = await store.searchEvents({
          tenant,
          ...(from === undefined ? {} : { from }),
          ...(to === undefined ? {} : { to }),
          ...(q.host === undefined ? {} : { host: q.host }),
          ...(q.user === undefined ? {} : { user: q.user }),
          ...(q.q === undefined ? {} : { text: q.q }),
          filters,
          ...(q.limit === undefined ? {} : { limit: q.limit }),
          ...(q.cursor === undefined ? {} : { cursor: q.cursor }),
        });
        return { events: page.items.map(publicEvent), next: page.next ?? null };
      },
    );

    // audit
    app.get(
      '/api/v1/audit',
      {
        schema: {
          tags: ['audit'],
          summary:
            'The audit log, newest first (provider admin: any tenant; customer admin: their own).',
          querystring: {
            type: 'object',
            properties: {
              tenant: { type: 'string' },
              limit: { type: 'integer', minimum: 1, maximum: 1000 },
            },
          },
          response: errorResponses,
        },
      },
      async (req: FastifyRequest<{ Querystring: { tenant?: string; limit?: number } }>) => {
        const user = requireUser(req, ['provider_admin', 'customer_admin']);
        const tenants =
          req.query.tenant === undefined && user.role === 'provider_admin'
            ? ['_provider', ...(await store.listTenants()).map((t) => t.id)]
            : [requireTenant(user, req.query.tenant)];
        const rows = await store.listAudit(tenants, req.query.limit ?? 100);
        const broken = user.role === 'provider_admin' ? await store.verifyAudit() : undefined;
        return {
          ...(user.role === 'provider_admin'
            ? {
                chain_intact: broken === undefined,
                ...(broken === undefined ? {} : { broken_at: broken }),
              }
            : {}),
          entries: rows.map((r) => ({
            seq: r.seq,
            tenant: r.tenant,
            ts: new Date(r.ts).toISOString(),
            actor: r.actor,
            action: r.action,
            target: r.target,
            detail: r.detail,
            hash: r.hash,
          })),
        };
      },
    );
    done();
  };
}

/** Splits a multi-document YAML text at `---` lines; one element when there is a single document. */
function splitDocuments(text: string): string[] {
  const docs = text.split(/^---\s*$/m).filter((d) => d.trim() !== '');
  // A document that js-yaml cannot read keeps the upload whole (validation has reported it already).
  try {
    for (const d of docs) loadYaml(d);
  } catch {
    return [text];
  }
  return docs;
}
