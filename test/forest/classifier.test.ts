// RandomForestClassifier: fits separable data on both backends, keeps labels of every kind,
// saves and loads exactly, and refuses bad options and targets with the option or row named.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GroveError, RandomForestClassifier, RandomForestRegressor, exportOnnx, forestModelFromBuffer, loadForestModel, type Label, type RandomForestClassifierParams } from '../../src/index.js';
import { loadNative } from '../../src/forest/native.js';
import { resolveClassWeight, resolveParams, toEngineParams, paramsToSnake, paramsFromSnake } from '../../src/forest/params.js';
import { estimateForest } from '../../src/forest/limits.js';
import { encodeModel } from '../../src/forest/model-file.js';
import type { TypedMatrix } from '../../src/matrix.js';

interface Labelled {
  X: Required<TypedMatrix>;
  /** class index of each row */
  k: Int32Array;
}

/**
 * Rows in [0, 1)^cols (seeded); the class is the band of x0 + x1 among `classes` equal bands,
 * so two features carry all the signal and the rest are noise.
 */
function bands(rows: number, classes: number, cols: number, seed: number): Labelled {
  let s = seed * 2654435761 + 1;
  const rand = () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648;
  };
  const data = new Float64Array(rows * cols);
  const k = new Int32Array(rows);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) data[i * cols + j] = rand();
    const t = (data[i * cols] + data[i * cols + 1]) / 2;
    k[i] = Math.min(classes - 1, Math.floor(t * classes));
  }
  return { X: { data, rows, cols, layout: 'row' }, k };
}

const labelsOf = (k: Int32Array, names: readonly Label[]): Label[] => Array.from(k, (c) => names[c]);

const isGrove = (code: string, pattern: RegExp) => (err: unknown) => err instanceof GroveError && err.code === code && pattern.test(err.message);

function accuracy(a: ArrayLike<Label>, b: ArrayLike<Label>): number {
  let right = 0;
  for (let i = 0; i < a.length; i++) if (a[i] === b[i]) right++;
  return right / a.length;
}

const backends = loadNative().addon ? (['native', 'js'] as const) : (['js'] as const);

for (const backend of backends) {
  for (const [criterion, k] of [
    ['gini', 2],
    ['entropy', 4],
  ] as const) {
    test(`${backend}: a ${criterion} forest learns ${k} separable classes (probabilities, labels, OOB)`, async () => {
      const names: Label[] = ['zeta, last', 'alpha', 'ünïcode 🌲', 'beta'].slice(0, k);
      const train = bands(1200, k, 5, 3);
      const testRows = bands(400, k, 5, 4);
      const model = await new RandomForestClassifier({ nEstimators: 25, criterion, seed: 7, backend }).fit(train.X, labelsOf(train.k, names), {
        featureNames: ['a', 'b', 'c', 'd', 'e'],
        targetName: 'kind',
      });
      assert.equal(model.task, 'classification');
      assert.equal(model.backend, backend);
      assert.deepEqual(model.classes, [...names].sort());
      assert.equal(model.nClasses, k);
      assert.equal(model.forest.nClasses, k);
      assert.equal(model.forest.value.length, model.forest.feature.length * k);
      assert.equal(model.params.maxFeatures, 'sqrt');

      const proba = await model.predictProba(testRows.X);
      assert.equal(proba.length, testRows.X.rows * k);
      for (let i = 0; i < testRows.X.rows; i++) {
        let sum = 0;
        for (let c = 0; c < k; c++) {
          assert.ok(proba[i * k + c] >= 0 && proba[i * k + c] <= 1);
          sum += proba[i * k + c];
        }
        assert.ok(Math.abs(sum - 1) < 1e-12, `row ${i} probabilities sum to ${sum}`);
      }
      const predicted = await model.predict(testRows.X);
      const index = await model.predictIndex(testRows.X);
      for (let i = 0; i < predicted.length; i++) {
        assert.equal(predicted[i], model.classes[index[i]]);
        for (let c = 0; c < k; c++) assert.ok(proba[i * k + index[i]] >= proba[i * k + c], `row ${i}: predict is the arg-max`);
        for (let c = 0; c < index[i]; c++) assert.ok(proba[i * k + c] < proba[i * k + index[i]], `row ${i}: ties go to the lowest class`);
      }
      assert.deepEqual(model.predictSync(testRows.X), predicted);
      assert.deepEqual(model.predictProbaSync(testRows.X), proba);
      assert.deepEqual(model.predictIndexSync(testRows.X), index);
      const truth = labelsOf(testRows.k, names);
      assert.ok(accuracy(predicted, truth) > 0.9, `test accuracy ${accuracy(predicted, truth)}`);

      // out of bag: K probabilities a row, NaN rows only where every tree drew the row
      assert.equal(model.oobProba?.length, train.X.rows * k);
      assert.ok(model.oobAccuracy !== null && model.oobAccuracy > 0.85, `oob accuracy ${model.oobAccuracy}`);
      assert.equal(model.oobScore, model.oobAccuracy);
      // the two informative features carry the importance
      const imp = model.featureImportances;
      assert.ok(Math.abs(imp.reduce((a, b) => a + b, 0) - 1) < 1e-9);
      assert.ok(imp[0] > imp[2] && imp[0] > imp[3] && imp[1] > imp[4], `importances ${Array.from(imp)}`);
    });
  }
}

test('native and js grow the same classifier (probabilities and OOB bit for bit)', { skip: !loadNative().addon }, async () => {
  const d = bands(700, 3, 4, 12);
  const y = labelsOf(d.k, ['a', 'b', 'c']);
  for (const params of [
    { criterion: 'gini' },
    { criterion: 'entropy', classWeight: 'balanced_subsample' },
    { criterion: 'gini', classWeight: { b: 3 }, splitMode: 'hist' },
  ] as RandomForestClassifierParams[]) {
    const js = await new RandomForestClassifier({ ...params, nEstimators: 6, seed: 5, backend: 'js' }).fit(d.X, y);
    const native = await new RandomForestClassifier({ ...params, nEstimators: 6, seed: 5, backend: 'native', threads: 2 }).fit(d.X, y);
    assert.deepEqual(native.forest.value, js.forest.value, JSON.stringify(params));
    assert.deepEqual(await native.predictProba(d.X), await js.predictProba(d.X), JSON.stringify(params));
    assert.deepEqual(native.oobProba, js.oobProba, JSON.stringify(params));
    assert.equal(native.oobAccuracy, js.oobAccuracy);
  }
});

test('more than 32 classes: no node histograms, the same forest on both backends; a class given but never seen keeps probability 0', async () => {
  const d = bands(900, 40, 3, 71);
  // forty strips of x0, the first 40 rows one in each, so every class has rows
  for (let i = 0; i < 40; i++) d.X.data[i * 3] = (i + 0.5) / 40;
  for (let i = 0; i < d.X.rows; i++) d.k[i] = Math.floor(d.X.data[i * 3] * 40);
  const names = Array.from({ length: 40 }, (_, i) => `c${String(i).padStart(2, '0')}`);
  const y = labelsOf(d.k, names);
  const fits = await Promise.all(backends.map((backend) => new RandomForestClassifier({ nEstimators: 4, seed: 9, splitMode: 'hist', backend }).fit(d.X, y)));
  for (const m of fits) {
    assert.equal(m.nClasses, 40);
    assert.equal(m.splitMode, 'hist');
    assert.ok(accuracy(await m.predict(d.X), y) > 0.8);
  }
  if (fits.length === 2) assert.deepEqual(await fits[0].predictProba(d.X), await fits[1].predictProba(d.X));

  const two = bands(200, 2, 3, 72);
  const withGhost = await new RandomForestClassifier({ nEstimators: 5, seed: 1, backend: backends[0] }).fit(two.X, labelsOf(two.k, ['a', 'b']), { classes: ['a', 'b', 'ghost'] });
  assert.deepEqual(withGhost.classes, ['a', 'b', 'ghost']);
  const proba = await withGhost.predictProba(two.X);
  for (let i = 0; i < two.X.rows; i++) assert.equal(proba[i * 3 + 2], 0);
});

test('labels of every kind come back as they went in: strings with commas and unicode, numbers, booleans', async () => {
  const d = bands(300, 2, 3, 21);
  const d3 = bands(300, 3, 3, 22);
  const kinds: [Label[], Labelled][] = [
    [['no, thanks', 'yes — 是的'], d],
    [[-3, 7.5], d],
    [[0, 1], d],
    [[false, true], d],
    [['b', 'a', 'c'], d3],
    [[10, 2, 1], d3],
  ];
  for (const [names, data] of kinds) {
    const y = labelsOf(data.k, names);
    for (const backend of backends) {
      const model = await new RandomForestClassifier({ nEstimators: 8, seed: 1, backend }).fit(data.X, y);
      assert.deepEqual(
        model.classes,
        [...names].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)),
      );
      const predicted = await model.predict(data.X);
      for (const p of predicted) assert.ok(names.includes(p), `${String(p)} is one of the labels`);
      assert.equal(typeof predicted[0], typeof names[0]);
      assert.ok(accuracy(predicted, y) > 0.9, `${backend} ${JSON.stringify(names)}: training accuracy ${accuracy(predicted, y)}`);
      // through the model file: the same classes, of the same kind, and the same probabilities
      const loaded = RandomForestClassifier.fromBuffer(model.toBuffer(), { backend });
      assert.deepEqual(loaded.classes, model.classes);
      assert.deepEqual(await loaded.predict(data.X), predicted);
    }
  }
});

test('save and load: predictProba, classes, params, importances and OOB accuracy identical, on both backends', async () => {
  const d = bands(800, 3, 4, 31);
  const y = labelsOf(d.k, ['low', 'mid', 'high']);
  const model = await new RandomForestClassifier({ nEstimators: 12, criterion: 'entropy', classWeight: { high: 2.5 }, seed: 3, splitMode: 'hist' }).fit(d.X, y, { targetName: 'level' });
  model.metadata = { dataFingerprint: 'f00d', metrics: { accuracy: 0.97 } };
  const expected = await model.predictProba(d.X);
  const dir = mkdtempSync(join(tmpdir(), 'grove-clf-'));
  try {
    const path = join(dir, 'model.grove');
    await model.save(path);
    for (const backend of backends) {
      for (const loaded of [await RandomForestClassifier.load(path, { backend }), await loadForestModel(path, { backend }), forestModelFromBuffer(model.toBuffer({ stats: false }), { backend })]) {
        assert.ok(loaded instanceof RandomForestClassifier);
        assert.equal(loaded.backend, backend);
        assert.deepEqual(await loaded.predictProba(d.X), expected);
        assert.deepEqual(loaded.classes, ['high', 'low', 'mid']);
        assert.equal(loaded.targetName, 'level');
        assert.equal(loaded.splitMode, 'hist');
        assert.equal(loaded.params.criterion, 'entropy');
        assert.deepEqual(loaded.params.classWeight, { high: 2.5 });
        assert.equal(loaded.oobAccuracy, model.oobAccuracy);
        assert.equal(loaded.metadata.metrics?.accuracy, 0.97);
        assert.equal(loaded.metadata.dataFingerprint, 'f00d');
        assert.deepEqual(loaded.featureImportances, model.featureImportances);
      }
    }
    const header = RandomForestClassifier.readHeader(model.toBuffer());
    assert.equal(header.task, 'classification');
    assert.deepEqual(header.classes, ['high', 'low', 'mid']);
    assert.equal(header.n_classes, 3);
    assert.equal(header.params.criterion, 'entropy');
    assert.deepEqual(header.params.class_weight, { high: 2.5 });
    assert.equal(header.metrics.oob_accuracy, model.oobAccuracy);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('warm start: a classifier grown 5 + 7 trees equals one fitted with 12', async () => {
  const d = bands(500, 3, 4, 41);
  const y = labelsOf(d.k, [1, 2, 3]);
  for (const backend of backends) {
    const once = await new RandomForestClassifier({ nEstimators: 12, seed: 8, backend, classWeight: 'balanced' }).fit(d.X, y);
    const grown = await new RandomForestClassifier({ nEstimators: 5, seed: 8, backend, classWeight: 'balanced' }).fit(d.X, y);
    grown.growSync(d.X, y, 7);
    assert.equal(grown.nTrees, 12);
    assert.deepEqual(await grown.predictProba(d.X), await once.predictProba(d.X));
    assert.deepEqual(grown.oobProba, once.oobProba);
    assert.equal(grown.oobAccuracy, once.oobAccuracy);
    assert.throws(() => grown.growSync(d.X, labelsOf(d.k, [1, 2, 4]), 2), isGrove('INVALID_DATA', /class 4 was not seen in training/));
  }
});

test('class weights: explicit weights change the trees; balanced is n / (K n_c); balanced_subsample is per tree with bootstrap only', async () => {
  const d = bands(600, 2, 4, 51);
  const y = labelsOf(d.k, ['x', 'y']);
  const plain = await new RandomForestClassifier({ nEstimators: 5, seed: 2, backend: 'js' }).fit(d.X, y);
  const weighted = await new RandomForestClassifier({ nEstimators: 5, seed: 2, backend: 'js', classWeight: { y: 4 } }).fit(d.X, y);
  assert.notDeepEqual(weighted.forest.weightedN, plain.forest.weightedN);

  const classes = ['a', 'b', 'c'];
  const idx = Float64Array.from([0, 0, 0, 0, 0, 0, 1, 1, 2, 2]);
  assert.deepEqual(resolveClassWeight('balanced', classes, idx, true).classWeight, Float64Array.from([10 / 18, 10 / 6, 10 / 6]));
  assert.deepEqual(resolveClassWeight('balanced_subsample', classes, idx, true), { classWeight: null, balancedSubsample: true });
  assert.deepEqual(resolveClassWeight('balanced_subsample', classes, idx, false).classWeight, Float64Array.from([10 / 18, 10 / 6, 10 / 6]));
  assert.deepEqual(resolveClassWeight({ c: 3, a: 0.5 }, classes, idx, true).classWeight, Float64Array.from([0.5, 1, 3]));
  assert.deepEqual(resolveClassWeight(null, classes, idx, true), { classWeight: null, balancedSubsample: false });
  // numeric and boolean labels are named by their JSON text in the map
  assert.deepEqual(resolveClassWeight({ '2': 5 }, [1, 2], Float64Array.from([0, 1]), true).classWeight, Float64Array.from([1, 5]));
  assert.deepEqual(resolveClassWeight({ true: 5 }, [false, true], Float64Array.from([0, 1]), true).classWeight, Float64Array.from([1, 5]));

  const r = resolveParams({ criterion: 'entropy', classWeight: 'balanced' }, 'classification');
  const p = toEngineParams(r, 10, 4, 0, 100, { nClasses: 3, classWeight: Float64Array.from([1, 2, 3]), balancedSubsample: false });
  assert.equal(p.criterion, 2);
  assert.equal(p.n_classes, 3);
  assert.deepEqual(p.class_weight, Float64Array.from([1, 2, 3]));
  assert.equal(p.mtry, 2); // sqrt(4)
  assert.equal(p.hist_min_rows, 512);
  // many classes: no node histograms (their memory grows with K)
  assert.equal(toEngineParams(r, 10, 4, 0, 100, { nClasses: 33, classWeight: null, balancedSubsample: false }).hist_min_rows, 16777216);
  const reg = toEngineParams(resolveParams({}), 10, 4);
  assert.equal(reg.criterion, 0);
  assert.equal(reg.n_classes, 0);
  assert.equal(reg.class_weight, null);
  assert.equal(reg.balanced_subsample, false);
  // the size estimate counts K class frequencies a node
  const small = estimateForest(toEngineParams(r, 1000, 4, 0, 10, { nClasses: 2, classWeight: null, balancedSubsample: false }), 1000);
  const large = estimateForest(toEngineParams(r, 1000, 4, 0, 10, { nClasses: 1000, classWeight: null, balancedSubsample: false }), 1000);
  assert.equal(large.nodes, small.nodes);
  assert.ok(large.memoryBytes > small.memoryBytes + small.nodes * 8 * 990);
});

test('snake_case params: criterion for both tasks, class_weight for classifiers, maps as JSON text when tracked', () => {
  const clf = paramsToSnake(resolveParams({ classWeight: { 'a,b': 2 } }, 'classification'));
  assert.equal(clf.criterion, 'gini');
  assert.equal(clf.max_features, 'sqrt');
  assert.equal(clf.class_weight, '{"a,b":2}');
  assert.deepEqual(paramsFromSnake(clf, 'classification').classWeight, { 'a,b': 2 });
  assert.equal(paramsToSnake(resolveParams({ classWeight: 'balanced' }, 'classification')).class_weight, 'balanced');
  const reg = paramsToSnake(resolveParams({}));
  assert.equal(reg.criterion, 'squared_error');
  assert.equal('class_weight' in reg, false);
  assert.equal(reg.max_features, 'all');
});

test('bad options and targets are refused with the option or row named', () => {
  const d = bands(50, 2, 3, 61);
  const y = labelsOf(d.k, ['a', 'b']);
  const bad: [RandomForestClassifierParams, RegExp][] = [
    [{ criterion: 'mse' as never }, /criterion: must be 'gini' or 'entropy' for a classifier \(got "mse"\)/],
    [{ criterion: 'squared_error' as never }, /criterion/],
    [{ classWeight: 'balance' as never }, /class_weight/],
    [{ classWeight: { a: -1 } }, /class_weight.*"a".*> 0/],
    [{ classWeight: { a: Number.NaN } }, /class_weight/],
    [{ classWeight: [1, 2] as never }, /class_weight/],
    [{ nEstimators: 0 }, /n_estimators/],
    [{ classWieght: null } as never, /classWieght: unknown option; did you mean classWeight\?/],
  ];
  for (const [params, pattern] of bad) assert.throws(() => new RandomForestClassifier(params), isGrove('INVALID_OPTION', pattern), JSON.stringify(params));
  assert.throws(() => new RandomForestRegressor({ criterion: 'gini' as never }), isGrove('INVALID_OPTION', /criterion.*use RandomForestClassifier/));
  assert.throws(() => new RandomForestRegressor({ classWeight: 'balanced' } as never), isGrove('INVALID_OPTION', /class_weight: applies only to classifiers/));
  assert.ok(new RandomForestRegressor({ criterion: 'squared_error' }));

  const model = new RandomForestClassifier({ nEstimators: 2, backend: 'js' });
  assert.throws(() => model.predictSync(d.X), isGrove('INVALID_OPTION', /RandomForestClassifier is not fitted yet/));
  assert.throws(() => model.fitSync(d.X, Array(50).fill('same')), isGrove('INVALID_DATA', /single class \("same"\); a classifier needs at least 2 classes/));
  assert.throws(() => model.fitSync(d.X, y.slice(1)), isGrove('INVALID_DATA', /y has 49 labels but X has 50 rows/));
  const missing = [...y];
  missing[6] = null as never;
  assert.throws(() => model.fitSync(d.X, missing), isGrove('INVALID_DATA', /y row 7: the class label is missing/));
  const mixed: Label[] = [...y];
  mixed[9] = 3;
  assert.throws(() => model.fitSync(d.X, mixed), isGrove('INVALID_DATA', /y row 10: 3 is a number, earlier labels are strings/));
  assert.throws(() => model.fitSync(d.X, y, { classes: ['a'] }), isGrove('INVALID_DATA', /classes must list at least 2/));
  assert.throws(() => model.fitSync(d.X, y, { classes: ['a', 'c'] }), isGrove('INVALID_DATA', /class "b" was not seen in training/));
  assert.throws(() => new RandomForestClassifier({ classWeight: { c: 2 }, backend: 'js' }).fitSync(d.X, y), isGrove('INVALID_OPTION', /class_weight: "c" is not a class of the training target/));
  assert.throws(() => new RandomForestClassifier({ classWeight: 'balanced', backend: 'js' }).fitSync(d.X, y, { classes: ['a', 'b', 'z'] }), isGrove('INVALID_DATA', /class "z" has no training rows/));
  assert.equal(model.isFitted, false);
});

test('a classifier exports to ONNX with its class labels; a forest without them is a clear error', () => {
  const forest = {
    nFeatures: 1,
    nClasses: 2,
    treeOffsets: Uint32Array.from([0, 1]),
    feature: Int32Array.from([-1]),
    left: Int32Array.from([-1]),
    right: Int32Array.from([-1]),
    nSamples: Int32Array.from([2]),
    threshold: Float64Array.from([0]),
    value: Float64Array.from([0.5, 0.5]),
    weightedN: Float64Array.from([2]),
    impurity: Float64Array.from([0.5]),
  };
  assert.throws(() => exportOnnx({ forest, featureNames: ['x'], targetName: 'y' }), isGrove('INVALID_MODEL', /classifier's \(2 classes\) but no class labels were given/));
  assert.throws(() => exportOnnx({ forest, featureNames: ['x'], targetName: 'y', classes: ['a', 'b', 'c'] }), isGrove('INVALID_MODEL', /3 class labels were given/));
  const model = RandomForestClassifier.fromBuffer(
    encodeModel(forest, {
      created_at: '',
      task: 'classification',
      classes: ['n', 'y'],
      feature_names: ['x'],
      target_name: 'y',
      params: {},
      backend: 'js',
      split_mode: 'exact',
      metrics: {},
      feature_importances: [0],
      data_fingerprint: null,
      preprocessing: null,
    }),
    { backend: 'js' },
  );
  const exported = model.onnxExport();
  assert.deepEqual(exported.labels, { type: 'string', values: ['n', 'y'] });
  assert.equal(exported.probabilities, 'probabilities');
});
