import { GroveError } from '../errors.js';

/**
 * A forest as flat parallel arrays, the layout of native/engine/flat_tree.h, shared by both
 * backends and the model file. Tree t owns nodes [treeOffsets[t], treeOffsets[t + 1]); child
 * ids are local to their tree; children come after their parent; feature -1 marks a leaf.
 * A classifier (nClasses K >= 2) keeps K class frequencies per node, node-major
 * (value[node * K + c]); every other array has one entry per node, and weightedN is the
 * class-weighted node weight.
 */
export interface FlatForest {
  nFeatures: number;
  /** 0 for a regressor; K >= 2 classes for a classifier. */
  nClasses: number;
  treeOffsets: Uint32Array;
  feature: Int32Array;
  left: Int32Array;
  right: Int32Array;
  nSamples: Int32Array;
  threshold: Float64Array;
  value: Float64Array;
  weightedN: Float64Array;
  impurity: Float64Array;
}

export function treeCount(f: FlatForest): number {
  return f.treeOffsets.length - 1;
}

/** Values per node: 1 for a regressor, K for a classifier. */
export function valueWidth(f: Pick<FlatForest, 'nClasses'>): number {
  return f.nClasses > 0 ? f.nClasses : 1;
}

/** Classes a classifier may have. */
export const MAX_FOREST_CLASSES = 65536;

/** The same checks as native/engine/validate.cpp, for forests read from files or buffers. */
export function validateFlatForest(f: FlatForest): void {
  const fail = (what: string): never => {
    throw new GroveError('INVALID_MODEL', `invalid forest: ${what}`);
  };
  const n = f.feature.length;
  // a forest built in JavaScript without nClasses is a regressor's
  const nClasses = f.nClasses ?? 0;
  if (!Number.isInteger(nClasses) || nClasses < 0 || nClasses === 1 || nClasses > MAX_FOREST_CLASSES) fail(`n_classes ${nClasses} must be 0 (a regressor) or an integer in [2, ${MAX_FOREST_CLASSES}]`);
  const width = nClasses > 0 ? nClasses : 1;
  for (const [name, arr] of [
    ['left', f.left],
    ['right', f.right],
    ['nSamples', f.nSamples],
    ['threshold', f.threshold],
    ['value', f.value],
    ['weightedN', f.weightedN],
    ['impurity', f.impurity],
  ] as const) {
    if (name === 'value' && width > 1) {
      if (arr.length !== n * width) fail(`value has ${arr.length} entries, expected ${n} nodes x ${width} classes`);
    } else if (arr.length !== n) fail(`${name} has ${arr.length} nodes, feature has ${n}`);
  }
  if (!Number.isInteger(f.nFeatures) || f.nFeatures < 1) fail('n_features must be >= 1');
  const offsets = f.treeOffsets;
  if (offsets.length < 2) fail('a forest needs at least one tree');
  if (offsets[0] !== 0) fail('tree offsets must start at 0');
  if (offsets[offsets.length - 1] !== n) fail(`tree offsets end at ${offsets[offsets.length - 1]}, not at the node count ${n}`);
  // every tree's range inside the arrays before any node is read (as validate.cpp)
  for (let t = 0; t + 1 < offsets.length; t++) {
    if (offsets[t + 1] <= offsets[t]) fail(`tree ${t} is empty or offsets decrease`);
    if (offsets[t + 1] > n) fail(`tree ${t} ends at node ${offsets[t + 1]}, past the node count ${n}`);
  }
  for (let t = 0; t + 1 < offsets.length; t++) {
    const base = offsets[t];
    const size = offsets[t + 1] - base;
    // one parent per node: a node shared by two parents makes a DAG with exponentially many paths
    const parents = new Uint8Array(size);
    for (let i = 0; i < size; i++) {
      const k = base + i;
      const feat = f.feature[k];
      const at = `tree ${t} node ${i}: `;
      if (feat === -1) {
        if (f.left[k] !== -1 || f.right[k] !== -1) fail(at + 'a leaf has children');
        for (let c = k * width; c < (k + 1) * width; c++) if (!Number.isFinite(f.value[c])) fail(at + 'leaf value is not finite');
      } else {
        if (feat < 0 || feat >= f.nFeatures) fail(at + `feature ${feat} out of range`);
        if (f.left[k] <= i || f.left[k] >= size) fail(at + `left child ${f.left[k]} out of range`);
        if (f.right[k] <= i || f.right[k] >= size) fail(at + `right child ${f.right[k]} out of range`);
        if (f.left[k] === f.right[k]) fail(at + 'both children are the same node');
        if (++parents[f.left[k]] > 1) fail(`tree ${t} node ${f.left[k]}: has more than one parent`);
        if (++parents[f.right[k]] > 1) fail(`tree ${t} node ${f.right[k]}: has more than one parent`);
        if (Number.isNaN(f.threshold[k])) fail(at + 'threshold is NaN');
      }
    }
    // and every node but the root has one: a node no walk reaches is not part of a tree
    for (let i = 1; i < size; i++) if (parents[i] === 0) fail(`tree ${t} node ${i}: no parent (unreachable)`);
  }
}

/**
 * Mean decrease in impurity, as scikit-learn: per tree, the weighted impurity decrease of each
 * split summed by feature and normalised to 1; averaged over trees; normalised again.
 */
export function featureImportances(f: FlatForest): Float64Array {
  const total = new Float64Array(f.nFeatures);
  const perTree = new Float64Array(f.nFeatures);
  const trees = treeCount(f);
  for (let t = 0; t < trees; t++) {
    perTree.fill(0);
    const base = f.treeOffsets[t];
    const end = f.treeOffsets[t + 1];
    for (let k = base; k < end; k++) {
      const feat = f.feature[k];
      if (feat < 0) continue;
      const l = base + f.left[k];
      const r = base + f.right[k];
      perTree[feat] += f.weightedN[k] * f.impurity[k] - f.weightedN[l] * f.impurity[l] - f.weightedN[r] * f.impurity[r];
    }
    let sum = 0;
    for (let j = 0; j < f.nFeatures; j++) sum += perTree[j];
    if (sum > 0) for (let j = 0; j < f.nFeatures; j++) total[j] += perTree[j] / sum;
  }
  let sum = 0;
  for (let j = 0; j < f.nFeatures; j++) sum += total[j];
  if (sum > 0) for (let j = 0; j < f.nFeatures; j++) total[j] /= sum;
  return total;
}

/** Concatenates forests over the same features (warm start: trees appended in order). */
export function concatForests(a: FlatForest, b: FlatForest): FlatForest {
  if (a.nFeatures !== b.nFeatures) {
    throw new GroveError('INVALID_DATA', `cannot add trees over ${b.nFeatures} features to a forest over ${a.nFeatures}`);
  }
  if (a.nClasses !== b.nClasses) {
    throw new GroveError('INVALID_DATA', `cannot add trees over ${b.nClasses} classes to a forest over ${a.nClasses}`);
  }
  const cat = <T extends Int32Array | Float64Array>(x: T, y: T): T => {
    const out = new (x.constructor as new (n: number) => T)(x.length + y.length);
    out.set(x);
    out.set(y, x.length);
    return out;
  };
  const offsets = new Uint32Array(a.treeOffsets.length + b.treeOffsets.length - 1);
  offsets.set(a.treeOffsets);
  const shift = a.feature.length;
  for (let t = 1; t < b.treeOffsets.length; t++) offsets[a.treeOffsets.length - 1 + t] = b.treeOffsets[t] + shift;
  return {
    nFeatures: a.nFeatures,
    nClasses: a.nClasses,
    treeOffsets: offsets,
    feature: cat(a.feature, b.feature),
    left: cat(a.left, b.left),
    right: cat(a.right, b.right),
    nSamples: cat(a.nSamples, b.nSamples),
    threshold: cat(a.threshold, b.threshold),
    value: cat(a.value, b.value),
    weightedN: cat(a.weightedN, b.weightedN),
    impurity: cat(a.impurity, b.impurity),
  };
}
