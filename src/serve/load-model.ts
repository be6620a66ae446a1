// Loads a model by URI (file path, runs:/, models:/) with its preprocessing, for predict and serve.
import type { Backend } from '../constants.js';
import { preprocessingOf, type Preprocessing } from '../data/index.js';
import { RandomForestRegressor } from '../forest/regressor.js';
import { openStore, trackingUriFrom } from '../track/tracking-uri.js';
import { parseModelUri, resolveModelBytes, uriNeedsStore, type ModelSource } from '../track/model-uri.js';

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
    const { bytes, source } = await resolveModelBytes(store, parsed);
    const model = RandomForestRegressor.fromBuffer(bytes, { backend: options.backend, threads: options.threads, source: uri });
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
