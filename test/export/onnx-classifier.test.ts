// ONNX export of classifiers checked in ONNX Runtime: the TreeEnsembleClassifier graph gives
// grove's predictProba (within float32 rounding) and grove's predict, for binary and 3-class
// forests with string, integer and boolean labels, on training and new rows, in both precisions.
// Rows are fed as float32 data (what the float graph receives), so every split goes as in grove.
import { test } from 'node:test';
import { hasPythonOnnx, onnxCheck } from './onnx-checker.js';
import assert from 'node:assert/strict';
import { RandomForestClassifier, RandomForestRegressor, type Label } from '../../src/index.js';
import { applyPreprocessing, categoricalColumnsOf, loadData, prepareTraining } from '../../src/data/index.js';
import { modelProtoType } from '../../src/export/onnx-schema.js';
import { friedman, type XY } from '../helpers/datasets.js';
import { tempDir, writeFile } from '../data/tmp.js';
import { loadedColumns, matrixColumns, runOnnxOutputs } from './ort.js';

const dir = tempDir('onnx-classifier');
/** float32 sums of weights in [0, 1/n_trees]: errors of a few 1e-8 in practice */
const PROBA_TOL = 1e-6;

const asFloat32 = (d: XY): XY => ({ ...d, X: { ...d.X, data: Float64Array.from(d.X.data, Math.fround) } });

/** Friedman #1 rows with classes cut from the target: 2 or 3 classes, labelled by `names`. */
function classified(rows: number, seed: number, names: readonly Label[]): { d: XY; y: Label[] } {
  const d = asFloat32(friedman(rows, seed));
  const cut = (v: number) => (names.length === 2 ? (v > 14 ? 1 : 0) : v < 11 ? 0 : v < 17 ? 1 : 2);
  return { d, y: Array.from(d.y, (v) => names[cut(v)]) };
}

/**
 * Compares the graph's outputs with grove's on `d`: probabilities within PROBA_TOL, labels equal
 * except on rows whose two largest probabilities grove finds within PROBA_TOL (a float32 tie);
 * returns how many of those there were and how many differ.
 */
async function compare(model: RandomForestClassifier, d: XY, precision: 'float' | 'double' = 'float'): Promise<{ diff: number; ties: number; tieMismatches: number }> {
  const exported = model.onnxExport({ precision });
  const out = await runOnnxOutputs(exported.bytes, matrixColumns(d.X, d.featureNames), precision);
  const proba = await model.predictProba(d.X);
  const labels = await model.predict(d.X);
  const got = out[exported.probabilities!] as Float32Array;
  assert.equal(got.length, proba.length);
  let diff = 0;
  for (let i = 0; i < proba.length; i++) diff = Math.max(diff, Math.abs(got[i] - proba[i]));
  assert.ok(diff <= PROBA_TOL, `max |onnx - grove| probability difference ${diff}`);
  const graphLabels = Array.from(out[exported.output] as ArrayLike<bigint | string>);
  const K = model.nClasses;
  const expected = labels.map((l) => (typeof l === 'number' && exported.labels!.type === 'int64' ? BigInt(l) : String(l)));
  let ties = 0;
  let tieMismatches = 0;
  for (let i = 0; i < labels.length; i++) {
    const row = Array.from(proba.subarray(i * K, (i + 1) * K)).sort((a, b) => b - a);
    const tie = row[0] - row[1] <= PROBA_TOL;
    if (tie) ties++;
    if (graphLabels[i] === expected[i]) continue;
    assert.ok(tie, `row ${i}: ONNX label ${graphLabels[i]} but grove predicts ${String(labels[i])} (probabilities ${proba.subarray(i * K, (i + 1) * K).join(', ')})`);
    tieMismatches++;
  }
  return { diff, ties, tieMismatches };
}

const CASES: { name: string; classes: readonly Label[]; type: 'string' | 'int64' }[] = [
  { name: 'binary, string labels', classes: ['no', 'yes'], type: 'string' },
  { name: 'binary, integer labels', classes: [-1, 1], type: 'int64' },
  { name: '3 classes, string labels', classes: ['high', 'low', 'mid'], type: 'string' },
  { name: '3 classes, integer labels', classes: [0, 7, 100], type: 'int64' },
];

for (const c of CASES) {
  test(`${c.name}: ONNX Runtime gives grove's probabilities and labels on training and new rows, float and double`, async (t) => {
    const { d, y } = classified(800, 1, c.classes);
    for (const splitMode of ['exact', 'hist'] as const) {
      const model = await new RandomForestClassifier({ nEstimators: 24, seed: 5, splitMode }).fit(d.X, y, { featureNames: d.featureNames, targetName: 'band' });
      const exported = model.onnxExport();
      assert.deepEqual(exported.labels, { type: c.type, values: [...c.classes] });
      assert.equal(exported.output, 'label');
      assert.equal(exported.probabilities, 'probabilities');
      for (const [part, rows] of [
        ['training', d],
        ['new', classified(400, 99, c.classes).d],
      ] as const) {
        for (const precision of ['float', 'double'] as const) {
          const r = await compare(model, rows, precision);
          t.diagnostic(`${splitMode}, ${part} rows, ${precision}: max |onnx - grove| = ${r.diff.toExponential(2)}; ${r.ties} tied rows, ${r.tieMismatches} labelled differently`);
        }
      }
    }
  });
}

test('an even number of trees gives exact binary ties: the graph labels them class 0, as grove', async () => {
  // 2 full-depth trees: pure leaves, so p(class 1) is 0, 0.5 or 1 on new rows, exactly in float32
  const { d, y } = classified(300, 3, ['a', 'b']);
  const model = await new RandomForestClassifier({ nEstimators: 2, seed: 1 }).fit(d.X, y, { featureNames: d.featureNames });
  const r = await compare(model, classified(300, 8, ['a', 'b']).d);
  assert.ok(r.ties > 0, 'no tied rows to check');
  assert.equal(r.tieMismatches, 0);
});

test('boolean and fractional labels are text in the label output; the metadata keeps the labels', async () => {
  const { d, y } = classified(300, 2, [false, true]);
  const model = await new RandomForestClassifier({ nEstimators: 8, seed: 2 }).fit(d.X, y, { featureNames: d.featureNames, targetName: 'high' });
  const exported = model.onnxExport();
  assert.deepEqual(exported.labels, { type: 'string', values: ['false', 'true'] });
  await compare(model, d);
  const decoded = modelProtoType().toObject(modelProtoType().decode(exported.bytes), { longs: Number }) as {
    docString: string;
    metadataProps: { key: string; value: string }[];
    graph: { output: { name: string; type: { tensorType: { elemType: number; shape: { dim: { dimParam?: string; dimValue?: number }[] } } } }[]; node: { opType: string }[] };
  };
  assert.deepEqual(
    decoded.graph.node.map((n) => n.opType),
    ['Concat', 'TreeEnsembleClassifier'],
  );
  assert.deepEqual(
    decoded.graph.output.map((o) => [o.name, o.type.tensorType.elemType, o.type.tensorType.shape.dim.map((x) => x.dimParam ?? x.dimValue)]),
    [
      ['label', 8, ['N']],
      ['probabilities', 1, ['N', 2]],
    ],
  );
  assert.deepEqual(decoded.metadataProps.at(-1), { key: 'classes', value: '[false,true]' });
  assert.match(decoded.docString, /classifier \(2 classes\) for "high": 8 trees/);

  const fractional = classified(300, 2, [0.5, 1, 2.25]);
  const m2 = await new RandomForestClassifier({ nEstimators: 6, seed: 2 }).fit(fractional.d.X, fractional.y, { featureNames: d.featureNames });
  assert.deepEqual(m2.onnxExport().labels, { type: 'string', values: ['0.5', '1', '2.25'] });
  await compare(m2, fractional.d);
});

test('output names: --output-name names the label, probabilityName the probabilities; clashes and regressors are errors', async () => {
  const { d, y } = classified(200, 4, ['a', 'b', 'c']);
  const model = await new RandomForestClassifier({ nEstimators: 4, seed: 1 }).fit(d.X, y, { featureNames: d.featureNames });
  const exported = model.onnxExport({ outputName: 'band', probabilityName: 'band_proba' });
  const out = await runOnnxOutputs(exported.bytes, matrixColumns(d.X, d.featureNames));
  assert.deepEqual(Object.keys(out).sort(), ['band', 'band_proba']);
  assert.equal((out.band_proba as Float32Array).length, d.X.rows * 3);
  assert.throws(() => model.toOnnx({ outputName: 'x', probabilityName: 'x' }), /the output name "x" is used twice in the graph/);
  assert.throws(() => model.toOnnx({ probabilityName: d.featureNames[0] }), new RegExp(`the output name "${d.featureNames[0]}" is used twice`));
  const regressor = await new RandomForestRegressor({ nEstimators: 2, seed: 1 }).fit(d.X, d.y, { featureNames: d.featureNames });
  assert.throws(() => regressor.toOnnx({ probabilityName: 'p' }), /probabilityName.*applies to classifiers only/);
  assert.throws(() => new RandomForestClassifier().toOnnx(), /not fitted yet/);
});

test('a classifier with one-hot columns, imputation and unseen categories: the preprocessing graph in front matches grove', async (t) => {
  let s = 17;
  const next = () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
  const csv = (rows: number, extra: boolean) => {
    const colors = ['red', 'green', 'blue', ...(extra ? ['teal'] : [])];
    const lines = ['color,size,fresh,kind'];
    for (let i = 0; i < rows; i++) {
      const color = colors[Math.floor(next() * colors.length)];
      const size = Math.round(next() * 80) / 8;
      const fresh = next() < 0.5;
      const kind = color === 'red' ? (size > 5 ? 'apple' : 'cherry') : fresh ? 'pear' : size > 7 ? 'apple' : 'plum';
      lines.push([i % 9 === 1 ? '' : color, i % 11 === 2 ? '' : size, fresh, next() < 0.1 ? 'plum' : kind].join(','));
    }
    return lines.join('\n') + '\n';
  };
  for (const oneHot of [false, true]) {
    const prepared = prepareTraining(await loadData(writeFile(dir, `fruit-${oneHot}.csv`, csv(500, false))), { target: 'kind', impute: 'median', unseenCategory: 'fallback', oneHot });
    assert.equal(prepared.task, 'classification');
    const labels = Array.from(prepared.y, (k) => prepared.classes![k]);
    const model = await new RandomForestClassifier({ nEstimators: 16, seed: 3 }).fit(prepared.x, labels, { featureNames: prepared.featureNames, targetName: 'kind', classes: prepared.classes });
    model.metadata = { preprocessing: prepared.preprocessing };
    const exported = model.onnxExport();
    assert.deepEqual(exported.notes, []);
    const input = await loadData(writeFile(dir, `fruit-new-${oneHot}.csv`, csv(200, true)), { categoricalColumns: categoricalColumnsOf(prepared.preprocessing) });
    const x = applyPreprocessing(input, prepared.preprocessing).x;
    const proba = await model.predictProba(x);
    const predicted = await model.predict(x);
    const out = await runOnnxOutputs(exported.bytes, loadedColumns(input));
    const got = out.probabilities as Float32Array;
    let diff = 0;
    for (let i = 0; i < proba.length; i++) diff = Math.max(diff, Math.abs(got[i] - proba[i]));
    t.diagnostic(`${oneHot ? 'one-hot' : 'ordinal'}, new rows: max |onnx - grove| = ${diff.toExponential(2)}`);
    assert.ok(diff <= PROBA_TOL, `max difference ${diff}`);
    let differ = 0;
    const graphLabels = Array.from(out.label as string[]);
    for (let i = 0; i < predicted.length; i++) if (graphLabels[i] !== predicted[i]) differ++;
    assert.equal(differ, 0);
  }
});

test('onnx.checker (full check, strict shape inference) accepts classifier files: 2 and 3 classes, text and int64 labels, both precisions', {
  skip: hasPythonOnnx ? false : 'python3-onnx is not installed',
}, async () => {
  const files: string[] = [];
  const shapes: number[] = [];
  for (const names of [
    ['no', 'yes'],
    [0, 1, 2],
    [false, true],
  ] as const) {
    const { d, y } = classified(300, 5, names);
    const model = await new RandomForestClassifier({ nEstimators: 5, seed: 1 }).fit(d.X, y, { featureNames: d.featureNames });
    for (const precision of ['float', 'double'] as const) {
      files.push(writeFile(dir, `check-${files.length}.onnx`, model.toOnnx({ precision })));
      shapes.push(names.length);
    }
  }
  const reports = onnxCheck(files);
  reports.forEach((rep, i) => {
    assert.equal(rep.ok, true);
    assert.deepEqual(rep.opsets, { 'ai.onnx': 16, 'ai.onnx.ml': 3 });
    assert.ok(rep.ops.includes('TreeEnsembleClassifier'));
    assert.deepEqual(rep.outputs, { label: ['N'], probabilities: ['N', shapes[i]] });
  });
});
