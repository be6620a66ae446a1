// Everything the benchmark fixes in one place: the forest configuration of issue 2's targets,
// seeds, sizes, budgets and the run plan per dataset.

/** The forest every competitor fits (each runner maps it to its own options and says how). */
export const FOREST = {
  trees: 100,
  maxFeatures: 'third', // max(1, floor(p / 3)) = 3 for 10 features
  minSamplesLeaf: 5,
  bootstrap: true,
  seed: 7,
} as const;

export const TEST_FRACTION = 0.2;
/** Seed of the train/test split (grove's seeded splitRows) and of the generated data. */
export const SPLIT_SEED = 42;
export const FRIEDMAN_SEED = 1;
export const FRIEDMAN_NOISE = 1.0;

export const DEFAULT_SIZES = [10_000, 100_000, 1_000_000];
export const QUICK_SIZES = [10_000];
export const DEFAULT_REPS = 3;

/** A fit estimated to take longer than this is skipped ("skipped (est. X s)"). */
export const MAX_FIT_S = 300;
/** A runner still going after this long is killed (it would have been skipped had we known). */
export const RUNNER_TIMEOUT_S = 900;

/** Work directory for the shared train/test CSV files (gitignored). */
export const WORK_DIR = 'bench/.work';
export const RESULTS_FILE = 'bench/results/latest.json';

/**
 * Default plan for the largest size, chosen so `npm run bench` stays under ~25 minutes on a
 * 2-core machine: one repetition and 2 threads only at 1M rows (a 1-thread fit of the slow peers
 * there takes 4-8 minutes each). `--reps-large N` and `--threads-large 1,2` override it.
 */
export const LARGE_ROWS = 1_000_000;
export const LARGE_REPS = 1;
export const LARGE_THREADS = [2];

/**
 * ranger and XGBoost's RF mode are timed on 1 thread only up to this many rows: above it, only
 * their 2-thread fit (the targets' setting) fits in the time budget (their 1-thread fits at 100k
 * take 50-80 s each on this machine).
 */
export const ONE_THREAD_PEER_MAX_ROWS = 10_000;

/** Before each fit, wait at most this long for other processes to quiet down ... */
export const QUIET_WAIT_S = 30;
/** ... and at most this long over the whole benchmark. */
export const QUIET_WAIT_TOTAL_S = 240;

/**
 * The classification stage (bench/classification.ts, issue 17): scikit-learn's classifier
 * defaults where they are cheap (max_features sqrt, gini, bootstrap), min_samples_leaf 5 as the
 * regression plan (fully grown trees at 1M rows and 10 classes would hold ~10 GB in scikit-learn).
 */
export const CLASS_FOREST = {
  trees: 100,
  maxFeatures: 'sqrt',
  minSamplesLeaf: 5,
  bootstrap: true,
  seed: 7,
  threads: 2,
} as const;
/** `classes:<rows>:<k>:<seed>`: the data seed (the split uses SPLIT_SEED and TEST_FRACTION). */
export const CLASS_DATA_SEED = 1;
/** Default sizes; 1M is opt-in (GROVE_BENCH_CLASSIFICATION_SIZES=100000,1000000 or --sizes). */
export const CLASS_SIZES = [100_000];
export const CLASS_COUNTS = [2, 10];
export const CLASS_QUICK_SIZES = [20_000];
