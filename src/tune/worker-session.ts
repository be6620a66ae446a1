// One process working on a shared study: its identity in the study's worker list and the
// heartbeat that keeps its claimed trials (and a refit it holds) its own. A heartbeat that
// finds a trial no longer ours (the grace period passed, another worker took it over) tells
// the study loop to stop that trial.
import { randomBytes } from 'node:crypto';
import { STUDY_QUEUE_DEFAULTS } from '../constants.js';
import { currentHost } from '../track/liveness.js';
import type { Store } from '../track/store.js';
import type { WorkerIdentity } from '../track/trial-queue.js';

export function workerIdentity(): WorkerIdentity {
  const host = currentHost();
  return { workerId: `${host}:${process.pid}:${randomBytes(3).toString('hex')}`, host, pid: process.pid };
}

export function heartbeatInterval(graceMs: number): number {
  return Math.max(50, Math.min(STUDY_QUEUE_DEFAULTS.heartbeatS * 1000, Math.floor(graceMs / 3)));
}

export class WorkerSession {
  readonly identity = workerIdentity();
  private timer: NodeJS.Timeout | null = null;
  private beating: Promise<void> = Promise.resolve();
  /** the trials this process is running (set by the study loop) */
  owned: () => { number: number; attempt: number }[] = () => [];
  /** called with trial numbers a heartbeat found taken from us */
  onLost: (numbers: number[]) => void = () => undefined;

  constructor(
    private readonly store: Store,
    readonly studyId: string,
    private readonly intervalMs: number,
  ) {}

  async join(): Promise<void> {
    await this.store.trials.joinStudy(this.studyId, this.identity);
    this.timer = setInterval(() => {
      this.beating = this.beat();
    }, this.intervalMs);
    this.timer.unref();
  }

  private async beat(): Promise<void> {
    try {
      const lost = await this.store.trials.heartbeat(this.studyId, this.identity.workerId, this.owned());
      if (lost.length > 0) this.onLost(lost);
      // the study run's heartbeat says someone still works on it, whoever created it
      await this.store.heartbeat(this.studyId);
    } catch {
      // the store is unreachable for a moment: the next tick tries again, and the grace
      // period is several ticks long
    }
  }

  async leave(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.beating;
    await this.store.trials.leaveStudy(this.studyId, this.identity.workerId).catch(() => undefined);
  }
}
