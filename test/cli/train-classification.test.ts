// grove train on a classification target: metrics, confusion matrix, tracked run and artifacts,
// labels of every kind back from the model, and the bad-label and bad-option errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { fileURLToPath } from 'node:url';
import { openStore } from '../../src/track/index.js';
import { forestModelFromBuffer, loadForestModel } from '../../src/forest/load-model.js';
import { RandomForestClassifier } from '../../src/forest/classifier.js';

const grove = fileURLToPath(new URL('../../bin/grove.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'grove-train-clf-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const run = (...args: string[]) => spawnSync(process.execPath, [grove, ...args], { encoding: 'utf8', cwd: dir });

test('grove train breast-cancer --json: metrics, confusion matrix, tracked params, metrics and artifacts', async () => {
  const db = join(dir, 'grove.db');
  const r = run('train', 'breast-cancer', '--trees', '60', '--json', '--tracking-uri', db, '--register', 'cancer');
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.equal(out.task, 'classification');
  assert.equal(out.target, 'diagnosis');
  assert.deepEqual(out.classes, ['benign', 'malignant']);
  assert.equal(out.n_classes, 2);
  assert.equal(out.criterion, 'gini');
  assert.equal(out.class_weight, null);
  assert.equal(out.n_train + out.n_test, 569);
  assert.ok(out.accuracy > 0.9, `accuracy ${out.accuracy}`);
  assert.ok(out.balanced_accuracy > 0.9, `balanced accuracy ${out.balanced_accuracy}`);
  assert.ok(out.roc_auc > 0.95, `roc_auc ${out.roc_auc}`);
  assert.ok(out.f1_macro > 0.9);
  assert.ok(out.log_loss > 0 && out.log_loss < 0.3, `log_loss ${out.log_loss}`);
  assert.ok(out.oob_accuracy > 0.9, `oob_accuracy ${out.oob_accuracy}`);
  assert.equal(out.rmse, undefined);
  // rows true, columns predicted; the test part is stratified: 72 benign, 42 malignant of 114
  const { labels, matrix } = out.confusion_matrix;
  assert.deepEqual(labels, ['benign', 'malignant']);
  assert.deepEqual(
    matrix.map((row: number[]) => row[0] + row[1]),
    [72, 42],
  );
  assert.equal((matrix[0][0] + matrix[1][1]) / out.n_test, out.accuracy);

  const store = await openStore(db);
  try {
    const runInfo = await store.getRun(out.run_id);
    assert.equal(runInfo.status, 'FINISHED');
    const params = runInfo.params;
    assert.equal(params.task, 'classification');
    assert.equal(params.criterion, 'gini');
    assert.equal(params.max_features, 'sqrt');
    assert.equal(params.target, 'diagnosis');
    const metrics = runInfo.metrics;
    for (const key of ['accuracy', 'balanced_accuracy', 'log_loss', 'roc_auc', 'f1_macro', 'oob_accuracy']) assert.equal(metrics[key], out[key], key);
    const names = (await store.listArtifacts(out.run_id)).map((a) => a.name).sort();
    assert.deepEqual(names, ['confusion_matrix.json', 'model', 'roc_curve.json']);
    const cm = JSON.parse((await store.readArtifact(out.run_id, 'confusion_matrix.json')).toString('utf8'));
    assert.deepEqual(cm, out.confusion_matrix);
    const roc = JSON.parse((await store.readArtifact(out.run_id, 'roc_curve.json')).toString('utf8'));
    assert.equal(roc.positive_label, 'malignant');
    assert.equal(roc.auc, out.roc_auc);
    assert.ok(roc.fpr.length >= 2 && roc.fpr.length <= 201);
    assert.deepEqual([roc.fpr[0], roc.tpr[0], roc.fpr.at(-1), roc.tpr.at(-1)], [0, 0, 1, 1]);
    const model = forestModelFromBuffer(await store.readArtifact(out.run_id, 'model'));
    assert.ok(model instanceof RandomForestClassifier);
    assert.deepEqual(model.classes, ['benign', 'malignant']);
  } finally {
    await store.close();
  }
});

test('grove train breast-cancer prints the metrics and the confusion matrix for people', () => {
  const r = run('train', 'breast-cancer', '--trees', '20', '--no-track', '--criterion', 'entropy', '--class-weight', 'balanced');
  assert.equal(r.status, 0, r.stderr);
  for (const line of [/^accuracy +0\.9\d{3}$/m, /^balanced accuracy +0\.\d{4}$/m, /^log loss +\d\.\d{4}$/m, /^ROC AUC +0\.9\d{3}$/m, /^F1 \(macro\) +0\.\d{4}$/m, /^OOB accuracy +0\.\d{4}$/m]) {
    assert.match(r.stdout, line);
  }
  assert.match(r.stdout, /criterion entropy/);
  assert.match(r.stdout, /confusion matrix \(test rows; rows: true class, columns: predicted\)/);
  assert.match(r.stdout, /^benign +\d+ +\d+$/m);
  assert.match(r.stdout, /^malignant +\d+ +\d+$/m);
  assert.match(r.stderr, /task: classification \(target "diagnosis": text labels\)/);
});

test('labels of every kind come back from the saved model: strings with commas and unicode, booleans, integers', async () => {
  const kinds: { name: string; labels: string[]; classes: unknown[] }[] = [
    { name: 'text', labels: ['"Smith, J."', 'Zoë 日本', '"say ""hi"""'], classes: ['Smith, J.', 'Zoë 日本', 'say "hi"'] },
    { name: 'bool', labels: ['true', 'false'], classes: [false, true] },
    { name: 'int', labels: ['3', '-1', '7'], classes: [-1, 3, 7] },
  ];
  for (const k of kinds) {
    // 120 rows: the label follows feature a, so the forest learns it
    const rows = Array.from({ length: 120 }, (_, i) => `${i % k.labels.length},${(i * 7) % 11},${k.labels[i % k.labels.length]}`);
    const path = join(dir, `${k.name}.csv`);
    writeFileSync(path, `a,b,label\n${rows.join('\n')}\n`);
    const save = join(dir, `${k.name}.grove`);
    const r = run('train', path, '--target', 'label', '--trees', '10', '--no-track', '--json', '--save', save);
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.deepEqual(out.classes, k.classes, k.name);
    assert.equal(out.accuracy, 1, k.name);
    const model = await loadForestModel(save);
    assert.ok(model instanceof RandomForestClassifier);
    assert.deepEqual(model.classes, k.classes, k.name);
    const predicted = await model.predict([
      [0, 1],
      [1, 1],
    ]);
    assert.deepEqual(predicted, [k.classes[k.classes.indexOf(labelOf(k, 0))], k.classes[k.classes.indexOf(labelOf(k, 1))]], k.name);
  }
});

/** The label value of row group g (what the CSV cell reads as). */
function labelOf(k: { name: string; labels: string[]; classes: unknown[] }, g: number): unknown {
  const cell = k.labels[g];
  if (k.name === 'bool') return cell === 'true';
  if (k.name === 'int') return Number(cell);
  return cell.replace(/^"|"$/g, '').replace(/""/g, '"');
}

test('bad labels and options are clear errors', () => {
  const missing = join(dir, 'missing.csv');
  writeFileSync(missing, 'a,label\n1,x\n2,y\n3,\n4,x\n5,y\n6,x\n');
  let r = run('train', missing, '--target', 'label', '--no-track');
  assert.equal(r.status, 2);
  assert.match(r.stderr, /missing\.csv: target column "label" has no class label in data row 3/);

  const lonely = join(dir, 'lonely.csv');
  writeFileSync(lonely, `a,label\n${Array.from({ length: 20 }, (_, i) => `${i},${i === 7 ? 'rare' : i % 2 ? 'x' : 'y'}`).join('\n')}\n`);
  r = run('train', lonely, '--target', 'label', '--no-track');
  assert.equal(r.status, 2);
  assert.match(r.stderr, /class "rare" of target column "label" has a single row \(data row 8\)/);

  const train = join(dir, 'pets.csv');
  writeFileSync(train, `a,label\n${Array.from({ length: 20 }, (_, i) => `${i},${i % 2 ? 'cat' : 'dog'}`).join('\n')}\n`);
  const held = join(dir, 'pets-test.csv');
  writeFileSync(held, 'a,label\n1,cat\n2,fish\n');
  r = run('train', train, '--target', 'label', '--no-track', '--test', held);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /pets-test\.csv: target column "label", data row 2: class "fish" was not seen in training/);

  r = run('train', 'diabetes', '--no-track', '--criterion', 'gini');
  assert.equal(r.status, 2);
  assert.match(r.stderr, /--criterion applies to classification, and target "target" is a regression target/);
  r = run('train', 'breast-cancer', '--no-track', '--task', 'regression');
  assert.equal(r.status, 2);
  assert.match(r.stderr, /target column "diagnosis" is not numeric: data row 1 has "malignant"; regression needs a numeric target/);
  r = run('train', 'breast-cancer', '--no-track', '--class-weight', '{"malignant": 2');
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /--class-weight: must be balanced, balanced_subsample, none or a JSON object/);
  r = run('train', 'breast-cancer', '--no-track', '--class-weight', '{"malignent": 2}');
  assert.equal(r.status, 2);
  assert.match(r.stderr, /class_weight: "malignent" is not a class/);
});

test('--class-weight map, --no-stratify and the classes: generator', () => {
  let r = run('train', 'breast-cancer', '--trees', '10', '--no-track', '--json', '--class-weight', '{"malignant": 2}', '--no-stratify', '--seed', '3');
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout).class_weight, { malignant: 2 });
  r = run('train', 'classes:3000:4:1', '--trees', '20', '--no-track', '--json');
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.deepEqual(out.classes, [0, 1, 2, 3]);
  assert.ok(out.accuracy > 0.5, `accuracy ${out.accuracy} on 4 classes`);
  assert.equal(out.confusion_matrix.matrix.length, 4);
  // regression output keeps its keys
  r = run('train', 'diabetes', '--trees', '10', '--no-track', '--json');
  const reg = JSON.parse(r.stdout);
  assert.equal(typeof reg.rmse, 'number');
  assert.equal(reg.accuracy, undefined);
});
