// A whole tuning job: prepare the data, create or resume the study, optimise, refit the best
// configuration, register it and decide on promotion. Every step is recorded in the store.
import { GroveError } from '../errors.js';
import type { Store } from '../track/store.js';
import { refitBest, type RefitOutcome } from './refit.js';
import type { Config } from './space.js';
import { checkStudyConfig, studyConfigFromParams, type StudyConfig } from './study-config.js';
import { prepareStudyData, type StudyData } from './study-data.js';
import { planBudget } from './budget.js';
import { TAG_FAILURE, TAG_STUDY_STATE, TAG_TYPE, TYPE_REFIT } from './study-record.js';
import { countFinished, createStudy, findStudy, loadTrials, optimize, type Execution, type OptimizeHooks, type OptimizeOutcome, type StudyHandle } from './study.js';
import { objectiveOf } from './trial-task.js';

export type TuneRequest = { kind: 'new'; config: StudyConfig } | { kind: 'resume'; ref: string; trials?: number };

export interface TopTrial {
  number: number;
  value: number;
  config: Config;
}

export interface TuneResult {
  study: StudyHandle;
  outcome: OptimizeOutcome;
  top: TopTrial[];
  best: TopTrial | null;
  refit: RefitOutcome | null;
  notes: string[];
}

/**
 * `openStore(create)` is called once: after a new study's options and data have been checked
 * (so bad input writes nothing, not even an empty store), or first of all to find a study to
 * resume (which must exist). The store is closed at the end.
 */
export async function runTune(
  openStore: (create: boolean) => Promise<Store>,
  request: TuneRequest,
  execution: Execution = {},
  hooks: OptimizeHooks & { onPhase?: (message: string) => void } = {},
): Promise<TuneResult> {
  let store: Store | null = null;
  try {
    if (request.kind === 'new') {
      checkStudyConfig(request.config);
      planBudget({ ...execution, rows: 0, trials: request.config.trials }); // checks the flags
      const data = await prepareStudyData(request.config);
      store = await openStore(true);
      const study = await createStudy(store, request.config, data.fingerprint);
      return await tuneStudy(store, study, data, execution, hooks);
    }
    store = await openStore(false);
    const { study, data } = await resume(store, request.ref, request.trials);
    return await tuneStudy(store, study, data, execution, hooks);
  } finally {
    await store?.close();
  }
}

async function tuneStudy(store: Store, study: StudyHandle, data: StudyData, execution: Execution, hooks: OptimizeHooks & { onPhase?: (message: string) => void }): Promise<TuneResult> {
  const c = study.config;
  try {
    hooks.onPhase?.(`study ${c.studyName} (${study.run.runId}): ${c.trials} trials, ${c.sampler} sampler, ${c.scheduler} scheduler, ${c.evaluation === 'cv' ? `${c.folds}-fold CV` : c.evaluation === 'val' ? `validation split ${c.valFraction}` : 'out-of-bag'} ${c.metric}`);
    const outcome = await optimize(store, study, data, execution, hooks);
    const top = topTrials(study);
    if (outcome.interrupted) {
      await store.endRun(study.run.runId, 'KILLED', { tags: { [TAG_STUDY_STATE]: 'killed' } });
      return { study, outcome, top, best: top[0] ?? null, refit: null, notes: data.notes };
    }
    if (top.length === 0) throw new GroveError('INTERNAL', 'no trial finished, so there is nothing to refit');
    const best = bestTrial(study) ?? top[0];
    hooks.onPhase?.(`refitting trial ${best.number}'s configuration on all ${data.refit.x.rows} non-test rows`);
    const refit = await refitBest(store, study, data, best.config, outcome.budget.cpus, best.value);
    await store.logBatch(study.run.runId, {
      metrics: [
        { key: `best_val_${c.metric}`, value: best.value },
        { key: 'test_rmse', value: refit.test.rmse },
        { key: 'test_mae', value: refit.test.mae },
        { key: 'test_r2', value: refit.test.r2 },
        { key: 'baseline_test_rmse', value: refit.baseline.rmse },
        { key: 'trials_finished', value: countFinished(study.history) },
      ],
      tags: { [TAG_STUDY_STATE]: 'finished', 'grove.model_uri': refit.modelUri, 'grove.promoted': String(refit.promotion.promoted) },
    });
    await store.endRun(study.run.runId, 'FINISHED');
    return { study, outcome, top, best, refit, notes: data.notes };
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    await store.endRun(study.run.runId, 'FAILED', { tags: { [TAG_STUDY_STATE]: 'failed', [TAG_FAILURE]: message.slice(0, 1000) } }).catch(() => undefined);
    throw err;
  }
}

async function resume(store: Store, ref: string, trials?: number) {
  const run = await findStudy(store, ref);
  const config = studyConfigFromParams(run.params, ref);
  if (trials !== undefined) config.trials = trials;
  checkStudyConfig(config);
  const data = await prepareStudyData(config);
  if (run.dataFingerprint && run.dataFingerprint !== data.fingerprint) {
    throw new GroveError(
      'INVALID_DATA',
      `the data of study "${config.studyName}" changed: it was fitted on data with fingerprint ${run.dataFingerprint.slice(0, 12)}…, ${config.data} now has ${data.fingerprint.slice(0, 12)}…`,
      { option: '--resume' },
    );
  }
  const study: StudyHandle = { run, config, history: [], runIds: new Map() };
  await loadTrials(store, study);
  const children = await store.searchRuns({ parentRunId: run.runId, limit: Infinity });
  const refitDone = children.some((r) => r.tags[TAG_TYPE] === TYPE_REFIT && r.status === 'FINISHED');
  if (refitDone && countFinished(study.history) >= config.trials) {
    throw new GroveError('CONFLICT', `study "${config.studyName}" is already complete (${countFinished(study.history)} trials and a refit); pass --trials N to extend it`, { option: '--resume' });
  }
  // dense history: trial numbers never reused, gaps (never recorded) count as failed
  for (let i = 0; i < study.history.length; i++) study.history[i] ??= { number: i, config: {}, state: 'failed' };
  if (run.status !== 'RUNNING') study.run = { ...study.run, ...(await store.resumeRun(run.runId)) };
  await store.setTag(run.runId, TAG_STUDY_STATE, 'running');
  return { study, data };
}

function topTrials(study: StudyHandle): TopTrial[] {
  return study.history
    .filter((t) => t && t.state === 'finished')
    .map((t) => ({ number: t.number, value: objectiveOf(study.config.metric, t.value!), config: t.config, objective: t.value! }))
    .sort((a, b) => a.objective - b.objective || a.number - b.number)
    .map(({ objective: _o, ...t }) => t);
}

/** The best trial that ran its whole forest (a pruned trial's value was measured on fewer trees). */
function bestTrial(study: StudyHandle): TopTrial | null {
  const pruned = new Set(study.history.filter((t) => t?.pruned).map((t) => t.number));
  return topTrials(study).find((t) => !pruned.has(t.number)) ?? null;
}
