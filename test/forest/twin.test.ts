// The pure-TS twin builds the same forests as the native engine: every node array identical,
// bit for bit, in both split modes, over several datasets, parameter sets, seeds and thread
// counts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RandomForestRegressor, type RandomForestParams } from '../../src/index.js';
import { loadNative } from '../../src/forest/native.js';
import { diabetes, friedman, type XY } from '../helpers/datasets.js';

const cases: [string, () => XY, RandomForestParams][] = [
  ['diabetes defaults', diabetes, { nEstimators: 15 }],
  ['diabetes third/leaf 5', diabetes, { nEstimators: 15, maxFeatures: 'third', minSamplesLeaf: 5 }],
  ['friedman 3000 sqrt depth 8', () => friedman(3000, 3), { nEstimators: 10, maxFeatures: 'sqrt', maxDepth: 8 }],
  ['friedman 3000 no bootstrap 0.5', () => friedman(3000, 4), { nEstimators: 8, bootstrap: false, maxFeatures: 0.5 }],
  ['friedman 2500 max_samples 0.3 split 10', () => friedman(2500, 5), { nEstimators: 10, maxSamples: 0.3, minSamplesSplit: 10, minImpurityDecrease: 0.01 }],
];

test('the native addon is available (the twin tests compare against it)', () => {
  const load = loadNative();
  assert.ok(load.addon, `native addon did not load: ${load.errors.join('; ')}`);
});

const SEEDS = [11, 29, 4_000_000_007];
const ARRAYS = ['treeOffsets', 'feature', 'threshold', 'left', 'right', 'value', 'nSamples', 'weightedN', 'impurity'] as const;

for (const splitMode of ['exact', 'hist'] as const) {
  for (const [name, data, params] of cases) {
    test(`native (1 and 2 threads) and js build the same forest: ${name}, ${splitMode}, seeds ${SEEDS.join(', ')}`, async () => {
      const d = data();
      for (const seed of SEEDS) {
        const p = { ...params, splitMode, seed };
        const js = await new RandomForestRegressor({ ...p, backend: 'js' }).fit(d.X, d.y);
        assert.equal(js.backend, 'js');
        assert.equal(js.splitMode, splitMode);
        const jsPredictions = await js.predict(d.X);
        for (const threads of [1, 2]) {
          const native = await new RandomForestRegressor({ ...p, threads, backend: 'native' }).fit(d.X, d.y);
          assert.equal(native.backend, 'native');
          const where = `seed ${seed}, ${threads} thread(s)`;
          // every node array bit for bit: the leaf values, and the weights and impurities that
          // importances are computed from, not only the structure
          for (const key of ARRAYS) assert.deepEqual(native.forest[key], js.forest[key], `${key} differs (${where})`);
          assert.deepEqual(await native.predict(d.X), jsPredictions, `predictions differ (${where})`);
          // native routes out-of-bag rows down the splits while a tree grows, the twin walks the
          // finished trees: both add the same leaves in tree order, so the sums are identical
          assert.deepEqual(native.oobPrediction, js.oobPrediction, `OOB predictions differ (${where})`);
          assert.equal(native.oobRmse, js.oobRmse, `OOB RMSE differs (${where})`);
        }
      }
    });
  }
}

test('the twin reads column-major and Float32 input the same as row-major Float64', async () => {
  const d = friedman(600, 9);
  const { rows, cols } = d.X;
  const col = new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) col[j * rows + i] = d.X.data[i * cols + j];
  const f32 = Float32Array.from(d.X.data);
  const f32AsF64 = Float64Array.from(f32);
  for (const backend of ['native', 'js'] as const) {
    const a = await new RandomForestRegressor({ nEstimators: 5, backend }).fit(d.X, d.y);
    const b = await new RandomForestRegressor({ nEstimators: 5, backend }).fit({ data: col, rows, cols, layout: 'col' }, d.y);
    assert.deepEqual(a.forest.threshold, b.forest.threshold, `${backend}: column-major differs`);
    const c = await new RandomForestRegressor({ nEstimators: 5, backend }).fit({ data: f32, rows, cols }, d.y);
    const e = await new RandomForestRegressor({ nEstimators: 5, backend }).fit({ data: f32AsF64, rows, cols }, d.y);
    assert.deepEqual(c.forest.threshold, e.forest.threshold, `${backend}: Float32 input differs from its Float64 widening`);
  }
});

test('a feature with more distinct thresholds than rank nodes hold: native predicts with double nodes, equal to the twin', async () => {
  // exact splits on one continuous feature over 150k rows: ~100k thresholds, past the 65,534 that
  // 16-bit ranks can number, so the predictor keeps 16-byte double nodes for this forest
  const rows = 150_000;
  let s = 7;
  const rand = () => (s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32;
  const x = new Float64Array(rows);
  const y = new Float64Array(rows);
  for (let i = 0; i < rows; i++) {
    x[i] = rand() * 10;
    y[i] = Math.sin(x[i]) + rand() * 0.1;
  }
  const model = await new RandomForestRegressor({ nEstimators: 4, splitMode: 'exact', seed: 3, backend: 'native' }).fit({ data: x, rows, cols: 1 }, y);
  const f = model.forest;
  const distinct = new Set<number>();
  for (let i = 0; i < f.feature.length; i++) if (f.feature[i] >= 0) distinct.add(f.threshold[i]);
  assert.ok(distinct.size > 65_534, `only ${distinct.size} distinct thresholds: this test would not reach the double-node path`);
  const probe = { data: x.subarray(0, 20_000), rows: 20_000, cols: 1 };
  const native = await model.predict(probe);
  const js = await RandomForestRegressor.fromBuffer(model.toBuffer(), { backend: 'js' }).predict(probe);
  assert.deepEqual(native, js);
  // and a forest of the same data in histogram mode (rank nodes) agrees with its twin exactly
  const hist = await new RandomForestRegressor({ nEstimators: 4, splitMode: 'hist', seed: 3, backend: 'native' }).fit({ data: x, rows, cols: 1 }, y);
  assert.deepEqual(await hist.predict(probe), await RandomForestRegressor.fromBuffer(hist.toBuffer(), { backend: 'js' }).predict(probe));
});

test('histogram bins agree with the twin on larger columns: negatives, both zeros, repeats, wide magnitudes', async () => {
  // Past a few thousand rows the native binning sorts by bits (radix) and codes without
  // branches; the twin sorts numbers. Bins, and so thresholds, must come out the same.
  const rows = 20_000;
  const cols = 4;
  let s = 12345;
  const rand = () => (s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32;
  const x = new Float64Array(rows * cols);
  const y = new Float64Array(rows);
  for (let i = 0; i < rows; i++) {
    const u = rand();
    x[i * cols] = (u - 0.5) * 1e6; // negatives and positives
    x[i * cols + 1] = Math.round(rand() * 40) - 20 + (rand() < 0.1 ? -0 : 0); // repeats, -0 and +0
    x[i * cols + 2] = (rand() < 0.5 ? -1 : 1) * 10 ** (rand() * 60 - 30); // wide exponents, both signs
    x[i * cols + 3] = rand() < 0.3 ? -0 : rand() - 0.5;
    y[i] = Math.sign(x[i * cols]) + x[i * cols + 1] / 10 + Math.log10(Math.abs(x[i * cols + 2])) / 30 + rand() * 0.1;
  }
  const p = { nEstimators: 4, splitMode: 'hist' as const, maxFeatures: 'all' as const, minSamplesLeaf: 3, seed: 5 };
  const a = await new RandomForestRegressor({ ...p, backend: 'native' }).fit({ data: x, rows, cols }, y);
  const b = await new RandomForestRegressor({ ...p, backend: 'js' }).fit({ data: x, rows, cols }, y);
  assert.deepEqual(a.forest.feature, b.forest.feature);
  assert.deepEqual(a.forest.threshold, b.forest.threshold);
  assert.deepEqual(a.oobPrediction, b.oobPrediction);
  for (let f = 0; f < cols; f++) assert.ok(a.forest.feature.includes(f), `feature ${f} is never split on: the test would not check its bins`);
});
