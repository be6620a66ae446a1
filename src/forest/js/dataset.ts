/**
 * A read-only strided view of a feature matrix, as native/engine/dataset.h:
 * x(i, j) = x[i * rowStride + j * colStride]. Float32 data widens exactly to double on read.
 */
export interface DatasetView {
  x: Float64Array | Float32Array;
  y: Float64Array | null;
  rows: number;
  cols: number;
  rowStride: number;
  colStride: number;
}

export function viewOf(x: Float64Array | Float32Array, rows: number, cols: number, layout: 'row' | 'col', y: Float64Array | null = null): DatasetView {
  return layout === 'row' ? { x, y, rows, cols, rowStride: cols, colStride: 1 } : { x, y, rows, cols, rowStride: 1, colStride: rows };
}
