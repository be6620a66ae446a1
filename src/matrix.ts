import { GroveError } from './errors.js';

/**
 * A dense feature matrix that crosses to the engine without per-element copying.
 * layout 'row' (default): value (i, j) at data[i * cols + j]; 'col': at data[j * rows + i].
 */
export interface TypedMatrix {
  data: Float64Array | Float32Array;
  rows: number;
  cols: number;
  layout?: 'row' | 'col';
}

export type MatrixInput = number[][] | TypedMatrix;
export type VectorInput = number[] | Float64Array | Float32Array;

export function isTypedMatrix(x: unknown): x is TypedMatrix {
  return typeof x === 'object' && x !== null && !Array.isArray(x) && 'data' in x && 'rows' in x && 'cols' in x;
}

/** Checks shape and finiteness; converts number[][] to a row-major Float64Array (one copy). */
export function toTypedMatrix(x: MatrixInput, what = 'X'): Required<TypedMatrix> {
  if (Array.isArray(x)) {
    const rows = x.length;
    if (rows === 0) throw new GroveError('INVALID_DATA', `${what} has no rows`, { option: what });
    const first = x[0];
    if (!Array.isArray(first)) throw new GroveError('INVALID_DATA', `${what} must be an array of rows (number[][]); row 0 is not an array`, { row: 0 });
    const cols = first.length;
    if (cols === 0) throw new GroveError('INVALID_DATA', `${what} has no columns`, { option: what });
    const data = new Float64Array(rows * cols);
    for (let i = 0; i < rows; i++) {
      const r = x[i];
      if (!Array.isArray(r) || r.length !== cols) {
        throw new GroveError('INVALID_DATA', `${what} row ${i} has ${Array.isArray(r) ? r.length : 'no'} values, expected ${cols} (as row 0)`, { row: i });
      }
      for (let j = 0; j < cols; j++) {
        const v = r[j];
        if (typeof v !== 'number' || !Number.isFinite(v)) {
          throw new GroveError('INVALID_DATA', `${what} row ${i}, column ${j}: ${String(v)} is not a finite number`, { row: i, column: j });
        }
        data[i * cols + j] = v;
      }
    }
    return { data, rows, cols, layout: 'row' };
  }
  if (!isTypedMatrix(x)) throw new GroveError('INVALID_DATA', `${what} must be number[][] or { data, rows, cols }`);
  const { data, rows, cols } = x;
  const layout = x.layout ?? 'row';
  if (!(data instanceof Float64Array) && !(data instanceof Float32Array)) {
    throw new GroveError('INVALID_DATA', `${what}.data must be a Float64Array or Float32Array`);
  }
  if (!Number.isInteger(rows) || rows < 1) throw new GroveError('INVALID_DATA', `${what}.rows must be a positive integer (got ${rows})`);
  if (!Number.isInteger(cols) || cols < 1) throw new GroveError('INVALID_DATA', `${what}.cols must be a positive integer (got ${cols})`);
  if (layout !== 'row' && layout !== 'col') throw new GroveError('INVALID_DATA', `${what}.layout must be 'row' or 'col' (got ${String(layout)})`);
  if (data.length !== rows * cols) {
    throw new GroveError('INVALID_DATA', `${what}.data has ${data.length} values, expected rows * cols = ${rows * cols}`);
  }
  for (let k = 0; k < data.length; k++) {
    if (!Number.isFinite(data[k])) {
      const i = layout === 'row' ? Math.floor(k / cols) : k % rows;
      const j = layout === 'row' ? k % cols : Math.floor(k / rows);
      throw new GroveError('INVALID_DATA', `${what} row ${i}, column ${j}: ${data[k]} is not a finite number`, { row: i, column: j });
    }
  }
  return { data, rows, cols, layout };
}

/** Checks length and finiteness of a target vector; returns a Float64Array (no copy when it is one). */
export function toTargetVector(y: VectorInput, rows: number): Float64Array {
  if (!Array.isArray(y) && !(y instanceof Float64Array) && !(y instanceof Float32Array)) {
    throw new GroveError('INVALID_DATA', 'y must be number[], Float64Array or Float32Array');
  }
  if (y.length !== rows) throw new GroveError('INVALID_DATA', `y has ${y.length} values but X has ${rows} rows`);
  const out = y instanceof Float64Array ? y : Float64Array.from(y as ArrayLike<number>);
  for (let i = 0; i < out.length; i++) {
    if (!Number.isFinite(out[i]) || (Array.isArray(y) && typeof y[i] !== 'number')) {
      throw new GroveError('INVALID_DATA', `y row ${i}: ${String(Array.isArray(y) ? y[i] : out[i])} is not a finite number`, { row: i });
    }
  }
  return out;
}
