/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-argument, @typescript-eslint/no-unsafe-return -- JSON bodies of the API under test and axe's results */
/**
 * The console on a laptop, on a wall and with a screen reader, in Debian's Chromium against a real
 * `vigil serve` seeded with the PCASTLE replay: the overview, the queue, an incident and the wall
 * screen at 1280×800 and at 3840×2160 without sideways scrolling, the wall showing the PCASTLE
 * incident; axe-core on every screen (login, overview, queue, incident, alert, rules, admin, wall),
 * failing on serious or critical violations; and a keyboard-only walk — log in, open the top
 * incident, assign it — driven by key presses alone, checked through roles and names.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM, haveChromium, launch } from './web/browser.ts';
import { ensureConsoleBuilt } from './web/build.ts';
import { call, PASSWORD, pcastle, seed, type Seeded } from './web/seed.ts';

const required = process.env['CI'] === 'true' || process.env['VIGIL_E2E'] === '1';
const present = haveChromium();

const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

let env: Seeded | undefined;
let E: Seeded;
let browser: Browser | undefined;
let top: any;
const pageErrors: string[] = [];

async function logIn(p: Page, name: string): Promise<void> {
  await p.locator('input[name=username]').fill(name);
  await p.locator('input[name=password]').fill(PASSWORD);
  await p.getByRole('button', { name: 'Log in' }).click();
  await p.getByRole('navigation', { name: 'Main' }).waitFor();
}

// Code run in the page is written against the page's own objects (`el.ownerDocument`) or as a
// string: the tests are type-checked without the DOM library.

/** Goes to `path` inside the running console (as its links do) and waits for its content. */
async function open(p: Page, path: string): Promise<void> {
  await p.locator('body').evaluate((body, to) => {
    const w = body.ownerDocument.defaultView;
    w.history.pushState(null, '', to);
    w.dispatchEvent(new w.PopStateEvent('popstate'));
  }, path);
  if (path === '/wall') await p.getByTestId('wall-severe').waitFor();
  else if (path.startsWith('/incidents')) await p.locator('[data-incident]').first().waitFor();
  else if (path.includes('/incidents/')) {
    await p.locator('[data-node]').first().waitFor();
    await p.getByTestId('incident-alerts').locator('tbody tr').first().waitFor();
  } else if (path.includes('/alerts/')) await p.getByTestId('alert-title').waitFor();
  else await p.getByRole('heading', { level: 1 }).waitFor();
  await settle(p);
}

/** Two frames and a moment for the requests a screen makes as it opens. */
async function settle(p: Page): Promise<void> {
  await p.evaluate(
    'new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(() => setTimeout(done, 150))))',
  );
}

interface Violation {
  readonly id: string;
  readonly impact: string;
  readonly help: string;
  readonly nodes: number;
  readonly where: string;
}

/** Runs axe-core over the page as it is now. */
async function axe(p: Page): Promise<Violation[]> {
  if (!(await p.evaluate<boolean>("'axe' in window"))) await p.evaluate(AXE);
  const r: any = await p.evaluate("axe.run(document, { resultTypes: ['violations'] })");
  return r.violations.map((v: any) => ({
    id: v.id,
    impact: v.impact,
    help: v.help,
    nodes: v.nodes.length,
    where: String(v.nodes[0]?.target ?? ''),
  }));
}

describe.skipIf(!present && !required)(
  'the console on a laptop, a wall and a screen reader',
  () => {
    beforeAll(async () => {
      if (!present) throw new Error(`no Chromium at ${CHROMIUM}: apt-get install chromium`);
      ensureConsoleBuilt();
      env = await seed(pcastle);
      E = env;
      browser = await launch();
      const list = await call(E.url, 'GET', `/api/v1/incidents?tenant=${E.victim.id}`, {
        token: E.admin,
      });
      top = (list.body as any).incidents[0];
      expect(top.title).toContain('SMB Exploit');
    }, 120_000);

    afterAll(async () => {
      await browser?.close();
      await env?.close();
    });

    it('fits 1280×800 and 3840×2160 without scrolling sideways; the wall shows the PCASTLE incident', async () => {
      const ctx = await (browser as Browser).newContext({ viewport: { width: 1280, height: 800 } });
      ctx.setDefaultTimeout(10_000);
      const p = await ctx.newPage();
      p.on('pageerror', (e) => pageErrors.push(e.message));
      await p.goto(`${E.url}/`);
      await logIn(p, E.users.analyst);
      const wallType: number[] = [];
      for (const [width, height] of [
        [1280, 800],
        [3840, 2160],
      ] as const) {
        await p.setViewportSize({ width, height });
        for (const path of [
          '/',
          '/incidents',
          `/tenants/${E.victim.id}/incidents/${top.id}`,
          '/wall',
        ]) {
          await open(p, path);
          const [scrollWidth, innerWidth] = await p.evaluate<[number, number]>(
            '[document.documentElement.scrollWidth, window.innerWidth]',
          );
          expect(scrollWidth, `${path} at ${width}×${height}`).toBeLessThanOrEqual(innerWidth);
        }
        // the wall (open last): the incident, its customer, and type sized for the room
        const severe = p.getByTestId('wall-severe');
        const text = (await severe.textContent()) ?? '';
        expect(text).toContain(top.title);
        expect(text).toContain(E.victim.name);
        const wall = p.getByRole('main');
        expect(await wall.textContent()).toContain('Open incidents by tenant and severity');
        wallType.push(
          await p
            .getByRole('heading', { level: 1, name: 'SOC wall' })
            .evaluate((h) =>
              Number.parseFloat(h.ownerDocument.defaultView.getComputedStyle(h).fontSize),
            ),
        );
        // the whole wall is on screen: nothing to scroll to
        expect(
          await p.evaluate<number>('document.documentElement.scrollHeight'),
        ).toBeLessThanOrEqual(height);
      }
      expect(wallType[1]).toBeGreaterThanOrEqual(2 * (wallType[0] ?? 0));
      await ctx.close();
    }, 90_000);

    it('passes axe on every screen with no serious or critical violation', async () => {
      // axe is injected as a script, which the console's CSP (script-src 'self') would refuse.
      const ctx = await (browser as Browser).newContext({
        viewport: { width: 1280, height: 800 },
        bypassCSP: true,
      });
      ctx.setDefaultTimeout(10_000);
      const p = await ctx.newPage();
      p.on('pageerror', (e) => pageErrors.push(e.message));
      const found = new Map<string, Violation[]>();
      const check = async (name: string): Promise<void> => {
        // A dialog still fading in has its text at part opacity, which axe reads as low contrast: the
        // screen is checked once its transitions have ended (endless ones, such as loaders, aside).
        await p.waitForFunction(
          "document.getAnimations().every((a) => a.playState !== 'running' || a.effect?.getTiming().iterations === Infinity)",
        );
        found.set(name, await axe(p));
      };

      await p.goto(`${E.url}/`);
      await p.locator('input[name=username]').waitFor();
      await check('login');
      await logIn(p, 'admin');
      const incident = await call(
        E.url,
        'GET',
        `/api/v1/tenants/${E.victim.id}/incidents/${top.id}`,
        { token: E.admin },
      );
      const alertId = (incident.body as any).alert_ids[0];
      await open(p, '/');
      await check('overview');
      await open(p, '/incidents');
      await p.keyboard.press('j');
      await p.keyboard.press('x');
      await check('queue, a row selected');
      await p.keyboard.press('a');
      await p.getByRole('dialog').waitFor();
      await check('queue, assign dialog');
      await p.keyboard.press('Escape');
      await open(p, `/tenants/${E.victim.id}/incidents/${top.id}`);
      await check('incident');
      await p.locator('[data-node]').first().click();
      await p.getByTestId('node-panel').waitFor();
      await check('incident, entity details');
      await open(p, `/tenants/${E.victim.id}/alerts/${alertId}`);
      await check('alert');
      await open(p, '/rules');
      for (const tab of ['ATT&CK coverage', 'Rules', 'Upload', 'Exceptions']) {
        await p.getByRole('tab', { name: tab }).click();
        await p.getByRole('tabpanel').waitFor();
        await settle(p);
        await check(`rules: ${tab}`);
      }
      await open(p, '/admin');
      for (const tab of ['Tenants', 'Users', 'Ingest keys', 'SLA and assets', 'Audit log']) {
        await p.getByRole('tab', { name: tab }).click();
        await p.getByRole('tabpanel').waitFor();
        await settle(p);
        await check(`admin: ${tab}`);
      }
      await open(p, '/wall');
      await check('wall');
      await ctx.close();

      const all = [...found].flatMap(([page, vs]) => vs.map((v) => ({ page, ...v })));
      console.log(
        `axe ${found.size} screens: ${
          all.length === 0
            ? 'no violation'
            : all.map((v) => `${v.page}: ${v.impact} ${v.id} ×${v.nodes}`).join('; ')
        }`,
      );
      expect(all.filter((v) => v.impact === 'serious' || v.impact === 'critical')).toEqual([]);
    }, 90_000);

    it('walks from login to an assigned incident with the keyboard alone', async () => {
      const ctx = await (browser as Browser).newContext({ viewport: { width: 1280, height: 800 } });
      ctx.setDefaultTimeout(10_000);
      const p = await ctx.newPage();
      p.on('pageerror', (e) => pageErrors.push(e.message));
      const focused = (loc: ReturnType<Page['getByRole']>): Promise<boolean> =>
        loc.evaluate((el) => el === el.ownerDocument.activeElement).catch(() => false);

      await p.goto(`${E.url}/`);
      // the login form opens on the user name
      await expect.poll(() => focused(p.getByRole('textbox', { name: 'User name' }))).toBe(true);
      await p.keyboard.type(E.users.analyst);
      await p.keyboard.press('Tab');
      await p.keyboard.type(PASSWORD);
      await p.keyboard.press('Enter');
      // after logging in, the page's heading has the focus
      const overview = p.getByRole('heading', { level: 1, name: 'Overview' });
      await expect.poll(() => focused(overview)).toBe(true);
      expect(await p.getByRole('banner').count()).toBe(1);
      expect(await p.getByRole('main').count()).toBe(1);
      expect(await p.getByRole('heading', { level: 1 }).count()).toBe(1);

      // back from the heading into the navigation, to Incidents
      const incidentsLink = p
        .getByRole('navigation', { name: 'Main' })
        .getByRole('link', { name: 'Incidents' });
      for (let i = 0; i < 12 && !(await focused(incidentsLink)); i++)
        await p.keyboard.press('Shift+Tab');
      expect(await focused(incidentsLink)).toBe(true);
      await p.keyboard.press('Enter');
      await expect
        .poll(() => focused(p.getByRole('heading', { level: 1, name: 'Incidents' })))
        .toBe(true);

      // j selects the top incident and the grid takes the focus; its row is named by the title
      await p.getByRole('row').nth(1).waitFor();
      await p.keyboard.press('j');
      const grid = p.getByRole('grid', { name: 'Incident queue' });
      await expect.poll(() => focused(grid)).toBe(true);
      const row = grid.getByRole('row', { selected: true });
      const title = (await row.getByRole('rowheader').textContent()) ?? '';
      expect(title).toBe(top.title);
      const id = await row.getAttribute('data-incident');
      const tenant = id === top.id ? E.victim.id : E.other.id;

      // enter opens it; its title heading has the focus
      await p.keyboard.press('Enter');
      const heading = p.getByRole('heading', { level: 1, name: top.title });
      await expect.poll(() => focused(heading)).toBe(true);
      expect(p.url()).toBe(`${E.url}/tenants/${tenant}/incidents/${id ?? ''}`);

      // a assigns: the dialog opens on "Assign to me"; Enter does it and the focus comes back
      await p.keyboard.press('a');
      const dialog = p.getByRole('dialog', { name: 'Assign incident' });
      await expect
        .poll(() => focused(dialog.getByRole('button', { name: 'Assign to me' })))
        .toBe(true);
      await p.keyboard.press('Enter');
      await p
        .getByRole('alert')
        .filter({ hasText: `Incident updated: assignee → ${E.users.analyst}` })
        .waitFor();
      await expect.poll(() => dialog.count()).toBe(0);
      await expect.poll(() => focused(heading)).toBe(true);
      const now = await call(E.url, 'GET', `/api/v1/tenants/${tenant}/incidents/${id ?? ''}`, {
        token: E.admin,
      });
      expect((now.body as any).assignee).toBe(E.users.analyst);

      // graph nodes are tab stops named by what they are; Enter opens the details and moves the
      // focus there, Escape closes them and gives the focus back to the node
      const node = p.getByRole('group', { name: /^host srv-app-01\.[a-z.]+, infected/ });
      await node.focus();
      await p.keyboard.press('Enter');
      const details = p.getByRole('region', { name: 'Entity details' });
      await expect.poll(() => focused(details)).toBe(true);
      expect(await details.textContent()).toContain('srv-app-01');
      await p.keyboard.press('Escape');
      await expect.poll(() => details.count()).toBe(0);
      await expect.poll(() => focused(node)).toBe(true);
      expect(p.url()).toContain('/incidents/');
      await ctx.close();
    }, 60_000);

    it('raised no error in the page', () => {
      expect(pageErrors).toEqual([]);
    });
  },
);
