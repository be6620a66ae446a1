// One loader for both kinds of forest: the header's task (absent in files written before
// classifiers: regression) picks RandomForestRegressor or RandomForestClassifier.
import { RandomForestClassifier } from './classifier.js';
import type { LoadOptions } from './forest-base.js';
import { decodeModel, decodeModelChunks, headerTask, type DecodedModel } from './model-file.js';
import { openModelFile } from './model-io.js';
import { RandomForestRegressor } from './regressor.js';

/** A fitted or loaded forest of either kind; `task` tells which. */
export type ForestModel = RandomForestRegressor | RandomForestClassifier;

/** The model of a decoded model file, by its header's task. */
export function forestModelFromDecoded(decoded: DecodedModel, options: LoadOptions = {}): ForestModel {
  return headerTask(decoded.header) === 'classification' ? RandomForestClassifier.fromDecoded(decoded, options) : RandomForestRegressor.fromDecoded(decoded, options);
}

/** Loads a model file's bytes (either kind). */
export function forestModelFromBuffer(buf: Uint8Array, options: LoadOptions = {}): ForestModel {
  return forestModelFromDecoded(decodeModel(buf, options.source, { stats: options.stats }), options);
}

/** Loads a model file streamed in chunks (a store's readModelVersionChunks, a file stream), either kind. */
export async function forestModelFromChunks(chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>, options: LoadOptions & { totalBytes?: number } = {}): Promise<ForestModel> {
  return forestModelFromDecoded(await decodeModelChunks(chunks, options), options);
}

/** Loads a model file from disk, streamed (either kind). */
export async function loadForestModel(path: string, options: LoadOptions = {}): Promise<ForestModel> {
  const source = options.source ?? path;
  const { chunks, size } = await openModelFile(path);
  return forestModelFromChunks(chunks, { ...options, source, totalBytes: size });
}

export function isClassifier(model: ForestModel): model is RandomForestClassifier {
  return model.task === 'classification';
}
