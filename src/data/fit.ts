// Fitting the Preprocessing record on the training rows only: category lists and imputation
// values come from those rows and nothing else, so validation and test rows never leak in.
import { GroveError } from '../errors.js';
import type { Column } from './column.js';
import { PREPROCESSING_VERSION } from '../constants.js';
import type { ImputeStrategy, InputColumn, MissingPolicy, Preprocessing, UnseenPolicy } from './preprocessing.js';

export interface FitOptions {
  oneHot?: boolean;
  unseenCategory?: UnseenPolicy;
  missing: MissingPolicy;
  impute?: ImputeStrategy;
}

export function fitPreprocessing(features: Column[], target: string, train: Int32Array, options: FitOptions, source: string, notes: string[]): Preprocessing {
  const columns: InputColumn[] = [];
  const featureNames: string[] = [];
  const strategy = options.missing === 'impute' ? (options.impute ?? 'median') : null;
  const fallbackNamed: string[] = [];
  for (const f of features) {
    if (f.kind === 'categorical') {
      const counts = countCategories(f.values as (string | null)[], train);
      const categories = [...counts.keys()].sort(compareText);
      const spec: InputColumn = { name: f.name, type: 'categorical', encoding: options.oneHot ? 'one-hot' : 'ordinal', categories };
      if (options.unseenCategory === 'fallback' && !options.oneHot) spec.fallback_code = categories.length;
      if (strategy) {
        if (counts.size === 0) throw noTrainingValues(f.name, source);
        if (strategy !== 'most-frequent') fallbackNamed.push(f.name);
        spec.impute_value = mostFrequent(counts);
      }
      columns.push(spec);
      if (options.oneHot) for (const c of categories) featureNames.push(`${f.name}=${c}`);
      else featureNames.push(f.name);
    } else {
      const type = f.kind === 'boolean' ? 'boolean' : 'numeric';
      const spec: InputColumn = { name: f.name, type };
      if (strategy) {
        const present = presentValues(f.values as Float64Array, train);
        if (present.length === 0) throw noTrainingValues(f.name, source);
        if (type === 'boolean' && strategy !== 'most-frequent') fallbackNamed.push(f.name);
        spec.impute_value = type === 'boolean' || strategy === 'most-frequent' ? modeOf(present) : strategy === 'mean' ? meanOf(present) : medianOf(present);
      }
      columns.push(spec);
      featureNames.push(f.name);
    }
  }
  if (fallbackNamed.length > 0) notes.push(`${strategy} imputation does not apply to categorical or boolean columns; used the most frequent value for ${fallbackNamed.join(', ')}`);
  return {
    version: PREPROCESSING_VERSION,
    target,
    columns,
    feature_names: featureNames,
    unseen_category: options.unseenCategory ?? 'error',
    missing: options.missing,
    impute_strategy: strategy,
  };
}

/** Code-unit order: the same on every machine and locale. */
function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function countCategories(values: (string | null)[], rows: Int32Array): Map<string, number> {
  const counts = new Map<string, number>();
  for (let k = 0; k < rows.length; k++) {
    const v = values[rows[k]];
    if (v !== null) counts.set(v, (counts.get(v) ?? 0) + 1);
  }
  return counts;
}

function mostFrequent(counts: Map<string, number>): string {
  let best = '';
  let bestCount = -1;
  for (const [v, c] of counts) if (c > bestCount || (c === bestCount && v < best)) [best, bestCount] = [v, c];
  return best;
}

function presentValues(values: Float64Array, rows: Int32Array): Float64Array {
  const out = new Float64Array(rows.length);
  let n = 0;
  for (let k = 0; k < rows.length; k++) {
    const v = values[rows[k]];
    if (v === v) out[n++] = v;
  }
  return out.subarray(0, n);
}

function medianOf(v: Float64Array): number {
  const s = Float64Array.from(v).sort();
  const h = s.length >> 1;
  return s.length % 2 === 1 ? s[h] : (s[h - 1] + s[h]) / 2;
}

function meanOf(v: Float64Array): number {
  let sum = 0;
  for (let i = 0; i < v.length; i++) sum += v[i];
  return sum / v.length;
}

/** Most frequent value; ties go to the smallest. */
function modeOf(v: Float64Array): number {
  const s = Float64Array.from(v).sort();
  let best = s[0];
  let bestRun = 0;
  for (let i = 0; i < s.length; ) {
    let j = i;
    while (j < s.length && s[j] === s[i]) j++;
    if (j - i > bestRun) [best, bestRun] = [s[i], j - i];
    i = j;
  }
  return best;
}

function noTrainingValues(name: string, source: string): GroveError {
  return new GroveError('INVALID_DATA', `${source}: column "${name}" has no values in the training rows, so there is nothing to impute from; drop it with --drop ${name}`, {
    file: source,
    column: name,
  });
}
