// A piscina worker: fits one trial's forests (one per fold), rung by rung, on the shared data.
// A regression study fits RandomForestRegressor and scores rmse, mae, r2; a classification
// study fits RandomForestClassifier on the class indices and scores its class probabilities.
import { hostname } from 'node:os';
import { threadId, type MessagePort } from 'node:worker_threads';
import { classificationMetrics } from '../forest/classification-metrics.js';
import { RandomForestClassifier } from '../forest/classifier.js';
import { regressionMetrics } from '../forest/metrics.js';
import { RandomForestRegressor } from '../forest/regressor.js';
import { forestParamsFor } from './space.js';
import { objectiveOf, TASK_METRICS, type MetricName, type RungReport, type SharedFold, type TrialResult, type TrialTask } from './trial-task.js';

type Scores = Record<string, number | null>;
type FitOpts = { cancel: Int32Array };

/** What the loop needs of either forest: fit from scratch, or grow more trees (warm start). */
interface TrialModel {
  fit(trees: number, fold: SharedFold, opts: FitOpts): void;
  grow(trees: number, extra: number, fold: SharedFold, opts: FitOpts): void;
  score(fold: SharedFold, evaluation: TrialTask['evaluation']): Scores;
}

export default async function runTrial(task: TrialTask): Promise<TrialResult> {
  if (task.fault === 'throw') throw new Error(`injected fault in trial ${task.number}`);
  if (task.fault === 'exit') process.exit(3); // ends this worker thread, as a crash would
  const models = task.folds.map(() => (task.task === 'classification' ? classifierModel(task) : regressorModel(task)));
  const rungValues: RungReport[] = [];
  let scores: Scores[] = [];
  let fitS = 0;
  let pruned = false;
  let grown = 0;
  for (let r = 0; r < task.rungs.length; r++) {
    const trees = task.rungs[r];
    const t0 = performance.now();
    task.folds.forEach((fold, i) => {
      const opts = { cancel: task.cancel };
      if (grown === 0) models[i].fit(trees, fold, opts);
      else models[i].grow(trees, trees - grown, fold, opts);
    });
    fitS += (performance.now() - t0) / 1000;
    grown = trees;
    scores = task.folds.map((fold, i) => models[i].score(fold, task.evaluation));
    const value = objective(scores, task.metric);
    rungValues.push({ rung: r, trees, value });
    const isLast = r === task.rungs.length - 1;
    if (!isLast && task.port && !(await askToContinue(task.port, { rung: r, trees, value: objectiveOf(task.metric, value) }))) {
      pruned = true;
      break;
    }
  }
  const metrics: Record<string, number> = { fit_s: fitS, n_trees: grown };
  for (const key of TASK_METRICS[task.task]) {
    const v = meanOrNull(scores.map((s) => s[key]));
    if (v !== null) metrics[`val_${key}`] = v;
  }
  const oob = meanOrNull(scores.map((s) => s.oob_accuracy ?? null));
  if (oob !== null) metrics.oob_accuracy = oob;
  return {
    metrics,
    foldValues: scores.map((s) => s[task.metric]!),
    rungValues,
    pruned,
    worker: `${hostname()}:${process.pid}:w${threadId}`,
    threads: task.threads,
  };
}

function regressorModel(task: TrialTask): TrialModel {
  const params = { ...forestParamsFor(task.config, 'regression'), seed: task.seed, threads: task.threads, backend: task.backend };
  let model: RandomForestRegressor | null = null;
  return {
    fit(trees, fold, opts) {
      model = new RandomForestRegressor({ ...params, nEstimators: trees }).fitSync(fold.x, fold.y, opts);
    },
    grow(_trees, extra, fold, opts) {
      model!.growSync(fold.x, fold.y, extra, opts);
    },
    score(fold, evaluation) {
      if (evaluation === 'oob') {
        const p = model!.oobPrediction;
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
      return regressionMetrics(fold.valY!, model!.predictSync(fold.valX!));
    },
  };
}

// The classifier learns the class indices themselves (labels 0..K-1, all K of them given, so
// a class absent from a training part still has its column of probabilities).
function classifierModel(task: TrialTask): TrialModel {
  const params = { ...forestParamsFor(task.config, 'classification'), seed: task.seed, threads: task.threads, backend: task.backend };
  const K = task.nClasses;
  const classes = Array.from({ length: K }, (_, i) => i);
  let model: RandomForestClassifier | null = null;
  return {
    fit(trees, fold, opts) {
      model = new RandomForestClassifier({ ...params, nEstimators: trees }).fitSync(fold.x, fold.y, { ...opts, classes });
    },
    grow(_trees, extra, fold, opts) {
      model!.growSync(fold.x, fold.y, extra, opts);
    },
    score(fold, evaluation) {
      const m = model!;
      let y: ArrayLike<number> = fold.valY!;
      let proba: Float64Array;
      if (evaluation === 'oob') {
        const p = m.oobProba;
        if (!p) throw new Error('OOB evaluation needs bootstrap: the configuration turned it off');
        const rows: number[] = [];
        for (let i = 0; i < fold.y.length; i++) if (!Number.isNaN(p[i * K])) rows.push(i);
        if (rows.length === 0) throw new Error('no row was ever out of bag: OOB evaluation needs more trees');
        proba = new Float64Array(rows.length * K);
        for (let j = 0; j < rows.length; j++) proba.set(p.subarray(rows[j] * K, (rows[j] + 1) * K), j * K);
        y = rows.map((r) => fold.y[r]);
      } else {
        proba = m.predictProbaSync(fold.valX!);
      }
      const s: Scores = { ...classificationMetrics(y, proba, K) };
      if (m.oobAccuracy !== null) s.oob_accuracy = m.oobAccuracy;
      return s;
    },
  };
}

function objective(scores: Scores[], metric: MetricName): number {
  const v = meanOrNull(scores.map((s) => s[metric]));
  if (v === null) {
    const fold = scores.findIndex((s) => s[metric] === null || s[metric] === undefined);
    throw new Error(`${metric} is undefined on ${scores.length > 1 ? `fold ${fold}` : 'the validation rows'} (a class has no rows there); choose another --metric`);
  }
  return v;
}

function meanOrNull(xs: (number | null | undefined)[]): number | null {
  if (xs.some((x) => x === null || x === undefined)) return null;
  return (xs as number[]).reduce((a, b) => a + b, 0) / xs.length;
}

function askToContinue(port: MessagePort, report: RungReport): Promise<boolean> {
  return new Promise((resolve) => {
    port.once('message', (m: { go: boolean }) => resolve(m.go));
    port.postMessage(report);
  });
}
