// Runs the trials this process claimed: creates each trial's run, runs it on the piscina pool
// (with the successive-halving channel and the --trial-timeout timer), records how it ended in
// the run and the shared queue, and returns that as a TrialEvent. It also answers the worker
// session: which trials we hold (heartbeats) and which a heartbeat found taken from us.
import { MessageChannel } from 'node:worker_threads';
import type { Piscina } from 'piscina';
import { FOREST_DEFAULTS, TUNE_DEFAULTS } from '../constants.js';
import { GroveError } from '../errors.js';
import type { Store } from '../track/store.js';
import { systemTags } from '../track/system-tags.js';
import type { TrialRow } from '../track/trial-queue.js';
import type { ThreadBudget } from './budget.js';
import { createTrialPool } from './pool.js';
import type { QueueView } from './queue-view.js';
import { rungTrees, type AshaScheduler } from './scheduler.js';
import { configToParams, type Config } from './space.js';
import type { StudyData } from './study-data.js';
import { objectiveKey, TAG_ATTEMPT, TAG_CONFIG, TAG_FAILURE, TAG_PRUNED, TAG_THREADS, TAG_TRIAL_NUMBER, TAG_TYPE, TAG_WORKER, TAG_WORKER_ID, TYPE_TRIAL } from './study-record.js';
import { DEFAULT_STUDY_SOURCE, type StudyHandle } from './study-run.js';
import { objectiveOf, type RungReport, type TrialResult, type TrialTask } from './trial-task.js';
import type { WorkerSession } from './worker-session.js';

export interface TrialEvent {
  number: number;
  /** lost: another worker took the trial over after this one missed its heartbeats */
  state: 'finished' | 'failed' | 'killed' | 'lost';
  value: number | null;
  pruned: boolean;
  error?: string;
  durationS: number;
  /** recording the end failed (the store went away): the trial stays claimed, so the grace
   *  period gives it to another worker */
  unrecorded?: boolean;
}

export interface TrialRunnerContext {
  store: Store;
  study: StudyHandle;
  data: StudyData;
  session: WorkerSession;
  budget: ThreadBudget;
  view: QueueView;
  asha: AshaScheduler | null;
  /** aborted: running trials are stopped and given back to the queue */
  signal?: AbortSignal;
  /** testing hook: trial number -> 'throw' | 'exit' (first attempts only) */
  faults?: Map<number, string>;
  /** mlflow.source.name of the trial runs (default: DEFAULT_STUDY_SOURCE) */
  source?: string;
}

interface Running {
  number: number;
  attempt: number;
  runId: string | null;
  cancel: Int32Array;
  started: number;
  timedOut: boolean;
  /** a heartbeat found the trial taken over by another worker */
  lost: boolean;
}

export class TrialRunner {
  private readonly running = new Map<number, Running>();
  private readonly pool: Piscina;

  constructor(private readonly ctx: TrialRunnerContext) {
    this.pool = createTrialPool(ctx.budget.concurrency);
    ctx.session.owned = () => [...this.running.values()].map((r) => ({ number: r.number, attempt: r.attempt }));
    ctx.session.onLost = (numbers) => {
      for (const n of numbers) {
        const r = this.running.get(n);
        if (!r) continue;
        r.lost = true;
        Atomics.store(r.cancel, 0, 1);
      }
    };
  }

  /** trials started and not yet recorded */
  get size(): number {
    return this.running.size;
  }

  /**
   * Starts a claimed trial. Resolves once its run exists (so the next claim comes after it), with
   * `done`: how the trial ended, once that is recorded. `done` never rejects.
   */
  async launch(trial: TrialRow): Promise<{ done: Promise<TrialEvent> }> {
    const { store, study, data, session, budget, asha } = this.ctx;
    const c = study.config;
    const number = trial.number;
    const config = JSON.parse(trial.config) as Config;
    const trees = configToParams(config).nEstimators ?? FOREST_DEFAULTS.nEstimators;
    const cancel = new Int32Array(new SharedArrayBuffer(4));
    const entry: Running = { number, attempt: trial.attempt, runId: null, cancel, started: Date.now(), timedOut: false, lost: false };
    this.running.set(number, entry);
    this.ctx.view.own(number, trial.attempt);
    const runName = `${c.studyName}-trial-${number}${trial.attempt > 1 ? `-attempt-${trial.attempt}` : ''}`;
    const run = await store.createRun({
      runId: trial.runId!,
      experimentId: study.run.experimentId,
      runName,
      parentRunId: study.run.runId,
      dataFingerprint: data.fingerprint,
      tags: {
        ...systemTags({ runName, parentRunId: study.run.runId, source: this.ctx.source ?? DEFAULT_STUDY_SOURCE }),
        [TAG_TYPE]: TYPE_TRIAL,
        [TAG_TRIAL_NUMBER]: String(number),
        [TAG_ATTEMPT]: String(trial.attempt),
        [TAG_THREADS]: String(budget.threadsPerTrial),
        [TAG_CONFIG]: trial.config,
        [TAG_WORKER_ID]: session.identity.workerId,
      },
    });
    entry.runId = run.runId;
    await store.logBatch(run.runId, { params: config });
    study.runIds.set(number, run.runId);
    const channel = asha ? new MessageChannel() : null;
    if (channel && asha) {
      channel.port1.on('message', (r: RungReport) => {
        channel.port1.postMessage({ go: asha.report(r.rung, r.value, false) });
      });
    }
    const task: TrialTask = {
      number,
      config,
      seed: c.seed,
      backend: c.backend,
      threads: budget.threadsPerTrial,
      folds: data.folds,
      evaluation: c.evaluation,
      metric: c.metric,
      task: data.task,
      nClasses: data.classes.length,
      rungs: rungTrees(c.scheduler, trees, TUNE_DEFAULTS.ashaEta, TUNE_DEFAULTS.ashaRungs),
      cancel,
      port: channel?.port2 ?? null,
      fault: trial.attempt === 1 ? (this.ctx.faults?.get(number) ?? null) : null,
    };
    const timer =
      c.trialTimeoutS === null
        ? null
        : setTimeout(() => {
            entry.timedOut = true;
            Atomics.store(cancel, 0, 1);
          }, c.trialTimeoutS * 1000);
    const done = (this.pool.run(task, { transferList: channel ? [channel.port2 as never] : [] }) as Promise<TrialResult>)
      .then(
        (result) => (entry.lost ? this.recordLost(entry) : this.recordFinished(entry, result)),
        (err: unknown) => (entry.lost ? this.recordLost(entry) : this.recordFailed(entry, err)),
      )
      .catch(
        (err: unknown): TrialEvent => ({
          number,
          state: 'failed',
          value: null,
          pruned: false,
          error: `recording trial ${number} failed: ${err instanceof Error ? err.message : String(err)}`,
          durationS: (Date.now() - entry.started) / 1000,
          unrecorded: true,
        }),
      )
      .finally(() => {
        if (timer) clearTimeout(timer);
        channel?.port1.close();
        this.running.delete(number);
      });
    return { done };
  }

  /** Stops every running trial (they end killed and go back to the queue). */
  cancelAll(): void {
    for (const r of this.running.values()) Atomics.store(r.cancel, 0, 1);
  }

  /** Ends the pool; the session no longer reports trials as ours. */
  async close(): Promise<void> {
    this.ctx.session.owned = () => [];
    await this.pool.destroy();
  }

  private async recordFinished(entry: Running, result: TrialResult): Promise<TrialEvent> {
    const { store, study, session, asha, view } = this.ctx;
    const c = study.config;
    const value = result.metrics[`val_${c.metric}`];
    // the last rung also reaches the scheduler, so later trials compare against it
    const lastRung = result.rungValues[result.rungValues.length - 1];
    if (asha && !result.pruned) asha.report(lastRung.rung, objectiveOf(c.metric, lastRung.value), true);
    const now = Date.now();
    const key = objectiveKey(c.metric);
    const metrics = [
      ...result.rungValues.slice(0, -1).map((r) => ({ key, value: r.value, step: r.trees, timestamp: now })),
      ...Object.entries(result.metrics).map(([k, v]) => ({ key: k, value: v, step: k.startsWith('val_') ? lastRung.trees : 0, timestamp: now })),
      ...(c.evaluation === 'cv' ? result.foldValues.map((v, i) => ({ key: `fold_${c.metric}`, value: v, step: i, timestamp: now })) : []),
      { key: 'duration_s', value: (now - entry.started) / 1000, step: 0, timestamp: now },
    ];
    const tags: Record<string, string> = { [TAG_WORKER]: result.worker, [TAG_THREADS]: String(result.threads) };
    if (result.pruned) tags[TAG_PRUNED] = 'true';
    await store.logBatch(entry.runId!, { metrics, tags });
    const rungs = JSON.stringify(result.rungValues.map((r) => [r.rung, r.trees, r.value]));
    if (!(await store.trials.report(study.run.runId, session.identity.workerId, entry.number, entry.attempt, { state: 'finished', value, pruned: result.pruned, rungs }))) {
      return this.recordLost(entry);
    }
    await store.endRun(entry.runId!, 'FINISHED');
    view.settle(entry.number, 'finished', value, result.pruned);
    return { number: entry.number, state: 'finished', value, pruned: result.pruned, durationS: (now - entry.started) / 1000 };
  }

  private async recordFailed(entry: Running, err: unknown): Promise<TrialEvent> {
    const { store, study, session, view } = this.ctx;
    const killed = this.ctx.signal?.aborted === true && !entry.timedOut;
    const message = entry.timedOut
      ? `timed out after ${study.config.trialTimeoutS} s (--trial-timeout)`
      : killed
        ? 'interrupted (the worker was stopped); queued for another worker'
        : err instanceof Error
          ? err.message
          : String(err);
    // a stopped worker gives its trials back; a trial that failed on its own stays failed
    const studyId = study.run.runId;
    const owned = killed
      ? await store.trials.release(studyId, session.identity.workerId, entry.number, entry.attempt)
      : await store.trials.report(studyId, session.identity.workerId, entry.number, entry.attempt, { state: 'failed' });
    if (!owned) return this.recordLost(entry);
    await store.endRun(entry.runId!, killed ? 'KILLED' : 'FAILED', { tags: { [TAG_FAILURE]: message.slice(0, 1000) } });
    view.settle(entry.number, killed ? 'queued' : 'failed', null, false);
    return { number: entry.number, state: killed ? 'killed' : 'failed', value: null, pruned: false, error: message, durationS: (Date.now() - entry.started) / 1000 };
  }

  // another worker owns the trial now (ours went silent past the grace period): the reaper
  // ended our run, or, if we created it after being reaped, we end it here
  private async recordLost(entry: Running): Promise<TrialEvent> {
    const error = 'taken over by another worker after this one missed its heartbeats';
    if (entry.runId) {
      await this.ctx.store.endRun(entry.runId, 'FAILED', { tags: { [TAG_FAILURE]: error } }).catch((err: unknown) => {
        if (!(err instanceof GroveError && err.code === 'CONFLICT')) throw err;
      });
    }
    return { number: entry.number, state: 'lost', value: null, pruned: false, error, durationS: (Date.now() - entry.started) / 1000 };
  }
}
