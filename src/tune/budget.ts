// The thread budget: trials in flight x threads per trial <= the cores given. Small data runs
// many single-thread trials (a forest on 400 rows cannot use 8 threads); large data runs few
// wide trials (one fit already fills the cores, and memory is shared by fewer fits).
import { availableParallelism } from 'node:os';
import { invalidOption } from '../errors.js';
import { TUNE_WIDE_TRIAL_ROWS } from '../constants.js';

export interface ThreadBudget {
  cpus: number;
  concurrency: number;
  threadsPerTrial: number;
  /** how the split was chosen, for the log */
  reason: string;
}

export function planBudget(options: { cpus?: number; concurrency?: number; threadsPerTrial?: number; rows: number; trials: number }): ThreadBudget {
  const cpus = options.cpus ?? availableParallelism();
  if (!Number.isInteger(cpus) || cpus < 1) throw invalidOption('--cpus', cpus, 'must be an integer >= 1');
  const { concurrency: c, threadsPerTrial: t } = options;
  if (c !== undefined && (!Number.isInteger(c) || c < 1)) throw invalidOption('--concurrency', c, 'must be an integer >= 1');
  if (t !== undefined && (!Number.isInteger(t) || t < 1)) throw invalidOption('--threads-per-trial', t, 'must be an integer >= 1');
  const cap = (n: number) => Math.max(1, Math.min(n, options.trials));
  if (c !== undefined && t !== undefined) {
    if (c * t > cpus) throw invalidOption('--concurrency', c, `times --threads-per-trial ${t} is ${c * t}, more than the ${cpus} cpus given (--cpus)`);
    return { cpus, concurrency: c, threadsPerTrial: t, reason: 'as given' };
  }
  if (c !== undefined) {
    if (c > cpus) throw invalidOption('--concurrency', c, `is more than the ${cpus} cpus given (--cpus)`);
    return { cpus, concurrency: c, threadsPerTrial: Math.max(1, Math.floor(cpus / c)), reason: 'threads per trial from --concurrency' };
  }
  if (t !== undefined) {
    if (t > cpus) throw invalidOption('--threads-per-trial', t, `is more than the ${cpus} cpus given (--cpus)`);
    return { cpus, concurrency: cap(Math.floor(cpus / t)), threadsPerTrial: t, reason: 'concurrency from --threads-per-trial' };
  }
  if (options.rows >= TUNE_WIDE_TRIAL_ROWS) {
    return { cpus, concurrency: 1, threadsPerTrial: cpus, reason: `${options.rows} training rows: one trial at a time on every core` };
  }
  return { cpus, concurrency: cap(cpus), threadsPerTrial: 1, reason: `${options.rows} training rows: single-thread trials side by side` };
}
