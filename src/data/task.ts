// Which task a target column asks for, and its class labels when it is a classification target.
import { GroveError } from '../errors.js';
import type { Label } from '../labels.js';
import type { Column } from './column.js';

export type Task = 'classification' | 'regression';

export const TASKS: readonly Task[] = ['classification', 'regression'];

/**
 * An integer target is read as classes when it has at most this many distinct values AND at
 * most INFERRED_CLASS_SHARE of its rows distinct values (two values always count as classes):
 * 0/1 flags and 1..5 grades on 100+ rows are classes; 25..346 on 442 rows (diabetes)
 * or counts with many values are quantities. `--task` overrides the guess either way.
 */
export const MAX_INFERRED_CLASSES = 20;
export const INFERRED_CLASS_SHARE = 0.05;

/** The engine's limit on classes (the common design: at most 65,536). */
export const MAX_CLASSES = 65536;

export interface InferredTask {
  task: Task;
  /** why, for a note: e.g. `3 distinct integer values` */
  reason: string;
}

/**
 * The task of a target column from its values: text or true/false -> classification; integers
 * with few distinct values (see MAX_INFERRED_CLASSES) -> classification; other numbers ->
 * regression. `hint` (a built-in's own task) wins for numeric columns.
 */
export function inferTask(column: Column, hint?: Task): InferredTask {
  if (column.kind === 'categorical') return { task: 'classification', reason: 'text labels' };
  if (column.kind === 'boolean') return { task: 'classification', reason: 'true/false labels' };
  if (hint) return { task: hint, reason: `the built-in's ${hint} target` };
  if (column.kind !== 'numeric') return { task: 'regression', reason: 'no values' };
  const v = column.values as Float64Array;
  const distinct = new Set<number>();
  let present = 0;
  for (let i = 0; i < v.length; i++) {
    const x = v[i];
    if (x !== x) continue;
    present++;
    if (!Number.isInteger(x)) return { task: 'regression', reason: 'non-integer values' };
    if (distinct.size <= MAX_INFERRED_CLASSES) distinct.add(x);
  }
  const d = distinct.size;
  // one value: a constant, reported as such by the regression checks
  if (d >= 2 && d <= MAX_INFERRED_CLASSES && (d === 2 || d <= INFERRED_CLASS_SHARE * present)) {
    return { task: 'classification', reason: `${d} distinct integer values` };
  }
  return { task: 'regression', reason: d > MAX_INFERRED_CLASSES ? `more than ${MAX_INFERRED_CLASSES} distinct integer values` : `${d} distinct integer values on ${present} rows` };
}

/**
 * The label of every row of a column, in its own kind: text -> string, boolean -> true/false,
 * numeric -> number; null where the value is missing.
 */
export function columnLabels(column: Column): (Label | null)[] {
  const n = column.values.length;
  const out = new Array<Label | null>(n);
  if (column.kind === 'categorical') {
    const v = column.values as (string | null)[];
    for (let i = 0; i < n; i++) out[i] = v[i];
  } else {
    const v = column.values as Float64Array;
    const bool = column.kind === 'boolean';
    for (let i = 0; i < n; i++) {
      const x = v[i];
      out[i] = x !== x ? null : bool ? x === 1 : x;
    }
  }
  return out;
}

export function checkTask(task: unknown, option = 'task'): Task | undefined {
  if (task === undefined) return undefined;
  if (task !== 'classification' && task !== 'regression') {
    throw new GroveError('INVALID_OPTION', `${option}: must be classification or regression (got ${JSON.stringify(task)})`, { option, value: task });
  }
  return task;
}
