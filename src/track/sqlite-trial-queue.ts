// The trial queue (trial-queue.ts) in the SQLite store: every claim and report is one BEGIN
// IMMEDIATE transaction, which is the study lock: processes on one machine take turns.
import type Database from 'better-sqlite3';
import { GroveError } from '../errors.js';
import { FAILURE_TAG } from './liveness.js';
import {
  RUNNING_COLUMNS,
  STUDY_COLUMNS,
  TRIAL_COLUMNS,
  WORKER_COLUMNS,
  countsFromRows,
  isLost,
  lostTrials,
  runningFromRow,
  studyFromRow,
  trialFromRow,
  workerFromRow,
  type ClaimOptions,
  type ClaimResult,
  type OpenStudyOptions,
  type QueueStatus,
  type RunningDbRow,
  type StudyDbRow,
  type StudyRow,
  type StudyState,
  type TrialDbRow,
  type TrialQueue,
  type TrialReport,
  type TrialRow,
  type TrialState,
  type WorkerDbRow,
  type WorkerIdentity,
} from './trial-queue.js';

/** a transaction on the store's connection, queued behind the store's other transactions */
type Tx = <T>(fn: () => T) => Promise<T>;

export class SqliteTrialQueue implements TrialQueue {
  private readonly db: { prepare(sql: string): Database.Statement };

  constructor(
    /** the store's statement cache: each statement is prepared once per connection */
    prepare: (sql: string) => Database.Statement,
    /** the store's BEGIN IMMEDIATE transaction with its error mapping */
    private readonly write: Tx,
    private readonly read: Tx,
  ) {
    this.db = { prepare };
  }

  private studyRow(studyId: string): StudyRow {
    const row = this.db.prepare(`SELECT ${STUDY_COLUMNS} FROM studies WHERE study_id = ?`).get(studyId) as StudyDbRow | undefined;
    if (!row) throw new GroveError('NOT_FOUND', `study ${studyId} has no trial queue`, { studyId });
    return studyFromRow(row);
  }

  /** the next change number: every write to a study's trials goes through here */
  private bump(studyId: string): number {
    return (this.db.prepare('UPDATE studies SET seq = seq + 1 WHERE study_id = ? RETURNING seq').get(studyId) as { seq: number }).seq;
  }

  async openStudy(studyId: string, o: OpenStudyOptions): Promise<StudyRow> {
    return this.write(() => {
      this.db
        .prepare('INSERT INTO studies (study_id, target, grace_ms, max_attempts, created_time) VALUES (?, ?, ?, ?, ?) ON CONFLICT (study_id) DO UPDATE SET target = excluded.target')
        .run(studyId, o.target, o.graceMs, o.maxAttempts, Date.now());
      return this.studyRow(studyId);
    });
  }

  async getStudy(studyId: string): Promise<StudyRow | null> {
    return this.read(() => {
      const row = this.db.prepare(`SELECT ${STUDY_COLUMNS} FROM studies WHERE study_id = ?`).get(studyId) as StudyDbRow | undefined;
      return row ? studyFromRow(row) : null;
    });
  }

  async importTrials(studyId: string, rows: Omit<TrialRow, 'seq' | 'workerId'>[]): Promise<void> {
    await this.write(() => {
      const insert = this.db.prepare(
        'INSERT INTO study_trials (study_id, number, attempt, state, config, value, pruned, rungs, run_id, seq) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (study_id, number) DO NOTHING',
      );
      let next = this.studyRow(studyId).nextNumber;
      for (const r of rows) {
        insert.run(studyId, r.number, r.attempt, r.state, r.config, r.value, r.pruned ? 1 : 0, r.rungs, r.runId, this.bump(studyId));
        next = Math.max(next, r.number + 1);
      }
      this.db.prepare('UPDATE studies SET next_number = ? WHERE study_id = ?').run(next, studyId);
    });
  }

  async joinStudy(studyId: string, w: WorkerIdentity): Promise<void> {
    await this.write(() => {
      this.studyRow(studyId);
      const now = Date.now();
      this.db
        .prepare(
          "INSERT INTO study_workers (study_id, worker_id, host, pid, started_time, heartbeat) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (study_id, worker_id) DO UPDATE SET heartbeat = excluded.heartbeat, state = 'active'",
        )
        .run(studyId, w.workerId, w.host, w.pid, now, now);
    });
  }

  async leaveStudy(studyId: string, workerId: string): Promise<void> {
    await this.write(() => {
      this.db.prepare("UPDATE study_workers SET state = 'exited', heartbeat = ? WHERE study_id = ? AND worker_id = ?").run(Date.now(), studyId, workerId);
    });
  }

  async claim(studyId: string, o: ClaimOptions): Promise<ClaimResult> {
    return this.write(() => {
      const study = this.studyRow(studyId);
      const reaped = this.reap(study);
      const changes = (this.db.prepare(`SELECT ${TRIAL_COLUMNS} FROM study_trials WHERE study_id = ? AND seq > ? ORDER BY seq`).all(studyId, o.sinceSeq) as TrialDbRow[]).map(trialFromRow);
      const fresh = this.studyRow(studyId);
      const decision = fresh.state === 'running' ? o.decide(changes, fresh) : { kind: 'done' as const };
      if (decision.kind === 'wait' || decision.kind === 'done') return { trial: null, decision: decision.kind, changes, study: fresh, reaped };
      const now = Date.now();
      const w = o.worker;
      const seq = this.bump(studyId);
      if (decision.kind === 'rerun') {
        const done = this.db
          .prepare(
            "UPDATE study_trials SET state = 'running', attempt = attempt + 1, value = NULL, pruned = 0, rungs = NULL, run_id = ?, worker_id = ?, host = ?, pid = ?, heartbeat = ?, seq = ? WHERE study_id = ? AND number = ? AND state = 'queued'",
          )
          .run(o.runId, w.workerId, w.host, w.pid, now, seq, studyId, decision.number);
        if (done.changes !== 1) throw new GroveError('INTERNAL', `trial ${decision.number} of study ${studyId} is not queued`, { studyId });
      } else {
        if (decision.number !== fresh.nextNumber) throw new GroveError('INTERNAL', `trial ${decision.number} proposed but the next number is ${fresh.nextNumber}`, { studyId });
        this.db
          .prepare("INSERT INTO study_trials (study_id, number, attempt, state, config, run_id, worker_id, host, pid, heartbeat, seq) VALUES (?, ?, 1, 'running', ?, ?, ?, ?, ?, ?, ?)")
          .run(studyId, decision.number, decision.config, o.runId, w.workerId, w.host, w.pid, now, seq);
        this.db.prepare('UPDATE studies SET next_number = ? WHERE study_id = ?').run(decision.number + 1, studyId);
      }
      const trial = trialFromRow(this.db.prepare(`SELECT ${TRIAL_COLUMNS} FROM study_trials WHERE study_id = ? AND number = ?`).get(studyId, decision.number) as TrialDbRow);
      return { trial, decision: decision.kind, changes: [...changes, trial], study: this.studyRow(studyId), reaped };
    });
  }

  /** inside a claim's transaction: lost running trials end FAILED and are queued again (or not) */
  private reap(study: StudyRow): ClaimResult['reaped'] {
    const now = Date.now();
    const running = this.db
      .prepare(`SELECT ${RUNNING_COLUMNS}, ? - heartbeat AS age FROM study_trials INDEXED BY study_trials_running WHERE study_id = ? AND state = 'running'`)
      .all(now, study.studyId) as RunningDbRow[];
    return lostTrials(running, study).map((loss) => {
      this.db.prepare('UPDATE study_trials SET state = ?, seq = ? WHERE study_id = ? AND number = ?').run(loss.requeued ? 'queued' : 'failed', this.bump(study.studyId), study.studyId, loss.number);
      if (loss.runId && this.db.prepare("UPDATE runs SET status = 'FAILED', end_time = ? WHERE run_id = ? AND status = 'RUNNING'").run(now, loss.runId).changes === 1) {
        this.db.prepare('INSERT INTO tags (run_id, key, value) VALUES (?, ?, ?) ON CONFLICT (run_id, key) DO UPDATE SET value = excluded.value').run(loss.runId, FAILURE_TAG, loss.reason);
      }
      return { number: loss.number, attempt: loss.attempt, requeued: loss.requeued };
    });
  }

  async heartbeat(studyId: string, workerId: string, trials: { number: number; attempt: number }[]): Promise<number[]> {
    return this.write(() => {
      const now = Date.now();
      this.db.prepare('UPDATE study_workers SET heartbeat = ? WHERE study_id = ? AND worker_id = ?').run(now, studyId, workerId);
      this.db.prepare("UPDATE studies SET refit_heartbeat = ? WHERE study_id = ? AND refit_worker = ? AND state = 'refitting'").run(now, studyId, workerId);
      const touch = this.db.prepare("UPDATE study_trials SET heartbeat = ? WHERE study_id = ? AND number = ? AND attempt = ? AND worker_id = ? AND state = 'running'");
      return trials.filter((t) => touch.run(now, studyId, t.number, t.attempt, workerId).changes === 0).map((t) => t.number);
    });
  }

  async report(studyId: string, workerId: string, number: number, attempt: number, r: TrialReport): Promise<boolean> {
    return this.write(() => {
      const owned = this.db.prepare("SELECT 1 FROM study_trials WHERE study_id = ? AND number = ? AND attempt = ? AND worker_id = ? AND state = 'running'").get(studyId, number, attempt, workerId);
      if (!owned) return false;
      this.db
        .prepare('UPDATE study_trials SET state = ?, value = ?, pruned = ?, rungs = ?, seq = ? WHERE study_id = ? AND number = ?')
        .run(r.state, r.value ?? null, r.pruned ? 1 : 0, r.rungs ?? null, this.bump(studyId), studyId, number);
      if (r.state === 'finished') this.db.prepare('UPDATE study_workers SET trials_done = trials_done + 1 WHERE study_id = ? AND worker_id = ?').run(studyId, workerId);
      return true;
    });
  }

  async release(studyId: string, workerId: string, number: number, attempt: number): Promise<boolean> {
    return this.write(() => {
      const owned = this.db.prepare("SELECT 1 FROM study_trials WHERE study_id = ? AND number = ? AND attempt = ? AND worker_id = ? AND state = 'running'").get(studyId, number, attempt, workerId);
      if (!owned) return false;
      this.db.prepare("UPDATE study_trials SET state = 'queued', seq = ? WHERE study_id = ? AND number = ?").run(this.bump(studyId), studyId, number);
      return true;
    });
  }

  async claimRefit(studyId: string, w: WorkerIdentity): Promise<boolean> {
    return this.write(() => {
      const study = this.studyRow(studyId);
      const now = Date.now();
      if (study.state === 'refitting') {
        const holder = this.db
          .prepare('SELECT w.host, w.pid, ? - s.refit_heartbeat AS age FROM studies s LEFT JOIN study_workers w ON w.study_id = s.study_id AND w.worker_id = s.refit_worker WHERE s.study_id = ?')
          .get(now, studyId) as { host: string | null; pid: number | null; age: number };
        if (study.refitWorker !== w.workerId && !isLost(holder, study.graceMs).lost) return false;
      } else if (study.state !== 'running') {
        return false;
      }
      this.db.prepare("UPDATE studies SET state = 'refitting', refit_worker = ?, refit_heartbeat = ? WHERE study_id = ?").run(w.workerId, now, studyId);
      return true;
    });
  }

  async setStudyState(studyId: string, state: StudyState): Promise<void> {
    await this.write(() => {
      this.studyRow(studyId);
      this.db.prepare("UPDATE studies SET state = ?, refit_worker = CASE WHEN ? = 'running' THEN NULL ELSE refit_worker END WHERE study_id = ?").run(state, state, studyId);
    });
  }

  async status(studyId: string, lowerIsBetter: boolean): Promise<QueueStatus> {
    return this.read(() => {
      const study = this.studyRow(studyId);
      const now = Date.now();
      const counts = countsFromRows(this.db.prepare('SELECT state, COUNT(*) AS n FROM study_trials WHERE study_id = ? GROUP BY state').all(studyId) as { state: TrialState; n: number }[]);
      const requeued = (this.db.prepare("SELECT COUNT(*) AS n FROM study_trials WHERE study_id = ? AND (attempt > 1 OR state = 'queued')").get(studyId) as { n: number }).n;
      const running = (
        this.db
          .prepare(`SELECT ${RUNNING_COLUMNS}, ? - heartbeat AS age FROM study_trials INDEXED BY study_trials_running WHERE study_id = ? AND state = 'running' ORDER BY number`)
          .all(now, studyId) as RunningDbRow[]
      ).map(runningFromRow);
      const workers = (this.db.prepare(`SELECT ${WORKER_COLUMNS}, ? - heartbeat AS age FROM study_workers WHERE study_id = ? ORDER BY started_time, worker_id`).all(now, studyId) as WorkerDbRow[]).map(
        workerFromRow,
      );
      const best = this.db
        .prepare(
          `SELECT number, value FROM study_trials WHERE study_id = ? AND state = 'finished' AND pruned = 0 AND value IS NOT NULL ORDER BY value ${lowerIsBetter ? 'ASC' : 'DESC'}, number LIMIT 1`,
        )
        .get(studyId) as { number: number; value: number } | undefined;
      return { study, counts, requeued, running, workers, best: best ?? null };
    });
  }
}
