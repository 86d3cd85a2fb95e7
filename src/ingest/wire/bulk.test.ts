import { describe, expect, it } from 'vitest';
import { toEvents } from './events.ts';
import {
  bulkItemError,
  bulkRecords,
  bulkResponse,
  ES_HEADERS,
  esError,
  esLicense,
  esProbe,
  esRootInfo,
  esXpack,
  parseBulk,
  type BulkItem,
} from './bulk.ts';

const lines = (...l: unknown[]): string =>
  l.map((x) => (typeof x === 'string' ? x : JSON.stringify(x))).join('\n');

function summary(items: readonly BulkItem[]): unknown[] {
  return items.map((i) => [i.action, i.index, i.id ?? null, i.line, i.record ?? i.issue?.code]);
}

describe('parseBulk', () => {
  it('reads index, create, update and delete, with and without a final newline', () => {
    const body = lines(
      { index: { _index: 'logs', _id: 'a1' } },
      { msg: 'one' },
      { create: { _index: 'filebeat-8.19.0' } },
      { msg: 'two' },
      { update: { _index: 'logs', _id: 'a1' } },
      { doc: { msg: 'three' }, doc_as_upsert: true },
      { delete: { _index: 'logs', _id: 'a1' } },
    );
    const expected = [
      ['index', 'logs', 'a1', 1, { msg: 'one' }],
      ['create', 'filebeat-8.19.0', null, 3, { msg: 'two' }],
      ['update', 'logs', 'a1', 5, { msg: 'three' }],
      ['delete', 'logs', 'a1', 7, undefined],
    ];
    expect(summary(parseBulk(body).items)).toEqual(expected);
    expect(summary(parseBulk(`${body}\n`).items)).toEqual(expected);
    expect(summary(parseBulk(body.replaceAll('\n', '\r\n')).items)).toEqual(expected);
  });

  it('takes the index from the URL when the action names none; numeric ids become text', () => {
    const r = parseBulk(lines({ index: { _id: 7 } }, { a: 1 }, { index: {} }, { b: 2 }), {
      defaultIndex: 'winlogbeat',
    });
    expect(summary(r.items)).toEqual([
      ['index', 'winlogbeat', '7', 1, { a: 1 }],
      ['index', 'winlogbeat', null, 3, { b: 2 }],
    ]);
    expect(parseBulk(lines({ index: {} }, { a: 1 })).items[0]?.issue?.code).toBe(
      'INGEST_BAD_REQUEST',
    );
  });

  it('an unreadable action line costs its item and its source line only', () => {
    const r = parseBulk(
      lines('{"index": {"_index": "x"', { lost: true }, { index: { _index: 'x' } }, { kept: 1 }),
    );
    expect(summary(r.items)).toEqual([
      ['index', '', null, 1, 'INGEST_BAD_REQUEST'],
      ['index', 'x', null, 3, { kept: 1 }],
    ]);
    expect(r.items[0]?.issue?.message).toContain('not valid JSON');
  });

  it('an unknown action whose next line is an action does not swallow it', () => {
    const r = parseBulk(
      lines({ upsert: { _index: 'x' } }, { create: { _index: 'x' } }, { kept: 2 }),
    );
    expect(summary(r.items)).toEqual([
      ['index', '', null, 1, 'INGEST_BAD_REQUEST'],
      ['create', 'x', null, 2, { kept: 2 }],
    ]);
  });

  it('a missing source line is reported and the next action still read', () => {
    const r = parseBulk(
      lines(
        { index: { _index: 'x' } },
        { index: { _index: 'x', _id: 'b' } },
        { ok: 1 },
        { create: { _index: 'x' } },
      ),
    );
    expect(summary(r.items)).toEqual([
      ['index', 'x', null, 1, 'INGEST_BAD_REQUEST'],
      ['index', 'x', 'b', 2, { ok: 1 }],
      ['create', 'x', null, 4, 'INGEST_BAD_REQUEST'],
    ]);
  });

  it('a bad source line is that item’s problem, with its line and column', () => {
    const deep = '{"a":'.repeat(100) + '1' + '}'.repeat(100);
    const r = parseBulk(
      lines(
        { index: { _index: 'x' } },
        '{"a": nope}',
        { index: { _index: 'x' } },
        deep,
        { index: { _index: 'x' } },
        '[1,2]',
        { index: { _index: 'x' } },
        { fine: true },
      ),
    );
    expect(summary(r.items)).toEqual([
      ['index', 'x', null, 1, 'READ_BAD_JSON'],
      ['index', 'x', null, 3, 'INGEST_TOO_DEEP'],
      ['index', 'x', null, 5, 'READ_BAD_JSON'],
      ['index', 'x', null, 7, { fine: true }],
    ]);
    expect(r.items[0]?.issue?.at).toMatchObject({ line: 2, col: 7 });
  });

  it('bulkRecords feeds toEvents; the shipper _id (scoped by index) makes the event id', () => {
    const { items } = parseBulk(
      lines(
        { index: { _index: 'a', _id: '1' } },
        { m: 1 },
        { delete: { _index: 'a', _id: '1' } },
        { create: { _index: 'b' } },
        { m: 2 },
      ),
    );
    const records = bulkRecords(items);
    expect(records.map((r) => [r.item, r.id ?? null])).toEqual([
      [0, 'a/1'],
      [2, null],
    ]);
    const opts = { tenant: 't', receiver: 'bulk', receivedAt: 0 };
    const again = parseBulk(lines({ index: { _index: 'a', _id: '1' } }, { m: 'changed' })).items;
    expect(toEvents(bulkRecords(again), opts).events[0]?.id).toBe(
      toEvents(records, opts).events[0]?.id,
    );
  });
});

describe('bulkResponse', () => {
  it('is the Elasticsearch bulk response, item by item', () => {
    const { items } = parseBulk(
      lines({ index: { _index: 'logs' } }, { a: 1 }, { create: { _index: 'ds' } }, '{bad', {
        delete: { _index: 'logs', _id: 'z' },
      }),
    );
    const results = [{ status: 201, id: 'e1' }, bulkItemError(items[1]!.issue!), { status: 404 }];
    const r = bulkResponse(items, results, 12.4);
    expect(r).toEqual({
      took: 12,
      errors: true,
      items: [
        {
          index: {
            _index: 'logs',
            _id: 'e1',
            _version: 1,
            result: 'created',
            _shards: { total: 1, successful: 1, failed: 0 },
            _seq_no: 0,
            _primary_term: 1,
            status: 201,
          },
        },
        {
          create: {
            _index: 'ds',
            _id: null,
            status: 400,
            error: {
              type: 'mapper_parsing_exception',
              reason: expect.stringContaining('line 4') as string,
              index: 'ds',
            },
          },
        },
        {
          delete: {
            _index: 'logs',
            _id: 'z',
            _version: 1,
            result: 'not_found',
            _shards: { total: 1, successful: 0, failed: 0 },
            _seq_no: 1,
            _primary_term: 1,
            status: 404,
          },
        },
      ],
    });
  });

  it('errors is false when every item succeeded; 429 items are errors shippers retry', () => {
    const { items } = parseBulk(lines({ index: { _index: 'x' } }, { a: 1 }));
    expect(bulkResponse(items, [{ status: 201 }], 1).errors).toBe(false);
    const busy = bulkResponse(
      items,
      [{ status: 429, error: { type: 'es_rejected_execution_exception', reason: 'queue full' } }],
      1,
    );
    expect(busy.errors).toBe(true);
    expect(busy.items[0]?.index?.status).toBe(429);
  });
});

describe('Elasticsearch probes', () => {
  it('GET / looks like an 8.x default-flavour cluster, stable for a cluster name', () => {
    const root = esRootInfo('vigil');
    expect(root).toMatchObject({
      cluster_name: 'vigil',
      tagline: 'You Know, for Search',
      version: { build_flavor: 'default', build_snapshot: false },
    });
    const version = (root['version'] as { number: string }).number;
    expect(Number(version.split('.')[0])).toBeGreaterThanOrEqual(8);
    expect(esRootInfo('vigil')).toEqual(root);
    expect(esRootInfo('other')['cluster_uuid']).not.toBe(root['cluster_uuid']);
    expect((esRootInfo('v', { version: '9.1.0' })['version'] as { number: string }).number).toBe(
      '9.1.0',
    );
  });

  it('license, xpack and headers', () => {
    expect(esLicense()).toMatchObject({ license: { type: 'basic', status: 'active' } });
    expect(esXpack()).toMatchObject({ features: { ilm: { available: true, enabled: true } } });
    expect(ES_HEADERS['X-elastic-product']).toBe('Elasticsearch');
  });

  it('answers set-up probes harmlessly and leaves other paths alone', () => {
    expect(esProbe('GET', '/')?.body).toEqual(esRootInfo('vigil'));
    expect(esProbe('HEAD', '/')).toEqual({ status: 200 });
    expect(esProbe('GET', '/_ilm/policy/filebeat')).toMatchObject({
      status: 404,
      body: { status: 404, error: { type: 'resource_not_found_exception' } },
    });
    expect(esProbe('HEAD', '/_index_template/filebeat-8.19.0')).toEqual({ status: 404 });
    expect(esProbe('PUT', '/_ingest/pipeline/filebeat-8.19.0-system-auth-pipeline')).toEqual({
      status: 200,
      body: { acknowledged: true },
    });
    expect(esProbe('PUT', '/_ilm/policy/filebeat/')?.status).toBe(200);
    expect(esProbe('GET', '/_license')?.body).toEqual(esLicense());
    expect(esProbe('GET', '/_cluster/health')?.body).toMatchObject({ status: 'green' });
    expect(esProbe('GET', '/logs/_search')).toBeUndefined();
    expect(esProbe('POST', '/_bulk')).toBeUndefined();
  });

  it('whole-request errors have the Elasticsearch shape', () => {
    expect(esError(429, 'es_rejected_execution_exception', 'queue full')).toEqual({
      error: {
        root_cause: [{ type: 'es_rejected_execution_exception', reason: 'queue full' }],
        type: 'es_rejected_execution_exception',
        reason: 'queue full',
      },
      status: 429,
    });
  });
});
