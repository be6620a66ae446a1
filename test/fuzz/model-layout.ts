// The model file's byte layout as the fuzzers see it: where the header and each array sit, how
// to read the arrays without any validation, how to write a file whose header and arrays need not
// agree, and how to reseal the checksum. The one place that knows the layout of
// src/forest/model-file.ts outside it (format 1); a new format version gets its case here.
import { createHash } from 'node:crypto';
import type { FlatForest } from '../../src/forest/flat-forest.js';

export const PREFIX = 16;
export const CHECKSUM = 32;
const align8 = (n: number) => (n + 7) & ~7;

type ArrayKey = Exclude<keyof FlatForest, 'nFeatures'>;
/** The arrays in file order with their element type; treeOffsets has T + 1 entries, the rest N. */
export const ARRAYS: readonly { key: ArrayKey; type: 'u32' | 'i32' | 'f64' }[] = [
  { key: 'treeOffsets', type: 'u32' },
  { key: 'feature', type: 'i32' },
  { key: 'left', type: 'i32' },
  { key: 'right', type: 'i32' },
  { key: 'nSamples', type: 'i32' },
  { key: 'threshold', type: 'f64' },
  { key: 'value', type: 'f64' },
  { key: 'weightedN', type: 'f64' },
  { key: 'impurity', type: 'f64' },
];

export interface Sections {
  version: number;
  headerBytes: number;
  header: Record<string, unknown>;
  /** byte offset of each array */
  offsets: Record<ArrayKey, number>;
  /** where the checksum starts */
  end: number;
}

/** The sections of a well-formed format-1 buffer (throws on anything else: fuzz seeds only). */
export function sections(buf: Buffer): Sections {
  const version = buf.readUInt32LE(8);
  if (version !== 1) throw new Error(`model-layout knows format 1, not ${version}`);
  const headerBytes = buf.readUInt32LE(12);
  const header = JSON.parse(buf.toString('utf8', PREFIX, PREFIX + headerBytes)) as Record<string, unknown>;
  const trees = header.n_trees as number;
  const nodes = header.n_nodes as number;
  const offsets = {} as Record<ArrayKey, number>;
  let o = align8(PREFIX + headerBytes);
  for (const a of ARRAYS) {
    if (a.type === 'f64') o = align8(o);
    offsets[a.key] = o;
    o += (a.type === 'f64' ? 8 : 4) * (a.key === 'treeOffsets' ? trees + 1 : nodes);
  }
  return { version, headerBytes, header, offsets, end: o };
}

/** The forest exactly as the bytes say, no check at all (what a caller could hand the addon). */
export function rawForest(buf: Buffer): FlatForest {
  const s = sections(buf);
  const trees = s.header.n_trees as number;
  const nodes = s.header.n_nodes as number;
  const out = { nFeatures: s.header.n_features } as Record<string, unknown>;
  for (const a of ARRAYS) {
    const n = a.key === 'treeOffsets' ? trees + 1 : nodes;
    const Ctor = a.type === 'u32' ? Uint32Array : a.type === 'i32' ? Int32Array : Float64Array;
    const bytes = Buffer.from(buf.subarray(s.offsets[a.key], s.offsets[a.key] + n * Ctor.BYTES_PER_ELEMENT));
    out[a.key] = new Ctor(bytes.buffer, bytes.byteOffset, n);
  }
  return out as unknown as FlatForest;
}

/**
 * A format-1 file from a header object and arrays of any lengths, written in file order with the
 * format's padding, and sealed: the header's counts need not match the arrays (that is the point).
 */
export function writeModel(header: Record<string, unknown>, forest: FlatForest, version = 1): Buffer {
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const parts: Buffer[] = [];
  const prefix = Buffer.alloc(PREFIX);
  prefix.write('GROVEMDL', 0, 'latin1');
  prefix.writeUInt32LE(version, 8);
  prefix.writeUInt32LE(json.length, 12);
  parts.push(prefix, json);
  let size = PREFIX + json.length;
  const pad = () => {
    const p = align8(size) - size;
    parts.push(Buffer.alloc(p));
    size += p;
  };
  pad();
  for (const a of ARRAYS) {
    if (a.type === 'f64') pad();
    const arr = forest[a.key];
    const b = Buffer.from(arr.buffer, arr.byteOffset, arr.byteLength);
    parts.push(Buffer.from(b));
    size += b.length;
  }
  return seal(Buffer.concat([...parts, Buffer.alloc(CHECKSUM)]));
}

/** Rewrites the last 32 bytes as the SHA-256 of the rest (in place; returns buf). */
export function seal(buf: Buffer): Buffer {
  if (buf.length < CHECKSUM) return buf;
  createHash('sha256').update(buf.subarray(0, buf.length - CHECKSUM)).digest().copy(buf, buf.length - CHECKSUM);
  return buf;
}
