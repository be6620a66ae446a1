// `grove train <data>`: fit one forest, evaluate it on a held-out test set, optionally save it.
import { writeFileSync, renameSync } from 'node:fs';
import type { Command } from 'commander';
import { DEFAULT_TEST_FRACTION, FOREST_DEFAULTS } from '../constants.js';
import { RandomForestRegressor } from '../forest/regressor.js';
import type { RandomForestParams } from '../forest/params.js';
import { Rng } from '../forest/js/rng.js';
import { GroveError } from '../errors.js';
import { choiceOption, floatOption, intOption } from './options.js';
import { note, printJson } from './output.js';
import { loadTrainingTable, type TrainingTable } from './train-data.js';

interface TrainFlags {
  target?: string;
  trees?: number;
  maxDepth?: number;
  minSamplesSplit?: number;
  minSamplesLeaf?: number;
  maxFeatures?: string;
  bootstrap: boolean;
  maxSamples?: number;
  minImpurityDecrease?: number;
  threads?: number;
  backend?: 'native' | 'js';
  splitMode?: 'exact' | 'hist' | 'auto';
  seed: number;
  testFrac?: number;
  test?: string;
  save?: string;
  json?: boolean;
}

const SPLIT_STREAM = 0x54455354; // "TEST": the train/test split's own random stream

export function register(program: Command): void {
  program
    .command('train')
    .description('fit a random forest on a data file (or built-in dataset) and evaluate it on held-out rows')
    .argument('<data>', "numeric CSV with a header row, or a built-in: 'diabetes', 'friedman1[:rows[:seed]]'")
    .option('--target <column>', "column to predict (default 'target' for diabetes, 'y' for friedman1)")
    .option('--trees <n>', `number of trees (default ${FOREST_DEFAULTS.nEstimators})`, intOption('--trees', 1))
    .option('--n-estimators <n>', 'alias of --trees', intOption('--n-estimators', 1))
    .option('--max-depth <n>', 'maximum tree depth (default: no limit)', intOption('--max-depth', 1))
    .option('--min-samples-split <n>', 'rows a node needs to be split (default 2)', intOption('--min-samples-split', 2))
    .option('--min-samples-leaf <n>', 'rows each leaf keeps at least (default 1)', intOption('--min-samples-leaf', 1))
    .option('--max-features <v>', "features tried per split: all, sqrt, log2, third, a count (3) or a fraction (0.5, 1.0) (default all)")
    .option('--bootstrap', 'draw rows with replacement for each tree (default)', true)
    .option('--no-bootstrap', 'grow each tree on every row')
    .option('--max-samples <f>', 'bootstrap draws as a fraction of the rows, in (0, 1]', floatOption('--max-samples', (n) => (n > 0 && n <= 1 ? null : 'must be in (0, 1]')))
    .option('--min-impurity-decrease <v>', 'split only when the weighted impurity drops by this much (default 0)', floatOption('--min-impurity-decrease', (n) => (n >= 0 ? null : 'must be >= 0')))
    .option('--threads <n>', 'threads for fit and predict (default: all cores)', intOption('--threads', 1))
    .option('--backend <b>', 'native (C++/OpenMP, default) or js (pure TypeScript)', choiceOption('--backend', ['native', 'js'] as const))
    .option('--split-mode <m>', 'exact, hist (256-bin histograms) or auto (by data size; default)', choiceOption('--split-mode', ['exact', 'hist', 'auto'] as const))
    .option('--seed <n>', 'random seed for the forest and the split (default 0)', intOption('--seed', 0), 0)
    .option('--test-frac <f>', `share of rows held out for testing (default ${DEFAULT_TEST_FRACTION})`, floatOption('--test-frac', (n) => (n > 0 && n < 1 ? null : 'must be in (0, 1)')))
    .option('--test <file>', 'explicit test set (same columns) instead of --test-frac')
    .option('--save <file>', 'write the fitted model file here')
    .option('--json', 'print one JSON object on stdout')
    .option('--no-track', 'do not record the run in the tracking store')
    .addHelpText('after', '\nExamples:\n  grove train diabetes\n  grove train friedman1:100000 --split-mode hist --trees 100 --json\n  grove train data.csv --target price --max-features sqrt --save model.grove')
    .action(async (data: string, flags: TrainFlags & { nEstimators?: number }) => {
      await train(data, flags);
    });
}

async function train(data: string, flags: TrainFlags & { nEstimators?: number }): Promise<void> {
  if (flags.test !== undefined && flags.testFrac !== undefined) {
    throw new GroveError('INVALID_OPTION', '--test and --test-frac exclude each other: give one', { option: '--test' });
  }
  const params: RandomForestParams = { seed: flags.seed, bootstrap: flags.bootstrap };
  const trees = flags.trees ?? flags.nEstimators;
  if (trees !== undefined) params.nEstimators = trees;
  if (flags.maxDepth !== undefined) params.maxDepth = flags.maxDepth;
  if (flags.minSamplesSplit !== undefined) params.minSamplesSplit = flags.minSamplesSplit;
  if (flags.minSamplesLeaf !== undefined) params.minSamplesLeaf = flags.minSamplesLeaf;
  if (flags.maxFeatures !== undefined) params.maxFeatures = flags.maxFeatures;
  if (flags.maxSamples !== undefined) params.maxSamples = flags.maxSamples;
  if (flags.minImpurityDecrease !== undefined) params.minImpurityDecrease = flags.minImpurityDecrease;
  if (flags.threads !== undefined) params.threads = flags.threads;
  if (flags.backend !== undefined) params.backend = flags.backend;
  if (flags.splitMode !== undefined) params.splitMode = flags.splitMode;
  const model = new RandomForestRegressor(params); // validates before any data is read

  const table = loadTrainingTable(data, flags.target);
  let trainSet: TrainingTable;
  let testSet: TrainingTable;
  if (flags.test !== undefined) {
    trainSet = table;
    testSet = loadTrainingTable(flags.test, table.targetName);
    if (testSet.featureNames.join('\u0000') !== table.featureNames.join('\u0000')) {
      throw new GroveError('INVALID_FILE', `${flags.test}: its columns (${testSet.featureNames.join(', ')}) differ from the training data's (${table.featureNames.join(', ')})`, { file: flags.test });
    }
  } else {
    [trainSet, testSet] = splitRows(table, flags.testFrac ?? DEFAULT_TEST_FRACTION, flags.seed);
  }
  if (!flags.json) note(`grove: training on ${trainSet.rows} rows x ${trainSet.cols} features, testing on ${testSet.rows} rows`);

  const X = { data: trainSet.x, rows: trainSet.rows, cols: trainSet.cols };
  const t0 = performance.now();
  await model.fit(X, trainSet.y, { featureNames: trainSet.featureNames, targetName: trainSet.targetName });
  const fitS = (performance.now() - t0) / 1000;
  const t1 = performance.now();
  const pred = await model.predict({ data: testSet.x, rows: testSet.rows, cols: testSet.cols });
  const predictS = (performance.now() - t1) / 1000;
  const { rmse, r2 } = regressionMetrics(testSet.y, pred);

  const result = {
    data: data,
    target: trainSet.targetName,
    backend: model.backend,
    split_mode: model.splitMode,
    n_train: trainSet.rows,
    n_test: testSet.rows,
    n_features: trainSet.cols,
    n_estimators: model.nTrees,
    threads: model.params.threads,
    fit_s: fitS,
    predict_s: predictS,
    rmse,
    r2,
    oob_rmse: model.oobRmse,
    oob_r2: model.oobScore,
    n_nodes: model.forest.feature.length,
    saved: flags.save ?? null,
  };
  if (flags.save) {
    model.metadata.metrics = { rmse, r2 };
    writeAtomic(flags.save, model.toBuffer());
  }
  if (flags.json) {
    printJson(result);
    return;
  }
  const fmt = (v: number | null, d = 4) => (v === null ? 'n/a' : v.toFixed(d));
  process.stdout.write(
    [
      `backend      ${result.backend} (${result.split_mode} splits, ${result.n_estimators} trees, ${result.n_nodes} nodes)`,
      `fit          ${fmt(fitS, 3)} s`,
      `predict      ${fmt(predictS, 3)} s (${testSet.rows} rows)`,
      `test RMSE    ${fmt(rmse)}`,
      `test R²      ${fmt(r2)}`,
      `OOB RMSE     ${fmt(result.oob_rmse)}`,
      ...(flags.save ? [`saved        ${flags.save}`] : []),
    ].join('\n') + '\n',
  );
}

export function regressionMetrics(y: ArrayLike<number>, pred: ArrayLike<number>): { rmse: number; r2: number; mae: number } {
  const n = y.length;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += y[i];
  const mean = sum / n;
  let sse = 0;
  let sst = 0;
  let sae = 0;
  for (let i = 0; i < n; i++) {
    sse += (pred[i] - y[i]) ** 2;
    sst += (y[i] - mean) ** 2;
    sae += Math.abs(pred[i] - y[i]);
  }
  return { rmse: Math.sqrt(sse / n), r2: sst > 0 ? 1 - sse / sst : 0, mae: sae / n };
}

function splitRows(t: TrainingTable, testFrac: number, seed: number): [TrainingTable, TrainingTable] {
  const n = t.rows;
  const nTest = Math.round(n * testFrac);
  if (nTest < 1 || n - nTest < 2) {
    throw new GroveError('INVALID_OPTION', `--test-frac ${testFrac} leaves ${n - nTest} training and ${nTest} test rows of ${n}; need >= 2 and >= 1`, { option: '--test-frac' });
  }
  const perm = new Uint32Array(n);
  for (let i = 0; i < n; i++) perm[i] = i;
  const rng = new Rng(seed >>> 0, SPLIT_STREAM);
  for (let i = n - 1; i > 0; i--) {
    const j = rng.below(i + 1);
    const tmp = perm[i];
    perm[i] = perm[j];
    perm[j] = tmp;
  }
  const take = (rows: Uint32Array): TrainingTable => {
    const x = new Float64Array(rows.length * t.cols);
    const y = new Float64Array(rows.length);
    rows.forEach((r, i) => {
      x.set(t.x.subarray(r * t.cols, (r + 1) * t.cols), i * t.cols);
      y[i] = t.y[r];
    });
    return { ...t, x, y, rows: rows.length };
  };
  return [take(perm.subarray(nTest).slice().sort()), take(perm.subarray(0, nTest).slice().sort())];
}

function writeAtomic(path: string, bytes: Buffer): void {
  const tmp = `${path}.tmp-${process.pid}`;
  try {
    writeFileSync(tmp, bytes);
    renameSync(tmp, path);
  } catch (err) {
    throw new GroveError('INVALID_FILE', `cannot write ${path}: ${(err as Error).message}`, { file: path });
  }
}
