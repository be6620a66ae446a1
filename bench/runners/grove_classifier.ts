// One grove RandomForestClassifier fit + predictProba in its own process; prints one JSON line.
// For the classification stage (bench/classification.ts):
//   node --import tsx bench/runners/grove_classifier.ts --train F --test F --classes K --threads N
//        --seed S --trees 100 --min-samples-leaf 5 --max-features sqrt --mode hist|exact
// y in the CSV files is the class index 0..K-1, given to fit as those numbers: the classes are
// then [0, ..., K-1] and predictProba's columns are in that order. Criterion gini, bootstrap,
// native backend. Accuracy: arg-max, ties to the lowest index; log loss as scikit-learn 1.2 (each
// row clipped to [1e-15, 1 - 1e-15], divided by its sum, mean -log p[true class]).
// fit_cpu_s / predict_cpu_s: user + system CPU of the process (all threads).
import { RandomForestClassifier } from '../../src/index.js';
import { GROVE_VERSION } from '../../src/version.js';
import { need, peakRssKb, readBenchCsv, rssKb, runnerArgs } from './csv.js';

const args = runnerArgs(process.argv.slice(2));
const k = Number(need(args, 'classes'));
const train = readBenchCsv(need(args, 'train'));
const test = readBenchCsv(need(args, 'test'));
for (const [part, y] of [
  ['train', train.y],
  ['test', test.y],
] as const) {
  for (let i = 0; i < y.length; i++) if (!Number.isInteger(y[i]) || y[i] < 0 || y[i] >= k) throw new Error(`${part} row ${i + 1}: y ${y[i]} is not a class index 0..${k - 1}`);
}
const mode = need(args, 'mode') as 'exact' | 'hist';
const params = {
  nEstimators: Number(need(args, 'trees')),
  criterion: 'gini' as const,
  maxFeatures: need(args, 'max-features'),
  minSamplesLeaf: Number(need(args, 'min-samples-leaf')),
  bootstrap: true,
  threads: Number(need(args, 'threads')),
  splitMode: mode,
  backend: 'native' as const,
  seed: Number(need(args, 'seed')),
};
const model = new RandomForestClassifier(params);
const rssBefore = rssKb();

const cpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};
const c0 = cpu();
const t0 = performance.now();
await model.fit({ data: train.x, rows: train.rows, cols: train.cols }, train.y);
const fitS = (performance.now() - t0) / 1000;
const fitCpuS = cpu() - c0;
if (model.classes.length !== k || model.classes.some((c, i) => c !== i)) throw new Error(`classes ${JSON.stringify(model.classes)}: expected 0..${k - 1}`);
const c1 = cpu();
const t1 = performance.now();
const proba = await model.predictProba({ data: test.x, rows: test.rows, cols: test.cols });
const predictS = (performance.now() - t1) / 1000;
const predictCpuS = cpu() - c1;
if (model.backend !== 'native') throw new Error(`asked for the native backend but ${model.backend} ran`);
if (proba.length !== test.rows * k) throw new Error(`predictProba gave ${proba.length} values, expected ${test.rows} x ${k}`);

let correct = 0;
let loss = 0;
const eps = 1e-15;
for (let i = 0; i < test.rows; i++) {
  const o = i * k;
  let best = 0;
  let sum = 0;
  for (let c = 0; c < k; c++) {
    if (proba[o + c] > proba[o + best]) best = c;
    sum += Math.min(Math.max(proba[o + c], eps), 1 - eps);
  }
  const t = test.y[i];
  if (best === t) correct++;
  loss -= Math.log(Math.min(Math.max(proba[o + t], eps), 1 - eps) / sum);
}

process.stdout.write(
  JSON.stringify({
    competitor: 'grove',
    version: GROVE_VERSION,
    backend: model.backend,
    split_mode: mode,
    threads: params.threads,
    fit_s: fitS,
    fit_cpu_s: fitCpuS,
    predict_s: predictS,
    predict_cpu_s: predictCpuS,
    accuracy: correct / test.rows,
    log_loss: loss / test.rows,
    oob_accuracy: model.oobAccuracy,
    n_train: train.rows,
    n_test: test.rows,
    n_classes: k,
    n_nodes: model.forest.feature.length,
    rss_before_fit_kb: rssBefore,
    peak_rss_kb: peakRssKb(),
    params: {
      n_estimators: params.nEstimators,
      criterion: 'gini',
      max_features: params.maxFeatures,
      min_samples_leaf: params.minSamplesLeaf,
      bootstrap: true,
      split_mode: mode,
      backend: 'native',
      seed: params.seed,
    },
  }) + '\n',
);
