/** Route guards: the calling user and the tenants they may touch. */
import type { FastifyRequest } from 'fastify';
import { VigilError, type Role, type User } from '../core/index.ts';
import { canSeeTenant } from './auth.ts';

/** The principal of a request that must be a user with one of `roles` (any role when omitted). */
export function requireUser(req: FastifyRequest, roles?: readonly Role[]): User {
  const p = req.principal;
  if (!p) throw new VigilError('AUTH_REQUIRED', 'log in or send a token (Authorization: Bearer …)');
  if (p.kind !== 'user') {
    throw Object.assign(new VigilError('FORBIDDEN', 'ingest keys may only send events'), {});
  }
  if (roles && !roles.includes(p.user.role)) {
    throw new VigilError('FORBIDDEN', `your role (${p.user.role}) may not do this`);
  }
  return p.user;
}

/** Checks that `user` may see `tenant`; answers 404 otherwise so other tenants' ids do not leak. */
export function requireTenant(user: User, tenant: string | undefined): string {
  const t = tenant ?? (user.role.startsWith('customer') ? user.tenant : undefined);
  if (!t) throw new VigilError('BAD_REQUEST', 'tenant is required (?tenant=ID)');
  if (!canSeeTenant(user, t)) throw new VigilError('NOT_FOUND', `no tenant ${t}`);
  return t;
}
