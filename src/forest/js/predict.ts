import type { FlatForest } from '../flat-forest.js';
import type { DatasetView } from './dataset.js';

/** The pure-TS twin of native/engine/predictor.cpp: per row, trees summed in order. */
export function predictForestJs(f: FlatForest, data: DatasetView): Float64Array {
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
