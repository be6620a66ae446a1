// Model file version 2: compact, streamed, checksummed while streaming; version-1 files still
// load; every damaged or hostile file is a clear error.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RandomForestRegressor, GroveError } from '../../src/index.js';
import { decodeModel, decodeModelChunks, type ModelHeader } from '../../src/forest/model-file.js';
import { friedman } from '../helpers/datasets.js';

const fixture = (name: string) => new URL(`./fixtures/${name}`, import.meta.url);

async function fit(splitMode: 'exact' | 'hist', rows = 1500, trees = 8) {
  const d = friedman(rows, 4);
  const m = await new RandomForestRegressor({ nEstimators: trees, seed: 11, splitMode, maxFeatures: 'sqrt' }).fit(d.X, d.y, { featureNames: d.featureNames, targetName: 'y' });
  return { d, m };
}

function isInvalid(pattern: RegExp) {
  return (err: unknown) => err instanceof GroveError && err.code === 'INVALID_MODEL' && pattern.test(err.message);
}

test('version-1 files written by earlier grove load and predict as they did, and re-save as version 2 with the same predictions', async () => {
  const probe = friedman(50, 77);
  for (const mode of ['exact', 'hist'] as const) {
    const bytes = readFileSync(fixture(`v1-${mode}.grove`));
    const expected = JSON.parse(readFileSync(fixture(`v1-${mode}.expected.json`), 'utf8')) as { predictions: number[]; importances: number[] };
    assert.equal(RandomForestRegressor.readHeader(bytes).format_version, 1);
    for (const backend of ['native', 'js'] as const) {
      const v1 = RandomForestRegressor.fromBuffer(bytes, { backend });
      assert.deepEqual(Array.from(await v1.predict(probe.X)), expected.predictions, `${mode} ${backend}`);
      assert.deepEqual(Array.from(v1.featureImportances), expected.importances);
      const v2bytes = v1.toBuffer();
      assert.equal(RandomForestRegressor.readHeader(v2bytes).format_version, 2);
      assert.ok(v2bytes.length < bytes.length * 0.7, `v2 ${v2bytes.length} bytes vs v1 ${bytes.length}`);
      const v2 = RandomForestRegressor.fromBuffer(v2bytes, { backend });
      assert.deepEqual(Array.from(await v2.predict(probe.X)), expected.predictions);
      assert.deepEqual(v2.forest, v1.forest, 'every array, stats included, survives v1 -> v2 -> memory');
    }
  }
});

test('version 2 keeps every node array exactly, on both split modes, and a hist forest costs at most 12 bytes a node without stats', async () => {
  for (const mode of ['exact', 'hist'] as const) {
    const { d, m } = await fit(mode);
    const back = RandomForestRegressor.fromBuffer(m.toBuffer());
    assert.deepEqual(back.forest, m.forest);
    assert.deepEqual(await back.predict(d.X), await m.predict(d.X));
    const core = m.toBuffer({ stats: false });
    const nodes = m.forest.feature.length;
    const v1 = m.toBuffer({ version: 1 });
    if (mode === 'hist') assert.ok(core.length / nodes <= 12, `hist: ${(core.length / nodes).toFixed(2)} bytes a node`);
    assert.ok(core.length < v1.length / 3, `${mode}: v2 core ${core.length} vs v1 ${v1.length}`);
  }
});

test('a file without stats, or a load that skips them, predicts the same and takes importances from the header', async () => {
  const { d, m } = await fit('hist');
  const expected = await m.predict(d.X);
  for (const [bytes, stats] of [
    [m.toBuffer({ stats: false }), true],
    [m.toBuffer(), false],
  ] as const) {
    for (const backend of ['native', 'js'] as const) {
      const back = RandomForestRegressor.fromBuffer(bytes, { backend, stats });
      assert.deepEqual(await back.predict(d.X), expected);
      assert.deepEqual(back.featureImportances, m.featureImportances);
    }
  }
});

test('a model streamed in small chunks loads from the stream; save/load round trip through a file', async () => {
  const { d, m } = await fit('exact');
  const chunks = [...m.toChunks({ chunkBytes: 4096 })];
  assert.ok(chunks.length > 10);
  assert.ok(chunks.slice(0, -1).every((c) => c.length === 4096));
  async function* slowly() {
    for (const c of chunks) yield c;
  }
  const back = await RandomForestRegressor.fromChunks(slowly(), { source: 'stream' });
  assert.deepEqual(await back.predict(d.X), await m.predict(d.X));
  const dir = mkdtempSync(join(tmpdir(), 'grove-v2-'));
  const path = join(dir, 'model.grove');
  await m.save(path);
  const loaded = await RandomForestRegressor.load(path);
  assert.deepEqual(await loaded.predict(d.X), await m.predict(d.X));
  await assert.rejects(m.save(join(dir, 'missing', 'model.grove')), (err: unknown) => err instanceof GroveError && /missing/.test(err.message));
  assert.deepEqual(readdirSync(dir), ['model.grove'], 'no temporary file left behind');
  assert.ok(!existsSync(join(dir, 'missing')));
});

test('the streamed checksum catches a flipped byte in the last chunk, with and without the stats section', async () => {
  const { m } = await fit('hist');
  for (const stats of [true, false]) {
    const chunks = [...m.toChunks({ chunkBytes: 1000, stats })].map((c) => Buffer.from(c));
    const last = chunks[chunks.length - 1];
    last[Math.floor(last.length / 2)] ^= 0x01;
    await assert.rejects(decodeModelChunks(chunks, { source: 'flipped.grove' }), isInvalid(stats ? /stats checksum mismatch/ : /model checksum mismatch/));
  }
});

test('a truncated stream is refused wherever it stops, naming where', async () => {
  const { m } = await fit('hist', 400, 3);
  const bytes = m.toBuffer();
  for (const cut of [0, 10, 16, 100, 400, Math.floor(bytes.length / 2), bytes.length - 33, bytes.length - 1]) {
    await assert.rejects(decodeModelChunks([bytes.subarray(0, cut)], { source: 'cut.grove' }), isInvalid(/truncated.*cut\.grove|cut\.grove.*truncated/), `cut ${cut}`);
    assert.throws(() => decodeModel(bytes.subarray(0, cut), 'cut.grove'), isInvalid(/truncated|bytes/));
  }
  await assert.rejects(decodeModelChunks([bytes, Buffer.from([0])]), isInvalid(/trailing/));
});

/** A v2 file's sections, to damage one and re-seal the checksum (a hostile, not a corrupted, file). */
function sections(bytes: Buffer) {
  const headerLen = bytes.readUInt32LE(12);
  const header = JSON.parse(bytes.toString('utf8', 16, 16 + headerLen)) as ModelHeader;
  const l = header.layout!;
  const T = header.n_trees;
  const N = header.n_nodes;
  const I = N - l.n_leaves;
  const treeSizes = 16 + headerLen;
  const tableSizes = treeSizes + 4 * T;
  const tables = tableSizes + 4 * header.n_features;
  const kinds = tables + 8 * l.threshold_table_entries;
  const features = kinds + Math.ceil(N / 8);
  const codes = features + l.feature_bytes * I;
  const leaves = codes + l.threshold_code_bytes;
  const digest = leaves + 8 * l.n_leaves;
  return { header, treeSizes, tableSizes, tables, kinds, features, codes, leaves, digest };
}

function reseal(bytes: Buffer, damage: (b: Buffer, s: ReturnType<typeof sections>) => void): Buffer {
  const b = Buffer.from(bytes);
  const s = sections(b);
  damage(b, s);
  createHash('sha256').update(b.subarray(0, s.digest)).digest().copy(b, s.digest);
  return b;
}

function withHeader(bytes: Buffer, change: (h: ModelHeader) => void): Buffer {
  const s = sections(bytes);
  const h = structuredClone(s.header);
  change(h);
  const json = Buffer.from(JSON.stringify(h));
  const prefix = Buffer.from(bytes.subarray(0, 16));
  prefix.writeUInt32LE(json.length, 12);
  const out = Buffer.concat([prefix, json, bytes.subarray(16 + bytes.readUInt32LE(12), s.digest), Buffer.alloc(32)]);
  createHash('sha256')
    .update(out.subarray(0, out.length - 32))
    .digest()
    .copy(out, out.length - 32);
  return out;
}

test('a hostile version-2 file with a valid checksum is refused with a clear error, never a crash', async () => {
  const { m } = await fit('hist', 400, 3);
  const bytes = m.toBuffer({ stats: false });
  const nodes = m.forest.feature.length;
  const t0 = m.forest.treeOffsets[1];
  const cases: [string, Buffer, RegExp][] = [
    [
      'huge node count',
      withHeader(bytes, (h) => ((h.n_nodes = 0x7ffffffd), (h.layout!.n_leaves = (0x7ffffffd + h.n_trees) / 2), (h.layout!.threshold_code_bytes = (0x7ffffffd - h.n_trees) / 2))),
      /expected \d+ bytes/,
    ],
    ['node count that is no forest', withHeader(bytes, (h) => (h.n_nodes += 1)), /cannot form/],
    ['leaf count off', withHeader(bytes, (h) => (h.layout!.n_leaves -= 1)), /n_leaves/],
    ['feature width that does not match', withHeader(bytes, (h) => (h.layout!.feature_bytes = 2)), /feature_bytes/],
    ['missing layout', withHeader(bytes, (h) => delete h.layout), /layout/],
    ['even tree size', reseal(bytes, (b, s) => b.writeUInt32LE(b.readUInt32LE(s.treeSizes) + 1, s.treeSizes)), /odd count/],
    ['tree sizes past the node count', reseal(bytes, (b, s) => b.writeUInt32LE(nodes + 2, s.treeSizes)), /more than the/],
    ['table larger than allowed', reseal(bytes, (b, s) => b.writeUInt32LE(70000, s.tableSizes)), /at most 65536/],
    ['NaN threshold in a table', reseal(bytes, (b, s) => b.writeDoubleLE(NaN, s.tables)), /NaN/],
    ['unsorted threshold table', reseal(bytes, (b, s) => b.writeDoubleLE(1e300, s.tables)), /strictly increasing/],
    ['root made a leaf, a leaf made a split', reseal(bytes, (b, s) => ((b[s.kinds] &= 0xfe), (b[s.kinds + ((t0 - 1) >> 3)] |= 1 << ((t0 - 1) & 7)))), /do not form a tree/],
    ['bad feature index', reseal(bytes, (b, s) => (b[s.features] = 200)), /feature 200 out of range/],
    ['threshold rank past its table', reseal(bytes, (b, s) => (b[s.codes] = 255)), /rank 255 past/],
    ['infinite leaf value', reseal(bytes, (b, s) => b.writeDoubleLE(Infinity, s.leaves)), /not finite/],
  ];
  for (const [name, bad, pattern] of cases) {
    assert.throws(() => decodeModel(bad, 'hostile.grove'), isInvalid(pattern), name);
    await assert.rejects(decodeModelChunks([bad], { totalBytes: bad.length }), isInvalid(pattern), `${name} (streamed)`);
  }
  // a huge count in a stream of unknown length is refused before anything is allocated
  await assert.rejects(decodeModelChunks([cases[0][1]]), isInvalid(/more than this machine's/));
});

test('a forest numbered in another order than preorder (right subtree first) is written in preorder and predicts the same', async () => {
  const { d, m } = await fit('exact', 500, 3);
  const f = m.forest;
  const g = {
    ...f,
    feature: f.feature.slice(),
    left: f.left.slice(),
    right: f.right.slice(),
    threshold: f.threshold.slice(),
    value: f.value.slice(),
    nSamples: f.nSamples.slice(),
    weightedN: f.weightedN.slice(),
    impurity: f.impurity.slice(),
  };
  for (let t = 0; t + 1 < f.treeOffsets.length; t++) {
    const base = f.treeOffsets[t];
    const size = f.treeOffsets[t + 1] - base;
    const newId = new Int32Array(size);
    const stack = [0];
    let next = 0;
    while (stack.length) {
      const i = stack.pop()!;
      newId[i] = next++;
      if (f.feature[base + i] >= 0) stack.push(f.left[base + i], f.right[base + i]); // right popped first
    }
    for (let i = 0; i < size; i++) {
      const k = base + newId[i];
      g.feature[k] = f.feature[base + i];
      g.threshold[k] = f.threshold[base + i];
      g.value[k] = f.value[base + i];
      g.nSamples[k] = f.nSamples[base + i];
      g.weightedN[k] = f.weightedN[base + i];
      g.impurity[k] = f.impurity[base + i];
      g.left[k] = f.left[base + i] < 0 ? -1 : newId[f.left[base + i]];
      g.right[k] = f.right[base + i] < 0 ? -1 : newId[f.right[base + i]];
    }
  }
  const header = RandomForestRegressor.readHeader(m.toBuffer());
  const { format: _a, format_version: _b, grove_version: _c, n_features: _d, n_trees: _e, n_nodes: _f, layout: _g, ...rest } = header;
  const { encodeModel } = await import('../../src/forest/model-file.js');
  const shuffled = RandomForestRegressor.fromBuffer(encodeModel(g, rest, { version: 1 }), { backend: 'js' });
  assert.notDeepEqual(shuffled.forest.left, f.left, 'the renumbered forest really differs');
  const expected = await m.predict(d.X);
  assert.deepEqual(await shuffled.predict(d.X), expected);
  const v2 = RandomForestRegressor.fromBuffer(encodeModel(g, rest));
  assert.deepEqual(await v2.predict(d.X), expected);
  assert.deepEqual(v2.forest, f, 'written in preorder: the builder numbering comes back');
});

test('the header reads without decoding the trees, from bytes or a stream that is then released', async () => {
  const { m } = await fit('hist', 400, 3);
  const bytes = m.toBuffer();
  const { readModelHeaderChunks } = await import('../../src/forest/model-file.js');
  const cut = bytes.subarray(0, 16 + bytes.readUInt32LE(12));
  assert.equal(RandomForestRegressor.readHeader(cut).n_trees, 3);
  let served = 0;
  let released = false;
  async function* stream() {
    try {
      for (const c of m.toChunks({ chunkBytes: 256 })) {
        served++;
        yield c;
      }
    } finally {
      released = true;
    }
  }
  const header = await readModelHeaderChunks(stream(), 'stream');
  assert.equal(header.n_nodes, m.forest.feature.length);
  assert.ok(released && served < 20, `stopped after ${served} chunks`);
  assert.throws(() => RandomForestRegressor.readHeader(bytes.subarray(0, 20)), isInvalid(/truncated/));
});
