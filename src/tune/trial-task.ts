// What the study loop sends to a trial worker and what comes back. Datasets live in
// SharedArrayBuffers: every worker reads the same memory, nothing is copied per trial.
import type { MessagePort } from 'node:worker_threads';
import type { TypedMatrix } from '../matrix.js';
import type { Config } from './space.js';

export type EvaluationKind = 'val' | 'cv' | 'oob';
export type Task = 'regression' | 'classification';
export type RegressionMetric = 'rmse' | 'mae' | 'r2';
export type ClassificationMetric = 'log_loss' | 'accuracy' | 'balanced_accuracy' | 'roc_auc' | 'f1_macro';
export type MetricName = RegressionMetric | ClassificationMetric;

/** The metrics a study of each task may optimise, the default first. */
export const TASK_METRICS: Record<Task, readonly MetricName[]> = {
  regression: ['rmse', 'mae', 'r2'],
  classification: ['log_loss', 'accuracy', 'balanced_accuracy', 'roc_auc', 'f1_macro'],
};

export const ALL_METRICS: readonly MetricName[] = [...TASK_METRICS.regression, ...TASK_METRICS.classification];

/** Metrics where a higher value is better; the rest are errors or losses. */
const MAXIMIZED: ReadonlySet<MetricName> = new Set(['r2', 'accuracy', 'balanced_accuracy', 'roc_auc', 'f1_macro']);

export function higherIsBetter(metric: MetricName): boolean {
  return MAXIMIZED.has(metric);
}

export function defaultMetric(task: Task): MetricName {
  return TASK_METRICS[task][0];
}

/** The task a metric belongs to. */
export function taskOfMetric(metric: MetricName): Task {
  return (TASK_METRICS.classification as readonly string[]).includes(metric) ? 'classification' : 'regression';
}

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
  task: Task;
  /** classification: the number of classes K (y holds class indices 0..K-1) */
  nClasses: number;
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
  /** val_<metric> of every metric of the task at the last rung reached (val_rmse, ... or
   *  val_log_loss, val_accuracy, ...), oob_accuracy for a classifier with bootstrap; fit_s */
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
  return higherIsBetter(metric) ? -value : value;
}
