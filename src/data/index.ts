/**
 * The data layer: from a file or a built-in name to the engine's typed arrays, and back from
 * raw rows to the same matrix at prediction time.
 *
 * Training (e.g. `grove train --save`):
 *   const data = await loadData('houses.csv');          // or 'diabetes', 'breast-cancer', 'friedman1:5000:7', 'classes:5000:3:7'
 *   const prepared = prepareTraining(data, { target: 'price', impute: 'median', testFraction: 0.2, seed: 1 });
 *   prepared.x          // TypedMatrix, layout 'col', rows x featureNames.length
 *   prepared.y          // Float64Array: the target, or for classification class indices into prepared.classes
 *   prepared.task       // 'classification' | 'regression' (inferred from the target, or options.task)
 *   prepared.featureNames, prepared.test?.x / .y, prepared.notes (print on stderr)
 *   prepared.preprocessing  // JSON-serialisable: store it as the model header field `preprocessing`
 *   prepared.fingerprint    // sha256 hex of the selected columns (all rows): record it with the run
 *
 * Prediction (e.g. `grove predict model --input new.csv`):
 *   const p = parsePreprocessing(header.preprocessing);  // validates a record read from a file
 *   const input = await loadData('new.csv', { categoricalColumns: categoricalColumnsOf(p) });
 *   const { x, notes } = applyPreprocessing(input, p);  // any column order; target and extra columns ignored
 *   process.stdout.write(formatPredictionsCsv(input, predictions));
 *
 * Errors are GroveError ('INVALID_FILE', 'INVALID_DATA', 'INVALID_OPTION', 'INVALID_MODEL') whose
 * messages name the file, the column and the data row (1 = first row after the header).
 * Missing cells: empty, NA, N/A, NaN, null (any case). Booleans: true/false (any case).
 */
export { loadData, fromTable, type LoadOptions } from './source.js';
export type { LoadedData, SourceFormat } from './loaded.js';
export type { Column, ColumnKind, ColumnValues } from './column.js';
export { describeData, type SchemaReport, type ColumnSummary } from './schema.js';
export { selectColumns, type SelectOptions, type Selection } from './select.js';
export { prepareTraining, prepareFolds, type PrepareOptions, type PreparedData, type PreparedPart } from './training.js';
export {
  applyPreprocessing,
  parsePreprocessing,
  type Preprocessing,
  type InputColumn,
  type ApplyOptions,
  type AppliedData,
  type UnseenPolicy,
  type ImputeStrategy,
  type MissingPolicy,
  type FeatureType,
} from './preprocessing.js';
export { splitRows, kFold, permutation, stratifiedSplitRows, stratifiedKFold, type SplitFractions, type SplitParts } from './split.js';
export { inferTask, columnLabels, TASKS, MAX_INFERRED_CLASSES, INFERRED_CLASS_SHARE, type Task, type InferredTask } from './task.js';
export { fingerprintColumns } from './fingerprint.js';
export { formatPredictionsCsv } from './predictions.js';
export { preprocessingOf, labelledPart } from './model-input.js';
export { diabetesPath, breastCancerPath, BUILTIN_NAMES, BUILTIN_HELP } from './builtin.js';
export { friedman1, type GeneratedData } from './friedman.js';
export { classificationData, type ClassificationData } from './classification-generator.js';

import type { Preprocessing } from './preprocessing.js';

/** Input columns a model reads as categories, to keep them as text when loading prediction input. */
export function categoricalColumnsOf(p: Preprocessing): string[] {
  return p.columns.filter((c) => c.type === 'categorical').map((c) => c.name);
}
