import { constants as bufferConstants } from 'node:buffer';
import { totalmem } from 'node:os';
import { GroveError } from '../errors.js';
import { checkClasses, type Label } from '../labels.js';
import { GROVE_VERSION } from '../version.js';
import { MAX_FOREST_CLASSES, valueWidth, type FlatForest } from './flat-forest.js';
import { readV1Arrays, v1FileBytes, writeV1Arrays } from './model-file-v1.js';
import { checkV2Layout, planV2, readV2Body, v2FileBytes, writeV2Body, type V2Layout } from './model-file-v2.js';
import { ChunkWriter, MODEL_CHUNK_BYTES, ParseContext, parseBuffer, parseChunks, requireLittleEndian, type ModelParser } from './model-stream.js';

/**
 * The model file: one self-describing, versioned stream of bytes.
 *
 *   offset 0   8 bytes   magic "GROVEMDL"
 *          8   u32 LE    format version (2; version 1 is still read)
 *         12   u32 LE    header length H in bytes
 *         16   H bytes   header: UTF-8 JSON (snake_case keys; see ModelHeader)
 *              then the trees: version 2 in model-file-v2.ts (compact, with a skippable stats
 *              section), version 1 in model-file-v1.ts (the flat arrays as they are in memory)
 *
 * Written and read in chunks (a MiB by default) with the SHA-256 computed on the way, so no
 * single Buffer ever holds a whole model of several GB. Loading checks every count against the
 * file's size (when known) and the machine's memory before allocating, the checksum, and every
 * node index, so a truncated, corrupted or hostile file is an error, not a crash.
 */

export const MODEL_MAGIC = 'GROVEMDL';
export const MODEL_FORMAT_VERSION = 2;
const PREFIX = 16;
const MAX_HEADER = 64 * 1024 * 1024;
/** Bytes a node takes once loaded: the flat arrays of flat-forest.ts (a classifier: 8 more a class past the first). */
export const LOADED_BYTES_PER_NODE = 48;

/** What the header says about the model; free-form extras (preprocessing, metrics) ride along. */
export interface ModelHeader {
  format: 'grove-random-forest';
  format_version: number;
  grove_version: string;
  created_at: string;
  /** Absent in files written before classifiers: a regressor. */
  task?: 'regression' | 'classification';
  /** A classifier's class labels, sorted (scikit-learn's classes_); the forest's value k is classes[k]'s probability. */
  classes?: Label[];
  /** A classifier's class count K (classes.length); absent or 0 for a regressor. */
  n_classes?: number;
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
  /** Version 2: section sizes (model-file-v2.ts). */
  layout?: V2Layout;
  [extra: string]: unknown;
}

export type HeaderFields = Omit<ModelHeader, 'format' | 'format_version' | 'grove_version' | 'n_features' | 'n_trees' | 'n_nodes' | 'layout' | 'n_classes'>;

/** The task a header describes (files written before classifiers have none: regression). */
export function headerTask(header: Pick<ModelHeader, 'task'>): 'regression' | 'classification' {
  return header.task === 'classification' ? 'classification' : 'regression';
}

export interface EncodeOptions {
  /** Size of the chunks yielded (default 1 MiB). */
  chunkBytes?: number;
  /** Keep the stats section (n_samples, weighted_n, impurity, split values; default true). */
  stats?: boolean;
  /** 2 (default); 1 only to produce files for older readers and tests. */
  version?: 1 | 2;
}

/** The model file as a stream of chunks, checksummed as they go. */
export function* encodeModelChunks(forest: FlatForest, fields: HeaderFields, options: EncodeOptions = {}): Generator<Buffer> {
  requireLittleEndian();
  const version = options.version ?? MODEL_FORMAT_VERSION;
  const classifier = forest.nClasses > 0;
  if (classifier !== (fields.task === 'classification')) {
    throw new GroveError('INTERNAL', `the header says task ${String(fields.task)} but the forest has ${forest.nClasses} classes`);
  }
  if (classifier && (!Array.isArray(fields.classes) || fields.classes.length !== forest.nClasses)) {
    throw new GroveError('INTERNAL', `the header lists ${(fields.classes as unknown[] | undefined)?.length ?? 0} classes but the forest has ${forest.nClasses}`);
  }
  if (classifier && version === 1) {
    throw new GroveError('INVALID_OPTION', 'model file format version 1 cannot hold a classifier (its leaves have one value); write version 2 (the default)', { option: 'version' });
  }
  const plan = version === 2 ? planV2(forest, options.stats ?? true) : null;
  const full: ModelHeader = {
    format: 'grove-random-forest',
    format_version: version,
    grove_version: GROVE_VERSION,
    n_features: forest.nFeatures,
    n_trees: forest.treeOffsets.length - 1,
    n_nodes: forest.feature.length,
    ...fields,
    ...(classifier ? { n_classes: forest.nClasses } : {}),
    ...(plan ? { layout: plan.layout } : {}),
  } as ModelHeader;
  const json = Buffer.from(JSON.stringify(full), 'utf8');
  const w = new ChunkWriter(options.chunkBytes ?? MODEL_CHUNK_BYTES);
  w.bytes(Buffer.from(MODEL_MAGIC, 'latin1'));
  w.u32(version);
  w.u32(json.length);
  w.bytes(json);
  if (plan) yield* writeV2Body(w, forest, plan);
  else yield* writeV1Arrays(w, forest);
  yield* w.drain(true);
}

/** The whole model file in one Buffer: for small models (save()/toChunks() for any size). */
export function encodeModel(forest: FlatForest, fields: HeaderFields, options: EncodeOptions = {}): Buffer {
  const parts: Buffer[] = [];
  let total = 0;
  for (const c of encodeModelChunks(forest, fields, options)) {
    total += c.length;
    if (total > bufferConstants.MAX_LENGTH) {
      throw new GroveError('INVALID_OPTION', `this model file is over ${bufferConstants.MAX_LENGTH} bytes, more than one Buffer holds: write it with save(path) or toChunks()`, {
        nodes: forest.feature.length,
      });
    }
    parts.push(c);
  }
  return Buffer.concat(parts, total);
}

export interface DecodedModel {
  header: ModelHeader;
  forest: FlatForest;
  /** False when the file has no stats section or the reader skipped it (n_samples, weighted_n, impurity are zeros). */
  hasStats: boolean;
}

export interface DecodeOptions {
  /** Named in errors (a path or URI). */
  source?: string;
  /** Read the stats section (default true); importances then come from the header. */
  stats?: boolean;
  /** The stream's length when known (file size, artifact size): counts are checked against it before allocating. */
  totalBytes?: number;
}

function context(source: string): ParseContext {
  return new ParseContext((why: string): never => {
    throw new GroveError('INVALID_MODEL', `${source} is not a valid grove model: ${why}`, { file: source });
  });
}

function* parseHeader(ctx: ParseContext): ModelParser<ModelHeader> {
  const prefix = yield* ctx.take(PREFIX, 'the prefix (magic bytes, version, header length)');
  if (prefix.toString('latin1', 0, 8) !== MODEL_MAGIC) ctx.bad('wrong magic bytes (not a grove model file)');
  const version = prefix.readUInt32LE(8);
  if (version !== 1 && version !== 2) ctx.bad(`format version ${version} is not supported (this grove reads versions 1 and 2)`);
  const headerBytes = prefix.readUInt32LE(12);
  if (headerBytes > MAX_HEADER) ctx.bad(`header length ${headerBytes} is over ${MAX_HEADER} bytes (corrupted?)`);
  const raw = yield* ctx.take(headerBytes, 'the header');
  let header: ModelHeader;
  try {
    header = JSON.parse(raw.toString('utf8')) as ModelHeader;
  } catch {
    return ctx.bad('the header is not valid JSON (corrupted?)');
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) ctx.bad('the header is not a JSON object');
  if (header.format_version !== version) ctx.bad(`the header says format version ${String(header.format_version)}, the prefix ${version}`);
  const count = (v: unknown, lo: number) => Number.isInteger(v) && (v as number) >= lo && (v as number) <= 0x7fffffff;
  const { n_trees: trees, n_nodes: nodes, n_features: features } = header;
  if (!count(trees, 1) || !count(nodes, 1) || !count(features, 1) || nodes < trees) ctx.bad('the header lacks valid n_trees, n_nodes or n_features');
  if (!Array.isArray(header.feature_names) || header.feature_names.length !== features) ctx.bad(`feature_names must list ${features} names`);
  if (header.task !== undefined && header.task !== 'regression' && header.task !== 'classification') ctx.bad(`task ${JSON.stringify(header.task)} is not "regression" or "classification"`);
  if (header.task === 'classification') {
    const k = header.n_classes;
    if (!Number.isInteger(k) || (k as number) < 2 || (k as number) > MAX_FOREST_CLASSES) ctx.bad(`a classifier's n_classes must be an integer in [2, ${MAX_FOREST_CLASSES}] (got ${String(k)})`);
    try {
      checkClasses(header.classes, 'classes');
    } catch (err) {
      ctx.bad((err as Error).message);
    }
    if (header.classes!.length !== k) ctx.bad(`classes lists ${header.classes!.length} labels, n_classes is ${k}`);
    if (version === 1) ctx.bad('format version 1 cannot hold a classifier');
  } else if (header.n_classes !== undefined && header.n_classes !== 0) {
    ctx.bad(`a regressor's header has n_classes ${String(header.n_classes)}`);
  }
  return header;
}

/** K for a classifier's header, 0 for a regressor's (after parseHeader's checks). */
const headerClasses = (header: ModelHeader): number => (header.task === 'classification' ? (header.n_classes as number) : 0);

function* parseModel(ctx: ParseContext, options: DecodeOptions): ModelParser<DecodedModel> {
  const header = yield* parseHeader(ctx);
  const { n_trees: trees, n_nodes: nodes, n_features: features } = header;
  const nClasses = headerClasses(header);
  const width = valueWidth({ nClasses });
  const layout = header.format_version === 2 ? checkV2Layout(header.layout, trees, nodes, features, ctx.bad) : null;
  const expected = layout ? v2FileBytes(ctx.offset, trees, nodes, features, layout, width) : v1FileBytes(ctx.offset, trees, nodes);
  const what = `${trees} trees and ${nodes} nodes${nClasses ? ` of ${nClasses} classes` : ''}`;
  if (options.totalBytes !== undefined && options.totalBytes < expected) ctx.bad(`expected ${expected} bytes for ${what}, got ${options.totalBytes} (truncated?)`);
  if (options.totalBytes !== undefined && options.totalBytes > expected) ctx.bad(`expected ${expected} bytes for ${what}, got ${options.totalBytes} (trailing bytes)`);
  const memory = nodes * (LOADED_BYTES_PER_NODE + 8 * (width - 1));
  if (memory > totalmem()) {
    ctx.bad(`${what} take ${gib(memory)} in memory, more than this machine's ${gib(totalmem())}`);
  }
  try {
    if (!layout) return { header, forest: yield* readV1Arrays(ctx, features, trees, nodes), hasStats: true };
    const { forest, hasStats } = yield* readV2Body(ctx, features, trees, nodes, layout, options.stats ?? true, nClasses);
    return { header, forest, hasStats };
  } catch (err) {
    if (err instanceof RangeError) ctx.bad(`cannot allocate the arrays for ${what} (${gib(memory)}): ${err.message}`);
    throw err;
  }
}

export const gib = (bytes: number) => `${(bytes / 2 ** 30).toFixed(bytes < 2 ** 30 ? 3 : 1)} GiB`;

/** Decodes a whole model file held in memory. */
export function decodeModel(input: Uint8Array, source = 'model buffer', options: Omit<DecodeOptions, 'source' | 'totalBytes'> = {}): DecodedModel {
  requireLittleEndian();
  const buf = Buffer.isBuffer(input) ? input : Buffer.from(input.buffer, input.byteOffset, input.byteLength);
  const ctx = context(source);
  return parseBuffer(parseModel(ctx, { ...options, totalBytes: buf.length }), buf, ctx);
}

/** Decodes a model file streamed in chunks (a file, a store's artifact), checksumming as it goes. */
export async function decodeModelChunks(chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>, options: DecodeOptions = {}): Promise<DecodedModel> {
  requireLittleEndian();
  const ctx = context(options.source ?? 'model stream');
  return parseChunks(parseModel(ctx, options), chunks, ctx);
}

function* headerOnly(ctx: ParseContext): ModelParser<ModelHeader> {
  const h = yield* parseHeader(ctx);
  ctx.stoppedEarly = true;
  return h;
}

/** Reads only the header of a model file held in memory, without decoding the trees. */
export function readModelHeader(input: Uint8Array, source = 'model buffer'): ModelHeader {
  const ctx = context(source);
  return parseBuffer(headerOnly(ctx), Buffer.from(input.buffer, input.byteOffset, input.byteLength), ctx);
}

/** Reads only the header of a streamed model file; the stream is released after it. */
export async function readModelHeaderChunks(chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>, source = 'model stream'): Promise<ModelHeader> {
  const ctx = context(source);
  return parseChunks(headerOnly(ctx), chunks, ctx);
}
