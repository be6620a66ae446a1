// A request body (JSON in one of the four shapes, or CSV with a header) as LoadedData, read with
// the same rules as a file given to grove predict: JSON goes through fromTable, CSV through the
// data layer's CSV reader, so the model's preprocessing sees exactly what it would see there.
import { table } from 'arquero';
import { fromTable, type LoadedData } from '../data/index.js';
import { readDelimited } from '../data/delimited.js';
import type { BodyKind } from './content-type.js';
import { HttpError } from './http-error.js';
import { columnsFromJson } from './json-input.js';

/** Names the request in data-layer messages: 'request: column "age", data row 2: ...'. */
export const REQUEST_SOURCE = 'request';

export interface InputSchema {
  /** the model's input columns, in training order (rows given as arrays follow it) */
  inputColumns: readonly string[];
  /** input columns the model reads as categories (kept as text) */
  categorical: ReadonlySet<string>;
}

export function requestInput(body: Buffer, kind: BodyKind, schema: InputSchema): LoadedData {
  if (kind === 'csv') {
    const r = readDelimited(body, ',', { source: REQUEST_SOURCE }, schema.categorical);
    return { table: r.table, columns: r.columns, source: REQUEST_SOURCE, format: 'csv', notes: [] };
  }
  const raw = columnsFromJson(parseJson(body), schema.inputColumns);
  const data: Record<string, unknown[]> = {};
  for (let c = 0; c < raw.names.length; c++) data[raw.names[c]] = raw.columns[c];
  return fromTable(table(data, raw.names), REQUEST_SOURCE, 'json', schema.categorical);
}

function parseJson(body: Buffer): unknown {
  const text = body.toString('utf8');
  try {
    return JSON.parse(text);
  } catch (err) {
    // JSON has no NaN or Infinity tokens (Python's json writes them): say what to send instead
    const hint = /\b(NaN|-?Infinity)\b/.test(text) ? '; JSON has no NaN or Infinity: send null (or "NaN") for a missing value' : '';
    throw new HttpError(400, 'MALFORMED_REQUEST', `the body is not valid JSON (${(err as Error).message})${hint}`);
  }
}
