// Loads a model by URI (file path, runs:/, models:/) with its preprocessing, for predict and serve.
import type { Backend } from '../constants.js';
import { preprocessingOf, type Preprocessing } from '../data/index.js';
import { RandomForestRegressor } from '../forest/regressor.js';
import { openStore, trackingUriFrom } from '../track/tracking-uri.js';
import { parseModelUri, resolveModelChunks, uriNeedsStore, type ModelSource } from '../track/model-uri.js';

export interface LoadedModel {
  model: RandomForestRegressor;
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
    const model = await RandomForestRegressor.fromChunks(chunks, { backend: options.backend, threads: options.threads, source: uri, totalBytes: size, stats: false });
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
