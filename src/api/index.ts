/**
 * The HTTP API: builds the Fastify instance with authentication, tenant scoping, the JSON API under
 * `/api/v1`, the shipper-compatible ingest endpoints (Elasticsearch `_bulk`, Splunk HEC) and OpenAPI.
 * Tests drive it in-process with `inject()`; `src/app` listens on a port.
 */
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import swagger from '@fastify/swagger';
import { VigilError } from '../core/index.ts';
import { ES_HEADERS, hecResponse, hecStatus } from '../ingest/index.ts';
import { authenticate, type Principal } from './auth.ts';
export { requireTenant, requireUser } from './guard.ts';
import type { ApiDeps } from './deps.ts';
import { toHttpError } from './http-errors.ts';
import { adminRoutes } from './routes/admin.ts';
import { detectionRoutes } from './routes/detection.ts';
import { incidentRoutes } from './routes/incidents.ts';
import { ingestRoutes } from './routes/ingest.ts';
import { opsRoutes } from './routes/ops.ts';
import { serveConsole } from './static.ts';

export type { ApiDeps, ApiLimits, RuleCatalog, RuleListing } from './deps.ts';
export { hashPassword, hashSecret, newId, newSecret, verifyPassword } from './auth.ts';

declare module 'fastify' {
  interface FastifyInstance {
    /** Every route as registered, those hidden from OpenAPI included (`HEAD` of a `GET` too). */
    vigilRoutes: readonly { readonly method: string; readonly url: string }[];
  }
  interface FastifyRequest {
    principal: Principal | undefined;
  }
  interface FastifyContextConfig {
    /** Set on routes whose errors must keep a protocol's own shape (Elasticsearch, Splunk). */
    errorShape?: 'es' | 'hec';
  }
}

export async function buildApi(deps: ApiDeps): Promise<FastifyInstance> {
  const app = Fastify({
    logger: false,
    bodyLimit: 1 << 20,
    trustProxy: false,
    // Shippers probe HEAD on index names with odd characters; keep routing permissive.
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 500 },
  });
  app.decorateRequest('principal', undefined);
  const routes: { method: string; url: string }[] = [];
  app.decorate('vigilRoutes', routes);
  app.addHook('onRoute', (r) => {
    for (const method of [r.method].flat()) routes.push({ method, url: r.url });
  });

  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'Vigil API',
        version: deps.version,
        description:
          'Multi-tenant MDR: ingest, detections, alerts. Authenticate with `Authorization: Bearer <session or API token>`; ingest endpoints take an ingest key (`ApiKey`, `Basic` with the key as password, or `Splunk`).',
      },
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer' },
          ingestKey: { type: 'apiKey', in: 'header', name: 'Authorization' },
        },
      },
      security: [{ bearer: [] }],
    },
  });

  serveConsole(app);
  app.addHook('onRequest', async (req: FastifyRequest) => {
    req.principal = await authenticate(
      deps.store,
      { authorization: req.headers.authorization, cookie: req.headers.cookie },
      deps.now(),
    );
  });

  /**
   * A body refused before it was read: the sender is still sending. Closing at once would reset the
   * connection with its data unread, and the sender could lose the 413 before reading it (EPIPE). So,
   * as web servers do, keep reading and discarding a little (at most 8 MiB or 2 s) after the answer,
   * then close.
   */
  const lingerThenClose = (req: FastifyRequest, reply: FastifyReply): void => {
    void reply.header('connection', 'close');
    const socket = req.raw.socket;
    let drained = 0;
    const close = (): void => {
      clearTimeout(timer);
      socket.destroy();
    };
    const timer = setTimeout(close, 2000);
    timer.unref();
    req.raw.on('data', (chunk: Buffer) => {
      drained += chunk.length;
      if (drained > 8 * 1024 * 1024) close();
    });
    req.raw.on('end', () => {
      clearTimeout(timer);
    });
    req.raw.resume();
    // Answer first, then end our side of the connection (FIN) while we keep reading theirs.
    reply.raw.shouldKeepAlive = true;
    reply.raw.once('finish', () => {
      socket.end();
    });
  };

  app.setErrorHandler((err: unknown, req: FastifyRequest, reply: FastifyReply) => {
    const { status, body, retryAfter } = toHttpError(err);
    const counter = deps.metrics.counter('vigil_api_errors_total', 'API errors by route and code.');
    counter({ code: body.error.code });
    if (status >= 500 && !(err instanceof VigilError)) {
      process.stderr.write(
        `vigil: ${req.method} ${req.url}: ${String((err as Error).stack ?? err)}\n`,
      );
    }
    if (retryAfter !== undefined) void reply.header('retry-after', String(retryAfter));
    if (status === 413 && !req.raw.complete) lingerThenClose(req, reply);
    const shape = req.routeOptions.config.errorShape;
    if (shape === 'es') {
      void reply.headers(ES_HEADERS);
      const type =
        status === 401
          ? 'security_exception'
          : status === 429
            ? 'es_rejected_execution_exception'
            : 'illegal_argument_exception';
      return reply.status(status).send({
        error: {
          root_cause: [{ type, reason: body.error.message }],
          type,
          reason: body.error.message,
        },
        status,
      });
    }
    if (shape === 'hec') {
      const kind =
        body.error.code === 'AUTH_REQUIRED'
          ? 'token-required'
          : body.error.code === 'AUTH_FAILED' || body.error.code === 'FORBIDDEN'
            ? 'invalid-token'
            : status === 429 || status === 503
              ? 'busy'
              : status >= 500
                ? 'internal-error'
                : 'invalid-data-format';
      // HEC has no code for a body over the limit; the HTTP status stays 413 so clients do not
      // take it for a bad event and can split the batch.
      return reply.status(status === 413 ? 413 : hecStatus(kind)).send({
        ...hecResponse(kind),
        ...(kind === 'invalid-data-format' ? { text: body.error.message } : {}),
      });
    }
    return reply.status(status).send(body);
  });

  app.setNotFoundHandler((req: FastifyRequest, reply: FastifyReply) =>
    reply.status(404).send({
      error: {
        code: 'NOT_FOUND',
        message: `no route ${req.method} ${req.url.split('?')[0] ?? ''}`,
      },
    }),
  );

  await app.register(opsRoutes(deps));
  await app.register(adminRoutes(deps));
  await app.register(detectionRoutes(deps));
  await app.register(incidentRoutes(deps));
  await app.register(ingestRoutes(deps));
  return app;
}
