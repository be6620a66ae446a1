// The native engine as a classifier (Gini and entropy, exact and histogram splits), through the
// real addon: accuracy on separable data, probabilities, pure leaves, determinism over thread
// counts, class weights, many classes, and the checks on what JavaScript hands it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { EngineParams } from '../../src/forest/engine-params.js';
import { loadNative, type NativeFitOutput } from '../../src/forest/native.js';
import { engineParams } from '../helpers/engine-params.js';

const addon = loadNative().addon!;

/** A seeded stream in [0, 1) (an LCG: the test needs variety, not quality). */
function stream(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

interface Data {
  x: Float64Array;
  y: Float64Array;
  rows: number;
  cols: number;
}

/** rows x cols in [0, 1); the class is x0's slice of [0, 1) cut into k equal parts (the other columns are noise). */
function sliced(rows: number, cols: number, k: number, seed: number): Data {
  const r = stream(seed);
  const x = new Float64Array(rows * cols);
  const y = new Float64Array(rows);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) x[i * cols + j] = r();
    y[i] = Math.min(k - 1, Math.floor(x[i * cols] * k));
  }
  return { x, y, rows, cols };
}

/** Two overlapping classes: class 1 with probability x0 (no split separates them). */
function noisy(rows: number, cols: number, seed: number): Data {
  const r = stream(seed);
  const x = new Float64Array(rows * cols);
  const y = new Float64Array(rows);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) x[i * cols + j] = r();
    y[i] = r() < x[i * cols] ? 1 : 0;
  }
  return { x, y, rows, cols };
}

function params(over: Partial<EngineParams> & { n_classes: number }): EngineParams {
  return engineParams({ seed: 3, criterion: 1, ...over });
}

function fit(d: Data, p: EngineParams): NativeFitOutput {
  return addon.fitSync({ x: d.x, rows: d.rows, cols: d.cols, layout: 'row', y: d.y, params: p });
}

function proba(out: NativeFitOutput, d: Data): Float64Array {
  return out.handle.predictSync({ x: d.x, rows: d.rows, cols: d.cols, layout: 'row', threads: 1 });
}

/** arg-max per row, ties to the lowest index */
function argmax(p: Float64Array, k: number): Int32Array {
  const out = new Int32Array(p.length / k);
  for (let i = 0; i < out.length; i++) {
    let best = 0;
    for (let c = 1; c < k; c++) if (p[i * k + c] > p[i * k + best]) best = c;
    out[i] = best;
  }
  return out;
}

function accuracy(p: Float64Array, y: Float64Array, k: number): number {
  const pred = argmax(p, k);
  let right = 0;
  for (let i = 0; i < y.length; i++) right += pred[i] === y[i] ? 1 : 0;
  return right / y.length;
}

const CASES = [
  { name: 'gini, exact', criterion: 1 as const, split_mode: 0 as const },
  { name: 'gini, hist', criterion: 1 as const, split_mode: 1 as const },
  { name: 'entropy, exact', criterion: 2 as const, split_mode: 0 as const },
  { name: 'entropy, hist', criterion: 2 as const, split_mode: 1 as const },
];

for (const c of CASES) {
  test(`${c.name}: a separable 2-class problem fits to high accuracy, probabilities sum to 1`, () => {
    const train = sliced(3000, 4, 2, 1);
    const held = sliced(1000, 4, 2, 2);
    const out = fit(train, params({ n_classes: 2, criterion: c.criterion, split_mode: c.split_mode }));
    assert.equal(out.value.length, out.feature.length * 2);
    const p = proba(out, held);
    assert.equal(p.length, held.rows * 2);
    assert.ok(accuracy(p, held.y, 2) > 0.98, `held-out accuracy ${accuracy(p, held.y, 2)}`);
    for (let i = 0; i < held.rows; i++) {
      assert.ok(Math.abs(p[2 * i] + p[2 * i + 1] - 1) < 1e-12);
      assert.ok(p[2 * i] >= 0 && p[2 * i + 1] >= 0);
    }
    // every node's values are its class frequencies
    for (let n = 0; n < out.feature.length; n++) assert.ok(Math.abs(out.value[2 * n] + out.value[2 * n + 1] - 1) < 1e-12);
  });

  test(`${c.name}: a 10-class problem fits to high accuracy, with OOB sums of K per row`, () => {
    const train = sliced(4000, 3, 10, 3);
    const held = sliced(1000, 3, 10, 4);
    const out = fit(train, params({ n_classes: 10, criterion: c.criterion, split_mode: c.split_mode, n_estimators: 20 }));
    const p = proba(out, held);
    assert.ok(accuracy(p, held.y, 10) > 0.95, `held-out accuracy ${accuracy(p, held.y, 10)}`);
    assert.equal(out.oobSum!.length, train.rows * 10);
    let oobRows = 0;
    let oobRight = 0;
    for (let i = 0; i < train.rows; i++) {
      const n = out.oobCount![i];
      if (n === 0) continue;
      const row = out.oobSum!.subarray(i * 10, i * 10 + 10);
      // each tree adds one leaf's frequencies: the row's sums add up to its tree count
      assert.ok(Math.abs(row.reduce((a, b) => a + b, 0) - n) < 1e-9);
      oobRows++;
      oobRight += argmax(row, 10)[0] === train.y[i] ? 1 : 0;
    }
    assert.ok(oobRows > train.rows * 0.9);
    assert.ok(oobRight / oobRows > 0.95, `OOB accuracy ${oobRight / oobRows}`);
  });

  test(`${c.name}: the same forest for 1 and 2 threads`, () => {
    const d = noisy(3000, 5, 5);
    const one = fit(d, params({ n_classes: 2, criterion: c.criterion, split_mode: c.split_mode, threads: 1, n_estimators: 8 }));
    const two = fit(d, params({ n_classes: 2, criterion: c.criterion, split_mode: c.split_mode, threads: 2, n_estimators: 8 }));
    for (const key of ['treeOffsets', 'feature', 'left', 'right', 'nSamples', 'threshold', 'value', 'weightedN', 'impurity', 'oobSum', 'oobCount'] as const) {
      assert.deepEqual(two[key], one[key], key);
    }
    assert.deepEqual(proba(two, d), proba(one, d));
  });
}

test('fully grown trees without bootstrap end in pure leaves', () => {
  const d = noisy(800, 3, 6);
  for (const c of CASES) {
    const out = fit(d, params({ n_classes: 2, criterion: c.criterion, split_mode: c.split_mode, bootstrap: false, mtry: 3, n_estimators: 3 }));
    for (let n = 0; n < out.feature.length; n++) {
      if (out.feature[n] !== -1) continue;
      assert.equal(out.impurity[n], 0, `${c.name}: node ${n}`);
      assert.ok(out.value[2 * n] === 1 || out.value[2 * n + 1] === 1, `${c.name}: node ${n}`);
    }
    // and predict the training rows back
    assert.equal(accuracy(proba(out, d), d.y, 2), 1, c.name);
  }
});

test('the root holds the class frequencies, its weight and its Gini or entropy', () => {
  const d = noisy(1000, 3, 7);
  const counts = [0, 0];
  for (const v of d.y) counts[v]++;
  const f = [counts[0] / 1000, counts[1] / 1000];
  const gini = fit(d, params({ n_classes: 2, criterion: 1, bootstrap: false, n_estimators: 1 }));
  assert.equal(gini.weightedN[0], 1000);
  assert.ok(Math.abs(gini.value[0] - f[0]) < 1e-15 && Math.abs(gini.value[1] - f[1]) < 1e-15);
  assert.ok(Math.abs(gini.impurity[0] - (1 - f[0] * f[0] - f[1] * f[1])) < 1e-15);
  const entropy = fit(d, params({ n_classes: 2, criterion: 2, bootstrap: false, n_estimators: 1 }));
  const h = -(f[0] * Math.log2(f[0]) + f[1] * Math.log2(f[1]));
  assert.ok(Math.abs(entropy.impurity[0] - h) < 1e-15, `${entropy.impurity[0]} vs ${h}`);
});

test('class weights weigh the frequencies and change the trees', () => {
  const d = noisy(1000, 3, 8);
  const n1 = d.y.reduce((a, b) => a + b, 0);
  const n0 = 1000 - n1;
  const plain = fit(d, params({ n_classes: 2, bootstrap: false, n_estimators: 2, max_depth: 6 }));
  const weighted = fit(d, params({ n_classes: 2, bootstrap: false, n_estimators: 2, max_depth: 6, class_weight: new Float64Array([1, 5]) }));
  const w = n0 + 5 * n1;
  assert.equal(weighted.weightedN[0], w);
  assert.equal(weighted.value[0], n0 / w);
  assert.equal(weighted.value[1], (5 * n1) / w);
  assert.notDeepEqual(weighted.threshold, plain.threshold);
  // class 1 wins more often once weighted up
  const p = (o: NativeFitOutput) => argmax(proba(o, d), 2).reduce((a, b) => a + b, 0);
  assert.ok(p(weighted) >= p(plain));
  // weights of 1 are no weights
  const ones = fit(d, params({ n_classes: 2, bootstrap: false, n_estimators: 2, max_depth: 6, class_weight: new Float64Array([1, 1]) }));
  assert.deepEqual(ones.threshold, plain.threshold);
  assert.deepEqual(ones.value, plain.value);
});

test("balanced_subsample balances each tree's root over the classes it drew", () => {
  // 10% class 1
  const r = stream(9);
  const rows = 2000;
  const x = new Float64Array(rows * 2);
  const y = new Float64Array(rows);
  for (let i = 0; i < rows; i++) {
    x[2 * i] = r();
    x[2 * i + 1] = r();
    y[i] = i % 10 === 0 ? 1 : 0;
  }
  const d = { x, y, rows, cols: 2 };
  for (const criterion of [1, 2] as const) {
    for (const split_mode of [0, 1] as const) {
      const out = fit(d, params({ n_classes: 2, criterion, split_mode, balanced_subsample: true, n_estimators: 5, threads: 2 }));
      for (let t = 0; t < 5; t++) {
        const root = out.treeOffsets[t];
        assert.ok(Math.abs(out.value[2 * root] - 0.5) < 1e-12, `tree ${t}: ${out.value[2 * root]}`);
        assert.ok(Math.abs(out.weightedN[root] - rows) < 1e-6, `tree ${t}: weight ${out.weightedN[root]}`);
      }
      const plain = fit(d, params({ n_classes: 2, criterion, split_mode, n_estimators: 5 }));
      assert.notDeepEqual(out.value, plain.value);
    }
  }
});

test('1,000 classes fit and predict', () => {
  const k = 1000;
  const rows = 2000;
  const r = stream(10);
  const x = new Float64Array(rows * 2);
  const y = new Float64Array(rows);
  for (let i = 0; i < rows; i++) {
    y[i] = i % k;
    x[2 * i] = y[i] + 0.5 * r();
    x[2 * i + 1] = r();
  }
  const d = { x, y, rows, cols: 2 };
  for (const c of CASES) {
    // histograms off above 32 classes (as the TS side resolves it), and on: the same trees
    const p = params({ n_classes: k, criterion: c.criterion, split_mode: c.split_mode, mtry: 1, n_estimators: 4, threads: 2, hist_min_rows: 1 << 24 });
    const out = fit(d, p);
    assert.equal(out.value.length, out.feature.length * k);
    const prob = proba(out, d);
    assert.equal(prob.length, rows * k);
    assert.ok(accuracy(prob, y, k) > 0.7, `${c.name}: ${accuracy(prob, y, k)}`);
    for (let i = 0; i < rows; i += 97) {
      const s = prob.subarray(i * k, (i + 1) * k).reduce((a, b) => a + b, 0);
      assert.ok(Math.abs(s - 1) < 1e-9);
    }
    if (c.split_mode === 1) {
      const withHist = fit(d, { ...p, hist_min_rows: 64 });
      assert.deepEqual(withHist.threshold, out.threshold, c.name);
      assert.deepEqual(withHist.value, out.value, c.name);
    }
  }
});

test('min_impurity_decrease and max_depth shape classification trees', () => {
  const d = noisy(1000, 3, 11);
  const stump = fit(d, params({ n_classes: 2, min_impurity_decrease: 1, n_estimators: 2 }));
  assert.deepEqual(Array.from(stump.feature), [-1, -1]);
  const shallow = fit(d, params({ n_classes: 2, max_depth: 1, n_estimators: 2 }));
  assert.equal(shallow.feature.length, 6);
});

test("a NativeForest built from a classifier's arrays predicts as the fit's own handle", async () => {
  const d = sliced(1500, 3, 4, 12);
  const out = fit(d, params({ n_classes: 4, split_mode: 1 }));
  const forest = new addon.NativeForest({ ...out, nFeatures: 3, nClasses: 4 });
  const args = { x: d.x, rows: d.rows, cols: d.cols, layout: 'row' as const, threads: 2 };
  assert.deepEqual(forest.predictSync(args), proba(out, d));
  assert.deepEqual(await forest.predict(args), proba(out, d));
  assert.deepEqual(await out.handle.predict(args), proba(out, d));
  // the regressor's reading of the same arrays (one value a node) is refused: value is K times too long
  assert.throws(() => new addon.NativeForest({ ...out, nFeatures: 3, nClasses: 0 }), /node arrays have different lengths/);
  assert.throws(() => new addon.NativeForest({ ...out, nFeatures: 3, nClasses: 3 }), /value has/);
  assert.throws(() => new addon.NativeForest({ ...out, nFeatures: 3, nClasses: 1 }), /n_classes must be 0 or in \[2, 65536\]/);
  assert.throws(() => new addon.NativeForest({ ...out, nFeatures: 3, nClasses: 1.5 }), /nClasses must be an integer/);
  const bad = Float64Array.from(out.value);
  const leaf = out.feature.indexOf(-1);
  bad[leaf * 4 + 3] = Number.NaN;
  assert.throws(() => new addon.NativeForest({ ...out, nFeatures: 3, nClasses: 4, value: bad }), /leaf value is not finite/);
  assert.throws(() => new addon.NativeForest({ ...out, nFeatures: 3, nClasses: 4, value: out.value.subarray(1) }), /value has \d+ entries, expected \d+ nodes x 4/);
});

test('bad class indices, criteria and class weights are refused with the row or option named, never a crash', async () => {
  const d = sliced(50, 2, 3, 13);
  const p = params({ n_classes: 3 });
  const withY = (row: number, v: number) => {
    const y = Float64Array.from(d.y);
    y[row] = v;
    return { ...d, y };
  };
  assert.throws(() => fit(withY(7, 1.5), p), /y at row 7 is 1\.5: a class index must be an integer in \[0, 2\]/);
  assert.throws(() => fit(withY(0, -1), p), /y at row 0 is -1/);
  assert.throws(() => fit(withY(49, 3), p), /y at row 49 is 3/);
  assert.throws(() => fit(withY(3, Number.NaN), p), /y at row 3 is NaN/);
  assert.throws(() => fit(withY(3, Number.POSITIVE_INFINITY), p), /y at row 3 is inf/);
  // the async fit checks on the calling thread too
  assert.throws(() => addon.fit({ ...withY(5, 2.5), layout: 'row', params: p }), /y at row 5/);
  assert.throws(() => fit(d, { ...p, class_weight: new Float64Array([1, 2]) }), /class_weight has 2 weights, expected n_classes = 3/);
  assert.throws(() => fit(d, { ...p, class_weight: new Float64Array([1, 0, 1]) }), /class_weight\[1\] must be a finite number/);
  assert.throws(() => fit(d, { ...p, class_weight: new Float64Array([1, Number.NaN, 1]) }), /class_weight\[1\]/);
  assert.throws(() => fit(d, { ...p, class_weight: new Float64Array([1, 1, Number.POSITIVE_INFINITY]) }), /class_weight\[2\]/);
  assert.throws(() => fit(d, { ...p, class_weight: [1, 1, 1] as never }), /class_weight has the wrong typed-array type/);
  assert.throws(() => fit(d, { ...p, n_classes: 1 }), /n_classes must be an integer in \[2, 65536\]/);
  assert.throws(() => fit(d, { ...p, n_classes: 70000 }), /n_classes must be an integer in \[2, 65536\]/);
  assert.throws(() => fit(d, { ...p, n_classes: 0 }), /n_classes must be an integer in \[2, 65536\]/);
  assert.throws(() => fit(d, { ...p, criterion: 0 }), /n_classes must be 0 with criterion squared_error/);
  assert.throws(() => fit(d, { ...p, criterion: 3 as never }), /criterion must be an integer in \[0, 2\]/);
  assert.throws(() => fit(d, { ...p, criterion: 0, n_classes: 0, class_weight: new Float64Array([1]) }), /class weights need a classification criterion/);
  assert.throws(() => fit(d, { ...p, balanced_subsample: 1 as never }), /balanced_subsample must be a boolean/);
  // and the addon still works afterwards
  assert.equal(fit(d, p).value.length, fit(d, p).feature.length * 3);
});

test('a regressor is unchanged: the classification fields default to regression when left out', () => {
  const r = stream(14);
  const rows = 600;
  const x = new Float64Array(rows * 3);
  const y = new Float64Array(rows);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < 3; j++) x[i * 3 + j] = r();
    y[i] = 10 * x[i * 3] + r();
  }
  const d = { x, y, rows, cols: 3 };
  for (const split_mode of [0, 1] as const) {
    const full = params({ n_classes: 0, criterion: 0, split_mode });
    const { criterion: _c, n_classes: _n, class_weight: _w, balanced_subsample: _b, ...legacy } = full;
    const a = fit(d, full);
    const b = addon.fitSync({ ...d, layout: 'row', params: legacy });
    assert.equal(a.value.length, a.feature.length);
    assert.equal(a.oobSum!.length, rows);
    for (const key of ['feature', 'threshold', 'value', 'weightedN', 'impurity', 'oobSum'] as const) assert.deepEqual(b[key], a[key], key);
    assert.equal(proba(a, d).length, rows);
  }
});

test('a classifier grown in two steps (first_tree) has the trees of one fit, async as sync', async () => {
  const d = noisy(1500, 4, 15);
  for (const c of CASES) {
    const p = params({ n_classes: 2, criterion: c.criterion, split_mode: c.split_mode, n_estimators: 6, balanced_subsample: true });
    const whole = fit(d, p);
    const first = await addon.fit({ ...d, layout: 'row', params: { ...p, n_estimators: 3 } });
    const second = await addon.fit({ ...d, layout: 'row', params: { ...p, n_estimators: 3, first_tree: 3 } });
    const split = whole.treeOffsets[3];
    assert.deepEqual(first.threshold, whole.threshold.subarray(0, split), c.name);
    assert.deepEqual(second.threshold, whole.threshold.subarray(split), c.name);
    assert.deepEqual(second.value, whole.value.subarray(2 * split), c.name);
    // the steps' OOB sums add up to the whole fit's (each row's trees in order: 3 then 3)
    const sum = first.oobSum!.map((v, i) => v + second.oobSum![i]);
    for (let i = 0; i < sum.length; i++) assert.ok(Math.abs(sum[i] - whole.oobSum![i]) < 1e-12);
  }
});

test('a classifier fits the same forest from a column-major matrix, and predicts one', () => {
  const d = sliced(1200, 3, 3, 16);
  const col = new Float64Array(d.x.length);
  for (let i = 0; i < d.rows; i++) for (let j = 0; j < d.cols; j++) col[j * d.rows + i] = d.x[i * d.cols + j];
  for (const c of CASES) {
    const p = params({ n_classes: 3, criterion: c.criterion, split_mode: c.split_mode, n_estimators: 4 });
    const byRow = fit(d, p);
    const byCol = addon.fitSync({ x: col, rows: d.rows, cols: d.cols, layout: 'col', y: d.y, params: p });
    assert.deepEqual(byCol.threshold, byRow.threshold, c.name);
    assert.deepEqual(byCol.value, byRow.value, c.name);
    const args = { rows: d.rows, cols: d.cols, threads: 1 };
    assert.deepEqual(byRow.handle.predictSync({ ...args, x: col, layout: 'col' }), proba(byRow, d), c.name);
  }
});
