// The model file's byte layout as the fuzzers see it: where the header and each array sit, how
// to read the arrays without any validation, how to write a file whose header and arrays need not
// agree, and how to reseal the checksum. The one place that knows the layout of
// src/forest/model-file.ts outside it: format 1 (flat arrays, sections/rawForest/writeModel) and
// format 2 (model-file-v2.ts: v2Sections/V2Parts/writeV2); seal() knows both.
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

const sha = (b: Buffer) => createHash('sha256').update(b).digest();

/**
 * Rewrites the checksums (in place; returns buf): a well-formed format-2 file gets both its model
 * and stats checksums; anything else gets its last 32 bytes as the SHA-256 of the rest.
 */
export function seal(buf: Buffer): Buffer {
  if (buf.length < CHECKSUM) return buf;
  let v2: V2Sections | null = null;
  try {
    v2 = buf.readUInt32LE(8) === 2 ? v2Sections(buf) : null;
  } catch {
    v2 = null;
  }
  if (v2 && v2.end === buf.length) {
    sha(buf.subarray(0, v2.modelChecksum)).copy(buf, v2.modelChecksum);
    if (v2.stats) sha(buf.subarray(v2.stats.start, v2.stats.checksum)).copy(buf, v2.stats.checksum);
    return buf;
  }
  sha(buf.subarray(0, buf.length - CHECKSUM)).copy(buf, buf.length - CHECKSUM);
  return buf;
}

// ---- format 2 -------------------------------------------------------------------------------

const RAW = 0xffffffff;
const codeWidth = (size: number) => (size === RAW ? 8 : size <= 256 ? 1 : 2);

/** Byte offsets of a format-2 file's sections (model-file-v2.ts's order; no padding). */
export interface V2Sections {
  header: Record<string, unknown>;
  layout: { n_leaves: number; feature_bytes: 1 | 2 | 4; threshold_table_entries: number; threshold_code_bytes: number; stats: boolean; weighted_n: 'u32' | 'f64' };
  trees: number;
  nodes: number;
  features: number;
  splits: number;
  /** doubles a leaf (and a split's stats value): a classifier's n_classes, else 1 */
  width: number;
  treeSizes: number;
  tableSizes: number;
  tables: number;
  kinds: number;
  splitFeatures: number;
  codes: number;
  leaves: number;
  modelChecksum: number;
  stats: { start: number; nSamples: number; weightedN: number; impurity: number; splitValues: number; checksum: number } | null;
  end: number;
}

/** The sections of a format-2 buffer as its header describes them (throws when it cannot say). */
export function v2Sections(buf: Buffer): V2Sections {
  const version = buf.readUInt32LE(8);
  if (version !== 2) throw new Error(`v2Sections: format ${version}`);
  const headerBytes = buf.readUInt32LE(12);
  const header = JSON.parse(buf.toString('utf8', PREFIX, PREFIX + headerBytes)) as Record<string, unknown>;
  const layout = header.layout as V2Sections['layout'];
  const trees = header.n_trees as number;
  const nodes = header.n_nodes as number;
  const features = header.n_features as number;
  if (![trees, nodes, features, layout?.n_leaves, layout?.threshold_table_entries, layout?.threshold_code_bytes].every((v) => Number.isInteger(v) && v >= 0 && v < 2 ** 31))
    throw new Error('v2Sections: bad counts');
  const splits = nodes - layout.n_leaves;
  // a classifier keeps n_classes doubles a leaf (and a split, in the stats section)
  const k = header.n_classes;
  const width = header.task === 'classification' && Number.isInteger(k) && (k as number) >= 2 && (k as number) <= 65536 ? (k as number) : 1;
  let o = PREFIX + headerBytes;
  const next = (n: number) => {
    const at = o;
    o += n;
    return at;
  };
  const s = {
    header,
    layout,
    trees,
    nodes,
    features,
    splits,
    width,
    treeSizes: next(4 * trees),
    tableSizes: next(4 * features),
    tables: next(8 * layout.threshold_table_entries),
    kinds: next(Math.ceil(nodes / 8)),
    splitFeatures: next(layout.feature_bytes * splits),
    codes: next(layout.threshold_code_bytes),
    leaves: next(8 * width * layout.n_leaves),
    modelChecksum: next(CHECKSUM),
    stats: null as V2Sections['stats'],
    end: 0,
  };
  if (layout.stats) {
    const start = o;
    s.stats = {
      start,
      nSamples: next(4 * nodes),
      weightedN: next((layout.weighted_n === 'u32' ? 4 : 8) * nodes),
      impurity: next(8 * nodes),
      splitValues: next(8 * width * splits),
      checksum: next(CHECKSUM),
    };
  }
  s.end = o;
  return s;
}

/** A format-2 file cut into its parts, each a copy a mutation may change (or resize) freely. */
export interface V2Parts {
  header: Record<string, unknown>;
  treeSizes: Buffer;
  tableSizes: Buffer;
  tables: Buffer;
  kinds: Buffer;
  splitFeatures: Buffer;
  codes: Buffer;
  leaves: Buffer;
  /** the stats section without its checksum, or null */
  stats: Buffer | null;
}

export function v2Parts(buf: Buffer): V2Parts {
  const s = v2Sections(buf);
  const cut = (a: number, b: number) => Buffer.from(buf.subarray(a, b));
  return {
    header: s.header,
    treeSizes: cut(s.treeSizes, s.tableSizes),
    tableSizes: cut(s.tableSizes, s.tables),
    tables: cut(s.tables, s.kinds),
    kinds: cut(s.kinds, s.splitFeatures),
    splitFeatures: cut(s.splitFeatures, s.codes),
    codes: cut(s.codes, s.leaves),
    leaves: cut(s.leaves, s.modelChecksum),
    stats: s.stats ? cut(s.stats.start, s.stats.checksum) : null,
  };
}

/** Byte offset within `codes` and width of each split's threshold code, in preorder (from a well-formed file). */
export function v2CodeSpans(p: V2Parts, featureBytes: number): { at: number; width: number; feature: number }[] {
  const out: { at: number; width: number; feature: number }[] = [];
  let at = 0;
  for (let i = 0; i + featureBytes <= p.splitFeatures.length; i += featureBytes) {
    const f = featureBytes === 1 ? p.splitFeatures[i] : featureBytes === 2 ? p.splitFeatures.readUInt16LE(i) : p.splitFeatures.readUInt32LE(i);
    if (4 * f + 4 > p.tableSizes.length) break;
    const width = codeWidth(p.tableSizes.readUInt32LE(4 * f));
    // an earlier tableSize mutation may have widened codes past the section's end
    if (at + width > p.codes.length) break;
    out.push({ at, width, feature: f });
    at += width;
  }
  return out;
}

/** Writes the parts as a format-2 file with both checksums valid, whatever the header says. */
export function writeV2(p: V2Parts, statsChecksum: 'valid' | 'wrong' = 'valid'): Buffer {
  const json = Buffer.from(JSON.stringify(p.header), 'utf8');
  const prefix = Buffer.alloc(PREFIX);
  prefix.write('GROVEMDL', 0, 'latin1');
  prefix.writeUInt32LE(2, 8);
  prefix.writeUInt32LE(json.length, 12);
  const model = Buffer.concat([prefix, json, p.treeSizes, p.tableSizes, p.tables, p.kinds, p.splitFeatures, p.codes, p.leaves]);
  const parts = [model, sha(model)];
  if (p.stats) {
    const d = sha(p.stats);
    if (statsChecksum === 'wrong') d[0] ^= 1;
    parts.push(p.stats, d);
  }
  return Buffer.concat(parts);
}
