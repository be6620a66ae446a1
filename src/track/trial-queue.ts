/**
 * The trial queue of a shared study: how many processes on many machines work on one study
 * through the tracking store, with no coordinator. Every store implements it in its own
 * database, next to the runs (SQLite: one BEGIN IMMEDIATE transaction per claim; PostgreSQL: a
 * row lock on the study row, SELECT ... FOR UPDATE).
 *
 * - A study row holds the requested number of finished trials, the grace period, the attempt
 *   limit, the next trial number and a change counter (seq).
 * - One row per trial number holds its latest attempt: running (with the claiming worker and
 *   its heartbeat by the database's clock), finished, failed, or queued (to be run again).
 *   Every change takes the study row lock and stamps the row with the next seq, so a worker
 *   keeps the whole history by reading only the rows changed since it last looked: a claim
 *   costs the same at trial 100 and at trial 10,000.
 * - A claim, in one transaction: reap running trials whose heartbeat is older than the grace
 *   period (or whose process on this host is gone): their runs end FAILED with the reason, and
 *   the trial is queued again until it has had `maxAttempts` attempts; read the changes; let
 *   the caller's `decide` (the sampler, synchronous) pick a queued trial or propose the next
 *   number; mark it running for this worker.
 * - A report or a release only counts if this worker still owns that attempt: a worker that
 *   lost its trial to the reaper (a network partition, a long pause) cannot finish it twice.
 * - The final refit is claimed once (the study row's state goes running -> refitting); a
 *   refitting worker that stops heartbeating loses it to the next claimer.
 */
import { currentHost, processExists } from './liveness.js';

export type TrialState = 'running' | 'finished' | 'failed' | 'queued';
export type StudyState = 'running' | 'refitting' | 'finished' | 'failed' | 'killed';

export interface WorkerIdentity {
  /** unique per process: host:pid:random */
  workerId: string;
  host: string;
  pid: number;
}

/** The latest attempt of one trial number. */
export interface TrialRow {
  number: number;
  /** 1 for the first run; each re-queue adds one */
  attempt: number;
  state: TrialState;
  /** the configuration as JSON */
  config: string;
  /** the objective metric as logged (not sign-flipped); null unless finished */
  value: number | null;
  pruned: boolean;
  /** successive halving: [rung, trees, value] triples as JSON, so other workers' schedulers learn them */
  rungs: string | null;
  runId: string | null;
  workerId: string | null;
  seq: number;
}

export interface StudyRow {
  studyId: string;
  target: number;
  graceMs: number;
  maxAttempts: number;
  nextNumber: number;
  seq: number;
  state: StudyState;
  refitWorker: string | null;
}

export type ClaimDecision = { kind: 'rerun'; number: number } | { kind: 'new'; number: number; config: string } | { kind: 'wait' } | { kind: 'done' };

export interface ClaimOptions {
  worker: WorkerIdentity;
  /** the id the claimed trial's run will be created with (recorded with the claim, so a reaper
   *  ends the run even if the worker dies between claiming and creating it) */
  runId: string;
  /** rows changed after this seq are handed to `decide` */
  sinceSeq: number;
  /**
   * Called inside the claim's transaction with the changed rows and the study row; it must be
   * synchronous and deterministic in what it is given (it may be called again if the
   * transaction is retried).
   */
  decide: (changes: TrialRow[], study: StudyRow) => ClaimDecision;
}

export interface ClaimResult {
  /** the claimed trial (state running, attempt counted), or null with decision wait / done */
  trial: TrialRow | null;
  decision: ClaimDecision['kind'];
  /** every row changed since `sinceSeq`, the claimed one included */
  changes: TrialRow[];
  study: StudyRow;
  /** trials this claim reaped (their runs were ended FAILED) */
  reaped: { number: number; attempt: number; requeued: boolean }[];
}

export interface TrialReport {
  state: 'finished' | 'failed';
  value?: number | null;
  pruned?: boolean;
  rungs?: string | null;
}

export interface WorkerStatus {
  workerId: string;
  host: string;
  pid: number;
  startedTime: number;
  /** ms since the epoch, the store's clock */
  heartbeatTime: number;
  /** ms since the last heartbeat, by the store's clock */
  heartbeatAgeMs: number;
  trialsDone: number;
  state: 'active' | 'exited';
}

export interface RunningTrial {
  number: number;
  attempt: number;
  workerId: string | null;
  heartbeatAgeMs: number;
}

export interface QueueStatus {
  study: StudyRow;
  counts: Record<TrialState, number>;
  /** trial numbers that have been run more than once, or wait to be */
  requeued: number;
  running: RunningTrial[];
  workers: WorkerStatus[];
  best: { number: number; value: number } | null;
}

export interface OpenStudyOptions {
  target: number;
  graceMs: number;
  maxAttempts: number;
}

export interface TrialQueue {
  /** creates the study's queue (idempotent: an existing one keeps its rows; target is updated) */
  openStudy(studyId: string, options: OpenStudyOptions): Promise<StudyRow>;
  /** null when the study has no queue (a study run from before queues, or not a study) */
  getStudy(studyId: string): Promise<StudyRow | null>;
  /** seeds rows for trials recorded before the study had a queue; existing numbers are left alone */
  importTrials(studyId: string, rows: Omit<TrialRow, 'seq' | 'workerId'>[]): Promise<void>;
  joinStudy(studyId: string, worker: WorkerIdentity): Promise<void>;
  leaveStudy(studyId: string, workerId: string): Promise<void>;
  claim(studyId: string, options: ClaimOptions): Promise<ClaimResult>;
  /** heartbeats this worker and its running trials; returns the numbers it no longer owns */
  heartbeat(studyId: string, workerId: string, trials: { number: number; attempt: number }[]): Promise<number[]>;
  /** false when this worker no longer owns that attempt (nothing is written) */
  report(studyId: string, workerId: string, number: number, attempt: number, report: TrialReport): Promise<boolean>;
  /** gives a claimed trial back (the worker is stopping): it is queued for another worker */
  release(studyId: string, workerId: string, number: number, attempt: number): Promise<boolean>;
  /** true for exactly one caller while the study is running, or when the refitting worker went silent */
  claimRefit(studyId: string, worker: WorkerIdentity): Promise<boolean>;
  /** a terminal state (finished, failed, killed) or back to running (an extended study) */
  setStudyState(studyId: string, state: StudyState): Promise<void>;
  status(studyId: string, lowerIsBetter: boolean): Promise<QueueStatus>;
}

export const TRIAL_STATES: readonly TrialState[] = ['running', 'finished', 'failed', 'queued'];

/** Database rows as both stores return them (PostgreSQL booleans, SQLite 0/1). */
export interface TrialDbRow {
  number: number;
  attempt: number;
  state: TrialState;
  config: string;
  value: number | null;
  pruned: number | boolean;
  rungs: string | null;
  run_id: string | null;
  worker_id: string | null;
  seq: number;
}

export interface StudyDbRow {
  study_id: string;
  target: number;
  grace_ms: number;
  max_attempts: number;
  next_number: number;
  seq: number;
  state: StudyState;
  refit_worker: string | null;
}

export const TRIAL_COLUMNS = 'number, attempt, state, config, value, pruned, rungs, run_id, worker_id, seq';
export const STUDY_COLUMNS = 'study_id, target, grace_ms, max_attempts, next_number, seq, state, refit_worker';

export function trialFromRow(r: TrialDbRow): TrialRow {
  return {
    number: Number(r.number),
    attempt: Number(r.attempt),
    state: r.state,
    config: r.config,
    value: r.value === null ? null : Number(r.value),
    pruned: Boolean(r.pruned),
    rungs: r.rungs,
    runId: r.run_id,
    workerId: r.worker_id,
    seq: Number(r.seq),
  };
}

export function studyFromRow(r: StudyDbRow): StudyRow {
  return {
    studyId: r.study_id,
    target: Number(r.target),
    graceMs: Number(r.grace_ms),
    maxAttempts: Number(r.max_attempts),
    nextNumber: Number(r.next_number),
    seq: Number(r.seq),
    state: r.state,
    refitWorker: r.refit_worker,
  };
}

/** A running trial is lost when its heartbeat is too old, or its process on this host is gone. */
export function isLost(
  row: { host: string | null; pid: number | null; age: number },
  graceMs: number,
  host = currentHost(),
  alive: (pid: number) => boolean = processExists,
): { lost: boolean; processGone: boolean } {
  const processGone = row.host === host && row.pid !== null && row.pid !== process.pid && !alive(Number(row.pid));
  return { lost: processGone || Number(row.age) > graceMs, processGone };
}

/** A running trial as a reaper reads it; age is by the store's clock. */
export interface RunningDbRow {
  number: number;
  attempt: number;
  run_id: string | null;
  worker_id: string | null;
  host: string | null;
  pid: number | null;
  age: number;
}

export const RUNNING_COLUMNS = 'number, attempt, run_id, worker_id, host, pid';

export interface Loss {
  number: number;
  attempt: number;
  runId: string | null;
  /** queued again, or FAILED for good (no attempts left) */
  requeued: boolean;
  /** the failure message its run ends with */
  reason: string;
}

/** Which of the running trials are lost, and what becomes of each: the reaper's decision. */
export function lostTrials(rows: readonly RunningDbRow[], study: StudyRow): Loss[] {
  const host = currentHost();
  const out: Loss[] = [];
  for (const r of rows) {
    const { lost, processGone } = isLost(r, study.graceMs, host);
    if (!lost) continue;
    const requeued = r.attempt < study.maxAttempts;
    const why = processGone ? `its process ${r.pid} on ${r.host} is gone` : `no heartbeat for ${(Number(r.age) / 1000).toFixed(1)} s (grace ${(study.graceMs / 1000).toFixed(1)} s)`;
    out.push({
      number: Number(r.number),
      attempt: Number(r.attempt),
      runId: r.run_id,
      requeued,
      reason: `worker ${r.worker_id ?? '?'} lost the trial: ${why}; ${requeued ? 'queued again' : 'no attempts left'}`,
    });
  }
  return out;
}

export interface WorkerDbRow {
  worker_id: string;
  host: string;
  pid: number;
  started_time: number;
  heartbeat: number;
  age: number;
  trials_done: number;
  state: 'active' | 'exited';
}

export const WORKER_COLUMNS = 'worker_id, host, pid, started_time, heartbeat, trials_done, state';

export function workerFromRow(r: WorkerDbRow): WorkerStatus {
  return {
    workerId: r.worker_id,
    host: r.host,
    pid: Number(r.pid),
    startedTime: Number(r.started_time),
    heartbeatTime: Number(r.heartbeat),
    heartbeatAgeMs: Number(r.age),
    trialsDone: Number(r.trials_done),
    state: r.state,
  };
}

export function runningFromRow(r: { number: number; attempt: number; worker_id: string | null; age: number }): RunningTrial {
  return { number: Number(r.number), attempt: Number(r.attempt), workerId: r.worker_id, heartbeatAgeMs: Number(r.age) };
}

/** Trial counts by state from GROUP BY rows; states with no rows count 0. */
export function countsFromRows(rows: readonly { state: TrialState; n: number }[]): Record<TrialState, number> {
  const counts = Object.fromEntries(TRIAL_STATES.map((s) => [s, 0])) as Record<TrialState, number>;
  for (const r of rows) counts[r.state] = Number(r.n);
  return counts;
}
