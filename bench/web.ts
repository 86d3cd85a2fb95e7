/**
 * `npm run bench:web`: the console measured in Debian's Chromium (playwright-core), with the API
 * mocked in the page (Playwright request interception answers /api/v1/* with synthetic data from
 * bench/web-data.ts; the console's own files come from web/dist through src/api/static.ts). So the
 * figures are the browser's work — fetching and parsing the pages of JSON, React, the virtualised
 * table, the graph — and not the server's, which bench:incidents measures.
 *
 * 1. Queue: 10,000 incidents over 20 tenants (ten pages of 1,000); from navigation start to the first
 *    painted frame with every incident loaded and the rows shown. Target < 1.5 s.
 * 2. Re-filter: typing a search into the loaded queue, from the input event to the painted frame with
 *    the filtered rows (the count checked against the same filter run in Node). Target < 200 ms.
 * 3. Graph: an incident with a 500-entity graph, from navigation start to the first painted frame of
 *    the graph, then a click on a node until its details show (interactive); and "show all" until all
 *    500 are drawn. Target interactive < 2 s.
 *
 * BENCH_RUNS (default 5) repeats each; the machine is shared, so read the median.
 */
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Page } from 'playwright-core';
import { serveConsole } from '../src/api/static.ts';
import { launch } from '../test/web/browser.ts';
import { ensureConsoleBuilt, WEB_DIST } from '../test/web/build.ts';
import type { IncidentSummary } from '../web/src/api/types.ts';
import { EMPTY_FILTER, filterQueue, indexQueue } from '../web/src/lib/queue.ts';
import { bigIncident, incidentSummaries, tenants } from './web-data.ts';

const RUNS = Number(process.env['BENCH_RUNS'] ?? 5);
const COUNT = Number(process.env['BENCH_INCIDENTS'] ?? 10_000);
const GRAPH = Number(process.env['BENCH_GRAPH'] ?? 500);

const TENANTS = tenants(20);
const SUMMARIES = incidentSummaries(
  COUNT,
  TENANTS.map((t) => t.id),
);
const BIG = bigIncident(TENANTS[0]?.id ?? 'tenant-00', GRAPH);
const ME = {
  user: {
    id: 'bench',
    name: 'bench',
    role: 'provider_admin',
    tenant: '_provider',
    tenants: [],
    created_at: new Date().toISOString(),
    disabled: false,
  },
  tenants: TENANTS,
};
const PAGE = 1000;
const pages = new Map<string, string>();
for (let i = 0; i < SUMMARIES.length; i += PAGE) {
  const next = i + PAGE < SUMMARIES.length ? String(i + PAGE) : undefined;
  pages.set(
    String(i),
    JSON.stringify({
      incidents: SUMMARIES.slice(i, i + PAGE),
      total: SUMMARIES.length,
      ...(next ? { next } : {}),
    }),
  );
}
const BIG_JSON = JSON.stringify(BIG);

/** The mocked API: what the real routes answer, from memory. */
function mockApi(app: FastifyInstance): void {
  const json = (reply: FastifyReply, body: string, status = 200): FastifyReply =>
    reply.status(status).type('application/json').send(body);
  app.get('/api/v1/me', (_q, reply) => json(reply, JSON.stringify(ME)));
  app.get('/api/v1/incidents', (q: FastifyRequest<{ Querystring: { cursor?: string } }>, reply) =>
    json(reply, pages.get(q.query.cursor ?? '0') ?? '{"incidents":[]}'),
  );
  app.get('/api/v1/tenants/:id/incidents/big', (_q, reply) => json(reply, BIG_JSON));
  app.get('/api/v1/tenants/:id/incidents/big/audit', (_q, reply) => json(reply, '{"audit":[]}'));
  app.get('/api/v1/alerts', (_q, reply) => json(reply, '{"alerts":[],"next":null}'));
  app.get('/api/v1/events', (_q, reply) => json(reply, '{"events":[],"next":null}'));
  app.get('/metrics', (_q, reply) => reply.type('text/plain').send(''));
}

/** performance.now() at the next painted frame (two animation frames later). */
const painted = (page: Page): Promise<number> =>
  page.evaluate<number>(
    'new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(() => r(performance.now()))))',
  );

/**
 * Types `text` into the queue's search box and resolves with the milliseconds until the frame that
 * shows `want` rows is painted. In-page code is a string: the page has the DOM, this file does not.
 */
const REFILTER = `async ({ text, want }) => {
  const input = document.querySelector('input[aria-label="Search incidents"]');
  const status = document.querySelector('[aria-live="polite"]');
  if (!input || !status) throw new Error('no search box');
  const setter = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value').set;
  const t0 = performance.now();
  setter.call(input, text);
  input.dispatchEvent(new Event('input', { bubbles: true }));
  await new Promise((resolve, reject) => {
    const check = () => {
      if (status.textContent.startsWith(want + ' shown')) resolve();
      else if (performance.now() > t0 + 10000) reject(new Error('never showed ' + want + ': ' + status.textContent));
      else requestAnimationFrame(check);
    };
    check();
  });
  await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
  return performance.now() - t0;
}`;

/** Marks and the incident requests' timing, for finding where the time goes (BENCH_DIAG=1). */
const DIAG = `(() => {
  const out = performance.getEntriesByType('mark').map((m) => m.name + '@' + Math.round(m.startTime));
  const req = performance.getEntriesByType('resource').filter((r) => r.name.includes('/api/v1/incidents'));
  performance.clearMarks();
  const reqs = req.map((r) => Math.round(r.startTime) + '/' + Math.round(r.responseStart) + '/' + Math.round(r.responseEnd)).join(' ');
  return out.slice(-12).join(' ') + ' | ' + reqs + ' | requests ' + req.length + ' last end ' + Math.round(Math.max(0, ...req.map((r) => r.responseEnd))) + ' bytes ' + req.reduce((n, r) => n + r.encodedBodySize, 0);
})()`;

/** The functions that took the most time in a CPU profile (BENCH_PROFILE=load|filter). */
function printProfile(profile: {
  nodes: {
    id: number;
    callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  }[];
  samples?: number[];
  timeDeltas?: number[];
}): void {
  const self = new Map<string, number>();
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const dt = profile.timeDeltas ?? [];
  (profile.samples ?? []).forEach((id, i) => {
    const n = byId.get(id);
    if (!n) return;
    const f = n.callFrame;
    const k = `${f.functionName || '(anon)'} ${f.url.split('/').pop() ?? ''}:${f.lineNumber}:${f.columnNumber}`;
    self.set(k, (self.get(k) ?? 0) + (dt[i] ?? 0) / 1000);
  });
  console.log(
    [...self]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 20)
      .map(([k, v]) => `${v.toFixed(0).padStart(6)} ms ${k}`)
      .join('\n'),
  );
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? NaN;
};

async function main(): Promise<void> {
  ensureConsoleBuilt();
  const app = Fastify();
  if (!serveConsole(app, WEB_DIST)) throw new Error('no console build in web/dist');
  mockApi(app);
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  const base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  const browser = await launch();
  const rows = indexQueue(SUMMARIES as IncidentSummary[]);
  const searches = ['host-12', 'mining', 'crown', 'lsass memory', ''];
  const results = {
    queueFirst: [] as number[],
    queuePaint: [] as number[],
    refilter: [] as number[],
    graphPaint: [] as number[],
    graphInteractive: [] as number[],
    graphAll: [] as number[],
  };
  try {
    for (let run = 0; run < RUNS; run++) {
      // bypassCSP: the measuring code below is evaluated from strings, which the console's CSP forbids.
      const ctx = await browser.newContext({
        viewport: { width: 1440, height: 900 },
        bypassCSP: true,
      });
      ctx.setDefaultTimeout(30_000);
      const page = await ctx.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));

      // 1. the queue
      const lp =
        process.env['BENCH_PROFILE'] === 'load' ? await ctx.newCDPSession(page) : undefined;
      if (lp) {
        await lp.send('Profiler.enable');
        await lp.send('Profiler.setSamplingInterval', { interval: 200 });
        await lp.send('Profiler.start');
      }
      await page.goto(`${base}/incidents`);
      await page.waitForFunction(`document.querySelector('[data-incident]') !== null`, undefined, {
        polling: 'raf',
      });
      results.queueFirst.push(await painted(page));
      if (lp) printProfile((await lp.send('Profiler.stop')).profile);
      if (process.env['BENCH_DIAG'])
        console.log(
          await page.evaluate(
            `performance.getEntriesByType('resource').slice(0, 8).map((r) => r.name.split('/').pop().slice(0, 24) + ' ' + Math.round(r.startTime) + '-' + Math.round(r.responseEnd)).join(' | ') + ' | dcl ' + Math.round(performance.getEntriesByType('navigation')[0].domContentLoadedEventEnd)`,
          ),
        );
      await page.waitForFunction(
        `document.querySelector('[aria-live="polite"]')?.textContent?.includes('${COUNT} in scope') && document.querySelector('[data-incident]') !== null`,
        undefined,
        { polling: 'raf' },
      );
      results.queuePaint.push(await painted(page));
      if (process.env['BENCH_DIAG']) console.log(await page.evaluate(DIAG));

      // 2. re-filtering it
      const cdp =
        process.env['BENCH_PROFILE'] === 'filter' ? await ctx.newCDPSession(page) : undefined;
      if (cdp) {
        await cdp.send('Profiler.enable');
        await cdp.send('Profiler.setSamplingInterval', { interval: 200 });
        await cdp.send('Profiler.start');
      }
      for (const text of searches) {
        const want = filterQueue(rows, { ...EMPTY_FILTER, text }, 'bench').length;
        const ms = await page.evaluate<number>(`(${REFILTER})(${JSON.stringify({ text, want })})`);
        results.refilter.push(ms);
        if (process.env['BENCH_DIAG']) console.log(text, ms, await page.evaluate(DIAG));
      }

      if (cdp) printProfile((await cdp.send('Profiler.stop')).profile);

      // 3. the graph
      await page.goto(`${base}/tenants/${TENANTS[0]?.id ?? ''}/incidents/big`);
      const graph = page.getByTestId('attack-graph');
      await graph.locator('[data-node]').first().waitFor();
      const graphPaint = await painted(page);
      results.graphPaint.push(graphPaint);
      const t0 = await page.evaluate<number>('performance.now()');
      await graph.locator('[data-node^="host:"]').first().click();
      await page.getByTestId('node-panel').waitFor();
      const t1 = await painted(page);
      results.graphInteractive.push(graphPaint + (t1 - t0));
      const t2 = await page.evaluate<number>('performance.now()');
      await page.getByRole('button', { name: /Show all/ }).click();
      await page.waitForFunction(
        `document.querySelectorAll('[data-testid="attack-graph"] [data-node]').length >= ${GRAPH}`,
        undefined,
        { polling: 'raf' },
      );
      results.graphAll.push((await painted(page)) - t2);
      if (errors.length > 0) throw new Error(`page errors: ${errors.join('; ')}`);
      await ctx.close();
    }
  } finally {
    await browser.close();
    await app.close();
  }
  const line = (name: string, xs: number[], target: string): string =>
    `${name.padEnd(44)} median ${median(xs).toFixed(0).padStart(5)} ms   max ${Math.max(...xs)
      .toFixed(0)
      .padStart(5)} ms   (${xs.length} samples; target ${target})`;
  console.log(
    `bench:web — ${COUNT} incidents, ${GRAPH}-entity graph, API mocked in the page, ${RUNS} runs`,
  );
  console.log(line('queue: first rows painted (first page of 1,000)', results.queueFirst, ''));
  console.log(line(`queue: painted with all ${COUNT} loaded`, results.queuePaint, '< 1500 ms'));
  console.log(line('re-filter (search typed → frame painted)', results.refilter, '< 200 ms'));
  console.log(line('graph: first frame', results.graphPaint, ''));
  console.log(
    line(
      'graph: interactive (first frame + click → details)',
      results.graphInteractive,
      '< 2000 ms',
    ),
  );
  console.log(line(`graph: "show all" → all ${GRAPH} drawn`, results.graphAll, ''));
  console.log(
    JSON.stringify({
      bench: 'web',
      incidents: COUNT,
      graph: GRAPH,
      runs: RUNS,
      ...Object.fromEntries(
        Object.entries(results).map(([k, v]) => [
          k,
          { median: Math.round(median(v)), max: Math.round(Math.max(...v)) },
        ]),
      ),
    }),
  );
}

await main();
