// The study loop: claim a trial from the study's shared queue (the claim policy runs the sampler
// inside the claim, over every stored trial), run it with the trial runner within the thread
// budget, count and report what it came to; stop when the study has its finished trials. Optuna's
// ask/tell over shared storage is the model; the claim is one transaction, so workers on many
// machines never run the same trial twice, and a trial whose worker went silent is run again.
import { STUDY_QUEUE_DEFAULTS, TUNE_DEFAULTS } from '../constants.js';
import { GroveError } from '../errors.js';
import type { Store } from '../track/store.js';
import type { ClaimResult } from '../track/trial-queue.js';
import { newRunId } from '../track/validate.js';
import { planBudget, type ThreadBudget } from './budget.js';
import { ClaimPolicy } from './claim-policy.js';
import { QueueView } from './queue-view.js';
import { AshaScheduler } from './scheduler.js';
import type { StudyData } from './study-data.js';
import type { StudyHandle } from './study-run.js';
import { objectiveOf, type MetricName } from './trial-task.js';
import { TrialRunner, type TrialEvent } from './trial-runner.js';
import type { WorkerSession } from './worker-session.js';

export type { TrialEvent } from './trial-runner.js';

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

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Works on the study until it has `target` finished trials and nothing is left to claim (or
 * the signal aborts): claim a trial from the shared queue, run it on the local pool within the
 * thread budget, record it, report it. Any number of processes may run this on one study.
 */
export async function optimize(store: Store, study: StudyHandle, data: StudyData, session: WorkerSession, execution: Execution = {}, hooks: OptimizeHooks = {}): Promise<OptimizeOutcome> {
  const c = study.config;
  const budget = planBudget({ ...execution, rows: data.folds[0].x.rows, trials: c.trials });
  hooks.onStart?.(budget);
  const asha = c.scheduler === 'asha' ? new AshaScheduler(TUNE_DEFAULTS.ashaEta) : null;
  const view = new QueueView(study.history, c.metric, asha);
  const policy = ClaimPolicy.forStudy(c, view, study.history);
  const runner = new TrialRunner({ store, study, data, session, budget, view, asha, signal: hooks.signal, faults: hooks.faults, source: execution.source });
  const tally = new Tally(budget, c.metric);
  // a trial counts against the budget until its event has been counted and reported
  const inFlight = new Set<Promise<void>>();
  const report = (last: TrialEvent | null) => hooks.onProgress?.(tally.progress(view, policy.target, runner.size, last));
  const onAbort = () => runner.cancelAll();
  hooks.signal?.addEventListener('abort', onAbort);
  let claimable = true;
  try {
    report(null);
    while (!hooks.signal?.aborted) {
      tally.checkFailures();
      let waitForOthers = false;
      if (claimable && inFlight.size < budget.concurrency) {
        policy.prepareNext();
        const claimed = await store.trials.claim(study.run.runId, { worker: session.identity, runId: newRunId(), sinceSeq: view.seq, decide: policy.decide });
        policy.observe(claimed);
        if (claimed.reaped.length > 0) hooks.onReap?.(claimed.reaped);
        if (claimed.trial) {
          const { done } = await runner.launch(claimed.trial);
          const counted: Promise<void> = done
            .then((event) => {
              tally.count(event);
              report(event);
            })
            .finally(() => inFlight.delete(counted));
          inFlight.add(counted);
          continue;
        }
        if (claimed.decision === 'done') claimable = false;
        else waitForOthers = true;
        report(null);
      }
      if (!claimable && inFlight.size === 0) break;
      const own = [...inFlight];
      await Promise.race(waitForOthers || own.length === 0 ? [...own, sleep(STUDY_QUEUE_DEFAULTS.pollMs)] : own);
    }
    if (hooks.signal?.aborted) onAbort();
    await Promise.all([...inFlight]);
    tally.outcome.interrupted = hooks.signal?.aborted === true;
    tally.outcome.finished = view.finished;
    return tally.outcome;
  } finally {
    hooks.signal?.removeEventListener('abort', onAbort);
    await runner.close();
  }
}

/** What this process's trials came to: the outcome's counts, the failure streak, trial durations for the ETA. */
class Tally {
  readonly outcome: OptimizeOutcome;
  private readonly durations: number[] = [];
  private consecutiveFailures = 0;
  private lastError = '';

  constructor(
    private readonly budget: ThreadBudget,
    private readonly metric: MetricName,
  ) {
    this.outcome = { finished: 0, finishedHere: 0, failed: 0, killed: 0, pruned: 0, interrupted: false, budget };
  }

  count(event: TrialEvent): void {
    if (event.unrecorded) {
      this.consecutiveFailures++;
      this.lastError = event.error ?? '';
    } else if (event.state === 'finished') {
      this.outcome.finishedHere++;
      if (event.pruned) this.outcome.pruned++;
      this.consecutiveFailures = 0;
      this.durations.push(event.durationS);
    } else if (event.state === 'failed') {
      this.outcome.failed++;
      this.consecutiveFailures++;
      this.lastError = event.error ?? '';
    } else if (event.state === 'killed') {
      this.outcome.killed++;
    }
  }

  /** Too many trials failed in a row: something is wrong with the setup, not with one configuration. */
  checkFailures(): void {
    if (this.consecutiveFailures >= TUNE_DEFAULTS.maxConsecutiveFailures) {
      throw new GroveError('INTERNAL', `${this.consecutiveFailures} trials failed in a row; the last error: ${this.lastError}`);
    }
  }

  progress(view: QueueView, target: number, running: number, last: TrialEvent | null): Progress {
    const best = view.best();
    const remaining = target - view.finished;
    const mean = this.durations.length > 0 ? this.durations.reduce((a, b) => a + b, 0) / this.durations.length : null;
    return {
      finished: view.finished,
      failed: view.failed,
      running: view.running,
      target,
      best: best === null ? null : objectiveOf(this.metric, best),
      etaS: mean === null ? null : (mean * Math.max(0, remaining - running)) / this.budget.concurrency + (running > 0 ? mean / 2 : 0),
      last,
    };
  }
}
