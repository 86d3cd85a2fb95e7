/**
 * The `Store` contract as a vitest suite: every implementation (SQLite, PostgreSQL) runs it unchanged.
 *
 * Beyond `src/core/store.ts`, the suite pins down what the seam leaves open:
 * - creating an object whose id (or user name, or secret hash) exists rejects with `VigilError('CONFLICT')`;
 *   a credential for an unknown user, or an ingest key for an unknown tenant, with `NOT_FOUND`;
 * - user names are unique and looked up ignoring ASCII case;
 * - revoking returns true only when it revoked something; a second revoke keeps the first time;
 * - lists of configuration objects come oldest first (`createdAt`, then `id`); `getEvents` in seq order;
 * - event search: newest first (`ts`, then `seq`); `host`/`user` compare ignoring ASCII case; a filter on
 *   `fields.X` compares the original field `X`, any other name an entity field, ignoring case, matching one
 *   element of a list; `text` is a case-insensitive substring of any field or entity value (not of names);
 * - alerts list newest first (`ts`, then `id`, then `tenant`); an empty tenant list finds nothing;
 * - pages hold 100 items unless asked, never more than 1000; a cursor the store did not issue rejects
 *   with `BAD_REQUEST`; `next` is absent exactly on the last page;
 * - `saveRule` replaces the tenant's rule with the same id; `recordExceptionHits` keeps the latest time;
 * - the audit hash is sha256 of `prevHash` (64 zeros for the first row) followed by the canonical JSON
 *   (sorted members, no spaces) of `{tenant, ts, actor, action, target, detail}`;
 * - incidents: the queue lists by score, then last activity, then id (descending), never merged ones, with
 *   `total` counting every match; saving an incident again keeps its case; mapping an alert to another
 *   incident moves it; `similarIncidents` ranks by the number of shared keys;
 * - after `close`, calls reject with `VigilError('STORE')`.
 */
import { createHash } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  PROVIDER_TENANT,
  VigilError,
  type Alert,
  type AlertQuery,
  type Credential,
  type ErrorCode,
  type EventQuery,
  type IncidentRecord,
  type IngestKey,
  type NewEvent,
  type Page,
  type RuleException,
  type Store,
  type StoredEvent,
  type Tenant,
  type User,
} from '../core/index.ts';

/** Hooks an implementation gives the suite. */
export type StoreCleanup<S extends Store> = (store: S) => Promise<void> | void;
/**
 * Changes the audit log behind the store's back: `edit` changes row `seq`'s detail (leaving its hashes),
 * `delete` removes the row.
 */
export type AuditTamper<S extends Store> = (
  store: S,
  seq: number,
  how: 'edit' | 'delete',
) => Promise<void> | void;

const T0 = Date.UTC(2026, 0, 5, 8, 0, 0);
const MINUTE = 60_000;
const ZERO_HASH = '0'.repeat(64);

function tenant(id: string, over: Partial<Tenant> = {}): Tenant {
  return { id, name: `Tenant ${id}`, createdAt: T0, retentionDays: 30, disabledRules: [], ...over };
}

function user(id: string, name: string, tenantId: string, over: Partial<User> = {}): User {
  return {
    id,
    name,
    role: tenantId === PROVIDER_TENANT ? 'provider_analyst' : 'customer_viewer',
    tenant: tenantId,
    tenants: [],
    passwordHash: `$argon2id$v=19$m=19456,t=2,p=1$${id}`,
    createdAt: T0,
    disabled: false,
    ...over,
  };
}

function credential(id: string, u: User, hash: string, over: Partial<Credential> = {}): Credential {
  return {
    id,
    kind: 'session',
    userId: u.id,
    tenant: u.tenant,
    name: '',
    hash,
    createdAt: T0,
    ...over,
  };
}

function ingestKey(id: string, tenantId: string, hash: string): IngestKey {
  return { id, tenant: tenantId, name: `key ${id}`, prefix: `vk_${id}`, hash, createdAt: T0 };
}

function event(tenantId: string, id: string, ts: number, over: Partial<NewEvent> = {}): NewEvent {
  return {
    id,
    tenant: tenantId,
    ts,
    receivedAt: ts + 1000,
    source: { product: 'windows', service: 'sysmon' },
    format: 'evtx-json',
    receiver: 'ingest',
    fields: {
      EventID: 1,
      Channel: 'Microsoft-Windows-Sysmon/Operational',
      Image: 'C:\\Windows\\System32\\cmd.exe',
      CommandLine: `cmd.exe /c echo ${id}`,
    },
    entities: { 'host.name': 'WS01', 'user.name': 'alice' },
    host: 'WS01',
    user: 'alice',
    ...over,
  };
}

function alert(tenantId: string, id: string, ts: number, over: Partial<Alert> = {}): Alert {
  return {
    id,
    tenant: tenantId,
    rule: {
      id: 'rule-1',
      title: 'Suspicious shell',
      level: 'high',
      tags: ['attack.execution', 'attack.t1059'],
    },
    kind: 'event',
    level: 'high',
    ts,
    createdAt: ts + 5,
    host: 'WS01',
    user: 'alice',
    eventIds: [`ev-${id}`],
    matched: { Image: 'C:\\Windows\\System32\\cmd.exe', EventID: 1 },
    entities: { 'host.name': 'WS01' },
    status: 'new',
    ...over,
  };
}

function exception(tenantId: string, id: string, over: Partial<RuleException> = {}): RuleException {
  return {
    id,
    tenant: tenantId,
    ruleId: 'rule-1',
    conditions: [{ field: 'Image', op: 'endswith', value: '\\backup.exe' }],
    reason: 'nightly backup',
    author: 'alice',
    createdAt: T0,
    hits: 0,
    ...over,
  };
}

async function rejectsWith(promise: Promise<unknown>, code: ErrorCode): Promise<VigilError> {
  const err: unknown = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(VigilError);
  expect((err as VigilError).code).toBe(code);
  return err as VigilError;
}

async function allPages<T>(
  fetch: (cursor: string | undefined) => Promise<Page<T>>,
  maxPages = 100,
): Promise<T[][]> {
  const pages: T[][] = [];
  let cursor: string | undefined;
  do {
    const page = await fetch(cursor);
    pages.push([...page.items]);
    cursor = page.next;
  } while (cursor !== undefined && pages.length < maxPages);
  expect(cursor).toBeUndefined();
  return pages;
}

/** A copy of `obj` without the given keys (for optional members that must be absent, not undefined). */
function without<T extends object, K extends keyof T & string>(obj: T, ...keys: K[]): Omit<T, K> {
  const drop = new Set<string>(keys);
  return Object.fromEntries(Object.entries(obj).filter(([key]) => !drop.has(key))) as Omit<T, K>;
}

/** `items.at(i)`, failing the test when there is no such item. */
function nth<T>(items: readonly T[], i: number): NonNullable<T> {
  const item = items.at(i);
  if (item === undefined || item === null) throw new Error(`no item ${i} among ${items.length}`);
  return item;
}

function defined<T>(value: T | undefined): T {
  expect(value).toBeDefined();
  return value as T;
}

/** The order `listAlerts` promises: `ts`, then `id`, then `tenant`, all descending. */
function alertsNewestFirst(x: Alert, y: Alert): number {
  if (x.ts !== y.ts) return y.ts - x.ts;
  if (x.id !== y.id) return x.id < y.id ? 1 : -1;
  return x.tenant < y.tenant ? 1 : x.tenant > y.tenant ? -1 : 0;
}

const ids = (items: readonly { readonly id: string }[]): string[] => items.map((x) => x.id);

/**
 * Registers the contract suite. `make` returns a fresh, empty store for each test; the suite closes it
 * and then calls `cleanup`. Without `tamper` the audit tamper test is skipped, saying so.
 */
export function describeStoreContract<S extends Store>(
  name: string,
  make: () => Promise<S>,
  cleanup?: StoreCleanup<S>,
  tamper?: AuditTamper<S>,
): void {
  describe(`Store contract: ${name}`, () => {
    let store: S;

    beforeEach(async () => {
      store = await make();
    });

    afterEach(async () => {
      await store.close();
      await cleanup?.(store);
    });

    describe('tenants', () => {
      it('creates, reads, lists oldest first and patches tenants', async () => {
        await store.createTenant(tenant('b', { createdAt: T0 + 1 }));
        await store.createTenant(tenant('a', { disabledRules: ['r1', 'r2'] }));
        await store.createTenant(tenant('c', { createdAt: T0 + 1 }));
        expect(await store.getTenant('a')).toEqual(tenant('a', { disabledRules: ['r1', 'r2'] }));
        expect(await store.getTenant('zz')).toBeUndefined();
        expect(ids(await store.listTenants())).toEqual(['a', 'b', 'c']);

        const patched = await store.updateTenant('a', { retentionDays: 90 });
        const want = tenant('a', { retentionDays: 90, disabledRules: ['r1', 'r2'] });
        expect(patched).toEqual(want);
        expect(await store.getTenant('a')).toEqual(want);
        await store.updateTenant('a', { name: 'Acme', disabledRules: [] });
        expect(await store.getTenant('a')).toEqual({ ...want, name: 'Acme', disabledRules: [] });
        expect(await store.updateTenant('zz', { name: 'x' })).toBeUndefined();
        expect(await store.getTenant('zz')).toBeUndefined();
      });

      it('rejects a second tenant with the same id', async () => {
        await store.createTenant(tenant('a'));
        await rejectsWith(store.createTenant(tenant('a', { name: 'other' })), 'CONFLICT');
        expect((await store.getTenant('a'))?.name).toBe('Tenant a');
      });

      it('returns copies the caller may change', async () => {
        await store.createTenant(tenant('a', { disabledRules: ['r1'] }));
        const got = nth([await store.getTenant('a')], 0) as unknown as {
          disabledRules: string[];
          name: string;
        };
        got.disabledRules.push('r2');
        got.name = 'changed';
        expect(await store.getTenant('a')).toEqual(tenant('a', { disabledRules: ['r1'] }));
      });
    });

    describe('users and credentials', () => {
      it('creates users and finds them by id and by name, ignoring case', async () => {
        const alice = user('u1', 'alice', 'a', { role: 'customer_admin' });
        await store.createUser(alice);
        expect(await store.getUser('u1')).toEqual(alice);
        expect(await store.getUserByName('alice')).toEqual(alice);
        expect(await store.getUserByName('ALICE')).toEqual(alice);
        expect(await store.getUserByName('bob')).toBeUndefined();
        expect(await store.getUser('u2')).toBeUndefined();
      });

      it('rejects a taken user name (in any case) and a taken id', async () => {
        await store.createUser(user('u1', 'alice', 'a'));
        const err = await rejectsWith(store.createUser(user('u2', 'alice', 'b')), 'CONFLICT');
        expect(err.message).toContain('alice');
        await rejectsWith(store.createUser(user('u3', 'Alice', 'b')), 'CONFLICT');
        await rejectsWith(store.createUser(user('u1', 'carol', 'a')), 'CONFLICT');
        expect(await store.countUsers()).toBe(1);
        expect(await store.getUser('u2')).toBeUndefined();
      });

      it('lists users of the given tenants only and counts every user', async () => {
        await store.createUser(user('p1', 'root', PROVIDER_TENANT, { role: 'provider_admin' }));
        await store.createUser(user('a1', 'alice', 'a'));
        await store.createUser(user('a2', 'anna', 'a', { createdAt: T0 + 1 }));
        await store.createUser(user('b1', 'bob', 'b'));
        expect(ids(await store.listUsers(['a']))).toEqual(['a1', 'a2']);
        expect(ids(await store.listUsers(['b', PROVIDER_TENANT])).sort()).toEqual(['b1', 'p1']);
        expect(await store.listUsers([PROVIDER_TENANT])).toEqual([
          user('p1', 'root', PROVIDER_TENANT, { role: 'provider_admin' }),
        ]);
        expect(await store.listUsers([])).toEqual([]);
        expect(await store.listUsers(['nobody'])).toEqual([]);
        expect(await store.countUsers()).toBe(4);
      });

      it('patches only the given user fields', async () => {
        const bob = user('u1', 'bob', PROVIDER_TENANT);
        await store.createUser(bob);
        const patched = await store.updateUser('u1', { tenants: ['a', 'b'], disabled: true });
        expect(patched).toEqual({ ...bob, tenants: ['a', 'b'], disabled: true });
        await store.updateUser('u1', { passwordHash: 'new', role: 'provider_admin' });
        expect(await store.getUser('u1')).toEqual({
          ...bob,
          tenants: ['a', 'b'],
          disabled: true,
          passwordHash: 'new',
          role: 'provider_admin',
        });
        expect(await store.updateUser('u9', { disabled: true })).toBeUndefined();
        expect(await store.countUsers()).toBe(1);
      });

      it('finds credentials by hash, lists them per user and revokes once', async () => {
        const alice = user('u1', 'alice', 'a');
        const bob = user('u2', 'bob', 'b');
        await store.createUser(alice);
        await store.createUser(bob);
        const session = credential('c1', alice, 'h1', { expiresAt: T0 + 3_600_000 });
        const token = credential('c2', alice, 'h2', {
          kind: 'token',
          name: 'ci',
          createdAt: T0 + 1,
        });
        await store.createCredential(token);
        await store.createCredential(session);
        await store.createCredential(credential('c3', bob, 'h3'));

        expect(await store.findCredential('h1')).toEqual(session);
        expect(await store.findCredential('h2')).toEqual(token);
        expect(await store.findCredential('nope')).toBeUndefined();
        expect(await store.listCredentials('u1')).toEqual([session, token]);
        expect(ids(await store.listCredentials('u2'))).toEqual(['c3']);
        expect(await store.listCredentials('u9')).toEqual([]);

        expect(await store.revokeCredential('c1', T0 + 10)).toBe(true);
        expect(await store.revokeCredential('c1', T0 + 20)).toBe(false);
        expect(await store.revokeCredential('c9', T0 + 20)).toBe(false);
        expect(await store.findCredential('h1')).toEqual({ ...session, revokedAt: T0 + 10 });
        expect(await store.findCredential('h2')).toEqual(token);
      });

      it('rejects a credential with a taken hash or for an unknown user', async () => {
        const alice = user('u1', 'alice', 'a');
        await store.createUser(alice);
        await store.createCredential(credential('c1', alice, 'h1'));
        await rejectsWith(store.createCredential(credential('c2', alice, 'h1')), 'CONFLICT');
        await rejectsWith(store.createCredential(credential('c1', alice, 'h9')), 'CONFLICT');
        const ghost = user('u9', 'ghost', 'a');
        await rejectsWith(store.createCredential(credential('c3', ghost, 'h3')), 'NOT_FOUND');
        expect(await store.findCredential('h3')).toBeUndefined();
      });
    });

    describe('ingest keys', () => {
      beforeEach(async () => {
        await store.createTenant(tenant('a'));
        await store.createTenant(tenant('b'));
      });

      it('finds any tenant key by hash and lists keys per tenant', async () => {
        await store.createIngestKey(ingestKey('k1', 'a', 'ha1'));
        await store.createIngestKey(ingestKey('k2', 'b', 'hb1'));
        await store.createIngestKey({ ...ingestKey('k3', 'a', 'ha2'), createdAt: T0 + 1 });
        expect(await store.findIngestKey('hb1')).toEqual(ingestKey('k2', 'b', 'hb1'));
        expect(await store.findIngestKey('ha1')).toEqual(ingestKey('k1', 'a', 'ha1'));
        expect(await store.findIngestKey('zzz')).toBeUndefined();
        expect(ids(await store.listIngestKeys('a'))).toEqual(['k1', 'k3']);
        expect(ids(await store.listIngestKeys('b'))).toEqual(['k2']);
        expect(await store.listIngestKeys('c')).toEqual([]);
      });

      it('revokes a key only within its own tenant, and still finds it revoked', async () => {
        await store.createIngestKey(ingestKey('ka', 'a', 'ha'));
        await store.createIngestKey(ingestKey('kb', 'b', 'hb'));
        expect(await store.revokeIngestKey('a', 'kb', T0 + 5)).toBe(false);
        expect(await store.findIngestKey('hb')).toEqual(ingestKey('kb', 'b', 'hb'));
        expect(await store.revokeIngestKey('b', 'kb', T0 + 6)).toBe(true);
        expect(await store.revokeIngestKey('b', 'kb', T0 + 7)).toBe(false);
        expect(await store.findIngestKey('hb')).toEqual({
          ...ingestKey('kb', 'b', 'hb'),
          revokedAt: T0 + 6,
        });
        expect(await store.findIngestKey('ha')).toEqual(ingestKey('ka', 'a', 'ha'));
        expect(await store.revokeIngestKey('a', 'nope', T0)).toBe(false);
      });

      it('rejects a key with a taken hash or id, or for an unknown tenant', async () => {
        await store.createIngestKey(ingestKey('k1', 'a', 'h1'));
        await rejectsWith(store.createIngestKey(ingestKey('k2', 'b', 'h1')), 'CONFLICT');
        await rejectsWith(store.createIngestKey(ingestKey('k1', 'b', 'h2')), 'CONFLICT');
        await rejectsWith(store.createIngestKey(ingestKey('k3', 'nope', 'h3')), 'NOT_FOUND');
        expect(await store.findIngestKey('h3')).toBeUndefined();
      });
    });

    describe('events', () => {
      it('appends with increasing seq and reads back what was stored', async () => {
        const batch = [
          event('a', 'e1', T0, {
            fields: {
              EventID: 4688,
              'Event.System.Provider': 'Microsoft-Windows-Security-Auditing',
              Tags: ['x', 2, true, null],
              Elevated: false,
              Score: 1.5,
              Empty: null,
            },
            entities: { 'host.name': 'DC01', 'process.pid': 4242 },
            host: 'DC01',
          }),
          event('b', 'e2', T0 + 1, { source: { product: 'linux' } }),
          event('a', 'e3', T0 - MINUTE),
        ];
        batch.push(without(event('a', 'e4', T0), 'host', 'user'));
        const stored = await store.appendEvents(batch);
        expect(stored.map((e) => e.id)).toEqual(['e1', 'e2', 'e3', 'e4']);
        for (let i = 1; i < stored.length; i++) {
          expect(nth(stored, i).seq).toBeGreaterThan(nth(stored, i - 1).seq);
        }
        expect(nth(stored, 0).seq).toBeGreaterThan(0);
        expect(stored).toEqual(batch.map((e, i) => ({ ...e, seq: nth(stored, i).seq })));

        const back = await store.getEvents('a', ['e1', 'e3', 'e4']);
        expect(back).toEqual([stored[0], stored[2], stored[3]]);
        expect('host' in nth(back, 2)).toBe(false);
        expect(await store.countEvents('a')).toBe(3);
        expect(await store.countEvents('b')).toBe(1);
        expect(await store.countEvents('c')).toBe(0);
        expect(await store.appendEvents([])).toEqual([]);
      });

      it('skips an event whose (tenant, id) is stored, in a later call or the same one', async () => {
        const first = await store.appendEvents([event('a', 'e1', T0)]);
        const again = await store.appendEvents([
          event('a', 'e1', T0 + 99, { format: 'other' }),
          event('a', 'e2', T0),
          event('a', 'e2', T0 + 1),
          event('b', 'e1', T0),
        ]);
        expect(again.map((e) => [e.tenant, e.id])).toEqual([
          ['a', 'e2'],
          ['b', 'e1'],
        ]);
        expect(nth(again, 0).seq).toBeGreaterThan(nth(first, 0).seq);
        expect(await store.getEvents('a', ['e1'])).toEqual(first);
        expect(nth(await store.getEvents('a', ['e2']), 0).ts).toBe(T0);
        expect(await store.countEvents('a')).toBe(2);
        expect(await store.appendEvents([event('a', 'e1', T0)])).toEqual([]);
      });

      it('gives concurrent appends distinct seqs in commit order', async () => {
        const calls = Array.from({ length: 8 }, (_, c) =>
          store.appendEvents(
            Array.from({ length: 25 }, (_, i) => event(c % 2 ? 'a' : 'b', `c${c}-${i}`, T0 + i)),
          ),
        );
        const results = await Promise.all(calls);
        const seqs = results.flat().map((e) => e.seq);
        expect(new Set(seqs).size).toBe(200);
        for (const r of results) {
          for (let i = 1; i < r.length; i++)
            expect(nth(r, i).seq).toBeGreaterThan(nth(r, i - 1).seq);
        }
        const feed = await store.eventsAfter(0, 1000);
        expect(feed.map((e) => e.seq)).toEqual([...seqs].sort((x, y) => x - y));
      });

      it('feeds every tenant after a seq, in seq order, up to the limit', async () => {
        const stored = await store.appendEvents(
          Array.from({ length: 10 }, (_, i) => event(i % 3 ? 'a' : 'b', `e${i}`, T0 - i * MINUTE)),
        );
        const first = await store.eventsAfter(0, 4);
        expect(first).toEqual(stored.slice(0, 4));
        const rest = await store.eventsAfter(nth(first, -1).seq, 100);
        expect(rest).toEqual(stored.slice(4));
        expect(await store.eventsAfter(nth(stored, -1).seq, 10)).toEqual([]);
      });

      it('never returns another tenant event, even with the same id', async () => {
        await store.appendEvents([
          event('b', 'shared', T0, { host: 'B-HOST', entities: { 'host.name': 'B-HOST' } }),
          event('b', 'only-b', T0),
        ]);
        expect(await store.getEvents('a', ['shared', 'only-b'])).toEqual([]);
        const a = await store.appendEvents([event('a', 'shared', T0)]);
        expect(await store.getEvents('a', ['shared', 'only-b'])).toEqual(a);
        const search = await store.searchEvents({ tenant: 'a' });
        expect(search.items).toEqual(a);
        expect((await store.searchEvents({ tenant: 'a', host: 'B-HOST' })).items).toEqual([]);
        expect((await store.searchEvents({ tenant: 'a', text: 'only-b' })).items).toEqual([]);
        expect(
          (
            await store.searchEvents({
              tenant: 'a',
              filters: [{ field: 'host.name', value: 'b-host' }],
            })
          ).items,
        ).toEqual([]);
        expect((await store.searchEvents({ tenant: 'c' })).items).toEqual([]);
      });

      describe('search', () => {
        let all: readonly StoredEvent[];
        const search = async (q: Omit<EventQuery, 'tenant'>): Promise<string[]> =>
          ids((await store.searchEvents({ tenant: 'a', limit: 1000, ...q })).items);

        beforeEach(async () => {
          all = await store.appendEvents([
            event('a', 'e1', T0, {
              fields: {
                EventID: 4688,
                NewProcessName: 'C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe',
                'Process Command Line': 'powershell -enc SQBFAFgA',
                'odd.key "q"': 'say "hi"',
                Tags: ['Alpha', 'beta'],
                Elevated: true,
              },
              entities: { 'host.name': 'WS01', 'user.name': 'alice', 'process.pid': 4242 },
              host: 'WS01',
              user: 'alice',
            }),
            event('a', 'e2', T0 + MINUTE, {
              fields: { EventID: 1, Image: 'C:\\Tools\\PsExec.exe', User: 'CORP\\Bob' },
              entities: { 'host.name': 'WS02', 'user.name': 'bob', 'source.ip': '10.0.0.7' },
              host: 'WS02',
              user: 'bob',
            }),
            event('a', 'e3', T0 + 2 * MINUTE, {
              fields: { EventID: 4624, LogonType: 3, TargetUserName: 'alice' },
              entities: { 'host.name': 'DC01', 'user.name': 'alice' },
              host: 'DC01',
              user: 'alice',
            }),
            without(
              event('a', 'e4', T0 + 3 * MINUTE, {
                fields: { message: 'sshd[77]: Accepted password for root' },
                entities: {},
                source: { product: 'linux', service: 'sshd' },
              }),
              'host',
              'user',
            ),
            event('b', 'b1', T0 + MINUTE, {
              fields: { EventID: 4688, 'Process Command Line': 'powershell -enc SQBFAFgA' },
              entities: { 'host.name': 'WS01', 'user.name': 'alice' },
            }),
          ]);
        });

        it('returns newest first, whole events', async () => {
          const page = await store.searchEvents({ tenant: 'a' });
          expect(page.items).toEqual([all[3], all[2], all[1], all[0]]);
          expect(page.next).toBeUndefined();
        });

        it('filters by time range: from inclusive, to exclusive', async () => {
          expect(await search({ from: T0 + MINUTE })).toEqual(['e4', 'e3', 'e2']);
          expect(await search({ to: T0 + 2 * MINUTE })).toEqual(['e2', 'e1']);
          expect(await search({ from: T0 + MINUTE, to: T0 + 2 * MINUTE })).toEqual(['e2']);
          expect(await search({ from: T0 + 9 * MINUTE })).toEqual([]);
        });

        it('filters by host and user, ignoring case', async () => {
          expect(await search({ host: 'ws01' })).toEqual(['e1']);
          expect(await search({ host: 'WS02' })).toEqual(['e2']);
          expect(await search({ user: 'ALICE' })).toEqual(['e3', 'e1']);
          expect(await search({ user: 'alice', host: 'dc01' })).toEqual(['e3']);
          expect(await search({ user: 'ali' })).toEqual([]);
        });

        it('filters on original fields by fields.<name>, ignoring case', async () => {
          const f = (field: string, value: string) => search({ filters: [{ field, value }] });
          expect(await f('fields.EventID', '4688')).toEqual(['e1']);
          expect(
            await f(
              'fields.NewProcessName',
              'c:\\windows\\system32\\windowspowershell\\v1.0\\POWERSHELL.EXE',
            ),
          ).toEqual(['e1']);
          expect(await f('fields.NewProcessName', 'powershell.exe')).toEqual([]);
          expect(await f('fields.Process Command Line', 'POWERSHELL -ENC SQBFAFGA')).toEqual([
            'e1',
          ]);
          expect(await f('fields.odd.key "q"', 'SAY "HI"')).toEqual(['e1']);
          expect(await f('fields.Tags', 'BETA')).toEqual(['e1']);
          expect(await f('fields.Elevated', 'true')).toEqual(['e1']);
          expect(await f('fields.User', 'corp\\bob')).toEqual(['e2']);
          expect(await f('fields.LogonType', '3')).toEqual(['e3']);
          expect(await f('fields.Missing', '3')).toEqual([]);
          expect(await f('EventID', '4688')).toEqual([]);
        });

        it('filters on entity fields by their ECS name, ignoring case', async () => {
          const f = (field: string, value: string) => search({ filters: [{ field, value }] });
          expect(await f('host.name', 'ws02')).toEqual(['e2']);
          expect(await f('user.name', 'Alice')).toEqual(['e3', 'e1']);
          expect(await f('process.pid', '4242')).toEqual(['e1']);
          expect(await f('source.ip', '10.0.0.7')).toEqual(['e2']);
          expect(await f('fields.host.name', 'ws02')).toEqual([]);
          expect(
            await search({
              filters: [
                { field: 'user.name', value: 'alice' },
                { field: 'fields.EventID', value: '4624' },
              ],
            }),
          ).toEqual(['e3']);
        });

        it('matches text as a case-insensitive substring of field and entity values', async () => {
          expect(await search({ text: 'POWERSHELL' })).toEqual(['e1']);
          expect(await search({ text: 'system32\\windowspowershell' })).toEqual(['e1']);
          expect(await search({ text: 'corp\\bob' })).toEqual(['e2']);
          expect(await search({ text: 'accepted PASSWORD' })).toEqual(['e4']);
          expect(await search({ text: '10.0.0' })).toEqual(['e2']);
          expect(await search({ text: '4242' })).toEqual(['e1']);
          expect(await search({ text: 'alph' })).toEqual(['e1']);
          expect(await search({ text: 'dc01' })).toEqual(['e3']);
          expect(await search({ text: 'NewProcessName' })).toEqual([]);
          expect(await search({ text: 'nothing like this' })).toEqual([]);
          expect(await search({ text: 'alice', host: 'dc01' })).toEqual(['e3']);
          expect(await search({ text: '"HI"' })).toEqual(['e1']);
          expect(await search({ text: 'odd.key' })).toEqual([]);
        });

        it('rejects a cursor it did not issue', async () => {
          await rejectsWith(store.searchEvents({ tenant: 'a', cursor: 'garbage!' }), 'BAD_REQUEST');
          await rejectsWith(
            store.searchEvents({
              tenant: 'a',
              cursor: Buffer.from('{"a":1}').toString('base64url'),
            }),
            'BAD_REQUEST',
          );
        });
      });

      it('pages search results without repeating or skipping, ties included', async () => {
        const batch = Array.from({ length: 23 }, (_, i) =>
          event('a', `e${String(i).padStart(2, '0')}`, T0 + Math.floor(i / 4) * MINUTE, {
            host: i % 2 ? 'odd' : 'even',
          }),
        );
        batch.push(event('b', 'b0', T0));
        const stored = await store.appendEvents(batch);
        const expected = stored
          .filter((e) => e.tenant === 'a')
          .sort((x, y) => y.ts - x.ts || y.seq - x.seq)
          .map((e) => e.id);

        for (const limit of [1, 5, 7, 23, 100]) {
          const pages = await allPages((cursor) =>
            store.searchEvents({ tenant: 'a', limit, ...(cursor ? { cursor } : {}) }),
          );
          expect(pages.flat().map((e) => e.id)).toEqual(expected);
          expect(pages.length).toBe(Math.max(1, Math.ceil(23 / limit)));
          for (const page of pages) expect(page.length).toBeLessThanOrEqual(limit);
        }
        const odd = await allPages((cursor) =>
          store.searchEvents({
            tenant: 'a',
            host: 'ODD',
            from: T0 + MINUTE,
            limit: 3,
            ...(cursor ? { cursor } : {}),
          }),
        );
        expect(odd.flat().map((e) => e.id)).toEqual(
          stored
            .filter((e) => e.tenant === 'a' && e.host === 'odd' && e.ts >= T0 + MINUTE)
            .sort((x, y) => y.ts - x.ts || y.seq - x.seq)
            .map((e) => e.id),
        );
      });

      it('uses 100 as the default page size and 1000 as the most', async () => {
        await store.appendEvents(
          Array.from({ length: 1005 }, (_, i) => event('a', `e${i}`, T0 + i)),
        );
        const first = await store.searchEvents({ tenant: 'a' });
        expect(first.items.length).toBe(100);
        expect(first.next).toBeDefined();
        const big = await store.searchEvents({ tenant: 'a', limit: 5000 });
        expect(big.items.length).toBe(1000);
        const rest = await store.searchEvents({
          tenant: 'a',
          limit: 1000,
          cursor: defined(big.next),
        });
        expect(rest.items.map((e) => e.id)).toEqual(['e4', 'e3', 'e2', 'e1', 'e0']);
        expect(rest.next).toBeUndefined();
      });
    });

    describe('cursors', () => {
      it('reads 0 for an unknown cursor and keeps the last value set', async () => {
        expect(await store.getCursor('detect')).toBe(0);
        await store.setCursor('detect', 42);
        await store.setCursor('other', 7);
        expect(await store.getCursor('detect')).toBe(42);
        await store.setCursor('detect', 43);
        expect(await store.getCursor('detect')).toBe(43);
        expect(await store.getCursor('other')).toBe(7);
      });
    });

    describe('alerts', () => {
      it('inserts idempotently on (tenant, id) and returns only the new alerts', async () => {
        const a1 = alert('a', 'x1', T0, {
          kind: 'correlation',
          group: { 'host.name': 'WS01' },
          eventIds: ['e1', 'e2'],
          rule: {
            id: 'corr-1',
            name: 'brute',
            title: 'Brute force',
            level: 'critical',
            tags: [],
            description: 'many failures',
            falsepositives: ['none'],
          },
          level: 'critical',
        });
        const a2 = without(alert('a', 'x2', T0 + 1), 'host', 'user');
        expect(await store.insertAlerts([a1, a2])).toEqual([a1, a2]);
        expect(await store.insertAlerts([a1, { ...a2, status: 'closed' }])).toEqual([]);
        const b1 = alert('b', 'x1', T0);
        expect(await store.insertAlerts([b1, b1])).toEqual([b1]);
        expect(await store.getAlert('a', 'x1')).toEqual(a1);
        expect(await store.getAlert('a', 'x2')).toEqual(a2);
        expect('host' in defined(await store.getAlert('a', 'x2'))).toBe(false);
        expect('group' in defined(await store.getAlert('b', 'x1'))).toBe(false);
        expect(await store.getAlert('b', 'x2')).toBeUndefined();
        expect(await store.getAlert('c', 'x1')).toBeUndefined();
        expect(await store.insertAlerts([])).toEqual([]);
      });

      describe('listing', () => {
        beforeEach(async () => {
          await store.insertAlerts([
            alert('a', 'a1', T0, { level: 'low', host: 'WS01' }),
            alert('a', 'a2', T0 + MINUTE, { level: 'medium', host: 'WS02' }),
            alert('a', 'a3', T0 + 2 * MINUTE, {
              level: 'critical',
              rule: { id: 'rule-2', title: 'Other', level: 'critical', tags: [] },
              status: 'acknowledged',
            }),
            alert('a', 'a4', T0 + 3 * MINUTE, { level: 'informational', status: 'closed' }),
            alert('b', 'b1', T0 + MINUTE, { level: 'high' }),
            alert('c', 'c1', T0 + MINUTE, { level: 'high' }),
          ]);
        });
        const list = async (q: Partial<AlertQuery>): Promise<string[]> =>
          ids((await store.listAlerts({ tenants: ['a'], limit: 1000, ...q })).items);

        it('returns only the listed tenants, newest first', async () => {
          expect(await list({})).toEqual(['a4', 'a3', 'a2', 'a1']);
          expect(await list({ tenants: ['b', 'c'] })).toEqual(['c1', 'b1']);
          expect(await list({ tenants: ['a', 'b'] })).toEqual(['a4', 'a3', 'b1', 'a2', 'a1']);
          expect(await list({ tenants: [] })).toEqual([]);
          expect(await list({ tenants: ['nobody'] })).toEqual([]);
        });

        it('filters by time, minimum level, rule, host and status', async () => {
          expect(await list({ from: T0 + MINUTE, to: T0 + 3 * MINUTE })).toEqual(['a3', 'a2']);
          expect(await list({ level: 'medium' })).toEqual(['a3', 'a2']);
          expect(await list({ level: 'informational' })).toEqual(['a4', 'a3', 'a2', 'a1']);
          expect(await list({ level: 'critical' })).toEqual(['a3']);
          expect(await list({ level: 'high', tenants: ['a', 'b'] })).toEqual(['a3', 'b1']);
          expect(await list({ ruleId: 'rule-2' })).toEqual(['a3']);
          expect(await list({ ruleId: 'rule-1', level: 'low' })).toEqual(['a2', 'a1']);
          expect(await list({ host: 'ws02' })).toEqual(['a2']);
          expect(await list({ status: 'new' })).toEqual(['a2', 'a1']);
          expect(await list({ status: 'closed' })).toEqual(['a4']);
        });
      });

      it('pages newest first by ts then id without repeating or skipping', async () => {
        const batch: Alert[] = [];
        for (let i = 0; i < 18; i++) {
          const id = `x${Math.floor(i / 2) % 4}`;
          batch.push(alert(i % 2 ? 'a' : 'b', id, T0 + Math.floor(i / 6) * MINUTE));
        }
        const inserted = await store.insertAlerts(batch);
        const want = [...inserted].sort(alertsNewestFirst).map((a) => `${a.tenant}/${a.id}`);
        expect(new Set(want).size).toBe(inserted.length);
        for (const limit of [1, 4, 100]) {
          const pages = await allPages((cursor) =>
            store.listAlerts({ tenants: ['a', 'b'], limit, ...(cursor ? { cursor } : {}) }),
          );
          expect(pages.flat().map((a) => `${a.tenant}/${a.id}`)).toEqual(want);
        }
        const onlyB = await allPages((cursor) =>
          store.listAlerts({ tenants: ['b'], limit: 2, ...(cursor ? { cursor } : {}) }),
        );
        expect(onlyB.flat().every((a) => a.tenant === 'b')).toBe(true);
        expect(onlyB.flat().length).toBe(inserted.filter((a) => a.tenant === 'b').length);
        await rejectsWith(store.listAlerts({ tenants: ['a'], cursor: 'nope' }), 'BAD_REQUEST');
      });

      it('lists and pages over many tenants at once', async () => {
        const tenants = Array.from({ length: 40 }, (_, i) => `t${String(i).padStart(2, '0')}`);
        const inserted = await store.insertAlerts(
          tenants.flatMap((t, i) => [
            alert(t, 'same', T0),
            alert(t, `own-${t}`, T0 - i * MINUTE, { status: i % 3 ? 'new' : 'closed' }),
          ]),
        );
        await store.insertAlerts([alert('other', 'same', T0 + MINUTE)]);
        const key = (a: Alert) => `${a.tenant}/${a.id}`;
        const order = (list: readonly Alert[]) => [...list].sort(alertsNewestFirst).map(key);
        for (const subset of [tenants, tenants.slice(0, 5), [tenants[7] ?? '', 'nobody']]) {
          const want = order(inserted.filter((a) => subset.includes(a.tenant)));
          const pages = await allPages((cursor) =>
            store.listAlerts({ tenants: subset, limit: 7, ...(cursor ? { cursor } : {}) }),
          );
          expect(pages.flat().map(key)).toEqual(want);
          const closed = await allPages((cursor) =>
            store.listAlerts({
              tenants: subset,
              status: 'closed',
              limit: 3,
              ...(cursor ? { cursor } : {}),
            }),
          );
          expect(closed.flat().map(key)).toEqual(
            order(inserted.filter((a) => subset.includes(a.tenant) && a.status === 'closed')),
          );
        }
      });

      it('sets the status only of the tenant own alert', async () => {
        await store.insertAlerts([alert('a', 'x1', T0), alert('b', 'x2', T0)]);
        expect(await store.setAlertStatus('a', 'x2', 'closed')).toBeUndefined();
        expect((await store.getAlert('b', 'x2'))?.status).toBe('new');
        const updated = await store.setAlertStatus('b', 'x2', 'acknowledged');
        expect(updated).toEqual(alert('b', 'x2', T0, { status: 'acknowledged' }));
        expect(await store.getAlert('b', 'x2')).toEqual(updated);
        expect((await store.getAlert('a', 'x1'))?.status).toBe('new');
        expect(await store.setAlertStatus('a', 'nope', 'closed')).toBeUndefined();
      });
    });

    describe('exceptions', () => {
      it('creates, lists, reads and deletes within the tenant', async () => {
        const x1 = exception('a', 'x1', { expiresAt: T0 + 86_400_000 });
        const x2 = without(exception('a', 'x2', { createdAt: T0 + 1 }), 'ruleId');
        const b1 = exception('b', 'x1', { reason: 'other tenant' });
        await store.createException(x2);
        await store.createException(x1);
        await store.createException(b1);
        await rejectsWith(store.createException(exception('a', 'x1')), 'CONFLICT');

        expect(await store.listExceptions('a')).toEqual([x1, x2]);
        expect(await store.listExceptions('b')).toEqual([b1]);
        expect(await store.listExceptions('c')).toEqual([]);
        expect(await store.getException('a', 'x2')).toEqual(x2);
        expect(await store.getException('b', 'x2')).toBeUndefined();

        expect(await store.deleteException('b', 'x2')).toBe(false);
        expect(await store.deleteException('a', 'x1')).toBe(true);
        expect(await store.deleteException('a', 'x1')).toBe(false);
        expect(await store.getException('a', 'x1')).toBeUndefined();
        expect(await store.getException('b', 'x1')).toEqual(b1);
      });

      it('counts hits and the last hit time per tenant', async () => {
        await store.createException(exception('a', 'x1'));
        await store.createException(exception('b', 'x1'));
        await store.recordExceptionHits('a', 'x1', 3, T0 + 10);
        await store.recordExceptionHits('a', 'x1', 2, T0 + 20);
        await store.recordExceptionHits('a', 'nope', 2, T0 + 20);
        expect(await store.getException('a', 'x1')).toEqual(
          exception('a', 'x1', { hits: 5, lastHitAt: T0 + 20 }),
        );
        expect(await store.getException('b', 'x1')).toEqual(exception('b', 'x1'));
      });
    });

    describe('uploaded rules', () => {
      it('saves (replacing by tenant and id), lists, lists all and deletes within the tenant', async () => {
        const r = (t: string, id: string, yaml = `title: ${id}\n`, createdAt = T0) => ({
          id,
          tenant: t,
          yaml,
          author: 'alice',
          createdAt,
        });
        await store.saveRule(r('a', 'r2', undefined, T0 + 1));
        await store.saveRule(r('a', 'r1'));
        await store.saveRule(r('b', 'r1', 'title: b\n'));
        await store.saveRule(r('a', 'r1', 'title: r1 v2\n'));
        expect(await store.listRules('a')).toEqual([
          r('a', 'r1', 'title: r1 v2\n'),
          r('a', 'r2', undefined, T0 + 1),
        ]);
        expect(await store.listRules('b')).toEqual([r('b', 'r1', 'title: b\n')]);
        expect(await store.listRules('c')).toEqual([]);
        const every = await store.listAllRules();
        expect(every.map((x) => `${x.tenant}/${x.id}`).sort()).toEqual(['a/r1', 'a/r2', 'b/r1']);

        expect(await store.deleteRule('b', 'r2')).toBe(false);
        expect(await store.deleteRule('a', 'r1')).toBe(true);
        expect(await store.deleteRule('a', 'r1')).toBe(false);
        expect(ids(await store.listRules('a'))).toEqual(['r2']);
        expect(ids(await store.listRules('b'))).toEqual(['r1']);
      });
    });

    describe('audit', () => {
      const entry = (t: string, target: string, detail: Record<string, unknown> = {}) => ({
        tenant: t,
        ts: T0,
        actor: 'user:root',
        action: 'user.create',
        target,
        detail,
      });

      it('chains each row to the previous one with sha256 over canonical JSON', async () => {
        const first = await store.appendAudit(
          entry('a', 'u1', { b: 1, a: { d: [1, 'x'], c: null }, skipped: undefined }),
        );
        const canonical =
          '{"action":"user.create","actor":"user:root","detail":{"a":{"c":null,"d":[1,"x"]},"b":1},' +
          `"target":"u1","tenant":"a","ts":${T0}}`;
        expect(first.prevHash).toBe(ZERO_HASH);
        expect(first.hash).toBe(
          createHash('sha256')
            .update(ZERO_HASH + canonical)
            .digest('hex'),
        );
        expect(first.detail).toEqual({ b: 1, a: { d: [1, 'x'], c: null } });
        const second = await store.appendAudit(entry(PROVIDER_TENANT, 'a', { name: 'Ünïcode' }));
        expect(second.seq).toBeGreaterThan(first.seq);
        expect(second.prevHash).toBe(first.hash);
        expect(second.hash).toBe(
          createHash('sha256')
            .update(
              first.hash +
                `{"action":"user.create","actor":"user:root","detail":{"name":"Ünïcode"},"target":"a","tenant":"${PROVIDER_TENANT}","ts":${T0}}`,
            )
            .digest('hex'),
        );
        expect(await store.verifyAudit()).toBeUndefined();
      });

      it('lists the given tenants newest first, up to the limit', async () => {
        const rows = [];
        for (const [t, target] of [
          ['a', 'x1'],
          ['b', 'x2'],
          ['a', 'x3'],
          [PROVIDER_TENANT, 'x4'],
          ['a', 'x5'],
        ] as const) {
          rows.push(await store.appendAudit(entry(t, target, { n: target })));
        }
        expect(await store.listAudit(['a'])).toEqual([rows[4], rows[2], rows[0]]);
        expect(await store.listAudit(['a'], 2)).toEqual([rows[4], rows[2]]);
        expect((await store.listAudit(['b', PROVIDER_TENANT])).map((r) => r.target)).toEqual([
          'x4',
          'x2',
        ]);
        expect(await store.listAudit([])).toEqual([]);
      });

      it('keeps one intact chain under concurrent appends', async () => {
        const rows = await Promise.all(
          Array.from({ length: 20 }, (_, i) =>
            store.appendAudit(entry(i % 2 ? 'a' : 'b', `t${i}`)),
          ),
        );
        const bySeq = [...rows].sort((x, y) => x.seq - y.seq);
        expect(nth(bySeq, 0).prevHash).toBe(ZERO_HASH);
        for (let i = 1; i < bySeq.length; i++)
          expect(nth(bySeq, i).prevHash).toBe(nth(bySeq, i - 1).hash);
        expect(await store.verifyAudit()).toBeUndefined();
      });

      it.skipIf(tamper === undefined)(
        'finds the first broken row after a row is changed (needs the implementation tamper hook)',
        async () => {
          expect(await store.verifyAudit()).toBeUndefined();
          const rows = [];
          for (let i = 0; i < 4; i++) rows.push(await store.appendAudit(entry('a', `t${i}`)));
          expect(await store.verifyAudit()).toBeUndefined();
          await tamper?.(store, nth(rows, 2).seq, 'edit');
          expect(await store.verifyAudit()).toBe(nth(rows, 2).seq);
          await tamper?.(store, nth(rows, 1).seq, 'edit');
          expect(await store.verifyAudit()).toBe(nth(rows, 1).seq);
        },
      );

      it.skipIf(tamper === undefined)(
        'finds the row after a deleted one (needs the implementation tamper hook)',
        async () => {
          const rows = [];
          for (let i = 0; i < 4; i++) rows.push(await store.appendAudit(entry('a', `t${i}`)));
          await tamper?.(store, nth(rows, 1).seq, 'delete');
          expect(await store.verifyAudit()).toBe(nth(rows, 2).seq);
        },
      );
    });

    describe('retention', () => {
      it('purges only the tenant old events and alerts, and seq keeps growing', async () => {
        const stored = await store.appendEvents([
          event('a', 'old1', T0 - 10 * MINUTE),
          event('a', 'old2', T0 - MINUTE),
          event('a', 'new1', T0),
          event('b', 'old1', T0 - 10 * MINUTE),
          event('a', 'old3', T0 - 5 * MINUTE),
        ]);
        await store.insertAlerts([
          alert('a', 'x1', T0 - 100 * MINUTE),
          alert('a', 'x2', T0 - MINUTE),
          alert('b', 'x1', T0 - 100 * MINUTE),
        ]);
        expect(await store.purge('a', T0, T0 - 10 * MINUTE)).toEqual({ events: 3, alerts: 1 });
        expect(ids(await store.getEvents('a', ['old1', 'old2', 'old3', 'new1']))).toEqual(['new1']);
        expect(ids(await store.getEvents('b', ['old1']))).toEqual(['old1']);
        expect((await store.eventsAfter(0, 100)).map((e) => `${e.tenant}/${e.id}`)).toEqual([
          'a/new1',
          'b/old1',
        ]);
        expect(await store.getAlert('a', 'x1')).toBeUndefined();
        expect(await store.getAlert('a', 'x2')).toBeDefined();
        expect(await store.getAlert('b', 'x1')).toBeDefined();
        expect(await store.purge('a', T0, T0 - 10 * MINUTE)).toEqual({ events: 0, alerts: 0 });

        const again = await store.appendEvents([event('a', 'late', T0)]);
        expect(nth(again, 0).seq).toBeGreaterThan(nth(stored, -1).seq);
      });

      it('purges more rows than one delete chunk', async () => {
        await store.appendEvents(
          Array.from({ length: 12_345 }, (_, i) => event('a', `e${i}`, T0 - i)),
        );
        await store.appendEvents([event('b', 'keep', T0 - 20_000)]);
        expect(await store.purge('a', T0 + 1, 0)).toEqual({ events: 12_345, alerts: 0 });
        expect(await store.countEvents('a')).toBe(0);
        expect(await store.countEvents('b')).toBe(1);
      });
    });

    describe('incidents', () => {
      const incident = (
        t: string,
        id: string,
        score: number,
        over: Partial<IncidentRecord> = {},
        alertIds: string[] = [`${id}-a1`],
      ): IncidentRecord & { alertIds: string[] } => ({
        id,
        tenant: t,
        title: `Incident ${id}`,
        score,
        severity: score >= 75 ? 'critical' : score >= 55 ? 'high' : score >= 35 ? 'medium' : 'low',
        level: 'high',
        firstTs: T0,
        lastTs: T0 + score * MINUTE,
        alertCount: alertIds.length,
        hosts: ['ws-01'],
        techniques: ['T1059.001'],
        keys: [`rule:r-${id}`],
        doc: { narrative: { en: `story of ${id}` } },
        updatedAt: T0,
        alertIds,
        ...over,
      });

      it('lists the queue by score with filters, total and pages, per tenant', async () => {
        await store.saveIncidents(
          'a',
          [
            incident('a', 'i1', 40),
            incident('a', 'i2', 90, { hosts: ['DC-01'], techniques: ['T1003.001'] }),
            incident('a', 'i3', 60),
          ],
          T0,
        );
        await store.saveIncidents('b', [incident('b', 'j1', 99)], T0);
        const page = await store.listIncidents({ tenants: ['a'] });
        expect(page.items.map((i) => i.record.id)).toEqual(['i2', 'i3', 'i1']);
        expect(page.total).toBe(3);
        expect(page.next).toBeUndefined();
        expect(nth(page.items, 0).case).toMatchObject({ status: 'new', tags: [], reopened: 0 });
        expect(nth(page.items, 0).record.hosts).toEqual(['dc-01']);

        const both = await store.listIncidents({ tenants: ['a', 'b'], limit: 2 });
        expect(both.items.map((i) => i.record.id)).toEqual(['j1', 'i2']);
        expect(both.total).toBe(4);
        const rest = await store.listIncidents({
          tenants: ['a', 'b'],
          limit: 2,
          ...(both.next === undefined ? {} : { cursor: both.next }),
        });
        expect(rest.items.map((i) => i.record.id)).toEqual(['i3', 'i1']);
        expect(rest.next).toBeUndefined();

        expect(
          (await store.listIncidents({ tenants: ['a'], host: 'dc-01' })).items.map(
            (i) => i.record.id,
          ),
        ).toEqual(['i2']);
        expect(
          (await store.listIncidents({ tenants: ['a'], technique: 'T1003' })).items.map(
            (i) => i.record.id,
          ),
        ).toEqual(['i2']);
        expect(
          (await store.listIncidents({ tenants: ['a'], severities: ['high', 'medium'] })).total,
        ).toBe(2);
        expect((await store.listIncidents({ tenants: [] })).total).toBe(0);
        await rejectsWith(store.listIncidents({ tenants: ['a'], cursor: 'nope' }), 'BAD_REQUEST');
        await rejectsWith(
          store.listIncidents({ tenants: ['a'], statuses: ['done' as 'new'] }),
          'BAD_REQUEST',
        );
      });

      it('keeps the case when the computed part is saved again, and filters on case fields', async () => {
        await store.saveIncidents('a', [incident('a', 'i1', 40)], T0);
        const c = await store.updateIncidentCase('a', 'i1', {
          status: 'investigating',
          assignee: 'alice',
          determination: 'incident',
          tags: ['ransomware'],
          acknowledgedAt: T0 + MINUTE,
          updatedAt: T0 + MINUTE,
        });
        expect(c).toMatchObject({
          status: 'investigating',
          assignee: 'alice',
          determination: 'incident',
          tags: ['ransomware'],
          acknowledgedAt: T0 + MINUTE,
          createdAt: T0,
        });
        await store.saveIncidents(
          'a',
          [incident('a', 'i1', 70, { title: 'Bigger' })],
          T0 + 5 * MINUTE,
        );
        const got = await store.getIncident('a', 'i1');
        expect(got?.record).toMatchObject({
          title: 'Bigger',
          score: 70,
          doc: { narrative: { en: 'story of i1' } },
        });
        expect(got?.case).toMatchObject({
          status: 'investigating',
          assignee: 'alice',
          createdAt: T0,
        });
        expect(await store.getIncident('b', 'i1')).toBeUndefined();
        expect(
          await store.updateIncidentCase('b', 'i1', { status: 'resolved', updatedAt: T0 }),
        ).toBeUndefined();

        expect((await store.listIncidents({ tenants: ['a'], assignee: 'ALICE' })).total).toBe(1);
        expect((await store.listIncidents({ tenants: ['a'], assignee: '' })).total).toBe(0);
        expect((await store.listIncidents({ tenants: ['a'], statuses: ['new'] })).total).toBe(0);
        const cleared = await store.updateIncidentCase('a', 'i1', {
          assignee: null,
          determination: null,
          updatedAt: T0 + 9 * MINUTE,
        });
        expect(cleared?.assignee).toBeUndefined();
        expect(cleared?.determination).toBeUndefined();
        expect(cleared?.status).toBe('investigating');
      });

      it('maps alerts to one incident, moves them, retires merged incidents', async () => {
        await store.saveIncidents(
          'a',
          [incident('a', 'i1', 40, {}, ['x1', 'x2']), incident('a', 'i2', 50, {}, ['x3'])],
          T0,
        );
        expect([...(await store.incidentsOfAlerts('a', ['x1', 'x3', 'zz']))].sort()).toEqual([
          ['x1', 'i1'],
          ['x3', 'i2'],
        ]);
        expect(await store.incidentsOfAlerts('b', ['x1'])).toEqual(new Map());
        await store.saveIncidents('a', [incident('a', 'i1', 60, {}, ['x1', 'x2', 'x3'])], T0);
        await store.retireIncident('a', 'i2', 'i1', T0 + MINUTE);
        expect(await store.incidentAlertIds('a', 'i1')).toEqual(['x1', 'x2', 'x3']);
        expect(await store.incidentAlertIds('a', 'i2')).toEqual([]);
        const merged = await store.getIncident('a', 'i2');
        expect(merged?.record).toBeUndefined();
        expect(merged?.case.mergedInto).toBe('i1');
        expect(
          (await store.listIncidents({ tenants: ['a'] })).items.map((i) => i.record.id),
        ).toEqual(['i1']);
        // Grouping may split it out again: saving revives it.
        await store.saveIncidents('a', [incident('a', 'i2', 50, {}, ['x3'])], T0 + 2 * MINUTE);
        expect((await store.getIncident('a', 'i2'))?.case.mergedInto).toBeUndefined();
      });

      it('finds similar incidents by shared keys, most shared first, within the tenant', async () => {
        await store.saveIncidents(
          'a',
          [
            incident('a', 'i1', 40, { keys: ['rule:r1', 'user:bob', 'hash:abc'] }),
            incident('a', 'i2', 40, { keys: ['rule:r1', 'user:bob'] }),
            incident('a', 'i3', 40, { keys: ['rule:r1'] }),
            incident('a', 'i4', 40, { keys: ['rule:r9'] }),
          ],
          T0,
        );
        await store.saveIncidents(
          'b',
          [incident('b', 'i5', 40, { keys: ['rule:r1', 'user:bob'] })],
          T0,
        );
        expect(await store.similarIncidents('a', 'i1', 10)).toEqual([
          { id: 'i2', shared: ['rule:r1', 'user:bob'] },
          { id: 'i3', shared: ['rule:r1'] },
        ]);
      });

      it('keeps notes, evidence, pins and tenant settings per tenant', async () => {
        await store.saveIncidents('a', [incident('a', 'i1', 40)], T0);
        await store.addIncidentNote({
          tenant: 'a',
          incident: 'i1',
          id: 'n2',
          author: 'bob',
          ts: T0 + 2,
          text: 'second',
        });
        await store.addIncidentNote({
          tenant: 'a',
          incident: 'i1',
          id: 'n1',
          author: 'al',
          ts: T0 + 1,
          text: 'first',
        });
        expect((await store.listIncidentNotes('a', 'i1')).map((n) => n.text)).toEqual([
          'first',
          'second',
        ]);
        expect(await store.listIncidentNotes('b', 'i1')).toEqual([]);
        await store.addIncidentEvidence({
          tenant: 'a',
          incident: 'i1',
          id: 'v1',
          author: 'al',
          ts: T0,
          kind: 'hash',
          ref: 'abc',
          note: 'dropper',
        });
        expect(await store.listIncidentEvidence('a', 'i1')).toEqual([
          {
            tenant: 'a',
            incident: 'i1',
            id: 'v1',
            author: 'al',
            ts: T0,
            kind: 'hash',
            ref: 'abc',
            note: 'dropper',
          },
        ]);
        await store.pinAlerts('a', 'i1', ['x1', 'x2']);
        await store.pinAlerts('a', 'i9', ['x2']);
        expect(await store.listPins('a')).toEqual(
          new Map([
            ['x1', 'i1'],
            ['x2', 'i9'],
          ]),
        );
        expect(await store.listPins('a', ['x2'])).toEqual(new Map([['x2', 'i9']]));
        expect(await store.listPins('b')).toEqual(new Map());
        expect(await store.getTenantSetting('a', 'sla')).toBeUndefined();
        await store.setTenantSetting('a', 'sla', { high: { acknowledgeMin: 30 } });
        await store.setTenantSetting('a', 'sla', { high: { acknowledgeMin: 20 } });
        expect(await store.getTenantSetting('a', 'sla')).toEqual({ high: { acknowledgeMin: 20 } });
        expect(await store.getTenantSetting('b', 'sla')).toBeUndefined();
      });
    });

    describe('close', () => {
      it('rejects calls after close with STORE, and closing twice is harmless', async () => {
        await store.createTenant(tenant('a'));
        await store.close();
        await store.close();
        await rejectsWith(store.getTenant('a'), 'STORE');
        await rejectsWith(store.appendEvents([event('a', 'e1', T0)]), 'STORE');
      });
    });
  });
}
