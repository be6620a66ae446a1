/**
 * How a tuning study lives in the tracking store (the contract the tuner writes and the
 * dashboard, `grove study status` and resuming read):
 *
 * - The study is a top-level run: run_name = the study name, tag grove.type = "study".
 *   Its params record everything needed to continue it (data, target, space as JSON, sampler,
 *   seed, scheduler, evaluation, metric, n_trials, register name, ...). Its tag
 *   grove.study.state is "creating" (while it is written), "running", "finished", "failed" or "killed". At the end it carries the
 *   metrics best_val_<metric>, test_rmse, baseline_test_rmse.
 * - Each trial is a child run (parent_run_id = the study run): tag grove.type = "trial",
 *   grove.trial = its number (0, 1, ...), grove.worker = who ran it, grove.threads = threads it
 *   used; params = its configuration (snake_case hyperparameters). Its objective is the metric
 *   val_<metric> (val_rmse by default), logged at step = number of trees; a successive-halving
 *   trial logs one value per rung. Cross-validation folds are metric fold_<metric> at
 *   step = fold index. A trial stopped early ends FINISHED with tag pruned = "true".
 *   FAILED and KILLED trials carry tag grove.failure with the reason.
 * - Trials are claimed through the store's trial queue (src/track/trial-queue.ts), which any
 *   number of workers share. A trial whose worker stopped heartbeating ends FAILED and runs
 *   again as a new child run with the same grove.trial and the next grove.attempt; a stopped
 *   worker's trials end KILLED and run again the same way. grove.worker_id names the claimer.
 * - The final refit is one more child run with tag grove.type = "refit" and tag refit = "true",
 *   holding the model artifact and test_<metric> metrics.
 */
export const TAG_TYPE = 'grove.type';
export const TYPE_STUDY = 'study';
export const TYPE_TRIAL = 'trial';
export const TYPE_REFIT = 'refit';
export const TAG_STUDY_STATE = 'grove.study.state';
/** the study run exists but its config, queue or shipped data are still being written */
export const STATE_CREATING = 'creating';
export const TAG_TRIAL_NUMBER = 'grove.trial';
/** a trial's configuration as the JSON the sampler proposed (params hold it snake_case, one key each) */
export const TAG_CONFIG = 'grove.config';
export const TAG_WORKER = 'grove.worker';
/** the grove worker process (host:pid:id) that claimed the trial */
export const TAG_WORKER_ID = 'grove.worker_id';
/** 1 for a trial's first run; a trial lost with its worker runs again as attempt 2, ... */
export const TAG_ATTEMPT = 'grove.attempt';
export const TAG_THREADS = 'grove.threads';
export const TAG_PRUNED = 'pruned';
export const TAG_REFIT = 'refit';
export const TAG_FAILURE = 'grove.failure';

/** The objective metric of a trial for a user metric name (rmse -> val_rmse). */
export function objectiveKey(metric: string): string {
  return `val_${metric}`;
}
