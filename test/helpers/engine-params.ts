// Engine parameters for tests that call an engine directly (the addon's fitSync, the twin's
// fitForestJs): every field of EngineParams, a small regression forest unless overridden.
import type { EngineParams } from '../../src/forest/engine-params.js';

export function engineParams(over: Partial<EngineParams> = {}): EngineParams {
  return {
    n_estimators: 10,
    first_tree: 0,
    max_depth: -1,
    min_samples_split: 2,
    min_samples_leaf: 1,
    mtry: 2,
    bootstrap: true,
    max_samples: 1,
    min_impurity_decrease: 0,
    seed: 1,
    threads: 1,
    split_mode: 0,
    max_bins: 256,
    hist_min_rows: 512,
    compute_oob: true,
    criterion: 0,
    n_classes: 0,
    class_weight: null,
    balanced_subsample: false,
    ...over,
  };
}
