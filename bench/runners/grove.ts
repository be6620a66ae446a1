// One grove fit + predict in its own process; prints one JSON line on stdout.
//   node --import tsx bench/runners/grove.ts --train F --test F --threads N --seed S --trees 100
//        --min-samples-leaf 5 --max-features third --mode exact|hist --backend native|js
// The data reaches fit/predict as a TypedMatrix (Float64Array, row-major): no number[][] copy.
import { RandomForestRegressor } from '../../src/forest/regressor.js';
import { GROVE_VERSION } from '../../src/version.js';
import { need, peakRssKb, readBenchCsv, rmse, rssKb, runnerArgs } from './csv.js';

const args = runnerArgs(process.argv.slice(2));
const train = readBenchCsv(need(args, 'train'));
const test = readBenchCsv(need(args, 'test'));
const mode = need(args, 'mode') as 'exact' | 'hist';
const backend = need(args, 'backend') as 'native' | 'js';
const params = {
  nEstimators: Number(need(args, 'trees')),
  maxFeatures: need(args, 'max-features'),
  minSamplesLeaf: Number(need(args, 'min-samples-leaf')),
  bootstrap: true,
  threads: Number(need(args, 'threads')),
  splitMode: mode,
  backend,
  seed: Number(need(args, 'seed')),
};
const model = new RandomForestRegressor(params);
const rssBefore = rssKb();

const t0 = performance.now();
await model.fit({ data: train.x, rows: train.rows, cols: train.cols }, train.y);
const fitS = (performance.now() - t0) / 1000;
const t1 = performance.now();
const pred = await model.predict({ data: test.x, rows: test.rows, cols: test.cols });
const predictS = (performance.now() - t1) / 1000;

if (model.backend !== backend) throw new Error(`asked for backend ${backend} but ${model.backend} ran`);
process.stdout.write(
  JSON.stringify({
    competitor: backend === 'native' ? 'grove' : 'grove-js',
    version: GROVE_VERSION,
    backend: model.backend,
    split_mode: model.splitMode,
    threads: params.threads,
    fit_s: fitS,
    predict_s: predictS,
    rmse: rmse(test.y, pred),
    oob_rmse: model.oobRmse,
    n_train: train.rows,
    n_test: test.rows,
    n_nodes: model.forest.feature.length,
    rss_before_fit_kb: rssBefore,
    peak_rss_kb: peakRssKb(),
    params: { n_estimators: params.nEstimators, max_features: params.maxFeatures, min_samples_leaf: params.minSamplesLeaf, bootstrap: true, split_mode: mode, backend, seed: params.seed },
  }) + '\n',
);
