import { availableParallelism } from 'node:os';
import { AUTO_HIST_MIN_ROWS, FOREST_DEFAULTS, HIST_MIN_ROWS, type Backend, type MaxFeatures, type SplitMode } from '../constants.js';
import { closest, invalidOption } from '../errors.js';
import { SPLIT_EXACT, SPLIT_HISTOGRAM, type EngineParams } from './engine-params.js';

/** Public hyperparameters (camelCase). Everything a user reads outside TS is snake_case. */
export interface RandomForestParams {
  nEstimators?: number;
  maxDepth?: number | null;
  minSamplesSplit?: number;
  minSamplesLeaf?: number;
  /** 'all' | 'sqrt' | 'log2' | 'third', an integer count, a fraction in (0, 1), or a string: '3' a count, '0.5' or '1.0' a fraction. */
  maxFeatures?: MaxFeatures;
  bootstrap?: boolean;
  maxSamples?: number | null;
  minImpurityDecrease?: number;
  seed?: number;
  threads?: number;
  splitMode?: SplitMode;
  backend?: Backend;
  maxBins?: number;
}

export type ResolvedParams = Required<RandomForestParams>;

const KNOWN = Object.keys(FOREST_DEFAULTS) as (keyof RandomForestParams)[];

/** snake_case names, for messages, tracked params and the model file. */
export const SNAKE: Record<keyof RandomForestParams, string> = {
  nEstimators: 'n_estimators',
  maxDepth: 'max_depth',
  minSamplesSplit: 'min_samples_split',
  minSamplesLeaf: 'min_samples_leaf',
  maxFeatures: 'max_features',
  bootstrap: 'bootstrap',
  maxSamples: 'max_samples',
  minImpurityDecrease: 'min_impurity_decrease',
  seed: 'seed',
  threads: 'threads',
  splitMode: 'split_mode',
  backend: 'backend',
  maxBins: 'max_bins',
};

function isInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v);
}

/** Validates option names and values (no data needed); fills defaults. */
export function resolveParams(params: RandomForestParams = {}): ResolvedParams {
  if (typeof params !== 'object' || params === null) throw invalidOption('params', params, 'must be an object');
  for (const key of Object.keys(params)) {
    if (!(KNOWN as string[]).includes(key)) {
      const hint = closest(key, KNOWN);
      throw invalidOption(key, (params as Record<string, unknown>)[key], `unknown option${hint ? `; did you mean ${hint}?` : ''} (known: ${KNOWN.join(', ')})`);
    }
  }
  const r = { ...FOREST_DEFAULTS } as ResolvedParams;
  for (const key of KNOWN) {
    const v = params[key];
    if (v !== undefined) (r as Record<string, unknown>)[key] = v;
  }
  const check = (ok: boolean, key: keyof RandomForestParams, why: string) => {
    if (!ok) throw invalidOption(SNAKE[key], r[key], why);
  };
  check(isInt(r.nEstimators) && r.nEstimators >= 1 && r.nEstimators <= 1e6, 'nEstimators', 'must be an integer >= 1');
  check(r.maxDepth === null || (isInt(r.maxDepth) && r.maxDepth >= 1), 'maxDepth', 'must be null (no limit) or an integer >= 1');
  check(isInt(r.minSamplesSplit) && r.minSamplesSplit >= 2, 'minSamplesSplit', 'must be an integer >= 2');
  check(isInt(r.minSamplesLeaf) && r.minSamplesLeaf >= 1, 'minSamplesLeaf', 'must be an integer >= 1 (rows per leaf)');
  parseMaxFeatures(r.maxFeatures); // throws on a bad form; the range needs the feature count
  check(typeof r.bootstrap === 'boolean', 'bootstrap', 'must be true or false');
  check(r.maxSamples === null || (typeof r.maxSamples === 'number' && r.maxSamples > 0 && r.maxSamples <= 1), 'maxSamples', 'must be a fraction in (0, 1]');
  check(r.maxSamples === null || r.bootstrap, 'maxSamples', 'applies only with bootstrap; remove it or enable bootstrap');
  check(typeof r.minImpurityDecrease === 'number' && r.minImpurityDecrease >= 0 && Number.isFinite(r.minImpurityDecrease), 'minImpurityDecrease', 'must be a finite number >= 0');
  check(isInt(r.seed) && r.seed >= 0 && r.seed <= 0xffffffff, 'seed', 'must be an integer in [0, 4294967295]');
  check(isInt(r.threads) && r.threads >= 0 && r.threads <= 1024, 'threads', 'must be an integer in [0, 1024] (0: all cores)');
  check(r.splitMode === 'exact' || r.splitMode === 'hist' || r.splitMode === 'auto', 'splitMode', "must be 'exact', 'hist' or 'auto'");
  check(r.backend === 'native' || r.backend === 'js', 'backend', "must be 'native' or 'js'");
  check(isInt(r.maxBins) && r.maxBins >= 2 && r.maxBins <= 256, 'maxBins', 'must be an integer in [2, 256]');
  return r;
}

type ParsedMaxFeatures = { kind: 'rule'; rule: 'all' | 'sqrt' | 'log2' | 'third' } | { kind: 'count'; count: number } | { kind: 'fraction'; fraction: number };

/** '3' or 3 is a count; '0.5', '1.0' or 0.5 a fraction; names are rules. */
export function parseMaxFeatures(v: MaxFeatures): ParsedMaxFeatures {
  const bad = () => invalidOption('max_features', v, "must be 'all', 'sqrt', 'log2', 'third', an integer count >= 1 or a fraction in (0, 1]");
  if (v === 'all' || v === 'sqrt' || v === 'log2' || v === 'third') return { kind: 'rule', rule: v };
  if (typeof v === 'number') {
    if (isInt(v) && v >= 1) return { kind: 'count', count: v };
    if (v > 0 && v < 1) return { kind: 'fraction', fraction: v };
    throw bad();
  }
  if (typeof v === 'string') {
    const s = v.trim();
    if (/^\d+$/.test(s)) {
      const count = Number(s);
      if (count >= 1) return { kind: 'count', count };
      throw bad();
    }
    if (/^(\d+\.\d*|\.\d+)$/.test(s)) {
      const fraction = Number(s);
      if (fraction > 0 && fraction <= 1) return { kind: 'fraction', fraction };
    }
  }
  throw bad();
}

/** Features examined per node for p features (scikit-learn's rules; 'third' as ranger's default). */
export function resolveMtry(v: MaxFeatures, p: number): number {
  const m = parseMaxFeatures(v);
  if (m.kind === 'rule') {
    if (m.rule === 'all') return p;
    if (m.rule === 'sqrt') return Math.max(1, Math.floor(Math.sqrt(p)));
    if (m.rule === 'log2') return Math.max(1, Math.floor(Math.log2(p)));
    return Math.max(1, Math.floor(p / 3));
  }
  if (m.kind === 'fraction') return Math.max(1, Math.floor(m.fraction * p));
  if (m.count > p) throw invalidOption('max_features', v, `is more than the ${p} features of the data`);
  return m.count;
}

let cores: number | undefined;

/** 0 means every core; the count is read once (the syscall is not free on a hot predict path). */
export function resolveThreads(threads: number): number {
  if (threads !== 0) return threads;
  cores ??= availableParallelism();
  return cores;
}

export function resolveSplitMode(mode: SplitMode, rows: number): 0 | 1 {
  if (mode === 'exact') return SPLIT_EXACT;
  if (mode === 'hist') return SPLIT_HISTOGRAM;
  return rows >= AUTO_HIST_MIN_ROWS ? SPLIT_HISTOGRAM : SPLIT_EXACT;
}

/** The engine's view of the parameters for data of `rows` x `cols`. */
export function toEngineParams(r: ResolvedParams, rows: number, cols: number, firstTree = 0, count = r.nEstimators): EngineParams {
  return {
    n_estimators: count,
    first_tree: firstTree,
    max_depth: r.maxDepth ?? -1,
    min_samples_split: r.minSamplesSplit,
    min_samples_leaf: r.minSamplesLeaf,
    mtry: resolveMtry(r.maxFeatures, cols),
    bootstrap: r.bootstrap,
    max_samples: r.maxSamples ?? 1.0,
    min_impurity_decrease: r.minImpurityDecrease,
    seed: r.seed,
    threads: resolveThreads(r.threads),
    split_mode: resolveSplitMode(r.splitMode, rows),
    max_bins: r.maxBins,
    hist_min_rows: HIST_MIN_ROWS,
    compute_oob: true,
    criterion: 0,
    n_classes: 0,
    class_weight: null,
    balanced_subsample: false,
  };
}

/** Hyperparameters as snake_case strings-or-numbers: tracked params and the model header. */
export function paramsToSnake(r: ResolvedParams): Record<string, string | number | boolean | null> {
  const out: Record<string, string | number | boolean | null> = {};
  for (const key of KNOWN) out[SNAKE[key]] = r[key] as string | number | boolean | null;
  return out;
}

/** The inverse of paramsToSnake, for reading a model header. */
export function paramsFromSnake(o: Record<string, unknown>): RandomForestParams {
  const out: Record<string, unknown> = {};
  for (const key of KNOWN) if (SNAKE[key] in o) out[key] = o[SNAKE[key]];
  return out as RandomForestParams;
}
