// A piscina worker: fits one trial's forests (one per fold), rung by rung, on the shared data.
import { hostname } from 'node:os';
import { threadId, type MessagePort } from 'node:worker_threads';
import { regressionMetrics } from '../forest/metrics.js';
import { RandomForestRegressor } from '../forest/regressor.js';
import { configToParams } from './space.js';
import { objectiveOf, type MetricName, type RungReport, type SharedFold, type TrialResult, type TrialTask } from './trial-task.js';

export default async function runTrial(task: TrialTask): Promise<TrialResult> {
  if (task.fault === 'throw') throw new Error(`injected fault in trial ${task.number}`);
  if (task.fault === 'exit') process.exit(3); // ends this worker thread, as a crash would
  const params = { ...configToParams(task.config), seed: task.seed, threads: task.threads, backend: task.backend };
  const last = task.rungs[task.rungs.length - 1];
  const models = task.folds.map(() => new RandomForestRegressor({ ...params, nEstimators: last }));
  const rungValues: RungReport[] = [];
  let scores: Record<string, number>[] = [];
  let fitS = 0;
  let pruned = false;
  let grown = 0;
  for (let r = 0; r < task.rungs.length; r++) {
    const trees = task.rungs[r];
    const t0 = performance.now();
    task.folds.forEach((fold, i) => {
      const opts = { cancel: task.cancel };
      if (grown === 0) models[i] = new RandomForestRegressor({ ...params, nEstimators: trees }).fitSync(fold.x, fold.y, opts);
      else models[i].growSync(fold.x, fold.y, trees - grown, opts);
    });
    fitS += (performance.now() - t0) / 1000;
    grown = trees;
    scores = task.folds.map((fold, i) => score(models[i], fold, task.evaluation));
    const value = mean(scores.map((s) => s[task.metric]));
    rungValues.push({ rung: r, trees, value });
    const isLast = r === task.rungs.length - 1;
    if (!isLast && task.port && !(await askToContinue(task.port, { rung: r, trees, value: objectiveOf(task.metric, value) }))) {
      pruned = true;
      break;
    }
  }
  const metrics: Record<string, number> = { fit_s: fitS, n_trees: grown };
  for (const key of ['rmse', 'mae', 'r2'] as MetricName[]) metrics[`val_${key}`] = mean(scores.map((s) => s[key]));
  return {
    metrics,
    foldValues: scores.map((s) => s[task.metric]),
    rungValues,
    pruned,
    worker: `${hostname()}:${process.pid}:w${threadId}`,
    threads: task.threads,
  };
}

function score(model: RandomForestRegressor, fold: SharedFold, evaluation: TrialTask['evaluation']): Record<MetricName, number> {
  if (evaluation === 'oob') {
    const p = model.oobPrediction;
    if (!p) throw new Error('OOB evaluation needs bootstrap: the configuration turned it off');
    const ys: number[] = [];
    const ps: number[] = [];
    for (let i = 0; i < p.length; i++) {
      if (Number.isNaN(p[i])) continue;
      ys.push(fold.y[i]);
      ps.push(p[i]);
    }
    if (ys.length === 0) throw new Error('no row was ever out of bag: OOB evaluation needs more trees');
    return regressionMetrics(ys, ps);
  }
  return regressionMetrics(fold.valY!, model.predictSync(fold.valX!));
}

function mean(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}

function askToContinue(port: MessagePort, report: RungReport): Promise<boolean> {
  return new Promise((resolve) => {
    port.once('message', (m: { go: boolean }) => resolve(m.go));
    port.postMessage(report);
  });
}
