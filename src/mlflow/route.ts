// One endpoint of the MLflow REST API: its verb, its path below /api/2.0/mlflow/, and the handler
// that turns the request's fields into the response message.
import type { Store } from '../track/store.js';
import type { MlflowErrorCode } from './errors.js';
import type { RequestFields } from './request.js';

export type Verb = 'GET' | 'POST' | 'DELETE';

export interface Route {
  verb: Verb;
  /** e.g. "runs/create" */
  path: string;
  handle(store: Store, fields: RequestFields): Promise<object>;
  /** what a store CONFLICT means here (default INVALID_PARAMETER_VALUE) */
  conflict?: MlflowErrorCode;
}
