// What a saved model needs from the data layer at prediction and evaluation time.
import { GroveError } from '../errors.js';
import { missingRows, listRows } from './column.js';
import { PREPROCESSING_VERSION } from '../constants.js';
import type { LoadedData } from './loaded.js';
import { applyPreprocessing, parsePreprocessing, type Preprocessing } from './preprocessing.js';
import type { TypedMatrix } from '../matrix.js';
import { encodeLabels, type Label } from '../labels.js';
import { columnLabels } from './task.js';

/**
 * The preprocessing record of a model header; a model fitted from a plain matrix through the
 * API has none, and then reads numeric columns named after its features, as they are.
 */
export function preprocessingOf(header: { preprocessing?: unknown; feature_names: string[]; target_name: string | null }): Preprocessing {
  if (header.preprocessing !== null && header.preprocessing !== undefined) return parsePreprocessing(header.preprocessing);
  return {
    version: PREPROCESSING_VERSION,
    target: header.target_name ?? 'target',
    columns: header.feature_names.map((name) => ({ name, type: 'numeric' as const })),
    feature_names: [...header.feature_names],
    unseen_category: 'error',
    missing: 'error',
    impute_strategy: null,
  };
}

/**
 * An explicit held-out file (grove train --test): the model's own preprocessing for X, and the
 * target column for y. Regression: rows with a missing target are dropped with a note, as in
 * training. Classification (`classes` given): y holds class indices; a missing label or a class
 * not among `classes` is an error naming the row (load the file with the target among
 * `categoricalColumns` when the classes are strings, so "1" stays the label "1").
 */
export function labelledPart(input: LoadedData, p: Preprocessing, classes?: readonly Label[]): { x: Required<TypedMatrix>; y: Float64Array; notes: string[] } {
  const target = input.columns.find((c) => c.name === p.target);
  if (!target) {
    throw new GroveError('INVALID_DATA', `${input.source}: the target column "${p.target}" is not in this file (columns: ${input.columns.map((c) => c.name).join(', ')})`, {
      file: input.source,
      column: p.target,
    });
  }
  if (classes) {
    const what = `${input.source}: target column "${p.target}", data`;
    let labels = columnLabels(target);
    // a column typed otherwise than the classes: compare as text ("1" and 1, "true" and true)
    if (labels.some((l) => l !== null && typeof l !== typeof classes[0])) labels = labels.map((l) => (l === null ? null : typeof classes[0] === 'string' ? String(l) : l));
    const y = encodeLabels(labels, classes, what);
    const applied = applyPreprocessing(input, p);
    return { x: applied.x, y, notes: applied.notes };
  }
  if (target.kind !== 'numeric') {
    throw new GroveError('INVALID_DATA', `${input.source}: target column "${p.target}" is ${target.kind}, not numeric`, { file: input.source, column: p.target });
  }
  const values = target.values as Float64Array;
  const missing = missingRows(target, null);
  const rows = new Int32Array(values.length - missing.count);
  for (let i = 0, k = 0; i < values.length; i++) if (values[i] === values[i]) rows[k++] = i;
  const notes: string[] = [];
  if (missing.count > 0) notes.push(`${input.source}: dropped ${missing.count} rows with a missing target "${p.target}" (${listRows(missing.first, missing.count)})`);
  if (rows.length === 0) throw new GroveError('INVALID_DATA', `${input.source}: no row has a target value`, { file: input.source, column: p.target });
  const applied = applyPreprocessing(input, p, { rows });
  const y = new Float64Array(rows.length);
  for (let k = 0; k < rows.length; k++) y[k] = values[rows[k]];
  return { x: applied.x, y, notes: [...notes, ...applied.notes] };
}
