/**
 * Serves the analyst console (`web/dist`, built by `npm run build:web`) at `/`. Runs as the first
 * `onRequest` hook, before authentication, so that a stale session cookie cannot keep the login page
 * from loading. It answers only browser requests for the console: `GET`/`HEAD` of a file in the build,
 * or of a page (`Accept: text/html`) outside the API, the metrics and the Elasticsearch/Splunk
 * endpoints, which get `index.html` (the console routes in the browser). Everything else — `/api/*`
 * above all, and an Elasticsearch client's `GET /` — goes on to the routes untouched. Hashed assets
 * are cached for a year; `index.html` is revalidated every time (ETag), so a new build is picked up at
 * once. Files are read once and kept in memory with their gzip form.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/** `web/dist` of this checkout: two levels above both `src/api/` and the compiled `dist/api/`. */
export const CONSOLE_DIR = fileURLToPath(new URL('../../web/dist', import.meta.url));

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
};

/** Paths that are never the console's, whatever the request accepts. */
const NOT_CONSOLE = /^\/(api|metrics|services|_)(\/|$)|\/_[a-z]/i;

/** The console's content security policy: its own scripts only, no framing, API calls to itself. */
const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

interface Asset {
  readonly body: Buffer;
  readonly gzip: Buffer | undefined;
  readonly type: string;
  readonly etag: string;
  readonly cache: string;
}

function load(dir: string, file: string): Asset {
  const body = readFileSync(file);
  const type = TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream';
  const rel = relative(dir, file).split(sep).join('/');
  const compressible = /^(text\/|application\/json|image\/svg)/.test(type) && body.length > 1024;
  return {
    body,
    gzip: compressible ? gzipSync(body, { level: 9 }) : undefined,
    type,
    etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`,
    // Vite names everything under assets/ by its content hash.
    cache: rel.startsWith('assets/')
      ? 'public, max-age=31536000, immutable'
      : rel === 'index.html'
        ? 'no-cache'
        : 'public, max-age=3600',
  };
}

function walk(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else out.push(p);
  }
  return out;
}

/** The build's files by URL path, read once per build (a new `index.html` means a new build). */
const builds = new Map<string, { stamp: number; files: Map<string, Asset> }>();

function build(dir: string): Map<string, Asset> | undefined {
  const indexFile = join(dir, 'index.html');
  if (!existsSync(indexFile)) return undefined;
  const stamp = statSync(indexFile).mtimeMs;
  const known = builds.get(dir);
  if (known?.stamp === stamp) return known.files;
  const files = new Map<string, Asset>();
  for (const f of walk(dir)) files.set(`/${relative(dir, f).split(sep).join('/')}`, load(dir, f));
  builds.set(dir, { stamp, files });
  return files;
}

/**
 * Adds the console to `app` when `dir` holds a build; returns false (and changes nothing) when it does
 * not, so a server built without the console still answers its API.
 */
export function serveConsole(app: FastifyInstance, dir: string = CONSOLE_DIR): boolean {
  const files = build(dir);
  const index = files?.get('/index.html');
  if (!files || !index) return false;

  const send = (req: FastifyRequest, reply: FastifyReply, a: Asset): FastifyReply => {
    void reply
      .header('content-type', a.type)
      .header('cache-control', a.cache)
      .header('etag', a.etag)
      .header('x-content-type-options', 'nosniff')
      .header('vary', 'accept-encoding');
    if (a.type.startsWith('text/html')) {
      void reply
        .header('content-security-policy', CSP)
        .header('referrer-policy', 'same-origin')
        .header('x-frame-options', 'DENY');
    }
    if (req.headers['if-none-match'] === a.etag) return reply.status(304).send();
    const gz = a.gzip !== undefined && /\bgzip\b/.test(req.headers['accept-encoding'] ?? '');
    if (gz) void reply.header('content-encoding', 'gzip');
    return reply.status(200).send(gz ? a.gzip : a.body);
  };

  app.addHook('onRequest', async (req: FastifyRequest, reply: FastifyReply) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return;
    const path = (req.url.split('?')[0] ?? '/').replace(/\/{2,}/g, '/');
    if (NOT_CONSOLE.test(path)) return;
    let decoded: string;
    try {
      decoded = decodeURIComponent(path);
    } catch {
      return;
    }
    const file = files.get(decoded);
    if (file && decoded !== '/index.html') return send(req, reply, file);
    // A page of the console: a browser navigation, never an API client's probe.
    if ((req.headers.accept ?? '').includes('text/html') && !decoded.startsWith('/assets/')) {
      return send(req, reply, index);
    }
  });
  return true;
}
