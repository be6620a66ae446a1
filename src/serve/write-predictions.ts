// grove predict's output, streamed: the CSV (input columns + prediction [+ proba_<label>]) or the JSON document is
// written a chunk of rows at a time, waiting for the stream to drain, so a file of any size never
// becomes one giant string. A file is written next to its final path and renamed when complete.
import { createWriteStream, renameSync, rmSync } from 'node:fs';
import { once } from 'node:events';
import { finished } from 'node:stream/promises';
import type { Writable } from 'node:stream';
import { formatPredictionsCsv, type LoadedData } from '../data/index.js';
import type { ProbaColumns } from '../data/predictions.js';
import type { Label } from '../labels.js';
import { GroveError } from '../errors.js';
import { OUTPUT_CHUNK_ROWS } from '../constants.js';

/** What grove predict writes: numbers (a regressor) or labels (a classifier), with class probabilities when asked. */
export interface PredictionOutput {
  predictions: Float64Array | readonly Label[];
  /** rows x K, row-major, in class order (--proba) */
  proba?: ProbaColumns | null;
}

/** CSV chunks, formatted by the data layer's formatPredictionsCsv one slice of rows at a time. */
export function* predictionsCsvChunks(input: LoadedData, output: Float64Array | PredictionOutput, chunkRows = OUTPUT_CHUNK_ROWS): Generator<string> {
  const { predictions, proba = null } = output instanceof Float64Array ? { predictions: output } : output;
  const k = proba ? proba.classes.length : 0;
  const n = predictions.length;
  const header = formatPredictionsCsv({ ...input, table: input.table.slice(0, 0) }, [], proba && { classes: proba.classes, values: [] });
  yield header;
  for (let start = 0; start < n; start += chunkRows) {
    const end = Math.min(n, start + chunkRows);
    const part = formatPredictionsCsv(
      { ...input, table: input.table.slice(start, end) },
      predictions instanceof Float64Array ? predictions.subarray(start, end) : predictions.slice(start, end),
      proba && { classes: proba.classes, values: sliceOf(proba.values, start * k, end * k) },
    );
    yield part.slice(header.length);
  }
}

function sliceOf(values: ArrayLike<number>, start: number, end: number): ArrayLike<number> {
  return values instanceof Float64Array ? values.subarray(start, end) : Array.prototype.slice.call(values, start, end);
}

/**
 * The JSON document, byte for byte what JSON.stringify(doc, null, 2) + "\n" gives, for
 * doc = {predictions} (a regressor, or a classifier's labels) or, with class probabilities,
 * {predictions, classes, probabilities} (probabilities: one array of K per row, in class order).
 */
export function* predictionsJsonChunks(output: Float64Array | PredictionOutput, chunkRows = OUTPUT_CHUNK_ROWS): Generator<string> {
  const { predictions, proba = null } = output instanceof Float64Array ? { predictions: output } : output;
  yield* arrayChunks('predictions', predictions.length, (i) => JSON.stringify(predictions[i]), chunkRows, proba === null);
  if (proba === null) return;
  const k = proba.classes.length;
  yield `,\n  "classes": ${proba.classes.length === 0 ? '[]' : `[\n${proba.classes.map((c) => `    ${JSON.stringify(c)}`).join(',\n')}\n  ]`}`;
  yield* arrayChunks(
    'probabilities',
    predictions.length,
    (i) => {
      let s = '[\n';
      for (let c = 0; c < k; c++) s += `${c > 0 ? ',\n' : ''}      ${JSON.stringify(proba.values[i * k + c])}`;
      return k === 0 ? '[]' : `${s}\n    ]`;
    },
    chunkRows,
    true,
    false,
  );
}

/** `"key": [...]` inside the top-level object, JSON.stringify's 2-space layout, in chunks of rows. */
function* arrayChunks(key: string, n: number, item: (i: number) => string, chunkRows: number, last: boolean, first = true): Generator<string> {
  const open = `${first ? '{\n' : ',\n'}  ${JSON.stringify(key)}: `;
  const close = last ? '\n}\n' : '';
  if (n === 0) {
    yield `${open}[]${close}`;
    return;
  }
  yield `${open}[\n`;
  for (let start = 0; start < n; start += chunkRows) {
    const end = Math.min(n, start + chunkRows);
    let s = start > 0 ? ',\n' : '';
    for (let i = start; i < end; i++) s += (i > start ? ',\n    ' : '    ') + item(i);
    yield s;
  }
  yield `\n  ]${close}`;
}

/** Writes every chunk, waiting for 'drain' when the stream asks; the stream's errors reject. */
export async function writeChunks(out: Writable, chunks: Iterable<string>): Promise<void> {
  let failure: Error | null = null;
  const onError = (err: Error) => {
    failure = err;
  };
  out.on('error', onError);
  try {
    for (const chunk of chunks) {
      if (failure) throw failure;
      if (!out.write(chunk)) await once(out, 'drain');
    }
    if (failure) throw failure;
  } finally {
    out.off('error', onError);
  }
}

/** Writes `path` through a temporary file renamed at the end: readers never see half a file. */
export async function writeFileAtomically(path: string, chunks: Iterable<string>): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}`;
  const out = createWriteStream(tmp, { flags: 'wx' });
  try {
    await writeChunks(out, chunks);
    out.end();
    await finished(out);
    renameSync(tmp, path);
  } catch (err) {
    out.destroy();
    rmSync(tmp, { force: true });
    throw new GroveError('INVALID_FILE', `cannot write ${path}: ${(err as Error).message}`, { file: path }, { cause: err });
  }
}
