// Model file version 1: the flat arrays as they sit in memory (about 48 bytes a node). Still
// read, so every model saved before version 2 loads; written only by tests (hostile files).
// Regressors only: a classifier's K values a node do not fit its one value array.
//
//   after the header, zero padding to an 8-byte boundary, then little-endian arrays
//   (T trees, N nodes): tree_offsets u32[T+1], feature i32[N], left i32[N], right i32[N],
//   n_samples i32[N], zero padding to 8 bytes, threshold f64[N], value f64[N],
//   weighted_n f64[N], impurity f64[N]; then the SHA-256 of every byte before it.
import { validateFlatForest, type FlatForest } from './flat-forest.js';
import type { ChunkWriter, ModelParser, ParseContext } from './model-stream.js';

const align8 = (n: number) => (n + 7) & ~7;

/** Byte size of a version-1 file, from its prefix+header length and counts. */
export function v1FileBytes(prefixAndHeader: number, trees: number, nodes: number): number {
  const ints = align8(prefixAndHeader) + 4 * (trees + 1) + 16 * nodes;
  return align8(ints) + 32 * nodes + 32;
}

/** Writes the arrays that follow a version-1 header (the writer has the prefix and header). */
export function* writeV1Arrays(w: ChunkWriter, f: FlatForest): Generator<Buffer> {
  const zeros = new Uint8Array(8);
  w.bytes(zeros.subarray(0, align8(w.written) - w.written));
  w.array(f.treeOffsets);
  for (const a of [f.feature, f.left, f.right, f.nSamples]) {
    w.array(a);
    yield* w.drain();
  }
  w.bytes(zeros.subarray(0, align8(w.written) - w.written));
  for (const a of [f.threshold, f.value, f.weightedN, f.impurity]) {
    w.array(a);
    yield* w.drain();
  }
  w.digest();
}

/** Reads the arrays after a version-1 header, the checksum, then validates every index. */
export function* readV1Arrays(ctx: ParseContext, nFeatures: number, trees: number, nodes: number): ModelParser<FlatForest> {
  yield* ctx.take(align8(ctx.offset) - ctx.offset, 'padding');
  const treeOffsets = new Uint32Array(trees + 1);
  yield* ctx.fill(treeOffsets, 0, trees + 1, 'tree offsets');
  const ints = [new Int32Array(nodes), new Int32Array(nodes), new Int32Array(nodes), new Int32Array(nodes)];
  for (const [i, name] of ['feature', 'left', 'right', 'n_samples'].entries()) yield* ctx.fill(ints[i], 0, nodes, name);
  yield* ctx.take(align8(ctx.offset) - ctx.offset, 'padding');
  const doubles = [new Float64Array(nodes), new Float64Array(nodes), new Float64Array(nodes), new Float64Array(nodes)];
  for (const [i, name] of ['threshold', 'value', 'weighted_n', 'impurity'].entries()) yield* ctx.fill(doubles[i], 0, nodes, name);
  yield* ctx.checkDigest('model');
  const forest: FlatForest = {
    nFeatures,
    nClasses: 0,
    treeOffsets,
    feature: ints[0],
    left: ints[1],
    right: ints[2],
    nSamples: ints[3],
    threshold: doubles[0],
    value: doubles[1],
    weightedN: doubles[2],
    impurity: doubles[3],
  };
  try {
    validateFlatForest(forest);
  } catch (err) {
    ctx.bad((err as Error).message);
  }
  return forest;
}
