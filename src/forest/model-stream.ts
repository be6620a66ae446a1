// Byte plumbing for the model file: a chunk writer that hashes what it emits, and a reader that
// feeds a parser (a generator asking for n bytes at a time) from one buffer or a stream of
// chunks. Neither ever holds the whole file: a model of several GB moves in MiB-sized pieces.
import { createHash, type Hash } from 'node:crypto';
import { endianness } from 'node:os';
import { GroveError } from '../errors.js';

/** Default size of the chunks a model is written in (and of the pieces a reader asks for). */
export const MODEL_CHUNK_BYTES = 1 << 20;

/** The arrays are copied byte for byte: the file is little-endian, so the host must be too. */
export function requireLittleEndian(): void {
  if (endianness() !== 'LE') throw new GroveError('INTERNAL', 'grove model files are little-endian; this host is big-endian');
}

type Typed = Int32Array | Uint32Array | Float64Array | Uint8Array | Uint16Array;

/**
 * Collects bytes into fixed-size chunks; `drain()` hands over the full ones. Every emitted byte
 * goes through the running SHA-256 unless written with `digest()`.
 */
export class ChunkWriter {
  #chunk: Buffer;
  #at = 0;
  #ready: Buffer[] = [];
  #hash: Hash = createHash('sha256');
  #hashedUpTo = 0;
  written = 0;

  constructor(readonly chunkBytes = MODEL_CHUNK_BYTES) {
    this.#chunk = Buffer.allocUnsafe(chunkBytes);
  }

  #room(): void {
    if (this.#at < this.chunkBytes) return;
    this.#hashPending();
    this.#ready.push(this.#chunk);
    this.#chunk = Buffer.allocUnsafe(this.chunkBytes);
    this.#at = 0;
    this.#hashedUpTo = 0;
  }

  #hashPending(): void {
    if (this.#at > this.#hashedUpTo) this.#hash.update(this.#chunk.subarray(this.#hashedUpTo, this.#at));
    this.#hashedUpTo = this.#at;
  }

  bytes(src: Uint8Array): void {
    let from = 0;
    while (from < src.length) {
      this.#room();
      const n = Math.min(src.length - from, this.chunkBytes - this.#at);
      this.#chunk.set(src.subarray(from, from + n), this.#at);
      this.#at += n;
      from += n;
    }
    this.written += src.length;
  }

  /** A typed array's bytes as they sit in memory (little-endian hosts only). */
  array(a: Typed): void {
    this.bytes(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
  }

  /** True when the current chunk has room for n more bytes (a full chunk is handed over first). */
  #fits(n: number): boolean {
    this.#room();
    return this.chunkBytes - this.#at >= n;
  }

  u8(v: number): void {
    this.#room();
    this.#chunk[this.#at++] = v;
    this.written++;
  }

  #scratch = Buffer.alloc(8);
  u16(v: number): void {
    if (!this.#fits(2)) {
      this.#viaScratch((b) => b.writeUInt16LE(v, 0), 2);
      return;
    }
    this.#chunk.writeUInt16LE(v, this.#at);
    this.#at += 2;
    this.written += 2;
  }
  u32(v: number): void {
    if (!this.#fits(4)) {
      this.#viaScratch((b) => b.writeUInt32LE(v, 0), 4);
      return;
    }
    this.#chunk.writeUInt32LE(v, this.#at);
    this.#at += 4;
    this.written += 4;
  }
  f64(v: number): void {
    if (!this.#fits(8)) {
      this.#viaScratch((b) => b.writeDoubleLE(v, 0), 8);
      return;
    }
    this.#chunk.writeDoubleLE(v, this.#at);
    this.#at += 8;
    this.written += 8;
  }
  #viaScratch(put: (b: Buffer) => void, n: number): void {
    put(this.#scratch);
    this.bytes(this.#scratch.subarray(0, n));
  }

  /** Writes the SHA-256 of everything since the last digest (itself not hashed), then restarts it. */
  digest(): void {
    this.#hashPending();
    const d = this.#hash.digest();
    this.#hash = createHash('sha256');
    this.bytes(d);
    this.#hashedUpTo = this.#at;
  }

  /** The chunks filled so far (`final`: and the partial last one). */
  *drain(final = false): Generator<Buffer> {
    if (final && this.#at > 0) {
      this.#hashPending();
      this.#ready.push(this.#chunk.subarray(0, this.#at));
      this.#chunk = Buffer.allocUnsafe(this.chunkBytes);
      this.#at = 0;
      this.#hashedUpTo = 0;
    }
    const ready = this.#ready;
    this.#ready = [];
    yield* ready;
  }
}

/** What a parser asks for: n bytes (n <= MODEL_CHUNK_BYTES unless a header), described for errors. */
export interface ByteRequest {
  n: number;
  what: string;
}

/** A parser yields requests and receives exactly the bytes asked for. */
export type ModelParser<T> = Generator<ByteRequest, T, Buffer>;

/** Parser-side helpers: every byte read is hashed until the parser asks for the digest. */
export class ParseContext {
  #hash: Hash = createHash('sha256');
  /** Bytes consumed so far (for messages). */
  offset = 0;
  /** Set by a parser that stops before the end on purpose (e.g. skipping the stats section). */
  stoppedEarly = false;

  constructor(readonly bad: (why: string) => never) {}

  *take(n: number, what: string): ModelParser<Buffer> {
    const b = yield { n, what };
    this.#hash.update(b);
    this.offset += n;
    return b;
  }

  /** Reads a 32-byte SHA-256 and compares it with the hash of everything read since the last one. */
  *checkDigest(what: string): ModelParser<void> {
    const expected = this.#hash.digest();
    this.#hash = createHash('sha256');
    const b = yield { n: 32, what: `${what} checksum` };
    this.offset += 32;
    if (!expected.equals(b)) this.bad(`${what} checksum mismatch (the file is corrupted)`);
  }

  /** Fills `count` elements of `target` from `start` with the file's bytes, a MiB at a time. */
  *fill(target: Typed, start: number, count: number, what: string): ModelParser<void> {
    const size = target.BYTES_PER_ELEMENT;
    const perBlock = Math.max(1, Math.floor(MODEL_CHUNK_BYTES / size));
    const bytes = new Uint8Array(target.buffer, target.byteOffset, target.byteLength);
    for (let i = 0; i < count; i += perBlock) {
      const n = Math.min(perBlock, count - i);
      const b = yield* this.take(n * size, what);
      bytes.set(b, (start + i) * size);
    }
  }

  /** Calls `each(buffer)` on consecutive blocks of the given byte sizes (sizes chosen by `plan`). */
  *blocks(total: number, what: string, each: (b: Buffer) => void): ModelParser<void> {
    for (let done = 0; done < total; ) {
      const n = Math.min(MODEL_CHUNK_BYTES, total - done);
      each(yield* this.take(n, what));
      done += n;
    }
  }
}

/** Runs a parser over one buffer; bytes left over after it returns are an error unless it stopped early. */
export function parseBuffer<T>(parser: ModelParser<T>, buf: Buffer, ctx: ParseContext): T {
  let at = 0;
  let step = parser.next();
  while (!step.done) {
    const { n, what } = step.value;
    if (at + n > buf.length) ctx.bad(`truncated: the data ends after ${buf.length} bytes, inside ${what}`);
    step = parser.next(buf.subarray(at, at + n));
    at += n;
  }
  if (at < buf.length && !ctx.stoppedEarly) ctx.bad(`${buf.length - at} trailing bytes after the end of the model`);
  return step.value;
}

/** Runs a parser over a stream of chunks; pieces asked for across chunk borders are copied together. */
export async function parseChunks<T>(parser: ModelParser<T>, chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>, ctx: ParseContext): Promise<T> {
  const it = (Symbol.asyncIterator in chunks ? (chunks as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]() : (chunks as Iterable<Uint8Array>)[Symbol.iterator]()) as
    | AsyncIterator<Uint8Array>
    | Iterator<Uint8Array>;
  let current: Buffer = Buffer.alloc(0);
  let at = 0;
  let seen = 0;
  let ended = false;
  const more = async (): Promise<boolean> => {
    if (ended) return false;
    const r = await it.next();
    if (r.done) {
      ended = true;
      return false;
    }
    const c = r.value;
    if (!(c instanceof Uint8Array)) ctx.bad('a chunk of the stream is not a Buffer or Uint8Array');
    current = Buffer.isBuffer(c) ? c : Buffer.from(c.buffer, c.byteOffset, c.byteLength);
    seen += current.length;
    at = 0;
    return true;
  };
  try {
    let step = parser.next();
    while (!step.done) {
      const { n, what } = step.value;
      while (at === current.length) if (!(await more())) ctx.bad(`truncated: the data ends after ${seen} bytes, inside ${what}`);
      let piece: Buffer;
      if (current.length - at >= n) {
        piece = current.subarray(at, at + n);
        at += n;
      } else {
        piece = Buffer.allocUnsafe(n);
        let filled = 0;
        while (filled < n) {
          while (at === current.length) if (!(await more())) ctx.bad(`truncated: the data ends after ${seen} bytes, inside ${what}`);
          const k = Math.min(n - filled, current.length - at);
          current.copy(piece, filled, at, at + k);
          filled += k;
          at += k;
        }
      }
      step = parser.next(piece);
    }
    if (!ctx.stoppedEarly) {
      let trailing = current.length - at;
      while (await more()) trailing += current.length;
      if (trailing > 0) ctx.bad(`${trailing} trailing bytes after the end of the model`);
    }
    return step.value;
  } finally {
    // a reader that stops early (or fails) releases the source, e.g. closes the file
    if (!ended && typeof it.return === 'function') await it.return();
  }
}
