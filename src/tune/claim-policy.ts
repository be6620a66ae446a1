// What this process asks the shared queue for: the sampler's side of a claim. It runs inside
// the store's claim transaction on the whole history (the QueueView), and answers done, wait,
// re-run a queued trial, or a new trial with its configuration.
import type { ClaimDecision, ClaimResult, StudyRow, TrialRow } from '../track/trial-queue.js';
import type { QueueView, StudyTrial } from './queue-view.js';
import { createSampler, TPE_LAG, type Sampler } from './samplers/index.js';
import type { StudyConfig } from './study-config.js';

export class ClaimPolicy {
  /** the study's requested number of finished trials, as the last claim saw it */
  target: number;
  /** the study's next trial number, as the last claim saw it */
  private knownNext = 0;
  // ask(k) is a function of the seed, k, the configs of trials < k and the values of trials
  // < k - lag, none of which change once k is next: so the next proposal is computed before the
  // claim, outside its transaction (TPE over 10,000 trials takes tens of ms; the study lock should
  // not wait for it), and used if k is still next when the claim runs.
  private readonly proposals = new Map<number, string>();

  constructor(
    private readonly sampler: Sampler,
    /** TPE's trial k learns from trials < k - lag (Infinity: the sampler never waits) */
    private readonly lag: number,
    private readonly view: QueueView,
    private readonly history: StudyTrial[],
    target: number,
  ) {
    this.target = target;
  }

  static forStudy(c: StudyConfig, view: QueueView, history: StudyTrial[]): ClaimPolicy {
    return new ClaimPolicy(createSampler(c.sampler, c.space, c.seed), c.sampler === 'tpe' ? TPE_LAG : Infinity, view, history, c.trials);
  }

  /** The claim's `decide`: synchronous and a function of what it is given (a retried transaction calls it again). */
  readonly decide = (changes: TrialRow[], s: StudyRow): ClaimDecision => {
    this.view.apply(changes);
    this.target = s.target;
    const view = this.view;
    if (view.finished >= s.target) return { kind: 'done' };
    if (view.finished + view.running >= s.target) return { kind: 'wait' };
    const queued = view.lowestQueued();
    if (queued !== null) return { kind: 'rerun', number: queued };
    const next = s.nextNumber;
    if (next >= this.sampler.capacity) return view.running === 0 ? { kind: 'done' } : { kind: 'wait' };
    if (!this.lagAllows(next)) return { kind: 'wait' };
    return { kind: 'new', number: next, config: this.proposals.get(next) ?? this.propose(next) };
  };

  /** Takes in what a claim returned (the changes are applied again: the view skips rows it has). */
  observe(claimed: ClaimResult): void {
    this.view.apply(claimed.changes);
    this.target = claimed.study.target;
    this.knownNext = claimed.study.nextNumber;
  }

  /** Computes the proposal for the next number before the claim, when the claim would ask for it. */
  prepareNext(): void {
    const k = this.knownNext;
    for (const n of this.proposals.keys()) if (n < k) this.proposals.delete(n);
    if (this.proposals.has(k) || k >= this.sampler.capacity || this.view.lowestQueued() !== null || this.view.finished + this.view.running >= this.target || !this.lagAllows(k)) return;
    this.proposals.set(k, this.propose(k));
  }

  // TPE's trial k learns from trials < k - lag: ask it only once those have ended, so the
  // sequence of configurations does not depend on timing, concurrency or the number of workers.
  private lagAllows(k: number): boolean {
    const oldest = this.view.lowestPending();
    return oldest === null || k - this.lag <= oldest;
  }

  private propose(k: number): string {
    for (let n = this.history.length; n < k; n++) this.history[n] ??= { number: n, config: {}, state: 'failed' };
    return JSON.stringify(this.sampler.ask(k, this.history));
  }
}
