// The system tags MLflow sets on every run it creates (mlflow/utils/mlflow_tags.py), set by grove
// on the runs its commands create, so that MLflow users' filters (tags.`mlflow.runName` = 'x',
// tags.`mlflow.parentRunId` = '<id>') find them. The store itself adds nothing: a run created
// through the Store API carries exactly the tags it was given.
import { userInfo } from 'node:os';
import type { Tags } from './store.js';

export const MLFLOW_RUN_NAME = 'mlflow.runName';
export const MLFLOW_PARENT_RUN_ID = 'mlflow.parentRunId';
export const MLFLOW_SOURCE_NAME = 'mlflow.source.name';
export const MLFLOW_SOURCE_TYPE = 'mlflow.source.type';
export const MLFLOW_USER = 'mlflow.user';

/** What MLflow's SourceType calls a program run on the user's machine. */
const SOURCE_TYPE_LOCAL = 'LOCAL';

export interface RunOrigin {
  runName: string;
  parentRunId?: string | null;
  /** the command that creates the run, e.g. "grove train" */
  source: string;
}

export function systemTags(o: RunOrigin): Tags {
  const tags: Tags = {
    [MLFLOW_RUN_NAME]: o.runName,
    [MLFLOW_SOURCE_NAME]: o.source,
    [MLFLOW_SOURCE_TYPE]: SOURCE_TYPE_LOCAL,
    [MLFLOW_USER]: currentUser(),
  };
  if (o.parentRunId) tags[MLFLOW_PARENT_RUN_ID] = o.parentRunId;
  return tags;
}

/** The login name, as MLflow's getpass.getuser() finds it (environment first, then the OS). */
function currentUser(): string {
  const env = process.env.LOGNAME || process.env.USER || process.env.LNAME || process.env.USERNAME;
  if (env) return env;
  try {
    return userInfo().username || 'unknown';
  } catch {
    return 'unknown'; // no passwd entry for this uid (some containers)
  }
}
