// The four JSON shapes MLflow clients send to /invocations, turned into named columns.
//   {"dataframe_split": {"columns": [...], "data": [[...], ...], "index": [...]}}
//   {"dataframe_records": [{...}, ...]}
//   {"instances": [{...}, ...] | [[...], ...]}
//   {"inputs": [[...], ...] | [{...}, ...] | {"col": [...], ...}}
// Rows given as arrays follow the model's input columns in order.
import { badRequest } from './http-error.js';

export const SHAPE_KEYS = ['dataframe_split', 'dataframe_records', 'instances', 'inputs'] as const;

/** Column-major values, not yet normalised. */
export interface RawColumns {
  names: string[];
  columns: unknown[][];
  rows: number;
}

export function columnsFromJson(body: unknown, inputColumns: readonly string[]): RawColumns {
  if (!isObject(body)) throw badRequest(`the JSON body must be an object with one of the keys ${SHAPE_KEYS.join(', ')}`);
  const present = SHAPE_KEYS.filter((k) => k in body);
  if (present.length !== 1) {
    const others = Object.keys(body).filter((k) => !(SHAPE_KEYS as readonly string[]).includes(k));
    throw badRequest(
      present.length === 0
        ? `the JSON body needs exactly one of the keys ${SHAPE_KEYS.join(', ')}` + (others.length ? ` (got ${others.map((k) => JSON.stringify(k)).join(', ')})` : '')
        : `the JSON body has ${present.length} shape keys (${present.join(', ')}); send exactly one`,
    );
  }
  const key = present[0];
  const value = body[key];
  const out =
    key === 'dataframe_split'
      ? fromSplit(value, inputColumns)
      : key === 'dataframe_records'
        ? fromRecords(value, key)
        : key === 'instances'
          ? fromList(value, key, inputColumns)
          : isObject(value)
            ? fromColumnObject(value, key)
            : fromList(value, key, inputColumns);
  if (out.rows === 0) throw badRequest(`${key} has no rows to score`);
  return out;
}

function fromSplit(value: unknown, inputColumns: readonly string[]): RawColumns {
  const key = 'dataframe_split';
  if (!isObject(value)) throw badRequest(`${key} must be an object {"columns": [...], "data": [[...], ...]}`);
  const unknown = Object.keys(value).filter((k) => k !== 'columns' && k !== 'data' && k !== 'index');
  if (unknown.length > 0) throw badRequest(`${key} has unknown keys ${unknown.map((k) => JSON.stringify(k)).join(', ')} (allowed: columns, data, index)`);
  const data = value.data;
  if (!Array.isArray(data)) throw badRequest(`${key}.data must be an array of rows`);
  let names: string[];
  if (value.columns === undefined) names = [...inputColumns];
  else {
    if (!Array.isArray(value.columns) || !value.columns.every((c) => typeof c === 'string')) throw badRequest(`${key}.columns must be an array of column names`);
    names = checkUnique(value.columns as string[], `${key}.columns`);
  }
  if (value.index !== undefined) {
    if (!Array.isArray(value.index)) throw badRequest(`${key}.index must be an array`);
    if (value.index.length !== data.length) throw badRequest(`${key}.index has ${value.index.length} entries for ${data.length} rows`);
  }
  return fromRows(data, names, `${key}.data`);
}

function fromList(value: unknown, key: string, inputColumns: readonly string[]): RawColumns {
  if (!Array.isArray(value)) throw badRequest(`${key} must be an array of rows or records${key === 'inputs' ? ', or an object of columns' : ''}`);
  if (value.length === 0) return { names: [...inputColumns], columns: inputColumns.map(() => []), rows: 0 };
  if (Array.isArray(value[0])) return fromRows(value, [...inputColumns], key);
  if (isObject(value[0])) return fromRecords(value, key);
  throw badRequest(`${key}[0] is neither a row (array) nor a record (object)`);
}

/** Rows as arrays, one value per name. */
function fromRows(data: unknown[], names: string[], where: string): RawColumns {
  const n = data.length;
  const columns = names.map(() => new Array<unknown>(n));
  for (let r = 0; r < n; r++) {
    const row = data[r];
    if (!Array.isArray(row)) throw badRequest(`${where}[${r}] is not an array (row ${r + 1})`);
    if (row.length !== names.length) {
      throw badRequest(`${where}[${r}] has ${row.length} values but there are ${names.length} columns (${names.join(', ')})`);
    }
    for (let c = 0; c < names.length; c++) columns[c][r] = row[c];
  }
  return { names, columns, rows: n };
}

/** Records: the union of their keys, in first-seen order; a key a record lacks is a missing value. */
function fromRecords(value: unknown, key: string): RawColumns {
  if (!Array.isArray(value)) throw badRequest(`${key} must be an array of records`);
  const n = value.length;
  const index = new Map<string, number>();
  const columns: unknown[][] = [];
  for (let r = 0; r < n; r++) {
    const rec = value[r];
    if (!isObject(rec)) throw badRequest(`${key}[${r}] is not a record (object) (row ${r + 1})`);
    for (const name in rec) {
      let c = index.get(name);
      if (c === undefined) {
        c = columns.length;
        index.set(name, c);
        columns.push(new Array<unknown>(n).fill(null));
      }
      columns[c][r] = rec[name];
    }
  }
  return { names: [...index.keys()], columns, rows: n };
}

function fromColumnObject(value: Record<string, unknown>, key: string): RawColumns {
  const names = Object.keys(value);
  let rows = -1;
  const columns: unknown[][] = [];
  for (const name of names) {
    const v = value[name];
    if (!Array.isArray(v)) throw badRequest(`${key}.${name} must be an array of values (one per row)`);
    if (rows >= 0 && v.length !== rows) throw badRequest(`${key}.${name} has ${v.length} values, ${key}.${names[0]} has ${rows}`);
    rows = v.length;
    columns.push(v);
  }
  return { names, columns, rows: Math.max(rows, 0) };
}

function checkUnique(names: string[], where: string): string[] {
  const seen = new Set<string>();
  for (const n of names) {
    if (seen.has(n)) throw badRequest(`${where} names "${n}" twice`);
    seen.add(n);
  }
  return names;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}
