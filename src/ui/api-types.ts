// The shapes the JSON API answers (src/ui/api.ts), written once: the server (src/ui/study-view.ts)
// and the browser client (src/ui/client/, bundled by scripts/build-ui.mjs) both import them.
// Types only: nothing here reaches the bundle or needs Node or the DOM.

export interface RunJson {
  run_id: string;
  run_name: string;
  experiment_id: string;
  experiment_name: string;
  status: string;
  start_time: number;
  end_time: number | null;
  parent_run_id: string | null;
  host: string;
  pid: number;
  heartbeat_time: number;
  params: Record<string, string>;
  metrics: Record<string, number | null>;
  tags: Record<string, string>;
}

export interface ExperimentJson {
  experiment_id: string;
  name: string;
  tags: Record<string, string>;
  created_time: number;
  run_count: number;
  last_activity?: number | null;
  best?: { key: string; value: number | null; run_id: string; run_name: string } | null;
}

export interface StudySummary {
  run_id: string;
  name: string;
  state: string;
  start_time: number;
  end_time: number | null;
  metric: string;
  n_trials: number | null;
  metrics: Record<string, number | null>;
}

export interface RunsPage {
  experiment_id: string;
  experiment_name: string;
  offset: number;
  limit: number;
  has_more: boolean;
  total: number | null;
  param_keys: string[];
  metric_keys: string[];
  runs: RunJson[];
}

export type History = [step: number, value: number | null, timestamp: number][];

export interface VersionJson {
  name: string;
  version: number;
  run_id: string;
  artifact: string;
  sha256: string;
  size: number;
  created_time: number;
  description: string;
  tags: Record<string, string>;
  aliases: string[];
  /** the ONNX download, once `grove models export` stored one */
  onnx_url: string | null;
}

export type RunTask = 'classification' | 'regression';

export type LabelJson = string | number | boolean;

/** the confusion_matrix.json artifact: rows are the true classes, columns the predicted ones */
export interface ConfusionMatrixJson {
  labels: LabelJson[];
  matrix: number[][];
}

/** the roc_curve.json artifact (binary classifiers) */
export interface RocCurveJson {
  positive_label: LabelJson | null;
  fpr: number[];
  tpr: number[];
  /** null where the artifact had none or a non-finite one (the first, +Infinity in scikit-learn) */
  thresholds: (number | null)[] | null;
  auc: number | null;
}

export interface RunDetail {
  run: RunJson;
  is_study: boolean;
  has_children: boolean;
  /** from the model's header, else the run's task param, artifacts or metrics; null when nothing says */
  task: RunTask | null;
  metric_histories: Record<string, History>;
  artifacts: { name: string; size: number; sha256: string; created_time: number }[];
  model_versions: VersionJson[];
  model: {
    n_trees: number;
    n_features: number;
    target_name: string | null;
    feature_names: string[];
    feature_importances: (number | null)[];
    grove_version: string;
    task: RunTask;
    /** a classifier's class labels, sorted (null for a regressor) */
    classes: LabelJson[] | null;
  } | null;
  /** a classification run's evaluation on its test (or validation) rows, from its artifacts */
  confusion_matrix: ConfusionMatrixJson | null;
  roc_curve: RocCurveJson | null;
}

export interface TrialJson {
  number: number;
  /** 1, or 2, 3, ... for a trial run again after its worker was lost or stopped */
  attempt: number;
  run_id: string;
  status: string;
  pruned: boolean;
  value: number | null;
  params: Record<string, string>;
  worker: string;
  threads: number;
  start_time: number;
  end_time: number | null;
  fit_s: number | null;
  failure: string | null;
}

export interface SpaceEntry {
  int?: [number, number];
  float?: [number, number];
  log?: boolean;
  choice?: (string | number | boolean | null)[];
  grid?: (string | number | boolean | null)[];
}

export interface StudyJson {
  study: RunJson;
  name: string;
  state: string;
  metric: string;
  objective: string;
  higher_is_better: boolean;
  space: Record<string, SpaceEntry> | null;
  refit_run_id: string | null;
  trials: TrialJson[];
}

export interface ImportanceJson {
  n_trials: number;
  basis: string;
  reason: string | null;
  importances: { param: string; importance: number }[];
}

export interface AliasChangeJson {
  name: string;
  alias: string;
  old_version: number | null;
  new_version: number | null;
  time: number;
  who: string;
}

export interface ModelJson {
  name: string;
  description: string;
  tags: Record<string, string>;
  created_time: number;
  updated_time: number;
  latest_version: number | null;
  aliases: Record<string, number>;
  versions: VersionJson[];
  alias_history: AliasChangeJson[];
}
