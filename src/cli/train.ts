// `grove train <data>`: fit one forest (a regressor or a classifier, by the target's task),
// evaluate it on a held-out test set, optionally save it.
import type { Command } from 'commander';
import { DEFAULT_TEST_FRACTION, FOREST_DEFAULTS } from '../constants.js';
import { RandomForestRegressor } from '../forest/regressor.js';
import { RandomForestClassifier } from '../forest/classifier.js';
import { regressionMetrics } from '../forest/metrics.js';
import { classificationArtifacts, classificationMetrics, confusionMatrix } from '../forest/classification-metrics.js';
import { resolveThreads, type ClassWeight, type RandomForestParams } from '../forest/params.js';
import type { TypedMatrix } from '../matrix.js';
import { GroveError, invalidOption } from '../errors.js';
import { argmaxRows, decodeLabels, type Label } from '../labels.js';
import { categoricalColumnsOf, labelledPart, loadData, prepareTraining, type PrepareOptions, type PreparedData } from '../data/index.js';
import { addDataOptions, dataOptionsFrom, type DataFlags } from './data-options.js';
import { checkRecordOptions, recordRun, type RecordRunOptions } from '../track/record-run.js';
import { paramsToSnake } from '../forest/params.js';
import { choiceOption, floatOption, intOption } from './options.js';
import { formatTable, note, printJson } from './output.js';
import { addTrackingUriOption, withStore, type TrackingFlags } from './tracking-store.js';

interface TrainFlags extends TrackingFlags, DataFlags {
  experiment: string;
  runName?: string;
  register?: string;
  alias?: string;
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
  track: boolean;
  criterion?: 'gini' | 'entropy';
  classWeight?: ClassWeight;
}

/** --class-weight: balanced, balanced_subsample, none, or a JSON map of label -> weight. */
function classWeightOption(value: string): ClassWeight {
  if (value === 'none') return null;
  if (value === 'balanced' || value === 'balanced_subsample') return value;
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    parsed = undefined;
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw invalidOption('--class-weight', value, 'must be balanced, balanced_subsample, none or a JSON object of label -> weight, e.g. \'{"malignant": 2}\'');
  }
  return parsed as Record<string, number>;
}

export function register(program: Command): void {
  const cmd = program
    .command('train')
    .description('fit a random forest on a data file (or built-in dataset) and evaluate it on held-out rows')
    .argument('<data>', "CSV, TSV, .csv.gz, JSON or Arrow file, or a built-in: 'diabetes', 'breast-cancer', 'friedman1[:rows[:seed]]', 'classes:<rows>[:<k>[:<seed>]]'");
  addDataOptions(cmd)
    .option('--criterion <c>', 'classification split criterion: gini (default) or entropy', choiceOption('--criterion', ['gini', 'entropy'] as const))
    .option('--class-weight <w>', 'classification: balanced, balanced_subsample, none (default) or a JSON map such as \'{"malignant": 2}\'', classWeightOption)
    .option('--trees <n>', `number of trees (default ${FOREST_DEFAULTS.nEstimators})`, intOption('--trees', 1))
    .option('--n-estimators <n>', 'alias of --trees', intOption('--n-estimators', 1))
    .option('--max-depth <n>', 'maximum tree depth (default: no limit)', intOption('--max-depth', 1))
    .option('--min-samples-split <n>', 'rows a node needs to be split (default 2)', intOption('--min-samples-split', 2))
    .option('--min-samples-leaf <n>', 'rows each leaf keeps at least (default 1)', intOption('--min-samples-leaf', 1))
    .option('--max-features <v>', 'features tried per split: all, sqrt, log2, third, a count (3) or a fraction (0.5, 1.0) (default: all for regression, sqrt for classification)')
    .option('--bootstrap', 'draw rows with replacement for each tree (default)', true)
    .option('--no-bootstrap', 'grow each tree on every row')
    .option(
      '--max-samples <f>',
      'bootstrap draws as a fraction of the rows, in (0, 1]',
      floatOption('--max-samples', (n) => (n > 0 && n <= 1 ? null : 'must be in (0, 1]')),
    )
    .option(
      '--min-impurity-decrease <v>',
      'split only when the weighted impurity drops by this much (default 0)',
      floatOption('--min-impurity-decrease', (n) => (n >= 0 ? null : 'must be >= 0')),
    )
    .option('--threads <n>', 'threads for fit and predict (default: all cores)', intOption('--threads', 1))
    .option('--backend <b>', 'native (C++/OpenMP, default) or js (pure TypeScript)', choiceOption('--backend', ['native', 'js'] as const))
    .option('--split-mode <m>', 'exact, hist (256-bin histograms) or auto (by data size; default)', choiceOption('--split-mode', ['exact', 'hist', 'auto'] as const))
    .option('--seed <n>', 'random seed for the forest and the split (default 0)', intOption('--seed', 0), 0)
    .option(
      '--test-frac <f>',
      `share of rows held out for testing (default ${DEFAULT_TEST_FRACTION})`,
      floatOption('--test-frac', (n) => (n > 0 && n < 1 ? null : 'must be in (0, 1)')),
    )
    .option('--test <file>', 'explicit test set (same columns) instead of --test-frac')
    .option('--save <file>', 'write the fitted model file here')
    .option('--json', 'print one JSON object on stdout')
    .option('--no-track', 'do not record the run in the tracking store')
    .option('--experiment <name>', 'experiment to record the run under', 'Default')
    .option('--run-name <name>', 'name of the run (default: generated)')
    .option('--register <model-name>', 'register the model as a new version of this model')
    .option('--alias <alias>', 'point this alias (e.g. production) at the new version; needs --register');
  addTrackingUriOption(cmd)
    .addHelpText(
      'after',
      '\nExamples:\n  grove train diabetes\n  grove train friedman1:100000 --split-mode hist --trees 100 --json\n  grove train data.csv --target price --max-features sqrt --save model.grove\n  grove train diabetes --register diabetes --alias production\n  grove train breast-cancer --class-weight balanced --json\n  grove train churn.csv --target churned --task classification --criterion entropy',
    )
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
  const classifierOnly = flags.criterion !== undefined ? '--criterion' : flags.classWeight !== undefined ? '--class-weight' : null;
  if (classifierOnly && flags.task === 'regression') {
    throw new GroveError('INVALID_OPTION', `${classifierOnly} applies to classification; it cannot be combined with --task regression`, { option: classifierOnly });
  }
  const classifierParams = { ...params, criterion: flags.criterion, classWeight: flags.classWeight };
  // validates before any data is read (the task may still be unknown: check the params as the possible models take them)
  if (flags.task !== 'regression') new RandomForestClassifier(classifierParams);
  if (flags.task !== 'classification' && !classifierOnly) new RandomForestRegressor(params);
  if (flags.alias !== undefined && flags.register === undefined) {
    throw new GroveError('INVALID_OPTION', '--alias needs --register <model-name>: an alias points at a registered version', { option: '--alias' });
  }
  if (!flags.track && (flags.register !== undefined || flags.experiment !== 'Default' || flags.runName !== undefined)) {
    throw new GroveError('INVALID_OPTION', '--no-track excludes --register, --experiment and --run-name (they are recorded in the tracking store)', { option: '--no-track' });
  }
  if (flags.track) checkRecordOptions({ experiment: flags.experiment, register: flags.register, alias: flags.alias });

  const prepareOptions: PrepareOptions = {
    ...dataOptionsFrom(flags),
    seed: flags.seed,
    testFraction: flags.test === undefined ? (flags.testFrac ?? DEFAULT_TEST_FRACTION) : undefined,
  };
  const prepared = prepareTraining(await loadData(data), prepareOptions);
  if (prepared.task === 'regression' && classifierOnly) {
    throw new GroveError(
      'INVALID_OPTION',
      `${classifierOnly} applies to classification, and target "${prepared.preprocessing.target}" is a regression target (pass --task classification to read it as classes)`,
      { option: classifierOnly },
    );
  }
  const classes = prepared.classes;
  let testSet: { x: Required<TypedMatrix>; y: Float64Array };
  if (flags.test !== undefined) {
    // string classes: read the test target as text too, so a label "1" stays "1"
    const categorical = categoricalColumnsOf(prepared.preprocessing);
    if (classes && typeof classes[0] === 'string') categorical.push(prepared.preprocessing.target);
    const held = labelledPart(await loadData(flags.test, { categoricalColumns: categorical }), prepared.preprocessing, classes);
    prepared.notes.push(...held.notes);
    testSet = held;
  } else {
    if (!prepared.test) throw new GroveError('INTERNAL', 'the data layer returned no test part');
    testSet = prepared.test;
  }
  for (const line of prepared.notes) note(`grove: ${line}`);
  const trainSet = prepared;
  if (!flags.json) note(`grove: training on ${trainSet.x.rows} rows x ${trainSet.x.cols} features, testing on ${testSet.x.rows} rows`);
  if (classes) {
    await trainClassifier(data, flags, new RandomForestClassifier(classifierParams), prepared, classes, testSet);
    return;
  }
  const model = new RandomForestRegressor(params);

  const startTime = Date.now();
  const t0 = performance.now();
  await model.fit(trainSet.x, trainSet.y, { featureNames: trainSet.featureNames, targetName: trainSet.preprocessing.target });
  const fitS = (performance.now() - t0) / 1000;
  const t1 = performance.now();
  const pred = await model.predict(testSet.x);
  const predictS = (performance.now() - t1) / 1000;
  const { rmse, r2, mae } = regressionMetrics(testSet.y, pred);

  const result = {
    data,
    data_fingerprint: prepared.fingerprint,
    target: trainSet.preprocessing.target,
    backend: model.backend,
    split_mode: model.splitMode,
    n_train: trainSet.x.rows,
    n_test: testSet.x.rows,
    n_features: trainSet.x.cols,
    n_estimators: model.nTrees,
    threads: resolveThreads(model.params.threads),
    fit_s: fitS,
    predict_s: predictS,
    rmse,
    r2,
    oob_rmse: model.oobRmse,
    oob_r2: model.oobScore,
    n_nodes: model.forest.feature.length,
    saved: flags.save ?? null,
  };
  model.metadata = { preprocessing: prepared.preprocessing, dataFingerprint: prepared.fingerprint, metrics: { rmse, r2 } };
  // streamed in chunks: a model of several GB is never one Buffer
  if (flags.save) await model.save(flags.save);
  const tracked = await trackTrain(flags, {
    startTime,
    dataFingerprint: prepared.fingerprint,
    params: { ...paramsToSnake(model.params), target: prepared.preprocessing.target, data: data },
    metrics: { rmse, r2, mae, oob_rmse: model.oobRmse, oob_r2: model.oobScore, fit_s: fitS, predict_s: predictS, n_train: trainSet.x.rows, n_test: testSet.x.rows },
    tags: { 'grove.command': 'train', 'grove.backend': model.backend, 'grove.split_mode': model.splitMode ?? 'exact' },
    modelBytes: () => model.toChunks(),
  });
  Object.assign(result, tracked ?? {});
  if (flags.json) {
    printJson(result);
    return;
  }
  const fmt = (v: number | null, d = 4) => (v === null ? 'n/a' : v.toFixed(d));
  process.stdout.write(
    [
      `backend      ${result.backend} (${result.split_mode} splits, ${result.n_estimators} trees, ${result.n_nodes} nodes)`,
      `fit          ${fmt(fitS, 3)} s`,
      `predict      ${fmt(predictS, 3)} s (${testSet.x.rows} rows)`,
      `test RMSE    ${fmt(rmse)}`,
      `test R²      ${fmt(r2)}`,
      `OOB RMSE     ${fmt(result.oob_rmse)}`,
      ...(flags.save ? [`saved        ${flags.save}`] : []),
      ...(tracked ? [`run          ${tracked.run_id} (experiment ${tracked.experiment})`] : []),
      ...(tracked?.model_uri ? [`registered   ${tracked.model_uri}${flags.alias ? ` (alias ${flags.alias})` : ''}`] : []),
    ].join('\n') + '\n',
  );
}

async function trainClassifier(
  data: string,
  flags: TrainFlags,
  model: RandomForestClassifier,
  prepared: PreparedData,
  classes: Label[],
  testSet: { x: Required<TypedMatrix>; y: Float64Array },
): Promise<void> {
  const k = classes.length;
  const startTime = Date.now();
  const t0 = performance.now();
  await model.fit(prepared.x, decodeLabels(prepared.y, classes), { featureNames: prepared.featureNames, targetName: prepared.preprocessing.target, classes });
  const fitS = (performance.now() - t0) / 1000;
  const t1 = performance.now();
  const proba = await model.predictProba(testSet.x);
  const predictS = (performance.now() - t1) / 1000;
  const metrics = classificationMetrics(testSet.y, proba, k);
  const matrix = confusionMatrix(testSet.y, argmaxRows(proba, k), k);
  const params = paramsToSnake(model.params);

  const result = {
    data,
    data_fingerprint: prepared.fingerprint,
    target: prepared.preprocessing.target,
    task: 'classification',
    classes,
    n_classes: k,
    criterion: params.criterion,
    class_weight: model.params.classWeight,
    backend: model.backend,
    split_mode: model.splitMode,
    n_train: prepared.x.rows,
    n_test: testSet.x.rows,
    n_features: prepared.x.cols,
    n_estimators: model.nTrees,
    threads: resolveThreads(model.params.threads),
    fit_s: fitS,
    predict_s: predictS,
    ...metrics,
    oob_accuracy: model.oobAccuracy,
    confusion_matrix: { labels: classes, matrix },
    n_nodes: model.forest.feature.length,
    saved: flags.save ?? null,
  };
  model.metadata = { preprocessing: prepared.preprocessing, dataFingerprint: prepared.fingerprint, metrics: { ...metrics } };
  if (flags.save) await model.save(flags.save);
  const tracked = await trackTrain(flags, {
    startTime,
    dataFingerprint: prepared.fingerprint,
    params: { ...params, task: 'classification', target: prepared.preprocessing.target, data },
    metrics: { ...metrics, oob_accuracy: model.oobAccuracy, fit_s: fitS, predict_s: predictS, n_train: prepared.x.rows, n_test: testSet.x.rows, n_classes: k },
    tags: { 'grove.command': 'train', 'grove.backend': model.backend, 'grove.split_mode': model.splitMode ?? 'exact', 'grove.task': 'classification' },
    modelBytes: () => model.toChunks(),
    artifacts: classificationArtifacts(testSet.y, proba, classes),
  });
  Object.assign(result, tracked ?? {});
  if (flags.json) {
    printJson(result);
    return;
  }
  const fmt = (v: number | null, d = 4) => (v === null ? 'n/a' : v.toFixed(d));
  const shown = classes.slice(0, 10).map(String).join(', ') + (k > 10 ? ', ...' : '');
  const lines = [
    `backend           ${result.backend} (${result.split_mode} splits, ${result.n_estimators} trees, ${result.n_nodes} nodes)`,
    `task              classification, ${k} classes (${shown}), criterion ${result.criterion}`,
    `fit               ${fmt(fitS, 3)} s`,
    `predict           ${fmt(predictS, 3)} s (${testSet.x.rows} rows)`,
    `accuracy          ${fmt(metrics.accuracy)}`,
    `balanced accuracy ${fmt(metrics.balanced_accuracy)}`,
    `log loss          ${fmt(metrics.log_loss)}`,
    `ROC AUC           ${fmt(metrics.roc_auc)}${k > 2 ? ' (macro one-vs-rest)' : ''}`,
    `F1 (macro)        ${fmt(metrics.f1_macro)}`,
    `OOB accuracy      ${fmt(result.oob_accuracy)}`,
  ];
  if (k <= 20) {
    lines.push('', 'confusion matrix (test rows; rows: true class, columns: predicted)');
    const table = formatTable(
      ['true \\ predicted', ...classes.map(String)],
      classes.map((c, i) => [String(c), ...matrix[i]]),
    );
    lines.push(...table.trimEnd().split('\n'), '');
  } else lines.push(`confusion matrix: ${k} x ${k}, in --json and the run's confusion_matrix.json`);
  if (flags.save) lines.push(`saved             ${flags.save}`);
  if (tracked) lines.push(`run               ${tracked.run_id} (experiment ${tracked.experiment})`);
  if (tracked?.model_uri) lines.push(`registered        ${tracked.model_uri}${flags.alias ? ` (alias ${flags.alias})` : ''}`);
  process.stdout.write(lines.join('\n') + '\n');
}

interface TrackedRun {
  run_id: string;
  experiment: string;
  model_uri: string | null;
  version: number | null;
}

/** With --track, records the trained model's run (and registers it with --register); else null. */
async function trackTrain(flags: TrainFlags, run: Omit<RecordRunOptions, 'experiment' | 'runName' | 'source' | 'register' | 'alias'>): Promise<TrackedRun | null> {
  if (!flags.track) return null;
  const rec = await withStore(flags, { create: true }, (store) =>
    recordRun(store, { experiment: flags.experiment, runName: flags.runName, ...run, source: 'grove train', register: flags.register, alias: flags.alias }),
  );
  return { run_id: rec.runId, experiment: flags.experiment, model_uri: rec.modelUri, version: rec.version };
}
