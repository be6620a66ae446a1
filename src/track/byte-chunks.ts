// Helpers for artifacts given or read as a stream of chunks (ByteChunks in store.ts).
import { GroveError } from '../errors.js';
import type { ByteChunks } from './store.js';

/** Joins chunks into one Buffer: for small artifacts, and for stores that keep one blob a file. */
export async function collectChunks(bytes: Uint8Array | ByteChunks, what: string): Promise<Buffer> {
  if (bytes instanceof Uint8Array) return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes === null || typeof bytes !== 'object' || !(Symbol.asyncIterator in bytes || Symbol.iterator in bytes)) {
    throw new GroveError('INVALID_OPTION', `${what}: bytes must be a Buffer, a Uint8Array or an iterable of them`, {});
  }
  const parts: Buffer[] = [];
  for await (const chunk of bytes as AsyncIterable<Uint8Array>) {
    if (!(chunk instanceof Uint8Array)) throw new GroveError('INVALID_OPTION', `${what}: every chunk must be a Buffer or Uint8Array`, {});
    parts.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
  }
  return Buffer.concat(parts);
}
