// The model file: round trip on both backends, and every damaged buffer is a clear error.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RandomForestRegressor, GroveError, decodeModel } from '../../src/index.js';
import { encodeModel } from '../../src/forest/model-file.js';
import { friedman } from '../helpers/datasets.js';

async function fitted() {
  const d = friedman(800, 4);
  const m = await new RandomForestRegressor({ nEstimators: 12, maxFeatures: 'sqrt', seed: 9 }).fit(d.X, d.y, {
    featureNames: d.featureNames,
    targetName: 'y',
  });
  m.metadata = { preprocessing: { kind: 'test', columns: ['a'] }, dataFingerprint: 'abc123', metrics: { rmse: 1.5 } };
  return { d, m };
}

test('model round trip: the same bytes load in both backends and predict the same', async () => {
  const { d, m } = await fitted();
  const bytes = m.toBuffer();
  const expected = await m.predict(d.X);
  for (const backend of ['native', 'js'] as const) {
    const loaded = RandomForestRegressor.fromBuffer(bytes, { backend });
    assert.equal(loaded.backend, backend);
    assert.deepEqual(await loaded.predict(d.X), expected);
    assert.deepEqual(loaded.featureNames, d.featureNames);
    assert.equal(loaded.targetName, 'y');
    assert.deepEqual(loaded.metadata.preprocessing, { kind: 'test', columns: ['a'] });
    assert.equal(loaded.metadata.dataFingerprint, 'abc123');
    assert.equal(loaded.metadata.metrics?.rmse, 1.5);
    assert.equal(loaded.oobRmse, m.oobRmse);
    assert.equal(loaded.params.maxFeatures, 'sqrt');
    assert.deepEqual(loaded.featureImportances, m.featureImportances);
  }
  const header = RandomForestRegressor.readHeader(bytes);
  assert.equal(header.format_version, 2);
  assert.equal(header.params.n_estimators, 12);
  assert.equal(header.params.max_features, 'sqrt');
  assert.equal(header.n_trees, 12);
});

function expectInvalid(buf: Uint8Array, pattern: RegExp) {
  assert.throws(
    () => RandomForestRegressor.fromBuffer(buf, { source: 'model.grove' }),
    (err: unknown) => err instanceof GroveError && err.code === 'INVALID_MODEL' && pattern.test(err.message) && /model\.grove/.test(err.message),
  );
}

test('rejects a truncated model file at every length', async () => {
  const { m } = await fitted();
  const bytes = m.toBuffer();
  const cuts = [0, 4, 8, 15, 16, 40, 200, Math.floor(bytes.length / 2), bytes.length - 33, bytes.length - 1];
  for (const cut of cuts) expectInvalid(bytes.subarray(0, cut), /truncated|bytes|header|magic/);
});

test('rejects a bit-flipped model file (checksum)', async () => {
  const { m } = await fitted();
  const bytes = m.toBuffer();
  for (const at of [20, 300, bytes.length - 100, bytes.length - 40]) {
    const copy = Buffer.from(bytes);
    copy[at] ^= 0x10;
    expectInvalid(copy, /checksum|JSON|header|expected/);
  }
});

test('rejects wrong magic bytes, an unknown version and trailing bytes', async () => {
  const { m } = await fitted();
  const bytes = m.toBuffer();
  const magic = Buffer.from(bytes);
  magic.write('NOTGROVE', 0, 'latin1');
  expectInvalid(magic, /magic/);
  const version = Buffer.from(bytes);
  version.writeUInt32LE(99, 8);
  expectInvalid(version, /version 99/);
  expectInvalid(Buffer.concat([bytes, Buffer.from([1, 2, 3])]), /trailing/);
});

test('rejects a hostile file with a valid checksum but out-of-range indices', async () => {
  const { m } = await fitted();
  const f = m.forest;
  const header = RandomForestRegressor.readHeader(m.toBuffer());
  const cases: [string, (g: typeof f) => void, RegExp][] = [
    ['child out of range', (g) => (g.left[0] = 1_000_000), /left child/],
    ['child pointing backwards (a cycle)', (g) => (g.right[0] = 0), /right child/],
    ['feature out of range', (g) => (g.feature[0] = 99), /feature 99/],
    ['leaf with a child', (g) => (g.left[g.treeOffsets[1] - 1] = 1), /leaf has children/],
    ['offsets past the end', (g) => (g.treeOffsets[1] = 0), /empty|offsets/],
    ['a node with two parents (a DAG)', (g) => (g.right[0] = g.left[1]), /more than one parent/],
    ['nodes no walk reaches (the root made a leaf)', (g) => ((g.feature[0] = -1), (g.left[0] = -1), (g.right[0] = -1)), /no parent/],
  ];
  for (const [name, damage, pattern] of cases) {
    const g = {
      ...f,
      treeOffsets: f.treeOffsets.slice(),
      feature: f.feature.slice(),
      left: f.left.slice(),
      right: f.right.slice(),
    };
    damage(g);
    const { format: _a, format_version: _b, grove_version: _c, n_features: _d, n_trees: _e, n_nodes: _f, ...rest } = header;
    const bytes = encodeModel(g, rest, { version: 1 });
    assert.throws(
      () => decodeModel(bytes),
      (err: unknown) => err instanceof GroveError && pattern.test(err.message),
      name,
    );
  }
});

test('the addon re-checks a forest handed to it directly and never crashes', async () => {
  const { m } = await fitted();
  const { loadNative } = await import('../../src/forest/native.js');
  const addon = loadNative().addon!;
  const f = m.forest;
  const bad = { ...f, left: f.left.slice() };
  bad.left[0] = 123456;
  assert.throws(() => new addon.NativeForest(bad), /left child/);
  assert.throws(() => new addon.NativeForest({ ...f, value: f.value.subarray(1) }), /different lengths/);
  assert.throws(() => new addon.NativeForest({ ...f, feature: new Float64Array(3) } as never), /typed-array type/);
  const dag = { ...f, right: f.right.slice() };
  dag.right[0] = f.left[1];
  assert.throws(() => new addon.NativeForest(dag), /more than one parent/);
  // the predictor places leaf values by counting the leaves a walk reaches: an unreachable one
  // would shift every later leaf, so the addon refuses it too
  const orphans = { ...f, feature: f.feature.slice(), left: f.left.slice(), right: f.right.slice() };
  orphans.feature[0] = -1;
  orphans.left[0] = -1;
  orphans.right[0] = -1;
  assert.throws(() => new addon.NativeForest(orphans), /no parent/);
  // found by native/fuzz: a tree ending past the arrays (offsets 0, n + 3, n) was read before the
  // next tree's decreasing offset was noticed (a heap overflow under ASan: npm run test:sanitize).
  // Tree 0 alone, so that its n valid nodes are walked and the walk goes on past the arrays.
  const n = f.treeOffsets[1];
  const tree0 = Object.fromEntries(Object.entries(f).map(([k, v]) => [k, ArrayBuffer.isView(v) ? (v as Int32Array).slice(0, n) : v])) as typeof f;
  const overrun = { ...tree0, treeOffsets: Uint32Array.from([0, n + 3, n]) };
  assert.throws(() => new addon.NativeForest(overrun), new RegExp(`tree 0 ends at node ${n + 3}, past the node count ${n}`));
  const { validateFlatForest } = await import('../../src/forest/flat-forest.js');
  assert.throws(() => validateFlatForest(overrun), /tree 0 ends at node/);
  const handle = new addon.NativeForest(f);
  assert.throws(() => handle.predictSync({ x: new Float64Array(5), rows: 1, cols: 10, layout: 'row', threads: 1 }), /expected rows \* cols/);
  assert.throws(() => handle.predictSync({ x: new Float64Array(3), rows: 1, cols: 3, layout: 'row', threads: 1 }), /forest expects 10/);
});
