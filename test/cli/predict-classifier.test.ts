// grove predict with a saved classifier, as a real CLI process: the `prediction` column holds the
// original labels (strings with commas, quotes and unicode survive the CSV), --proba adds one
// proba_<label> column per class in class order (each row sums to 1), --json carries the same,
// and --proba on a regressor is a clear error.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RandomForestClassifier } from '../../src/forest/classifier.js';
import { RandomForestRegressor } from '../../src/forest/regressor.js';
import { formatPredictionsCsv, loadData } from '../../src/data/index.js';
import { predictionsCsvChunks, predictionsJsonChunks } from '../../src/serve/write-predictions.js';
import type { Label } from '../../src/labels.js';

const grove = fileURLToPath(new URL('../../bin/grove.js', import.meta.url));
const run = (...args: string[]) => spawnSync(process.execPath, [grove, ...args], { encoding: 'utf8' });

const FEATURES = ['f0', 'f1', 'f2'];
const STRING_LABELS = ['a,b', 'plain', 'ünï "q"'];

/** Three bands of f0 make three classes; f1 is noise, f2 follows f0 loosely. Deterministic. */
function dataset<L extends Label>(n: number, labels: readonly L[]): { x: number[][]; y: L[] } {
  const x: number[][] = [];
  const y: L[] = [];
  for (let i = 0; i < n; i++) {
    const f0 = ((i * 7919) % 1000) / 1000;
    const f1 = ((i * 104729) % 997) / 997;
    const f2 = f0 + (f1 - 0.5) * 0.2;
    x.push([f0, f1, f2]);
    y.push(labels[Math.min(labels.length - 1, Math.floor(f0 * labels.length))]);
  }
  return { x, y };
}

function csvOf(rows: number[][], names = FEATURES): string {
  return [names.join(','), ...rows.map((r) => r.join(','))].join('\n') + '\n';
}

const dir = mkdtempSync(join(tmpdir(), 'grove-predict-clf-'));
const modelPath = join(dir, 'clf.grove');
const inputPath = join(dir, 'rows.csv');
let model: RandomForestClassifier;
let rows: number[][];

before(async () => {
  const train = dataset(400, STRING_LABELS);
  model = await new RandomForestClassifier({ nEstimators: 25, seed: 3, threads: 1 }).fit(train.x, train.y, { featureNames: FEATURES, targetName: 'kind' });
  await model.save(modelPath);
  // rows of every class, and some on the band edges where the trees disagree
  rows = dataset(60, STRING_LABELS).x.map((r, i) => (i % 10 === 0 ? [0.333, r[1], 0.333] : r));
  writeFileSync(inputPath, csvOf(rows));
});

test('the prediction column holds the class labels, quoted where CSV needs it, equal to predict() in process', async () => {
  const expected = await model.predict(rows);
  const out = join(dir, 'labels.csv');
  const r = run('predict', modelPath, '--input', inputPath, '--output', out);
  assert.equal(r.status, 0, r.stderr);
  const text = readFileSync(out, 'utf8');
  assert.equal(text.split('\n')[0], 'f0,f1,f2,prediction');
  // the raw text: a label with a comma or a quote is quoted, its quotes doubled
  assert.ok(text.includes(',"a,b"\n'), 'a label with a comma is quoted');
  assert.ok(text.includes(',"ünï ""q"""\n') || !expected.includes('ünï "q"'), 'a label with quotes is quoted, quotes doubled');
  // read back by grove's own CSV reader: the same labels, row for row
  const back = await loadData(out);
  const column = back.table.array('prediction') as unknown as string[];
  assert.deepEqual([...column], expected);
  assert.deepEqual(new Set(expected), new Set(STRING_LABELS), 'every class is predicted somewhere');
});

test('--proba adds proba_<label> columns in class order; each row sums to 1 and its arg-max is the prediction', async () => {
  const r = run('predict', modelPath, '--input', inputPath, '--proba');
  assert.equal(r.status, 0, r.stderr);
  const out = join(dir, 'proba.csv');
  writeFileSync(out, r.stdout);
  const back = await loadData(out);
  const names = back.columns.map((c) => c.name);
  assert.deepEqual(names, [...FEATURES, 'prediction', ...model.classes.map((c) => `proba_${c}`)]);
  assert.deepEqual(model.classes, [...STRING_LABELS].sort());
  const labels = back.table.array('prediction') as unknown as string[];
  const proba = await model.predictProba(rows);
  const k = model.classes.length;
  for (let i = 0; i < rows.length; i++) {
    let sum = 0;
    let best = 0;
    for (let c = 0; c < k; c++) {
      const p: number = Number((back.table.array(`proba_${model.classes[c]}`) as unknown as number[])[i]);
      assert.equal(p, proba[i * k + c], `row ${i + 1}, class ${model.classes[c]}: the full double is printed`);
      sum += p;
      if (p > Number((back.table.array(`proba_${model.classes[best]}`) as unknown as number[])[i])) best = c;
    }
    assert.ok(Math.abs(sum - 1) < 1e-12, `row ${i + 1} sums to ${sum}`);
    assert.equal(labels[i], model.classes[best], `row ${i + 1}: the label is the most probable class (ties to the first)`);
  }
});

test('--json gives the labels, and with --proba the classes and one probability array per row', async () => {
  const plain = run('predict', modelPath, '--input', inputPath, '--json');
  assert.equal(plain.status, 0, plain.stderr);
  assert.deepEqual(JSON.parse(plain.stdout), { predictions: await model.predict(rows) });

  const withProba = run('predict', modelPath, '--input', inputPath, '--json', '--proba');
  assert.equal(withProba.status, 0, withProba.stderr);
  const doc = JSON.parse(withProba.stdout) as { predictions: string[]; classes: string[]; probabilities: number[][] };
  const proba = await model.predictProba(rows);
  const k = model.classes.length;
  assert.deepEqual(doc.classes, model.classes);
  assert.deepEqual(doc.predictions, await model.predict(rows));
  assert.deepEqual(
    doc.probabilities,
    rows.map((_, i) => Array.from(proba.subarray(i * k, (i + 1) * k))),
  );
  // the document is JSON.stringify's own layout (as for a regressor)
  assert.equal(withProba.stdout, JSON.stringify(doc, null, 2) + '\n');
});

test('boolean and integer labels come back as written: true/false, and numbers', async () => {
  for (const labels of [
    [false, true],
    [3, 10, 200],
  ] as Label[][]) {
    const train = dataset(300, labels);
    const m = await new RandomForestClassifier({ nEstimators: 15, seed: 1, threads: 1 }).fit(train.x, train.y, { featureNames: FEATURES });
    const path = join(dir, `clf-${typeof labels[0]}.grove`);
    await m.save(path);
    const r = run('predict', path, '--input', inputPath, '--proba');
    assert.equal(r.status, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    assert.equal(lines[0], ['f0,f1,f2,prediction', ...labels.map((l) => `proba_${l}`)].join(','));
    const expected = await m.predict(rows);
    assert.deepEqual(
      lines.slice(1).map((l) => l.split(',')[3]),
      expected.map(String),
    );
    const json = JSON.parse(run('predict', path, '--input', inputPath, '--json').stdout) as { predictions: Label[] };
    assert.deepEqual(json.predictions, expected, 'JSON keeps the label type');
  }
});

test('--proba on a regressor fails naming the option, and writes nothing', async () => {
  const train = dataset(200, [0, 1]);
  const reg = await new RandomForestRegressor({ nEstimators: 5, seed: 0, threads: 1 }).fit(
    train.x,
    train.x.map((r) => r[0] * 3),
    { featureNames: FEATURES },
  );
  const path = join(dir, 'reg.grove');
  await reg.save(path);
  const out = join(dir, 'reg-out.csv');
  const r = run('predict', path, '--input', inputPath, '--proba', '--output', out);
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /--proba/);
  assert.match(r.stderr, /regressor/);
  assert.equal(existsSync(out), false);
  // without --proba the regressor's output is as before: numbers in the last column
  const ok = run('predict', path, '--input', inputPath, '--json');
  assert.equal(ok.status, 0, ok.stderr);
  assert.deepEqual(JSON.parse(ok.stdout), { predictions: Array.from(await reg.predict(rows)) });
});

test('--help documents the labels and --proba', () => {
  const r = run('predict', '--help');
  assert.equal(r.status, 0);
  assert.match(r.stdout, /--proba/);
  assert.match(r.stdout, /proba_<label>/);
  assert.match(r.stdout, /class label/);
});

test('streamed in chunks of rows, the CSV and JSON are the same bytes as in one piece', async () => {
  const input = await loadData(inputPath);
  const predictions = await model.predict(rows);
  const values = await model.predictProba(rows);
  const proba = { classes: model.classes, values };
  const whole = formatPredictionsCsv(input, predictions, proba);
  const doc = JSON.stringify({ predictions, classes: model.classes, probabilities: rows.map((_, i) => Array.from(values.subarray(i * 3, i * 3 + 3))) }, null, 2) + '\n';
  for (const chunkRows of [1, 7, 59, 60, 1000]) {
    assert.equal([...predictionsCsvChunks(input, { predictions, proba }, chunkRows)].join(''), whole, `CSV in chunks of ${chunkRows}`);
    assert.equal([...predictionsJsonChunks({ predictions, proba }, chunkRows)].join(''), doc, `JSON in chunks of ${chunkRows}`);
  }
});

test('grove train breast-cancer, then grove predict on the bundled table: labels as trained, proba columns, accurate', async () => {
  const db = join(dir, 'bc.db');
  const t = run('train', 'breast-cancer', '--trees', '20', '--seed', '1', '--tracking-uri', db, '--register', 'bc', '--alias', 'production', '--json');
  assert.equal(t.status, 0, t.stderr);
  assert.deepEqual(JSON.parse(t.stdout).classes, ['benign', 'malignant']);
  const table = fileURLToPath(new URL('../../data/breast-cancer.csv', import.meta.url));
  const out = join(dir, 'bc-scored.csv');
  const p = run('predict', 'models:/bc@production', '--input', table, '--proba', '--output', out, '--tracking-uri', db);
  assert.equal(p.status, 0, p.stderr);
  const back = await loadData(out);
  const names = back.columns.map((c) => c.name);
  assert.deepEqual(names.slice(-3), ['prediction', 'proba_benign', 'proba_malignant']);
  assert.ok(names.includes('diagnosis'), 'the input columns are kept, the target among them');
  const truth = back.table.array('diagnosis') as unknown as string[];
  const predicted = back.table.array('prediction') as unknown as string[];
  const pb = back.table.array('proba_benign') as unknown as number[];
  const pm = back.table.array('proba_malignant') as unknown as number[];
  let right = 0;
  for (let i = 0; i < truth.length; i++) {
    assert.ok(predicted[i] === 'benign' || predicted[i] === 'malignant');
    assert.ok(Math.abs(pb[i] + pm[i] - 1) < 1e-12);
    assert.equal(predicted[i], pm[i] > pb[i] ? 'malignant' : 'benign');
    if (predicted[i] === truth[i]) right++;
  }
  assert.equal(truth.length, 569);
  assert.ok(right / truth.length > 0.9, `accuracy ${right / truth.length} on the table it mostly trained on`);
});
