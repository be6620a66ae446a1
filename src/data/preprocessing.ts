// The Preprocessing record and the one function that applies it. Training and prediction both
// go through applyPreprocessing, so raw rows at prediction become exactly the training matrix.
// The record is stored verbatim in the model file header, hence its snake_case keys.
import type { ColumnTable } from 'arquero';
import { GroveError, closest, formatValue } from '../errors.js';
import type { TypedMatrix } from '../matrix.js';
import { classifyText } from './cells.js';
import { listRows, normalizeColumn, type Column } from './column.js';
import { MAX_ROWS_LISTED, PREPROCESSING_VERSION } from '../constants.js';
import type { LoadedData } from './loaded.js';

export type UnseenPolicy = 'error' | 'fallback';
export type ImputeStrategy = 'median' | 'mean' | 'most-frequent';
export type MissingPolicy = 'error' | 'drop-rows' | 'impute';
export type FeatureType = 'numeric' | 'categorical' | 'boolean';

export interface InputColumn {
  name: string;
  type: FeatureType;
  /** categorical only: ordinal codes 0..k-1, or one engine column per category */
  encoding?: 'ordinal' | 'one-hot';
  /** categorical only: code i stands for categories[i] (sorted, as seen in the training part) */
  categories?: string[];
  /** ordinal + unseen "fallback": the code given to categories not seen in training (= categories.length) */
  fallback_code?: number;
  /** present when missing values are imputed: a number (numeric; boolean as 0/1) or a category */
  impute_value?: number | string;
}

export interface Preprocessing {
  version: number;
  target: string;
  /** input columns, in the order of the training file */
  columns: InputColumn[];
  /** engine columns after encoding; one-hot columns are named "column=category" */
  feature_names: string[];
  unseen_category: UnseenPolicy;
  missing: MissingPolicy;
  impute_strategy: ImputeStrategy | null;
}

export interface ApplyOptions {
  /** 0-based rows of the input to use (default all), in this order */
  rows?: Int32Array | null;
  /** Overrides the recorded unseen policy (training uses 'fallback' on validation/test parts). */
  unseenCategory?: UnseenPolicy;
  /** Add a note naming input columns the model does not use (default true). */
  noteExtraColumns?: boolean;
}

export interface AppliedData {
  /** column-major rows x feature_names.length */
  x: Required<TypedMatrix>;
  featureNames: string[];
  rows: number;
  notes: string[];
}

/** Turns raw input (a loaded file or any arquero table) into the engine matrix of `p`. */
export function applyPreprocessing(input: LoadedData | ColumnTable, p: Preprocessing, options: ApplyOptions = {}): AppliedData {
  const source = isLoaded(input) ? input.source : 'input';
  const byName = new Map<string, Column>();
  const available = isLoaded(input) ? input.columns.map((c) => c.name) : input.columnNames();
  const wanted = new Set(p.columns.map((c) => c.name));
  const absent = p.columns.filter((c) => !available.includes(c.name)).map((c) => c.name);
  if (absent.length > 0) {
    // only columns the model does not use can be a misspelling of a missing one
    const unused = available.filter((c) => !wanted.has(c));
    const hints = absent.flatMap((a) => {
      const h = closest(a, unused);
      return h === undefined ? [] : [`"${h}" for "${a}"`];
    });
    throw new GroveError(
      'INVALID_DATA',
      `${source} is missing ${absent.length === 1 ? 'column' : 'columns'} ${absent.map((a) => `"${a}"`).join(', ')} that the model needs ` +
        `(it has: ${available.join(', ')})${hints.length > 0 ? `; did you mean ${hints.join(', ')}?` : ''}`,
      { file: source, column: absent[0] },
    );
  }
  const notes: string[] = [];
  const extra = available.filter((n) => !wanted.has(n) && n !== p.target);
  if (extra.length > 0 && options.noteExtraColumns !== false) notes.push(`${source}: ignored ${extra.length} column${extra.length === 1 ? '' : 's'} the model does not use: ${extra.join(', ')}`);
  for (const spec of p.columns) {
    if (isLoaded(input)) byName.set(spec.name, input.columns.find((c) => c.name === spec.name)!);
    else byName.set(spec.name, normalizeColumn(spec.name, input.array(spec.name) as ArrayLike<unknown>, { source }, spec.type === 'categorical'));
  }

  const total = isLoaded(input) ? input.table.numRows() : input.numRows();
  const rows = options.rows ?? null;
  const n = rows ? rows.length : total;
  const data = new Float64Array(n * p.feature_names.length);
  const unseen = options.unseenCategory ?? p.unseen_category;
  const missing: { name: string; count: number; first: number[] }[] = [];
  let unseenCount = 0;
  let offset = 0;
  for (const spec of p.columns) {
    const column = byName.get(spec.name)!;
    if (spec.type === 'categorical') {
      const r = encodeCategorical(column, spec, data, offset, rows, n, unseen, source);
      if (r.missing.count > 0) missing.push({ name: spec.name, ...r.missing });
      unseenCount += r.unseen;
      offset += spec.encoding === 'one-hot' ? spec.categories!.length * n : n;
    } else {
      const values = numericValues(column, spec, source);
      const out = data.subarray(offset, offset + n);
      if (rows) for (let k = 0; k < n; k++) out[k] = values[rows[k]];
      else out.set(values);
      const m = fillMissing(out, spec.impute_value, rows);
      if (m.count > 0) missing.push({ name: spec.name, ...m });
      offset += n;
    }
  }
  if (missing.length > 0) {
    throw new GroveError(
      'INVALID_DATA',
      `${source}: missing values in ${missing.length === 1 ? 'column' : 'columns'} ` +
        missing.map((m) => `"${m.name}" (${m.count} row${m.count === 1 ? '' : 's'}: ${listRows(m.first, m.count)})`).join(', ') +
        (p.missing === 'error' ? '; train with --impute median|mean|most-frequent or --drop-missing-rows, or fill them in' : '; the model has no imputation value for them'),
      { file: source, column: missing[0].name, row: missing[0].first[0] + 1 },
    );
  }
  if (unseenCount > 0) notes.push(`${source}: ${unseenCount} value${unseenCount === 1 ? '' : 's'} of categories not seen in training got the fallback code`);
  return { x: { data, rows: n, cols: p.feature_names.length, layout: 'col' }, featureNames: p.feature_names.slice(), rows: n, notes };
}

function isLoaded(x: LoadedData | ColumnTable): x is LoadedData {
  return 'columns' in x && Array.isArray((x as LoadedData).columns) && 'table' in x;
}

/** The Float64Array behind a numeric or boolean input, or an error naming the first bad value. */
function numericValues(column: Column, spec: InputColumn, source: string): Float64Array {
  if (column.kind === 'empty' || column.kind === spec.type) return column.values as Float64Array;
  const want = spec.type === 'boolean' ? 'true or false' : 'a number';
  const values = column.values;
  let row = 0;
  let shown: unknown = null;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v === null || (typeof v === 'number' && Number.isNaN(v))) continue;
    // in a text column, numeric-looking cells are fine: report the first that is not
    if (typeof v === 'string' && spec.type === 'numeric' && classifyText(v) === 'number') continue;
    row = i;
    shown = column.kind === 'boolean' ? v === 1 : v;
    break;
  }
  throw new GroveError('INVALID_DATA', `${source}: column "${spec.name}", data row ${row + 1}: ${formatValue(shown)} is not ${want} (the model was trained with ${spec.type} "${spec.name}")`, {
    file: source,
    column: spec.name,
    row: row + 1,
  });
}

/** Replaces NaN in `out` with the imputation value; counts what stays missing. */
function fillMissing(out: Float64Array, fill: number | string | undefined, rows: Int32Array | null): { count: number; first: number[] } {
  let count = 0;
  const first: number[] = [];
  for (let k = 0; k < out.length; k++) {
    if (out[k] !== out[k]) {
      if (typeof fill === 'number') out[k] = fill;
      else {
        if (first.length < MAX_ROWS_LISTED) first.push(rows ? rows[k] : k);
        count++;
      }
    }
  }
  return { count, first };
}

function encodeCategorical(
  column: Column,
  spec: InputColumn,
  data: Float64Array,
  offset: number,
  rows: Int32Array | null,
  n: number,
  unseen: UnseenPolicy,
  source: string,
): { missing: { count: number; first: number[] }; unseen: number } {
  const categories = spec.categories ?? [];
  const codes = new Map(categories.map((c, i) => [c, i]));
  const values = categoricalValues(column);
  const oneHot = spec.encoding === 'one-hot';
  const fallback = spec.fallback_code ?? categories.length;
  const fill = typeof spec.impute_value === 'string' ? spec.impute_value : null;
  const missing = { count: 0, first: [] as number[] };
  let unseenCount = 0;
  for (let k = 0; k < n; k++) {
    const i = rows ? rows[k] : k;
    let s = values[i];
    if (s === null) {
      if (fill === null) {
        if (missing.first.length < MAX_ROWS_LISTED) missing.first.push(i);
        missing.count++;
        continue;
      }
      s = fill;
    }
    const code = codes.get(s);
    if (code === undefined) {
      if (unseen === 'error') {
        throw new GroveError(
          'INVALID_DATA',
          `${source}: column "${spec.name}", data row ${i + 1}: category ${formatValue(s)} was not seen in training ` +
            `(known: ${categories
              .slice(0, 10)
              .map((c) => JSON.stringify(c))
              .join(', ')}${categories.length > 10 ? ', ...' : ''}); ` +
            'train with --unseen-category fallback to accept new categories',
          { file: source, column: spec.name, row: i + 1, value: s },
        );
      }
      unseenCount++;
      if (!oneHot) data[offset + k] = fallback;
      continue; // one-hot: all zeros
    }
    if (oneHot) data[offset + code * n + k] = 1;
    else data[offset + k] = code;
  }
  return { missing, unseen: unseenCount };
}

/** Text of each value; numbers and booleans of a column read as non-text are stringified. */
function categoricalValues(column: Column): (string | null)[] {
  if (column.kind === 'categorical') return column.values as (string | null)[];
  const v = column.values as Float64Array;
  const out = new Array<string | null>(v.length);
  for (let i = 0; i < v.length; i++) out[i] = v[i] !== v[i] ? null : column.kind === 'boolean' ? String(v[i] === 1) : String(v[i]);
  return out;
}

/** Validates a record read back from a model file (or any JSON) and returns it typed. */
export function parsePreprocessing(value: unknown): Preprocessing {
  const bad = (why: string) => new GroveError('INVALID_MODEL', `preprocessing record: ${why}`);
  if (value === null || typeof value !== 'object') throw bad('not an object');
  const p = value as Record<string, unknown>;
  if (p.version !== PREPROCESSING_VERSION) throw bad(`unsupported version ${formatValue(p.version)} (this grove reads ${PREPROCESSING_VERSION})`);
  if (typeof p.target !== 'string') throw bad('target is not a string');
  if (!Array.isArray(p.columns) || p.columns.length === 0) throw bad('columns is not a non-empty array');
  if (!Array.isArray(p.feature_names) || !p.feature_names.every((f) => typeof f === 'string')) throw bad('feature_names is not an array of strings');
  if (p.unseen_category !== 'error' && p.unseen_category !== 'fallback') throw bad('unseen_category must be "error" or "fallback"');
  if (p.missing !== 'error' && p.missing !== 'drop-rows' && p.missing !== 'impute') throw bad('missing must be "error", "drop-rows" or "impute"');
  if (p.impute_strategy !== null && !['median', 'mean', 'most-frequent'].includes(p.impute_strategy as string)) throw bad('impute_strategy is not median, mean, most-frequent or null');
  let width = 0;
  const names = new Set<string>();
  for (const c of p.columns as unknown[]) {
    if (c === null || typeof c !== 'object') throw bad('a column is not an object');
    const col = c as Record<string, unknown>;
    if (typeof col.name !== 'string' || names.has(col.name)) throw bad(`column name ${formatValue(col.name)} is missing or repeated`);
    names.add(col.name);
    if (col.type === 'numeric' || col.type === 'boolean') {
      if (col.impute_value !== undefined && !(typeof col.impute_value === 'number' && Number.isFinite(col.impute_value))) throw bad(`column "${col.name}": impute_value must be a finite number`);
      width += 1;
    } else if (col.type === 'categorical') {
      if (col.encoding !== 'ordinal' && col.encoding !== 'one-hot') throw bad(`column "${col.name}": encoding must be "ordinal" or "one-hot"`);
      if (!Array.isArray(col.categories) || !col.categories.every((s) => typeof s === 'string')) throw bad(`column "${col.name}": categories must be an array of strings`);
      if (col.impute_value !== undefined && typeof col.impute_value !== 'string') throw bad(`column "${col.name}": impute_value must be a category`);
      if (col.fallback_code !== undefined && !Number.isInteger(col.fallback_code)) throw bad(`column "${col.name}": fallback_code must be an integer`);
      width += col.encoding === 'one-hot' ? col.categories.length : 1;
    } else throw bad(`column "${col.name}": type must be numeric, categorical or boolean`);
  }
  if (width !== p.feature_names.length) throw bad(`feature_names has ${p.feature_names.length} names but the columns encode to ${width}`);
  return value as Preprocessing;
}
