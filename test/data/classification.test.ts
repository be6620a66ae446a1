import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { classificationData, inferTask, kFold, labelledPart, loadData, prepareFolds, prepareTraining, splitRows, stratifiedKFold, stratifiedSplitRows } from '../../src/data/index.js';
import type { Column } from '../../src/data/index.js';
import { decodeLabels, type Label } from '../../src/labels.js';
import { tempDir, writeFile } from './tmp.js';

const dir = tempDir('classification');
const root = fileURLToPath(new URL('../../', import.meta.url));

const numeric = (values: number[]): Column => ({ name: 'y', kind: 'numeric', values: Float64Array.from(values) });
const repeat = (values: number[], n: number) => Array.from({ length: n }, (_, i) => values[i % values.length]);

test('task inference: text and booleans are classes; few distinct integers are classes; other numbers regress', () => {
  assert.equal(inferTask({ name: 'y', kind: 'categorical', values: ['a', 'b', null] }).task, 'classification');
  assert.equal(inferTask({ name: 'y', kind: 'boolean', values: Float64Array.from([0, 1, 1]) }).task, 'classification');
  // two integer values are always classes, even on 6 rows
  assert.equal(inferTask(numeric([0, 1, 0, 1, 1, 0])).task, 'classification');
  // 3 values: classes on 100 rows (3 <= 5% of 100), a quantity on 30 rows (3 > 1.5)
  assert.equal(inferTask(numeric(repeat([1, 2, 3], 100))).task, 'classification');
  assert.equal(inferTask(numeric(repeat([1, 2, 3], 30))).task, 'regression');
  // 20 values on 400 rows: classes; 21 values on any number of rows: regression
  assert.equal(inferTask(numeric(repeat([...Array(20).keys()], 400))).task, 'classification');
  assert.equal(inferTask(numeric(repeat([...Array(21).keys()], 100000))).task, 'regression');
  // non-integers, and a constant (reported as constant by the regression checks)
  assert.equal(inferTask(numeric([0, 0.5, 1, 0.5])).task, 'regression');
  assert.equal(inferTask(numeric([5, 5, 5])).task, 'regression');
  // a built-in's own task wins for numbers
  assert.equal(inferTask(numeric(repeat([...Array(30).keys()], 60)), 'classification').task, 'classification');
});

test('diabetes and friedman1 stay regression; --task overrides the guess either way', async () => {
  assert.equal(prepareTraining(await loadData('diabetes')).task, 'regression');
  assert.equal(prepareTraining(await loadData('friedman1:200')).task, 'regression');
  const path = writeFile(
    dir,
    'flag.csv',
    `a,y\n${repeat([0, 1], 40)
      .map((v, i) => `${i},${v}`)
      .join('\n')}\n`,
  );
  const data = await loadData(path);
  const inferred = prepareTraining(data, { target: 'y' });
  assert.equal(inferred.task, 'classification');
  assert.deepEqual(inferred.classes, [0, 1]);
  assert.ok(inferred.notes.some((n) => /task: classification \(target "y": 2 distinct integer values; --task regression/.test(n)));
  const regressed = prepareTraining(data, { target: 'y', task: 'regression' });
  assert.equal(regressed.task, 'regression');
  assert.equal(regressed.classes, undefined);
  const diabetes = prepareTraining(await loadData('diabetes'), { task: 'classification' });
  assert.equal(diabetes.task, 'classification');
  assert.ok(diabetes.classes!.length > 100);
  assert.throws(() => prepareTraining(data, { target: 'y', task: 'ranking' as never }), /task: must be classification or regression/);
});

test('labels keep their kind through a CSV: numbers, strings (commas, quotes, unicode) and booleans', async () => {
  const cases: { csv: string; classes: Label[] }[] = [
    { csv: 'a,y\n1,0\n2,1\n3,1\n4,0\n5,1\n6,0\n', classes: [0, 1] },
    { csv: 'a,y\n1,no\n2,yes\n3,yes\n4,no\n5,yes\n6,no\n', classes: ['no', 'yes'] },
    { csv: 'a,y\n1,true\n2,false\n3,TRUE\n4,False\n5,true\n6,false\n', classes: [false, true] },
    {
      csv: 'a,y\n1,"Smith, J."\n2,Zoë\n3,"say ""hi"""\n4,Zoë\n5,"Smith, J."\n6,日本\n7,"say ""hi"""\n8,日本\n',
      classes: ['Smith, J.', 'Zoë', 'say "hi"', '日本'],
    },
    // three integer values on 60 rows (3 <= 5% of 60)
    {
      csv: `a,y\n${repeat([3, -2, 10, 3], 60)
        .map((v, i) => `${i},${v}`)
        .join('\n')}\n`,
      classes: [-2, 3, 10],
    },
  ];
  for (const [i, c] of cases.entries()) {
    const path = writeFile(dir, `labels-${i}.csv`, c.csv);
    const data = await loadData(path);
    const original = data.columns.find((col) => col.name === 'y')!;
    const p = prepareTraining(data, { target: 'y', testFraction: 0.3, seed: 1 });
    assert.equal(p.task, 'classification', path);
    assert.deepEqual(p.classes, c.classes, path);
    // every part decodes back to the labels of its source rows
    for (const part of [p, p.test!]) {
      const labels = decodeLabels(part.y, p.classes!);
      labels.forEach((label, k) => {
        const v = original.values[part.rowNumbers[k] - 1];
        const expected = original.kind === 'boolean' ? v === 1 : v;
        assert.equal(label, expected, `${path} data row ${part.rowNumbers[k]}`);
      });
    }
  }
});

test('stratified split: each class in the same fractions in every part, reproducibly', async () => {
  // 1000 rows: 600 / 300 / 100 of classes 0 / 1 / 2
  const y = Int32Array.from({ length: 1000 }, (_, i) => (i % 10 < 6 ? 0 : i % 10 < 9 ? 1 : 2));
  const s = stratifiedSplitRows(y, 3, { validation: 0.1, test: 0.2 }, 7);
  assert.deepEqual(s, stratifiedSplitRows(y, 3, { validation: 0.1, test: 0.2 }, 7));
  assert.notDeepEqual(s.test, stratifiedSplitRows(y, 3, { validation: 0.1, test: 0.2 }, 8).test);
  const count = (rows: Int32Array) => [0, 1, 2].map((c) => rows.filter((r) => y[r] === c).length);
  assert.deepEqual(count(s.test), [120, 60, 20]);
  assert.deepEqual(count(s.validation), [60, 30, 10]);
  assert.deepEqual(count(s.train), [420, 210, 70]);
  // the same part sizes as the plain split, and every row in exactly one part
  const plain = splitRows(1000, { validation: 0.1, test: 0.2 }, 7);
  assert.deepEqual([s.train.length, s.validation.length, s.test.length], [plain.train.length, plain.validation.length, plain.test.length]);
  assert.deepEqual(
    [...s.train, ...s.validation, ...s.test].sort((a, b) => a - b),
    [...Array(1000).keys()],
  );
  // uneven shares go by largest remainder; a class of 2 keeps one training row
  const small = Int32Array.from([0, 0, 0, 0, 0, 0, 0, 1, 1, 2, 2]);
  const t = stratifiedSplitRows(small, 3, { test: 0.5 }, 3);
  assert.equal(t.test.length, 6); // round(11 * 0.5)
  for (const c of [0, 1, 2])
    assert.ok(
      t.train.some((r) => small[r] === c),
      `class ${c} has a training row`,
    );
});

test('stratified k folds: every row held out once, class counts per fold differ by at most 1', () => {
  const y = Int32Array.from({ length: 103 }, (_, i) => (i < 70 ? 0 : i < 95 ? 1 : 2));
  const folds = stratifiedKFold(y, 3, 5, 4);
  assert.deepEqual(folds, stratifiedKFold(y, 3, 5, 4));
  assert.deepEqual(
    folds.flatMap((f) => [...f.validation]).sort((a, b) => a - b),
    [...Array(103).keys()],
  );
  const sizes = folds.map((f) => f.validation.length);
  assert.ok(Math.max(...sizes) - Math.min(...sizes) <= 1);
  for (const c of [0, 1, 2]) {
    const per = folds.map((f) => f.validation.filter((r) => y[r] === c).length);
    assert.ok(Math.max(...per) - Math.min(...per) <= 1, `class ${c}: ${per}`);
  }
  for (const f of folds) assert.equal(f.train.length + f.validation.length, 103);
  assert.equal(kFold(103, 5, 4).length, 5);
});

test('prepareTraining and prepareFolds stratify classification by default; --no-stratify is the plain split', async () => {
  const data = await loadData('breast-cancer');
  const p = prepareTraining(data, { testFraction: 0.2, validationFraction: 0.1, seed: 5 });
  const share = (part: { y: Float64Array }) => part.y.filter((v) => v === 1).length / part.y.length;
  // 212 of 569 malignant (index 1)
  for (const part of [p, p.validation!, p.test!]) assert.ok(Math.abs(share(part) - 212 / 569) < 0.01, `${share(part)}`);
  assert.equal(p.test!.y.filter((v) => v === 1).length, 42); // 212 * 0.2 = 42.4
  const plain = prepareTraining(data, { testFraction: 0.2, validationFraction: 0.1, seed: 5, stratify: false });
  assert.deepEqual([plain.x.rows, plain.validation!.x.rows, plain.test!.x.rows], [p.x.rows, p.validation!.x.rows, p.test!.x.rows]);
  const folds = prepareFolds(data, 4, { testFraction: 0.2, seed: 5 });
  // the folds hold out the same test rows as prepareTraining with that fraction and seed
  assert.deepEqual(folds[0].test!.rowNumbers, prepareTraining(data, { testFraction: 0.2, seed: 5 }).test!.rowNumbers);
  for (const f of folds) {
    assert.deepEqual(f.classes, ['benign', 'malignant']);
    assert.ok(Math.abs(share(f.validation!) - 212 / 569) < 0.02, `${share(f.validation!)}`);
  }
  await assert.rejects(async () => prepareTraining(await loadData('diabetes'), { stratify: true, testFraction: 0.2 }), /stratify: applies to classification only/);
});

test('bad labels: a missing label, a class with one row, a class only in the test part', async () => {
  const missing = writeFile(dir, 'missing-label.csv', 'a,label\n1,cat\n2,dog\n3,\n4,cat\n5,dog\n');
  await assert.rejects(
    async () => prepareTraining(await loadData(missing), { target: 'label' }),
    /missing-label\.csv: target column "label" has no class label in data row 3; fill it in or remove that row/,
  );

  const lonely = writeFile(dir, 'lonely.csv', 'a,label\n1,cat\n2,dog\n3,cat\n4,bird\n5,dog\n6,cat\n7,dog\n');
  await assert.rejects(
    async () => prepareTraining(await loadData(lonely), { target: 'label', testFraction: 0.3 }),
    /lonely\.csv: class "bird" of target column "label" has a single row \(data row 4\); a stratified split needs at least 2 rows per class/,
  );
  // without a held-out part, one row is enough
  assert.deepEqual(prepareTraining(await loadData(lonely), { target: 'label' }).classes, ['bird', 'cat', 'dog']);

  // --no-stratify: some seeds put the only "bird" row in the test part
  const data = await loadData(lonely);
  let failed = 0;
  for (let seed = 0; seed < 20; seed++) {
    try {
      const p = prepareTraining(data, { target: 'label', testFraction: 0.3, seed, stratify: false });
      assert.deepEqual(p.classes, ['bird', 'cat', 'dog']);
      assert.ok(decodeLabels(p.y, p.classes!).includes('bird'));
    } catch (err) {
      assert.match((err as Error).message, /lonely\.csv: data row 4 \(test part\) has class "bird" of target column "label", which no training row has; .*--stratify/);
      failed++;
    }
  }
  assert.ok(failed > 0 && failed < 20, `${failed} of 20 seeds failed`);

  // an explicit test file with a class training never saw
  const train = prepareTraining(await loadData(writeFile(dir, 'pets.csv', 'a,label\n1,cat\n2,dog\n3,cat\n4,dog\n')), { target: 'label' });
  const heldPath = writeFile(dir, 'pets-test.csv', 'a,label\n1,dog\n2,fish\n');
  const held = await loadData(heldPath, { categoricalColumns: ['label'] });
  assert.throws(() => labelledPart(held, train.preprocessing, train.classes), /pets-test\.csv: target column "label", data row 2: class "fish" was not seen in training \(classes: "cat", "dog"\)/);
  const ok = labelledPart(await loadData(writeFile(dir, 'pets-ok.csv', 'a,label\n7,dog\n8,cat\n')), train.preprocessing, train.classes);
  assert.deepEqual(Array.from(ok.y), [1, 0]);
  // booleans and numbers in a test file: the same kinds as in training
  const flags = prepareTraining(await loadData(writeFile(dir, 'flags.csv', 'a,ok\n1,true\n2,false\n3,true\n4,false\n')), { target: 'ok' });
  assert.deepEqual(flags.classes, [false, true]);
  assert.deepEqual(Array.from(labelledPart(await loadData(writeFile(dir, 'flags-test.csv', 'a,ok\n1,TRUE\n2,true\n')), flags.preprocessing, flags.classes).y), [1, 1]);
  const ints = prepareTraining(await loadData(writeFile(dir, 'ints.csv', 'a,c\n1,0\n2,1\n3,0\n4,1\n')), { target: 'c' });
  assert.deepEqual(ints.classes, [0, 1]);
  assert.deepEqual(Array.from(labelledPart(await loadData(writeFile(dir, 'ints-test.csv', 'a,c\n1,1\n2,0\n')), ints.preprocessing, ints.classes).y), [1, 0]);
  const bad = await loadData(writeFile(dir, 'ints-bad.csv', 'a,c\n1,1\n2,\n'));
  assert.throws(() => labelledPart(bad, ints.preprocessing, ints.classes), /ints-bad\.csv: target column "c", data row 2: the class label is missing/);
});

test('breast-cancer: 569 rows x 30 features, target diagnosis with 357 benign and 212 malignant', async () => {
  const data = await loadData('breast-cancer');
  assert.equal(data.table.numRows(), 569);
  assert.equal(data.defaultTarget, 'diagnosis');
  const p = prepareTraining(data);
  assert.equal(p.task, 'classification');
  assert.deepEqual(p.classes, ['benign', 'malignant']);
  assert.equal(p.featureNames.length, 30);
  assert.equal(p.featureNames[0], 'mean_radius');
  assert.equal(p.featureNames[29], 'worst_fractal_dimension');
  assert.equal(p.y.filter((v) => v === 0).length, 357);
  assert.equal(p.y.filter((v) => v === 1).length, 212);
  // first row of the UCI table: malignant, mean radius 17.99
  assert.equal(p.x.data[0], 17.99);
  assert.equal(p.y[0], 1);
});

test('classes:<rows>[:<k>[:<seed>]] generates the same rows from the same spec, with integer labels', async () => {
  const a = classificationData(2000, 3, 7);
  const b = classificationData(2000, 3, 7);
  assert.deepEqual(a, b);
  assert.notDeepEqual(a.y, classificationData(2000, 3, 8).y);
  assert.equal(a.cols, 20);
  assert.equal(a.x.length, 2000 * 20);
  const counts = [0, 1, 2].map((c) => a.y.filter((v) => v === c).length);
  for (const c of counts) assert.ok(c > 600 && c < 730, `${counts}`);
  const loaded = await loadData('classes:2000:3:7');
  assert.equal(loaded.table.numRows(), 2000);
  assert.deepEqual(Float64Array.from(loaded.table.array('x5') as ArrayLike<number>), a.x.subarray(5 * 2000, 6 * 2000));
  const p = prepareTraining(loaded, { testFraction: 0.2 });
  assert.equal(p.task, 'classification');
  assert.deepEqual(p.classes, [0, 1, 2]);
  // 50 classes: more than inference would guess from integers, the built-in says classification
  const many = prepareTraining(await loadData('classes:3000:50:1'));
  assert.equal(many.classes!.length, 50);
  assert.equal(prepareTraining(await loadData('classes:100')).classes!.length, 2);
  for (const spec of ['classes:0', 'classes:10:1', 'classes:10:1001', 'classes:10:2:-1', 'classes:10:2:3:4', 'classes:x']) {
    await assert.rejects(() => loadData(spec), /expected classes:<rows>\[:<k>\[:<seed>\]\]/, spec);
  }
});

test('grove data describe breast-cancer --json names the task and classes', () => {
  const r = spawnSync(process.execPath, ['bin/grove.js', 'data', 'describe', 'breast-cancer', '--json'], { cwd: root, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.equal(out.rows, 569);
  assert.equal(out.target, 'diagnosis');
  assert.equal(out.task, 'classification');
  assert.deepEqual(out.classes, ['benign', 'malignant']);
  assert.equal(out.columns.length, 31);
});
