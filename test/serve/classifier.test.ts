// grove serve with a classifier registered in a real SQLite store, on a real port: labels by
// default, class probabilities with "params": {"predict_method": "predict_proba"} (MLflow's
// scikit-learn flavor), /metadata names the task and classes, bad params are 400s naming what
// was wrong, and a regressor's answers are byte for byte what they were.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { RandomForestClassifier } from '../../src/forest/classifier.js';
import { RandomForestRegressor } from '../../src/forest/regressor.js';
import { startServer, type RunningServer } from '../../src/serve/server.js';
import { openStore } from '../../src/track/tracking-uri.js';
import { recordRun } from '../../src/track/record-run.js';
import { get, grove, groveAsync, post, tempDir } from './helpers.js';

const FEATURES = ['f0', 'f1', 'f2'];
const LABELS = ['no, never', 'yes', 'ß "maybe"'];

function dataset(n: number, labels: readonly string[]): { x: number[][]; y: string[] } {
  const x: number[][] = [];
  const y: string[] = [];
  for (let i = 0; i < n; i++) {
    const f0 = ((i * 7919) % 1000) / 1000;
    const f1 = ((i * 104729) % 997) / 997;
    x.push([f0, f1, f0 * f1]);
    y.push(labels[Math.min(labels.length - 1, Math.floor(f0 * labels.length))]);
  }
  return { x, y };
}

const dir = tempDir();
const db = join(dir, 'grove.db');
let clf: RandomForestClassifier;
let reg: RandomForestRegressor;
let clfServer: RunningServer;
let regServer: RunningServer;
const rows = dataset(40, LABELS).x;
const records = rows.map((r) => Object.fromEntries(FEATURES.map((f, j) => [f, r[j]])));

before(async () => {
  const train = dataset(500, LABELS);
  clf = await new RandomForestClassifier({ nEstimators: 30, seed: 5, threads: 1 }).fit(train.x, train.y, { featureNames: FEATURES, targetName: 'answer' });
  reg = await new RandomForestRegressor({ nEstimators: 10, seed: 5, threads: 1 }).fit(
    train.x,
    train.x.map((r) => r[0] * 10 + r[1]),
    { featureNames: FEATURES, targetName: 'score' },
  );
  const store = await openStore(db);
  try {
    await recordRun(store, { experiment: 'serve-clf', params: {}, metrics: {}, modelBytes: () => clf.toChunks(), register: 'clf', alias: 'production', source: 'test' });
    await recordRun(store, { experiment: 'serve-clf', params: {}, metrics: {}, modelBytes: () => reg.toChunks(), register: 'reg', alias: 'production', source: 'test' });
  } finally {
    await store.close();
  }
  clfServer = await startServer('models:/clf@production', { port: 0, trackingUri: db, pollSeconds: 0, log: () => {} });
  regServer = await startServer('models:/reg@production', { port: 0, trackingUri: db, pollSeconds: 0, log: () => {} });
});
after(async () => {
  await clfServer?.close();
  await regServer?.close();
});

test('a classifier answers the class labels, in every JSON shape and CSV, as predict() does', async () => {
  const expected = await clf.predict(rows);
  assert.ok(new Set(expected).size === LABELS.length, 'every class appears');
  const bodies: [string, string, string][] = [
    ['dataframe_split', JSON.stringify({ dataframe_split: { columns: FEATURES, data: rows } }), 'application/json'],
    ['dataframe_records', JSON.stringify({ dataframe_records: records }), 'application/json'],
    ['instances', JSON.stringify({ instances: rows }), 'application/json'],
    ['inputs as columns', JSON.stringify({ inputs: Object.fromEntries(FEATURES.map((f, j) => [f, rows.map((r) => r[j])])) }), 'application/json'],
    ['explicit predict', JSON.stringify({ inputs: rows, params: { predict_method: 'predict' } }), 'application/json'],
    ['csv', [FEATURES.join(','), ...rows.map((r) => r.join(','))].join('\n') + '\n', 'text/csv'],
  ];
  for (const [what, body, type] of bodies) {
    const r = await post(clfServer.url, body, type);
    assert.equal(r.status, 200, `${what}: ${JSON.stringify(r.json)}`);
    assert.deepEqual(r.json, { predictions: expected }, what);
    assert.equal(r.headers.get('x-grove-model-version'), '1');
  }
});

test('predict_proba answers one array of class probabilities per row, in class order, equal to predictProba()', async () => {
  const proba = await clf.predictProba(rows);
  const k = clf.classes.length;
  const r = await post(clfServer.url, JSON.stringify({ dataframe_records: records, params: { predict_method: 'predict_proba' } }));
  assert.equal(r.status, 200, JSON.stringify(r.json));
  const got = r.json.predictions as number[][];
  assert.equal(got.length, rows.length);
  for (let i = 0; i < rows.length; i++) {
    assert.equal(got[i].length, k);
    assert.deepEqual(got[i], Array.from(proba.subarray(i * k, (i + 1) * k)), `row ${i + 1}`);
    const sum = got[i].reduce((a, b) => a + b, 0);
    assert.ok(Math.abs(sum - 1) < 1e-12, `row ${i + 1} sums to ${sum}`);
  }
  // the labels are the arg-max of these probabilities
  const labels = (await post(clfServer.url, JSON.stringify({ dataframe_records: records }))).json.predictions as string[];
  labels.forEach((label, i) => {
    const row = got[i];
    assert.equal(label, clf.classes[row.indexOf(Math.max(...row))]);
  });
});

test('/metadata names the task and the classes (the order of predict_proba columns)', async () => {
  const m = await get(clfServer.url, '/metadata');
  assert.equal(m.status, 200);
  assert.equal(m.json.task, 'classification');
  assert.deepEqual(m.json.classes, [...LABELS].sort());
  assert.deepEqual(m.json.classes, clf.classes);
  assert.equal(m.json.model_name, 'clf');
  const r = await get(regServer.url, '/metadata');
  assert.equal(r.json.task, 'regression');
  assert.equal(r.json.classes, null);
});

test('bad params are 400 BAD_REQUEST naming what was wrong', async () => {
  const cases: [string, unknown, RegExp][] = [
    ['unknown predict_method', { predict_method: 'predict_log_proba' }, /predict_log_proba.*predict_proba|predict_method/],
    ['predict_method not a string', { predict_method: 1 }, /predict_method/],
    ['unknown params key', { predict_methd: 'predict_proba' }, /predict_methd/],
    ['params not an object', ['predict_proba'], /params must be an object/],
  ];
  for (const [what, params, message] of cases) {
    const r = await post(clfServer.url, JSON.stringify({ inputs: rows.slice(0, 2), params }));
    assert.equal(r.status, 400, what);
    assert.equal(r.json.error_code, 'BAD_REQUEST', what);
    assert.match(String(r.json.message), message, what);
    assert.doesNotMatch(String(r.json.message), /at .*\.ts:\d+/, 'no stack trace');
  }
  const unknown = await post(clfServer.url, JSON.stringify({ inputs: rows.slice(0, 1), params: { predict_method: 'decision_function' } }));
  assert.match(String(unknown.json.message), /"decision_function"/, 'the unknown method is named');
});

test('predict_proba on a regressor is a 400; its ordinary answers are unchanged, byte for byte', async () => {
  const bad = await post(regServer.url, JSON.stringify({ inputs: rows, params: { predict_method: 'predict_proba' } }));
  assert.equal(bad.status, 400);
  assert.equal(bad.json.error_code, 'BAD_REQUEST');
  assert.match(String(bad.json.message), /regressor/);

  const res = await fetch(`${regServer.url}/invocations`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ inputs: rows }) });
  assert.equal(res.status, 200);
  const p = await reg.predict(rows);
  assert.equal(await res.text(), `{"predictions":[${Array.from(p, String).join(',')}]}`);
  // "predict" spelled out answers the same
  const explicit = await post(regServer.url, JSON.stringify({ inputs: rows, params: { predict_method: 'predict' } }));
  assert.deepEqual(explicit.json, { predictions: Array.from(p) });
});

test('an alias moved from a regressor to a classifier: the server swaps, and answers labels from then on', async () => {
  const store = await openStore(db);
  try {
    await recordRun(store, { experiment: 'serve-clf', params: {}, metrics: {}, modelBytes: () => reg.toChunks(), register: 'swap', alias: 'production', source: 'test' });
    await recordRun(store, { experiment: 'serve-clf', params: {}, metrics: {}, modelBytes: () => clf.toChunks(), register: 'swap', source: 'test' });
  } finally {
    await store.close();
  }
  const lines: string[] = [];
  const server = await startServer('models:/swap@production', { port: 0, trackingUri: db, pollSeconds: 0.2, log: (l) => lines.push(l) });
  try {
    const body = JSON.stringify({ inputs: rows.slice(0, 4) });
    const before = await post(server.url, body);
    assert.deepEqual(before.json, { predictions: Array.from(await reg.predict(rows.slice(0, 4))) });
    assert.equal((await get(server.url, '/metadata')).json.task, 'regression');
    const s2 = await openStore(db);
    try {
      await s2.setAlias('swap', 'production', 2);
    } finally {
      await s2.close();
    }
    const deadline = Date.now() + 20_000;
    let after = before;
    while (after.headers.get('x-grove-model-version') !== '2') {
      assert.ok(Date.now() < deadline, `no swap: ${lines.join(' | ')}`);
      await new Promise((r) => setTimeout(r, 100));
      after = await post(server.url, body);
    }
    assert.deepEqual(after.json, { predictions: await clf.predict(rows.slice(0, 4)) });
    const meta = await get(server.url, '/metadata');
    assert.equal(meta.json.task, 'classification');
    assert.deepEqual(meta.json.classes, clf.classes);
  } finally {
    await server.close();
  }
});

test('grove serve as a process: --help documents predict_proba, and the served classifier answers labels and probabilities', async () => {
  const help = await groveAsync('serve', '--help');
  assert.equal(help.status, 0);
  assert.match(help.stdout, /predict_proba/);
  assert.match(help.stdout, /class labels/);

  const child = spawn(process.execPath, [grove, 'serve', 'models:/clf@production', '--port', '0', '--tracking-uri', db, '--poll-seconds', '0']);
  try {
    let stderr = '';
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`grove serve did not start: ${stderr}`)), 30_000);
      child.stderr.on('data', (d: Buffer) => {
        stderr += d.toString();
        const m = / on (http:\/\/\S+)/.exec(stderr);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]);
        }
      });
      child.on('exit', (code) => reject(new Error(`grove serve exited ${code}: ${stderr}`)));
    });
    const labels = await post(url, JSON.stringify({ instances: rows.slice(0, 5) }));
    assert.deepEqual(labels.json, { predictions: await clf.predict(rows.slice(0, 5)) });
    const proba = await post(url, JSON.stringify({ instances: rows.slice(0, 5), params: { predict_method: 'predict_proba' } }));
    const p = await clf.predictProba(rows.slice(0, 5));
    const k = clf.classes.length;
    assert.deepEqual(proba.json, { predictions: Array.from({ length: 5 }, (_, i) => Array.from(p.subarray(i * k, (i + 1) * k))) });
  } finally {
    child.kill('SIGTERM');
    await once(child, 'close');
  }
});
