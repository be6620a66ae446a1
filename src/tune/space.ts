/**
 * The search space: which hyperparameters a study tunes and over what values.
 *
 * TypeScript form: `{ n_estimators: int(10, 200), max_depth: choice([null, 4, 8]), ... }` built
 * with the constructors below. Keys are the snake_case hyperparameter names, as everywhere a
 * user writes outside TypeScript.
 *
 * JSON form (`grove tune --space space.json`, and the study run's `space` param), one entry per
 * hyperparameter:
 *
 *   {
 *     "n_estimators":     {"int": [10, 200]},                 // integers low..high, both included
 *     "min_samples_leaf": {"int": [1, 32], "log": true},      // uniform in log space
 *     "min_samples_split":{"int": [2, 20], "step": 2},        // 2, 4, ..., 20
 *     "max_samples":      {"float": [0.5, 1.0], "step": 0.1}, // 0.5, 0.6, ..., 1.0
 *     "min_impurity_decrease": {"float": [0.0001, 0.1], "log": true},
 *     "max_depth":        {"choice": [null, 4, 8, 16]},       // null = no limit
 *     "max_features":     {"grid": ["sqrt", 0.5]},            // enumerated by the grid sampler
 *     "bootstrap":        true                                // a fixed value (string, number, boolean or null)
 *   }
 *
 * A fixed value is stored as a one-value choice, and a one-value choice is written back as the
 * plain value, so parseSpace(spaceToJson(s)) deep-equals s. "log" and "step" are optional and
 * exclusive; "log" needs low > 0. "choice" and "grid" differ only for the grid sampler (random
 * and TPE draw from both alike; the grid sampler enumerates both).
 *
 * Classification studies may also tune "criterion" ({"choice": ["gini", "entropy"]}) and
 * "class_weight" ({"choice": [null, "balanced", "balanced_subsample"]}, null or "none" = every
 * class weighs 1); a regression study may fix "criterion" to "squared_error" and has no
 * class_weight (checkSpaceForTask).
 *
 * The default space is the seed's. max_depth "none or 2-20" is a plain choice over
 * [null, 2, 3, ..., 20]: no conditional spaces, at the price that TPE sees depths as unordered
 * categories. A classification study's default adds criterion and class_weight, and draws
 * max_features from choices suited to classifiers (sqrt, scikit-learn's default, first).
 */
import { GroveError, closest, formatValue } from '../errors.js';
import { resolveParams, SNAKE, type Criterion, type RandomForestClassifierParams, type RandomForestParams } from '../forest/params.js';
import type { Task } from './trial-task.js';

export type ParamValue = string | number | boolean | null;
/** One trial's hyperparameters, snake_case keys. */
export type Config = Record<string, ParamValue>;
export type Distribution =
  | { type: 'int'; low: number; high: number; log?: boolean; step?: number }
  | { type: 'float'; low: number; high: number; log?: boolean; step?: number }
  | { type: 'choice'; choices: ParamValue[] }
  | { type: 'grid'; values: ParamValue[] };
export type SearchSpace = Record<string, Distribution>;

export interface RangeOptions {
  log?: boolean;
  step?: number;
}

// Only set log/step when meaningful, so constructed and parsed spaces deep-equal each other.
function range(type: 'int' | 'float', low: number, high: number, options: RangeOptions): Distribution {
  const d: { type: 'int' | 'float'; low: number; high: number; log?: boolean; step?: number } = { type, low, high };
  if (options.log === true) d.log = true;
  if (options.step !== undefined) d.step = options.step;
  return d as Distribution;
}

/** Integers low..high (both included). Validated with the parameter name by validateSpace. */
export function int(low: number, high: number, options: RangeOptions = {}): Distribution {
  return range('int', low, high, options);
}

/** Numbers in [low, high]. */
export function float(low: number, high: number, options: RangeOptions = {}): Distribution {
  return range('float', low, high, options);
}

/** One of the values; `null` means "no limit" where the hyperparameter allows it. */
export function choice(choices: ParamValue[]): Distribution {
  return { type: 'choice', choices: [...choices] };
}

/** Values the grid sampler enumerates exhaustively. */
export function grid(values: ParamValue[]): Distribution {
  return { type: 'grid', values: [...values] };
}

/** What a configuration stands for: forest params (camelCase), criterion and class_weight included. */
export type TunedParams = Omit<RandomForestParams, 'criterion'> & Pick<RandomForestClassifierParams, 'classWeight'> & { criterion?: Criterion };

/** Values of the hyperparameters that resolveParams does not check (one forest kind only). */
const CRITERIA: Record<Task, readonly string[]> = { classification: ['gini', 'entropy'], regression: ['squared_error'] };
const CLASS_WEIGHTS: readonly ParamValue[] = [null, 'none', 'balanced', 'balanced_subsample'];

/** The hyperparameters a space may tune, with the numeric distributions each accepts. */
const TUNABLE: Record<string, { camel: keyof TunedParams; numeric: ('int' | 'float')[] }> = {
  n_estimators: { camel: 'nEstimators', numeric: ['int'] },
  max_depth: { camel: 'maxDepth', numeric: ['int'] },
  min_samples_split: { camel: 'minSamplesSplit', numeric: ['int'] },
  min_samples_leaf: { camel: 'minSamplesLeaf', numeric: ['int'] },
  max_features: { camel: 'maxFeatures', numeric: ['int', 'float'] },
  bootstrap: { camel: 'bootstrap', numeric: [] },
  max_samples: { camel: 'maxSamples', numeric: ['float'] },
  min_impurity_decrease: { camel: 'minImpurityDecrease', numeric: ['float'] },
  criterion: { camel: 'criterion', numeric: [] },
  class_weight: { camel: 'classWeight', numeric: [] },
};

export const TUNABLE_PARAMS: readonly string[] = Object.keys(TUNABLE);

/** The seed's space; for classification, with criterion, class_weight and classifier max_features. */
export function defaultSpace(task: Task = 'regression'): SearchSpace {
  const depths: ParamValue[] = [null];
  for (let d = 2; d <= 20; d++) depths.push(d);
  const common = {
    n_estimators: int(10, 200),
    max_depth: choice(depths),
    min_samples_split: int(2, 10),
    min_samples_leaf: int(1, 10),
  };
  if (task === 'classification') {
    return {
      ...common,
      max_features: choice(['sqrt', 'log2', 0.2, 0.5, 'all']),
      criterion: choice(['gini', 'entropy']),
      class_weight: choice([null, 'balanced', 'balanced_subsample']),
    };
  }
  return { ...common, max_features: choice(['all', 'sqrt', 0.5, 0.33]) };
}

/** Values a distribution can produce, or null for a numeric range. */
function valuesOf(d: Distribution): ParamValue[] | null {
  return d.type === 'choice' ? d.choices : d.type === 'grid' ? d.values : null;
}

/**
 * The task rules of a space (the study knows its task once the data is prepared): class_weight
 * only for classification, criterion gini/entropy for classification and squared_error for
 * regression.
 */
export function checkSpaceForTask(space: SearchSpace, task: Task, source?: string): void {
  if (task === 'regression' && space.class_weight) {
    throw spaceError(
      source,
      'class_weight',
      'applies to classification only, and this study is a regression (the target is numeric; --task classification to classify it)',
      spaceToJson({ class_weight: space.class_weight }).class_weight,
    );
  }
  const criterion = space.criterion;
  if (!criterion) return;
  for (const v of valuesOf(criterion) ?? []) {
    if (!CRITERIA[task].includes(v as string)) {
      throw spaceError(source, 'criterion', `${formatValue(v)} is not a ${task} criterion (a ${task} study takes ${CRITERIA[task].join(' or ')})`, v);
    }
  }
}

function spaceError(source: string | undefined, key: string, message: string, value: unknown): GroveError {
  const where = source ? `search space ${source}` : 'search space';
  return new GroveError('INVALID_OPTION', `${where}: ${key}: ${message}`, { option: key, value, file: source });
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isParamValue(v: unknown): v is ParamValue {
  return v === null || typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v));
}

const FORM_KEYS = ['int', 'float', 'choice', 'grid'] as const;

/** The JSON form (see the header comment) to a validated SearchSpace. `source` names the file in errors. */
export function parseSpace(json: unknown, source?: string): SearchSpace {
  if (!isPlainObject(json)) {
    throw new GroveError('INVALID_OPTION', `search space${source ? ` ${source}` : ''}: must be a JSON object of hyperparameter name -> distribution (got ${formatValue(json)})`, {
      option: 'space',
      file: source,
    });
  }
  const space: SearchSpace = {};
  for (const [key, entry] of Object.entries(json)) {
    checkName(key, entry, source);
    space[key] = parseEntry(key, entry, source);
  }
  validateSpace(space, source);
  return space;
}

function parseEntry(key: string, entry: unknown, source: string | undefined): Distribution {
  if (isParamValue(entry)) return choice([entry]);
  if (!isPlainObject(entry)) {
    throw spaceError(source, key, `must be a fixed value or an object like {"int": [low, high]}, {"float": [low, high]}, {"choice": [...]} or {"grid": [...]}`, entry);
  }
  const forms = FORM_KEYS.filter((f) => f in entry);
  if (forms.length !== 1) {
    throw spaceError(source, key, `needs exactly one of "int", "float", "choice", "grid" (got ${forms.length ? forms.join(', ') : 'none'})`, entry);
  }
  const form = forms[0];
  const allowed = form === 'int' || form === 'float' ? [form, 'log', 'step'] : [form];
  for (const k of Object.keys(entry)) {
    if (!allowed.includes(k)) {
      const hint = closest(k, allowed);
      throw spaceError(
        source,
        key,
        `unknown field "${k}" in ${form === 'int' ? 'an' : 'a'} ${form} distribution${hint && hint !== form ? `; did you mean "${hint}"?` : ''} (allowed: ${allowed.join(', ')})`,
        entry,
      );
    }
  }
  const body = entry[form];
  if (form === 'choice' || form === 'grid') {
    if (!Array.isArray(body)) throw spaceError(source, key, `"${form}" must be an array of values`, body);
    for (const v of body) if (!isParamValue(v)) throw spaceError(source, key, `${form} values must be strings, finite numbers, booleans or null`, v);
    return form === 'choice' ? choice(body as ParamValue[]) : grid(body as ParamValue[]);
  }
  if (!Array.isArray(body) || body.length !== 2 || typeof body[0] !== 'number' || typeof body[1] !== 'number') {
    throw spaceError(source, key, `"${form}" must be [low, high] (two numbers)`, body);
  }
  const log = entry.log;
  if (log !== undefined && typeof log !== 'boolean') throw spaceError(source, key, '"log" must be true or false', log);
  const step = entry.step;
  if (step !== undefined && typeof step !== 'number') throw spaceError(source, key, '"step" must be a number', step);
  return range(form, body[0], body[1], { log, step });
}

function checkName(key: string, value: unknown, source: string | undefined): void {
  if (key in TUNABLE) return;
  // Known forest options that the tuner sets itself get a specific hint.
  const owned: Record<string, string> = {
    seed: 'the study seed (--seed) sets it',
    threads: 'the thread budget (--threads-per-trial) sets it',
    backend: 'it is not a model hyperparameter',
    split_mode: 'it is not tuned',
    max_bins: 'it is not tuned',
  };
  if (key in owned) throw spaceError(source, key, `cannot be searched: ${owned[key]} (tunable: ${TUNABLE_PARAMS.join(', ')})`, value);
  const camel = Object.entries(SNAKE).find(([c]) => c === key)?.[1];
  const hint = camel && camel in TUNABLE ? camel : closest(key, TUNABLE_PARAMS);
  throw spaceError(source, key, `unknown hyperparameter${hint ? `; did you mean ${hint}?` : ''} (tunable: ${TUNABLE_PARAMS.join(', ')})`, value);
}

/** Every rule a space must satisfy; errors name the parameter. parseSpace and createSampler call it. */
export function validateSpace(space: SearchSpace, source?: string): void {
  if (!isPlainObject(space)) throw new GroveError('INVALID_OPTION', `search space: must be an object (got ${formatValue(space)})`, { option: 'space' });
  const keys = Object.keys(space);
  if (keys.length === 0) throw new GroveError('INVALID_OPTION', `search space${source ? ` ${source}` : ''}: is empty; give at least one hyperparameter`, { option: 'space', file: source });
  for (const key of keys) {
    checkName(key, space[key], source);
    validateDistribution(key, space[key], source);
  }
  checkBootstrapRule(space, source);
}

// The value rules are resolveParams' own, applied to one hyperparameter at a time.
function checkValue(key: string, value: unknown, where: string, source: string | undefined): void {
  if (key === 'criterion') {
    const all = [...CRITERIA.classification, ...CRITERIA.regression];
    if (!all.includes(value as string)) throw spaceError(source, key, `${where}: must be one of ${all.join(', ')}`, value);
    return;
  }
  if (key === 'class_weight') {
    if (!CLASS_WEIGHTS.includes(value as ParamValue)) throw spaceError(source, key, `${where}: must be null (or "none"), "balanced" or "balanced_subsample"`, value);
    return;
  }
  try {
    resolveParams({ [TUNABLE[key].camel]: value } as RandomForestParams);
  } catch (err) {
    if (!(err instanceof GroveError)) throw err;
    const why = err.message.startsWith(`${key}: `) ? err.message.slice(key.length + 2) : err.message;
    throw spaceError(source, key, `${where}: ${why}`, value);
  }
}

function validateDistribution(key: string, d: Distribution, source: string | undefined): void {
  if (!isPlainObject(d)) throw spaceError(source, key, 'must be a distribution (int, float, choice or grid)', d);
  const fail = (message: string, value: unknown = d) => spaceError(source, key, message, value);
  if (d.type === 'choice' || d.type === 'grid') {
    const values = d.type === 'choice' ? d.choices : d.values;
    if (!Array.isArray(values) || values.length === 0) throw fail(`${d.type} needs at least one value`);
    values.forEach((v, i) => {
      if (!isParamValue(v)) throw fail(`${d.type} values must be strings, finite numbers, booleans or null`, v);
      if (values.indexOf(v) !== i) throw fail(`${d.type} lists ${formatValue(v)} twice`, v);
      checkValue(key, v, `${d.type} value ${formatValue(v)}`, source);
    });
    return;
  }
  if (d.type !== 'int' && d.type !== 'float') throw fail(`unknown distribution type ${formatValue((d as { type: unknown }).type)} (int, float, choice, grid)`);
  const { low, high, log, step } = d;
  if (!TUNABLE[key].numeric.includes(d.type)) {
    const use = TUNABLE[key].numeric.length ? `use ${TUNABLE[key].numeric.join(' or ')}` : 'use choice';
    throw fail(`cannot be ${d.type === 'int' ? 'an' : 'a'} ${d.type} range; ${use}`);
  }
  if (typeof low !== 'number' || typeof high !== 'number' || !Number.isFinite(low) || !Number.isFinite(high)) throw fail('low and high must be finite numbers');
  if (d.type === 'int' && (!Number.isInteger(low) || !Number.isInteger(high))) throw fail(`int bounds must be integers (got [${low}, ${high}])`);
  if (low >= high) throw fail(`low must be below high (got [${low}, ${high}]); for a fixed value write the value itself`);
  if (log !== undefined && typeof log !== 'boolean') throw fail('log must be true or false', log);
  if (log && low <= 0) throw fail(`log needs low > 0 (got low ${low})`);
  if (step !== undefined) {
    if (log) throw fail('log and step cannot be combined');
    if (typeof step !== 'number' || !Number.isFinite(step) || step <= 0) throw fail(`step must be a number > 0 (got ${formatValue(step)})`, step);
    if (d.type === 'int' && !Number.isInteger(step)) throw fail(`an int step must be an integer (got ${step})`, step);
    if (step > high - low) throw fail(`step ${step} is larger than the range [${low}, ${high}]`, step);
    const n = (high - low) / step;
    if (Math.abs(n - Math.round(n)) > 1e-9 * Math.max(1, n)) {
      const fixed = cleanFloat(low + Math.floor(n) * step);
      throw fail(`step ${step} does not divide [${low}, ${high}]; make high ${fixed} or pick another step`, step);
    }
  }
  checkValue(key, low, `low ${low}`, source);
  checkValue(key, high, `high ${high}`, source);
  // 1.0 as a number is a count of one feature, not "all": keep float fractions below 1.
  if (key === 'max_features' && d.type === 'float' && high >= 1) {
    throw fail(`a float range is a fraction of the features and must stay below 1 (got high ${high}); 1 would mean one feature — add 'all' with a choice instead`);
  }
}

// max_samples applies only with bootstrap (resolveParams' rule), so no config may pair them badly.
function checkBootstrapRule(space: SearchSpace, source: string | undefined): void {
  const ms = space.max_samples;
  if (!ms) return;
  const msAlwaysNull = ms.type === 'choice' ? ms.choices.every((v) => v === null) : ms.type === 'grid' ? ms.values.every((v) => v === null) : false;
  if (msAlwaysNull) return;
  const b = space.bootstrap;
  const mayBeFalse = b !== undefined && (b.type === 'choice' ? b.choices.includes(false) : b.type === 'grid' ? b.values.includes(false) : false);
  if (mayBeFalse) throw spaceError(source, 'max_samples', 'applies only with bootstrap, but bootstrap may be false in this space; fix bootstrap to true or max_samples to null', ms);
}

/** The JSON form of a space; parseSpace(spaceToJson(s)) deep-equals s. */
export function spaceToJson(space: SearchSpace): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, d] of Object.entries(space)) {
    if (d.type === 'choice') out[key] = d.choices.length === 1 ? d.choices[0] : { choice: [...d.choices] };
    else if (d.type === 'grid') out[key] = { grid: [...d.values] };
    else {
      const o: Record<string, unknown> = { [d.type]: [d.low, d.high] };
      if (d.log) o.log = true;
      if (d.step !== undefined) o.step = d.step;
      out[key] = o;
    }
  }
  return out;
}

/** Drops float noise from low + i * step (0.30000000000000004 -> 0.3). */
export function cleanFloat(x: number): number {
  return Number(x.toPrecision(12));
}

/** Whether `value` is one the distribution can produce. */
export function contains(d: Distribution, value: ParamValue): boolean {
  if (d.type === 'choice') return d.choices.includes(value);
  if (d.type === 'grid') return d.values.includes(value);
  if (typeof value !== 'number' || !Number.isFinite(value)) return false;
  const eps = 1e-9 * Math.max(1, Math.abs(d.high - d.low));
  if (value < d.low - eps || value > d.high + eps) return false;
  if (d.type === 'int' && !Number.isInteger(value)) return false;
  if (d.step !== undefined) {
    const n = (value - d.low) / d.step;
    if (Math.abs(n - Math.round(n)) > 1e-9 * Math.max(1, Math.abs(n))) return false;
  }
  return true;
}

/** Checks that a configuration belongs to the space (every key, nothing else) and is a valid forest. */
export function validateConfig(space: SearchSpace, config: Config): void {
  for (const key of Object.keys(space)) {
    if (!(key in config)) throw new GroveError('INVALID_OPTION', `config: ${key}: missing (the search space tunes it)`, { option: key });
    if (!contains(space[key], config[key])) {
      throw new GroveError('INVALID_OPTION', `config: ${key}: ${formatValue(config[key])} is outside the search space ${formatValue(spaceToJson({ [key]: space[key] })[key])}`, {
        option: key,
        value: config[key],
      });
    }
  }
  for (const key of Object.keys(config)) {
    if (!(key in space)) throw new GroveError('INVALID_OPTION', `config: ${key}: not in the search space`, { option: key, value: config[key] });
  }
  resolveParams(forestParamsFor(config, 'regression'));
}

/**
 * A configuration as the params of the forest of `task`: a regressor has no class_weight and
 * only squared_error (its default), so both stay out of its params; class_weight "none" is null.
 */
export function forestParamsFor(config: Config, task: 'regression'): RandomForestParams;
export function forestParamsFor(config: Config, task: 'classification'): RandomForestClassifierParams;
export function forestParamsFor(config: Config, task: Task): RandomForestParams | RandomForestClassifierParams;
export function forestParamsFor(config: Config, task: Task): RandomForestParams | RandomForestClassifierParams {
  const params = configToParams(config);
  if (task === 'regression') {
    delete params.criterion;
    delete params.classWeight;
    return params as RandomForestParams;
  }
  if ((params.classWeight as unknown) === 'none') params.classWeight = null;
  return params as RandomForestClassifierParams;
}

/** snake_case config -> the forest params (camelCase) it stands for. */
export function configToParams(config: Config): TunedParams {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(config)) {
    const t = TUNABLE[key];
    if (!t) throw new GroveError('INVALID_OPTION', `config: ${key}: unknown hyperparameter`, { option: key, value });
    out[t.camel] = value;
  }
  return out as TunedParams;
}
