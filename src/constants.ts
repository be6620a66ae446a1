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
