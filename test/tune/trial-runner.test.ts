// The trial runner on real trials: the real addon in real piscina workers, a real SQLite store.
// One claimed trial at a time, with a fixed configuration, and how each way of ending is
// recorded in the trial's run, in the shared queue and in the event the runner returns.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { regressionMetrics } from '../../src/forest/metrics.js';
import { RandomForestRegressor } from '../../src/forest/regressor.js';
import { newRunId } from '../../src/track/validate.js';
import type { ThreadBudget } from '../../src/tune/budget.js';
import { QueueView } from '../../src/tune/queue-view.js';
import { configToParams, type Config } from '../../src/tune/space.js';
import type { StudyConfig } from '../../src/tune/study-config.js';
import { prepareStudyData, type StudyData } from '../../src/tune/study-data.js';
import { TrialRunner } from '../../src/tune/trial-runner.js';
import { sqliteStudy, studyConfig } from './helpers.js';

const BUDGET: ThreadBudget = { cpus: 1, concurrency: 1, threadsPerTrial: 1, reason: 'test' };
const CONFIG: Config = { n_estimators: 15, max_depth: 6, min_samples_split: 2, min_samples_leaf: 2, max_features: 'sqrt' };

let shared: StudyData | null = null;
async function studyData(config: StudyConfig): Promise<StudyData> {
  shared ??= await prepareStudyData(config);
  return shared;
}

/** A study with one trial claimed (with `trialConfig`) and a runner for it. */
async function claimedTrial(overrides: Partial<StudyConfig> = {}, trialConfig: Config = CONFIG, hooks: { signal?: AbortSignal; faults?: Map<number, string> } = {}) {
  const config = studyConfig({ trials: 2, ...overrides });
  const data = await studyData(config);
  const s = await sqliteStudy('runner', config, data.fingerprint);
  const view = new QueueView(s.study.history, config.metric, null);
  const claimed = await s.store.trials.claim(s.studyId, {
    worker: s.worker,
    runId: newRunId(),
    sinceSeq: view.seq,
    decide: (changes, row) => {
      view.apply(changes);
      return { kind: 'new', number: row.nextNumber, config: JSON.stringify(trialConfig) };
    },
  });
  view.apply(claimed.changes);
  const runner = new TrialRunner({ store: s.store, study: s.study, data, session: s.session, budget: BUDGET, view, asha: null, ...hooks });
  return { ...s, data, view, runner, trial: claimed.trial! };
}

const queueRow = async (t: Awaited<ReturnType<typeof claimedTrial>>) =>
  (await t.store.trials.claim(t.studyId, { worker: t.worker, runId: newRunId(), sinceSeq: 0, decide: () => ({ kind: 'wait' }) })).changes.find((r) => r.number === t.trial.number)!;

test('a finished trial: its run holds the params, the exact validation RMSE of the same forest fitted here, and the queue row is finished', async () => {
  const t = await claimedTrial();
  try {
    const { done } = await t.runner.launch(t.trial);
    assert.equal(t.runner.size, 1);
    const event = await done;
    assert.equal(t.runner.size, 0);
    assert.equal(event.state, 'finished');
    assert.equal(event.number, 0);
    assert.equal(event.pruned, false);
    const fold = t.data.folds[0];
    const forest = new RandomForestRegressor({ ...configToParams(CONFIG), seed: t.study.config.seed, threads: 1 }).fitSync(fold.x, fold.y);
    const expected = regressionMetrics(fold.valY!, forest.predictSync(fold.valX!)).rmse;
    assert.equal(event.value, expected);
    const run = await t.store.getRun(t.study.runIds.get(0)!);
    assert.equal(run.runId, t.trial.runId);
    assert.equal(run.status, 'FINISHED');
    assert.equal(run.parentRunId, t.studyId);
    assert.equal(run.params.n_estimators, '15');
    assert.equal(run.params.max_features, 'sqrt');
    assert.equal(run.metrics.val_rmse, expected);
    assert.equal(run.metrics.n_trees, 15);
    assert.equal(run.tags['grove.trial'], '0');
    assert.equal(run.tags['grove.config'], JSON.stringify(CONFIG));
    assert.equal(run.tags['grove.worker_id'], t.worker.workerId);
    const row = await queueRow(t);
    assert.equal(row.state, 'finished');
    assert.equal(row.value, expected);
    assert.equal(t.view.finished, 1);
    assert.equal(t.view.best(), expected);
  } finally {
    await t.runner.close();
  }
});

test('a trial that throws ends FAILED with the error as its reason, and its queue row is failed', async () => {
  const t = await claimedTrial({}, CONFIG, { faults: new Map([[0, 'throw']]) });
  try {
    const event = await (await t.runner.launch(t.trial)).done;
    assert.equal(event.state, 'failed');
    assert.equal(event.unrecorded, undefined);
    assert.match(event.error!, /injected fault in trial 0/);
    const run = await t.store.getRun(t.trial.runId!);
    assert.equal(run.status, 'FAILED');
    assert.match(run.tags['grove.failure'], /injected fault in trial 0/);
    assert.equal((await queueRow(t)).state, 'failed');
    assert.equal(t.view.failed, 1);
  } finally {
    await t.runner.close();
  }
});

test('a trial over its --trial-timeout is stopped and FAILED with the timeout as its reason', async () => {
  const t = await claimedTrial({ trialTimeoutS: 0.05 }, { ...CONFIG, n_estimators: 100_000 });
  try {
    const event = await (await t.runner.launch(t.trial)).done;
    assert.equal(event.state, 'failed');
    assert.equal(event.error, 'timed out after 0.05 s (--trial-timeout)');
    const run = await t.store.getRun(t.trial.runId!);
    assert.equal(run.status, 'FAILED');
    assert.equal(run.tags['grove.failure'], 'timed out after 0.05 s (--trial-timeout)');
    assert.equal((await queueRow(t)).state, 'failed');
  } finally {
    await t.runner.close();
  }
});

test('a stopped worker gives its running trial back: KILLED run, queued row, and the next claim runs it as attempt 2', async () => {
  const stop = new AbortController();
  const t = await claimedTrial({}, { ...CONFIG, n_estimators: 100_000 }, { signal: stop.signal });
  try {
    const { done } = await t.runner.launch(t.trial);
    stop.abort();
    t.runner.cancelAll();
    const event = await done;
    assert.equal(event.state, 'killed');
    const run = await t.store.getRun(t.trial.runId!);
    assert.equal(run.status, 'KILLED');
    assert.match(run.tags['grove.failure'], /interrupted/);
    assert.equal((await queueRow(t)).state, 'queued');
    const again = await t.store.trials.claim(t.studyId, { worker: t.worker, runId: newRunId(), sinceSeq: 0, decide: () => ({ kind: 'rerun', number: 0 }) });
    assert.equal(again.trial?.attempt, 2);
  } finally {
    await t.runner.close();
  }
});

test('a trial a heartbeat found taken over ends lost: its run FAILED with the reason, nothing reported to the queue', async () => {
  const t = await claimedTrial({}, { ...CONFIG, n_estimators: 100_000 });
  try {
    const { done } = await t.runner.launch(t.trial);
    assert.deepEqual(t.session.owned(), [{ number: 0, attempt: 1 }]);
    // what the session's heartbeat calls when the store says the trial is no longer ours
    t.session.onLost([0]);
    const event = await done;
    assert.equal(event.state, 'lost');
    assert.deepEqual(t.session.owned(), []);
    const run = await t.store.getRun(t.trial.runId!);
    assert.equal(run.status, 'FAILED');
    assert.match(run.tags['grove.failure'], /taken over by another worker/);
    // the row still says running for us: the reaper, not the runner, decides what happens to it
    assert.equal((await queueRow(t)).state, 'running');
  } finally {
    await t.runner.close();
  }
});
