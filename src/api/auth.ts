/**
 * Who is calling: secrets and their hashes, resolving a request's credential to a principal, password
 * checks with argon2id, login throttling, and which tenants a principal may see.
 */
import { createHash, randomBytes } from 'node:crypto';
import { hash as argonHash, verify as argonVerify } from '@node-rs/argon2';

/** `Algorithm.Argon2id` of @node-rs/argon2 (a const enum, which verbatimModuleSyntax cannot import). */
const ARGON2ID = 2;
import {
  isProviderRole,
  PROVIDER_TENANT,
  VigilError,
  type IngestKey,
  type Role,
  type Store,
  type User,
} from '../core/index.ts';

export type Principal =
  | {
      readonly kind: 'user';
      readonly user: User;
      readonly credentialId: string;
      readonly via: 'session' | 'token';
    }
  | { readonly kind: 'ingest'; readonly key: IngestKey };

export const SESSION_COOKIE = 'vigil_session';

/** A new random secret with a readable prefix: `vgs_` sessions, `vgt_` API tokens, `vgi_` ingest keys. */
export function newSecret(prefix: 'vgs' | 'vgt' | 'vgi'): string {
  return `${prefix}_${randomBytes(24).toString('base64url')}`;
}

export function newId(): string {
  return randomBytes(9).toString('base64url').replace(/[-_]/g, 'x');
}

export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

export async function hashPassword(password: string): Promise<string> {
  // eslint-disable-next-line @typescript-eslint/no-unsafe-enum-assignment -- see ARGON2ID
  return argonHash(password, { algorithm: ARGON2ID });
}

export async function verifyPassword(hash: string, password: string): Promise<boolean> {
  try {
    return await argonVerify(hash, password);
  } catch {
    return false;
  }
}

/** The secret candidates an Authorization header or cookie carries, with the kind it claims. */
export function credentialsOf(headers: {
  authorization?: string | undefined;
  cookie?: string | undefined;
}): { scheme: 'bearer' | 'ingest'; secrets: string[] } | undefined {
  const auth = headers.authorization?.trim();
  if (auth) {
    const sp = auth.indexOf(' ');
    const scheme = (sp < 0 ? auth : auth.slice(0, sp)).toLowerCase();
    const value = sp < 0 ? '' : auth.slice(sp + 1).trim();
    if (scheme === 'bearer') return { scheme: 'bearer', secrets: [value] };
    if (scheme === 'splunk') return { scheme: 'ingest', secrets: [value] };
    if (scheme === 'apikey') {
      // Elastic clients send base64(id:key); some send the key itself.
      const secrets = [value];
      const decoded = Buffer.from(value, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon >= 0) secrets.push(decoded.slice(colon + 1));
      else if (decoded.startsWith('vgi_')) secrets.push(decoded);
      return { scheme: 'ingest', secrets };
    }
    if (scheme === 'basic') {
      const decoded = Buffer.from(value, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      return { scheme: 'ingest', secrets: [colon >= 0 ? decoded.slice(colon + 1) : decoded] };
    }
    return undefined;
  }
  const cookie = headers.cookie;
  if (cookie) {
    for (const part of cookie.split(';')) {
      const eq = part.indexOf('=');
      if (eq > 0 && part.slice(0, eq).trim() === SESSION_COOKIE) {
        return { scheme: 'bearer', secrets: [decodeURIComponent(part.slice(eq + 1).trim())] };
      }
    }
  }
  return undefined;
}

/** Resolves a request's credential; undefined when none was sent. Throws AUTH_FAILED for a bad one. */
export async function authenticate(
  store: Store,
  headers: { authorization?: string | undefined; cookie?: string | undefined },
  now: number,
): Promise<Principal | undefined> {
  const found = credentialsOf(headers);
  if (!found) {
    if (headers.authorization) {
      throw new VigilError(
        'AUTH_FAILED',
        'unsupported Authorization scheme (use Bearer, ApiKey, Basic or Splunk)',
      );
    }
    return undefined;
  }
  for (const secret of found.secrets) {
    if (!secret) continue;
    const hash = hashSecret(secret);
    if (secret.startsWith('vgi_') || found.scheme === 'ingest') {
      const key = await store.findIngestKey(hash);
      if (key) {
        if (key.revokedAt !== undefined)
          throw new VigilError('AUTH_FAILED', 'this ingest key was revoked');
        return { kind: 'ingest', key };
      }
    }
    if (!secret.startsWith('vgi_')) {
      const cred = await store.findCredential(hash);
      if (cred) {
        if (cred.revokedAt !== undefined)
          throw new VigilError('AUTH_FAILED', `this ${cred.kind} was revoked`);
        if (cred.expiresAt !== undefined && cred.expiresAt <= now) {
          throw new VigilError('AUTH_FAILED', `this ${cred.kind} has expired; log in again`);
        }
        const user = await store.getUser(cred.userId);
        if (!user || user.disabled)
          throw new VigilError('AUTH_FAILED', 'the user of this credential is disabled');
        return { kind: 'user', user, credentialId: cred.id, via: cred.kind };
      }
    }
  }
  throw new VigilError('AUTH_FAILED', 'invalid credential');
}

/** The tenants a user may see: `undefined` means every tenant (provider admin, unassigned provider analyst). */
export function visibleTenants(user: User): readonly string[] | undefined {
  if (user.role === 'provider_admin') return undefined;
  if (user.role === 'provider_analyst') return user.tenants.length > 0 ? user.tenants : undefined;
  return [user.tenant];
}

export function canSeeTenant(user: User, tenant: string): boolean {
  if (tenant === PROVIDER_TENANT) return isProviderRole(user.role);
  const seen = visibleTenants(user);
  return seen === undefined || seen.includes(tenant);
}

/** Roles allowed to change things in a tenant they can see. */
export const MANAGERS: readonly Role[] = ['provider_admin', 'provider_analyst', 'customer_admin'];

/**
 * Failed logins per user name and per address within a window. After `limit` failures the name (or
 * address) is locked until the window has passed since the first failure.
 */
export class LoginThrottle {
  private readonly failures = new Map<string, { first: number; count: number }>();
  constructor(
    private readonly limit = 5,
    private readonly windowMs = 15 * 60_000,
  ) {}

  /** Seconds until `keys` may try again, or 0. */
  retryAfter(keys: readonly string[], now: number): number {
    let wait = 0;
    for (const k of keys) {
      const f = this.failures.get(k);
      if (!f) continue;
      if (now - f.first >= this.windowMs) {
        this.failures.delete(k);
        continue;
      }
      if (f.count >= this.limit)
        wait = Math.max(wait, Math.ceil((f.first + this.windowMs - now) / 1000));
    }
    return wait;
  }

  fail(keys: readonly string[], now: number): void {
    for (const k of keys) {
      const f = this.failures.get(k);
      if (!f || now - f.first >= this.windowMs) this.failures.set(k, { first: now, count: 1 });
      else f.count++;
    }
    if (this.failures.size > 100_000) this.failures.clear();
  }

  succeed(keys: readonly string[]): void {
    for (const k of keys) this.failures.delete(k);
  }
}
