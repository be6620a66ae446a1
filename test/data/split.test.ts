import { test } from 'node:test';
import assert from 'node:assert/strict';
import { kFold, loadData, prepareFolds, prepareTraining, splitRows } from '../../src/data/index.js';
import { tempDir, writeFile } from './tmp.js';

const dir = tempDir('split');

test('splits are reproducible from the seed, disjoint and complete', () => {
  const a = splitRows(1000, { validation: 0.1, test: 0.2 }, 42);
  const b = splitRows(1000, { validation: 0.1, test: 0.2 }, 42);
  const c = splitRows(1000, { validation: 0.1, test: 0.2 }, 43);
  assert.deepEqual(a, b);
  assert.notDeepEqual(a.test, c.test);
  assert.equal(a.test.length, 200);
  assert.equal(a.validation.length, 100);
  assert.equal(a.train.length, 700);
  const all = [...a.train, ...a.validation, ...a.test].sort((x, y) => x - y);
  assert.deepEqual(
    all,
    Array.from({ length: 1000 }, (_, i) => i),
  );
});

test('k-fold: every row is held out exactly once, reproducibly', () => {
  const folds = kFold(103, 5, 9);
  assert.deepEqual(folds, kFold(103, 5, 9));
  const held = folds.flatMap((f) => Array.from(f.validation)).sort((x, y) => x - y);
  assert.deepEqual(
    held,
    Array.from({ length: 103 }, (_, i) => i),
  );
  for (const f of folds) {
    assert.ok(f.validation.length === 20 || f.validation.length === 21);
    assert.equal(f.train.length + f.validation.length, 103);
    assert.ok(!f.train.some((r) => f.validation.includes(r)));
  }
  assert.throws(() => kFold(3, 5), /cannot make 5 folds from 3 usable rows/);
});

test('prepared parts are reproducible and hold the right rows', async () => {
  const lines = ['a,y', ...Array.from({ length: 50 }, (_, i) => `${i},${i * 2}`)];
  const data = await loadData(writeFile(dir, 'lin.csv', lines.join('\n')));
  const p1 = prepareTraining(data, { target: 'y', testFraction: 0.2, validationFraction: 0.2, seed: 5 });
  const p2 = prepareTraining(data, { target: 'y', testFraction: 0.2, validationFraction: 0.2, seed: 5 });
  assert.deepEqual(p1.rowNumbers, p2.rowNumbers);
  assert.deepEqual(p1.test!.x.data, p2.test!.x.data);
  assert.equal(p1.rowNumbers.length + p1.validation!.rowNumbers.length + p1.test!.rowNumbers.length, 50);
  // every matrix row is its source row: a = row - 1, y = 2a
  for (const part of [p1, p1.validation!, p1.test!]) {
    part.rowNumbers.forEach((r, k) => {
      assert.equal(part.x.data[k], r - 1);
      assert.equal(part.y[k], 2 * (r - 1));
    });
  }
  assert.equal(p1.fingerprint, prepareTraining(data, { target: 'y', testFraction: 0.3, seed: 6 }).fingerprint);
});

test('no leakage: the imputer and the encoder see the training part only', async () => {
  // rows 1-20: a in 1..20, rows 21-40: a in 1001..1020, with missing cells in both halves.
  const lines = ['a,c,y'];
  for (let i = 1; i <= 40; i++) {
    const a = i % 5 === 0 ? '' : String(i <= 20 ? i : 1000 + i - 20);
    lines.push(`${a},${i <= 20 ? 'low' : 'high'},${i}`);
  }
  const data = await loadData(writeFile(dir, 'halves.csv', lines.join('\n')));
  const p = prepareTraining(data, { target: 'y', impute: 'median', testFraction: 0.5, seed: 3 });
  const trainValues: number[] = [];
  for (const r of p.rowNumbers) if (r % 5 !== 0) trainValues.push(r <= 20 ? r : 1000 + r - 20);
  trainValues.sort((x, y) => x - y);
  const h = trainValues.length >> 1;
  const trainMedian = trainValues.length % 2 ? trainValues[h] : (trainValues[h - 1] + trainValues[h]) / 2;
  const spec = p.preprocessing.columns.find((c) => c.name === 'a')!;
  assert.equal(spec.impute_value, trainMedian);
  // a split where all training rows are from the first half shows the difference plainly
  const firstHalf = prepareFolds(data, 2, { target: 'y', impute: 'median', seed: 1 });
  for (const fold of firstHalf) {
    const present = Array.from(fold.rowNumbers)
      .filter((r) => r % 5 !== 0)
      .map((r) => (r <= 20 ? r : 1000 + r - 20))
      .sort((x, y) => x - y);
    const m = present.length >> 1;
    const median = present.length % 2 ? present[m] : (present[m - 1] + present[m]) / 2;
    assert.equal(fold.preprocessing.columns[0].impute_value, median);
    // test rows' missing cells are filled with the training median, not their own
    fold.validation!.rowNumbers.forEach((r, k) => {
      if (r % 5 === 0) assert.equal(fold.validation!.x.data[k], median);
    });
  }
  // categories: only those of the training rows
  const low = Array.from({ length: 20 }, (_, i) => `${i + 1},low,${i + 1}`);
  const high = Array.from({ length: 2 }, (_, i) => `${i + 21},high,${i + 21}`);
  const rare = await loadData(writeFile(dir, 'rare.csv', ['a,c,y', ...low, ...high].join('\n')));
  for (let seed = 0; seed < 20; seed++) {
    const q = prepareTraining(rare, { target: 'y', testFraction: 0.25, seed });
    const trainHasHigh = Array.from(q.rowNumbers).some((r) => r > 20);
    assert.deepEqual(q.preprocessing.columns[1].categories, trainHasHigh ? ['high', 'low'] : ['low']);
  }
});

test('a sharply different train and test median proves the fit used train rows only', async () => {
  // train and test halves chosen by fold: the held-out fold's own median never appears
  const lines = ['a,y', ...Array.from({ length: 30 }, (_, i) => `${i < 10 ? '' : i < 20 ? i : 100 + i},${i}`)];
  const data = await loadData(writeFile(dir, 'gaps.csv', lines.join('\n')));
  const whole = prepareTraining(data, { target: 'y', impute: 'median' });
  const split = prepareTraining(data, { target: 'y', impute: 'median', testFraction: 0.5, seed: 11 });
  const present = Array.from(split.rowNumbers)
    .map((r) => r - 1)
    .filter((i) => i >= 10)
    .map((i) => (i < 20 ? i : 100 + i))
    .sort((x, y) => x - y);
  const m = present.length >> 1;
  const trainMedian = present.length % 2 ? present[m] : (present[m - 1] + present[m]) / 2;
  assert.equal(split.preprocessing.columns[0].impute_value, trainMedian);
  assert.notEqual(split.preprocessing.columns[0].impute_value, whole.preprocessing.columns[0].impute_value);
});
