// Schedulers answer one question: after a rung, does this trial go on? FIFO runs every trial
// to its full forest. Asynchronous successive halving (ASHA) uses trees as the budget: a trial
// grows its forest rung by rung (warm start) and stops when it is not in the best 1/eta of the
// values recorded at that rung so far.
export type SchedulerKind = 'fifo' | 'asha';

/** Tree counts at which a trial with `nEstimators` trees reports: n/eta^(R-1), ..., n/eta, n. */
export function rungTrees(kind: SchedulerKind, nEstimators: number, eta: number, rungs: number): number[] {
  if (kind === 'fifo') return [nEstimators];
  const out: number[] = [];
  for (let r = rungs - 1; r >= 0; r--) {
    const trees = Math.max(1, Math.ceil(nEstimators / eta ** r));
    if (out.length === 0 || trees > out[out.length - 1]) out.push(trees);
  }
  return out;
}

export class AshaScheduler {
  private readonly recorded = new Map<number, number[]>();

  constructor(private readonly eta: number) {}

  /** Records `value` (lower is better) at rung `rung`; true when the trial should go on. */
  report(rung: number, value: number, isLast: boolean): boolean {
    const values = this.recorded.get(rung) ?? [];
    values.push(value);
    this.recorded.set(rung, values);
    if (isLast || values.length < this.eta) return !isLast;
    const sorted = [...values].sort((a, b) => a - b);
    const keep = Math.max(1, Math.floor(sorted.length / this.eta));
    return value <= sorted[keep - 1];
  }
}
