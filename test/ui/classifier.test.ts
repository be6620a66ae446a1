// The dashboard with classification runs, recorded in a real SQLite store through the track API
// (a fitted RandomForestClassifier as the model artifact, and the confusion_matrix.json and
// roc_curve.json artifacts grove train writes): the run API answers the task, the classes and
// both artifacts checked; the runs table leads with the classification metrics; a regression
// run is unchanged; and, when chromium is installed, the run page draws the matrix and the curve.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { RandomForestClassifier } from '../../src/forest/classifier.js';
import { RandomForestRegressor } from '../../src/forest/regressor.js';
import { openStore } from '../../src/track/tracking-uri.js';
import type { ParamValue, Store } from '../../src/track/store.js';
import { getJson, grove, serve } from './helpers.js';

const execFileAsync = promisify(execFile);
const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
const ARTIFACTS = fileURLToPath(new URL('../artifacts/', import.meta.url));

const LABELS = ['benign', 'malignant'];
const CONFUSION = {
  labels: LABELS,
  matrix: [
    [70, 2],
    [3, 39],
  ],
};
const ROC = { positive_label: 'malignant', fpr: [0, 0, 0.02, 0.1, 1], tpr: [0, 0.6, 0.93, 0.98, 1], thresholds: [null, 0.9, 0.6, 0.3, 0], auc: 0.9871 };
const METRICS = { accuracy: 0.956, balanced_accuracy: 0.95, log_loss: 0.12, roc_auc: 0.9871, f1_macro: 0.952, oob_accuracy: 0.94, fit_s: 0.2 };

interface Fixture {
  db: string;
  clfExperimentId: string;
  binaryRunId: string;
  multiRunId: string;
  brokenRunId: string;
  regressionRunId: string;
}

function data(n: number, k: number): { x: number[][]; y: string[]; t: number[] } {
  const x: number[][] = [];
  const y: string[] = [];
  const t: number[] = [];
  for (let i = 0; i < n; i++) {
    const f0 = ((i * 7919) % 1000) / 1000;
    const f1 = ((i * 104729) % 997) / 997;
    x.push([f0, f1]);
    y.push(`class ${Math.min(k - 1, Math.floor(f0 * k))}`);
    t.push(f0 * 5 + f1);
  }
  return { x, y, t };
}

async function recordWith(
  store: Store,
  experiment: string,
  params: Record<string, ParamValue>,
  metrics: Record<string, number>,
  artifacts: [string, Uint8Array | Iterable<Buffer>][],
): Promise<string> {
  const e = await store.getOrCreateExperiment(experiment);
  const run = await store.createRun({ experimentId: e.experimentId });
  const now = Date.now();
  await store.logBatch(run.runId, { params, metrics: Object.entries(metrics).map(([key, value]) => ({ key, value, step: 0, timestamp: now })) });
  for (const [name, bytes] of artifacts) await store.logArtifact(run.runId, name, bytes);
  await store.endRun(run.runId, 'FINISHED');
  return run.runId;
}

const json = (v: unknown) => Buffer.from(JSON.stringify(v));

async function buildFixture(): Promise<Fixture> {
  const dir = mkdtempSync(join(tmpdir(), 'grove-ui-clf-'));
  const db = join(dir, 'grove.db');
  const two = data(300, 2);
  const binary = await new RandomForestClassifier({ nEstimators: 8, seed: 0, threads: 1 }).fit(
    two.x,
    two.y.map((c) => (c === 'class 0' ? 'benign' : 'malignant')),
    { featureNames: ['radius', 'texture'], targetName: 'diagnosis' },
  );
  const three = data(300, 3);
  const multi = await new RandomForestClassifier({ nEstimators: 8, seed: 0, threads: 1 }).fit(three.x, three.y, { featureNames: ['a', 'b'], targetName: 'kind' });
  const reg = await new RandomForestRegressor({ nEstimators: 8, seed: 0, threads: 1 }).fit(two.x, two.t, { featureNames: ['a', 'b'], targetName: 'y' });
  const store = await openStore(db);
  try {
    const params = { task: 'classification', criterion: 'gini', class_weight: 'balanced', n_estimators: 8 };
    const binaryRunId = await recordWith(store, 'clf', params, METRICS, [
      ['model', binary.toBuffer()],
      ['confusion_matrix.json', json(CONFUSION)],
      ['roc_curve.json', json(ROC)],
    ]);
    const multiRunId = await recordWith(store, 'clf', { ...params, class_weight: 'null' }, { accuracy: 0.9, log_loss: 0.3, f1_macro: 0.89 }, [
      ['model', multi.toBuffer()],
      [
        'confusion_matrix.json',
        json({
          labels: multi.classes,
          matrix: [
            [30, 1, 0],
            [2, 28, 3],
            [0, 1, 35],
          ],
        }),
      ],
    ]);
    // artifacts of the wrong shape: the page shows neither, the API says null
    const brokenRunId = await recordWith(store, 'clf', params, { accuracy: 0.5 }, [
      ['confusion_matrix.json', json({ labels: ['a', 'b'], matrix: [[1, 2, 3]] })],
      ['roc_curve.json', Buffer.from('{"fpr": [0, 2], "tpr": ')],
    ]);
    const regressionRunId = await recordWith(store, 'reg', { n_estimators: 8 }, { rmse: 1.5, r2: 0.8, mae: 1.1 }, [['model', reg.toBuffer()]]);
    const clfExperimentId = (await store.getExperimentByName('clf'))!.experimentId;
    return { db, clfExperimentId, binaryRunId, multiRunId, brokenRunId, regressionRunId };
  } finally {
    await store.close();
  }
}

let fx: Fixture;
let ui: Awaited<ReturnType<typeof serve>>;
let base: string;

before(async () => {
  fx = await buildFixture();
  ui = await serve(fx.db);
  base = ui.server.url;
});
after(async () => ui?.close());

describe('run API', () => {
  test('a binary classification run: task, classes, its confusion matrix and ROC curve', async () => {
    const { status, body } = await getJson(base, `/api/runs/${fx.binaryRunId}`);
    assert.equal(status, 200);
    assert.equal(body.task, 'classification');
    assert.equal(body.model.task, 'classification');
    assert.deepEqual(body.model.classes, LABELS);
    assert.equal(body.model.target_name, 'diagnosis');
    assert.deepEqual(body.confusion_matrix, CONFUSION);
    // the +Infinity-like first threshold (null in the artifact) stays null
    assert.deepEqual(body.roc_curve, ROC);
    assert.deepEqual(
      body.artifacts.map((a: { name: string }) => a.name),
      ['confusion_matrix.json', 'model', 'roc_curve.json'],
    );
  });

  test('a multi-class run: its confusion matrix, no ROC curve', async () => {
    const { body } = await getJson(base, `/api/runs/${fx.multiRunId}`);
    assert.equal(body.task, 'classification');
    assert.deepEqual(body.model.classes, ['class 0', 'class 1', 'class 2']);
    assert.deepEqual(body.confusion_matrix.labels, ['class 0', 'class 1', 'class 2']);
    assert.equal(body.confusion_matrix.matrix.length, 3);
    assert.equal(body.roc_curve, null);
  });

  test('artifacts of the wrong shape give null, not an error', async () => {
    const { status, body } = await getJson(base, `/api/runs/${fx.brokenRunId}`);
    assert.equal(status, 200);
    assert.equal(body.task, 'classification', 'from the task param');
    assert.equal(body.model, null);
    assert.equal(body.confusion_matrix, null);
    assert.equal(body.roc_curve, null);
  });

  test('a regression run is a regression run: no classes, no evaluation artifacts', async () => {
    const { body } = await getJson(base, `/api/runs/${fx.regressionRunId}`);
    assert.equal(body.task, 'regression');
    assert.equal(body.model.task, 'regression');
    assert.equal(body.model.classes, null);
    assert.equal(body.confusion_matrix, null);
    assert.equal(body.roc_curve, null);
  });

  test('a run of grove train breast-cancer (a real CLI process) shows the matrix and curve it tracked', async () => {
    // not spawnSync: a blocked event loop makes the server and the client's kept-alive socket race
    const r = await execFileAsync(process.execPath, [grove, 'train', 'breast-cancer', '--trees', '10', '--experiment', 'bc', '--tracking-uri', fx.db, '--json'], { encoding: 'utf8' });
    const trained = JSON.parse(r.stdout);
    const { body } = await getJson(base, `/api/runs/${trained.run_id}`);
    assert.equal(body.task, 'classification');
    assert.deepEqual(body.model.classes, ['benign', 'malignant']);
    assert.deepEqual(body.confusion_matrix, trained.confusion_matrix);
    assert.equal(body.roc_curve.positive_label, 'malignant');
    assert.equal(body.roc_curve.auc, trained.roc_auc);
    assert.ok(body.roc_curve.fpr.length >= 2 && body.roc_curve.fpr.length <= 201);
    assert.deepEqual([body.roc_curve.fpr[0], body.roc_curve.tpr[0]], [0, 0]);
    assert.deepEqual([body.roc_curve.fpr.at(-1), body.roc_curve.tpr.at(-1)], [1, 1]);
    assert.equal(body.roc_curve.thresholds[0], null, 'the first threshold, +Infinity, is null');
  });

  test('the confusion matrix artifact downloads as stored', async () => {
    const res = await fetch(`${base}/api/runs/${fx.binaryRunId}/artifacts/confusion_matrix.json`);
    assert.equal(res.status, 200);
    assert.deepEqual(JSON.parse(await res.text()), CONFUSION);
  });
});

describe('metric columns', () => {
  test('the runs of a classification experiment lead with accuracy and log loss, and have no rmse', async () => {
    const { body } = await getJson(base, `/api/experiments/${fx.clfExperimentId}/runs`);
    assert.deepEqual(body.metric_keys.slice(0, 5), ['accuracy', 'balanced_accuracy', 'log_loss', 'roc_auc', 'f1_macro']);
    assert.ok(!body.metric_keys.includes('rmse'));
    assert.deepEqual(body.metric_keys.slice(5), ['oob_accuracy', 'fit_s']);
  });

  test("the experiments list names a classification experiment's best accuracy (higher is better)", async () => {
    const { body } = await getJson(base, '/api/experiments');
    const clf = body.experiments.find((e: { name: string }) => e.name === 'clf');
    assert.equal(clf.best.key, 'accuracy');
    assert.equal(clf.best.value, METRICS.accuracy);
    assert.equal(clf.best.run_id, fx.binaryRunId);
    const reg = body.experiments.find((e: { name: string }) => e.name === 'reg');
    assert.equal(reg.best.key, 'rmse');
  });
});

const skip = existsSync(CHROMIUM) ? false : `${CHROMIUM} is missing: browser checks skipped`;

describe('run page in chromium', { skip }, () => {
  let browser: Browser;
  let page: Page;
  const errors: string[] = [];

  before(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    page.on('pageerror', (e) => errors.push(e.message));
  });
  after(async () => browser?.close());

  test('a binary run shows its confusion matrix as a table and its ROC curve with the AUC in the title', async () => {
    await page.goto(`${base}/#/runs/${fx.binaryRunId}`);
    await page.waitForSelector('#confusion-matrix');
    const cells = await page.$$eval('#confusion-matrix td.cm-cell', (tds) => tds.map((td) => Number(td.getAttribute('data-count'))));
    assert.deepEqual(cells, [70, 2, 3, 39]);
    const heads = await page.$$eval('#confusion-matrix thead th', (ths) => ths.map((th) => th.textContent));
    assert.deepEqual(heads.slice(1, 3), LABELS);
    assert.match((await page.textContent('#roc-title')) ?? '', /ROC curve \(AUC 0\.9871, positive class malignant\)/);
    assert.equal(await page.getAttribute('.roc-box', 'data-points'), String(ROC.fpr.length));
    assert.match((await page.textContent('main')) ?? '', /classification/);
    await page.screenshot({ path: `${ARTIFACTS}ui-run-classifier.png`, fullPage: true });
    assert.deepEqual(errors, []);
  });

  test('a multi-class run has a matrix and no ROC curve; a regression run has neither', async () => {
    await page.goto(`${base}/#/runs/${fx.multiRunId}`);
    await page.waitForSelector('#confusion-matrix');
    assert.equal(await page.$('.roc-box'), null);
    await page.goto(`${base}/#/runs/${fx.regressionRunId}`);
    await page.waitForSelector('#importances .bar');
    assert.equal(await page.$('#confusion-matrix'), null);
    assert.equal(await page.$('#evaluation'), null);
    assert.deepEqual(errors, []);
  });

  test('the runs table of a classification experiment has accuracy and log_loss columns, no rmse', async () => {
    await page.goto(`${base}/#/experiments/${fx.clfExperimentId}`);
    await page.waitForSelector('#runs');
    const heads = await page.$$eval('#runs thead th', (ths) => ths.map((th) => (th.textContent ?? '').replace(/[▲▼]/g, '').trim()));
    assert.ok(heads.includes('accuracy') && heads.includes('log_loss'), heads.join(' | '));
    assert.ok(!heads.includes('rmse'));
    assert.ok(heads.indexOf('accuracy') < heads.indexOf('fit_s'), 'headline metrics first');
    assert.match((await page.getAttribute('#filter', 'placeholder')) ?? '', /val_accuracy/, 'the example filter speaks classification');
    assert.deepEqual(errors, []);
  });
});
