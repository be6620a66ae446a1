// The normalised column: whatever the source (CSV text, JSON values, Arrow vectors, a user's
// arquero table), every column becomes one of four kinds with one representation, so schema,
// fingerprint and preprocessing never care where data came from.
import { GroveError, formatValue } from '../errors.js';
import { classifyText, textToNumber } from './cells.js';
import { MAX_ROWS_LISTED } from '../constants.js';

/** numeric: Float64Array, NaN = missing. boolean: Float64Array of 0/1, NaN = missing.
 *  categorical: (string | null)[]. empty: every value missing (Float64Array of NaN). */
export type ColumnKind = 'numeric' | 'categorical' | 'boolean' | 'empty';

export type ColumnValues = Float64Array | (string | null)[];

export interface Column {
  name: string;
  kind: ColumnKind;
  values: ColumnValues;
}

/** Where values come from, for messages: "data.csv", row numbers are 1-based data rows. */
export interface Origin {
  source: string;
}

/**
 * Normalises one column of arbitrary JS values. Strings are read with the CSV cell rules, so
 * "1.5" is a number and "inf" is an error in JSON as in CSV. `forceCategorical` keeps text as
 * text (used when a model says the column is categorical).
 */
/** arquero keeps columns in plain objects, where "__proto__" is not a key but the prototype. */
export function checkColumnName(name: string, source: string): void {
  if (name === '__proto__') {
    throw new GroveError('INVALID_FILE', `${source}: a column may not be named "__proto__" (rename it)`, { file: source, column: name });
  }
}

export function normalizeColumn(name: string, values: ArrayLike<unknown>, origin: Origin, forceCategorical = false): Column {
  const n = values.length;
  if (values instanceof Float64Array && !forceCategorical) return numericColumn(name, values, origin);
  let numbers = 0;
  let booleans = 0;
  let texts = 0;
  let missing = 0;
  let firstInfinity = -1;
  let firstThousands = -1;
  let firstOther = -1;
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (v === null || v === undefined) missing++;
    else if (typeof v === 'number') {
      if (Number.isNaN(v)) missing++;
      else if (!Number.isFinite(v)) {
        if (firstInfinity < 0) firstInfinity = i;
        numbers++;
      } else numbers++;
    } else if (typeof v === 'bigint') numbers++;
    else if (typeof v === 'boolean') booleans++;
    else if (typeof v === 'string') {
      const c = classifyText(v);
      if (c === 'missing') missing++;
      else if (c === 'number') numbers++;
      else if (c === 'true' || c === 'false') booleans++;
      else {
        texts++;
        if (c === 'infinity' && firstInfinity < 0) firstInfinity = i;
        else if (c === 'thousands' && firstThousands < 0) firstThousands = i;
        else if (c === 'text' && firstOther < 0) firstOther = i;
      }
    } else {
      throw new GroveError('INVALID_DATA', `${origin.source}: column "${name}", data row ${i + 1}: unsupported value ${formatValue(describeValue(v))}; ` + 'use numbers, text or true/false', {
        file: origin.source,
        column: name,
        row: i + 1,
      });
    }
  }
  if (forceCategorical) return { name, kind: 'categorical', values: toStrings(values, n) };
  if (missing === n) return { name, kind: 'empty', values: new Float64Array(n).fill(NaN) };
  // A column of numbers apart from infinities or "1,234"-style values is a numeric column with
  // bad cells, not a categorical one: reading it as text would hide the problem.
  if (firstOther < 0 && booleans === 0) {
    if (firstInfinity >= 0) throw infinityError(name, values[firstInfinity], firstInfinity, origin);
    if (firstThousands >= 0) {
      throw new GroveError(
        'INVALID_DATA',
        `${origin.source}: column "${name}", data row ${firstThousands + 1}: ${formatValue(values[firstThousands])} ` +
          'looks like a number with thousands separators; remove the separators (1234, not 1,234)',
        { file: origin.source, column: name, row: firstThousands + 1 },
      );
    }
  }
  if (texts === 0 && booleans === 0) return { name, kind: 'numeric', values: toNumbers(values, n) };
  if (texts === 0 && numbers === 0) return { name, kind: 'boolean', values: toBooleans(values, n) };
  return { name, kind: 'categorical', values: toStrings(values, n) };
}

function numericColumn(name: string, values: Float64Array, origin: Origin): Column {
  let missing = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v !== v) missing++;
    else if (v === Infinity || v === -Infinity) throw infinityError(name, v, i, origin);
  }
  return { name, kind: missing === values.length ? 'empty' : 'numeric', values };
}

export function infinityError(name: string, value: unknown, row: number, origin: Origin): GroveError {
  return new GroveError(
    'INVALID_DATA',
    `${origin.source}: column "${name}", data row ${row + 1}: ${formatValue(value)} is infinite; ` + 'grove needs finite numbers (leave the cell empty to mark it missing)',
    { file: origin.source, column: name, row: row + 1 },
  );
}

function describeValue(v: unknown): unknown {
  if (v instanceof Date) return `date ${v.toISOString()}`;
  return typeof v === 'object' ? Object.prototype.toString.call(v) : v;
}

function toNumbers(values: ArrayLike<unknown>, n: number): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (typeof v === 'number') out[i] = v;
    else if (typeof v === 'bigint') out[i] = Number(v);
    else if (typeof v === 'string' && classifyText(v) === 'number') out[i] = textToNumber(v);
    else out[i] = NaN;
  }
  return out;
}

function toBooleans(values: ArrayLike<unknown>, n: number): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (typeof v === 'boolean') out[i] = v ? 1 : 0;
    else if (typeof v === 'string') {
      const c = classifyText(v);
      out[i] = c === 'true' ? 1 : c === 'false' ? 0 : NaN;
    } else out[i] = NaN;
  }
  return out;
}

function toStrings(values: ArrayLike<unknown>, n: number): (string | null)[] {
  const out = new Array<string | null>(n);
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (v === null || v === undefined || (typeof v === 'number' && Number.isNaN(v))) out[i] = null;
    else if (typeof v === 'string') out[i] = classifyText(v) === 'missing' ? null : v.trim();
    else out[i] = String(v);
  }
  return out;
}

/** Indices (0-based) of missing values in a normalised column, and their count. */
export function missingRows(column: Column, rows: Int32Array | null): { count: number; first: number[] } {
  const first: number[] = [];
  let count = 0;
  const v = column.values;
  const n = rows ? rows.length : v.length;
  const note = (i: number) => {
    if (first.length < MAX_ROWS_LISTED) first.push(i);
    count++;
  };
  // one loop per representation: a type test per cell costs more than the scan itself
  if (v instanceof Float64Array) {
    if (rows)
      for (let k = 0; k < n; k++) {
        const x = v[rows[k]];
        if (x !== x) note(rows[k]);
      }
    else
      for (let i = 0; i < n; i++) {
        const x = v[i];
        if (x !== x) note(i);
      }
  } else {
    for (let k = 0; k < n; k++) {
      const i = rows ? rows[k] : k;
      if (v[i] === null) note(i);
    }
  }
  return { count, first };
}

/** "data rows 3, 7, 9, ..." for 0-based indices (1-based in the text). */
export function listRows(first: number[], count: number): string {
  const shown = first.map((i) => String(i + 1)).join(', ');
  return `data row${count === 1 ? '' : 's'} ${shown}${count > first.length ? ', ...' : ''}`;
}
