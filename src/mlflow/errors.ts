// Errors the MLflow tracking server sends: MLflow's {"error_code", "message"} body with the HTTP
// status MLflow gives each code, so MLflow clients raise the same exceptions against grove.
import { GroveError } from '../errors.js';

export type MlflowErrorCode =
  | 'RESOURCE_DOES_NOT_EXIST'
  | 'RESOURCE_ALREADY_EXISTS'
  | 'INVALID_PARAMETER_VALUE'
  | 'BAD_REQUEST'
  | 'ENDPOINT_NOT_FOUND'
  | 'METHOD_NOT_ALLOWED'
  | 'PERMISSION_DENIED'
  | 'TEMPORARILY_UNAVAILABLE'
  | 'INTERNAL_ERROR';

// MLflow's own table (mlflow/exceptions.py) for the codes grove sends; METHOD_NOT_ALLOWED is
// Flask's 405, which MLflow's server answers for a known path with the wrong verb
const HTTP_STATUS: Record<MlflowErrorCode, number> = {
  RESOURCE_DOES_NOT_EXIST: 404,
  RESOURCE_ALREADY_EXISTS: 400,
  INVALID_PARAMETER_VALUE: 400,
  BAD_REQUEST: 400,
  ENDPOINT_NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  PERMISSION_DENIED: 403,
  TEMPORARILY_UNAVAILABLE: 503,
  INTERNAL_ERROR: 500,
};

export class MlflowError extends Error {
  readonly errorCode: MlflowErrorCode;
  readonly status: number;

  constructor(errorCode: MlflowErrorCode, message: string) {
    super(message);
    this.name = 'MlflowError';
    this.errorCode = errorCode;
    this.status = HTTP_STATUS[errorCode];
  }
}

export function invalidParameter(message: string): MlflowError {
  return new MlflowError('INVALID_PARAMETER_VALUE', message);
}

/**
 * What the client sees for anything thrown while answering. A store CONFLICT is a name that
 * exists when the route creates something (`conflict` = RESOURCE_ALREADY_EXISTS), otherwise a
 * change the store refuses (a param logged again with another value), which MLflow reports as
 * INVALID_PARAMETER_VALUE.
 */
export function toMlflowError(err: unknown, conflict: MlflowErrorCode = 'INVALID_PARAMETER_VALUE'): MlflowError {
  if (err instanceof MlflowError) return err;
  if (err instanceof GroveError) {
    switch (err.code) {
      case 'NOT_FOUND':
        return new MlflowError('RESOURCE_DOES_NOT_EXIST', err.message);
      case 'CONFLICT':
        return new MlflowError(conflict, err.message);
      case 'INVALID_OPTION':
      case 'INVALID_URI':
      case 'INVALID_DATA':
        return new MlflowError('INVALID_PARAMETER_VALUE', err.message);
      default:
        break;
    }
  }
  // never the details of a database failure: they go to the server log
  return new MlflowError('INTERNAL_ERROR', 'internal error while answering the request (see the server log)');
}

export function errorJson(err: MlflowError): string {
  return JSON.stringify({ error_code: err.errorCode, message: err.message });
}
