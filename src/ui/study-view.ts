// A tuning study read back from the store, following src/tune/study-record.ts: the study run,
// its search space and objective, and one row per trial.
import { GroveError } from '../errors.js';
import type { Run, Store } from '../track/store.js';
import { TAG_FAILURE, TAG_PRUNED, TAG_STUDY_STATE, TAG_THREADS, TAG_ATTEMPT, TAG_TRIAL_NUMBER, TAG_TYPE, TAG_WORKER, TYPE_REFIT, TYPE_STUDY, TYPE_TRIAL, objectiveKey } from '../tune/study-record.js';
import type { TrialJson } from './api-types.js';
import { num, runJson, type Json } from './json.js';
import { higherIsBetter } from './client/metric-keys.js';

/** One trial as the API answers it (the wire type the client reads too). */
export type Trial = TrialJson;

export interface Study {
  run: Run;
  name: string;
  state: string;
  metric: string;
  objective: string;
  higher_is_better: boolean;
  space: Json;
  trials: Trial[];
  refit_run_id: string | null;
}

// r2 and classification scores (accuracy, roc_auc, f1_macro) are maximised; errors and losses minimised
export { higherIsBetter };

function parseJson(text: string | undefined): Json {
  if (text === undefined) return null;
  try {
    return JSON.parse(text) as Json;
  } catch {
    return null;
  }
}

export function isStudy(run: Run): boolean {
  return run.tags[TAG_TYPE] === TYPE_STUDY;
}

export async function loadStudy(store: Store, runId: string): Promise<Study> {
  const run = await store.getRun(runId);
  if (!isStudy(run)) throw new GroveError('NOT_FOUND', `run ${runId} is not a study (its tag ${TAG_TYPE} is ${JSON.stringify(run.tags[TAG_TYPE] ?? null)})`, { runId });
  const metric = run.params.metric ?? 'rmse';
  const objective = objectiveKey(metric);
  const children = await store.searchRuns({ parentRunId: runId, limit: Infinity, orderBy: ['start_time ASC'] });
  const trials: Trial[] = [];
  let refit: string | null = null;
  for (const c of children) {
    const type = c.tags[TAG_TYPE];
    if (type === TYPE_REFIT) refit = c.runId;
    if (type !== TYPE_TRIAL) continue;
    const value = c.metrics[objective];
    trials.push({
      number: Number(c.tags[TAG_TRIAL_NUMBER] ?? trials.length),
      attempt: Number(c.tags[TAG_ATTEMPT] ?? 1) || 1,
      run_id: c.runId,
      status: c.status,
      pruned: c.tags[TAG_PRUNED] === 'true',
      value: value === undefined ? null : num(value),
      params: c.params,
      worker: c.tags[TAG_WORKER] ?? c.host,
      threads: Number(c.tags[TAG_THREADS] ?? 1) || 1,
      start_time: c.startTime,
      end_time: c.endTime,
      fit_s: c.metrics.fit_s === undefined ? null : num(c.metrics.fit_s),
      failure: c.tags[TAG_FAILURE] ?? null,
    });
  }
  trials.sort((a, b) => a.number - b.number || a.attempt - b.attempt);
  return {
    run,
    name: run.runName,
    state: run.tags[TAG_STUDY_STATE] ?? run.status.toLowerCase(),
    metric,
    objective,
    higher_is_better: higherIsBetter(metric),
    space: parseJson(run.params.space),
    trials,
    refit_run_id: refit,
  };
}

export function studyJson(s: Study): { [key: string]: Json } {
  return {
    study: runJson(s.run),
    name: s.name,
    state: s.state,
    metric: s.metric,
    objective: s.objective,
    higher_is_better: s.higher_is_better,
    space: s.space,
    refit_run_id: s.refit_run_id,
    trials: s.trials as unknown as Json,
  };
}
