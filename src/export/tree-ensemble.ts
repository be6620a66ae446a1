// A grove forest as one ai.onnx.ml TreeEnsembleRegressor node. grove sends a row left when
// x <= threshold, as the BRANCH_LEQ mode does, and averages the trees (aggregate AVERAGE).
// ONNX stores thresholds and leaf values as float32.
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

/**
 * The attributes of the TreeEnsembleRegressor node for `forest`, with feature names for errors.
 * 'double' writes thresholds and leaf values exactly (the *_as_tensor attributes, for a double
 * input); 'float' rounds them to float32, thresholds downwards.
 */
export function treeEnsembleAttributes(forest: FlatForest, featureNames: readonly string[], precision: 'float' | 'double' = 'float'): Attribute[] {
  const double = precision === 'double';
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
  const targetTree = new Int32Array(leaves);
  const targetNode = new Int32Array(leaves);
  const targetWeight = double ? new Float64Array(leaves) : new Float32Array(leaves);
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
        const w = double ? forest.value[k] : Math.fround(forest.value[k]);
        if (!Number.isFinite(w)) throw tooLarge(`the leaf value ${forest.value[k]} of tree ${t} node ${local}`);
        targetTree[leaf] = t;
        targetNode[leaf] = local;
        targetWeight[leaf++] = w;
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
  return [
    attr.string('aggregate_function', 'AVERAGE'),
    attr.int('n_targets', 1),
    attr.string('post_transform', 'NONE'),
    attr.ints('nodes_treeids', treeIds),
    attr.ints('nodes_nodeids', nodeIds),
    attr.ints('nodes_featureids', featureIds),
    attr.strings('nodes_modes', modes),
    double ? attr.doubles('nodes_values_as_tensor', values) : attr.floats('nodes_values', values),
    attr.ints('nodes_truenodeids', trueIds),
    attr.ints('nodes_falsenodeids', falseIds),
    attr.ints('target_treeids', targetTree),
    attr.ints('target_nodeids', targetNode),
    attr.ints('target_ids', new Int32Array(leaves)),
    double ? attr.doubles('target_weights_as_tensor', targetWeight) : attr.floats('target_weights', targetWeight),
  ];
}

function tooLarge(what: string): GroveError {
  return new GroveError('INVALID_MODEL', `cannot export to ONNX: ${what} is outside the float32 range that ONNX tree ensembles compute in (|x| <= 3.4e38)`);
}
