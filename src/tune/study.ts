// The study loop: ask the sampler, run trials on the piscina pool within the thread budget,
// record every trial in the store, stop at the requested number of finished trials. Optuna's
// ask/tell is the model: `optimize` is a loop over ask, run, tell.
import { MessageChannel } from 'node:worker_threads';
import { TUNE_DEFAULTS } from '../constants.js';
import { GroveError } from '../errors.js';
import type { Run, Store } from '../track/store.js';
import { startHeartbeat } from '../track/liveness.js';
import { planBudget, type ThreadBudget } from './budget.js';
import { createTrialPool } from './pool.js';
import { createSampler, TPE_LAG, type Sampler, type TrialRecord } from './samplers/index.js';
import { AshaScheduler, rungTrees } from './scheduler.js';
import { configToParams, type Config } from './space.js';
import { studyParams, type StudyConfig } from './study-config.js';
import type { StudyData } from './study-data.js';
import {
  objectiveKey,
  TAG_FAILURE,
  TAG_PRUNED,
  TAG_STUDY_STATE,
  TAG_THREADS,
  TAG_TRIAL_NUMBER,
  TAG_TYPE,
  TAG_WORKER,
  TYPE_STUDY,
  TYPE_TRIAL,
} from './study-record.js';
import { objectiveOf, type RungReport, type TrialResult, type TrialTask } from './trial-task.js';

export const TAG_CONFIG = 'grove.config';

/** A trial as the study sees it: the sampler's record plus whether the scheduler stopped it. */
export type StudyTrial = TrialRecord & { pruned?: boolean };

export interface StudyHandle {
  run: Run;
  config: StudyConfig;
  /** every trial of the study so far, by number */
  history: StudyTrial[];
  /** trial run ids by number */
  runIds: Map<number, string>;
}

export interface TrialEvent {
  number: number;
  state: 'finished' | 'failed' | 'killed';
  value: number | null;
  pruned: boolean;
  error?: string;
  durationS: number;
}

export interface Progress {
  finished: number;
  failed: number;
  running: number;
  target: number;
  best: number | null;
  etaS: number | null;
  last: TrialEvent | null;
}

/** How this process runs trials (not stored: a resumed study may run on another machine). */
export interface Execution {
  cpus?: number;
  concurrency?: number;
  threadsPerTrial?: number;
}

export interface OptimizeHooks {
  onStart?: (budget: ThreadBudget) => void;
  onProgress?: (p: Progress) => void;
  signal?: AbortSignal;
  /** testing hook: trial number -> 'throw' | 'exit' */
  faults?: Map<number, string>;
}

export interface OptimizeOutcome {
  finished: number;
  failed: number;
  killed: number;
  pruned: number;
  interrupted: boolean;
  budget: ThreadBudget;
}

/** Creates the study run (a parent run holding the config). */
export async function createStudy(store: Store, config: StudyConfig, fingerprint: string): Promise<StudyHandle> {
  const experiment = await store.getOrCreateExperiment(config.experiment);
  const run = await store.createRun({
    experimentId: experiment.experimentId,
    runName: config.studyName,
    dataFingerprint: fingerprint,
    tags: { [TAG_TYPE]: TYPE_STUDY, [TAG_STUDY_STATE]: 'running' },
  });
  await store.logBatch(run.runId, { params: studyParams(config) });
  return { run: await store.getRun(run.runId), config, history: [], runIds: new Map() };
}

/** Finds a study by run id or name (the newest study run of that name). */
export async function findStudy(store: Store, ref: string): Promise<Run> {
  if (/^[0-9a-f]{32}$/.test(ref)) {
    const run = await store.getRun(ref);
    if (run.tags[TAG_TYPE] !== TYPE_STUDY) throw new GroveError('INVALID_OPTION', `run ${ref} is not a study`, { option: '--resume' });
    return run;
  }
  const quoted = ref.replace(/'/g, "''");
  const found = await store.searchRuns({ filter: `run_name = '${quoted}' and tags.\`${TAG_TYPE}\` = '${TYPE_STUDY}'`, limit: 1 });
  if (found.length === 0) throw new GroveError('NOT_FOUND', `no study named "${ref}" in the tracking store (grove runs list shows the studies)`, { option: '--resume' });
  return found[0];
}

/** Rebuilds a study's trial history from the store; trials left RUNNING by a dead process end KILLED. */
export async function loadTrials(store: Store, study: StudyHandle): Promise<void> {
  const children = await store.searchRuns({ parentRunId: study.run.runId, limit: Infinity, orderBy: ['start_time ASC'] });
  const key = objectiveKey(study.config.metric);
  for (const child of children) {
    if (child.tags[TAG_TYPE] !== TYPE_TRIAL) continue;
    const number = Number(child.tags[TAG_TRIAL_NUMBER]);
    const config = JSON.parse(child.tags[TAG_CONFIG] ?? '{}') as Config;
    let status = child.status;
    if (status === 'RUNNING') {
      await store.endRun(child.runId, 'KILLED', { tags: { [TAG_FAILURE]: 'its process ended before the trial did' } }).catch(() => undefined);
      status = 'KILLED';
    }
    const value = child.metrics[key];
    const finished = status === 'FINISHED' && typeof value === 'number';
    study.history[number] = {
      number,
      config,
      state: finished ? 'finished' : 'failed',
      ...(finished ? { value: objectiveOf(study.config.metric, value) } : {}),
      pruned: child.tags[TAG_PRUNED] === 'true',
    };
    study.runIds.set(number, child.runId);
  }
}

export function countFinished(history: readonly StudyTrial[]): number {
  return history.filter((t) => t && t.state === 'finished').length;
}

interface Running {
  number: number;
  runId: string;
  cancel: Int32Array;
  started: number;
  timer: NodeJS.Timeout | null;
  timedOut: boolean;
  promise: Promise<void>;
}

/** Runs trials until `config.trials` have finished (or the signal aborts). */
export async function optimize(store: Store, study: StudyHandle, data: StudyData, execution: Execution = {}, hooks: OptimizeHooks = {}): Promise<OptimizeOutcome> {
  const c = study.config;
  const budget = planBudget({ ...execution, rows: data.folds[0].x.rows, trials: c.trials });
  hooks.onStart?.(budget);
  const sampler: Sampler = createSampler(c.sampler, c.space, c.seed);
  const lag = c.sampler === 'tpe' ? TPE_LAG : Infinity;
  const asha = c.scheduler === 'asha' ? new AshaScheduler(TUNE_DEFAULTS.ashaEta) : null;
  const history = study.history;
  const running = new Map<number, Running>();
  const durations: number[] = [];
  const outcome: OptimizeOutcome = { finished: countFinished(history), failed: 0, killed: 0, pruned: 0, interrupted: false, budget };
  let next = history.length;
  let consecutiveFailures = 0;
  let lastError = '';
  const pool = createTrialPool(budget.concurrency);
  const stopHeartbeat = startHeartbeat(store, study.run.runId);

  const report = (last: TrialEvent | null) => {
    const values = history.filter((t) => t?.state === 'finished').map((t) => t.value!);
    const best = values.length > 0 ? Math.min(...values) : null;
    const remaining = c.trials - outcome.finished;
    const mean = durations.length > 0 ? durations.reduce((a, b) => a + b, 0) / durations.length : null;
    hooks.onProgress?.({
      finished: outcome.finished,
      failed: outcome.failed,
      running: running.size,
      target: c.trials,
      best: best === null ? null : objectiveOf(c.metric, best),
      etaS: mean === null ? null : (mean * Math.max(0, remaining - running.size)) / budget.concurrency + (running.size > 0 ? mean / 2 : 0),
      last,
    });
  };

  const launch = async (number: number, config: Config) => {
    const started = Date.now();
    const trees = configToParams(config).nEstimators ?? 100;
    const run = await store.createRun({
      experimentId: study.run.experimentId,
      runName: `${c.studyName}-trial-${number}`,
      parentRunId: study.run.runId,
      dataFingerprint: data.fingerprint,
      tags: { [TAG_TYPE]: TYPE_TRIAL, [TAG_TRIAL_NUMBER]: String(number), [TAG_THREADS]: String(budget.threadsPerTrial), [TAG_CONFIG]: JSON.stringify(config) },
    });
    await store.logBatch(run.runId, { params: config });
    study.runIds.set(number, run.runId);
    const cancel = new Int32Array(new SharedArrayBuffer(4));
    const channel = asha ? new MessageChannel() : null;
    const rungs = rungTrees(c.scheduler, trees, TUNE_DEFAULTS.ashaEta, TUNE_DEFAULTS.ashaRungs);
    const rungReports: RungReport[] = [];
    if (channel && asha) {
      channel.port1.on('message', (r: RungReport) => {
        rungReports.push(r);
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
      rungs,
      cancel,
      port: channel?.port2 ?? null,
      fault: hooks.faults?.get(number) ?? null,
    };
    const entry: Running = { number, runId: run.runId, cancel, started, timer: null, timedOut: false, promise: Promise.resolve() };
    if (c.trialTimeoutS !== null) {
      entry.timer = setTimeout(() => {
        entry.timedOut = true;
        Atomics.store(cancel, 0, 1);
      }, c.trialTimeoutS * 1000);
    }
    entry.promise = (pool.run(task, { transferList: channel ? [channel.port2 as never] : [] }) as Promise<TrialResult>)
      .then(
        (result) => onFinished(entry, config, result),
        (err: unknown) => onFailed(entry, config, err),
      )
      .then((event) => {
        running.delete(number);
        report(event);
      })
      .finally(() => {
        if (entry.timer) clearTimeout(entry.timer);
        channel?.port1.close();
        running.delete(number);
      });
    running.set(number, entry);
  };

  const onFinished = async (entry: Running, config: Config, result: TrialResult): Promise<TrialEvent> => {
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
    await store.logBatch(entry.runId, { metrics, tags });
    await store.endRun(entry.runId, 'FINISHED');
    history[entry.number] = { number: entry.number, config, state: 'finished', value: objectiveOf(c.metric, value), pruned: result.pruned };
    outcome.finished++;
    if (result.pruned) outcome.pruned++;
    consecutiveFailures = 0;
    durations.push((now - entry.started) / 1000);
    return { number: entry.number, state: 'finished', value, pruned: result.pruned, durationS: (now - entry.started) / 1000 };
  };

  const onFailed = async (entry: Running, config: Config, err: unknown): Promise<TrialEvent> => {
    const killed = hooks.signal?.aborted === true && !entry.timedOut;
    const message = entry.timedOut
      ? `timed out after ${c.trialTimeoutS} s (--trial-timeout)`
      : killed
        ? 'interrupted (the study was stopped)'
        : err instanceof Error
          ? err.message
          : String(err);
    await store.endRun(entry.runId, killed ? 'KILLED' : 'FAILED', { tags: { [TAG_FAILURE]: message.slice(0, 1000) } });
    history[entry.number] = { number: entry.number, config, state: 'failed' };
    if (killed) outcome.killed++;
    else {
      outcome.failed++;
      consecutiveFailures++;
      lastError = message;
    }
    return { number: entry.number, state: killed ? 'killed' : 'failed', value: null, pruned: false, error: message, durationS: (Date.now() - entry.started) / 1000 };
  };

  const onAbort = () => {
    for (const r of running.values()) Atomics.store(r.cancel, 0, 1);
  };
  hooks.signal?.addEventListener('abort', onAbort);
  try {
    report(null);
    while (outcome.finished < c.trials && !hooks.signal?.aborted) {
      if (consecutiveFailures >= TUNE_DEFAULTS.maxConsecutiveFailures) {
        throw new GroveError('INTERNAL', `${consecutiveFailures} trials failed in a row; the last error: ${lastError}`);
      }
      // TPE's trial k learns from trials < k - lag: ask it only once those have ended, so the
      // sequence of configurations does not depend on timing or concurrency.
      const oldestRunning = Math.min(...running.keys());
      const canAsk = running.size === 0 || next - lag <= oldestRunning;
      if (running.size < budget.concurrency && outcome.finished + running.size < c.trials && canAsk && next < sampler.capacity) {
        const config = sampler.ask(next, history);
        history[next] = { number: next, config, state: 'running' };
        await launch(next, config);
        next++;
        continue;
      }
      if (running.size === 0) break; // grid exhausted
      await Promise.race([...running.values()].map((r) => r.promise));
    }
    if (hooks.signal?.aborted) onAbort();
    await Promise.all([...running.values()].map((r) => r.promise));
    outcome.interrupted = hooks.signal?.aborted === true;
    return outcome;
  } finally {
    hooks.signal?.removeEventListener('abort', onAbort);
    stopHeartbeat();
    await pool.destroy();
  }
}
