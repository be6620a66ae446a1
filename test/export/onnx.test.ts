// ONNX export checked in ONNX Runtime: the exported graph predicts what grove predicts, on the
// training rows and on new rows, for exact and hist forests, with and without preprocessing.
// ONNX tree ensembles compute in float32, so rows are compared as float32 data (what the graph
// receives): then every split goes the same way and only the float32 sums differ.
import { test } from 'node:test';
import { hasPythonOnnx, onnxCheck } from './onnx-checker.js';
import assert from 'node:assert/strict';
import { RandomForestRegressor } from '../../src/index.js';
import { GroveError } from '../../src/errors.js';
import { applyPreprocessing, categoricalColumnsOf, loadData, prepareTraining, type PrepareOptions } from '../../src/data/index.js';
import { floorFloat32 } from '../../src/export/tree-ensemble.js';
import { modelProtoType } from '../../src/export/onnx-schema.js';
import { diabetes, friedman, type XY } from '../helpers/datasets.js';
import { tempDir, writeFile } from '../data/tmp.js';
import { loadedColumns, matrixColumns, maxAbs, maxAbsDiff, runOnnx } from './ort.js';

const dir = tempDir('onnx');
/** float32 sums of up to 100 trees: a relative error of a few 1e-7 in practice, 1e-5 allowed */
const REL_TOL = 1e-5;

const asFloat32 = (d: XY): XY => ({ ...d, X: { ...d.X, data: Float64Array.from(d.X.data, Math.fround) } });

/** Rows made of other rows' cells, some scaled past the training range. */
function mixedRows(d: XY, rows: number): XY {
  const { cols } = d.X;
  const data = new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) data[i * cols + j] = d.X.data[((i * 7 + j * 13) % d.X.rows) * cols + j] * (i % 5 === 0 ? 1.5 : 1);
  }
  return { X: { data, rows, cols, layout: 'row' }, y: new Float64Array(rows), featureNames: d.featureNames };
}

async function compareOnMatrix(model: RandomForestRegressor, d: XY): Promise<{ diff: number; scale: number }> {
  const rows = asFloat32(d);
  const grove = await model.predict(rows.X);
  const onnx = await runOnnx(model.toOnnx(), matrixColumns(rows.X, d.featureNames));
  return { diff: maxAbsDiff(onnx, grove), scale: maxAbs(grove) };
}

test('an exact forest without preprocessing: ONNX Runtime predicts what grove predicts on training and new rows', async (t) => {
  const d = diabetes();
  const model = await new RandomForestRegressor({ nEstimators: 40, seed: 3, splitMode: 'exact' }).fit(d.X, d.y, { featureNames: d.featureNames });
  assert.equal(model.splitMode, 'exact');
  for (const [label, rows] of [
    ['training', d],
    ['new', mixedRows(d, 300)],
  ] as const) {
    const { diff, scale } = await compareOnMatrix(model, rows);
    t.diagnostic(`diabetes exact, ${label} rows: max |onnx - grove| = ${diff.toExponential(2)} (predictions up to ${scale.toFixed(1)})`);
    assert.ok(diff <= REL_TOL * scale, `${label}: max difference ${diff} > ${REL_TOL * scale}`);
  }
  // on the unrounded float64 rows, only rows with a value float32 cannot tell from a threshold differ
  const raw = await model.predict(d.X);
  const onnx = await runOnnx(model.toOnnx(), matrixColumns(d.X, d.featureNames));
  let differ = 0;
  for (let i = 0; i < raw.length; i++) if (Math.abs(raw[i] - onnx[i]) > REL_TOL * maxAbs(raw)) differ++;
  t.diagnostic(`diabetes exact, float64 training rows fed as float32: ${differ} of ${raw.length} rows differ (near-duplicate values float32 cannot separate)`);
  assert.ok(differ < raw.length / 10);
});

test('a hist forest: ONNX Runtime predicts what grove predicts on training and new rows', async (t) => {
  const train = friedman(3000, 5);
  const model = await new RandomForestRegressor({ nEstimators: 30, seed: 1, splitMode: 'hist', maxDepth: 12 }).fit(train.X, train.y, { featureNames: train.featureNames });
  assert.equal(model.splitMode, 'hist');
  for (const [label, rows] of [
    ['training', train],
    ['new', friedman(500, 77)],
  ] as const) {
    const { diff, scale } = await compareOnMatrix(model, rows);
    t.diagnostic(`friedman1 hist, ${label} rows: max |onnx - grove| = ${diff.toExponential(2)} (predictions up to ${scale.toFixed(2)})`);
    assert.ok(diff <= REL_TOL * scale, `${label}: max difference ${diff} > ${REL_TOL * scale}`);
  }
});

/** A seeded table with a categorical, a numeric, a boolean and an integer column; `gaps` leaves cells empty. */
function mixedCsv(rows: number, seed: number, options: { gaps: boolean; extraColor?: string }): string {
  let s = seed >>> 0;
  const next = () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
  const colors = ['red', 'green', 'blue', 'amber', 'violet', ...(options.extraColor ? [options.extraColor] : [])];
  const lines = ['color,size,fresh,count,y'];
  for (let i = 0; i < rows; i++) {
    const color = colors[Math.floor(next() * colors.length)];
    const size = Math.round(next() * 80) / 8; // multiples of 1/8: exact in float32
    const fresh = next() < 0.5;
    const count = Math.floor(next() * 20);
    const y = (['red', 'blue'].includes(color) ? 10 : 0) + size * 2 + (fresh ? 5 : 0) + (count % 7) + next();
    const gap = (k: number) => options.gaps && i % 9 === k;
    lines.push([gap(1) ? '' : color, gap(2) ? '' : size, gap(4) ? '' : fresh, count, y.toFixed(3)].join(','));
  }
  return lines.join('\n') + '\n';
}

async function comparePreprocessed(t: { diagnostic(s: string): void }, label: string, prepare: PrepareOptions, splitMode: 'exact' | 'hist', files: { train: string; fresh: string }) {
  const trainPath = writeFile(dir, `${label}-train.csv`, files.train);
  const prepared = prepareTraining(await loadData(trainPath), { ...prepare, target: 'y' });
  const model = await new RandomForestRegressor({ nEstimators: 25, seed: 2, splitMode }).fit(prepared.x, prepared.y, { featureNames: prepared.featureNames, targetName: 'y' });
  model.metadata = { preprocessing: prepared.preprocessing };
  const exported = model.onnxExport();
  assert.deepEqual(
    exported.inputs,
    prepared.preprocessing.columns.map((c) => ({ name: c.name, type: c.type === 'categorical' ? 'string' : 'float' })),
  );
  for (const [part, path] of [
    ['training', trainPath],
    ['new', writeFile(dir, `${label}-new.csv`, files.fresh)],
  ] as const) {
    const input = await loadData(path, { categoricalColumns: categoricalColumnsOf(prepared.preprocessing) });
    const grove = await model.predict(applyPreprocessing(input, prepared.preprocessing).x);
    const onnx = await runOnnx(exported.bytes, loadedColumns(input));
    const diff = maxAbsDiff(onnx, grove);
    t.diagnostic(`${label} (${splitMode}), ${part} rows: max |onnx - grove| = ${diff.toExponential(2)}`);
    assert.ok(diff <= REL_TOL * maxAbs(grove), `${label} ${part}: max difference ${diff}`);
  }
  return exported;
}

test('ordinal codes, median imputation and the fallback code for unseen categories match grove', async (t) => {
  const exported = await comparePreprocessed(t, 'ordinal-median', { impute: 'median', unseenCategory: 'fallback' }, 'exact', {
    train: mixedCsv(400, 1, { gaps: true }),
    fresh: mixedCsv(150, 2, { gaps: true, extraColor: 'teal' }),
  });
  assert.deepEqual(exported.notes, []);
});

test('one-hot columns, mean imputation and unseen categories (all zeros) match grove, hist forest', async (t) => {
  const exported = await comparePreprocessed(t, 'one-hot-mean', { impute: 'mean', unseenCategory: 'fallback', oneHot: true }, 'hist', {
    train: mixedCsv(3000, 3, { gaps: true }),
    fresh: mixedCsv(200, 4, { gaps: true, extraColor: 'teal' }),
  });
  assert.deepEqual(exported.notes, []);
});

test('without imputation and with unseen=error the graph matches grove on valid rows and says what it cannot reject', async (t) => {
  const exported = await comparePreprocessed(t, 'ordinal-strict', {}, 'exact', {
    train: mixedCsv(300, 5, { gaps: false }),
    fresh: mixedCsv(100, 6, { gaps: false }),
  });
  assert.equal(exported.notes.length, 2);
  assert.match(exported.notes[0], /grove rejects missing values in "color", "size", "fresh", "count"; the ONNX graph cannot reject a row/);
  assert.match(exported.notes[1], /grove rejects categories unseen in training in "color"/);
});

test('the file is an ONNX ModelProto with the declared opsets, named inputs and metadata', async () => {
  const d = diabetes();
  const model = await new RandomForestRegressor({ nEstimators: 3, seed: 1 }).fit(d.X, d.y, { featureNames: d.featureNames, targetName: 'progression' });
  const decoded = modelProtoType().toObject(modelProtoType().decode(model.toOnnx()), { longs: Number }) as {
    irVersion: number;
    producerName: string;
    opsetImport: { domain?: string; version: number }[];
    graph: { input: { name: string }[]; output: { name: string }[]; node: { opType: string }[] };
    metadataProps: { key: string; value: string }[];
  };
  assert.equal(decoded.irVersion, 8);
  assert.equal(decoded.producerName, 'grove');
  assert.deepEqual(
    decoded.opsetImport.map((o) => [o.domain ?? '', o.version]),
    [
      ['', 16],
      ['ai.onnx.ml', 3],
    ],
  );
  assert.deepEqual(
    decoded.graph.input.map((i) => i.name),
    d.featureNames,
  );
  assert.deepEqual(
    decoded.graph.output.map((o) => o.name),
    ['prediction'],
  );
  assert.deepEqual(
    decoded.graph.node.map((n) => n.opType),
    ['Concat', 'TreeEnsembleRegressor'],
  );
  assert.deepEqual(decoded.metadataProps, [
    { key: 'target', value: 'progression' },
    { key: 'feature_names', value: JSON.stringify(d.featureNames) },
  ]);
  // another output name is honoured
  const renamed = await runOnnx(model.toOnnx({ outputName: 'y_hat' }), matrixColumns(asFloat32(d).X, d.featureNames));
  assert.equal(renamed.length, d.X.rows);
});

test('floorFloat32 gives the largest float32 at or below a double', () => {
  for (const t of [0.1, -0.1, 1 / 3, -1 / 3, 1e-50, -1e-50, 0, 2.5, 1e30, -1e30, 0.0380759064334241]) {
    const f = floorFloat32(t);
    assert.equal(Math.fround(f), f, `${t}: ${f} is not a float32`);
    assert.ok(f <= t, `${t}: ${f} is above it`);
    const up = new Float32Array([f]);
    const bits = new Int32Array(up.buffer);
    bits[0] += f >= 0 ? 1 : -1; // next float32 up
    if (!(f === 0 && Object.is(f, -0))) assert.ok(up[0] > t || (f === 0 && t === 0), `${t}: ${up[0]} is also at or below it`);
  }
});

test('what ONNX cannot express is an error naming it', async () => {
  const unfitted = new RandomForestRegressor();
  assert.throws(() => unfitted.toOnnx(), /not fitted yet/);

  // training values beyond float32: a float32 input cannot carry them
  const rows = 40;
  const X = new Float64Array(rows * 2);
  const y = new Float64Array(rows);
  for (let i = 0; i < rows; i++) {
    X[i * 2] = i < 20 ? 1e39 : 3e39;
    X[i * 2 + 1] = i % 3;
    y[i] = i < 20 ? 1 : 2;
  }
  const huge = await new RandomForestRegressor({ nEstimators: 2, seed: 1, bootstrap: false, maxFeatures: 'all' }).fit({ data: X, rows, cols: 2, layout: 'row' }, y, {
    featureNames: ['distance', 'k'],
  });
  assert.throws(
    () => huge.toOnnx(),
    (err: unknown) => err instanceof GroveError && err.code === 'INVALID_MODEL' && /threshold 2e\+39 on feature "distance" \(tree 0 node 0\) is outside the float32 range/.test(err.message),
  );

  // leaf values beyond float32
  const bigY = Float64Array.from(y, (v) => v * 1e39);
  const bigLeaves = await new RandomForestRegressor({ nEstimators: 1, seed: 1 }).fit({ data: X.map((v) => (v > 1e38 ? 1 : v)), rows, cols: 2, layout: 'row' }, bigY);
  assert.throws(() => bigLeaves.toOnnx(), /cannot export to ONNX: the leaf value .* of tree 0 node \d+ is outside the float32 range/);

  // a column named like the output
  const d = diabetes();
  const names = d.featureNames.map((n, j) => (j === 2 ? 'prediction' : n));
  const clash = await new RandomForestRegressor({ nEstimators: 2, seed: 1 }).fit(d.X, d.y, { featureNames: names });
  assert.throws(() => clash.toOnnx(), /the output name "prediction" is used twice in the graph .*pass another output name/);
  assert.ok(clash.toOnnx({ outputName: 'progression' }).length > 0);

  // a preprocessing record that does not match the forest
  const mismatched = await new RandomForestRegressor({ nEstimators: 2, seed: 1 }).fit(d.X, d.y, { featureNames: d.featureNames });
  mismatched.metadata = {
    preprocessing: { version: 1, target: 'y', columns: [{ name: 'a', type: 'numeric' }], feature_names: ['a'], unseen_category: 'error', missing: 'error', impute_strategy: null },
  };
  assert.throws(() => mismatched.toOnnx(), /makes 1 features but the forest reads 10/);
});

test('onnx.checker (full check, strict shape inference) accepts exported files with and without preprocessing', { skip: hasPythonOnnx ? false : 'python3-onnx is not installed' }, async () => {
  const d = diabetes();
  const plain = await new RandomForestRegressor({ nEstimators: 5, seed: 1 }).fit(d.X, d.y, { featureNames: d.featureNames });
  const files = [writeFile(dir, 'plain.onnx', plain.toOnnx())];
  files.push(writeFile(dir, 'plain-double.onnx', plain.toOnnx({ precision: 'double' })));
  for (const oneHot of [false, true]) {
    const prepared = prepareTraining(await loadData(writeFile(dir, `check-${oneHot}.csv`, mixedCsv(200, 9, { gaps: true }))), { target: 'y', impute: 'median', oneHot });
    const model = await new RandomForestRegressor({ nEstimators: 5, seed: 1 }).fit(prepared.x, prepared.y, { featureNames: prepared.featureNames });
    model.metadata = { preprocessing: prepared.preprocessing };
    files.push(writeFile(dir, `prep-${oneHot}.onnx`, model.toOnnx()));
  }
  const reports = onnxCheck(files);
  assert.equal(reports.length, 4);
  for (const rep of reports) {
    assert.equal(rep.ok, true);
    assert.deepEqual(rep.opsets, { 'ai.onnx': 16, 'ai.onnx.ml': 3 });
    assert.deepEqual(rep.outputs, { prediction: ['N', 1] });
  }
  assert.deepEqual(reports[2].inputs, ['color', 'size', 'fresh', 'count']);
  assert.ok(reports[3].ops.includes('Equal') && reports[3].ops.includes('LabelEncoder'));
});

test("precision 'double' takes grove's exact splits on float64 rows: every training row agrees within float32 output rounding", async (t) => {
  const d = diabetes();
  const model = await new RandomForestRegressor({ nEstimators: 40, seed: 3, splitMode: 'exact' }).fit(d.X, d.y, { featureNames: d.featureNames });
  const exported = model.onnxExport({ precision: 'double' });
  assert.deepEqual(new Set(exported.inputs.map((i) => i.type)), new Set(['double']));
  for (const [label, rows] of [
    ['training', d],
    ['new', mixedRows(d, 300)],
  ] as const) {
    const grove = await model.predict(rows.X);
    const onnx = await runOnnx(exported.bytes, matrixColumns(rows.X, d.featureNames), 'double');
    const diff = maxAbsDiff(onnx, grove);
    t.diagnostic(`diabetes exact, double graph, float64 ${label} rows: max |onnx - grove| = ${diff.toExponential(2)}`);
    assert.ok(diff <= REL_TOL * maxAbs(grove), `${label}: max difference ${diff}`);
  }
});

test("precision 'double' with one-hot, ordinal and imputed columns matches grove", async (t) => {
  for (const oneHot of [false, true]) {
    const trainPath = writeFile(dir, `double-${oneHot}.csv`, mixedCsv(500, 11, { gaps: true }));
    const prepared = prepareTraining(await loadData(trainPath), { target: 'y', impute: 'mean', unseenCategory: 'fallback', oneHot });
    const model = await new RandomForestRegressor({ nEstimators: 20, seed: 4 }).fit(prepared.x, prepared.y, { featureNames: prepared.featureNames });
    model.metadata = { preprocessing: prepared.preprocessing };
    const input = await loadData(writeFile(dir, `double-new-${oneHot}.csv`, mixedCsv(120, 12, { gaps: true, extraColor: 'teal' })), { categoricalColumns: ['color'] });
    const grove = await model.predict(applyPreprocessing(input, prepared.preprocessing).x);
    const onnx = await runOnnx(model.toOnnx({ precision: 'double' }), loadedColumns(input), 'double');
    const diff = maxAbsDiff(onnx, grove);
    t.diagnostic(`double graph, ${oneHot ? 'one-hot' : 'ordinal'} + mean imputation, new rows: max |onnx - grove| = ${diff.toExponential(2)}`);
    assert.ok(diff <= REL_TOL * maxAbs(grove), `max difference ${diff}`);
  }
  const d = diabetes();
  const model = await new RandomForestRegressor({ nEstimators: 2, seed: 1 }).fit(d.X, d.y);
  assert.throws(() => model.toOnnx({ precision: 'half' as 'float' }), /precision: must be 'float' or 'double'/);
});
