// The study loop: claim a trial from the study's shared queue (the sampler runs inside the
// claim, over every stored trial), run it on the piscina pool within the thread budget, record
// it, report it; stop when the study has its finished trials. Optuna's ask/tell over shared
// storage is the model; the claim is one transaction, so workers on many machines never run
// the same trial twice, and a trial whose worker went silent is run again.
import { MessageChannel } from 'node:worker_threads';
import { STUDY_QUEUE_DEFAULTS, TUNE_DEFAULTS } from '../constants.js';
import { GroveError } from '../errors.js';
import type { Run, Store } from '../track/store.js';
import { systemTags } from '../track/system-tags.js';
import { newRunId } from '../track/validate.js';
import type { ClaimDecision, ClaimResult, StudyRow, TrialRow, TrialState } from '../track/trial-queue.js';
import { planBudget, type ThreadBudget } from './budget.js';
import { createTrialPool } from './pool.js';
import { createSampler, TPE_LAG, type Sampler, type TrialRecord } from './samplers/index.js';
import { AshaScheduler, rungTrees } from './scheduler.js';
import { configToParams, type Config } from './space.js';
import { studyParams, type StudyConfig } from './study-config.js';
import type { StudyData } from './study-data.js';
import { shipData } from './ship-data.js';
import {
  objectiveKey,
  STATE_CREATING,
  TAG_ATTEMPT,
  TAG_FAILURE,
  TAG_PRUNED,
  TAG_STUDY_STATE,
  TAG_THREADS,
  TAG_TRIAL_NUMBER,
  TAG_TYPE,
  TAG_WORKER,
  TAG_WORKER_ID,
  TYPE_STUDY,
  TYPE_TRIAL,
} from './study-record.js';
import { objectiveOf, type MetricName, type RungReport, type TrialResult, type TrialTask } from './trial-task.js';
import type { WorkerSession } from './worker-session.js';

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
  /** lost: another worker took the trial over after this one missed its heartbeats */
  state: 'finished' | 'failed' | 'killed' | 'lost';
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
  /** the command doing the work, recorded as mlflow.source.name on the runs it creates */
  source?: string;
}

/** mlflow.source.name of runs created by a study when the caller does not say. */
export const DEFAULT_STUDY_SOURCE = 'grove tune';

export interface OptimizeHooks {
  onStart?: (budget: ThreadBudget) => void;
  onProgress?: (p: Progress) => void;
  signal?: AbortSignal;
  /** testing hook: trial number -> 'throw' | 'exit' (first attempts only) */
  faults?: Map<number, string>;
  /** trials of silent workers this process found and ended */
  onReap?: (reaped: ClaimResult['reaped']) => void;
}

export interface OptimizeOutcome {
  /** finished trials of the whole study (every worker's) */
  finished: number;
  /** trials this process finished; failed, killed and pruned also count this process's trials */
  finishedHere: number;
  failed: number;
  killed: number;
  pruned: number;
  interrupted: boolean;
  budget: ThreadBudget;
}

/**
 * Creates the study run (a parent run holding the config), its trial queue and, with
 * --ship-data, its data. The run is tagged "creating" until all of that is written, so a worker
 * waiting for the study never joins a half-made one.
 */
export async function createStudy(store: Store, config: StudyConfig, fingerprint: string, source = DEFAULT_STUDY_SOURCE): Promise<StudyHandle> {
  const experiment = await store.getOrCreateExperiment(config.experiment);
  const run = await store.createRun({
    experimentId: experiment.experimentId,
    runName: config.studyName,
    dataFingerprint: fingerprint,
    tags: { ...systemTags({ runName: config.studyName, source }), [TAG_TYPE]: TYPE_STUDY, [TAG_STUDY_STATE]: STATE_CREATING },
  });
  await store.logBatch(run.runId, { params: studyParams(config) });
  await store.trials.openStudy(run.runId, { target: config.trials, graceMs: config.graceS * 1000, maxAttempts: config.maxAttempts });
  if (config.shipData) await shipData(store, run.runId, config.data);
  await store.setTag(run.runId, TAG_STUDY_STATE, 'running');
  return { run: await store.getRun(run.runId), config, history: [], runIds: new Map() };
}

/** True while createStudy is still writing the study. */
export function stillCreating(run: Run): boolean {
  return run.tags[TAG_STUDY_STATE] === STATE_CREATING;
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

/**
 * Gives a study its trial queue: a new study gets an empty one; a study recorded before queues
 * existed gets its trials imported from its child runs (RUNNING ones end KILLED and are queued
 * again). `target` updates the requested number of finished trials.
 */
export async function ensureQueue(store: Store, study: StudyHandle, target?: number): Promise<StudyRow> {
  const c = study.config;
  const existing = await store.trials.getStudy(study.run.runId);
  if (existing && target === undefined) return existing;
  const row = await store.trials.openStudy(study.run.runId, { target: target ?? c.trials, graceMs: c.graceS * 1000, maxAttempts: c.maxAttempts });
  if (existing) return row;
  const children = await store.searchRuns({ parentRunId: study.run.runId, limit: Infinity, orderBy: ['start_time ASC'] });
  const key = objectiveKey(c.metric);
  const rows = new Map<number, Omit<TrialRow, 'seq' | 'workerId'>>();
  for (const child of children) {
    if (child.tags[TAG_TYPE] !== TYPE_TRIAL) continue;
    let status = child.status;
    if (status === 'RUNNING') {
      await store.endRun(child.runId, 'KILLED', { tags: { [TAG_FAILURE]: 'its process ended before the trial did' } }).catch(() => undefined);
      status = 'KILLED';
    }
    const number = Number(child.tags[TAG_TRIAL_NUMBER]);
    const value = child.metrics[key];
    const finished = status === 'FINISHED' && typeof value === 'number';
    rows.set(number, {
      number,
      attempt: 1,
      state: finished ? 'finished' : status === 'KILLED' ? 'queued' : 'failed',
      config: child.tags[TAG_CONFIG] ?? '{}',
      value: finished ? value : null,
      pruned: child.tags[TAG_PRUNED] === 'true',
      rungs: null,
      runId: child.runId,
    });
  }
  // numbers never recorded (a crash between claim and record) count as failed
  const top = Math.max(-1, ...rows.keys());
  for (let n = 0; n <= top; n++) if (!rows.has(n)) rows.set(n, { number: n, attempt: 1, state: 'failed', config: '{}', value: null, pruned: false, rungs: null, runId: null });
  await store.trials.importTrials(study.run.runId, [...rows.values()].sort((a, b) => a.number - b.number));
  return (await store.trials.getStudy(study.run.runId))!;
}

export function countFinished(history: readonly StudyTrial[]): number {
  return history.filter((t) => t && t.state === 'finished').length;
}

interface Running {
  number: number;
  attempt: number;
  runId: string | null;
  cancel: Int32Array;
  started: number;
  timer: NodeJS.Timeout | null;
  timedOut: boolean;
  /** a heartbeat found the trial taken over by another worker */
  lost: boolean;
  promise: Promise<void>;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Works on the study until it has `target` finished trials and nothing is left to claim (or
 * the signal aborts): claim a trial from the shared queue, run it on the local pool within the
 * thread budget, record it, report it. Any number of processes may run this on one study.
 */
export async function optimize(store: Store, study: StudyHandle, data: StudyData, session: WorkerSession, execution: Execution = {}, hooks: OptimizeHooks = {}): Promise<OptimizeOutcome> {
  const c = study.config;
  const studyId = study.run.runId;
  const budget = planBudget({ ...execution, rows: data.folds[0].x.rows, trials: c.trials });
  hooks.onStart?.(budget);
  const sampler: Sampler = createSampler(c.sampler, c.space, c.seed);
  const lag = c.sampler === 'tpe' ? TPE_LAG : Infinity;
  const asha = c.scheduler === 'asha' ? new AshaScheduler(TUNE_DEFAULTS.ashaEta) : null;
  const history = study.history;
  const view = new QueueView(history, c.metric, asha);
  const running = new Map<number, Running>();
  const durations: number[] = [];
  const outcome: OptimizeOutcome = { finished: 0, finishedHere: 0, failed: 0, killed: 0, pruned: 0, interrupted: false, budget };
  let target = c.trials;
  let consecutiveFailures = 0;
  let lastError = '';
  const pool = createTrialPool(budget.concurrency);
  session.owned = () => [...running.values()].map((r) => ({ number: r.number, attempt: r.attempt }));
  session.onLost = (numbers) => {
    for (const n of numbers) {
      const r = running.get(n);
      if (!r) continue;
      r.lost = true;
      Atomics.store(r.cancel, 0, 1);
    }
  };

  const report = (last: TrialEvent | null) => {
    const best = view.best();
    const remaining = target - view.finished;
    const mean = durations.length > 0 ? durations.reduce((a, b) => a + b, 0) / durations.length : null;
    hooks.onProgress?.({
      finished: view.finished,
      failed: view.failed,
      running: view.running,
      target,
      best: best === null ? null : objectiveOf(c.metric, best),
      etaS: mean === null ? null : (mean * Math.max(0, remaining - running.size)) / budget.concurrency + (running.size > 0 ? mean / 2 : 0),
      last,
    });
  };

  // the sampler's side of a claim: runs inside the store's transaction, on the whole history
  const decide = (changes: TrialRow[], s: StudyRow): ClaimDecision => {
    view.apply(changes);
    target = s.target;
    if (view.finished >= s.target) return { kind: 'done' };
    if (view.finished + view.running >= s.target) return { kind: 'wait' };
    const queued = view.lowestQueued();
    if (queued !== null) return { kind: 'rerun', number: queued };
    const next = s.nextNumber;
    if (next >= sampler.capacity) return view.running === 0 ? { kind: 'done' } : { kind: 'wait' };
    if (!lagAllows(next)) return { kind: 'wait' };
    return { kind: 'new', number: next, config: proposals.get(next) ?? propose(next) };
  };

  // TPE's trial k learns from trials < k - lag: ask it only once those have ended, so the
  // sequence of configurations does not depend on timing, concurrency or the number of workers.
  const lagAllows = (k: number) => {
    const oldest = view.lowestPending();
    return oldest === null || k - lag <= oldest;
  };
  const propose = (k: number) => {
    for (let n = history.length; n < k; n++) history[n] ??= { number: n, config: {}, state: 'failed' };
    return JSON.stringify(sampler.ask(k, history));
  };
  // ask(k) is then a function of the seed, k, the configs of trials < k and the values of trials
  // < k - lag, none of which change once k is next: so the next proposal is computed before the
  // claim, outside its transaction (TPE over 10,000 trials takes tens of ms; the study lock should
  // not wait for it), and used if k is still next when the claim runs.
  const proposals = new Map<number, string>();
  let knownNext = 0;
  const prepareNext = () => {
    const k = knownNext;
    for (const n of proposals.keys()) if (n < k) proposals.delete(n);
    if (proposals.has(k) || k >= sampler.capacity || view.lowestQueued() !== null || view.finished + view.running >= target || !lagAllows(k)) return;
    proposals.set(k, propose(k));
  };

  const launch = async (trial: TrialRow) => {
    const started = Date.now();
    const number = trial.number;
    const config = JSON.parse(trial.config) as Config;
    const trees = configToParams(config).nEstimators ?? 100;
    const cancel = new Int32Array(new SharedArrayBuffer(4));
    const entry: Running = { number, attempt: trial.attempt, runId: null, cancel, started, timer: null, timedOut: false, lost: false, promise: Promise.resolve() };
    running.set(number, entry);
    view.own(number, trial.attempt);
    const runName = `${c.studyName}-trial-${number}${trial.attempt > 1 ? `-attempt-${trial.attempt}` : ''}`;
    const run = await store.createRun({
      runId: trial.runId!,
      experimentId: study.run.experimentId,
      runName,
      parentRunId: studyId,
      dataFingerprint: data.fingerprint,
      tags: {
        ...systemTags({ runName, parentRunId: studyId, source: execution.source ?? DEFAULT_STUDY_SOURCE }),
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
    const rungs = rungTrees(c.scheduler, trees, TUNE_DEFAULTS.ashaEta, TUNE_DEFAULTS.ashaRungs);
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
      rungs,
      cancel,
      port: channel?.port2 ?? null,
      fault: trial.attempt === 1 ? (hooks.faults?.get(number) ?? null) : null,
    };
    if (c.trialTimeoutS !== null) {
      entry.timer = setTimeout(() => {
        entry.timedOut = true;
        Atomics.store(cancel, 0, 1);
      }, c.trialTimeoutS * 1000);
    }
    entry.promise = (pool.run(task, { transferList: channel ? [channel.port2 as never] : [] }) as Promise<TrialResult>)
      .then(
        (result) => (entry.lost ? onLost(entry) : onFinished(entry, result)),
        (err: unknown) => (entry.lost ? onLost(entry) : onFailed(entry, err)),
      )
      .catch((err: unknown) => {
        // recording failed (the store went away): the trial stays claimed, so the grace period
        // gives it to another worker
        consecutiveFailures++;
        lastError = `recording trial ${number} failed: ${err instanceof Error ? err.message : String(err)}`;
        return { number, state: 'failed' as const, value: null, pruned: false, error: lastError, durationS: (Date.now() - started) / 1000 };
      })
      .then((event) => {
        running.delete(number);
        report(event);
      })
      .finally(() => {
        if (entry.timer) clearTimeout(entry.timer);
        channel?.port1.close();
        running.delete(number);
      });
  };

  const onFinished = async (entry: Running, result: TrialResult): Promise<TrialEvent> => {
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
    if (!(await store.trials.report(studyId, session.identity.workerId, entry.number, entry.attempt, { state: 'finished', value, pruned: result.pruned, rungs }))) return onLost(entry);
    await store.endRun(entry.runId!, 'FINISHED');
    outcome.finishedHere++;
    if (result.pruned) outcome.pruned++;
    consecutiveFailures = 0;
    durations.push((now - entry.started) / 1000);
    view.settle(entry.number, 'finished', value, result.pruned);
    return { number: entry.number, state: 'finished', value, pruned: result.pruned, durationS: (now - entry.started) / 1000 };
  };

  const onFailed = async (entry: Running, err: unknown): Promise<TrialEvent> => {
    const killed = hooks.signal?.aborted === true && !entry.timedOut;
    const message = entry.timedOut
      ? `timed out after ${c.trialTimeoutS} s (--trial-timeout)`
      : killed
        ? 'interrupted (the worker was stopped); queued for another worker'
        : err instanceof Error
          ? err.message
          : String(err);
    // a stopped worker gives its trials back; a trial that failed on its own stays failed
    const owned = killed
      ? await store.trials.release(studyId, session.identity.workerId, entry.number, entry.attempt)
      : await store.trials.report(studyId, session.identity.workerId, entry.number, entry.attempt, { state: 'failed' });
    if (!owned) return onLost(entry);
    await store.endRun(entry.runId!, killed ? 'KILLED' : 'FAILED', { tags: { [TAG_FAILURE]: message.slice(0, 1000) } });
    view.settle(entry.number, killed ? 'queued' : 'failed', null, false);
    if (killed) outcome.killed++;
    else {
      outcome.failed++;
      consecutiveFailures++;
      lastError = message;
    }
    return { number: entry.number, state: killed ? 'killed' : 'failed', value: null, pruned: false, error: message, durationS: (Date.now() - entry.started) / 1000 };
  };

  // another worker owns the trial now (ours went silent past the grace period): the reaper
  // ended our run, or, if we created it after being reaped, we end it here
  const onLost = async (entry: Running): Promise<TrialEvent> => {
    const error = 'taken over by another worker after this one missed its heartbeats';
    if (entry.runId) {
      await store.endRun(entry.runId, 'FAILED', { tags: { [TAG_FAILURE]: error } }).catch((err: unknown) => {
        if (!(err instanceof GroveError && err.code === 'CONFLICT')) throw err;
      });
    }
    return { number: entry.number, state: 'lost', value: null, pruned: false, error, durationS: (Date.now() - entry.started) / 1000 };
  };

  const onAbort = () => {
    for (const r of running.values()) Atomics.store(r.cancel, 0, 1);
  };
  hooks.signal?.addEventListener('abort', onAbort);
  let claimable = true;
  try {
    report(null);
    while (!hooks.signal?.aborted) {
      if (consecutiveFailures >= TUNE_DEFAULTS.maxConsecutiveFailures) {
        throw new GroveError('INTERNAL', `${consecutiveFailures} trials failed in a row; the last error: ${lastError}`);
      }
      let waitForOthers = false;
      if (claimable && running.size < budget.concurrency) {
        prepareNext();
        const claimed = await store.trials.claim(studyId, { worker: session.identity, runId: newRunId(), sinceSeq: view.seq, decide });
        view.apply(claimed.changes);
        target = claimed.study.target;
        knownNext = claimed.study.nextNumber;
        if (claimed.reaped.length > 0) hooks.onReap?.(claimed.reaped);
        if (claimed.trial) {
          await launch(claimed.trial);
          continue;
        }
        if (claimed.decision === 'done') claimable = false;
        else waitForOthers = true;
        report(null);
      }
      if (!claimable && running.size === 0) break;
      const own = [...running.values()].map((r) => r.promise);
      await Promise.race(waitForOthers || own.length === 0 ? [...own, sleep(STUDY_QUEUE_DEFAULTS.pollMs)] : own);
    }
    if (hooks.signal?.aborted) onAbort();
    await Promise.all([...running.values()].map((r) => r.promise));
    outcome.interrupted = hooks.signal?.aborted === true;
    outcome.finished = view.finished;
    return outcome;
  } finally {
    hooks.signal?.removeEventListener('abort', onAbort);
    session.owned = () => [];
    await pool.destroy();
  }
}

/**
 * This process's picture of the shared queue: the latest row of every trial number, kept up to
 * date from the changes each claim returns, as the sampler's history and as counts.
 */
class QueueView {
  seq = 0;
  finished = 0;
  failed = 0;
  running = 0;
  private readonly rows = new Map<number, TrialRow>();
  private readonly pending = new Set<number>();
  private readonly queued = new Set<number>();
  /** rung values already given to the scheduler, by "number:attempt" */
  private readonly fed = new Set<string>();

  constructor(
    private readonly history: StudyTrial[],
    private readonly metric: MetricName,
    private readonly asha: AshaScheduler | null,
  ) {}

  apply(changes: readonly TrialRow[], local = false): void {
    for (const r of changes) {
      const old = this.rows.get(r.number);
      if (old && old.seq >= r.seq) continue;
      this.count(old?.state, -1);
      this.count(r.state, 1);
      this.rows.set(r.number, r);
      if (!local) this.seq = Math.max(this.seq, r.seq);
      if (r.state === 'running' || r.state === 'queued') this.pending.add(r.number);
      else this.pending.delete(r.number);
      if (r.state === 'queued') this.queued.add(r.number);
      else this.queued.delete(r.number);
      this.history[r.number] = {
        number: r.number,
        config: JSON.parse(r.config) as Config,
        state: r.state === 'finished' && r.value !== null ? 'finished' : r.state === 'failed' || r.state === 'finished' ? 'failed' : 'running',
        ...(r.state === 'finished' && r.value !== null ? { value: objectiveOf(this.metric, r.value) } : {}),
        pruned: r.pruned,
      };
      this.feed(r);
    }
  }

  /** our own trials' rungs reach the scheduler as they happen */
  own(number: number, attempt: number): void {
    this.fed.add(`${number}:${attempt}`);
  }

  /** our own report, before the next claim brings it back as a change */
  settle(number: number, state: TrialState, value: number | null, pruned: boolean): void {
    const old = this.rows.get(number);
    if (!old) return;
    // between the row's seq and the next real change, which the next claim brings back
    this.apply([{ ...old, state, value, pruned, seq: old.seq + 0.5 }], true);
  }

  private feed(r: TrialRow): void {
    const key = `${r.number}:${r.attempt}`;
    if (!this.asha || r.state !== 'finished' || !r.rungs || this.fed.has(key)) return;
    this.fed.add(key);
    const rungs = JSON.parse(r.rungs) as [number, number, number][];
    rungs.forEach(([rung, , value], i) => this.asha!.report(rung, objectiveOf(this.metric, value), i === rungs.length - 1 && !r.pruned));
  }

  private count(state: TrialState | undefined, d: number): void {
    if (state === 'finished') this.finished += d;
    else if (state === 'failed') this.failed += d;
    else if (state === 'running') this.running += d;
  }

  lowestQueued(): number | null {
    return this.queued.size === 0 ? null : Math.min(...this.queued);
  }

  lowestPending(): number | null {
    return this.pending.size === 0 ? null : Math.min(...this.pending);
  }

  /** the best objective among finished, unpruned trials */
  best(): number | null {
    let best: number | null = null;
    for (const t of this.history) if (t?.state === 'finished' && !t.pruned && (best === null || t.value! < best)) best = t.value!;
    return best;
  }
}
