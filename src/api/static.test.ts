import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveConsole } from './static.ts';

let dir: string;
let app: FastifyInstance;
const INDEX =
  '<!doctype html><title>console</title><script type="module" src="/assets/app-1a2b.js"></script>';
const SCRIPT = `console.log(${JSON.stringify('x'.repeat(5000))});`;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'vigil-static-'));
  mkdirSync(join(dir, 'assets'));
  writeFileSync(join(dir, 'index.html'), INDEX);
  writeFileSync(join(dir, 'assets', 'app-1a2b.js'), SCRIPT);
  writeFileSync(join(dir, 'favicon.svg'), '<svg/>');
  app = Fastify();
  expect(serveConsole(app, dir)).toBe(true);
  // What follows the console in the real server: authentication that refuses a stale cookie, the
  // Elasticsearch probe at `/`, and JSON 404s.
  app.addHook('onRequest', (req, _reply, done) => {
    if (req.headers.cookie?.includes('stale'))
      done(Object.assign(new Error('expired'), { statusCode: 401 }));
    else done();
  });
  app.get('/', () => ({ name: 'vigil', tagline: 'You Know, for Search' }));
  app.get('/api/v1/health', () => ({ status: 'ok' }));
  app.setNotFoundHandler((_req, reply) => reply.status(404).send({ error: { code: 'NOT_FOUND' } }));
  await app.ready();
});

afterAll(async () => {
  await app.close();
  rmSync(dir, { recursive: true, force: true });
});

const html = { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' };

describe('serving the console', () => {
  it('answers a browser at / and at any console path with index.html, revalidated every time', async () => {
    for (const url of ['/', '/incidents', '/tenants/acme/incidents/abc?x=1']) {
      const r = await app.inject({ url, headers: html });
      expect(r.statusCode, url).toBe(200);
      expect(r.body).toBe(INDEX);
      expect(r.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(r.headers['cache-control']).toBe('no-cache');
      expect(r.headers['content-security-policy']).toContain("script-src 'self'");
      expect(r.headers['x-frame-options']).toBe('DENY');
    }
    const first = await app.inject({ url: '/', headers: html });
    const again = await app.inject({
      url: '/',
      headers: { ...html, 'if-none-match': String(first.headers.etag) },
    });
    expect(again.statusCode).toBe(304);
    expect(again.body).toBe('');
  });

  it('serves hashed assets for a year, gzipped when asked', async () => {
    const r = await app.inject({
      url: '/assets/app-1a2b.js',
      headers: { 'accept-encoding': 'gzip, br' },
    });
    expect(r.statusCode).toBe(200);
    expect(r.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(r.headers['content-encoding']).toBe('gzip');
    expect(r.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(gunzipSync(r.rawPayload).toString()).toBe(SCRIPT);
    const plain = await app.inject({ url: '/assets/app-1a2b.js' });
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.body).toBe(SCRIPT);
    const head = await app.inject({ method: 'HEAD', url: '/favicon.svg' });
    expect(head.statusCode).toBe(200);
    expect(head.headers['cache-control']).toBe('public, max-age=3600');
  });

  it('never shadows the API, the metrics or an Elasticsearch client, and loads despite a stale cookie', async () => {
    const api = await app.inject({ url: '/api/v1/health', headers: html });
    expect(api.json()).toEqual({ status: 'ok' });
    const missing = await app.inject({ url: '/api/v1/nope', headers: html });
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toEqual({ error: { code: 'NOT_FOUND' } });
    for (const url of [
      '/metrics',
      '/_cluster/health',
      '/winlogbeat/_bulk',
      '/services/collector',
    ]) {
      const r = await app.inject({ url, headers: html });
      expect(r.body, url).not.toBe(INDEX);
    }
    const es = await app.inject({ url: '/', headers: { accept: 'application/json' } });
    expect(es.json()).toMatchObject({ tagline: 'You Know, for Search' });
    const post = await app.inject({ method: 'POST', url: '/incidents', headers: html });
    expect(post.statusCode).toBe(404);
    const stale = await app.inject({
      url: '/incidents',
      headers: { ...html, cookie: 'vigil_session=stale' },
    });
    expect(stale.statusCode).toBe(200);
    expect(stale.body).toBe(INDEX);
    const staleApi = await app.inject({
      url: '/api/v1/health',
      headers: { cookie: 'vigil_session=stale' },
    });
    expect(staleApi.statusCode).toBe(401);
  });

  it('serves nothing outside the build and no missing asset as a page', async () => {
    for (const url of [
      '/../package.json',
      '/%2e%2e/%2e%2e/etc/passwd',
      '/assets/../../x',
      '/assets/gone.js',
      '/%E0%A4%A',
    ]) {
      const r = await app.inject({ url, headers: html });
      expect(r.body, url).not.toContain('"name"');
      if (url.startsWith('/assets/gone')) expect(r.statusCode).toBe(404);
    }
  });

  it('changes nothing when there is no build', () => {
    const bare = Fastify();
    expect(serveConsole(bare, join(dir, 'nothing-here'))).toBe(false);
  });
});
