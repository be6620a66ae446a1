// Small real datasets for tests: the bundled diabetes table and generated Friedman #1.
import { readFileSync } from 'node:fs';
import { friedman1 } from '../../src/data/friedman.js';
import type { TypedMatrix } from '../../src/matrix.js';

export interface XY {
  X: Required<TypedMatrix>;
  y: Float64Array;
  featureNames: string[];
}

export function diabetes(): XY {
  const lines = readFileSync(new URL('../../data/diabetes.csv', import.meta.url), 'utf8')
    .trim()
    .split('\n');
  const header = lines[0].split(',');
  const rows = lines.length - 1;
  const cols = header.length - 1;
  const data = new Float64Array(rows * cols);
  const y = new Float64Array(rows);
  for (let i = 0; i < rows; i++) {
    const cells = lines[i + 1].split(',').map(Number);
    data.set(cells.slice(0, cols), i * cols);
    y[i] = cells[cols];
  }
  return { X: { data, rows, cols, layout: 'row' }, y, featureNames: header.slice(0, cols) };
}

export function friedman(rows: number, seed = 0): XY {
  const d = friedman1(rows, seed);
  return { X: { data: d.x, rows, cols: d.cols, layout: 'row' }, y: d.y, featureNames: d.featureNames };
}

/** Rows [from, to) of a row-major dataset. */
export function sliceRows(d: XY, from: number, to: number): XY {
  const cols = d.X.cols;
  return {
    X: { data: d.X.data.slice(from * cols, to * cols), rows: to - from, cols, layout: 'row' },
    y: d.y.slice(from, to),
    featureNames: d.featureNames,
  };
}

export function rmse(y: ArrayLike<number>, p: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < y.length; i++) s += (y[i] - p[i]) ** 2;
  return Math.sqrt(s / y.length);
}
