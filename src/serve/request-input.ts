// A request body (JSON in one of the four shapes, or CSV with a header) as LoadedData, read with
// the same rules as a file given to grove predict: JSON values through the data layer's column
// normalisation (as fromTable), CSV through its CSV reader, so the model's preprocessing sees
// exactly what it would see there. A JSON body may also carry "params" (MLflow's inference
// params): grove reads one, predict_method ("predict" or "predict_proba").
import type { LoadedData } from '../data/index.js';
import { checkColumnName, normalizeColumn } from '../data/column.js';
import { readDelimited } from '../data/delimited.js';
import { tableOf } from '../data/source.js';
import type { BodyKind } from './content-type.js';
import { badRequest } from './http-error.js';
import { columnsFromJson } from './json-input.js';
import { parsePythonJson } from './python-json.js';

/** Names the request in data-layer messages: 'request: column "age", data row 2: ...'. */
export const REQUEST_SOURCE = 'request';

export interface InputSchema {
  /** the model's input columns, in training order (rows given as arrays follow it) */
  inputColumns: readonly string[];
  /** input columns the model reads as categories (kept as text) */
  categorical: ReadonlySet<string>;
}

/** What a classifier answers: labels (predict, the default) or class probabilities (predict_proba). */
export type PredictMethod = 'predict' | 'predict_proba';

export const PREDICT_METHODS: readonly PredictMethod[] = ['predict', 'predict_proba'];

export interface RequestParams {
  predictMethod: PredictMethod;
}

export interface RequestInput {
  data: LoadedData;
  params: RequestParams;
}

export function requestInput(body: Buffer, kind: BodyKind, schema: InputSchema): RequestInput {
  if (kind === 'csv') {
    // pandas' DataFrame.to_csv() writes the index first, under an empty name: no model has a
    // column without a name, so such a column is skipped rather than refused
    const r = readDelimited(body, ',', { source: REQUEST_SOURCE }, schema.categorical, { skipUnnamedIndex: true });
    checkNames(r.columns.map((c) => c.name));
    return { data: { table: r.table, columns: r.columns, source: REQUEST_SOURCE, format: 'csv', notes: [] }, params: { predictMethod: 'predict' } };
  }
  const json = parseJson(body);
  // params first: a wrong predict_method is named before any data error
  const params = paramsOf(json);
  const raw = columnsFromJson(json, schema.inputColumns);
  checkNames(raw.names);
  // what fromTable does to a JSON file's table, without first building that table (a single-row
  // request spends more time in arquero's constructor than in the forest)
  const origin = { source: REQUEST_SOURCE };
  const columns = raw.names.map((name, c) => normalizeColumn(name, raw.columns[c], origin, schema.categorical.has(name)));
  return { data: { table: tableOf(columns), columns, source: REQUEST_SOURCE, format: 'json', notes: [] }, params };
}

/** The body's "params" object (absent: the defaults). Unknown keys are refused, so a typo is not silently ignored. */
export function paramsOf(body: unknown): RequestParams {
  const out: RequestParams = { predictMethod: 'predict' };
  if (body === null || typeof body !== 'object' || Array.isArray(body) || !('params' in body)) return out;
  const params = (body as { params: unknown }).params;
  if (params === null || params === undefined) return out;
  if (typeof params !== 'object' || Array.isArray(params)) throw badRequest('params must be an object, e.g. {"predict_method": "predict_proba"}');
  for (const [key, value] of Object.entries(params)) {
    if (key !== 'predict_method') throw badRequest(`params has an unknown key ${JSON.stringify(key)}; the only one this server reads is predict_method (${PREDICT_METHODS.join(' or ')})`);
    if (typeof value !== 'string' || !(PREDICT_METHODS as readonly string[]).includes(value)) {
      throw badRequest(`params.predict_method ${JSON.stringify(value)} is not supported; use ${PREDICT_METHODS.map((m) => JSON.stringify(m)).join(' or ')}`);
    }
    out.predictMethod = value as PredictMethod;
  }
  return out;
}

function parseJson(body: Buffer): unknown {
  try {
    return parsePythonJson(body.toString('utf8'));
  } catch (err) {
    // MLflow's scoring server answers BAD_REQUEST for a body that does not parse
    throw badRequest(`the body is not valid JSON (${(err as Error).message})`);
  }
}

/** The data layer's column-name rule (no "__proto__"), as a 400. */
function checkNames(names: string[]): void {
  try {
    for (const n of names) checkColumnName(n, REQUEST_SOURCE);
  } catch (err) {
    throw badRequest((err as Error).message);
  }
}
