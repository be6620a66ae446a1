// The competitors: how to start each runner, which split modes and thread counts it takes, and
// where it is not run. Each fits in its own process (bench/runners/*).
import { FOREST, LARGE_ROWS, ONE_THREAD_PEER_MAX_ROWS } from './config.js';
import type { BenchDataset } from './datasets.js';
import { PYTHON, RSCRIPT, type Peers } from './machine.js';

export type CompetitorId = 'grove' | 'grove-js' | 'ml-rf' | 'sklearn' | 'ranger' | 'xgboost';
export type Mode = 'exact' | 'hist' | '-';

export interface Competitor {
  id: CompetitorId;
  label: string;
  modes: Mode[];
  /** Runs single-threaded whatever it is given (pure JS): only at threads = 1. */
  singleThreaded: boolean;
  /** 1-thread runs only up to this many rows (time budget); 2 threads everywhere. */
  oneThreadMaxRows?: number;
  /** How fit time grows with rows, for the skip estimate. */
  growth: 'nlogn' | number;
  /** Why it is not run on this dataset (in this mode), or null. */
  excluded(ds: BenchDataset, mode: Mode): string | null;
  /** Repetitions on this dataset given the plan's count. */
  reps(ds: BenchDataset, planned: number): number;
  /** `seed` differs per repetition (FOREST.seed + rep), the same for every competitor in it. */
  command(ds: BenchDataset, mode: Mode, threads: number, seed: number): [string, string[]];
  version(peers: Peers): string | null;
  notInstalled(peers: Peers): string | null;
}

function commonFlags(ds: BenchDataset, threads: number, seed: number): string[] {
  return [
    '--train',
    ds.train,
    '--test',
    ds.test,
    '--threads',
    String(threads),
    '--seed',
    String(seed),
    '--trees',
    String(FOREST.trees),
    '--min-samples-leaf',
    String(FOREST.minSamplesLeaf),
    '--max-features',
    FOREST.maxFeatures,
  ];
}

const node = (script: string, ds: BenchDataset, threads: number, seed: number, extra: string[]): [string, string[]] => [
  process.execPath,
  ['--import', 'tsx', script, ...commonFlags(ds, threads, seed), ...extra],
];

const isDiabetes = (ds: BenchDataset) => ds.name === 'diabetes';

export const COMPETITORS: Competitor[] = [
  {
    id: 'grove',
    label: 'grove (native)',
    modes: ['exact', 'hist'],
    singleThreaded: false,
    growth: 'nlogn',
    excluded: (ds, mode) => (mode === 'exact' && ds.rows >= LARGE_ROWS ? 'exact mode not run at 1M rows (time budget: ~3 min per fit; hist is the mode for large data)' : null),
    reps: (_ds, n) => n,
    command: (ds, mode, threads, seed) => node('bench/runners/grove.ts', ds, threads, seed, ['--mode', mode, '--backend', 'native']),
    version: () => null,
    notInstalled: () => null,
  },
  {
    id: 'grove-js',
    label: 'grove (pure-TS twin)',
    modes: ['exact', 'hist'],
    singleThreaded: true,
    growth: 'nlogn',
    excluded: (ds, mode) =>
      ds.rows > 100_000
        ? 'not run above 100k rows (single-threaded twin; its speed ratio is measured at 100k)'
        : mode === 'exact' && ds.rows > 10_000
          ? 'exact-mode twin not run above 10k rows (time budget; native vs twin is compared in hist mode)'
          : null,
    reps: (_ds, n) => n,
    command: (ds, mode, threads, seed) => node('bench/runners/grove.ts', ds, threads, seed, ['--mode', mode, '--backend', 'js']),
    version: () => null,
    notInstalled: () => null,
  },
  {
    id: 'ml-rf',
    label: 'ml-random-forest',
    modes: ['-'],
    singleThreaded: true,
    // ml-cart scores every candidate threshold by re-partitioning all rows of the node: O(n^2).
    growth: 2,
    excluded: (ds) => (isDiabetes(ds) || ds.rows <= 10_000 ? null : 'run on diabetes and 10k only (its CART is quadratic in rows: minutes per tree at 80k)'),
    reps: (ds, n) => (isDiabetes(ds) ? n : 1),
    command: (ds, _mode, threads, seed) => node('bench/runners/ml-rf.ts', ds, threads, seed, []),
    version: (p) => p.mlRandomForest,
    notInstalled: (p) => (p.mlRandomForest ? null : 'ml-random-forest is not installed (npm devDependency)'),
  },
  {
    id: 'sklearn',
    label: 'scikit-learn',
    modes: ['-'],
    singleThreaded: false,
    growth: 'nlogn',
    excluded: () => null,
    reps: (_ds, n) => n,
    command: (ds, _mode, threads, seed) => [PYTHON, ['bench/runners/sklearn_rf.py', ...commonFlags(ds, threads, seed)]],
    version: (p) => p.sklearn,
    notInstalled: (p) => (p.sklearn ? null : `scikit-learn not importable by ${PYTHON} (apt-get install python3-sklearn)`),
  },
  {
    id: 'ranger',
    oneThreadMaxRows: ONE_THREAD_PEER_MAX_ROWS,
    label: 'ranger',
    modes: ['-'],
    singleThreaded: false,
    growth: 'nlogn',
    excluded: () => null,
    reps: (_ds, n) => n,
    command: (ds, _mode, threads, seed) => [RSCRIPT, ['bench/runners/ranger_rf.R', ...commonFlags(ds, threads, seed)]],
    version: (p) => p.ranger,
    notInstalled: (p) => (p.ranger ? null : `R package ranger not found by ${RSCRIPT} (apt-get install r-cran-ranger)`),
  },
  {
    id: 'xgboost',
    oneThreadMaxRows: ONE_THREAD_PEER_MAX_ROWS,
    label: 'XGBoost RF mode',
    modes: ['-'],
    singleThreaded: false,
    growth: 'nlogn',
    excluded: () => null,
    reps: (_ds, n) => n,
    command: (ds, _mode, threads, seed) => [PYTHON, ['bench/runners/xgb_rf.py', ...commonFlags(ds, threads, seed)]],
    version: (p) => p.xgboost,
    notInstalled: (p) => (p.xgboost ? null : `xgboost not importable by ${PYTHON} (apt-get install python3-xgboost)`),
  },
];

/** `--only` accepts these names (and the ids). */
export const ALIASES: Record<string, CompetitorId[]> = {
  grove: ['grove'],
  native: ['grove'],
  js: ['grove-js'],
  'grove-js': ['grove-js'],
  twin: ['grove-js'],
  'ml-rf': ['ml-rf'],
  'ml-random-forest': ['ml-rf'],
  sklearn: ['sklearn'],
  'scikit-learn': ['sklearn'],
  ranger: ['ranger'],
  xgboost: ['xgboost'],
  xgb: ['xgboost'],
  peers: ['sklearn', 'ranger', 'xgboost'],
};
