import type { FlatForest } from '../flat-forest.js';
import type { DatasetView } from './dataset.js';

/**
 * The pure-TS twin of native/engine/predictor.cpp: per row, trees summed in order, then divided
 * by the tree count. A classifier (nClasses K >= 2) gives rows x K class probabilities,
 * row-major: each class's sum adds its leaf values tree by tree.
 */
export function predictForestJs(f: FlatForest, data: DatasetView): Float64Array {
  const k = f.nClasses;
  if (k > 0) return predictProbaJs(f, data, k);
  const out = new Float64Array(data.rows);
  const trees = f.treeOffsets.length - 1;
  const { x, rowStride, colStride } = data;
  for (let i = 0; i < data.rows; i++) {
    let acc = 0;
    for (let t = 0; t < trees; t++) {
      const base = f.treeOffsets[t];
      let node = base;
      while (f.feature[node] >= 0) {
        node = base + (x[i * rowStride + f.feature[node] * colStride] <= f.threshold[node] ? f.left[node] : f.right[node]);
      }
      acc += f.value[node];
    }
    out[i] = acc / trees;
  }
  return out;
}

function predictProbaJs(f: FlatForest, data: DatasetView, k: number): Float64Array {
  const out = new Float64Array(data.rows * k);
  const trees = f.treeOffsets.length - 1;
  const { x, rowStride, colStride } = data;
  for (let i = 0; i < data.rows; i++) {
    const row = i * k;
    for (let t = 0; t < trees; t++) {
      const base = f.treeOffsets[t];
      let node = base;
      while (f.feature[node] >= 0) {
        node = base + (x[i * rowStride + f.feature[node] * colStride] <= f.threshold[node] ? f.left[node] : f.right[node]);
      }
      const at = node * k;
      for (let c = 0; c < k; c++) out[row + c] += f.value[at + c];
    }
    for (let c = 0; c < k; c++) out[row + c] /= trees;
  }
  return out;
}
