/** Sessions, tenants, users, API tokens and ingest keys. */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import {
  isProviderRole,
  PROVIDER_TENANT,
  ROLES,
  VigilError,
  type IngestKey,
  type Role,
  type Tenant,
  type User,
} from '../../core/index.ts';
import {
  hashPassword,
  hashSecret,
  LoginThrottle,
  newId,
  newSecret,
  SESSION_COOKIE,
  verifyPassword,
  visibleTenants,
} from '../auth.ts';
import type { ApiDeps } from '../deps.ts';
import { throttled } from '../http-errors.ts';
import { requireTenant, requireUser } from '../guard.ts';
import { audit, errorResponses, idParam, ID_PATTERN } from './common.ts';

/** A user as the API shows it: never the password hash; provider-side fields only to provider users. */
export function publicUser(u: User, viewer: User): Record<string, unknown> {
  return {
    id: u.id,
    name: u.name,
    role: u.role,
    tenant: u.tenant,
    ...(isProviderRole(viewer.role) ? { tenants: u.tenants } : {}),
    created_at: new Date(u.createdAt).toISOString(),
    disabled: u.disabled,
  };
}

function publicTenant(t: Tenant): Record<string, unknown> {
  return {
    id: t.id,
    name: t.name,
    created_at: new Date(t.createdAt).toISOString(),
    retention_days: t.retentionDays,
    disabled_rules: t.disabledRules,
  };
}

function publicKey(k: IngestKey): Record<string, unknown> {
  return {
    id: k.id,
    tenant: k.tenant,
    name: k.name,
    prefix: k.prefix,
    created_at: new Date(k.createdAt).toISOString(),
    ...(k.revokedAt === undefined ? {} : { revoked_at: new Date(k.revokedAt).toISOString() }),
  };
}

/** Tenant ids are chosen by the provider: short, URL-safe, lower case. */
function tenantIdFrom(name: string): string {
  const slug = name
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 40);
  return slug || 't';
}

export function adminRoutes(deps: ApiDeps) {
  const { store } = deps;
  // Five failures lock a user name; an address (possibly a whole office behind NAT) gets thirty.
  const byName = new LoginThrottle(5);
  const byAddr = new LoginThrottle(30);
  /** The tenants a user may see, in the store's order. */
  const tenantsSeenBy = async (user: User): Promise<Tenant[]> => {
    const seen = visibleTenants(user);
    return (await store.listTenants()).filter((t) => seen === undefined || seen.includes(t.id));
  };
  return (app: FastifyInstance, _opts: unknown, done: (err?: Error) => void): void => {
    app.post(
      '/api/v1/login',
      {
        schema: {
          tags: ['session'],
          summary:
            'Log in with a user name and password; returns a session token and sets a cookie.',
          security: [],
          body: {
            type: 'object',
            required: ['name', 'password'],
            properties: {
              name: { type: 'string', maxLength: 200 },
              password: { type: 'string', maxLength: 1000 },
            },
          },
          response: errorResponses,
        },
      },
      async (
        req: FastifyRequest<{ Body: { name: string; password: string } }>,
        reply: FastifyReply,
      ) => {
        const now = deps.now();
        const name = [req.body.name.toLowerCase()];
        const addr = [req.ip];
        const wait = Math.max(byName.retryAfter(name, now), byAddr.retryAfter(addr, now));
        if (wait > 0) {
          throw throttled(`too many failed logins; try again in ${wait} s`, wait);
        }
        const user = await store.getUserByName(req.body.name);
        const good =
          user !== undefined &&
          !user.disabled &&
          (await verifyPassword(user.passwordHash, req.body.password));
        if (!user || !good) {
          byName.fail(name, now);
          byAddr.fail(addr, now);
          await audit(
            store,
            user?.tenant ?? PROVIDER_TENANT,
            `user:${req.body.name}`,
            'login.fail',
            user?.id ?? '',
            { ip: req.ip },
            now,
          );
          throw new VigilError('AUTH_FAILED', 'wrong user name or password');
        }
        byName.succeed(name);
        const secret = newSecret('vgs');
        const expiresAt = now + deps.sessionTtlMs;
        await store.createCredential({
          id: newId(),
          kind: 'session',
          userId: user.id,
          tenant: user.tenant,
          name: '',
          hash: hashSecret(secret),
          createdAt: now,
          expiresAt,
        });
        await audit(store, user.tenant, `user:${user.name}`, 'login', user.id, { ip: req.ip }, now);
        void reply.header(
          'set-cookie',
          `${SESSION_COOKIE}=${secret}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${Math.floor(deps.sessionTtlMs / 1000)}`,
        );
        return {
          token: secret,
          expires_at: new Date(expiresAt).toISOString(),
          user: publicUser(user, user),
        };
      },
    );

    app.post(
      '/api/v1/logout',
      {
        schema: {
          tags: ['session'],
          summary: 'End the current session.',
          response: errorResponses,
        },
      },
      async (req: FastifyRequest, reply: FastifyReply) => {
        requireUser(req);
        const p = req.principal;
        if (p?.kind === 'user' && p.via === 'session')
          await store.revokeCredential(p.credentialId, deps.now());
        void reply.header(
          'set-cookie',
          `${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0`,
        );
        return { ok: true };
      },
    );

    app.get(
      '/api/v1/me',
      {
        schema: {
          tags: ['session'],
          summary: 'The calling user and the tenants they may see.',
          response: errorResponses,
        },
      },
      async (req: FastifyRequest) => {
        const user = requireUser(req);
        const tenants = await tenantsSeenBy(user);
        return {
          user: publicUser(user, user),
          tenants: tenants.map((t) => ({ id: t.id, name: t.name })),
        };
      },
    );

    // tenants
    app.get(
      '/api/v1/tenants',
      {
        schema: {
          tags: ['tenants'],
          summary: 'Tenants the caller may see.',
          response: errorResponses,
        },
      },
      async (req: FastifyRequest) => {
        const user = requireUser(req);
        const tenants = await tenantsSeenBy(user);
        return { tenants: tenants.map(publicTenant) };
      },
    );

    app.post(
      '/api/v1/tenants',
      {
        schema: {
          tags: ['tenants'],
          summary: 'Create a tenant (provider admin).',
          body: {
            type: 'object',
            required: ['name'],
            properties: {
              name: { type: 'string', minLength: 1, maxLength: 200 },
              id: { type: 'string', pattern: ID_PATTERN },
              retention_days: { type: 'integer', minimum: 0, maximum: 36500 },
            },
          },
          response: errorResponses,
        },
      },
      async (
        req: FastifyRequest<{ Body: { name: string; id?: string; retention_days?: number } }>,
        reply: FastifyReply,
      ) => {
        const user = requireUser(req, ['provider_admin']);
        let id = req.body.id ?? tenantIdFrom(req.body.name);
        if (id === PROVIDER_TENANT)
          throw new VigilError('BAD_REQUEST', `tenant id ${id} is reserved`);
        if (req.body.id === undefined) {
          const base = id;
          for (let i = 2; await store.getTenant(id); i++) id = `${base}-${i}`;
        } else if (await store.getTenant(id)) {
          throw new VigilError('CONFLICT', `tenant ${id} already exists`);
        }
        const tenant: Tenant = {
          id,
          name: req.body.name,
          createdAt: deps.now(),
          retentionDays: req.body.retention_days ?? 90,
          disabledRules: [],
        };
        await store.createTenant(tenant);
        await audit(
          store,
          id,
          `user:${user.name}`,
          'tenant.create',
          id,
          { name: tenant.name },
          deps.now(),
        );
        return reply.status(201).send(publicTenant(tenant));
      },
    );

    app.get(
      '/api/v1/tenants/:id',
      {
        schema: {
          tags: ['tenants'],
          summary: 'One tenant.',
          params: idParam,
          response: errorResponses,
        },
      },
      async (req: FastifyRequest<{ Params: { id: string } }>) => {
        const user = requireUser(req);
        const id = requireTenant(user, req.params.id);
        const t = await store.getTenant(id);
        if (!t) throw new VigilError('NOT_FOUND', `no tenant ${id}`);
        return publicTenant(t);
      },
    );

    app.patch(
      '/api/v1/tenants/:id',
      {
        schema: {
          tags: ['tenants'],
          summary: 'Rename a tenant or change its retention (provider admin).',
          params: idParam,
          body: {
            type: 'object',
            properties: {
              name: { type: 'string', minLength: 1, maxLength: 200 },
              retention_days: { type: 'integer', minimum: 0, maximum: 36500 },
            },
          },
          response: errorResponses,
        },
      },
      async (
        req: FastifyRequest<{
          Params: { id: string };
          Body: { name?: string; retention_days?: number };
        }>,
      ) => {
        const user = requireUser(req, ['provider_admin']);
        const t = await store.updateTenant(req.params.id, {
          ...(req.body.name === undefined ? {} : { name: req.body.name }),
          ...(req.body.retention_days === undefined
            ? {}
            : { retentionDays: req.body.retention_days }),
        });
        if (!t) throw new VigilError('NOT_FOUND', `no tenant ${req.params.id}`);
        await audit(
          store,
          t.id,
          `user:${user.name}`,
          'tenant.update',
          t.id,
          { ...req.body },
          deps.now(),
        );
        return publicTenant(t);
      },
    );

    // users
    app.get(
      '/api/v1/users',
      {
        schema: {
          tags: ['users'],
          summary:
            'Users the caller may manage: provider admins see all, customer admins their tenant.',
          querystring: { type: 'object', properties: { tenant: { type: 'string' } } },
          response: errorResponses,
        },
      },
      async (req: FastifyRequest<{ Querystring: { tenant?: string } }>) => {
        const user = requireUser(req, ['provider_admin', 'customer_admin']);
        let tenants: string[];
        if (req.query.tenant !== undefined) tenants = [requireTenant(user, req.query.tenant)];
        else if (user.role === 'provider_admin') {
          tenants = [PROVIDER_TENANT, ...(await store.listTenants()).map((t) => t.id)];
        } else tenants = [user.tenant];
        const users = await store.listUsers(tenants);
        return { users: users.map((u) => publicUser(u, user)) };
      },
    );

    app.post(
      '/api/v1/users',
      {
        schema: {
          tags: ['users'],
          summary:
            'Create a user. Provider admins create any role; customer admins only customer roles of their tenant.',
          body: {
            type: 'object',
            required: ['name', 'password', 'role'],
            properties: {
              name: { type: 'string', minLength: 1, maxLength: 100, pattern: '^[A-Za-z0-9._@-]+$' },
              password: { type: 'string', minLength: 8, maxLength: 1000 },
              role: { type: 'string', enum: [...ROLES] },
              tenant: { type: 'string' },
              tenants: { type: 'array', items: { type: 'string' }, maxItems: 10000 },
            },
          },
          response: errorResponses,
        },
      },
      async (
        req: FastifyRequest<{
          Body: { name: string; password: string; role: Role; tenant?: string; tenants?: string[] };
        }>,
        reply: FastifyReply,
      ) => {
        const actor = requireUser(req, ['provider_admin', 'customer_admin']);
        const { role } = req.body;
        let tenant: string;
        if (isProviderRole(role)) {
          if (actor.role !== 'provider_admin')
            throw new VigilError('FORBIDDEN', 'only provider admins create provider users');
          tenant = PROVIDER_TENANT;
        } else {
          tenant = requireTenant(actor, req.body.tenant);
          if (!(await store.getTenant(tenant)))
            throw new VigilError('NOT_FOUND', `no tenant ${tenant}`);
        }
        const assigned = role === 'provider_analyst' ? (req.body.tenants ?? []) : [];
        for (const t of assigned) {
          if (!(await store.getTenant(t))) throw new VigilError('NOT_FOUND', `no tenant ${t}`);
        }
        if (await store.getUserByName(req.body.name)) {
          throw new VigilError('CONFLICT', `user name ${req.body.name} is taken`);
        }
        const user: User = {
          id: newId(),
          name: req.body.name,
          role,
          tenant,
          tenants: assigned,
          passwordHash: await hashPassword(req.body.password),
          createdAt: deps.now(),
          disabled: false,
        };
        await store.createUser(user);
        await audit(
          store,
          tenant,
          `user:${actor.name}`,
          'user.create',
          user.id,
          { name: user.name, role },
          deps.now(),
        );
        return reply.status(201).send(publicUser(user, actor));
      },
    );

    app.patch(
      '/api/v1/users/:id',
      {
        schema: {
          tags: ['users'],
          summary:
            'Disable or re-enable a user, change their password or (provider) assigned tenants.',
          params: idParam,
          body: {
            type: 'object',
            properties: {
              disabled: { type: 'boolean' },
              password: { type: 'string', minLength: 8, maxLength: 1000 },
              tenants: { type: 'array', items: { type: 'string' } },
            },
          },
          response: errorResponses,
        },
      },
      async (
        req: FastifyRequest<{
          Params: { id: string };
          Body: { disabled?: boolean; password?: string; tenants?: string[] };
        }>,
      ) => {
        const actor = requireUser(req);
        const target = await store.getUser(req.params.id);
        const self = target?.id === actor.id;
        const manages =
          target !== undefined &&
          (actor.role === 'provider_admin' ||
            (actor.role === 'customer_admin' &&
              !isProviderRole(target.role) &&
              target.tenant === actor.tenant));
        if (!target || (!self && !manages))
          throw new VigilError('NOT_FOUND', `no user ${req.params.id}`);
        if (
          self &&
          !manages &&
          (req.body.disabled !== undefined || req.body.tenants !== undefined)
        ) {
          throw new VigilError('FORBIDDEN', 'you may only change your own password');
        }
        if (req.body.tenants !== undefined && actor.role !== 'provider_admin') {
          throw new VigilError('FORBIDDEN', 'only provider admins assign tenants');
        }
        const updated = await store.updateUser(target.id, {
          ...(req.body.disabled === undefined ? {} : { disabled: req.body.disabled }),
          ...(req.body.password === undefined
            ? {}
            : { passwordHash: await hashPassword(req.body.password) }),
          ...(req.body.tenants === undefined ? {} : { tenants: req.body.tenants }),
        });
        await audit(
          store,
          target.tenant,
          `user:${actor.name}`,
          'user.update',
          target.id,
          {
            ...(req.body.disabled === undefined ? {} : { disabled: req.body.disabled }),
            password: req.body.password !== undefined,
            ...(req.body.tenants ? { tenants: req.body.tenants } : {}),
          },
          deps.now(),
        );
        return publicUser(updated ?? target, actor);
      },
    );

    // API tokens
    app.post(
      '/api/v1/tokens',
      {
        schema: {
          tags: ['tokens'],
          summary: 'Create an API token for the calling user. The token is shown once.',
          body: {
            type: 'object',
            required: ['name'],
            properties: {
              name: { type: 'string', minLength: 1, maxLength: 200 },
              expires_days: { type: 'integer', minimum: 1, maximum: 3650 },
            },
          },
          response: errorResponses,
        },
      },
      async (
        req: FastifyRequest<{ Body: { name: string; expires_days?: number } }>,
        reply: FastifyReply,
      ) => {
        const user = requireUser(req);
        const secret = newSecret('vgt');
        const now = deps.now();
        const id = newId();
        await store.createCredential({
          id,
          kind: 'token',
          userId: user.id,
          tenant: user.tenant,
          name: req.body.name,
          hash: hashSecret(secret),
          createdAt: now,
          ...(req.body.expires_days === undefined
            ? {}
            : { expiresAt: now + req.body.expires_days * 86_400_000 }),
        });
        await audit(
          store,
          user.tenant,
          `user:${user.name}`,
          'token.create',
          id,
          { name: req.body.name },
          now,
        );
        return reply.status(201).send({ id, name: req.body.name, token: secret });
      },
    );

    app.get(
      '/api/v1/tokens',
      {
        schema: {
          tags: ['tokens'],
          summary: "The calling user's API tokens (never the secrets).",
          response: errorResponses,
        },
      },
      async (req: FastifyRequest) => {
        const user = requireUser(req);
        const creds = await store.listCredentials(user.id);
        return {
          tokens: creds
            .filter((c) => c.kind === 'token')
            .map((c) => ({
              id: c.id,
              name: c.name,
              created_at: new Date(c.createdAt).toISOString(),
              ...(c.expiresAt === undefined
                ? {}
                : { expires_at: new Date(c.expiresAt).toISOString() }),
              ...(c.revokedAt === undefined
                ? {}
                : { revoked_at: new Date(c.revokedAt).toISOString() }),
            })),
        };
      },
    );

    app.delete(
      '/api/v1/tokens/:id',
      {
        schema: {
          tags: ['tokens'],
          summary: 'Revoke one of your API tokens.',
          params: idParam,
          response: errorResponses,
        },
      },
      async (req: FastifyRequest<{ Params: { id: string } }>) => {
        const user = requireUser(req);
        const mine = (await store.listCredentials(user.id)).find(
          (c) => c.id === req.params.id && c.kind === 'token',
        );
        if (!mine) throw new VigilError('NOT_FOUND', `no token ${req.params.id}`);
        await store.revokeCredential(mine.id, deps.now());
        await audit(
          store,
          user.tenant,
          `user:${user.name}`,
          'token.revoke',
          mine.id,
          {},
          deps.now(),
        );
        return { ok: true };
      },
    );

    // ingest keys
    const keyManagers: readonly Role[] = ['provider_admin', 'customer_admin'];
    app.get(
      '/api/v1/tenants/:id/keys',
      {
        schema: {
          tags: ['keys'],
          summary: "A tenant's ingest keys (never the secrets).",
          params: idParam,
          response: errorResponses,
        },
      },
      async (req: FastifyRequest<{ Params: { id: string } }>) => {
        const user = requireUser(req, keyManagers);
        const tenant = requireTenant(user, req.params.id);
        return { keys: (await store.listIngestKeys(tenant)).map(publicKey) };
      },
    );

    app.post(
      '/api/v1/tenants/:id/keys',
      {
        schema: {
          tags: ['keys'],
          summary:
            'Create an ingest key for a tenant. The key is shown once; only its hash is stored.',
          params: idParam,
          body: { type: 'object', properties: { name: { type: 'string', maxLength: 200 } } },
          response: errorResponses,
        },
      },
      async (
        req: FastifyRequest<{ Params: { id: string }; Body: { name?: string } | undefined }>,
        reply: FastifyReply,
      ) => {
        const user = requireUser(req, keyManagers);
        const tenant = requireTenant(user, req.params.id);
        if (!(await store.getTenant(tenant)))
          throw new VigilError('NOT_FOUND', `no tenant ${tenant}`);
        const secret = newSecret('vgi');
        const key: IngestKey = {
          id: newId(),
          tenant,
          name: req.body?.name ?? '',
          prefix: secret.slice(0, 10),
          hash: hashSecret(secret),
          createdAt: deps.now(),
        };
        await store.createIngestKey(key);
        await audit(
          store,
          tenant,
          `user:${user.name}`,
          'key.create',
          key.id,
          { name: key.name },
          deps.now(),
        );
        return reply.status(201).send({ ...publicKey(key), key: secret });
      },
    );

    app.delete(
      '/api/v1/tenants/:id/keys/:key',
      {
        schema: {
          tags: ['keys'],
          summary: 'Revoke an ingest key.',
          params: {
            type: 'object',
            required: ['id', 'key'],
            properties: { id: { type: 'string' }, key: { type: 'string' } },
          },
          response: errorResponses,
        },
      },
      async (req: FastifyRequest<{ Params: { id: string; key: string } }>) => {
        const user = requireUser(req, keyManagers);
        const tenant = requireTenant(user, req.params.id);
        if (!(await store.revokeIngestKey(tenant, req.params.key, deps.now()))) {
          throw new VigilError('NOT_FOUND', `no key ${req.params.key} in tenant ${tenant}`);
        }
        await audit(
          store,
          tenant,
          `user:${user.name}`,
          'key.revoke',
          req.params.key,
          {},
          deps.now(),
        );
        return { ok: true };
      },
    );
    done();
  };
}
