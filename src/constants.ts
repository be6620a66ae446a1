/** Every default in one place (ranger's globals.h habit). */

/** RandomForestRegressor defaults: scikit-learn's RandomForestRegressor, plus grove's own knobs. */
export const FOREST_DEFAULTS = {
  nEstimators: 100,
  maxDepth: null as number | null, // no limit
  minSamplesSplit: 2,
  minSamplesLeaf: 1, // distinct rows per leaf, as scikit-learn
  maxFeatures: 'all' as MaxFeatures,
  bootstrap: true,
  maxSamples: null as number | null, // draw n rows
  minImpurityDecrease: 0,
  seed: 0,
  threads: 0, // 0: every available core
  splitMode: 'auto' as SplitMode,
  backend: 'native' as Backend,
  maxBins: 256,
};

export type MaxFeatures = 'all' | 'sqrt' | 'log2' | 'third' | number | string;
export type SplitMode = 'exact' | 'hist' | 'auto';
export type Backend = 'native' | 'js';

/** Histogram mode: nodes with fewer rows scan sorted bin codes instead of full histograms. */
export const HIST_MIN_ROWS = 512;

/** splitMode 'auto' picks histograms from this many training rows on (measured in bench/). */
export const AUTO_HIST_MIN_ROWS = 2000;

/** grove train: share of rows held out for testing when no --test file is given. */
export const DEFAULT_TEST_FRACTION = 0.2;

/** Environment variable naming an addon file to load instead of searching for one. */
export const NATIVE_PATH_ENV = 'GROVE_NATIVE_PATH';

/** Tuning: from this many training rows on, trials run one at a time on every core. */
export const TUNE_WIDE_TRIAL_ROWS = 50_000;

/** Tuning defaults. */
export const TUNE_DEFAULTS = {
  trials: 30,
  sampler: 'tpe' as const,
  scheduler: 'fifo' as const,
  metric: 'rmse' as const,
  valFraction: 0.2,
  testFraction: 0.2,
  seed: 0,
  experiment: 'Default',
  /** successive halving: keep the best 1/eta at each rung; rungs at n/eta^2, n/eta, n trees */
  ashaEta: 3,
  ashaRungs: 3,
  /** consecutive failed trials after which a study gives up */
  maxConsecutiveFailures: 10,
};

/** Shared studies (grove worker): how workers prove they are alive and how lost trials come back. */
export const STUDY_QUEUE_DEFAULTS = {
  /** a running trial whose heartbeat is older than this is lost: FAILED and queued again */
  graceS: 30,
  /** workers heartbeat this often (or a third of the grace period, if that is shorter) */
  heartbeatS: 5,
  /** a trial lost this many times stays FAILED */
  maxAttempts: 3,
  /** how often a worker with nothing to claim asks again */
  pollMs: 200,
  /** how long grove worker waits for its study to appear */
  waitS: 60,
};

// The data layer

/** Cell texts read as "missing" (compared case-insensitively, after trimming spaces). */
export const MISSING_TOKENS: ReadonlySet<string> = new Set(['', 'na', 'n/a', 'nan', 'null']);

/** How many offending rows an error or note lists before it says "...". */
export const MAX_ROWS_LISTED = 5;

/** How many top values `describe` reports for categorical and boolean columns. */
export const TOP_VALUES = 3;

/** The built-in Friedman #1 dataset: default size and seed of `friedman1`. */
export const FRIEDMAN_DEFAULT_ROWS = 1000;
export const FRIEDMAN_DEFAULT_SEED = 0;

/** The random stream of splits ("SPLT"), apart from the tree streams that share the seed. */
export const SPLIT_STREAM = 0x53504c54;

/** Default target column of a file when none is given. */
export const DEFAULT_TARGET = 'target';

/** Version of the Preprocessing record stored in model files. */
export const PREPROCESSING_VERSION = 1;

// The scoring server (grove serve) and batch prediction
export const SERVE_DEFAULTS = {
  host: '127.0.0.1',
  port: 5000,
  /** request bodies above this many bytes get 413 */
  maxBodyBytes: 10 * 1024 * 1024,
  /** how often a models:/<name>@<alias> server checks whether the alias moved */
  pollSeconds: 10,
  /** a graceful shutdown waits this long for in-flight requests before closing them */
  shutdownGraceMs: 30_000,
  /**
   * Batches of up to this many rows are scored on the event loop with predictSync, larger ones in
   * the addon's async worker. In-process, a single-row sync predict is cheaper than the worker
   * hand-off, but under load the async path lets the event loop parse the next request while
   * another core scores: bench/serve.ts measured 15,300 single-row requests/s (p99 10.6 ms) async
   * against 9,500 (p99 12.8 ms) sync at 64 connections on 2 cores. So every batch goes to the
   * worker (0); raise it (server option syncMaxRows) for a server pinned to one core.
   */
  syncMaxRows: 0,
};

/** Rows per chunk when grove predict streams its CSV or JSON output. */
export const OUTPUT_CHUNK_ROWS = 8192;

// The MLflow tracking server (grove server), MLflow's own default address
export const MLFLOW_SERVER_DEFAULTS = {
  host: '127.0.0.1',
  port: 5000,
  /** request bodies above this many bytes get 400 (a full log-batch is far smaller) */
  maxBodyBytes: 16 * 1024 * 1024,
  /** a shutdown waits this long for requests in flight before closing their connections */
  shutdownGraceMs: 10_000,
};

/**
 * ONNX export: IR 8 with the default opset 16 and ai.onnx.ml 3 (TreeEnsembleRegressor and
 * TreeEnsembleClassifier v3, LabelEncoder v2), a pairing the onnx package itself ships (1.11)
 * and onnxruntime reads. A regressor's output is `outputName`; a classifier's are `labelName`
 * and `probabilityName`.
 */
export const ONNX_EXPORT = {
  irVersion: 8,
  opset: 16,
  mlOpset: 3,
  outputName: 'prediction',
  labelName: 'label',
  probabilityName: 'probabilities',
} as const;

/** The model-version tag `grove models export` sets: the ONNX artifact's name in the version's run. */
export const ONNX_ARTIFACT_TAG = 'onnx_artifact';
