// The trial queue (trial-queue.ts) in the PostgreSQL store. The study row is the lock: a claim,
// a report and a release take it with SELECT ... FOR UPDATE (or an UPDATE of its seq), so the
// workers of one study take turns for a few milliseconds while other studies go on. Heartbeats
// touch only the worker's own trial rows. Every age is measured by the server's clock.
import type pg from 'pg';
import { GroveError } from '../errors.js';
import { FAILURE_TAG } from './liveness.js';
import { NOW_MS, transaction, type Client } from './postgres-connection.js';
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

const READ = 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY';

export class PostgresTrialQueue implements TrialQueue {
  constructor(
    private readonly pool: pg.Pool,
    private readonly location: string,
  ) {}

  private write<T>(fn: (c: Client) => Promise<T>): Promise<T> {
    return transaction(this.pool, this.location, fn);
  }

  private async studyRow(c: Client, studyId: string, lock = false): Promise<StudyRow> {
    const { rows } = await c.query<StudyDbRow>(`SELECT ${STUDY_COLUMNS} FROM studies WHERE study_id = $1${lock ? ' FOR UPDATE' : ''}`, [studyId]);
    if (rows.length === 0) throw new GroveError('NOT_FOUND', `study ${studyId} has no trial queue`, { studyId });
    return studyFromRow(rows[0]);
  }

  /** the next change number; takes the study row lock */
  private async bump(c: Client, studyId: string): Promise<number> {
    const { rows } = await c.query<{ seq: number }>('UPDATE studies SET seq = seq + 1 WHERE study_id = $1 RETURNING seq', [studyId]);
    if (rows.length === 0) throw new GroveError('NOT_FOUND', `study ${studyId} has no trial queue`, { studyId });
    return Number(rows[0].seq);
  }

  async openStudy(studyId: string, o: OpenStudyOptions): Promise<StudyRow> {
    return this.write(async (c) => {
      await c.query(`INSERT INTO studies (study_id, target, grace_ms, max_attempts, created_time) VALUES ($1, $2, $3, $4, ${NOW_MS}) ON CONFLICT (study_id) DO UPDATE SET target = excluded.target`, [
        studyId,
        o.target,
        o.graceMs,
        o.maxAttempts,
      ]);
      return this.studyRow(c, studyId);
    });
  }

  async getStudy(studyId: string): Promise<StudyRow | null> {
    return transaction(
      this.pool,
      this.location,
      async (c) => {
        const { rows } = await c.query<StudyDbRow>(`SELECT ${STUDY_COLUMNS} FROM studies WHERE study_id = $1`, [studyId]);
        return rows.length > 0 ? studyFromRow(rows[0]) : null;
      },
      READ,
    );
  }

  async importTrials(studyId: string, rows: Omit<TrialRow, 'seq' | 'workerId'>[]): Promise<void> {
    await this.write(async (c) => {
      let next = (await this.studyRow(c, studyId, true)).nextNumber;
      for (const r of rows) {
        await c.query(
          'INSERT INTO study_trials (study_id, number, attempt, state, config, value, pruned, rungs, run_id, seq) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (study_id, number) DO NOTHING',
          [studyId, r.number, r.attempt, r.state, r.config, r.value, r.pruned, r.rungs, r.runId, await this.bump(c, studyId)],
        );
        next = Math.max(next, r.number + 1);
      }
      await c.query('UPDATE studies SET next_number = $1 WHERE study_id = $2', [next, studyId]);
    });
  }

  async joinStudy(studyId: string, w: WorkerIdentity): Promise<void> {
    await this.write(async (c) => {
      await this.studyRow(c, studyId);
      await c.query(
        `INSERT INTO study_workers (study_id, worker_id, host, pid, started_time, heartbeat) VALUES ($1, $2, $3, $4, ${NOW_MS}, ${NOW_MS})
         ON CONFLICT (study_id, worker_id) DO UPDATE SET heartbeat = excluded.heartbeat, state = 'active'`,
        [studyId, w.workerId, w.host, w.pid],
      );
    });
  }

  async leaveStudy(studyId: string, workerId: string): Promise<void> {
    await this.write(async (c) => {
      await c.query(`UPDATE study_workers SET state = 'exited', heartbeat = ${NOW_MS} WHERE study_id = $1 AND worker_id = $2`, [studyId, workerId]);
    });
  }

  async claim(studyId: string, o: ClaimOptions): Promise<ClaimResult> {
    return this.write(async (c) => {
      const study = await this.studyRow(c, studyId, true);
      const reaped = await this.reap(c, study);
      const changes = (await c.query<TrialDbRow>(`SELECT ${TRIAL_COLUMNS} FROM study_trials WHERE study_id = $1 AND seq > $2 ORDER BY seq`, [studyId, o.sinceSeq])).rows.map(trialFromRow);
      const fresh = reaped.length > 0 ? await this.studyRow(c, studyId) : study;
      const decision = fresh.state === 'running' ? o.decide(changes, fresh) : { kind: 'done' as const };
      if (decision.kind === 'wait' || decision.kind === 'done') return { trial: null, decision: decision.kind, changes, study: fresh, reaped };
      const w = o.worker;
      const seq = await this.bump(c, studyId);
      let row: TrialDbRow | undefined;
      if (decision.kind === 'rerun') {
        row = (
          await c.query<TrialDbRow>(
            `UPDATE study_trials SET state = 'running', attempt = attempt + 1, value = NULL, pruned = false, rungs = NULL, run_id = $7, worker_id = $1, host = $2, pid = $3, heartbeat = ${NOW_MS}, seq = $4
             WHERE study_id = $5 AND number = $6 AND state = 'queued' RETURNING ${TRIAL_COLUMNS}`,
            [w.workerId, w.host, w.pid, seq, studyId, decision.number, o.runId],
          )
        ).rows[0];
        if (!row) throw new GroveError('INTERNAL', `trial ${decision.number} of study ${studyId} is not queued`, { studyId });
      } else {
        if (decision.number !== fresh.nextNumber) throw new GroveError('INTERNAL', `trial ${decision.number} proposed but the next number is ${fresh.nextNumber}`, { studyId });
        row = (
          await c.query<TrialDbRow>(
            `INSERT INTO study_trials (study_id, number, attempt, state, config, run_id, worker_id, host, pid, heartbeat, seq) VALUES ($1, $2, 1, 'running', $3, $8, $4, $5, $6, ${NOW_MS}, $7) RETURNING ${TRIAL_COLUMNS}`,
            [studyId, decision.number, decision.config, w.workerId, w.host, w.pid, seq, o.runId],
          )
        ).rows[0];
        await c.query('UPDATE studies SET next_number = $1 WHERE study_id = $2', [decision.number + 1, studyId]);
      }
      const trial = trialFromRow(row);
      return { trial, decision: decision.kind, changes: [...changes, trial], study: await this.studyRow(c, studyId), reaped };
    });
  }

  /** inside a claim's transaction (the study row is locked) */
  private async reap(c: Client, study: StudyRow): Promise<ClaimResult['reaped']> {
    const { rows } = await c.query<RunningDbRow>(`SELECT ${RUNNING_COLUMNS}, ${NOW_MS} - heartbeat AS age FROM study_trials WHERE study_id = $1 AND state = 'running' FOR UPDATE`, [study.studyId]);
    const reaped: ClaimResult['reaped'] = [];
    for (const loss of lostTrials(rows, study)) {
      await c.query('UPDATE study_trials SET state = $1, seq = $2 WHERE study_id = $3 AND number = $4', [
        loss.requeued ? 'queued' : 'failed',
        await this.bump(c, study.studyId),
        study.studyId,
        loss.number,
      ]);
      if (loss.runId && (await c.query(`UPDATE runs SET status = 'FAILED', end_time = ${NOW_MS} WHERE run_id = $1 AND status = 'RUNNING'`, [loss.runId])).rowCount === 1) {
        await c.query('INSERT INTO tags (run_id, key, value) VALUES ($1, $2, $3) ON CONFLICT (run_id, key) DO UPDATE SET value = excluded.value', [loss.runId, FAILURE_TAG, loss.reason]);
      }
      reaped.push({ number: loss.number, attempt: loss.attempt, requeued: loss.requeued });
    }
    return reaped;
  }

  async heartbeat(studyId: string, workerId: string, trials: { number: number; attempt: number }[]): Promise<number[]> {
    return this.write(async (c) => {
      await c.query(`UPDATE study_workers SET heartbeat = ${NOW_MS} WHERE study_id = $1 AND worker_id = $2`, [studyId, workerId]);
      await c.query(`UPDATE studies SET refit_heartbeat = ${NOW_MS} WHERE study_id = $1 AND refit_worker = $2 AND state = 'refitting'`, [studyId, workerId]);
      if (trials.length === 0) return [];
      const { rows } = await c.query<{ number: number }>(
        `UPDATE study_trials SET heartbeat = ${NOW_MS} WHERE study_id = $1 AND worker_id = $2 AND state = 'running' AND (number, attempt) IN (SELECT * FROM unnest($3::int[], $4::int[])) RETURNING number`,
        [studyId, workerId, trials.map((t) => t.number), trials.map((t) => t.attempt)],
      );
      const kept = new Set(rows.map((r) => Number(r.number)));
      return trials.filter((t) => !kept.has(t.number)).map((t) => t.number);
    });
  }

  async report(studyId: string, workerId: string, number: number, attempt: number, r: TrialReport): Promise<boolean> {
    return this.write(async (c) => {
      const seq = await this.bump(c, studyId);
      const done = await c.query(
        "UPDATE study_trials SET state = $1, value = $2, pruned = $3, rungs = $4, seq = $5 WHERE study_id = $6 AND number = $7 AND attempt = $8 AND worker_id = $9 AND state = 'running'",
        [r.state, r.value ?? null, r.pruned === true, r.rungs ?? null, seq, studyId, number, attempt, workerId],
      );
      if (done.rowCount !== 1) return false;
      if (r.state === 'finished') await c.query('UPDATE study_workers SET trials_done = trials_done + 1 WHERE study_id = $1 AND worker_id = $2', [studyId, workerId]);
      return true;
    });
  }

  async release(studyId: string, workerId: string, number: number, attempt: number): Promise<boolean> {
    return this.write(async (c) => {
      const seq = await this.bump(c, studyId);
      const done = await c.query("UPDATE study_trials SET state = 'queued', seq = $1 WHERE study_id = $2 AND number = $3 AND attempt = $4 AND worker_id = $5 AND state = 'running'", [
        seq,
        studyId,
        number,
        attempt,
        workerId,
      ]);
      return done.rowCount === 1;
    });
  }

  async claimRefit(studyId: string, w: WorkerIdentity): Promise<boolean> {
    return this.write(async (c) => {
      const study = await this.studyRow(c, studyId, true);
      if (study.state === 'refitting') {
        const { rows } = await c.query<{ host: string | null; pid: number | null; age: number }>(
          `SELECT wk.host, wk.pid, ${NOW_MS} - s.refit_heartbeat AS age FROM studies s LEFT JOIN study_workers wk ON wk.study_id = s.study_id AND wk.worker_id = s.refit_worker WHERE s.study_id = $1`,
          [studyId],
        );
        if (study.refitWorker !== w.workerId && !isLost(rows[0], study.graceMs).lost) return false;
      } else if (study.state !== 'running') {
        return false;
      }
      await c.query(`UPDATE studies SET state = 'refitting', refit_worker = $1, refit_heartbeat = ${NOW_MS} WHERE study_id = $2`, [w.workerId, studyId]);
      return true;
    });
  }

  async setStudyState(studyId: string, state: StudyState): Promise<void> {
    await this.write(async (c) => {
      await this.studyRow(c, studyId, true);
      await c.query("UPDATE studies SET state = $1, refit_worker = CASE WHEN $1 = 'running' THEN NULL ELSE refit_worker END WHERE study_id = $2", [state, studyId]);
    });
  }

  async status(studyId: string, lowerIsBetter: boolean): Promise<QueueStatus> {
    return transaction(
      this.pool,
      this.location,
      async (c) => {
        const study = await this.studyRow(c, studyId);
        const counts = countsFromRows((await c.query<{ state: TrialState; n: number }>('SELECT state, COUNT(*)::int AS n FROM study_trials WHERE study_id = $1 GROUP BY state', [studyId])).rows);
        const requeued = (await c.query<{ n: number }>("SELECT COUNT(*)::int AS n FROM study_trials WHERE study_id = $1 AND (attempt > 1 OR state = 'queued')", [studyId])).rows[0].n;
        const running = (
          await c.query<RunningDbRow>(`SELECT ${RUNNING_COLUMNS}, ${NOW_MS} - heartbeat AS age FROM study_trials WHERE study_id = $1 AND state = 'running' ORDER BY number`, [studyId])
        ).rows.map(runningFromRow);
        const workers = (
          await c.query<WorkerDbRow>(`SELECT ${WORKER_COLUMNS}, ${NOW_MS} - heartbeat AS age FROM study_workers WHERE study_id = $1 ORDER BY started_time, worker_id`, [studyId])
        ).rows.map(workerFromRow);
        const best = (
          await c.query<{ number: number; value: number }>(
            `SELECT number, value FROM study_trials WHERE study_id = $1 AND state = 'finished' AND NOT pruned AND value IS NOT NULL AND value <> 'NaN' ORDER BY value ${lowerIsBetter ? 'ASC' : 'DESC'}, number LIMIT 1`,
            [studyId],
          )
        ).rows[0];
        return { study, counts, requeued, running, workers, best: best ? { number: best.number, value: Number(best.value) } : null };
      },
      READ,
    );
  }
}
