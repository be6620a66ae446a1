// The dashboard in a real browser: Debian's chromium driven by playwright-core, against a store
// filled by `grove tune` and `grove train`. Every page loads without console errors, the runs
// table sorts and filters, the study charts draw their points, a hostile experiment name stays
// text, and each page leaves a screenshot under test/artifacts/ for a person to look at.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { buildFixture, getJson, serve, XSS_NAME, type Fixture } from './helpers.js';

export const CHROMIUM = '/usr/bin/chromium';
export const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
const ARTIFACTS = fileURLToPath(new URL('../artifacts/', import.meta.url));
const skip = existsSync(CHROMIUM) ? false : `${CHROMIUM} is missing (apt-get install -y chromium installs it; .ci/run does): browser tests skipped`;
if (skip) console.log(`# ${skip}`);

describe('dashboard in chromium', { skip }, () => {
  let fx: Fixture;
  let ui: Awaited<ReturnType<typeof serve>>;
  let browser: Browser;
  let page: Page;
  let base: string;
  let tuningId: string;
  const errors: string[] = [];
  const dialogs: string[] = [];

  before(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    fx = await buildFixture(16);
    ui = await serve(fx.db);
    base = ui.server.url;
    tuningId = (await getJson(base, '/api/experiments')).body.experiments.find((e: any) => e.name === 'tuning').experiment_id;
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
  });
  after(async () => {
    await browser?.close();
    await ui?.close();
  });

  async function visit(route: string, ready: string): Promise<void> {
    errors.length = 0;
    await page.goto(`${base}/#${route}`);
    await page.waitForSelector(ready);
  }

  async function shot(name: string, narrow = false): Promise<void> {
    await page.waitForTimeout(150); // let charts settle to the box width
    await page.screenshot({ path: `${ARTIFACTS}ui-${name}.png`, fullPage: true });
    if (narrow) {
      await page.setViewportSize({ width: 420, height: 800 });
      await page.waitForTimeout(300);
      await page.screenshot({ path: `${ARTIFACTS}ui-${name}-narrow.png`, fullPage: true });
      await page.setViewportSize({ width: 1280, height: 800 });
    }
    assert.deepEqual(errors, [], `console errors on ${name}`);
    assert.deepEqual(dialogs, [], `dialogs on ${name}`);
  }

  /** the values of one column of the runs table, by header text */
  async function column(title: string): Promise<string[]> {
    return page.$$eval(
      '#runs',
      ([table], t) => {
        const heads = [...table.querySelectorAll('thead th')].map((th) => (th.textContent ?? '').replace(/[▲▼]/g, '').trim());
        const i = heads.indexOf(t);
        return [...table.querySelectorAll('tbody tr')].map((tr) => tr.children[i]?.textContent ?? '');
      },
      title,
    );
  }

  test('home lists the experiments; the hostile name is text', async () => {
    await visit('/', '#experiments');
    const text = await page.textContent('#experiments');
    assert.ok(text!.includes(XSS_NAME), text!);
    assert.ok(text!.includes('tuning'));
    assert.equal(await page.locator('#main img').count(), 0);
    await shot('home', true);
  });

  test('the hostile experiment page shows the name as its title', async () => {
    await visit(`/experiments/${fx.xssExperimentId}`, '#runs');
    assert.equal(await page.textContent('h1'), XSS_NAME);
    assert.equal(await page.locator('#main img').count(), 0);
    await shot('xss');
  });

  test('the runs table shows the trials, sorts and filters', async () => {
    await visit(`/experiments/${tuningId}`, '#runs');
    assert.equal(await page.locator('#runs tbody tr').count(), fx.trials + 2);
    const names = await column('Run');
    assert.equal(names.filter((n) => /-trial-\d+$/.test(n)).length, fx.trials);
    await shot('experiment', true);

    const num = (s: string) => Number(s.replace(/,/g, ''));
    await page.click('th[data-sort="metrics.`val_rmse`"]');
    await page.waitForSelector('th.sorted[data-sort="metrics.`val_rmse`"][aria-sort="ascending"]');
    const asc = (await column('val_rmse')).filter((v) => v !== '—').map(num);
    assert.equal(asc.length, fx.trials);
    assert.deepEqual(
      asc,
      [...asc].sort((a, b) => a - b),
    );
    await page.click('th[data-sort="metrics.`val_rmse`"]');
    await page.waitForSelector('th.sorted[aria-sort="descending"]');
    const desc = (await column('val_rmse')).filter((v) => v !== '—').map(num);
    assert.deepEqual(desc, [...asc].reverse());

    const cut = asc[Math.floor(asc.length / 2)];
    await page.fill('#filter', `metrics.val_rmse < ${cut}`);
    await page.press('#filter', 'Enter');
    await page.waitForFunction((n) => document.querySelectorAll('#runs tbody tr').length === n, Math.floor(asc.length / 2));
    for (const v of await column('val_rmse')) assert.ok(num(v) < cut, v);
    assert.match(page.url(), /filter=metrics\.val_rmse/);
    assert.deepEqual(errors, []);

    // a malformed filter: the server's message under the box, the rows left as they were
    await page.fill('#filter', 'metrics.val_rmse <');
    await page.press('#filter', 'Enter');
    await page.waitForSelector('.filter-error:not(:empty)');
    assert.match((await page.textContent('.filter-error'))!, /expected a value at the end/);
    assert.equal(await page.locator('#runs tbody tr').count(), Math.floor(asc.length / 2));
    errors.length = 0; // the browser logs the 400 response itself
  });

  test('compare: select runs in the table, open them side by side', async () => {
    await visit(`/experiments/${tuningId}`, '#runs');
    const boxes = page.locator('#runs tbody input[type=checkbox]');
    for (let i = 2; i < 5; i++) await boxes.nth(i).check();
    await page.click('#compare');
    await page.waitForSelector('#params');
    assert.equal(await page.locator('#metrics thead th').count(), 4);
    await page.waitForSelector('#scores canvas');
    await shot('compare');
    // trials that ran past the first rung have curves to overlay
    const { body } = await getJson(base, `/api/studies/${fx.studyId}`);
    const long = body.trials
      .filter((t: any) => !t.pruned)
      .slice(0, 4)
      .map((t: any) => t.run_id);
    await visit(`/compare?ids=${long.join(',')}`, '#overlays canvas');
    await shot('compare-curves');
  });

  test('the study page draws history, importance, parallel coordinates, slices and the timeline', async () => {
    await visit(`/studies/${fx.studyId}`, '#history canvas');
    const { body } = await getJson(base, `/api/studies/${fx.studyId}`);
    const scored = body.trials.filter((t: any) => t.value !== null).length;
    assert.ok(Number(await page.getAttribute('#history .chart-box', 'data-points')) >= scored);
    assert.equal(await page.locator('#parallel svg path.pt').count(), scored);
    assert.equal(await page.locator('#slices svg circle.pt').count(), scored * Object.keys(body.space).length);
    assert.equal(await page.locator('#timeline svg rect.trial').count(), fx.trials);
    await page.waitForSelector('#importance .bar');
    assert.ok((await page.locator('#importance .bar').count()) >= 2);
    await shot('study', true);
  });

  test('a run page shows params, histories, feature importances, the artifact and its model version', async () => {
    await visit(`/runs/${fx.trainRunId}`, '#importances .bar');
    assert.equal(await page.locator('#importances .bar').count(), 10);
    assert.equal(await page.getAttribute('a.download', 'href'), `/api/runs/${fx.trainRunId}/artifacts/model`);
    assert.ok((await page.textContent('.crumbs'))!.includes(XSS_NAME));
    assert.ok((await page.textContent('#main'))!.includes('d v1'));
    await shot('run', true);
    // a trial that ran more than one rung has a curve
    const { body } = await getJson(base, `/api/studies/${fx.studyId}`);
    const long = body.trials.find((t: any) => !t.pruned);
    await visit(`/runs/${long.run_id}`, '#histories canvas');
    await shot('trial');
  });

  test('models list versions, aliases and their history', async () => {
    await visit('/models', '#model-d');
    assert.ok((await page.textContent('#model-d'))!.includes('@production'));
    await page.click('#model-d h2 a');
    await page.waitForSelector('details[open]');
    assert.ok((await page.textContent('details'))!.includes('created → v1'));
    await shot('models');
  });

  test('an unknown run shows a not-found message, not a blank page', async () => {
    await visit(`/runs/${'0'.repeat(32)}`, '.error');
    assert.match((await page.textContent('.error'))!, /Not found/);
    errors.length = 0; // the 404 response is logged by the browser
  });
});
