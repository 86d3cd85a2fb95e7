/** Health, Prometheus metrics and the OpenAPI document. */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { VigilError } from '../../core/index.ts';
import type { ApiDeps } from '../deps.ts';
import { visibleTenants } from '../auth.ts';
import { requireUser } from '../guard.ts';

/** Drops the series labelled with a tenant outside `seen` (a provider analyst assigned to some tenants). */
function onlyTenants(text: string, seen: readonly string[]): string {
  return text
    .split('\n')
    .filter((line) => {
      const m = /[{,]tenant="([^"]*)"/.exec(line);
      return m === null || seen.includes(m[1] ?? '');
    })
    .join('\n');
}

export function opsRoutes(deps: ApiDeps) {
  const started = deps.now();
  return (app: FastifyInstance, _opts: unknown, done: (err?: Error) => void): void => {
    app.get(
      '/api/v1/health',
      {
        schema: {
          tags: ['ops'],
          summary: 'Liveness and load: no credentials needed.',
          security: [],
          response: {
            200: {
              type: 'object',
              properties: {
                status: { type: 'string', enum: ['ok', 'busy'] },
                version: { type: 'string' },
                uptime_s: { type: 'number' },
                queue_busy: { type: 'boolean' },
              },
            },
          },
        },
      },
      () =>
        Promise.resolve({
          status: deps.sink.busy() ? 'busy' : 'ok',
          version: deps.version,
          uptime_s: Math.round((deps.now() - started) / 1000),
          queue_busy: deps.sink.busy(),
        }),
    );

    app.get(
      '/metrics',
      {
        schema: {
          tags: ['ops'],
          summary:
            'Prometheus metrics (text format). Needs a provider user unless metrics are public.',
        },
      },
      (req: FastifyRequest, reply: FastifyReply) => {
        const user = deps.metricsPublic ? undefined : requireUser(req);
        if (user && !user.role.startsWith('provider'))
          throw new VigilError('FORBIDDEN', 'metrics are for provider users');
        const seen = user && visibleTenants(user);
        const all = deps.metrics.render();
        const text = seen === undefined ? all : onlyTenants(all, seen);
        return reply.type('text/plain; version=0.0.4').send(text);
      },
    );

    app.get('/api/v1/openapi.json', { schema: { hide: true } }, () =>
      Promise.resolve(app.swagger()),
    );
    done();
  };
}
