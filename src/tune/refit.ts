// The end of a study: refit the best configuration on every non-test row, judge it once on the
// held-out test rows next to the baseline (default hyperparameters, same rows), register it,
// and move `production` only if it beats the current production version on the same rows, on
// the study's metric in that metric's direction. A classification refit also stores the
// confusion matrix and (binary) the ROC curve of the test rows with its run.
import { applyPreprocessing, preprocessingOf } from '../data/index.js';
import { GroveError } from '../errors.js';
import { classificationArtifacts, classificationMetrics } from '../forest/classification-metrics.js';
import { RandomForestClassifier } from '../forest/classifier.js';
import { forestModelFromChunks } from '../forest/load-model.js';
import { regressionMetrics } from '../forest/metrics.js';
import { RandomForestRegressor } from '../forest/regressor.js';
import { decodeLabels, type Label } from '../labels.js';
import type { TypedMatrix } from '../matrix.js';
import { recordRun } from '../track/record-run.js';
import type { ModelVersion, Store } from '../track/store.js';
import { forestParamsFor, type Config } from './space.js';
import type { StudyHandle } from './study-run.js';
import type { StudyData } from './study-data.js';
import { TAG_REFIT, TAG_TYPE, TYPE_REFIT } from './study-record.js';
import { higherIsBetter, TASK_METRICS, type MetricName } from './trial-task.js';

export const PRODUCTION_ALIAS = 'production';

/** Test metrics by name (rmse, mae, r2 or log_loss, accuracy, ...); null where undefined (roc_auc with a class absent). */
export type TestMetrics = Partial<Record<MetricName, number | null>>;

export interface RefitOutcome {
  runId: string;
  modelUri: string;
  version: number;
  test: TestMetrics;
  baseline: TestMetrics;
  promotion: {
    promoted: boolean;
    reason: string;
    championVersion: number | null;
    championTest: number | null;
  };
}

const better = (metric: MetricName, a: number, b: number) => (higherIsBetter(metric) ? a > b : a < b);

type Model = RandomForestRegressor | RandomForestClassifier;

export async function refitBest(store: Store, study: StudyHandle, data: StudyData, best: Config, threads: number, bestValue: number, source: string): Promise<RefitOutcome> {
  const c = study.config;
  const train = data.refit;
  const test = train.test;
  if (!test) throw new GroveError('INTERNAL', 'the study has no test part');
  const task = data.task;
  const fitOptions = { featureNames: train.featureNames, targetName: train.preprocessing.target };
  const fitOn = async (config: Config): Promise<Model> => {
    const run = { seed: c.seed, threads, backend: c.backend };
    if (task === 'classification') {
      const labels = decodeLabels(train.y, data.classes);
      return new RandomForestClassifier({ ...forestParamsFor(config, 'classification'), ...run }).fit(train.x, labels, { ...fitOptions, classes: data.classes });
    }
    return new RandomForestRegressor({ ...forestParamsFor(config, 'regression'), ...run }).fit(train.x, train.y, fitOptions);
  };
  const baselineModel = await fitOn({});
  const baseline = (await scoreOn(baselineModel, test.x, test.y, data.classes)).metrics;
  const model = await fitOn(best);
  const scored = await scoreOn(model, test.x, test.y, data.classes);
  const tested = scored.metrics;
  const testMetrics: Record<string, number | null> = {};
  for (const key of TASK_METRICS[task]) testMetrics[`test_${key}`] = tested[key] ?? null;
  model.metadata = {
    preprocessing: train.preprocessing,
    dataFingerprint: data.fingerprint,
    metrics: Object.fromEntries(Object.entries(testMetrics).filter((e): e is [string, number] => e[1] !== null)),
  };
  const recorded = await recordRun(store, {
    experiment: c.experiment,
    runName: `${c.studyName}-refit`,
    parentRunId: study.run.runId,
    dataFingerprint: data.fingerprint,
    params: best,
    metrics: {
      ...testMetrics,
      ...Object.fromEntries(TASK_METRICS[task].map((key) => [`baseline_test_${key}`, baseline[key] ?? null])),
      ...(model instanceof RandomForestClassifier && model.oobAccuracy !== null ? { oob_accuracy: model.oobAccuracy } : {}),
      [`best_val_${c.metric}`]: bestValue,
      n_train: train.x.rows,
      n_test: test.x.rows,
    },
    tags: { [TAG_TYPE]: TYPE_REFIT, [TAG_REFIT]: 'true', 'grove.task': task },
    source,
    modelBytes: () => model.toChunks(),
    // confusion_matrix.json, and roc_curve.json for two classes, on the test rows
    artifacts: task === 'classification' ? classificationArtifacts(test.y, scored.proba!, data.classes) : undefined,
    register: c.register,
  });
  const version = recorded.version!;
  const challenger = tested[c.metric];
  if (challenger === null || challenger === undefined) throw new GroveError('INTERNAL', `the refitted model's test ${c.metric} is undefined (a class has no test rows)`);
  const promotion = await promote(store, c.register, version, c.promote, c.metric, challenger, data, test.rowNumbers);
  return { runId: recorded.runId, modelUri: recorded.modelUri!, version, test: tested, baseline, promotion };
}

/** The metrics of a model on rows with targets `y` (class indices for a classifier), and its class probabilities over the study's classes. */
async function scoreOn(model: Model, x: Required<TypedMatrix>, y: Float64Array, classes: readonly Label[]): Promise<{ metrics: TestMetrics; proba: Float64Array | null }> {
  if (model instanceof RandomForestClassifier) {
    const proba = onStudyClasses(await model.predictProba(x), model.classes, classes);
    return { metrics: { ...classificationMetrics(y, proba, classes.length) }, proba };
  }
  if (classes.length > 0) throw new GroveError('INVALID_MODEL', 'it is a regressor, and this study classifies');
  return { metrics: { ...regressionMetrics(y, await model.predict(x)) }, proba: null };
}

/** A model's probabilities (over its own classes) as rows x K over the study's classes; a label the study lacks is an error. */
function onStudyClasses(proba: Float64Array, modelClasses: readonly Label[], classes: readonly Label[]): Float64Array {
  if (classes.length === 0) throw new GroveError('INVALID_MODEL', 'it is a classifier, and this study is a regression');
  const index = new Map(classes.map((l, i) => [l, i]));
  const to = modelClasses.map((l) => {
    const i = index.get(l);
    if (i === undefined) throw new GroveError('INVALID_MODEL', `its class ${JSON.stringify(l)} is not among the study's classes`);
    return i;
  });
  const width = modelClasses.length;
  const K = classes.length;
  if (width === K && to.every((t, j) => t === j)) return proba;
  const rows = proba.length / width;
  const out = new Float64Array(rows * K);
  for (let i = 0; i < rows; i++) for (let j = 0; j < width; j++) out[i * K + to[j]] = proba[i * width + j];
  return out;
}

/** Champion/challenger on the same test rows; the champion is scored through its own preprocessing. */
async function promote(
  store: Store,
  name: string,
  version: number,
  enabled: boolean,
  metric: MetricName,
  challenger: number,
  data: StudyData,
  testRowNumbers: Int32Array,
): Promise<RefitOutcome['promotion']> {
  if (!enabled) return { promoted: false, reason: 'skipped (--no-promote)', championVersion: null, championTest: null };
  let champion: ModelVersion;
  try {
    champion = await store.getModelVersionByAlias(name, PRODUCTION_ALIAS);
  } catch (err) {
    if (!(err instanceof GroveError && err.code === 'NOT_FOUND')) throw err;
    await store.setAlias(name, PRODUCTION_ALIAS, version);
    return { promoted: true, reason: `no ${PRODUCTION_ALIAS} version yet`, championVersion: null, championTest: null };
  }
  let championTest: number;
  try {
    const model = await forestModelFromChunks(store.readModelVersionChunks(name, champion.version), {
      source: `models:/${name}/${champion.version}`,
      totalBytes: champion.size,
      stats: false,
    });
    const prep = preprocessingOf({ preprocessing: model.metadata.preprocessing ?? null, feature_names: model.featureNames, target_name: model.targetName });
    const rows = testRowNumbers.map((r) => r - 1);
    const applied = applyPreprocessing(data.loaded, prep, { rows, noteExtraColumns: false });
    const value = (await scoreOn(model, applied.x, data.refit.test!.y, data.classes)).metrics[metric];
    if (value === null || value === undefined) throw new GroveError('INVALID_MODEL', `its test ${metric} is undefined`);
    championTest = value;
  } catch (err) {
    return {
      promoted: false,
      reason: `kept version ${champion.version}: it cannot be scored on this study's test rows (${(err as Error).message})`,
      championVersion: champion.version,
      championTest: null,
    };
  }
  if (better(metric, challenger, championTest)) {
    await store.setAlias(name, PRODUCTION_ALIAS, version);
    return { promoted: true, reason: `test ${metric} ${fmt(challenger)} beats version ${champion.version}'s ${fmt(championTest)}`, championVersion: champion.version, championTest };
  }
  return { promoted: false, reason: `kept version ${champion.version}: its test ${metric} ${fmt(championTest)} is not worse than ${fmt(challenger)}`, championVersion: champion.version, championTest };
}

function fmt(v: number): string {
  return Number(v.toPrecision(6)).toString();
}
