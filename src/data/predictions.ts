// Predictions as CSV: the input's columns as given, then a last column `prediction`.
import type { ColumnTable } from 'arquero';
import { GroveError } from '../errors.js';
import type { LoadedData } from './loaded.js';

/**
 * One header row, then one row per input row. Numbers print with String(number), the shortest
 * text that reads back as the same double; missing values print as empty cells.
 */
export function formatPredictionsCsv(input: LoadedData | ColumnTable, predictions: ArrayLike<number>): string {
  const t = 'table' in input && 'columns' in input ? input.table : (input as ColumnTable);
  const names = t.columnNames();
  const n = t.numRows();
  if (predictions.length !== n) {
    throw new GroveError('INVALID_DATA', `${predictions.length} predictions for ${n} input rows`);
  }
  // booleans are stored as 0/1 in loaded data: print them as the file had them
  const booleans = new Set('columns' in input && 'table' in input ? input.columns.filter((c) => c.kind === 'boolean').map((c) => c.name) : []);
  const columns = names.map((name) => ({ values: t.array(name) as ArrayLike<unknown>, boolean: booleans.has(name) }));
  const lines: string[] = [[...names, 'prediction'].map(quote).join(',')];
  for (let i = 0; i < n; i++) {
    const cells = columns.map((c) => (c.boolean ? booleanCell(c.values[i]) : cell(c.values[i])));
    cells.push(String(predictions[i]));
    lines.push(cells.join(','));
  }
  return lines.join('\n') + '\n';
}

function cell(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number') return Number.isNaN(v) ? '' : String(v);
  return quote(String(v));
}

function booleanCell(v: unknown): string {
  return v === 1 ? 'true' : v === 0 ? 'false' : '';
}

/** RFC 4180: quote a value holding a comma, quote or line break; double inner quotes. */
function quote(s: string): string {
  return /[",\r\n]/.test(s) || s !== s.trim() ? `"${s.replace(/"/g, '""')}"` : s;
}
