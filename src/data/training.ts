// The training path: select columns, check the target, handle missing values, split, fit the
// preprocessing on the training part, and apply it to every part through applyPreprocessing.
import { invalidOption } from '../errors.js';
import type { TypedMatrix } from '../matrix.js';
import { missingRows, listRows, type Column } from './column.js';
import { fingerprintColumns } from './fingerprint.js';
import { fitPreprocessing } from './fit.js';
import type { LoadedData } from './loaded.js';
import { applyPreprocessing, type ImputeStrategy, type MissingPolicy, type Preprocessing, type UnseenPolicy } from './preprocessing.js';
import { GroveError } from '../errors.js';
import { MAX_CLASSES } from './task.js';
import { checkUsable, selectColumns, type SelectOptions, type Selection } from './select.js';
import { kFold, splitRows, stratifiedKFold, stratifiedSplitRows, type SplitFractions } from './split.js';
import { classIndex, compareLabels, type Label } from '../labels.js';
import type { Task } from './task.js';

export interface PrepareOptions extends SelectOptions {
  /** one engine column per category instead of ordinal codes */
  oneHot?: boolean;
  unseenCategory?: UnseenPolicy;
  impute?: ImputeStrategy;
  dropMissingRows?: boolean;
  /** fractions of the usable rows held out, chosen with `seed` */
  validationFraction?: number;
  testFraction?: number;
  seed?: number;
  /** each class in the same fractions in every part and fold (default: on for classification; regression cannot) */
  stratify?: boolean;
}

export interface PreparedPart {
  /** column-major */
  x: Required<TypedMatrix>;
  /** regression: the target; classification: class indices into PreparedData.classes */
  y: Float64Array;
  /** 1-based data rows of the source, one per matrix row */
  rowNumbers: Int32Array;
}

export interface PreparedData extends PreparedPart {
  featureNames: string[];
  preprocessing: Preprocessing;
  /** sha256 of the selected columns (features and target), all rows as loaded: the same for every split */
  fingerprint: string;
  notes: string[];
  task: Task;
  /** classification: the sorted class labels (every one has a training row); y holds indices into it */
  classes?: Label[];
  validation?: PreparedPart;
  test?: PreparedPart;
}

export function prepareTraining(data: LoadedData, options: PrepareOptions = {}): PreparedData {
  const base = prepareBase(data, options);
  if (!options.validationFraction && !options.testFraction) return build(data, base, base.usable, {}, options);
  const split = splitUsable(base, base.usable, { validation: options.validationFraction, test: options.testFraction }, options.seed ?? 0);
  return build(data, base, split.train, { validation: split.validation, test: split.test }, options);
}

/** Splits data rows (a subset of base.usable), stratified when the base says so. */
function splitUsable(base: Base, rows: Int32Array, fractions: SplitFractions, seed: number): { train: Int32Array; validation: Int32Array; test: Int32Array } {
  const split = base.stratify ? stratifiedSplitRows(classesAt(base, rows), base.classes!.length, fractions, seed) : splitRows(rows.length, fractions, seed);
  const at = (positions: Int32Array) => positions.map((p) => rows[p]);
  return { train: at(split.train), validation: at(split.validation), test: at(split.test) };
}

function classesAt(base: Base, rows: Int32Array): Int32Array {
  const out = new Int32Array(rows.length);
  for (let k = 0; k < rows.length; k++) out[k] = base.y[rows[k]];
  return out;
}

/**
 * k-fold cross-validation: one PreparedData per fold, fitted on the other folds, `validation` =
 * the fold. With testFraction, the test rows (the same rows prepareTraining holds out for that
 * seed and fraction) are set aside first and every fold carries them as `test`.
 */
export function prepareFolds(data: LoadedData, folds: number, options: PrepareOptions = {}): PreparedData[] {
  if (options.validationFraction) throw invalidOption('folds', folds, 'cannot be combined with a validation fraction');
  const base = prepareBase(data, options);
  let pool = base.usable;
  let test: Int32Array | undefined;
  if (options.testFraction) {
    const split = splitUsable(base, base.usable, { test: options.testFraction }, options.seed ?? 0);
    pool = split.train;
    test = split.test;
  }
  const parts = base.stratify ? stratifiedKFold(classesAt(base, pool), base.classes!.length, folds, options.seed ?? 0) : kFold(pool.length, folds, options.seed ?? 0);
  return parts.map((f) =>
    build(
      data,
      base,
      f.train.map((p) => pool[p]),
      { validation: f.validation.map((p) => pool[p]), test },
      options,
    ),
  );
}

interface Base {
  selection: Selection;
  usable: Int32Array;
  missing: MissingPolicy;
  fingerprint: string;
  notes: string[];
  /** per data row: the target (regression) or its class index (classification) */
  y: Float64Array;
  classes: Label[] | null;
  stratify: boolean;
}

function prepareBase(data: LoadedData, options: PrepareOptions): Base {
  if (options.impute !== undefined && !['median', 'mean', 'most-frequent'].includes(options.impute)) {
    throw invalidOption('impute', options.impute, 'must be median, mean or most-frequent');
  }
  if (options.impute && options.dropMissingRows) throw invalidOption('impute', options.impute, 'cannot be combined with --drop-missing-rows');
  if (options.unseenCategory !== undefined && options.unseenCategory !== 'error' && options.unseenCategory !== 'fallback') {
    throw invalidOption('unseen-category', options.unseenCategory, 'must be error or fallback');
  }
  const selection = selectColumns(data, options);
  const notes = [...data.notes, ...selection.notes];
  const missing: MissingPolicy = options.impute ? 'impute' : options.dropMissingRows ? 'drop-rows' : 'error';
  let usable = selection.labelled;
  if (missing !== 'impute') {
    const gaps = selection.features.map((f) => ({ f, ...missingRows(f, usable) })).filter((g) => g.count > 0);
    if (gaps.length > 0 && missing === 'error') {
      throw new GroveError(
        'INVALID_DATA',
        `${data.source}: missing values in ${gaps.length === 1 ? 'column' : 'columns'} ` +
          gaps.map((g) => `"${g.f.name}" (${g.count} row${g.count === 1 ? '' : 's'}: ${listRows(g.first, g.count)})`).join(', ') +
          '; use --impute median|mean|most-frequent or --drop-missing-rows',
        { file: data.source, column: gaps[0].f.name, row: gaps[0].first[0] + 1 },
      );
    }
    if (gaps.length > 0) usable = dropIncomplete(selection.features, usable, data.source, notes);
  }
  checkUsable(selection.target, usable, data.source, selection.labels);
  const selected = new Set<Column>([...selection.features, selection.target]);
  const fingerprint = fingerprintColumns(data.columns.filter((c) => selected.has(c)));
  if (selection.task === 'regression') {
    if (options.stratify) throw invalidOption('stratify', true, 'applies to classification only (the target is a regression target; --task classification reads it as classes)');
    return { selection, usable, missing, fingerprint, notes, y: selection.target.values as Float64Array, classes: null, stratify: false };
  }
  const labels = selection.labels!;
  const seen = new Set<Label>(); // one kind, none missing: selectColumns checked
  for (let k = 0; k < usable.length; k++) seen.add(labels[usable[k]]);
  const classes = [...seen].sort(compareLabels);
  if (classes.length > MAX_CLASSES) {
    throw new GroveError(
      'INVALID_DATA',
      `${data.source}: target column "${selection.target.name}" has ${classes.length} classes; a classifier takes at most ${MAX_CLASSES} (--task regression for a quantity)`,
      {
        file: data.source,
        column: selection.target.name,
      },
    );
  }
  const index = classIndex(classes);
  const y = new Float64Array(labels.length).fill(Number.NaN); // rows outside `usable` (dropped for missing features) stay NaN
  for (let k = 0; k < usable.length; k++) y[usable[k]] = index.get(labels[usable[k]])!;
  const stratify = options.stratify ?? true;
  if (stratify && (options.validationFraction || options.testFraction)) checkClassSizes(y, classes, usable, data.source, selection.target.name);
  return { selection, usable, missing, fingerprint, notes, y, classes, stratify };
}

/** A stratified split puts every class in training and in the held-out parts: a class needs 2 rows. */
function checkClassSizes(y: Float64Array, classes: Label[], usable: Int32Array, source: string, column: string): void {
  const count = new Int32Array(classes.length);
  const row = new Int32Array(classes.length);
  for (const i of usable) {
    count[y[i]]++;
    row[y[i]] = i + 1;
  }
  const c = count.indexOf(1);
  if (c >= 0) {
    throw new GroveError(
      'INVALID_DATA',
      `${source}: class ${JSON.stringify(classes[c])} of target column "${column}" has a single row (data row ${row[c]}); a stratified split needs at least 2 rows per class: add rows of that class, remove the row, or split with --no-stratify`,
      { file: source, column, row: row[c], value: classes[c] },
    );
  }
}

function dropIncomplete(features: Column[], rows: Int32Array, source: string, notes: string[]): Int32Array {
  const keep = new Uint8Array(rows.length).fill(1);
  for (const f of features) {
    const v = f.values;
    for (let k = 0; k < rows.length; k++) {
      const x = v[rows[k]];
      if (x === null || (typeof x === 'number' && x !== x)) keep[k] = 0;
    }
  }
  const kept = rows.filter((_, k) => keep[k] === 1);
  notes.push(`${source}: dropped ${rows.length - kept.length} row${rows.length - kept.length === 1 ? '' : 's'} with missing feature values (--drop-missing-rows)`);
  return kept;
}

function build(data: LoadedData, base: Base, train: Int32Array, held: { validation?: Int32Array; test?: Int32Array }, options: PrepareOptions): PreparedData {
  const { selection } = base;
  const notes = [...base.notes];
  const preprocessing = fitPreprocessing(
    selection.features,
    selection.target.name,
    train,
    { oneHot: options.oneHot, unseenCategory: options.unseenCategory, missing: base.missing, impute: options.impute },
    data.source,
    notes,
  );
  const part = (rows: Int32Array, label: string | null): PreparedPart => {
    // Held-out rows may hold categories the training part never saw: they get the fallback code
    // (with a note) rather than failing the split; the recorded policy still governs prediction.
    const all = rows.length === data.table.numRows(); // rows are sorted and distinct: all rows, in order
    const applied = applyPreprocessing(data, preprocessing, { rows: all ? null : rows, unseenCategory: label ? 'fallback' : undefined, noteExtraColumns: false });
    for (const n of applied.notes) notes.push(label ? `${label} part: ${n}` : n);
    const yAll = base.y;
    const y = all ? Float64Array.from(yAll) : new Float64Array(rows.length);
    const rowNumbers = new Int32Array(rows.length);
    for (let k = 0; k < rows.length; k++) {
      if (!all) y[k] = yAll[rows[k]];
      rowNumbers[k] = rows[k] + 1;
    }
    return { x: applied.x, y, rowNumbers };
  };
  if (base.classes) checkTrainingClasses(base, train, held, data.source);
  const trainPart = part(train, null);
  const out: PreparedData = { ...trainPart, featureNames: preprocessing.feature_names.slice(), preprocessing, fingerprint: base.fingerprint, notes, task: selection.task };
  if (base.classes) out.classes = base.classes.slice();
  if (held.validation && held.validation.length > 0) out.validation = part(held.validation, 'validation');
  if (held.test && held.test.length > 0) out.test = part(held.test, 'test');
  return out;
}

/** Every class must have a training row: a class only held out could never be predicted (and has no index in the model). */
function checkTrainingClasses(base: Base, train: Int32Array, held: { validation?: Int32Array; test?: Int32Array }, source: string): void {
  const classes = base.classes!;
  const seen = new Uint8Array(classes.length);
  for (const i of train) seen[base.y[i]] = 1;
  if (seen.every((s) => s === 1)) return;
  for (const [part, rows] of [
    ['test', held.test],
    ['validation', held.validation],
  ] as const) {
    for (const i of rows ?? []) {
      const c = base.y[i];
      if (seen[c]) continue;
      const column = base.selection.target.name;
      throw new GroveError(
        'INVALID_DATA',
        `${source}: data row ${i + 1} (${part} part) has class ${JSON.stringify(classes[c])} of target column "${column}", which no training row has; ` +
          `a classifier cannot learn a class it never saw: ${base.stratify ? 'add rows of that class' : 'split with --stratify or add rows of that class'}`,
        { file: source, column, row: i + 1, value: classes[c] },
      );
    }
  }
  throw new GroveError('INTERNAL', 'a class has no row in any part');
}
