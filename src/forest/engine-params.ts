/**
 * Hyperparameters as the engines take them, resolved once (max_features -> mtry, "auto" split
 * mode -> exact or histogram, defaults filled). Field for field native/engine/params.h; the
 * addon reads this object and the pure-TS twin uses it as is.
 */
export interface EngineParams {
  n_estimators: number;
  first_tree: number;
  max_depth: number; // -1: unlimited
  min_samples_split: number;
  min_samples_leaf: number;
  mtry: number;
  bootstrap: boolean;
  max_samples: number;
  min_impurity_decrease: number;
  seed: number;
  threads: number;
  split_mode: 0 | 1; // 0 exact, 1 histogram
  max_bins: number;
  hist_min_rows: number;
  compute_oob: boolean;
  criterion: 0 | 1 | 2; // 0 squared_error, 1 gini, 2 entropy
  n_classes: number; // 0 for regression; K >= 2 for classification
  class_weight: Float64Array | null; // K weights (null: all 1)
  balanced_subsample: boolean; // per-tree weights from the bootstrap draws
}

export const SPLIT_EXACT = 0;
export const SPLIT_HISTOGRAM = 1;
