// The pure-TS twin grows classifiers (Gini, entropy; class weights; exact and histogram splits)
// that are right on their own (accuracy on separable data, probabilities, OOB sums), and the same
// forests as the native engine, bit for bit: every node array, the K values per node, the OOB
// sums and the predicted probabilities.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { EngineParams } from '../../src/forest/engine-params.js';
import type { FlatForest } from '../../src/forest/flat-forest.js';
import { viewOf } from '../../src/forest/js/dataset.js';
import { fitForestJs } from '../../src/forest/js/fit.js';
import { predictForestJs } from '../../src/forest/js/predict.js';
import { loadNative } from '../../src/forest/native.js';
import { Rng } from '../../src/rng.js';
import { engineParams } from '../helpers/engine-params.js';

type Params = EngineParams;

interface ClassData {
  x: Float64Array;
  y: Float64Array;
  rows: number;
  cols: number;
  k: number;
}

/**
 * K classes around random centres in the first `informative` features, the rest noise; values
 * rounded to 2 decimals so features have ties; `flip` of the labels drawn at random (label noise,
 * so trees grow deep and leaves are mixed). Classes are unbalanced: class c is drawn with
 * weight c + 1.
 */
function blobs(rows: number, k: number, seed: number, cols = 6, informative = 3, flip = 0.1): ClassData {
  const rng = new Rng(seed, 99);
  const centres = new Float64Array(k * informative);
  for (let i = 0; i < centres.length; i++) centres[i] = rng.nextDouble() * 6 - 3;
  const total = (k * (k + 1)) / 2;
  const x = new Float64Array(rows * cols);
  const y = new Float64Array(rows);
  for (let i = 0; i < rows; i++) {
    let u = rng.nextDouble() * total;
    let c = 0;
    while (u >= c + 1 && c < k - 1) u -= ++c;
    for (let j = 0; j < cols; j++) {
      const v = j < informative ? centres[c * informative + j] + rng.nextNormal() * 0.8 : rng.nextNormal();
      x[i * cols + j] = Math.round(v * 100) / 100;
    }
    y[i] = rng.nextDouble() < flip ? rng.below(k) : c;
  }
  return { x, y, rows, cols, k };
}

function rowsOf(d: ClassData, from: number, to: number): ClassData {
  return { ...d, x: d.x.slice(from * d.cols, to * d.cols), y: d.y.slice(from, to), rows: to - from };
}

function params(over: Partial<Params>): Params {
  return engineParams({ n_estimators: 8, seed: 7, criterion: 1, n_classes: 2, ...over });
}

function fitJs(d: ClassData, p: Params) {
  return fitForestJs(viewOf(d.x, d.rows, d.cols, 'row', d.y), p);
}

function argmax(proba: Float64Array, row: number, k: number): number {
  let best = 0;
  for (let c = 1; c < k; c++) if (proba[row * k + c] > proba[row * k + best]) best = c;
  return best;
}

function accuracy(d: ClassData, proba: Float64Array): number {
  let ok = 0;
  for (let i = 0; i < d.rows; i++) if (argmax(proba, i, d.k) === d.y[i]) ok++;
  return ok / d.rows;
}

// ---------------------------------------------------------------- the twin on its own

for (const criterion of [1, 2] as const) {
  for (const split_mode of [0, 1] as const) {
    const name = `${criterion === 1 ? 'gini' : 'entropy'}, ${split_mode === 0 ? 'exact' : 'hist'}`;
    test(`twin classifier learns separable classes and gives probabilities: ${name}`, () => {
      const all = blobs(2000, 3, 1, 5, 3, 0);
      const train = rowsOf(all, 0, 1500);
      const test_ = rowsOf(all, 1500, 2000);
      const p = params({ criterion, split_mode, n_classes: 3, n_estimators: 10, mtry: 2 });
      const out = fitJs(train, p);
      const f = out.forest;
      const k = 3;
      assert.equal(f.nClasses, k);
      const nodes = f.feature.length;
      assert.equal(f.value.length, nodes * k, 'K values per node');
      for (const key of ['left', 'right', 'nSamples', 'threshold', 'weightedN', 'impurity'] as const) assert.equal(f[key].length, nodes, key);
      // every node's values are its class frequencies; a leaf of one class holds a 1
      for (let i = 0; i < nodes; i++) {
        let sum = 0;
        for (let c = 0; c < k; c++) sum += f.value[i * k + c];
        assert.ok(Math.abs(sum - 1) < 1e-12, `node ${i} values sum to ${sum}`);
        assert.ok(f.impurity[i] >= 0, `node ${i} impurity ${f.impurity[i]}`);
        if (f.feature[i] < 0 && f.impurity[i] === 0)
          assert.ok(
            [0, 1, 2].some((c) => f.value[i * k + c] === 1),
            `pure leaf ${i}`,
          );
      }
      const proba = predictForestJs(f, viewOf(train.x, train.rows, train.cols, 'row'));
      assert.equal(proba.length, train.rows * k);
      for (let i = 0; i < train.rows; i++) {
        const s = proba[i * k] + proba[i * k + 1] + proba[i * k + 2];
        assert.ok(Math.abs(s - 1) < 1e-12, `row ${i} probabilities sum to ${s}`);
      }
      assert.ok(accuracy(train, proba) > 0.97, `training accuracy ${accuracy(train, proba)}`);
      const tp = predictForestJs(f, viewOf(test_.x, test_.rows, test_.cols, 'row'));
      assert.ok(accuracy(test_, tp) > 0.85, `held-out accuracy ${accuracy(test_, tp)}`);
      // OOB: rows x K sums of K leaf values over the trees that did not draw the row
      assert.equal(out.oobSum!.length, train.rows * k);
      let withOob = 0;
      let oobOk = 0;
      for (let i = 0; i < train.rows; i++) {
        const n = out.oobCount![i];
        let s = 0;
        for (let c = 0; c < k; c++) s += out.oobSum![i * k + c];
        assert.ok(Math.abs(s - n) < 1e-9, `row ${i}: OOB sums add to ${s}, ${n} trees`);
        if (n > 0) {
          withOob++;
          if (argmax(out.oobSum!, i, k) === train.y[i]) oobOk++;
        }
      }
      assert.ok(withOob > train.rows * 0.9);
      assert.ok(oobOk / withOob > 0.85, `OOB accuracy ${oobOk / withOob}`);
    });
  }
}

test('twin classifier: the root holds the class-weighted frequencies, weighted_n and impurity of the draws', () => {
  const d = blobs(400, 4, 3);
  const cw = Float64Array.from([1, 2.5, 0.5, 3]);
  for (const criterion of [1, 2] as const) {
    const p = params({ criterion, n_classes: 4, n_estimators: 1, bootstrap: false, class_weight: cw });
    const f = fitJs(d, p).forest;
    const cnt = [0, 0, 0, 0];
    for (let i = 0; i < d.rows; i++) cnt[d.y[i]]++;
    const w = cnt.reduce((s, n, c) => s + cw[c] * n, 0);
    assert.equal(f.nSamples[0], d.rows);
    assert.ok(Math.abs(f.weightedN[0] - w) < 1e-9);
    for (let c = 0; c < 4; c++) assert.ok(Math.abs(f.value[c] - (cw[c] * cnt[c]) / w) < 1e-12);
    const ps = cnt.map((n, c) => (cw[c] * n) / w);
    const expected = criterion === 1 ? 1 - ps.reduce((s, q) => s + q * q, 0) : -ps.reduce((s, q) => s + (q > 0 ? q * Math.log2(q) : 0), 0);
    assert.ok(Math.abs(f.impurity[0] - expected) < 1e-12, `${criterion}: root impurity ${f.impurity[0]}, expected ${expected}`);
  }
});

test('twin classifier: class weights and balanced_subsample change the trees; balanced_subsample weighs each tree by its draws', () => {
  const d = blobs(800, 3, 5);
  const base = fitJs(d, params({ n_classes: 3 })).forest;
  const weighted = fitJs(d, params({ n_classes: 3, class_weight: Float64Array.from([5, 1, 1]) })).forest;
  const balanced = fitJs(d, params({ n_classes: 3, balanced_subsample: true })).forest;
  assert.notDeepEqual(weighted.threshold, base.threshold);
  assert.notDeepEqual(balanced.threshold, base.threshold);
  // balanced: every tree's root weighs each class drawn equally, D / Kp each, so the values are 1/3
  for (let t = 0; t + 1 < balanced.treeOffsets.length; t++) {
    const root = balanced.treeOffsets[t];
    for (let c = 0; c < 3; c++) assert.ok(Math.abs(balanced.value[root * 3 + c] - 1 / 3) < 1e-12, `tree ${t} root value ${balanced.value[root * 3 + c]}`);
    assert.ok(Math.abs(balanced.weightedN[root] - d.rows) < 1e-9, `tree ${t} root weight ${balanced.weightedN[root]} (D = rows drawn)`);
  }
});

test('twin classifier: many classes (past 32: no node histograms) fit and predict', () => {
  const d = blobs(1200, 40, 8, 6, 6, 0);
  const p = params({ n_classes: 40, split_mode: 1, hist_min_rows: 16777216, n_estimators: 4, mtry: 3, criterion: 2 });
  const out = fitJs(d, p);
  const proba = predictForestJs(out.forest, viewOf(d.x, d.rows, d.cols, 'row'));
  assert.equal(proba.length, d.rows * 40);
  assert.ok(accuracy(d, proba) > 0.9, `training accuracy ${accuracy(d, proba)}`);
});

test('twin classifier: a bad class index names its row', () => {
  const d = blobs(50, 2, 1);
  d.y[17] = 2;
  assert.throws(() => fitJs(d, params({ n_classes: 2 })), /target row 18: class index 2/);
  d.y[17] = 0.5;
  assert.throws(() => fitJs(d, params({ n_classes: 2 })), /target row 18: class index 0.5/);
});

// ---------------------------------------------------------------- identity with the native engine

const ARRAYS = ['treeOffsets', 'feature', 'threshold', 'left', 'right', 'value', 'nSamples', 'weightedN', 'impurity'] as const;

/** The first difference of two arrays, located in the forest (node, tree, class), or null. */
function firstDifference(name: string, a: ArrayLike<number>, b: ArrayLike<number>, f: FlatForest, width: number): string | null {
  if (a.length !== b.length) return `${name}: native has ${a.length} entries, js ${b.length}`;
  for (let i = 0; i < a.length; i++) {
    if (Object.is(a[i], b[i])) continue;
    let where = `index ${i}`;
    if (name !== 'treeOffsets' && name !== 'oobSum' && name !== 'oobCount' && name !== 'proba') {
      const node = Math.floor(i / (name === 'value' ? width : 1));
      let t = 0;
      while (t + 1 < f.treeOffsets.length && f.treeOffsets[t + 1] <= node) t++;
      where = `node ${node} (tree ${t}, local node ${node - f.treeOffsets[t]})${name === 'value' ? `, class ${i % width}` : ''}`;
    } else if (name !== 'treeOffsets' && width > 1 && name !== 'oobCount') {
      where = `row ${Math.floor(i / width)}, class ${i % width}`;
    }
    return `${name} first differs at ${where}: native ${a[i]}, js ${b[i]}`;
  }
  return null;
}

const load = loadNative();
/** Whether the loaded addon grows classifiers (K values per node); an addon built before them regresses. */
function nativeClassifies(): boolean {
  if (!load.addon) return false;
  try {
    const d = blobs(40, 3, 1);
    const out = load.addon.fitSync({ x: d.x, rows: d.rows, cols: d.cols, layout: 'row', y: d.y, params: params({ n_classes: 3, n_estimators: 1 }) });
    return out.value.length === out.feature.length * 3;
  } catch {
    return false;
  }
}
const native = nativeClassifies();
// An addon that does not grow classifiers is older than native/engine: this says so, and the
// identity tests below fail (never skip) against it.
test('the native addon grows classifiers (the identity tests compare against it)', () => {
  assert.ok(load.addon, `native addon did not load: ${load.errors.join('; ')}`);
  assert.ok(native, `the native addon at ${load.path} does not grow classifiers: it is older than native/engine (rebuild: npm run build:native)`);
});

interface Case {
  name: string;
  data: () => ClassData;
  over: Partial<Params>;
}

const cases: Case[] = [
  { name: '2 classes, 3000 rows', data: () => blobs(3000, 2, 11), over: {} },
  { name: '5 classes, 3000 rows, min_samples_leaf 3, hist_min_rows 64', data: () => blobs(3000, 5, 12, 7, 4), over: { min_samples_leaf: 3, hist_min_rows: 64, mtry: 3 } },
  {
    name: '5 classes, 2000 rows, max_depth 6, max_samples 0.6, min_impurity_decrease 0.002, max_bins 32',
    data: () => blobs(2000, 5, 13),
    over: { max_depth: 6, max_samples: 0.6, min_impurity_decrease: 0.002, min_samples_split: 6, max_bins: 32 },
  },
  { name: '3 classes, 1200 rows, no bootstrap, first_tree 5 (warm start)', data: () => blobs(1200, 3, 14), over: { bootstrap: false, first_tree: 5, n_estimators: 4, hist_min_rows: 128 } },
];

const WEIGHTINGS: [string, (k: number) => Partial<Params>][] = [
  ['no class weights', () => ({})],
  ['explicit class weights', (k) => ({ class_weight: Float64Array.from({ length: k }, (_, c) => 0.5 + ((c * 7) % 5) * 0.75) })],
  ['balanced_subsample', () => ({ balanced_subsample: true })],
];

for (const criterion of [1, 2] as const) {
  for (const split_mode of [0, 1] as const) {
    for (const c of cases) {
      const title = `native (1 and 2 threads) and js grow the same classifier: ${criterion === 1 ? 'gini' : 'entropy'}, ${split_mode === 0 ? 'exact' : 'hist'}, ${c.name}`;
      test(title, () => {
        const d = c.data();
        const view = viewOf(d.x, d.rows, d.cols, 'row');
        for (const [wname, weights] of WEIGHTINGS) {
          for (const seed of [3, 4_000_000_011]) {
            const p = params({ criterion, split_mode, n_classes: d.k, seed, ...c.over, ...weights(d.k) });
            const js = fitJs(d, p);
            const jf = js.forest;
            assert.equal(jf.nClasses, d.k);
            const jsProba = predictForestJs(jf, view);
            for (const threads of [1, 2]) {
              const out = load.addon!.fitSync({ x: d.x, rows: d.rows, cols: d.cols, layout: 'row', y: d.y, params: { ...p, threads } });
              const where = `${wname}, seed ${seed}, ${threads} thread(s)`;
              for (const key of ARRAYS) {
                const diff = firstDifference(key, out[key], jf[key], jf, d.k);
                assert.equal(diff, null, `${diff} (${where})`);
              }
              if (p.bootstrap) {
                const diffSum = firstDifference('oobSum', out.oobSum!, js.oobSum!, jf, d.k);
                assert.equal(diffSum, null, `${diffSum} (${where})`);
                const diffCount = firstDifference('oobCount', out.oobCount!, js.oobCount!, jf, d.k);
                assert.equal(diffCount, null, `${diffCount} (${where})`);
              } else {
                assert.equal(js.oobSum, undefined, `no OOB without bootstrap (${where})`);
                assert.ok(!out.oobSum || out.oobSum.length === 0, `native: no OOB without bootstrap (${where})`);
              }
              const proba = out.handle.predictSync({ x: d.x, rows: d.rows, cols: d.cols, layout: 'row', threads });
              const diffProba = firstDifference('proba', proba, jsProba, jf, d.k);
              assert.equal(diffProba, null, `${diffProba} (${where})`);
            }
          }
        }
      });
    }
  }
}

test('native and js grow the same classifier with 40 classes (no node histograms) and with 1 class absent from a subsample', () => {
  const d = blobs(1500, 40, 21, 6, 6, 0.05);
  for (const criterion of [1, 2] as const) {
    for (const split_mode of [0, 1] as const) {
      for (const over of [{}, { balanced_subsample: true, max_samples: 0.05 }] as Partial<Params>[]) {
        const p = params({ criterion, split_mode, n_classes: 40, hist_min_rows: 16777216, n_estimators: 4, mtry: 3, ...over });
        const js = fitJs(d, p);
        const out = load.addon!.fitSync({ x: d.x, rows: d.rows, cols: d.cols, layout: 'row', y: d.y, params: { ...p, threads: 2 } });
        const where = `criterion ${criterion}, split_mode ${split_mode}, ${JSON.stringify(over)}`;
        for (const key of ARRAYS) {
          const diff = firstDifference(key, out[key], js.forest[key], js.forest, 40);
          assert.equal(diff, null, `${diff} (${where})`);
        }
        assert.equal(firstDifference('oobSum', out.oobSum!, js.oobSum!, js.forest, 40), null, where);
      }
    }
  }
});

test('native and js grow the same classifier with 1000 classes', () => {
  const rows = 1500;
  const cols = 4;
  const k = 1000;
  const rng = new Rng(5, 5);
  const x = new Float64Array(rows * cols);
  const y = new Float64Array(rows);
  for (let i = 0; i < rows; i++) {
    y[i] = rng.below(k);
    for (let j = 0; j < cols; j++) x[i * cols + j] = (j < 2 ? y[i] / 100 : 0) + rng.nextNormal();
  }
  const d: ClassData = { x, y, rows, cols, k };
  for (const criterion of [1, 2] as const) {
    for (const split_mode of [0, 1] as const) {
      const p = params({ criterion, split_mode, n_classes: k, hist_min_rows: 16777216, n_estimators: 2, balanced_subsample: criterion === 2 });
      const js = fitJs(d, p);
      const out = load.addon!.fitSync({ x, rows, cols, layout: 'row', y, params: { ...p, threads: 2 } });
      const where = `criterion ${criterion}, split_mode ${split_mode}`;
      for (const key of ARRAYS) {
        const diff = firstDifference(key, out[key], js.forest[key], js.forest, k);
        assert.equal(diff, null, `${diff} (${where})`);
      }
      assert.equal(firstDifference('oobSum', out.oobSum!, js.oobSum!, js.forest, k), null, where);
      const proba = out.handle.predictSync({ x, rows, cols, layout: 'row', threads: 2 });
      assert.equal(firstDifference('proba', proba, predictForestJs(js.forest, viewOf(x, rows, cols, 'row')), js.forest, k), null, where);
    }
  }
});
