// Bad input is rejected in TypeScript, before the addon, with the option or row named.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RandomForestRegressor, GroveError, type RandomForestParams } from '../../src/index.js';
import { loadNative } from '../../src/forest/native.js';
import { friedman } from '../helpers/datasets.js';
import { engineParams } from '../helpers/engine-params.js';

const isGrove = (pattern: RegExp) => (err: unknown) => err instanceof GroveError && pattern.test(err.message);

test('every invalid option is rejected with its name and value', () => {
  const bad: [RandomForestParams, RegExp][] = [
    [{ nEstimators: 0 }, /n_estimators.*got 0/],
    [{ nEstimators: 2.5 }, /n_estimators/],
    [{ maxDepth: 0 }, /max_depth.*got 0/],
    [{ minSamplesSplit: 1 }, /min_samples_split.*got 1/],
    [{ minSamplesLeaf: 0 }, /min_samples_leaf.*got 0/],
    [{ maxFeatures: 0 }, /max_features.*got 0/],
    [{ maxFeatures: 'half' }, /max_features.*"half"/],
    [{ maxFeatures: 1.5 }, /max_features/],
    [{ maxFeatures: '0' }, /max_features/],
    [{ maxSamples: 0 }, /max_samples.*got 0/],
    [{ maxSamples: 1.2 }, /max_samples/],
    [{ maxSamples: 0.5, bootstrap: false }, /max_samples.*bootstrap/],
    [{ minImpurityDecrease: -1 }, /min_impurity_decrease/],
    [{ seed: -1 }, /seed/],
    [{ seed: 2 ** 33 }, /seed/],
    [{ threads: -2 }, /threads/],
    [{ splitMode: 'fast' as never }, /split_mode.*"fast"/],
    [{ backend: 'gpu' as never }, /backend.*"gpu"/],
    [{ maxBins: 1 }, /max_bins/],
    [{ maxBins: 300 }, /max_bins/],
  ];
  for (const [params, pattern] of bad) {
    assert.throws(() => new RandomForestRegressor(params), isGrove(pattern), JSON.stringify(params));
  }
});

test('an unknown option name is rejected with a suggestion', () => {
  assert.throws(() => new RandomForestRegressor({ nEstimator: 10 } as never), isGrove(/nEstimator: unknown option; did you mean nEstimators\?/));
  assert.throws(() => new RandomForestRegressor({ n_estimators: 10 } as never), isGrove(/n_estimators: unknown option/));
});

test('max_features larger than the number of features is rejected at fit', async () => {
  const d = friedman(50, 1);
  await assert.rejects(new RandomForestRegressor({ maxFeatures: 11 }).fit(d.X, d.y), isGrove(/max_features.*10 features/));
});

test('shape mismatches, NaN, Infinity, zero rows and one row are rejected', async () => {
  const m = new RandomForestRegressor({ nEstimators: 2 });
  await assert.rejects(m.fit([], []), isGrove(/no rows/));
  await assert.rejects(m.fit([[1, 2]], [1]), isGrove(/1 row.*at least 2/));
  await assert.rejects(m.fit([[1, 2], [3]], [1, 2]), isGrove(/row 1 has 1 values, expected 2/));
  await assert.rejects(
    m.fit(
      [
        [1, 2],
        [3, NaN],
      ],
      [1, 2],
    ),
    isGrove(/row 1, column 1: NaN/),
  );
  await assert.rejects(
    m.fit(
      [
        [1, 2],
        [3, 4],
      ],
      [1, Infinity],
    ),
    isGrove(/y row 1: Infinity/),
  );
  await assert.rejects(
    m.fit(
      [
        [1, 2],
        [3, 4],
      ],
      [1, 2, 3],
    ),
    isGrove(/y has 3 values but X has 2 rows/),
  );
  await assert.rejects(m.fit({ data: new Float64Array(5), rows: 2, cols: 3 }, [1, 2]), isGrove(/5 values, expected rows \* cols = 6/));
  await assert.rejects(m.fit({ data: new Float64Array([1, 2, -Infinity, 4]), rows: 2, cols: 2 }, [1, 2]), isGrove(/row 1, column 0: -Infinity/));
  await assert.rejects(m.fit({ data: [1, 2, 3, 4] as never, rows: 2, cols: 2 }, [1, 2]), isGrove(/Float64Array or Float32Array/));
  await assert.rejects(
    m.fit(
      [
        [1, 2],
        [3, 4],
      ],
      [1, 2],
      { featureNames: ['a'] },
    ),
    isGrove(/featureNames has 1 names but X has 2 columns/),
  );
});

test('predict checks the fitted state and the column count', async () => {
  const d = friedman(100, 1);
  await assert.rejects(new RandomForestRegressor().predict(d.X), isGrove(/not fitted/));
  const m = await new RandomForestRegressor({ nEstimators: 2 }).fit(d.X, d.y);
  await assert.rejects(m.predict([[1, 2, 3]]), isGrove(/3 columns but the model was trained on 10 features/));
});

test('the addon re-checks the sizes and indices it is given directly, without crashing', () => {
  const addon = loadNative().addon!;
  const x = new Float64Array(20);
  const y = new Float64Array(10);
  const params = engineParams({ n_estimators: 2 });
  assert.throws(() => addon.fitSync({ x, rows: 10, cols: 3, layout: 'row', y, params }), /expected rows \* cols = 30/);
  assert.throws(() => addon.fitSync({ x, rows: 10, cols: 2, layout: 'row', y: new Float64Array(9), params }), /y has 9 values/);
  assert.throws(() => addon.fitSync({ x, rows: 10, cols: 2, layout: 'row', y, params: { ...params, mtry: 3 } }), /mtry must be an integer in \[1, 2\]/);
  assert.throws(() => addon.fitSync({ x, rows: 10, cols: 2, layout: 'row', y, params: { ...params, max_bins: 999 } }), /max_bins/);
  assert.throws(() => addon.fitSync({ x, rows: 10, cols: 2, layout: 'diag' as never, y, params }), /layout/);
  assert.throws(() => addon.fitSync({ x, rows: 1, cols: 2, layout: 'row', y: new Float64Array(1), params }), /values, expected|at least 2 rows/);
  assert.throws(() => addon.fitSync({ x: new Int32Array(20) as never, rows: 10, cols: 2, layout: 'row', y, params }), /typed-array type/);
  assert.throws(() => addon.fitSync({ x, rows: 10, cols: 2, layout: 'row', y, params: { ...params, threads: 0 } }), /threads must be an integer in \[1, 1024\]/);
  assert.throws(() => addon.fitSync({ x, rows: 10, cols: 2, layout: 'row', y, params: { ...params, max_samples: Number.NaN } }), /max_samples/);
  assert.throws(() => addon.fitSync({ x, rows: 10, cols: 2, layout: 'row', y, params: { ...params, min_samples_leaf: 1.5 } }), /min_samples_leaf must be an integer/);
  // values that only shape the trees are TypeScript's to check; the engine stays in bounds with them
  const odd = addon.fitSync({ x, rows: 10, cols: 2, layout: 'row', y, params: { ...params, min_samples_leaf: 0, min_samples_split: -3, max_depth: -7, min_impurity_decrease: Number.NaN } });
  assert.equal(odd.treeOffsets.length, 3);
  const ok = addon.fitSync({ x, rows: 10, cols: 2, layout: 'row', y, params });
  assert.equal(ok.treeOffsets.length, 3);
});
