// grove predict's output, streamed: the CSV (input columns + prediction) or the JSON document is
// written a chunk of rows at a time, waiting for the stream to drain, so a file of any size never
// becomes one giant string. A file is written next to its final path and renamed when complete.
import { createWriteStream, renameSync, rmSync } from 'node:fs';
import { once } from 'node:events';
import { finished } from 'node:stream/promises';
import type { Writable } from 'node:stream';
import { formatPredictionsCsv, type LoadedData } from '../data/index.js';
import { GroveError } from '../errors.js';
import { OUTPUT_CHUNK_ROWS } from '../constants.js';

/** CSV chunks, formatted by the data layer's formatPredictionsCsv one slice of rows at a time. */
export function* predictionsCsvChunks(input: LoadedData, predictions: Float64Array, chunkRows = OUTPUT_CHUNK_ROWS): Generator<string> {
  const n = predictions.length;
  const header = formatPredictionsCsv({ ...input, table: input.table.slice(0, 0) }, []);
  yield header;
  for (let start = 0; start < n; start += chunkRows) {
    const end = Math.min(n, start + chunkRows);
    const part = formatPredictionsCsv({ ...input, table: input.table.slice(start, end) }, predictions.subarray(start, end));
    yield part.slice(header.length);
  }
}

/** The JSON document, byte for byte what JSON.stringify({predictions}, null, 2) + "\n" gives. */
export function* predictionsJsonChunks(predictions: Float64Array, chunkRows = OUTPUT_CHUNK_ROWS): Generator<string> {
  const n = predictions.length;
  if (n === 0) {
    yield '{\n  "predictions": []\n}\n';
    return;
  }
  yield '{\n  "predictions": [\n';
  for (let start = 0; start < n; start += chunkRows) {
    const end = Math.min(n, start + chunkRows);
    let s = start > 0 ? ',\n' : '';
    for (let i = start; i < end; i++) s += (i > start ? ',\n    ' : '    ') + JSON.stringify(predictions[i]);
    yield s;
  }
  yield '\n  ]\n}\n';
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
