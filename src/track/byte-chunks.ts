// Artifacts given or read as a stream of chunks (ByteChunks in store.ts): checking the input,
// cutting it into the store's chunk size, and the chunk size itself.
import { GroveError } from '../errors.js';
import type { ByteChunks } from './store.js';

/** default size of one stored chunk of an artifact */
export const DEFAULT_ARTIFACT_CHUNK_BYTES = 64 * 1024 * 1024;
/** the largest chunk: well under SQLite's 1e9-byte value limit and PostgreSQL's 1 GB bytea */
export const MAX_ARTIFACT_CHUNK_BYTES = 256 * 1024 * 1024;
/** readArtifact and readModelVersionBytes refuse artifacts larger than this: read those as chunks */
export const MAX_ONE_BUFFER_BYTES = 1024 * 1024 * 1024;

/** The chunk size of a store: its option, else GROVE_ARTIFACT_CHUNK_BYTES, else 64 MiB. */
export function artifactChunkBytes(option: number | undefined): number {
  const fromEnv = process.env.GROVE_ARTIFACT_CHUNK_BYTES;
  const [value, where] = option !== undefined ? [option, 'artifactChunkBytes'] : fromEnv ? [Number(fromEnv), 'GROVE_ARTIFACT_CHUNK_BYTES'] : [DEFAULT_ARTIFACT_CHUNK_BYTES, 'default'];
  if (!Number.isSafeInteger(value) || value < 1 || value > MAX_ARTIFACT_CHUNK_BYTES) {
    throw new GroveError('INVALID_OPTION', `${where} must be a whole number of bytes from 1 to ${MAX_ARTIFACT_CHUNK_BYTES} (got ${JSON.stringify(option ?? fromEnv)})`, { option: where });
  }
  return value;
}

function asBuffer(chunk: unknown, what: string): Buffer {
  if (!(chunk instanceof Uint8Array)) throw new GroveError('INVALID_OPTION', `${what}: every chunk must be a Buffer or Uint8Array`, {});
  return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
}

/** The bytes in pieces of exactly `size` (the last one shorter; none for no bytes), copying only to join small pieces. */
export async function* rechunk(bytes: Uint8Array | ByteChunks, size: number, what: string): AsyncGenerator<Buffer> {
  if (bytes instanceof Uint8Array) {
    const all = asBuffer(bytes, what);
    for (let at = 0; at < all.length; at += size) yield all.subarray(at, Math.min(all.length, at + size));
    return;
  }
  if (bytes === null || typeof bytes !== 'object' || !(Symbol.asyncIterator in bytes || Symbol.iterator in bytes)) {
    throw new GroveError('INVALID_OPTION', `${what}: bytes must be a Buffer, a Uint8Array or an iterable of them`, {});
  }
  let pending: Buffer | null = null;
  let filled = 0;
  for await (const given of bytes as AsyncIterable<Uint8Array>) {
    let piece = asBuffer(given, what);
    while (piece.length > 0) {
      if (filled === 0 && piece.length >= size) {
        // a whole chunk straight from the input, no copy
        yield piece.subarray(0, size);
        piece = piece.subarray(size);
        continue;
      }
      pending ??= Buffer.allocUnsafe(size);
      const n = piece.copy(pending, filled, 0, Math.min(piece.length, size - filled));
      filled += n;
      piece = piece.subarray(n);
      if (filled === size) {
        yield pending;
        // the consumer may keep the yielded buffer: the next chunk gets a new one
        pending = null;
        filled = 0;
      }
    }
  }
  if (filled > 0) yield pending!.subarray(0, filled);
}
