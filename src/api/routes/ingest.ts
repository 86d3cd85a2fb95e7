/**
 * Ingest over HTTP: Vigil's own `/api/v1/ingest` and file upload, the Elasticsearch `_bulk` API with the
 * probes shippers make at start, and the Splunk HTTP Event Collector. The tenant always comes from the
 * ingest key; an event is acknowledged only after the store has it.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { VigilError, type IngestKey, type Issue, type NewEvent } from '../../core/index.ts';
import {
  ACCEPTED_CODINGS,
  bulkItemError,
  bulkRecords,
  bulkResponse,
  decodeBody,
  decodeBytes,
  ES_HEADERS,
  esProbe,
  eventsFromRead,
  hecResponse,
  hecStatus,
  parseBulk,
  parseHecEvents,
  parseHecRaw,
  parseJsonRecords,
  readBytes,
  toEvents,
  unsupportedCoding,
  type HecParse,
} from '../../ingest/index.ts';
import type { ApiDeps } from '../deps.ts';
import { withStatus } from '../http-errors.ts';

function requireKey(req: FastifyRequest): IngestKey {
  const p = req.principal;
  if (!p)
    throw new VigilError(
      'AUTH_REQUIRED',
      'send an ingest key (Authorization: ApiKey <key>, Basic, or Splunk <key>)',
    );
  if (p.kind !== 'ingest')
    throw new VigilError('FORBIDDEN', 'ingest endpoints take an ingest key, not a user credential');
  return p.key;
}

function issueJson(i: Issue): Record<string, unknown> {
  return {
    code: i.code,
    message: i.message,
    ...(i.at?.line === undefined ? {} : { line: i.at.line }),
    ...(i.at?.col === undefined ? {} : { col: i.at.col }),
    ...(i.at?.offset === undefined ? {} : { offset: i.at.offset }),
  };
}

export function ingestRoutes(deps: ApiDeps) {
  const { sink } = deps;
  const maxDepth = 64;

  /**
   * Decompresses and decodes a request body, throwing the located error. Bytes that are not UTF-8
   * are read as U+FFFD and reported as warnings: one bad byte must not cost the other records.
   */
  const decode = (
    req: FastifyRequest,
    reply: FastifyReply,
  ): { text: string; warnings: readonly Issue[] } => {
    const raw = req.body;
    const bytes = raw instanceof Uint8Array ? raw : new Uint8Array(0);
    const coding = req.headers['content-encoding'];
    const unknown =
      bytes.length > 0 && typeof coding === 'string' ? unsupportedCoding(coding) : undefined;
    if (unknown !== undefined) {
      // RFC 9110: 415 for a content coding the server does not undo, naming those it does.
      void reply.header('accept-encoding', ACCEPTED_CODINGS);
      const message = `unsupported content encoding ${unknown}`;
      throw withStatus(new VigilError('INGEST_BAD_ENCODING', message), 415);
    }
    const decoded = decodeBody(bytes, {
      ...(typeof req.headers['content-encoding'] === 'string'
        ? { contentEncoding: req.headers['content-encoding'] }
        : {}),
      maxBytes: deps.limits.maxBodyBytes,
      invalidUtf8: 'replace',
    });
    if (!decoded.ok) {
      const first = decoded.issues[0];
      throw new VigilError(
        first?.code ?? 'INGEST_BAD_ENCODING',
        first?.message ?? 'unreadable body',
      );
    }
    return { text: decoded.value, warnings: decoded.warnings ?? [] };
  };
  const text = (req: FastifyRequest, reply: FastifyReply): string => decode(req, reply).text;

  const receivedAt = (): number => deps.now();

  return (app: FastifyInstance, _opts: unknown, done: (err?: Error) => void): void => {
    app.removeAllContentTypeParsers();
    app.addContentTypeParser(
      '*',
      { parseAs: 'buffer', bodyLimit: deps.limits.maxBodyBytes },
      (
        _req: FastifyRequest,
        body: Buffer | string,
        done: (err: Error | null, body?: unknown) => void,
      ) => {
        done(null, typeof body === 'string' ? Buffer.from(body) : body);
      },
    );
    // Refuse before reading a body when the queue is full.
    // Refuse before reading a body when the queue is full, or when the bodies being read and parsed
    // right now already hold `maxInflightBytes`: memory stays bounded however many senders connect.
    let inflight = 0;
    const charged = new WeakMap<FastifyRequest, number>();
    app.addHook(
      'onRequest',
      (req: FastifyRequest, _reply: FastifyReply, next: (err?: Error) => void) => {
        const write = req.method === 'POST' || req.method === 'PUT';
        if (!write || req.principal?.kind !== 'ingest') {
          next();
          return;
        }
        if (sink.busy()) {
          next(new VigilError('INGEST_BUSY', 'ingest queue is full; retry later'));
          return;
        }
        const length = Number(req.headers['content-length'] ?? NaN);
        // A declared length over the body limit is refused unread (413): it costs at most the limit. A
        // chunked body is charged a quarter of the limit: at most four times as many of them are read
        // at once as fit in the budget, each cut off at the limit.
        const max = deps.limits.maxBodyBytes;
        const cost = Number.isFinite(length)
          ? Math.min(Math.max(length, 1), max)
          : Math.ceil(max / 4);
        if (inflight > 0 && inflight + cost > deps.limits.maxInflightBytes) {
          next(
            new VigilError(
              'INGEST_BUSY',
              'the server is reading as much as it may at once; retry later',
            ),
          );
          return;
        }
        inflight += cost;
        charged.set(req, cost);
        next();
      },
    );
    const release = (req: FastifyRequest, _reply: FastifyReply, next: () => void): void => {
      const cost = charged.get(req);
      if (cost !== undefined) {
        inflight -= cost;
        charged.delete(req);
      }
      next();
    };
    app.addHook('onResponse', release);
    app.addHook('onRequestAbort', (req: FastifyRequest, next: () => void) => {
      release(req, undefined as never, next);
    });

    // Vigil's own endpoint: NDJSON, a JSON array or concatenated objects, in any shape the readers know.
    app.post(
      '/api/v1/ingest',
      {
        schema: {
          tags: ['ingest'],
          summary:
            'Send events (NDJSON, a JSON array or concatenated JSON; gzip accepted). Needs an ingest key.',
          security: [{ ingestKey: [] }],
        },
      },
      async (req: FastifyRequest, reply: FastifyReply) => {
        const key = requireKey(req);
        const body = decode(req, reply);
        const records = parseJsonRecords(body.text, { maxDepth });
        const { events, issues } = toEvents(records, {
          tenant: key.tenant,
          receiver: 'ingest',
          receivedAt: receivedAt(),
          maxFieldBytes: deps.limits.maxFieldBytes,
        });
        const rejected = issues.filter((i) => i.code !== 'READ_FIELD_TOO_LARGE').map(issueJson);
        const warnings = [
          ...body.warnings,
          ...issues.filter((i) => i.code === 'READ_FIELD_TOO_LARGE'),
        ].map(issueJson);
        const { stored } = await sink.submit(events);
        return reply.status(rejected.length > 0 && events.length === 0 ? 400 : 200).send({
          accepted: events.length,
          stored,
          duplicates: events.length - stored,
          rejected,
          warnings,
        });
      },
    );

    // Incident-response triage: one file per request (EVTX, JSON, syslog, auditd, Zeek), `?name=` its file
    // name. Files may be far larger than a shipper's request: its own body limit, `max_upload_bytes`.
    void app.register((up: FastifyInstance, _opts: unknown, registered: (err?: Error) => void) => {
      up.removeAllContentTypeParsers();
      up.addContentTypeParser(
        '*',
        { parseAs: 'buffer', bodyLimit: deps.limits.maxUploadBytes },
        (
          _req: FastifyRequest,
          body: Buffer | string,
          done: (err: Error | null, body?: unknown) => void,
        ) => {
          done(null, typeof body === 'string' ? Buffer.from(body) : body);
        },
      );
      up.post(
        '/api/v1/upload',
        {
          schema: {
            tags: ['ingest'],
            summary:
              'Upload one log file (EVTX, JSON/NDJSON, syslog, auditd, Zeek; gzip or zip accepted). Needs an ingest key.',
            querystring: {
              type: 'object',
              required: ['name'],
              properties: {
                name: { type: 'string', minLength: 1, maxLength: 500 },
                format: {
                  type: 'string',
                  enum: ['auto', 'evtx', 'json', 'syslog', 'auditd', 'zeek'],
                },
              },
            },
            security: [{ ingestKey: [] }],
          },
        },
        async (
          req: FastifyRequest<{
            Querystring: {
              name: string;
              format?: 'auto' | 'evtx' | 'json' | 'syslog' | 'auditd' | 'zeek';
            };
          }>,
          reply: FastifyReply,
        ) => {
          const key = requireKey(req);
          const body = req.body;
          let bytes: Uint8Array = body instanceof Uint8Array ? body : new Uint8Array(0);
          const encoding = req.headers['content-encoding'];
          if (typeof encoding === 'string' && encoding !== '' && encoding !== 'identity') {
            const decoded = decodeBytes(bytes, {
              contentEncoding: encoding,
              maxBytes: deps.limits.maxUploadBytes,
            });
            if (!decoded.ok) {
              const first = decoded.issues[0];
              throw new VigilError(
                first?.code ?? 'INGEST_BAD_ENCODING',
                first?.message ?? 'unreadable body',
              );
            }
            bytes = decoded.value;
          }
          const name = req.query.name.replace(/[\\/]/g, '_');
          const at = receivedAt();
          const problems: Issue[] = [];
          let records = 0;
          let stored = 0;
          let accepted = 0;
          for (const batch of readBytes(bytes, name, {
            tenant: key.tenant,
            format: req.query.format ?? 'auto',
            referenceTime: at,
          })) {
            records += batch.events.length;
            problems.push(...batch.issues);
            const events: NewEvent[] = eventsFromRead(batch.events, {
              tenant: key.tenant,
              receiver: 'upload',
              receivedAt: at,
              file: name,
            });
            accepted += events.length;
            // A triage upload is one request for a whole file: while the queue is full, wait (up to
            // five minutes) instead of failing half way.
            for (let waited = 0; ; waited += 100) {
              try {
                stored += (await sink.submit(events)).stored;
                break;
              } catch (e) {
                if (!(e instanceof VigilError) || e.code !== 'INGEST_BUSY' || waited >= 300_000)
                  throw e;
                await new Promise((r) => setTimeout(r, 100));
              }
            }
          }
          return reply.status(records === 0 && problems.length > 0 ? 400 : 200).send({
            file: name,
            records,
            accepted,
            stored,
            duplicates: accepted - stored,
            errors: problems.length,
            problems: problems.slice(0, 100).map((p) => ({
              ...issueJson(p),
              ...(p.at?.record === undefined ? {} : { record: p.at.record }),
              ...(p.at?.offset === undefined ? {} : { offset: p.at.offset }),
            })),
          });
        },
      );
      registered();
    });

    // Elasticsearch-compatible endpoints.
    const es = { config: { errorShape: 'es' as const }, schema: { hide: true } };
    const esHeaders = (reply: FastifyReply): FastifyReply => reply.headers(ES_HEADERS);

    // The probes shippers make at start (`GET /`, `/_license`, template and ILM set-up) answered harmlessly.
    const probe = async (req: FastifyRequest, reply: FastifyReply) => {
      const path = req.url.split('?')[0] ?? '/';
      if (path === '/' && !req.principal && (req.headers.accept ?? '').includes('text/html')) {
        return reply
          .type('text/html; charset=utf-8')
          .send(
            '<!doctype html><title>Vigil</title><p>Vigil is running. The API is described at <a href="/api/v1/openapi.json">/api/v1/openapi.json</a>.</p>',
          );
      }
      requireKey(req);
      const answer = esProbe(req.method, path);
      if (!answer) {
        return esHeaders(reply)
          .status(404)
          .send({
            error: {
              root_cause: [],
              type: 'resource_not_found_exception',
              reason: `Vigil does not serve ${req.method} ${path}`,
            },
            status: 404,
          });
      }
      return esHeaders(reply).status(answer.status).send(answer.body);
    };
    app.get('/', es, probe);
    for (const path of ['/_license', '/_xpack', '/_cluster/health']) app.get(path, es, probe);
    // rsyslog's omelasticsearch health check.
    app.get('/_cat/health', es, (req: FastifyRequest, reply: FastifyReply) => {
      requireKey(req);
      const now = Math.floor(deps.now() / 1000);
      return reply
        .type('text/plain; charset=UTF-8')
        .headers({ 'x-elastic-product': 'Elasticsearch' })
        .send(
          `${now} ${new Date(now * 1000).toISOString().slice(11, 19)} vigil green 1 1 0 0 0 0 0 0 - 100.0%\n`,
        );
    });
    for (const path of [
      '/_index_template/:name',
      '/_template/:name',
      '/_ilm/policy/:name',
      '/_ingest/pipeline/:name',
      '/_component_template/:name',
      '/_data_stream/:name',
    ]) {
      app.route({
        method: ['GET', 'PUT', 'POST', 'HEAD', 'DELETE'],
        url: path,
        ...es,
        handler: probe,
      });
    }

    const bulk = async (
      req: FastifyRequest<{ Params: { index?: string } }>,
      reply: FastifyReply,
    ) => {
      const key = requireKey(req);
      const started = performance.now();
      const { items } = parseBulk(text(req, reply), {
        ...(req.params.index ? { defaultIndex: req.params.index } : {}),
        maxDepth,
      });
      const records = bulkRecords(items);
      const converted = toEvents(records, {
        tenant: key.tenant,
        receiver: 'bulk',
        receivedAt: receivedAt(),
        maxFieldBytes: deps.limits.maxFieldBytes,
      });
      await sink.submit(converted.events);
      const idOf = new Map<number, string>();
      records.forEach((r, i) => {
        const e = converted.events[i];
        if (e) idOf.set(r.item, e.id);
      });
      const results = items.map((it, i) => {
        if (it.issue) return bulkItemError(it.issue);
        if (it.action === 'delete' || it.action === 'update') {
          return {
            status: 400,
            error: {
              type: 'illegal_argument_exception',
              reason: `Vigil keeps events append-only; ${it.action} is not supported`,
            },
          };
        }
        const id = idOf.get(i);
        return { status: 201, ...(id === undefined ? {} : { id }) };
      });
      return esHeaders(reply).send(bulkResponse(items, results, performance.now() - started));
    };
    app.route({ method: ['POST', 'PUT'], url: '/_bulk', ...es, handler: bulk });
    app.route({ method: ['POST', 'PUT'], url: '/:index/_bulk', ...es, handler: bulk });

    // Splunk HTTP Event Collector.
    const hec = { config: { errorShape: 'hec' as const }, schema: { hide: true } };
    const hecStore = async (req: FastifyRequest, reply: FastifyReply, parsed: HecParse) => {
      const key = requireKey(req);
      const converted = toEvents(parsed.records, {
        tenant: key.tenant,
        receiver: 'hec',
        receivedAt: receivedAt(),
        maxFieldBytes: deps.limits.maxFieldBytes,
      });
      await sink.submit(converted.events);
      if (parsed.error) return reply.status(400).send(parsed.error);
      return reply.status(hecStatus('success')).send(hecResponse('success'));
    };
    const hecEvents = async (req: FastifyRequest, reply: FastifyReply) => {
      requireKey(req);
      return hecStore(req, reply, parseHecEvents(text(req, reply), { maxDepth }));
    };
    const hecRaw = async (
      req: FastifyRequest<{ Querystring: Record<string, string | undefined> }>,
      reply: FastifyReply,
    ) => {
      requireKey(req);
      return hecStore(req, reply, parseHecRaw(text(req, reply), req.query));
    };
    for (const url of [
      '/services/collector',
      '/services/collector/event',
      '/services/collector/event/1.0',
    ]) {
      app.post(url, hec, hecEvents);
    }
    for (const url of ['/services/collector/raw', '/services/collector/raw/1.0'])
      app.post(url, hec, hecRaw);
    // Vector's splunk_hec sinks check `/services/collector/health/1.0` at start.
    const hecHealth = async (_req: FastifyRequest, reply: FastifyReply) => {
      const kind = sink.busy() ? 'busy' : 'healthy';
      return reply.status(hecStatus(kind)).send(hecResponse(kind));
    };
    for (const url of ['/services/collector/health', '/services/collector/health/1.0'])
      app.get(url, hec, hecHealth);
    done();
  };
}
