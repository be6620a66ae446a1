// The model file for classifiers: K class frequencies a node, the classes in the header, and
// every inconsistent or damaged classifier file refused with a clear error.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GroveError, RandomForestClassifier, RandomForestRegressor, forestModelFromBuffer, loadForestModel } from '../../src/index.js';
import { decodeModel, encodeModel, encodeModelChunks, decodeModelChunks, type HeaderFields } from '../../src/forest/model-file.js';
import type { FlatForest } from '../../src/forest/flat-forest.js';
import type { Label } from '../../src/labels.js';
import { paramsToHeader, resolveParams } from '../../src/forest/params.js';

/** A seeded random forest of full binary trees in preorder with K class frequencies a node (no engine needed). */
function syntheticForest(trees: number, k: number, nFeatures: number, seed: number): FlatForest {
  let s = seed >>> 0 || 1;
  const rand = () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 2 ** 32;
  };
  const feature: number[] = [];
  const left: number[] = [];
  const right: number[] = [];
  const threshold: number[] = [];
  const value: number[] = [];
  const nSamples: number[] = [];
  const weightedN: number[] = [];
  const impurity: number[] = [];
  const offsets = [0];
  for (let t = 0; t < trees; t++) {
    const base = feature.length;
    const grow = (depth: number): number => {
      const id = feature.length - base;
      feature.push(-1);
      left.push(-1);
      right.push(-1);
      threshold.push(0);
      nSamples.push(1 + Math.floor(rand() * 50));
      weightedN.push(rand() * 40);
      impurity.push(rand() / 2);
      const counts = Array.from({ length: k }, () => Math.floor(rand() * 5));
      counts[Math.floor(rand() * k)]++;
      const total = counts.reduce((a, b) => a + b, 0);
      for (const c of counts) value.push(c / total);
      if (depth < 4 && rand() < 0.7) {
        feature[base + id] = Math.floor(rand() * nFeatures);
        // a few thresholds shared, so both tables and raw doubles occur
        threshold[base + id] = rand() < 0.5 ? Math.floor(rand() * 8) / 4 : rand() * 10 - 5;
        left[base + id] = grow(depth + 1);
        right[base + id] = grow(depth + 1);
      }
      return id;
    };
    grow(0);
    offsets.push(feature.length);
  }
  return {
    nFeatures,
    nClasses: k,
    treeOffsets: Uint32Array.from(offsets),
    feature: Int32Array.from(feature),
    left: Int32Array.from(left),
    right: Int32Array.from(right),
    nSamples: Int32Array.from(nSamples),
    threshold: Float64Array.from(threshold),
    value: Float64Array.from(value),
    weightedN: Float64Array.from(weightedN),
    impurity: Float64Array.from(impurity),
  };
}

function fields(classes: Label[], extra: Partial<HeaderFields> = {}): HeaderFields {
  return {
    created_at: '2026-01-01T00:00:00.000Z',
    task: 'classification',
    classes,
    feature_names: ['a', 'b', 'c'],
    target_name: 'label',
    params: paramsToHeader(resolveParams({ nEstimators: 5, criterion: 'entropy', classWeight: { 'x,y': 2 } } as never, 'classification')),
    backend: 'js',
    split_mode: 'exact',
    metrics: { oob_accuracy: 0.75 },
    feature_importances: [0.5, 0.25, 0.25],
    data_fingerprint: null,
    preprocessing: null,
    ...extra,
  };
}

const STRINGS: Label[] = ['a,b', 'x,y', 'Ünïcødé', '日本語', '🌲'].sort();

function assertSameForest(a: FlatForest, b: FlatForest, stats = true) {
  assert.equal(b.nClasses, a.nClasses);
  assert.equal(b.nFeatures, a.nFeatures);
  assert.deepEqual(b.treeOffsets, a.treeOffsets);
  assert.deepEqual(b.feature, a.feature);
  assert.deepEqual(b.left, a.left);
  assert.deepEqual(b.right, a.right);
  assert.deepEqual(b.threshold, a.threshold);
  const k = a.nClasses;
  for (let n = 0; n < a.feature.length; n++) {
    if (a.feature[n] >= 0 && !stats) continue; // a split's values live in the stats section
    assert.deepEqual(b.value.subarray(n * k, n * k + k), a.value.subarray(n * k, n * k + k), `node ${n}`);
  }
  if (stats) {
    assert.deepEqual(b.nSamples, a.nSamples);
    assert.deepEqual(b.weightedN, a.weightedN);
    assert.deepEqual(b.impurity, a.impurity);
  }
}

test('a classifier forest round-trips through the version-2 file: K values a node, classes in the header', async () => {
  for (const k of [2, 5, 300]) {
    const classes = k === 5 ? STRINGS : Array.from({ length: k }, (_, i) => i * 10);
    const forest = syntheticForest(7, k, 3, 40 + k);
    const bytes = encodeModel(forest, fields(classes));
    const decoded = decodeModel(bytes);
    assert.equal(decoded.header.task, 'classification');
    assert.equal(decoded.header.n_classes, k);
    assert.deepEqual(decoded.header.classes, classes);
    assert.equal(decoded.forest.value.length, forest.feature.length * k);
    assertSameForest(forest, decoded.forest);
    // streamed in small chunks: K values a node straddle chunk borders
    const streamed = await decodeModelChunks(encodeModelChunks(forest, fields(classes), { chunkBytes: 1000 }));
    assertSameForest(forest, streamed.forest);
    // without the stats section: leaves only
    const lean = decodeModel(encodeModel(forest, fields(classes), { stats: false }));
    assert.equal(lean.hasStats, false);
    assertSameForest(forest, lean.forest, false);
  }
});

test('labels of every kind come back from the header as they went in', () => {
  const forest = syntheticForest(3, 2, 3, 7);
  for (const classes of [
    ['no', 'yes'],
    [false, true],
    [-1.5, 2],
    [0, 1],
  ] as Label[][]) {
    const header = decodeModel(encodeModel(forest, fields(classes))).header;
    assert.deepEqual(header.classes, classes);
    for (let i = 0; i < classes.length; i++) assert.equal(typeof header.classes![i], typeof classes[i]);
  }
  const five = syntheticForest(3, 5, 3, 8);
  assert.deepEqual(decodeModel(encodeModel(five, fields(STRINGS))).header.classes, STRINGS);
});

test('a classifier is restored by loadForestModel, forestModelFromBuffer and RandomForestClassifier, and refused by RandomForestRegressor', async () => {
  const forest = syntheticForest(4, 5, 3, 11);
  const bytes = encodeModel(forest, fields(STRINGS));
  const model = forestModelFromBuffer(bytes, { backend: 'js', source: 'clf.grove' });
  assert.equal(model.task, 'classification');
  assert.ok(model instanceof RandomForestClassifier);
  assert.deepEqual(model.classes, STRINGS);
  assert.equal(model.nClasses, 5);
  assert.equal(model.oobAccuracy, 0.75);
  assert.equal(model.params.criterion, 'entropy');
  assert.deepEqual(model.params.classWeight, { 'x,y': 2 });
  assert.equal(model.params.maxFeatures, 'sqrt');
  assert.equal(model.targetName, 'label');
  assert.equal(model.nTrees, 4);
  assertSameForest(forest, model.forest);

  const dir = mkdtempSync(join(tmpdir(), 'grove-clf-'));
  try {
    const path = join(dir, 'm.grove');
    await model.save(path);
    const again = await loadForestModel(path, { backend: 'js' });
    assert.ok(again instanceof RandomForestClassifier);
    assert.deepEqual(again.classes, STRINGS);
    assertSameForest(forest, again.forest);
    const direct = await RandomForestClassifier.load(path, { backend: 'js' });
    assert.deepEqual(direct.classes, STRINGS);
    await assert.rejects(
      RandomForestRegressor.load(path),
      (err: unknown) => err instanceof GroveError && err.code === 'INVALID_MODEL' && /classification model/.test(err.message) && /m\.grove/.test(err.message),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  assert.throws(
    () => RandomForestRegressor.fromBuffer(bytes),
    (err: unknown) => err instanceof GroveError && err.code === 'INVALID_MODEL' && /RandomForestClassifier|loadForestModel/.test(err.message),
  );
});

test('version 1 cannot hold a classifier: encoding refuses it clearly', () => {
  const forest = syntheticForest(2, 3, 3, 5);
  assert.throws(
    () => encodeModel(forest, fields(['a', 'b', 'c']), { version: 1 }),
    (err: unknown) => err instanceof GroveError && err.code === 'INVALID_OPTION' && /version 1 cannot hold a classifier/.test(err.message),
  );
});

/** Rewrites the header of a file without stats section and recomputes its checksum, so only the header is wrong. */
function reheader(bytes: Buffer, edit: (h: Record<string, unknown>) => void): Buffer {
  const headerLength = bytes.readUInt32LE(12);
  const header = JSON.parse(bytes.toString('utf8', 16, 16 + headerLength)) as Record<string, unknown>;
  edit(header);
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const prefix = Buffer.from(bytes.subarray(0, 16));
  prefix.writeUInt32LE(json.length, 12);
  const body = bytes.subarray(16 + headerLength, bytes.length - 32);
  const core = Buffer.concat([prefix, json, body]);
  return Buffer.concat([core, createHash('sha256').update(core).digest()]);
}

test('an inconsistent or damaged classifier file is INVALID_MODEL with the reason', () => {
  const forest = syntheticForest(3, 3, 3, 21);
  const good = encodeModel(forest, fields(['a', 'b', 'c']), { stats: false });
  assert.deepEqual(decodeModel(reheader(good, () => {})).header.classes, ['a', 'b', 'c']); // the helper itself is sound
  const cases: [(h: Record<string, unknown>) => void, RegExp][] = [
    [(h) => (h.classes = ['b', 'a', 'c']), /sorted/],
    [(h) => (h.classes = ['a', 'a', 'c']), /distinct/],
    [(h) => (h.classes = ['a', 1, 'c']), /kind/],
    [(h) => (h.classes = ['a', 'b']), /classes lists 2 labels, n_classes is 3/],
    [(h) => delete h.classes, /at least 2 class labels/],
    [(h) => (h.classes = ['a', null, 'c']), /missing/],
    [(h) => (h.n_classes = 4), /classes lists 3 labels, n_classes is 4|expected \d+ bytes/],
    [(h) => (h.n_classes = 1), /n_classes must be an integer in \[2, 65536\]/],
    [(h) => (h.n_classes = 2.5), /n_classes/],
    [(h) => delete h.n_classes, /n_classes/],
    [(h) => (h.task = 'clustering'), /task "clustering"/],
    [(h) => (h.task = 'regression'), /regressor's header has n_classes 3/],
  ];
  for (const [edit, pattern] of cases) {
    assert.throws(
      () => forestModelFromBuffer(reheader(good, edit), { source: 'bad.grove', backend: 'js' }),
      (err: unknown) => err instanceof GroveError && err.code === 'INVALID_MODEL' && pattern.test(err.message) && /bad\.grove/.test(err.message),
      String(edit),
    );
  }
  // a regressor's header on K-wide leaves: the byte count no longer matches
  assert.throws(
    () =>
      forestModelFromBuffer(
        reheader(good, (h) => {
          h.task = 'regression';
          delete h.n_classes;
          delete h.classes;
        }),
        { backend: 'js' },
      ),
    (err: unknown) => err instanceof GroveError && err.code === 'INVALID_MODEL' && /trailing bytes|expected \d+ bytes/.test(err.message),
  );
  // truncated anywhere, and a flipped bit in the leaf values
  const full = encodeModel(forest, fields(['a', 'b', 'c']));
  for (const cut of [20, full.length >> 1, full.length - 40, full.length - 1]) {
    assert.throws(
      () => forestModelFromBuffer(full.subarray(0, cut), { backend: 'js' }),
      (err: unknown) => err instanceof GroveError && err.code === 'INVALID_MODEL',
    );
  }
  const flipped = Buffer.from(good);
  flipped[flipped.length - 40] ^= 0x10;
  assert.throws(
    () => forestModelFromBuffer(flipped, { backend: 'js' }),
    (err: unknown) => err instanceof GroveError && err.code === 'INVALID_MODEL' && /checksum|not finite/.test(err.message),
  );
  // a non-finite class frequency with a valid checksum
  const nan = syntheticForest(3, 3, 3, 21);
  const leaf = nan.feature.indexOf(-1);
  nan.value[leaf * 3 + 2] = Number.NaN;
  assert.throws(
    () => decodeModel(encodeModel(nan, fields(['a', 'b', 'c']))),
    (err: unknown) => err instanceof GroveError && err.code === 'INVALID_MODEL' && /leaf value is not finite/.test(err.message),
  );
});

test('a regression file still has no classes and loads as a regressor', () => {
  const forest = { ...syntheticForest(3, 2, 3, 3), nClasses: 0 };
  forest.value = forest.value.filter((_, i) => i % 2 === 0);
  const regFields = { ...fields([]), task: 'regression' as const, params: paramsToHeader(resolveParams({ nEstimators: 5 })) };
  delete (regFields as Record<string, unknown>).classes;
  const bytes = encodeModel(forest, regFields);
  const header = decodeModel(bytes).header;
  assert.equal(header.n_classes, undefined);
  assert.equal(header.classes, undefined);
  assert.equal(header.params.criterion, 'squared_error');
  assert.equal('class_weight' in header.params, false);
  const model = forestModelFromBuffer(bytes, { backend: 'js' });
  assert.equal(model.task, 'regression');
  assert.ok(model instanceof RandomForestRegressor);
  assert.throws(
    () => RandomForestClassifier.fromBuffer(bytes),
    (err: unknown) => err instanceof GroveError && err.code === 'INVALID_MODEL' && /regression model/.test(err.message),
  );
  // the header's task and the forest must agree
  assert.throws(() => encodeModel(forest, fields(['a', 'b'])), /task classification but the forest has 0 classes/);
});
