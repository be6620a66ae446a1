import type { DatasetView } from './dataset.js';

/**
 * Exact mode's per-feature order, as native/engine/presort.cpp: rank[f * rows + i] is row i's
 * position when feature f is sorted (ties by row index); order[f * rows + r] is the row at r.
 */
export interface SortedFeatures {
  rows: number;
  rank: Uint32Array;
  order: Uint32Array;
}

export function presortFeatures(data: DatasetView): SortedFeatures {
  const { rows, cols } = data;
  const rank = new Uint32Array(rows * cols);
  const order = new Uint32Array(rows * cols);
  const values = new Float64Array(rows);
  const idx = new Uint32Array(rows);
  for (let f = 0; f < cols; f++) {
    for (let i = 0; i < rows; i++) {
      values[i] = data.x[i * data.rowStride + f * data.colStride];
      idx[i] = i;
    }
    idx.sort((a, b) => (values[a] < values[b] ? -1 : values[a] > values[b] ? 1 : a - b));
    const base = f * rows;
    order.set(idx, base);
    for (let r = 0; r < rows; r++) rank[base + idx[r]] = r;
  }
  return { rows, rank, order };
}
