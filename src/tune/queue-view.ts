// This process's picture of a study's shared trial queue: the latest row of every trial number,
// kept up to date from the changes each claim returns. The claim policy reads it as the
// sampler's history and as counts; the trial runner settles its own trials into it.
import type { TrialRow, TrialState } from '../track/trial-queue.js';
import type { TrialRecord } from './samplers/index.js';
import type { AshaScheduler } from './scheduler.js';
import type { Config } from './space.js';
import { objectiveOf, type MetricName } from './trial-task.js';

/** A trial as the study sees it: the sampler's record plus whether the scheduler stopped it. */
export type StudyTrial = TrialRecord & { pruned?: boolean };

export class QueueView {
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
    rungs.forEach(([rung, , value], i) => {
      this.asha!.report(rung, objectiveOf(this.metric, value), i === rungs.length - 1 && !r.pruned);
    });
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
