/**
 * `npm run screenshots`: regenerates the console's pictures in docs/screenshots/ from a real
 * `vigil serve` — the quick-start replay for two customers, and ../shared/data/evtx/EVTX-ATTACK-SAMPLES
 * (when present, with SigmaHQ's Windows rules) uploaded for a third so the queue has a realistic
 * length — some case work done
 * through the API, then Chromium (playwright-core) photographs the overview, the queue, an incident
 * page and its attack graph at 1440×900, and the wall screen at 1920×1080. Chinese text needs a CJK
 * font (apt-get install fonts-noto-cjk).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { launch } from '../test/web/browser.ts';
import { ensureConsoleBuilt } from '../test/web/build.ts';
import { call, PASSWORD, ROOT, seed } from '../test/web/seed.ts';

const OUT = join(ROOT, 'docs', 'screenshots');
const SAMPLES = join(ROOT, '..', 'shared', 'data', 'evtx', 'EVTX-ATTACK-SAMPLES');
const SIGMA = join(ROOT, '..', 'shared', 'data', 'sigma', 'rules', 'windows');

function evtxFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? evtxFiles(p) : f.endsWith('.evtx') ? [p] : [];
  });
}

function log(line: string): void {
  process.stdout.write(`${line}\n`);
}

async function main(): Promise<void> {
  try {
    if (!execFileSync('fc-list', [':lang=zh-tw'], { encoding: 'utf8' }).trim())
      log('note: no CJK font (apt-get install fonts-noto-cjk): Chinese text will show as boxes');
  } catch {
    log('note: fc-list not found; cannot check for a CJK font');
  }
  ensureConsoleBuilt();
  mkdirSync(OUT, { recursive: true });
  const more = [
    ['fabrikam', 'Fabrikam Bank', 'FB-TELLER-11', 'FB-SQL-02', 'fabrikam'],
    ['contoso', 'Contoso Pharma', 'CP-LAB-04', 'CP-FS-01', 'contoso'],
    ['litware', 'Litware Retail', 'LW-POS-33', 'LW-DC-01', 'litware'],
  ].map(([id = '', name = '', ws = '', srv = '', dom = '']) => ({
    id,
    name,
    rename: {
      'WS-FIN-07': ws,
      'SRV-DB-01': srv,
      corvane: dom,
      CORVANE: dom.toUpperCase(),
      Corvane: name.split(' ')[0] ?? dom,
    },
  }));
  const env = await seed(undefined, {
    redate: true,
    more,
    ...(existsSync(SIGMA) ? { rules: [SIGMA] } : {}),
  });
  try {
    const { url, admin } = env;
    // A third customer with the EVTX attack samples, for a queue of realistic length.
    const files = evtxFiles(SAMPLES);
    if (files.length > 0) {
      const t = await call(url, 'POST', '/api/v1/tenants', {
        token: admin,
        body: { name: 'Tailspin Toys', id: 'tailspin' },
      });
      if (t.status !== 201) throw new Error(`create tenant: ${t.status}`);
      const key = (
        (
          await call(url, 'POST', '/api/v1/tenants/tailspin/keys', {
            token: admin,
            body: { name: 'samples' },
          })
        ).body as { key: string }
      ).key;
      for (const f of files) {
        const res = await fetch(
          `${url}/api/v1/upload?name=${encodeURIComponent(relative(SAMPLES, f))}`,
          {
            method: 'POST',
            headers: { authorization: `ApiKey ${key}`, 'content-type': 'application/octet-stream' },
            body: readFileSync(f),
          },
        );
        if (!res.ok && res.status !== 207) log(`upload ${f}: ${res.status}`);
      }
      await env.server.pipeline.drain();
      const alerts = await call(url, 'GET', '/api/v1/alerts?tenant=tailspin&limit=1000', {
        token: admin,
      });
      log(
        `uploaded ${files.length} EVTX files to tailspin: ${(alerts.body as { alerts: unknown[] }).alerts.length} alerts`,
      );
    }
    // Case work, so the queue shows statuses, assignees and clocks.
    const list = await call(url, 'GET', '/api/v1/incidents?limit=1000', { token: admin });
    const incidents = (list.body as { incidents: { id: string; tenant: string }[] }).incidents;
    const statuses = ['triage', 'investigating', 'contained', 'new', 'new', 'triage'];
    for (const [i, inc] of incidents.slice(1, 25).entries()) {
      await call(url, 'PATCH', `/api/v1/tenants/${inc.tenant}/incidents/${inc.id}`, {
        token: admin,
        body: {
          status: statuses[i % statuses.length],
          ...(i % 3 === 0 ? { assignee: env.users.analyst } : {}),
        },
      });
    }
    log(`${incidents.length} incidents`);

    const browser = await launch();
    try {
      const ctx = await browser.newContext({ viewport: { width: 1440, height: 900 } });
      ctx.setDefaultTimeout(20_000);
      const page = await ctx.newPage();
      await page.goto(`${url}/`);
      await page.locator('input[name=username]').fill(env.users.analyst);
      await page.locator('input[name=password]').fill(PASSWORD);
      await page.getByRole('button', { name: 'Log in' }).click();
      await page.getByText('Open incidents by tenant and severity').waitFor();
      await page.waitForTimeout(1500);
      await page.screenshot({ path: join(OUT, 'overview.png') });
      log('overview.png');

      await page.getByRole('link', { name: 'Incidents' }).click();
      await page.locator('[data-incident]').first().waitFor();
      await page.locator('[data-testid=score]').first().hover();
      await page.getByRole('tooltip').waitFor();
      await page.screenshot({ path: join(OUT, 'queue.png') });
      log('queue.png');

      await page.mouse.move(700, 20);
      const top = await page.locator('[data-incident]').first().getAttribute('data-incident');
      const topTenant = incidents.find((i) => i.id === top)?.tenant ?? env.victim.id;
      await page.goto(`${url}/tenants/${topTenant}/incidents/${top ?? ''}`);
      await page.getByTestId('narrative').waitFor();
      await page.waitForTimeout(800);
      await page.screenshot({ path: join(OUT, 'incident.png') });
      log('incident.png');

      const graph = page.getByTestId('attack-graph');
      await graph.scrollIntoViewIfNeeded();
      const expandable = graph.locator('[data-node]:has([data-hidden])').first();
      if ((await expandable.count()) > 0) await expandable.dblclick();
      await page.waitForTimeout(600);
      await graph.locator('[data-node^="process:"]').first().click();
      await page.getByTestId('node-panel').waitFor();
      await page.waitForTimeout(400);
      await page.locator('section[aria-label="Attack graph"]').screenshot({
        path: join(OUT, 'attack-graph.png'),
      });
      log('attack-graph.png');

      await page.getByText('繁體中文').click();
      await page.locator('section[aria-label="What happened"]').screenshot({
        path: join(OUT, 'narrative-zh-TW.png'),
      });
      log('narrative-zh-TW.png');
      await page.getByText('English', { exact: true }).click();

      // The wall screen as a 1080p screen shows it; ?refresh=2 so that events/s has its two readings.
      await page.setViewportSize({ width: 1920, height: 1080 });
      await page.goto(`${url}/wall?refresh=2`);
      await page.getByTestId('wall-severe').waitFor();
      await page.waitForTimeout(4500);
      await page.screenshot({ path: join(OUT, 'wall.png') });
      log('wall.png');
    } finally {
      await browser.close();
    }
  } finally {
    await env.close();
  }
}

await main();
