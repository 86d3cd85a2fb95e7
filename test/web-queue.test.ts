/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-argument, @typescript-eslint/no-unsafe-return -- JSON bodies of the API under test */
/**
 * The incident queue under live traffic and bulk work, in Debian's Chromium against a real
 * `vigil serve`: while an analyst has a row of the queue selected, a second attack arrives through
 * ingest and its incident lands above that row — the row stays where it was on screen, the arrival is
 * counted ("1 new") and announced in a live region; then two incidents are selected with the keyboard,
 * assigned together, merged and closed, each change checked through the API. The page is opened with
 * `?refresh=2` (docs/console.md) so that a poll comes within two seconds, not fifteen.
 */
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM, haveChromium, launch } from './web/browser.ts';
import { ensureConsoleBuilt } from './web/build.ts';
import { call, PASSWORD, pcastle, quickstart, seed, sendReplay, type Seeded } from './web/seed.ts';

const required = process.env['CI'] === 'true' || process.env['VIGIL_E2E'] === '1';
const present = haveChromium();

let env: Seeded | undefined;
let E: Seeded;
let browser: Browser | undefined;
let ctx: BrowserContext;
let page: Page;
const pageErrors: string[] = [];

async function incidents(tenant: string): Promise<any[]> {
  const r = await call(E.url, 'GET', `/api/v1/incidents?tenant=${tenant}`, {
    token: E.admin,
  });
  return (r.body as any).incidents;
}

async function incident(tenant: string, id: string): Promise<{ status: number; body: any }> {
  return call(E.url, 'GET', `/api/v1/tenants/${tenant}/incidents/${id}`, { token: E.admin });
}

const row = (id: string): Locator => page.locator(`[role=grid] [role=row][data-incident="${id}"]`);
const selectedRow = (): Locator => page.locator('[role=grid] [role=row][aria-selected=true]');

/** Moves the keyboard selection to the incident's row with j/k. */
async function selectWithKeys(id: string): Promise<void> {
  for (let i = 0; i < 20; i++) {
    const sel = selectedRow();
    const has = (await sel.count()) > 0;
    if (has && (await sel.getAttribute('data-incident')) === id) return;
    const want = Number(await row(id).getAttribute('aria-rowindex'));
    const now = has ? Number(await sel.getAttribute('aria-rowindex')) : 0;
    await page.keyboard.press(now === 0 || now < want ? 'j' : 'k');
  }
  throw new Error(`could not select ${id} with j/k`);
}

describe.skipIf(!present && !required)('the queue under live traffic and bulk work', () => {
  beforeAll(async () => {
    if (!present) throw new Error(`no Chromium at ${CHROMIUM}: apt-get install chromium`);
    ensureConsoleBuilt();
    env = await seed(pcastle);
    E = env;
    browser = await launch();
    ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    ctx.setDefaultTimeout(10_000);
    page = await ctx.newPage();
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.goto(`${E.url}/incidents?refresh=2`);
    await page.locator('input[name=username]').fill(E.users.analyst);
    await page.locator('input[name=password]').fill(PASSWORD);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('combobox', { name: 'Tenant scope' }).click();
    await page.getByRole('option', { name: E.victim.name }).click();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await env?.close();
  });

  it('holds the selected row in place when an incident arrives above it, and announces it', async () => {
    const before = await incidents(E.victim.id);
    expect(before.length).toBeGreaterThanOrEqual(2);
    const last = before[before.length - 1];
    await expect
      .poll(() => page.locator('[role=grid] [role=row][data-incident]').count())
      .toBe(before.length);
    // the reader is on the last row, with the keyboard
    await page.locator('body').click({ position: { x: 5, y: 400 } });
    await selectWithKeys(last.id);
    const held = row(last.id);
    const y0 = (await held.boundingBox())?.y;
    expect(y0).toBeDefined();

    // a second attack on other hosts of the same customer, through ingest
    const key = (
      (await call(E.url, 'POST', `/api/v1/tenants/${E.victim.id}/keys`, {
        token: E.admin,
        body: { name: 'second wave' },
      })) as { body: any }
    ).body.key;
    await sendReplay(E.url, key, quickstart);
    await E.server.pipeline.drain();
    let arrived: any;
    await expect
      .poll(
        async () => {
          const now = await incidents(E.victim.id);
          arrived = now.find((i) => !before.some((b) => b.id === i.id));
          return arrived !== undefined && arrived.score > last.score;
        },
        { timeout: 15_000 },
      )
      .toBe(true);

    // the queue shows it above the held row (a poll comes within two seconds)…
    await expect
      .poll(async () => Number(await held.getAttribute('aria-rowindex')), { timeout: 10_000 })
      .toBe(before.length + 2);
    // …and the held row did not move on screen, and is still the one selected
    const y1 = (await held.boundingBox())?.y;
    expect(Math.abs((y1 ?? -1000) - (y0 ?? 0))).toBeLessThanOrEqual(1);
    expect(await held.getAttribute('aria-selected')).toBe('true');
    // the arrival is counted where the eye is, and said in the live region
    const pill = page.getByRole('button', { name: '1 new' });
    await pill.waitFor();
    const live = page.getByTestId('queue-announce');
    expect(await live.getAttribute('aria-live')).toBe('polite');
    await expect.poll(() => live.textContent()).toContain(`1 new incident: ${arrived.title}`);
    expect(await row(arrived.id).getAttribute('class')).toContain('vg-row-new');

    // the count takes the reader up to it
    await pill.click();
    await expect.poll(() => selectedRow().getAttribute('data-incident')).toBe(arrived.id);
    await expect.poll(() => pill.count()).toBe(0);
    expect(await page.getByTestId('queue-scroller').evaluate((el) => el.scrollTop)).toBe(0);
  }, 60_000);

  it('selects two incidents with the keyboard and assigns them at once', async () => {
    const list = await incidents(E.victim.id);
    const [a, b] = list.slice(-2);
    await selectWithKeys(a.id);
    await page.keyboard.press('x');
    await selectWithKeys(b.id);
    await page.keyboard.press('x');
    await expect
      .poll(() => page.getByTestId('queue-announce').textContent())
      .toBe('2 incidents selected');
    await page.keyboard.press('a');
    const dialog = page.getByRole('dialog', { name: 'Assign 2 incidents' });
    await dialog.waitFor();
    // the dialog opens on "Assign to me"
    await expect
      .poll(() =>
        dialog
          .getByRole('button', { name: 'Assign to me' })
          .evaluate((el) => el === el.ownerDocument.activeElement),
      )
      .toBe(true);
    await page.keyboard.press('Enter');
    await page.getByText('2 incidents updated: assignee → mia.analyst').waitFor();
    for (const i of [a, b])
      expect((await incident(E.victim.id, i.id)).body.assignee).toBe(E.users.analyst);
  }, 60_000);

  it('merges them, then closes what is left in one action', async () => {
    const list = await incidents(E.victim.id);
    const [a, b] = list.slice(-2);
    await page.goto(`${E.url}/incidents?refresh=2`);
    await row(a.id).waitFor();
    await page.locator('body').click({ position: { x: 5, y: 400 } });
    await selectWithKeys(a.id);
    await page.keyboard.press('x');
    await selectWithKeys(b.id);
    await page.keyboard.press('x');
    await page
      .getByRole('group', { name: 'Selected incidents' })
      .getByRole('button', {
        name: 'Merge',
      })
      .click();
    await page.getByTestId('incident-title').waitFor();
    expect(page.url()).toBe(`${E.url}/tenants/${E.victim.id}/incidents/${a.id}`);
    // the first (higher-scored) one is what is left; the other answers where it went
    const audit = await call(
      E.url,
      'GET',
      `/api/v1/tenants/${E.victim.id}/incidents/${a.id}/audit`,
      { token: E.admin },
    );
    const merge = (audit.body as any).audit.find((x: any) => x.action === 'incident.merge');
    expect(merge?.actor).toBe(`user:${E.users.analyst}`);
    expect(merge?.detail.merged).toEqual([b.id]);
    const gone = await incident(E.victim.id, b.id);
    expect(gone.status).toBe(404);
    expect(JSON.stringify(gone.body)).toContain(a.id);
    // every alert of both is in the one left (the older one's too, however old it is)
    expect((await incident(E.victim.id, a.id)).body.alert_count).toBe(
      Number(a.alert_count) + Number(b.alert_count),
    );

    // back in the queue: select every open incident and close them together
    await page.keyboard.press('u');
    const open = (await incidents(E.victim.id)).filter((i) => i.status === 'new');
    expect(open.length).toBeGreaterThanOrEqual(2);
    await row(open[0].id).waitFor();
    for (const i of open) {
      await selectWithKeys(i.id);
      await page.keyboard.press('x');
    }
    await page
      .getByRole('group', { name: 'Selected incidents' })
      .getByRole('button', {
        name: 'Close',
      })
      .click();
    await page.getByText(`${open.length} incidents updated: status → resolved`).waitFor();
    for (const i of open) expect((await incident(E.victim.id, i.id)).body.status).toBe('resolved');
    await page.getByText('No incident matches.').waitFor();
  }, 60_000);

  it('raised no error in the page', () => {
    expect(pageErrors).toEqual([]);
  });
});
