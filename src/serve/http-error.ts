// Errors the scoring server sends: an HTTP status plus an MLflow-style {error_code, message}.
import { GroveError } from '../errors.js';

export type ErrorCode =
  | 'BAD_REQUEST' // the body is not valid JSON, or its structure is wrong (shape keys, row lengths, CSV layout)
  | 'INVALID_PARAMETER_VALUE' // the data: a missing column, a wrong type, a missing value
  | 'RESOURCE_EXHAUSTED' // 413: the body is over --max-body
  | 'UNSUPPORTED_MEDIA_TYPE' // 415
  | 'ENDPOINT_NOT_FOUND' // 404
  | 'METHOD_NOT_ALLOWED' // 405
  | 'TEMPORARILY_UNAVAILABLE' // 503 while shutting down
  | 'INTERNAL_ERROR'; // 500, never with details of the failure

export class HttpError extends Error {
  readonly status: number;
  readonly errorCode: ErrorCode;
  readonly headers: Record<string, string>;

  constructor(status: number, errorCode: ErrorCode, message: string, headers: Record<string, string> = {}) {
    super(message);
    this.name = 'HttpError';
    this.status = status;
    this.errorCode = errorCode;
    this.headers = headers;
  }
}

export function badRequest(message: string): HttpError {
  return new HttpError(400, 'BAD_REQUEST', message);
}

/** Maps anything thrown while handling a request to what the client sees. */
export function toHttpError(err: unknown): HttpError {
  if (err instanceof HttpError) return err;
  if (err instanceof GroveError) {
    // user errors carry messages written for users (column, row, what to do)
    if (err.code === 'INVALID_DATA') return new HttpError(400, 'INVALID_PARAMETER_VALUE', err.message);
    if (err.code === 'INVALID_FILE' || err.code === 'INVALID_OPTION') return new HttpError(400, 'BAD_REQUEST', err.message);
  }
  return new HttpError(500, 'INTERNAL_ERROR', 'internal error while scoring the request (see the server log)');
}

export function errorBody(err: HttpError): string {
  return JSON.stringify({ error_code: err.errorCode, message: err.message });
}
