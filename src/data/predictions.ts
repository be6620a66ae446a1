// Predictions as CSV: the input's columns as given, then a column `prediction` (a number for a
// regressor, the class label for a classifier) and, when asked, one `proba_<label>` column per class.
import type { ColumnTable } from 'arquero';
import { GroveError } from '../errors.js';
import type { Label } from '../labels.js';
import type { LoadedData } from './loaded.js';

/** Class probabilities to print next to the predictions: rows x K, row-major, in class order. */
export interface ProbaColumns {
  classes: readonly Label[];
  values: ArrayLike<number>;
}

/**
 * One header row, then one row per input row. Numbers print with String(number), the shortest
 * text that reads back as the same double; missing values print as empty cells; labels print as
 * they were (strings quoted when they hold a comma, quote, line break or edge spaces; an empty
 * string label as "" so it does not read back as missing; booleans as true/false).
 */
export function formatPredictionsCsv(input: LoadedData | ColumnTable, predictions: ArrayLike<number> | readonly Label[], proba: ProbaColumns | null = null): string {
  const t = 'table' in input && 'columns' in input ? input.table : (input as ColumnTable);
  const names = t.columnNames();
  const n = t.numRows();
  if (predictions.length !== n) {
    throw new GroveError('INVALID_DATA', `${predictions.length} predictions for ${n} input rows`);
  }
  const k = proba ? proba.classes.length : 0;
  if (proba && proba.values.length !== n * k) {
    throw new GroveError('INVALID_DATA', `${proba.values.length} class probabilities for ${n} input rows of ${k} classes`);
  }
  // booleans are stored as 0/1 in loaded data: print them as the file had them
  const booleans = new Set('columns' in input && 'table' in input ? input.columns.filter((c) => c.kind === 'boolean').map((c) => c.name) : []);
  const columns = names.map((name) => ({ values: t.array(name) as ArrayLike<unknown>, boolean: booleans.has(name) }));
  const header = [...names, 'prediction', ...(proba ? probaColumnNames(proba.classes) : [])];
  const lines: string[] = [header.map(quote).join(',')];
  for (let i = 0; i < n; i++) {
    const cells = columns.map((c) => (c.boolean ? booleanCell(c.values[i]) : cell(c.values[i])));
    cells.push(labelCell(predictions[i]));
    for (let c = 0; c < k; c++) cells.push(String(proba!.values[i * k + c]));
    lines.push(cells.join(','));
  }
  return lines.join('\n') + '\n';
}

/** `proba_<label>` for each class, in class order (booleans as proba_false, proba_true). */
export function probaColumnNames(classes: readonly Label[]): string[] {
  return classes.map((c) => `proba_${String(c)}`);
}

function cell(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number') return Number.isNaN(v) ? '' : String(v);
  return quote(String(v));
}

/** A prediction: a number, or a class label (string, number or boolean). */
function labelCell(v: Label): string {
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return v === '' ? '""' : quote(v);
}

function booleanCell(v: unknown): string {
  return v === 1 ? 'true' : v === 0 ? 'false' : '';
}

/** RFC 4180: quote a value holding a comma, quote or line break; double inner quotes. */
function quote(s: string): string {
  return /[",\r\n]/.test(s) || s !== s.trim() ? `"${s.replace(/"/g, '""')}"` : s;
}
