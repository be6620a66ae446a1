// Loads a model by URI (file path, runs:/, models:/) with its preprocessing, for predict and serve.
// Either kind of forest: the model file's header says which (task), and callers branch on
// `model.task` (a regressor answers numbers, a classifier class labels or probabilities).
import type { Backend } from '../constants.js';
import { preprocessingOf, type Preprocessing } from '../data/index.js';
import { forestModelFromChunks, type ForestModel } from '../forest/load-model.js';
import { openStore, trackingUriFrom } from '../track/tracking-uri.js';
import { parseModelUri, resolveModelChunks, uriNeedsStore, type ModelSource } from '../track/model-uri.js';

export interface LoadedModel {
  model: ForestModel;
  preprocessing: Preprocessing;
  source: ModelSource;
}

export interface LoadModelOptions {
  trackingUri?: string;
  backend?: Backend;
  threads?: number;
}

export async function loadModel(uri: string, options: LoadModelOptions = {}): Promise<LoadedModel> {
  const parsed = parseModelUri(uri);
  const store = uriNeedsStore(parsed) ? await openStore(trackingUriFrom(options.trackingUri), { create: false }) : null;
  try {
    // streamed: a model of several GB never sits in one Buffer next to its decoded arrays;
    // predict needs no per-node statistics (importances come from the header)
    const { chunks, size, source } = await resolveModelChunks(store, parsed);
    const model = await forestModelFromChunks(chunks, { backend: options.backend, threads: options.threads, source: uri, totalBytes: size, stats: false });
    const preprocessing = preprocessingOf({
      preprocessing: model.metadata.preprocessing ?? null,
      feature_names: model.featureNames,
      target_name: model.targetName,
    });
    return { model, preprocessing, source };
  } finally {
    await store?.close();
  }
}
