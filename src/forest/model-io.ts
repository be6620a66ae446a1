// Model files on disk, streamed: written to a temporary name and renamed (no partial file ever
// carries the final name), read in chunks with the file's size for the loader's checks.
import { createReadStream } from 'node:fs';
import { open, rename, rm, stat } from 'node:fs/promises';
import { GroveError } from '../errors.js';
import { MODEL_CHUNK_BYTES } from './model-stream.js';

export async function writeModelFile(path: string, chunks: Iterable<Uint8Array> | AsyncIterable<Uint8Array>): Promise<number> {
  const tmp = `${path}.${process.pid}.tmp`;
  let written = 0;
  try {
    const fh = await open(tmp, 'w');
    try {
      for await (const c of chunks) {
        await fh.write(c);
        written += c.length;
      }
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
    return written;
  } catch (err) {
    await rm(tmp, { force: true });
    if (err instanceof GroveError) throw err;
    throw new GroveError('INVALID_FILE', `cannot write model file ${path}: ${(err as Error).message}`, { file: path }, { cause: err });
  }
}

export async function openModelFile(path: string): Promise<{ chunks: AsyncIterable<Buffer>; size: number }> {
  try {
    const st = await stat(path);
    if (!st.isFile()) throw new GroveError('INVALID_FILE', `model path ${path} is not a file`, { file: path });
    return { chunks: createReadStream(path, { highWaterMark: MODEL_CHUNK_BYTES }) as AsyncIterable<Buffer>, size: st.size };
  } catch (err) {
    if (err instanceof GroveError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      throw new GroveError('INVALID_FILE', `model file not found: ${path} (a model is a file path, runs:/<run-id>/<artifact> or models:/<name>/<version|latest> or models:/<name>@<alias>)`, {
        file: path,
      });
    }
    throw new GroveError('INVALID_FILE', `cannot read model file ${path}: ${(err as Error).message}`, { file: path }, { cause: err });
  }
}
