// Runs an exported ONNX file in ONNX Runtime (onnxruntime-node), a runtime not written here.
import * as ort from 'onnxruntime-node';
import type { LoadedData } from '../../src/data/loaded.js';

export type OnnxColumns = Record<string, Float64Array | (string | null)[]>;

/** Feeds one [N, 1] tensor per named column (float32 or float64, or text with "" for missing) and returns the first output. */
export async function runOnnx(bytes: Uint8Array, columns: OnnxColumns, precision: 'float' | 'double' = 'float'): Promise<Float32Array> {
  const out = await runOnnxOutputs(bytes, columns, precision);
  return Object.values(out)[0] as Float32Array;
}

/** The columns of a row-major matrix, by feature name. */
export function matrixColumns(x: { data: Float64Array; rows: number; cols: number }, names: string[]): OnnxColumns {
  const out: OnnxColumns = {};
  names.forEach((name, j) => {
    const col = new Float64Array(x.rows);
    for (let i = 0; i < x.rows; i++) col[i] = x.data[i * x.cols + j];
    out[name] = col;
  });
  return out;
}

/** The raw columns of a loaded file (what a deployment would feed the graph). */
export function loadedColumns(data: LoadedData): OnnxColumns {
  const out: OnnxColumns = {};
  for (const c of data.columns) out[c.name] = c.kind === 'categorical' ? (c.values as (string | null)[]) : (c.values as Float64Array);
  return out;
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`lengths differ: ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

export function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]));
  return m;
}

/** Every output by name, in the graph's order (a classifier's label is a BigInt64Array or a string array). */
export async function runOnnxOutputs(bytes: Uint8Array, columns: OnnxColumns, precision: 'float' | 'double' = 'float'): Promise<Record<string, ort.Tensor['data']>> {
  const session = await ort.InferenceSession.create(bytes);
  try {
    const feeds: Record<string, ort.Tensor> = {};
    for (const name of session.inputNames) {
      const v = columns[name];
      if (!v) throw new Error(`no values for ONNX input "${name}"`);
      if (!(v instanceof Float64Array))
        feeds[name] = new ort.Tensor(
          'string',
          v.map((s) => s ?? ''),
          [v.length, 1],
        );
      else feeds[name] = precision === 'double' ? new ort.Tensor('float64', v, [v.length, 1]) : new ort.Tensor('float32', Float32Array.from(v), [v.length, 1]);
    }
    const out = await session.run(feeds);
    return Object.fromEntries(session.outputNames.map((n) => [n, out[n].data]));
  } finally {
    await session.release();
  }
}
