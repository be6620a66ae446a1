// What the study loop sends to a trial worker and what comes back. Datasets live in
// SharedArrayBuffers: every worker reads the same memory, nothing is copied per trial.
import type { MessagePort } from 'node:worker_threads';
import type { TypedMatrix } from '../matrix.js';
import type { Config } from './space.js';

export type EvaluationKind = 'val' | 'cv' | 'oob';
export type MetricName = 'rmse' | 'mae' | 'r2';

/** One training part and the rows it is judged on (none for OOB evaluation). */
export interface SharedFold {
  x: Required<TypedMatrix>;
  y: Float64Array;
  valX: Required<TypedMatrix> | null;
  valY: Float64Array | null;
}

export interface TrialTask {
  number: number;
  config: Config;
  seed: number;
  backend: 'native' | 'js';
  threads: number;
  folds: SharedFold[];
  evaluation: EvaluationKind;
  metric: MetricName;
  /** tree counts at which to report; the last is the full forest */
  rungs: number[];
  /** set to 1 by the study loop to stop the trial (timeout, Ctrl-C) */
  cancel: Int32Array;
  /** successive halving: the worker posts each rung's value and waits for go on / stop */
  port: MessagePort | null;
  /** testing hook: "throw" or "exit" makes this trial fail the given way */
  fault: string | null;
}

export interface RungReport {
  rung: number;
  trees: number;
  value: number;
}

export interface TrialResult {
  /** val_rmse, val_mae, val_r2 at the last rung reached; fit_s */
  metrics: Record<string, number>;
  /** cross-validation: the metric of each fold at the last rung */
  foldValues: number[];
  rungValues: RungReport[];
  pruned: boolean;
  worker: string;
  threads: number;
}

/** Lower is better for the sampler and the scheduler. */
export function objectiveOf(metric: MetricName, value: number): number {
  return metric === 'r2' ? -value : value;
}
