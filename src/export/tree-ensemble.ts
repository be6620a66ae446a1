// A grove forest as one ai.onnx.ml TreeEnsembleRegressor node (a regressor) or
// TreeEnsembleClassifier node (a classifier). grove sends a row left when x <= threshold, as the
// BRANCH_LEQ mode does, and averages the trees (aggregate AVERAGE; a classifier's class weights
// are divided by the number of trees). ONNX stores thresholds and leaf values as float32.
import { GroveError } from '../errors.js';
import { treeCount, type FlatForest } from '../forest/flat-forest.js';
import { attr, type Attribute } from './onnx-graph.js';

const FLOAT32_MAX = 3.4028234663852886e38;
const f32 = new Float32Array(1);
const bits = new Int32Array(f32.buffer);

/**
 * The largest float32 that is <= t. For every float32 input x, x <= t exactly when
 * x <= floorFloat32(t), so the float32 graph takes the same branch as grove on float32 data
 * (rounding to nearest could move a threshold above a value grove sends right).
 */
export function floorFloat32(t: number): number {
  const f = Math.fround(t);
  if (f <= t) return f;
  if (f === 0) return -1.401298464324817e-45; // -0 is above a tiny negative t: the next float down
  f32[0] = f;
  bits[0] += f > 0 ? -1 : 1; // one ulp towards -infinity
  return f32[0];
}

interface NodeAttributes {
  attributes: Attribute[];
  /** global node index of each leaf, tree by tree */
  leafNodes: Int32Array;
  /** tree id and tree-local node id of each leaf */
  leafTree: Int32Array;
  leafLocal: Int32Array;
}

/**
 * The nodes_* attributes both tree ensembles share, and the leaves in order. 'double' writes
 * thresholds exactly (nodes_values_as_tensor, for a double input); 'float' rounds them down to
 * float32.
 */
function nodeAttributes(forest: FlatForest, featureNames: readonly string[], double: boolean): NodeAttributes {
  const nodes = forest.feature.length;
  const trees = treeCount(forest);
  let leaves = 0;
  for (let k = 0; k < nodes; k++) if (forest.feature[k] < 0) leaves++;
  const treeIds = new Int32Array(nodes);
  const nodeIds = new Int32Array(nodes);
  const featureIds = new Int32Array(nodes);
  const modes: string[] = new Array(nodes);
  const values = double ? new Float64Array(nodes) : new Float32Array(nodes);
  const trueIds = new Int32Array(nodes);
  const falseIds = new Int32Array(nodes);
  const leafNodes = new Int32Array(leaves);
  const leafTree = new Int32Array(leaves);
  const leafLocal = new Int32Array(leaves);
  let leaf = 0;
  for (let t = 0; t < trees; t++) {
    const base = forest.treeOffsets[t];
    for (let k = base; k < forest.treeOffsets[t + 1]; k++) {
      const local = k - base;
      treeIds[k] = t;
      nodeIds[k] = local;
      const feature = forest.feature[k];
      if (feature < 0) {
        modes[k] = 'LEAF';
        leafNodes[leaf] = k;
        leafTree[leaf] = t;
        leafLocal[leaf++] = local;
        continue;
      }
      const threshold = forest.threshold[k];
      // a threshold beyond float32 means training values that a float32 input cannot carry
      if (!double && Math.abs(threshold) > FLOAT32_MAX) {
        throw tooLarge(`the threshold ${threshold} on feature "${featureNames[feature] ?? feature}" (tree ${t} node ${local})`);
      }
      modes[k] = 'BRANCH_LEQ';
      featureIds[k] = feature;
      values[k] = double ? threshold : floorFloat32(threshold);
      trueIds[k] = forest.left[k];
      falseIds[k] = forest.right[k];
    }
  }
  const attributes = [
    attr.string('post_transform', 'NONE'),
    attr.ints('nodes_treeids', treeIds),
    attr.ints('nodes_nodeids', nodeIds),
    attr.ints('nodes_featureids', featureIds),
    attr.strings('nodes_modes', modes),
    double ? attr.doubles('nodes_values_as_tensor', values) : attr.floats('nodes_values', values),
    attr.ints('nodes_truenodeids', trueIds),
    attr.ints('nodes_falsenodeids', falseIds),
  ];
  return { attributes, leafNodes, leafTree, leafLocal };
}

/**
 * The attributes of the TreeEnsembleRegressor node for `forest`, with feature names for errors.
 * 'double' writes thresholds and leaf values exactly (the *_as_tensor attributes, for a double
 * input); 'float' rounds them to float32, thresholds downwards.
 */
export function treeEnsembleAttributes(forest: FlatForest, featureNames: readonly string[], precision: 'float' | 'double' = 'float'): Attribute[] {
  const double = precision === 'double';
  const { attributes, leafNodes, leafTree, leafLocal } = nodeAttributes(forest, featureNames, double);
  const targetWeight = double ? new Float64Array(leafNodes.length) : new Float32Array(leafNodes.length);
  for (let i = 0; i < leafNodes.length; i++) {
    const v = forest.value[leafNodes[i]];
    const w = double ? v : Math.fround(v);
    if (!Number.isFinite(w)) throw tooLarge(`the leaf value ${v} of tree ${leafTree[i]} node ${leafLocal[i]}`);
    targetWeight[i] = w;
  }
  return [
    attr.string('aggregate_function', 'AVERAGE'),
    attr.int('n_targets', 1),
    ...attributes,
    attr.ints('target_treeids', leafTree),
    attr.ints('target_nodeids', leafLocal),
    attr.ints('target_ids', new Int32Array(leafNodes.length)),
    double ? attr.doubles('target_weights_as_tensor', targetWeight) : attr.floats('target_weights', targetWeight),
  ];
}

/** The labels a TreeEnsembleClassifier outputs: int64 labels or strings, one per class, in class order. */
export type OnnxClassLabels = { kind: 'int64'; labels: number[] } | { kind: 'string'; labels: string[] };

/**
 * The attributes of the TreeEnsembleClassifier node for a classifier's `forest` (K = nClasses
 * frequencies per node). Tree ensembles sum the class weights over trees (there is no
 * aggregate_function), so each leaf's weight is its class frequency / n_trees: the sums are
 * grove's mean. With K > 2 every leaf lists all K classes, zeros included, and the label is
 * the arg-max (ties to the lowest class, as grove). With K = 2 a leaf lists one weight, class
 * 1's frequency, under class id 0: the operator's binary form (as skl2onnx writes it), whose
 * probabilities are [1 - p1, p1] and whose label is class 1 when p1 > 0.5, so a tie goes to
 * class 0, as in grove. (With both classes listed, ONNX Runtime would label a row class 1 as
 * soon as p1 > 0.)
 */
export function treeEnsembleClassifierAttributes(forest: FlatForest, featureNames: readonly string[], labels: OnnxClassLabels, precision: 'float' | 'double' = 'float'): Attribute[] {
  const double = precision === 'double';
  const K = forest.nClasses;
  if (labels.labels.length !== K) throw new GroveError('INVALID_MODEL', `cannot export to ONNX: the model lists ${labels.labels.length} classes but its forest holds ${K}`);
  const { attributes, leafNodes, leafTree, leafLocal } = nodeAttributes(forest, featureNames, double);
  const trees = treeCount(forest);
  const binary = K === 2;
  const classes = binary ? [1] : Array.from({ length: K }, (_, c) => c);
  const n = leafNodes.length * classes.length;
  const classTree = new Int32Array(n);
  const classNode = new Int32Array(n);
  const classIds = new Int32Array(n);
  const weights = double ? new Float64Array(n) : new Float32Array(n);
  let e = 0;
  for (let i = 0; i < leafNodes.length; i++) {
    for (const c of classes) {
      classTree[e] = leafTree[i];
      classNode[e] = leafLocal[i];
      classIds[e] = binary ? 0 : c;
      weights[e++] = forest.value[leafNodes[i] * K + c] / trees; // a Float32Array rounds to nearest
    }
  }
  return [
    ...attributes,
    labels.kind === 'int64' ? attr.ints('classlabels_int64s', labels.labels) : attr.strings('classlabels_strings', labels.labels),
    attr.ints('class_treeids', classTree),
    attr.ints('class_nodeids', classNode),
    attr.ints('class_ids', classIds),
    double ? attr.doubles('class_weights_as_tensor', weights) : attr.floats('class_weights', weights),
  ];
}

function tooLarge(what: string): GroveError {
  return new GroveError('INVALID_MODEL', `cannot export to ONNX: ${what} is outside the float32 range that ONNX tree ensembles compute in (|x| <= 3.4e38)`);
}
