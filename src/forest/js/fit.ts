import type { EngineParams } from '../engine-params.js';
import { SPLIT_HISTOGRAM } from '../engine-params.js';
import type { FlatForest } from '../flat-forest.js';
import { binFeatures } from './binning.js';
import { ClassTreeBuilder } from './class-tree-builder.js';
import type { DatasetView } from './dataset.js';
import { presortFeatures } from './presort.js';
import { TreeBuilder, type TreeArrays } from './tree-builder.js';

export interface FitOutput {
  forest: FlatForest;
  /**
   * per row: sum of the predictions of trees that did not draw it, and how many trees; a
   * classifier's sums are rows x K, row-major (the K values of each tree's leaf)
   */
  oobSum?: Float64Array;
  oobCount?: Int32Array;
}

/**
 * The pure-TS twin of native/engine/forest.cpp: same trees, same OOB sums, one thread. With
 * n_classes K >= 2 (criterion gini or entropy, y holding class indices) it grows a classifier:
 * K values per node.
 */
export function fitForestJs(data: DatasetView, p: EngineParams, cancel?: Int32Array): FitOutput {
  const histogram = p.split_mode === SPLIT_HISTOGRAM;
  const bins = histogram ? binFeatures(data, p.max_bins) : null;
  const sorted = histogram ? null : presortFeatures(data);
  const k = p.n_classes;
  const builder = k > 0 ? new ClassTreeBuilder(data, p, bins, sorted) : new TreeBuilder(data, p, bins, sorted);
  const width = k > 0 ? k : 1;
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
  const forest = packTrees(trees, data.cols, k);
  if (!oob) return { forest };

  const oobSum = new Float64Array(n * width);
  const oobCount = new Int32Array(n);
  if (k === 0) {
    for (let i = 0; i < n; i++) {
      let sum = 0;
      let count = 0;
      for (let t = 0; t < trees.length; t++) {
        if (inbags[t][i]) continue;
        sum += trees[t].value[leafOf(trees[t], data, i)];
        count++;
      }
      oobSum[i] = sum;
      oobCount[i] = count;
    }
  } else {
    // each class's sum adds the trees' leaf values in tree order
    for (let i = 0; i < n; i++) {
      let count = 0;
      for (let t = 0; t < trees.length; t++) {
        if (inbags[t][i]) continue;
        const v = trees[t].value;
        const at = leafOf(trees[t], data, i) * k;
        for (let c = 0; c < k; c++) oobSum[i * k + c] += v[at + c];
        count++;
      }
      oobCount[i] = count;
    }
  }
  return { forest, oobSum, oobCount };
}

function leafOf(t: TreeArrays, data: DatasetView, row: number): number {
  let node = 0;
  while (t.left[node] >= 0) {
    node = data.x[row * data.rowStride + t.feature[node] * data.colStride] <= t.threshold[node] ? t.left[node] : t.right[node];
  }
  return node;
}

/** The trees' arrays concatenated; a classifier's (nClasses K) value holds K entries a node. */
function packTrees(trees: TreeArrays[], nFeatures: number, nClasses: number): FlatForest {
  const total = trees.reduce((s, t) => s + t.feature.length, 0);
  const width = nClasses > 0 ? nClasses : 1;
  const f: FlatForest = {
    nFeatures,
    nClasses,
    treeOffsets: new Uint32Array(trees.length + 1),
    feature: new Int32Array(total),
    left: new Int32Array(total),
    right: new Int32Array(total),
    nSamples: new Int32Array(total),
    threshold: new Float64Array(total),
    value: new Float64Array(total * width),
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
    f.value.set(t.value, o * width);
    f.weightedN.set(t.weightedN, o);
    f.impurity.set(t.impurity, o);
    o += t.feature.length;
    f.treeOffsets[i + 1] = o;
  });
  return f;
}
