import type { DatasetView } from './dataset.js';

/**
 * Histogram mode's bins, as native/engine/binning.cpp: each feature cut once per dataset into
 * <= maxBins quantile bins; bin b holds edges[b-1] < x <= edges[b]; edges are midpoints of the
 * distinct values they separate.
 */
export interface BinnedFeatures {
  rows: number;
  cols: number;
  codes: Uint8Array; // column-major: codes[f * rows + i]
  edges: Float64Array[];
  histOffset: Int32Array; // feature f's histogram cells start here; length cols + 1
}

export function midpoint(a: number, b: number): number {
  let t = a / 2 + b / 2;
  if (t === b || !Number.isFinite(t)) t = a;
  return t;
}

/** Quantile edges of one feature; `values` is sorted in place. */
export function quantileEdges(values: Float64Array, maxBins: number): Float64Array {
  values.sort();
  const n = values.length;
  const distinct: number[] = [];
  const count: number[] = [];
  for (let i = 0; i < n; i++) {
    if (distinct.length === 0 || values[i] > distinct[distinct.length - 1]) {
      distinct.push(values[i]);
      count.push(1);
    } else {
      count[count.length - 1]++;
    }
  }
  const m = distinct.length;
  const edges: number[] = [];
  if (m <= maxBins) {
    for (let j = 0; j + 1 < m; j++) edges.push(midpoint(distinct[j], distinct[j + 1]));
    return Float64Array.from(edges);
  }
  let cum = 0;
  let placed = 0;
  for (let j = 0; j + 1 < m; j++) {
    cum += count[j];
    if (cum * maxBins >= (placed + 1) * n) {
      edges.push(midpoint(distinct[j], distinct[j + 1]));
      if (++placed === maxBins - 1) break;
    }
  }
  return Float64Array.from(edges);
}

export function binFeatures(data: DatasetView, maxBins: number): BinnedFeatures {
  const { rows, cols } = data;
  const codes = new Uint8Array(rows * cols);
  const edges: Float64Array[] = [];
  const values = new Float64Array(rows);
  for (let f = 0; f < cols; f++) {
    for (let i = 0; i < rows; i++) values[i] = data.x[i * data.rowStride + f * data.colStride] + 0.0;
    const e = quantileEdges(values, maxBins);
    edges.push(e);
    const base = f * rows;
    for (let i = 0; i < rows; i++) codes[base + i] = lowerBound(e, data.x[i * data.rowStride + f * data.colStride]);
  }
  const histOffset = new Int32Array(cols + 1);
  for (let f = 0; f < cols; f++) histOffset[f + 1] = histOffset[f] + edges[f].length + 1;
  return { rows, cols, codes, edges, histOffset };
}

/** Index of the first edge >= x (edges.length when none). */
function lowerBound(edges: Float64Array, x: number): number {
  let lo = 0;
  let hi = edges.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (edges[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
