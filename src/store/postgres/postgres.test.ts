/** The PostgreSQL store against the real server: the shared contract, one fresh schema per test, plus what only PostgreSQL has. */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VigilError, type NewEvent } from '../../core/index.ts';
import { describeStoreContract } from '../contract.ts';
import { openPostgresStore, type PostgresStore } from './index.ts';
import { MIGRATIONS } from './schema.ts';

/** The development and CI server (trust auth); `VIGIL_TEST_PG` points elsewhere. */
const URL = process.env['VIGIL_TEST_PG'] ?? 'postgres://postgres@127.0.0.1:5432/test';

let admin: pg.Client;
const schemas = new Set<string>();

beforeAll(async () => {
  admin = new pg.Client({ connectionString: URL });
  await admin.connect();
});

afterAll(async () => {
  for (const schema of schemas) await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await admin.end();
});

function newSchema(): string {
  const schema = `vigil_test_${randomBytes(6).toString('hex')}`;
  schemas.add(schema);
  return schema;
}

async function dropSchema(store: PostgresStore): Promise<void> {
  await admin.query(`DROP SCHEMA IF EXISTS ${store.schema} CASCADE`);
  schemas.delete(store.schema);
}

async function tamper(store: PostgresStore, seq: number, how: 'edit' | 'delete'): Promise<void> {
  const sql =
    how === 'edit'
      ? `UPDATE audit SET detail = (detail::jsonb || '{"tampered": 1}')::text WHERE seq = $1`
      : 'DELETE FROM audit WHERE seq = $1';
  const result = await store.pool.query(sql, [seq]);
  expect(result.rowCount).toBe(1);
}

describeStoreContract(
  'postgres',
  () => openPostgresStore({ connection: URL, schema: newSchema(), poolSize: 4 }),
  dropSchema,
  tamper,
);

const T0 = Date.UTC(2026, 0, 5, 8, 0, 0);

function event(tenant: string, id: string, over: Partial<NewEvent> = {}): NewEvent {
  return {
    id,
    tenant,
    ts: T0,
    receivedAt: T0,
    source: {},
    format: 'ecs',
    receiver: 'ingest',
    fields: { message: id },
    entities: {},
    ...over,
  };
}

describe('PostgreSQL store', () => {
  it('keeps data across reopen and migrates once', async () => {
    const schema = newSchema();
    const first = await openPostgresStore({ connection: URL, schema });
    expect(first.schemaVersion).toBe(MIGRATIONS.at(-1)!.version);
    const [stored] = await first.appendEvents([event('a', 'e1')]);
    await first.setCursor('detect', stored!.seq);
    await first.close();
    for (let i = 0; i < 2; i++) {
      const again = await openPostgresStore({ connection: URL, schema });
      expect(await again.getEvents('a', ['e1'])).toEqual([stored]);
      expect(await again.getCursor('detect')).toBe(stored!.seq);
      const { rows } = await again.pool.query(
        'SELECT version FROM schema_version ORDER BY version',
      );
      expect(rows).toEqual(MIGRATIONS.map((m) => ({ version: m.version })));
      await again.close();
    }
  });

  it('numbers migrations 1, 2, 3… in order', () => {
    expect(MIGRATIONS.map((m) => m.version)).toEqual(MIGRATIONS.map((_, i) => i + 1));
  });

  it('refuses a schema written by a newer Vigil', async () => {
    const schema = newSchema();
    const store = await openPostgresStore({ connection: URL, schema });
    await store.pool.query("INSERT INTO schema_version VALUES (999, 'future', 0)");
    await store.close();
    await expect(openPostgresStore({ connection: URL, schema })).rejects.toThrow(
      /schema version 999/,
    );
  });

  it('fails with STORE naming the server when it cannot connect', async () => {
    const err: unknown = await openPostgresStore({
      connection: 'postgres://postgres@127.0.0.1:1/test',
      schema: 'vigil_unreachable',
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VigilError);
    expect((err as VigilError).code).toBe('STORE');
    expect((err as VigilError).message).toContain('127.0.0.1:1/test');
  });

  it('refuses a schema name that is not a plain SQL name', async () => {
    await expect(
      openPostgresStore({ connection: URL, schema: 'x; DROP TABLE y' }),
    ).rejects.toMatchObject({ code: 'CONFIG' });
  });

  it('stores NUL characters as U+FFFD (PostgreSQL text cannot hold them)', async () => {
    const store = await openPostgresStore({ connection: URL, schema: newSchema() });
    try {
      await store.appendEvents([
        event('a', 'e1', { fields: { 'bad\0name': 'x\0y' }, entities: { 'host.name': 'h\0' } }),
      ]);
      const [back] = await store.getEvents('a', ['e1']);
      expect(back?.fields).toEqual({ 'bad\uFFFDname': 'x\uFFFDy' });
      expect(back?.entities).toEqual({ 'host.name': 'h\uFFFD' });
      const row = await store.appendAudit({
        tenant: 'a',
        ts: T0,
        actor: 'system',
        action: 'x',
        target: 'y',
        detail: { v: 'a\0b' },
      });
      expect(row.detail).toEqual({ v: 'a\uFFFDb' });
      expect(await store.verifyAudit()).toBeUndefined();
    } finally {
      await store.close();
      await dropSchema(store);
    }
  });

  it('orders seq by commit across two processes appending at once', async () => {
    const schema = newSchema();
    const one = await openPostgresStore({ connection: URL, schema });
    const two = await openPostgresStore({ connection: URL, schema });
    try {
      const calls = Array.from({ length: 12 }, (_, c) =>
        (c % 2 ? one : two).appendEvents(
          Array.from({ length: 300 }, (_, i) => event(c % 3 ? 'a' : 'b', `c${c}-${i}`)),
        ),
      );
      const batches = await Promise.all(calls);
      // The append lock makes each batch one unbroken run of seqs: no batch interleaves with another.
      for (const batch of batches) {
        const seqs = batch.map((e) => e.seq);
        expect(seqs.at(-1)! - seqs[0]!).toBe(seqs.length - 1);
      }
    } finally {
      await one.close();
      await two.close();
    }
  });
});
