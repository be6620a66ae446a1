import { availableParallelism } from 'node:os';
import { AUTO_HIST_MIN_ROWS, FOREST_DEFAULTS, HIST_MIN_ROWS, type Backend, type MaxFeatures, type SplitMode } from '../constants.js';
import { closest, GroveError, invalidOption } from '../errors.js';
import { labelKind, type Label } from '../labels.js';
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
  /** A regressor's split criterion: 'squared_error', the only one. */
  criterion?: 'squared_error';
}

export type Task = 'regression' | 'classification';

/** 'gini' (the default) or 'entropy' for classifiers, 'squared_error' for regressors. */
export type Criterion = 'squared_error' | 'gini' | 'entropy';

/**
 * Class weights of a classifier: null (every class 1), 'balanced' (n / (K * rows of the
 * class), over the training rows), 'balanced_subsample' (the same per tree, over the tree's
 * bootstrap draws), or label -> weight (labels not listed weigh 1).
 */
export type ClassWeight = null | 'balanced' | 'balanced_subsample' | Record<string, number>;

/** RandomForestClassifier's hyperparameters: the regressor's, a classification criterion and class weights. */
export interface RandomForestClassifierParams extends Omit<RandomForestParams, 'criterion'> {
  /** 'gini' (default) or 'entropy'. */
  criterion?: 'gini' | 'entropy';
  classWeight?: ClassWeight;
}

/** Every hyperparameter resolved; classWeight is null for regressors. */
export interface ResolvedParams extends Required<Omit<RandomForestParams, 'criterion'>> {
  criterion: Criterion;
  classWeight: ClassWeight;
}

type ParamKey = keyof ResolvedParams;

/** RandomForestRegressor's defaults (FOREST_DEFAULTS) with its criterion. */
export const REGRESSOR_DEFAULTS = { ...FOREST_DEFAULTS, criterion: 'squared_error' as Criterion };
/** RandomForestClassifier's defaults: scikit-learn's RandomForestClassifier (max_features 'sqrt', gini). */
export const CLASSIFIER_DEFAULTS = { ...FOREST_DEFAULTS, maxFeatures: 'sqrt' as MaxFeatures, criterion: 'gini' as Criterion, classWeight: null as ClassWeight };

const KNOWN_REGRESSOR = Object.keys(REGRESSOR_DEFAULTS) as ParamKey[];
const KNOWN_CLASSIFIER = Object.keys(CLASSIFIER_DEFAULTS) as ParamKey[];
/** Hyperparameter names (camelCase) a task takes. */
export const knownParams = (task: Task): readonly ParamKey[] => (task === 'classification' ? KNOWN_CLASSIFIER : KNOWN_REGRESSOR);

/** snake_case names, for messages, tracked params and the model file. */
export const SNAKE: Record<ParamKey, string> = {
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
  criterion: 'criterion',
  classWeight: 'class_weight',
};

function isInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v);
}

/** Validates option names and values (no data needed); fills defaults (the task's: a classifier's max_features is 'sqrt'). */
export function resolveParams(params: RandomForestParams | RandomForestClassifierParams = {}, task: Task = 'regression'): ResolvedParams {
  if (typeof params !== 'object' || params === null) throw invalidOption('params', params, 'must be an object');
  const known = knownParams(task);
  for (const key of Object.keys(params)) {
    if (!(known as string[]).includes(key)) {
      // a resolved regressor's params carry classWeight null: harmless when handed back
      if (key === 'classWeight' && task === 'regression' && (params as Record<string, unknown>)[key] == null) continue;
      if (key === 'classWeight' && task === 'regression') {
        throw invalidOption('class_weight', (params as Record<string, unknown>)[key], 'applies only to classifiers (RandomForestClassifier)');
      }
      const hint = closest(key, known);
      throw invalidOption(key, (params as Record<string, unknown>)[key], `unknown option${hint ? `; did you mean ${hint}?` : ''} (known: ${known.join(', ')})`);
    }
  }
  const r = { ...(task === 'classification' ? CLASSIFIER_DEFAULTS : REGRESSOR_DEFAULTS), classWeight: null } as ResolvedParams;
  for (const key of known) {
    const v = (params as Record<string, unknown>)[key];
    if (v !== undefined) (r as unknown as Record<string, unknown>)[key] = v;
  }
  const check = (ok: boolean, key: ParamKey, why: string) => {
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
  if (task === 'classification') {
    check(r.criterion === 'gini' || r.criterion === 'entropy', 'criterion', "must be 'gini' or 'entropy' for a classifier");
    checkClassWeightForm(r.classWeight);
  } else {
    check(
      r.criterion === 'squared_error',
      'criterion',
      `must be 'squared_error' for a regressor${r.criterion === 'gini' || r.criterion === 'entropy' ? ' (gini and entropy are classification criteria: use RandomForestClassifier)' : ''}`,
    );
  }
  return r;
}

function checkClassWeightForm(w: unknown): void {
  if (w === null || w === 'balanced' || w === 'balanced_subsample') return;
  if (typeof w !== 'object' || Array.isArray(w)) {
    throw invalidOption('class_weight', w, "must be null, 'balanced', 'balanced_subsample' or an object mapping class labels to weights");
  }
  for (const [label, weight] of Object.entries(w as Record<string, unknown>)) {
    if (typeof weight !== 'number' || !Number.isFinite(weight) || weight <= 0) {
      throw invalidOption('class_weight', w, `the weight of class ${JSON.stringify(label)} must be a finite number > 0`);
    }
  }
}

/** The key of a label in a class_weight map (JSON object keys are strings: 1 -> "1", true -> "true"). */
const weightKey = (label: Label): string => String(label);

/** Above this many classes nodes never build histograms (their memory grows with K): small-node scans everywhere. */
export const CLASS_NO_HIST_K = 32;
/** hist_min_rows that keeps every node on the small-node scan. */
export const NO_NODE_HISTOGRAMS = 16777216;

/**
 * The engine's class weights and balanced_subsample flag for training classes `y` (class
 * indices) of K classes. 'balanced' weighs class c by n / (K * n_c) over the training rows;
 * 'balanced_subsample' leaves the weights to the engine (per tree, from its draws) when trees
 * bootstrap, else is 'balanced'; a map weighs the listed labels (an unknown label is an error).
 */
export function resolveClassWeight(w: ClassWeight, classes: readonly Label[], y: ArrayLike<number>, bootstrap: boolean): { classWeight: Float64Array | null; balancedSubsample: boolean } {
  const k = classes.length;
  if (w === null) return { classWeight: null, balancedSubsample: false };
  if (w === 'balanced_subsample' && bootstrap) return { classWeight: null, balancedSubsample: true };
  const out = new Float64Array(k).fill(1);
  if (w === 'balanced' || w === 'balanced_subsample') {
    const counts = new Float64Array(k);
    for (let i = 0; i < y.length; i++) counts[y[i]]++;
    for (let c = 0; c < k; c++) {
      if (counts[c] === 0) {
        throw new GroveError('INVALID_DATA', `class_weight ${JSON.stringify(w)}: class ${JSON.stringify(classes[c])} has no training rows, so it has no balanced weight`, { option: 'class_weight' });
      }
      out[c] = y.length / (k * counts[c]);
    }
    return { classWeight: out, balancedSubsample: false };
  }
  const index = new Map(classes.map((c, i) => [weightKey(c), i]));
  for (const [label, weight] of Object.entries(w)) {
    const c = index.get(label);
    if (c === undefined) {
      const kind = classes.length > 0 ? labelKind(classes[0]) : 'string';
      throw new GroveError(
        'INVALID_OPTION',
        `class_weight: ${JSON.stringify(label)} is not a class of the training target (${kind} classes: ${classes
          .slice(0, 20)
          .map((c) => JSON.stringify(c))
          .join(', ')}${classes.length > 20 ? ', ...' : ''})`,
        { option: 'class_weight', value: label },
      );
    }
    out[c] = weight;
  }
  return { classWeight: out, balancedSubsample: false };
}

/** The classification fields of EngineParams: K classes, criterion, weights. */
export interface ClassificationSetup {
  nClasses: number;
  classWeight: Float64Array | null;
  balancedSubsample: boolean;
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

/** The engine's view of the parameters for data of `rows` x `cols` (`classes`: a classifier's K classes and weights). */
export function toEngineParams(r: ResolvedParams, rows: number, cols: number, firstTree = 0, count = r.nEstimators, classes: ClassificationSetup | null = null): EngineParams {
  const k = classes?.nClasses ?? 0;
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
    hist_min_rows: k > CLASS_NO_HIST_K ? NO_NODE_HISTOGRAMS : HIST_MIN_ROWS,
    compute_oob: true,
    criterion: r.criterion === 'gini' ? 1 : r.criterion === 'entropy' ? 2 : 0,
    n_classes: k,
    class_weight: classes?.classWeight ?? null,
    balanced_subsample: classes?.balancedSubsample ?? false,
  };
}

export type SnakeParamValue = string | number | boolean | null;

/**
 * Hyperparameters as snake_case values, for tracked params (strings, numbers, booleans, null).
 * A regressor's criterion is 'squared_error'; class_weight (null, 'balanced',
 * 'balanced_subsample', or a {label: weight} map written as its JSON text) is a classifier's only.
 */
export function paramsToSnake(r: ResolvedParams): Record<string, SnakeParamValue> {
  const out: Record<string, SnakeParamValue> = {};
  for (const [key, v] of Object.entries(paramsToHeader(r))) out[key] = v !== null && typeof v === 'object' ? JSON.stringify(v) : v;
  return out;
}

/** Hyperparameters as the model header keeps them: paramsToSnake with class_weight's map as a JSON object. */
export function paramsToHeader(r: ResolvedParams): Record<string, SnakeParamValue | Record<string, number>> {
  const task: Task = r.criterion === 'squared_error' ? 'regression' : 'classification';
  const out: Record<string, SnakeParamValue | Record<string, number>> = {};
  for (const key of knownParams(task)) {
    const v = r[key];
    out[SNAKE[key]] = v !== null && typeof v === 'object' ? { ...v } : (v as SnakeParamValue);
  }
  return out;
}

/**
 * The inverse of paramsToSnake / paramsToHeader, for reading a model header or tracked params
 * (class_weight as a map or its JSON text; headers written before criterion existed have none).
 */
export function paramsFromSnake(o: Record<string, unknown>, task: Task = 'regression'): Partial<ResolvedParams> {
  const out: Record<string, unknown> = {};
  for (const key of knownParams(task)) if (SNAKE[key] in o) out[key] = o[SNAKE[key]];
  if (typeof out.classWeight === 'string' && out.classWeight.trim().startsWith('{')) {
    try {
      out.classWeight = JSON.parse(out.classWeight);
    } catch {
      throw invalidOption('class_weight', out.classWeight, 'is not a valid JSON object of label -> weight');
    }
  }
  return out as Partial<ResolvedParams>;
}
