// One ml-random-forest fit + predict in its own process; prints one JSON line on stdout.
// Same flags as grove.ts (mode/backend ignored). Hyperparameter mapping (ml-random-forest 2.1.0,
// trees from ml-cart 2.x), the closest it offers:
//   n_estimators 100         -> nEstimators 100
//   max_features k per split -> maxFeatures k (an integer count). ml-random-forest draws the k
//                               features once PER TREE (random subspace), not per split as
//                               scikit-learn/ranger/grove do: the work per node matches (k
//                               features scanned), the model is weaker (a tree may never see x0).
//   min_samples_leaf m       -> treeOptions.minNumSamples 2m-1: ml-cart makes a leaf of any node
//                               with <= minNumSamples rows, so nodes of >= 2m rows may split, as
//                               with min_samples_leaf m; it has no minimum on the children.
//   bootstrap                -> useSampleBagging true, replacement false (no repeated features).
//   seed                     -> seed (its Mersenne Twister); noOOB true (scikit-learn's
//                               oob_score=False default; grove computes OOB inside its fit).
// It takes number[][]: the arrays are built before the clock starts; its own conversion to an
// ml-matrix Matrix inside train() is timed, as it is part of fitting with this library.
import { createRequire } from 'node:module';
import { RandomForestRegression } from 'ml-random-forest';
import { need, peakRssKb, readBenchCsv, rmse, rssKb, runnerArgs } from './csv.js';

const args = runnerArgs(process.argv.slice(2));
const train = readBenchCsv(need(args, 'train'));
const test = readBenchCsv(need(args, 'test'));
const rowsOf = (x: Float64Array, rows: number, cols: number): number[][] => Array.from({ length: rows }, (_, i) => Array.from(x.subarray(i * cols, (i + 1) * cols)));
const mtry = mtryCount(need(args, 'max-features'), train.cols);
const leaf = Number(need(args, 'min-samples-leaf'));
const options = {
  nEstimators: Number(need(args, 'trees')),
  maxFeatures: mtry,
  replacement: false,
  useSampleBagging: true,
  noOOB: true,
  seed: Number(need(args, 'seed')),
  treeOptions: { minNumSamples: 2 * leaf - 1 },
};
const xTrain = rowsOf(train.x, train.rows, train.cols);
const yTrain = Array.from(train.y);
const xTest = rowsOf(test.x, test.rows, test.cols);
const model = new RandomForestRegression(options);
const rssBefore = rssKb();

const t0 = performance.now();
model.train(xTrain, yTrain);
const fitS = (performance.now() - t0) / 1000;
const t1 = performance.now();
const pred = model.predict(xTest) as number[];
const predictS = (performance.now() - t1) / 1000;

const version = (createRequire(import.meta.url)('ml-random-forest/package.json') as { version: string }).version;
process.stdout.write(
  JSON.stringify({
    competitor: 'ml-rf',
    version,
    threads: 1,
    fit_s: fitS,
    predict_s: predictS,
    rmse: rmse(test.y, pred),
    n_train: train.rows,
    n_test: test.rows,
    rss_before_fit_kb: rssBefore,
    peak_rss_kb: peakRssKb(),
    params: options,
  }) + '\n',
);

function mtryCount(v: string, p: number): number {
  if (v === 'third') return Math.max(1, Math.floor(p / 3));
  if (/^\d+$/.test(v)) return Number(v);
  throw new Error(`ml-rf runner: max-features ${v} is not supported here`);
}
