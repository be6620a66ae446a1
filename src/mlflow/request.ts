// A request's fields, read the way MLflow's server reads them: a GET carries them in the query
// string (a repeated field is a repeated parameter: order_by=a&order_by=b), a POST as one JSON
// object. Every getter checks the type and names the field in its error, as MLflow does.
import { MlflowError, invalidParameter } from './errors.js';

type Json = Record<string, unknown>;

export class RequestFields {
  private constructor(
    private readonly json: Json | null,
    private readonly query: URLSearchParams | null,
  ) {}

  static fromQuery(query: URLSearchParams): RequestFields {
    return new RequestFields(null, query);
  }

  /** an empty body is an empty message, as for MLflow */
  static fromBody(body: Buffer): RequestFields {
    const text = body.toString('utf8').trim();
    if (text === '') return new RequestFields({}, null);
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (err) {
      throw new MlflowError('BAD_REQUEST', `the request body is not valid JSON: ${(err as Error).message}`);
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      throw new MlflowError('BAD_REQUEST', 'the request body must be a JSON object');
    }
    return new RequestFields(parsed as Json, null);
  }

  private raw(name: string): unknown {
    if (this.json) return this.json[name] ?? undefined;
    const all = this.query!.getAll(name);
    return all.length === 0 ? undefined : all.length === 1 ? all[0] : all;
  }

  has(name: string): boolean {
    return this.raw(name) !== undefined;
  }

  string(name: string): string | undefined {
    const v = this.raw(name);
    if (v === undefined) return undefined;
    if (typeof v !== 'string') throw invalidParameter(`Invalid value ${JSON.stringify(v)} for parameter '${name}' supplied: it must be a string`);
    return v;
  }

  requiredString(name: string): string {
    const v = this.string(name);
    if (v === undefined || v === '') throw missing(name);
    return v;
  }

  /** an int64: a JSON number or its decimal string (protobuf's JSON form of int64) */
  int(name: string): number | undefined {
    const v = this.raw(name);
    return v === undefined ? undefined : toInt(v, name);
  }

  /** a double: a JSON number, or "NaN", "Infinity", "-Infinity" (protobuf's JSON form) or a decimal string */
  requiredDouble(name: string): number {
    const v = this.raw(name);
    if (v === undefined) throw missing(name);
    return toDouble(v, name);
  }

  /** a repeated string field */
  strings(name: string): string[] {
    const v = this.raw(name);
    if (v === undefined) return [];
    const list = Array.isArray(v) ? v : [v];
    for (const s of list) {
      if (typeof s !== 'string') throw invalidParameter(`Invalid value ${JSON.stringify(v)} for parameter '${name}' supplied: it must be a list of strings`);
    }
    return list as string[];
  }

  /** a repeated message field (JSON bodies only) */
  objects(name: string): Json[] {
    const v = this.raw(name);
    if (v === undefined) return [];
    if (!Array.isArray(v) || v.some((o) => o === null || typeof o !== 'object' || Array.isArray(o))) {
      throw invalidParameter(`Invalid value for parameter '${name}' supplied: it must be a list of objects`);
    }
    return v as Json[];
  }

  /** run_id, or the deprecated run_uuid that older clients send */
  runId(): string {
    const id = this.string('run_id') || this.string('run_uuid');
    if (!id) throw missing('run_id');
    return id;
  }
}

export function missing(name: string): MlflowError {
  return invalidParameter(`Missing value for required parameter '${name}'. See the API docs for more information about request parameters.`);
}

export function toInt(v: unknown, name: string): number {
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^-?\d+$/.test(v.trim()) ? Number(v) : NaN;
  if (!Number.isSafeInteger(n)) throw invalidParameter(`Invalid value ${JSON.stringify(v)} for parameter '${name}' supplied: it must be an integer`);
  return n;
}

export function toDouble(v: unknown, name: string): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string') {
    const t = v.trim();
    if (t === 'NaN') return NaN;
    if (t === 'Infinity') return Infinity;
    if (t === '-Infinity') return -Infinity;
    if (t !== '' && Number.isFinite(Number(t))) return Number(t);
  }
  throw invalidParameter(`Invalid value ${JSON.stringify(v)} for parameter '${name}' supplied: it must be a number`);
}

/** A string field of one element of a repeated message (a metric, param or tag of a batch). */
export function fieldOf(obj: Json, name: string, where: string): string {
  const v = obj[name];
  if (typeof v !== 'string' || v === '') {
    if (v === undefined || v === '') throw invalidParameter(`Missing value for required parameter '${where}.${name}'`);
    throw invalidParameter(`Invalid value ${JSON.stringify(v)} for parameter '${where}.${name}' supplied: it must be a string`);
  }
  return v;
}

/** A page: `max_results` (default and ceiling per endpoint, as MLflow's) and the offset a page_token holds. */
export function pageOf(fields: RequestFields, defaultMax: number, ceiling: number): { max: number; offset: number } {
  const max = fields.int('max_results') ?? defaultMax;
  if (max < 1 || max > ceiling) throw invalidParameter(`Invalid value ${max} for parameter 'max_results' supplied: it must be at most ${ceiling} and at least 1`);
  return { max, offset: decodePageToken(fields.string('page_token')) };
}

// a token is base64 of {"offset": n}, the form MLflow's SQL store uses
export function encodePageToken(offset: number): string {
  return Buffer.from(JSON.stringify({ offset })).toString('base64');
}

export function decodePageToken(token: string | undefined): number {
  if (token === undefined || token === '') return 0;
  let offset: unknown;
  try {
    offset = (JSON.parse(Buffer.from(token, 'base64').toString('utf8')) as { offset?: unknown }).offset;
  } catch {
    offset = undefined;
  }
  if (!Number.isSafeInteger(offset) || (offset as number) < 0) throw invalidParameter(`Invalid page token ${JSON.stringify(token)}: pass the next_page_token of a previous answer`);
  return offset as number;
}

/** One page of an in-memory list, with the token of the next page when there is one. */
export function slicePage<T>(all: T[], page: { max: number; offset: number }): { items: T[]; next?: string } {
  const items = all.slice(page.offset, page.offset + page.max);
  const end = page.offset + items.length;
  return end < all.length ? { items, next: encodePageToken(end) } : { items };
}
