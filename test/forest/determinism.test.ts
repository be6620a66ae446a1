// A forest is a function of (data, params, seed): the same for any thread count.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RandomForestRegressor } from '../../src/index.js';
import { friedman } from '../helpers/datasets.js';

for (const splitMode of ['exact', 'hist'] as const) {
  test(`same forest for threads 1, 2 and 8 (${splitMode})`, async () => {
    const d = friedman(4000, 21);
    const fits = [];
    for (const threads of [1, 2, 8]) {
      fits.push(await new RandomForestRegressor({ nEstimators: 24, splitMode, threads, seed: 5, maxFeatures: 'third' }).fit(d.X, d.y));
    }
    const [a, ...rest] = fits;
    const pa = await a.predict(d.X);
    for (const b of rest) {
      assert.deepEqual(b.forest.feature, a.forest.feature);
      assert.deepEqual(b.forest.threshold, a.forest.threshold);
      assert.deepEqual(b.forest.value, a.forest.value);
      assert.deepEqual(b.oobPrediction, a.oobPrediction);
      assert.deepEqual(await b.predict(d.X), pa);
    }
  });
}

test('a different seed gives a different forest; the same seed the same one', async () => {
  const d = friedman(1000, 1);
  const a = await new RandomForestRegressor({ nEstimators: 5, seed: 1 }).fit(d.X, d.y);
  const b = await new RandomForestRegressor({ nEstimators: 5, seed: 2 }).fit(d.X, d.y);
  const c = await new RandomForestRegressor({ nEstimators: 5, seed: 1 }).fit(d.X, d.y);
  assert.notDeepEqual(a.forest.threshold, b.forest.threshold);
  assert.deepEqual(a.forest.threshold, c.forest.threshold);
});

test('tree i depends only on (seed, i): the first trees of a larger forest equal a smaller forest', async () => {
  const d = friedman(1500, 2);
  const small = await new RandomForestRegressor({ nEstimators: 4, seed: 3 }).fit(d.X, d.y);
  const large = await new RandomForestRegressor({ nEstimators: 9, seed: 3 }).fit(d.X, d.y);
  const n = small.forest.feature.length;
  assert.deepEqual(large.forest.treeOffsets.subarray(0, 5), small.forest.treeOffsets);
  assert.deepEqual(large.forest.threshold.subarray(0, n), small.forest.threshold);
});

for (const backend of ['native', 'js'] as const) {
  test(`a forest grown in rungs equals the one fitted at once (${backend})`, async () => {
    const d = friedman(1500, 7);
    const once = await new RandomForestRegressor({ nEstimators: 12, seed: 8, backend, splitMode: 'hist' }).fit(d.X, d.y);
    const grown = await new RandomForestRegressor({ nEstimators: 3, seed: 8, backend, splitMode: 'hist' }).fit(d.X, d.y);
    await grown.grow(d.X, d.y, 4);
    grown.growSync(d.X, d.y, 5);
    assert.equal(grown.nTrees, 12);
    assert.deepEqual(grown.forest.treeOffsets, once.forest.treeOffsets);
    assert.deepEqual(grown.forest.threshold, once.forest.threshold);
    assert.deepEqual(grown.forest.value, once.forest.value);
    assert.deepEqual(await grown.predict(d.X), await once.predict(d.X));
    assert.ok(grown.oobRmse !== null && once.oobRmse !== null);
    assert.ok(Math.abs(grown.oobRmse - once.oobRmse) < 1e-9 * once.oobRmse);
  });
}
