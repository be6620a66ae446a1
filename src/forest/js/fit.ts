import type { EngineParams } from '../engine-params.js';
import { SPLIT_HISTOGRAM } from '../engine-params.js';
import type { FlatForest } from '../flat-forest.js';
import { binFeatures } from './binning.js';
import type { DatasetView } from './dataset.js';
import { presortFeatures } from './presort.js';
import { TreeBuilder, type TreeArrays } from './tree-builder.js';

export interface FitOutput {
  forest: FlatForest;
  /** per row: sum of the predictions of trees that did not draw it, and how many trees */
  oobSum?: Float64Array;
  oobCount?: Int32Array;
}

/** The pure-TS twin of native/engine/forest.cpp: same trees, same OOB sums, one thread. */
export function fitForestJs(data: DatasetView, p: EngineParams, cancel?: Int32Array): FitOutput {
  const histogram = p.split_mode === SPLIT_HISTOGRAM;
  const bins = histogram ? binFeatures(data, p.max_bins) : null;
  const sorted = histogram ? null : presortFeatures(data);
  const builder = new TreeBuilder(data, p, bins, sorted);
  const oob = p.bootstrap && p.compute_oob;
  const n = data.rows;
  const trees: TreeArrays[] = [];
  const inbags: Uint8Array[] = [];
  const inbag = new Uint8Array(n);
  for (let t = 0; t < p.n_estimators; t++) {
    if (cancel && Atomics.load(cancel, 0) !== 0) throw new Error('fit cancelled');
    trees.push(builder.build(p.first_tree + t, inbag));
    if (oob) inbags.push(inbag.slice());
  }
  const forest = packTrees(trees, data.cols);
  if (!oob) return { forest };

  const oobSum = new Float64Array(n);
  const oobCount = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let sum = 0;
    let count = 0;
    for (let t = 0; t < trees.length; t++) {
      if (inbags[t][i]) continue;
      sum += treePredict(trees[t], data, i);
      count++;
    }
    oobSum[i] = sum;
    oobCount[i] = count;
  }
  return { forest, oobSum, oobCount };
}

function treePredict(t: TreeArrays, data: DatasetView, row: number): number {
  let node = 0;
  while (t.left[node] >= 0) {
    node = data.x[row * data.rowStride + t.feature[node] * data.colStride] <= t.threshold[node] ? t.left[node] : t.right[node];
  }
  return t.value[node];
}

function packTrees(trees: TreeArrays[], nFeatures: number): FlatForest {
  const total = trees.reduce((s, t) => s + t.feature.length, 0);
  const f: FlatForest = {
    nFeatures,
    nClasses: 0,
    treeOffsets: new Uint32Array(trees.length + 1),
    feature: new Int32Array(total),
    left: new Int32Array(total),
    right: new Int32Array(total),
    nSamples: new Int32Array(total),
    threshold: new Float64Array(total),
    value: new Float64Array(total),
    weightedN: new Float64Array(total),
    impurity: new Float64Array(total),
  };
  let o = 0;
  trees.forEach((t, i) => {
    f.feature.set(t.feature, o);
    f.left.set(t.left, o);
    f.right.set(t.right, o);
    f.nSamples.set(t.nSamples, o);
    f.threshold.set(t.threshold, o);
    f.value.set(t.value, o);
    f.weightedN.set(t.weightedN, o);
    f.impurity.set(t.impurity, o);
    o += t.feature.length;
    f.treeOffsets[i + 1] = o;
  });
  return f;
}
