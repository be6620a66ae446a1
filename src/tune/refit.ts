// The end of a study: refit the best configuration on every non-test row, judge it once on the
// held-out test rows next to the baseline (default hyperparameters, same rows), register it,
// and move `production` only if it beats the current production version on the same rows.
import { applyPreprocessing, preprocessingOf } from '../data/index.js';
import { GroveError } from '../errors.js';
import { regressionMetrics } from '../forest/metrics.js';
import { RandomForestRegressor } from '../forest/regressor.js';
import { recordRun } from '../track/record-run.js';
import type { ModelVersion, Store } from '../track/store.js';
import { configToParams, type Config } from './space.js';
import type { StudyHandle } from './study-run.js';
import type { StudyData } from './study-data.js';
import { TAG_REFIT, TAG_TYPE, TYPE_REFIT } from './study-record.js';
import type { MetricName } from './trial-task.js';

export const PRODUCTION_ALIAS = 'production';

export interface RefitOutcome {
  runId: string;
  modelUri: string;
  version: number;
  test: Record<MetricName, number>;
  baseline: Record<MetricName, number>;
  promotion: {
    promoted: boolean;
    reason: string;
    championVersion: number | null;
    championTest: number | null;
  };
}

const better = (metric: MetricName, a: number, b: number) => (metric === 'r2' ? a > b : a < b);

export async function refitBest(store: Store, study: StudyHandle, data: StudyData, best: Config, threads: number, bestValue: number, source: string): Promise<RefitOutcome> {
  const c = study.config;
  const train = data.refit;
  const test = train.test;
  if (!test) throw new GroveError('INTERNAL', 'the study has no test part');
  const fitOn = async (config: Config) =>
    new RandomForestRegressor({ ...configToParams(config), seed: c.seed, threads, backend: c.backend }).fit(train.x, train.y, {
      featureNames: train.featureNames,
      targetName: train.preprocessing.target,
    });
  const baselineModel = await fitOn({});
  const baseline = regressionMetrics(test.y, await baselineModel.predict(test.x));
  const model = await fitOn(best);
  const tested = regressionMetrics(test.y, await model.predict(test.x));
  model.metadata = {
    preprocessing: train.preprocessing,
    dataFingerprint: data.fingerprint,
    metrics: { test_rmse: tested.rmse, test_mae: tested.mae, test_r2: tested.r2 },
  };
  const recorded = await recordRun(store, {
    experiment: c.experiment,
    runName: `${c.studyName}-refit`,
    parentRunId: study.run.runId,
    dataFingerprint: data.fingerprint,
    params: best,
    metrics: {
      test_rmse: tested.rmse,
      test_mae: tested.mae,
      test_r2: tested.r2,
      baseline_test_rmse: baseline.rmse,
      baseline_test_mae: baseline.mae,
      baseline_test_r2: baseline.r2,
      [`best_val_${c.metric}`]: bestValue,
      n_train: train.x.rows,
      n_test: test.x.rows,
    },
    tags: { [TAG_TYPE]: TYPE_REFIT, [TAG_REFIT]: 'true' },
    source,
    modelBytes: () => model.toChunks(),
    register: c.register,
  });
  const version = recorded.version!;
  const promotion = await promote(store, c.register, version, c.promote, c.metric, tested[c.metric], data, test.rowNumbers);
  return { runId: recorded.runId, modelUri: recorded.modelUri!, version, test: tested, baseline, promotion };
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
    const model = await RandomForestRegressor.fromChunks(store.readModelVersionChunks(name, champion.version), {
      source: `models:/${name}/${champion.version}`,
      totalBytes: champion.size,
      stats: false,
    });
    const prep = preprocessingOf({ preprocessing: model.metadata.preprocessing ?? null, feature_names: model.featureNames, target_name: model.targetName });
    const rows = testRowNumbers.map((r) => r - 1);
    const applied = applyPreprocessing(data.loaded, prep, { rows, noteExtraColumns: false });
    const y = data.refit.test!.y;
    championTest = regressionMetrics(y, await model.predict(applied.x))[metric];
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
