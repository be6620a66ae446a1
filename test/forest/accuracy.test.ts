// Accuracy against scikit-learn's numbers on the protocol, importances and OOB.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RandomForestRegressor, type RandomForestParams } from '../../src/index.js';
import { Rng } from '../../src/rng.js';
import { diabetes, friedman, rmse, sliceRows, type XY } from '../helpers/datasets.js';

function take(d: XY, rows: number[]): XY {
  const cols = d.X.cols;
  const data = new Float64Array(rows.length * cols);
  const y = new Float64Array(rows.length);
  rows.forEach((r, i) => {
    data.set(d.X.data.subarray(r * cols, (r + 1) * cols), i * cols);
    y[i] = d.y[r];
  });
  return { X: { data, rows: rows.length, cols, layout: 'row' }, y, featureNames: d.featureNames };
}

/** 5-fold CV repeated over 3 seeded shuffles: the mean test RMSE of 15 fits. */
async function cvRmse(params: RandomForestParams): Promise<number> {
  const d = diabetes();
  const n = d.X.rows;
  const scores: number[] = [];
  for (let shuffle = 0; shuffle < 3; shuffle++) {
    const rng = new Rng(shuffle, 0x4356);
    const perm = Array.from({ length: n }, (_, i) => i);
    for (let i = n - 1; i > 0; i--) {
      const j = rng.below(i + 1);
      [perm[i], perm[j]] = [perm[j], perm[i]];
    }
    for (let k = 0; k < 5; k++) {
      const test = take(
        d,
        perm.filter((_, i) => i % 5 === k),
      );
      const train = take(
        d,
        perm.filter((_, i) => i % 5 !== k),
      );
      const m = await new RandomForestRegressor({ ...params, seed: 100 * shuffle + k }).fit(train.X, train.y);
      scores.push(rmse(test.y, await m.predict(test.X)));
    }
  }
  return scores.reduce((a, b) => a + b, 0) / scores.length;
}

test("diabetes, scikit-learn's defaults: 5-fold x 3 CV RMSE within 1.5 of 58.5", async () => {
  const score = await cvRmse({});
  assert.ok(Math.abs(score - 58.5) <= 1.5, `mean CV RMSE ${score}`);
});

test('diabetes, max_features third and min_samples_leaf 5: CV RMSE within 1.0 of 56.8', async () => {
  const score = await cvRmse({ maxFeatures: 'third', minSamplesLeaf: 5 });
  assert.ok(Math.abs(score - 56.8) <= 1.0, `mean CV RMSE ${score}`);
});

for (const splitMode of ['exact', 'hist'] as const) {
  test(`importances sum to 1 and Friedman noise features rank below the signal ones (${splitMode})`, async () => {
    const d = friedman(3000, 8);
    const m = await new RandomForestRegressor({ nEstimators: 50, splitMode, maxFeatures: 'third', minSamplesLeaf: 5 }).fit(d.X, d.y);
    const imp = m.featureImportances;
    const sum = imp.reduce((a, b) => a + b, 0);
    assert.ok(Math.abs(sum - 1) < 1e-12, `importances sum to ${sum}`);
    const signal = Math.min(...imp.slice(0, 5));
    const noise = Math.max(...imp.slice(5));
    assert.ok(noise < signal, `max noise importance ${noise} >= min signal importance ${signal}: ${Array.from(imp)}`);
  });
}

test('OOB RMSE is close to the held-out RMSE', async () => {
  const d = friedman(5000, 12);
  const train = sliceRows(d, 0, 4000);
  const test = sliceRows(d, 4000, 5000);
  const m = await new RandomForestRegressor({ nEstimators: 60, maxFeatures: 'third' }).fit(train.X, train.y);
  const held = rmse(test.y, await m.predict(test.X));
  assert.ok(m.oobRmse !== null && m.oobScore !== null);
  assert.ok(Math.abs(m.oobRmse - held) / held < 0.1, `OOB ${m.oobRmse} vs held-out ${held}`);
  assert.ok(m.oobScore > 0.8 && m.oobScore < 1, `OOB R² ${m.oobScore}`);
});

test('without bootstrap there is no OOB estimate', async () => {
  const d = friedman(300, 1);
  const m = await new RandomForestRegressor({ nEstimators: 3, bootstrap: false }).fit(d.X, d.y);
  assert.equal(m.oobRmse, null);
  assert.equal(m.oobScore, null);
  assert.equal(m.oobPrediction, null);
});

test('histogram mode is as accurate as exact mode on Friedman #1', async () => {
  const d = friedman(6000, 13);
  const train = sliceRows(d, 0, 5000);
  const test = sliceRows(d, 5000, 6000);
  const scores: Record<string, number> = {};
  for (const splitMode of ['exact', 'hist'] as const) {
    const m = await new RandomForestRegressor({ nEstimators: 60, splitMode, maxFeatures: 'third', minSamplesLeaf: 5 }).fit(train.X, train.y);
    scores[splitMode] = rmse(test.y, await m.predict(test.X));
  }
  assert.ok(Math.abs(scores.hist - scores.exact) / scores.exact < 0.03, JSON.stringify(scores));
});

test('a constant target gives one-leaf trees that predict the constant', async () => {
  const d = friedman(200, 1);
  const y = new Float64Array(200).fill(7.25);
  const m = await new RandomForestRegressor({ nEstimators: 3 }).fit(d.X, y);
  assert.equal(m.forest.feature.length, 3);
  assert.deepEqual(Array.from(await m.predict(d.X)).slice(0, 3), [7.25, 7.25, 7.25]);
});
