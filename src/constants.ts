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
