import { createHash } from 'node:crypto';
import { GroveError } from '../errors.js';
import { GROVE_VERSION } from '../version.js';
import { validateFlatForest, type FlatForest } from './flat-forest.js';

/**
 * The model file: one self-describing, versioned buffer.
 *
 *   offset 0   8 bytes   magic "GROVEMDL"
 *          8   u32 LE    format version (1)
 *         12   u32 LE    header length H in bytes
 *         16   H bytes   header: UTF-8 JSON (snake_case keys; see ModelHeader)
 *              0-7 zero bytes so the arrays start on an 8-byte boundary
 *              arrays, little-endian, in this order and with these lengths (T trees, N nodes):
 *                tree_offsets u32[T+1], feature i32[N], left i32[N], right i32[N],
 *                n_samples i32[N], zero padding to 8 bytes, threshold f64[N], value f64[N],
 *                weighted_n f64[N], impurity f64[N]
 *        end-32 32 bytes  SHA-256 of every byte before it
 *
 * Loading checks the length of every part before reading it, the checksum, and then every node
 * index (validateFlatForest), so a truncated, corrupted or hostile buffer is an error, not a crash.
 */

export const MODEL_MAGIC = 'GROVEMDL';
export const MODEL_FORMAT_VERSION = 1;
const PREFIX = 16;
const CHECKSUM = 32;
const MAX_HEADER = 64 * 1024 * 1024;

/** What the header says about the model; free-form extras (preprocessing, metrics) ride along. */
export interface ModelHeader {
  format: 'grove-random-forest';
  format_version: number;
  grove_version: string;
  created_at: string;
  task: 'regression';
  n_features: number;
  n_trees: number;
  n_nodes: number;
  feature_names: string[];
  target_name: string | null;
  params: Record<string, unknown>;
  backend: string;
  split_mode: 'exact' | 'hist';
  metrics: Record<string, number | null>;
  feature_importances: number[];
  data_fingerprint: string | null;
  /** The data layer's record of how raw columns become engine features (null: numeric input as is). */
  preprocessing: unknown;
  [extra: string]: unknown;
}

const align8 = (n: number) => (n + 7) & ~7;

function layout(headerBytes: number, trees: number, nodes: number) {
  const arrays = align8(PREFIX + headerBytes);
  const ints = arrays + 4 * (trees + 1) + 4 * 4 * nodes;
  const doubles = align8(ints);
  const end = doubles + 4 * 8 * nodes;
  return { arrays, doubles, checksum: end, total: end + CHECKSUM };
}

export function encodeModel(forest: FlatForest, header: Omit<ModelHeader, 'format' | 'format_version' | 'grove_version' | 'n_features' | 'n_trees' | 'n_nodes'>): Buffer {
  const trees = forest.treeOffsets.length - 1;
  const nodes = forest.feature.length;
  const full: ModelHeader = {
    format: 'grove-random-forest',
    format_version: MODEL_FORMAT_VERSION,
    grove_version: GROVE_VERSION,
    n_features: forest.nFeatures,
    n_trees: trees,
    n_nodes: nodes,
    ...header,
  } as ModelHeader;
  const json = Buffer.from(JSON.stringify(full), 'utf8');
  const l = layout(json.length, trees, nodes);
  const buf = Buffer.alloc(l.total);
  buf.write(MODEL_MAGIC, 0, 'latin1');
  buf.writeUInt32LE(MODEL_FORMAT_VERSION, 8);
  buf.writeUInt32LE(json.length, 12);
  json.copy(buf, PREFIX);
  let o = l.arrays;
  for (let t = 0; t <= trees; t++, o += 4) buf.writeUInt32LE(forest.treeOffsets[t], o);
  for (const arr of [forest.feature, forest.left, forest.right, forest.nSamples]) {
    for (let i = 0; i < nodes; i++, o += 4) buf.writeInt32LE(arr[i], o);
  }
  o = l.doubles;
  for (const arr of [forest.threshold, forest.value, forest.weightedN, forest.impurity]) {
    for (let i = 0; i < nodes; i++, o += 8) buf.writeDoubleLE(arr[i], o);
  }
  createHash('sha256').update(buf.subarray(0, l.checksum)).digest().copy(buf, l.checksum);
  return buf;
}

export interface DecodedModel {
  header: ModelHeader;
  forest: FlatForest;
}

export function decodeModel(input: Uint8Array, source = 'model buffer'): DecodedModel {
  const bad = (why: string): never => {
    throw new GroveError('INVALID_MODEL', `${source} is not a valid grove model: ${why}`, { file: source });
  };
  const buf = Buffer.isBuffer(input) ? input : Buffer.from(input.buffer, input.byteOffset, input.byteLength);
  if (buf.length < PREFIX + CHECKSUM) bad(`only ${buf.length} bytes (truncated?)`);
  if (buf.toString('latin1', 0, 8) !== MODEL_MAGIC) bad('wrong magic bytes (not a grove model file)');
  const version = buf.readUInt32LE(8);
  if (version !== MODEL_FORMAT_VERSION) bad(`format version ${version} is not supported (this grove reads version ${MODEL_FORMAT_VERSION})`);
  const headerBytes = buf.readUInt32LE(12);
  if (headerBytes > MAX_HEADER || PREFIX + headerBytes + CHECKSUM > buf.length) bad(`header length ${headerBytes} runs past the end (truncated?)`);
  let header: ModelHeader;
  try {
    header = JSON.parse(buf.toString('utf8', PREFIX, PREFIX + headerBytes)) as ModelHeader;
  } catch {
    return bad('the header is not valid JSON (corrupted?)');
  }
  if (typeof header !== 'object' || header === null) bad('the header is not a JSON object');
  const { n_trees: trees, n_nodes: nodes, n_features: features } = header;
  const count = (v: unknown, lo: number) => Number.isInteger(v) && (v as number) >= lo && (v as number) <= 0x7fffffff;
  if (!count(trees, 1) || !count(nodes, 1) || !count(features, 1)) bad('the header lacks valid n_trees, n_nodes or n_features');
  const l = layout(headerBytes, trees, nodes);
  if (buf.length < l.total) bad(`expected ${l.total} bytes for ${trees} trees and ${nodes} nodes, got ${buf.length} (truncated?)`);
  if (buf.length > l.total) bad(`expected ${l.total} bytes for ${trees} trees and ${nodes} nodes, got ${buf.length} (trailing bytes)`);
  const digest = createHash('sha256').update(buf.subarray(0, l.checksum)).digest();
  if (!digest.equals(buf.subarray(l.checksum, l.total))) bad('checksum mismatch (the file is corrupted)');

  let o = l.arrays;
  const u32 = (n: number) => {
    const a = new Uint32Array(n);
    for (let i = 0; i < n; i++, o += 4) a[i] = buf.readUInt32LE(o);
    return a;
  };
  const i32 = (n: number) => {
    const a = new Int32Array(n);
    for (let i = 0; i < n; i++, o += 4) a[i] = buf.readInt32LE(o);
    return a;
  };
  const f64 = (n: number) => {
    const a = new Float64Array(n);
    for (let i = 0; i < n; i++, o += 8) a[i] = buf.readDoubleLE(o);
    return a;
  };
  const treeOffsets = u32(trees + 1);
  const feature = i32(nodes);
  const left = i32(nodes);
  const right = i32(nodes);
  const nSamples = i32(nodes);
  o = l.doubles;
  const forest: FlatForest = {
    nFeatures: features,
    treeOffsets,
    feature,
    left,
    right,
    nSamples,
    threshold: f64(nodes),
    value: f64(nodes),
    weightedN: f64(nodes),
    impurity: f64(nodes),
  };
  try {
    validateFlatForest(forest);
  } catch (err) {
    bad((err as Error).message);
  }
  if (!Array.isArray(header.feature_names) || header.feature_names.length !== features) {
    bad(`feature_names must list ${features} names`);
  }
  return { header, forest };
}
