// A whole tuning job: prepare the data, create, resume or join a study, work on its trials,
// then (exactly one of the processes on the study) refit the best configuration, register it
// and decide on promotion. Every step is recorded in the store. `grove tune` and
// `grove worker` are the same path: a study created by one is worked on by all.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { STUDY_QUEUE_DEFAULTS } from '../constants.js';
import { GroveError } from '../errors.js';
import type { Run, Store } from '../track/store.js';
import { planBudget } from './budget.js';
import { refitBest, type RefitOutcome } from './refit.js';
import type { Config } from './space.js';
import { checkStudyConfig, resolveStudyConfig, studyConfigFromParams, type StudyConfig, type StudyDraft } from './study-config.js';
import { prepareStudyData, type StudyData } from './study-data.js';
import { TAG_FAILURE, TAG_STUDY_STATE, TAG_TYPE, TYPE_REFIT } from './study-record.js';
import { ensureQueue } from './queue-import.js';
import { DEFAULT_STUDY_SOURCE, countFinished, createStudy, findStudy, stillCreating, type StudyHandle } from './study-run.js';
import { optimize, type Execution, type OptimizeHooks, type OptimizeOutcome } from './study-loop.js';
import { objectiveOf, TASK_METRICS, taskOfMetric } from './trial-task.js';
import { heartbeatInterval, WorkerSession } from './worker-session.js';
import { checkShippable, shippedDataName } from './ship-data.js';

/** A new study's metric and space default by its task, known once its data is prepared. */
export type TuneRequest = { kind: 'new'; config: StudyDraft } | { kind: 'resume'; ref: string; trials?: number };

export interface WorkerRequest {
  /** the study's name or run id */
  ref: string;
  /** this machine's copy of the data, when its path differs from the recorded one */
  data?: string;
  /** seconds to wait for the study to appear */
  waitS?: number;
}

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
  /** the final refit, whoever did it; null when the study stopped early or another worker is still refitting */
  refit: RefitOutcome | null;
  /** whether this process did the refit */
  refitHere: boolean;
  /** this process in the study's worker list */
  workerId: string;
  notes: string[];
}

type Hooks = OptimizeHooks & { onPhase?: (message: string) => void };

/**
 * `openStore(create)` is called once: after a new study's options and data have been checked
 * (so bad input writes nothing, not even an empty store), or first of all to find a study to
 * resume (which must exist). The store is closed at the end.
 */
export async function runTune(openStore: (create: boolean) => Promise<Store>, request: TuneRequest, execution: Execution = {}, hooks: Hooks = {}): Promise<TuneResult> {
  let store: Store | null = null;
  try {
    if (request.kind === 'new') {
      checkStudyConfig(request.config);
      if (request.config.shipData) checkShippable(request.config.data);
      planBudget({ ...execution, rows: 0, trials: request.config.trials }); // checks the flags
      const data = await prepareStudyData(request.config);
      const config = resolveStudyConfig(request.config, data.task);
      store = await openStore(true);
      const study = await createStudy(store, config, data.fingerprint, execution.source);
      return await workOn(store, study, data, execution, hooks, true);
    }
    store = await openStore(false);
    const { study, data } = await resume(store, request.ref, request.trials);
    return await workOn(store, study, data, execution, hooks, true);
  } finally {
    await store?.close();
  }
}

/** `grove worker`: joins a study (waiting for it to appear), works on it, and leaves. */
export async function runWorker(openStore: () => Promise<Store>, request: WorkerRequest, execution: Execution = {}, hooks: Hooks = {}): Promise<TuneResult> {
  planBudget({ ...execution, rows: 0, trials: 1 }); // checks the flags
  const store = await openStore();
  try {
    const run = await waitForStudy(store, request.ref, request.waitS ?? STUDY_QUEUE_DEFAULTS.waitS, hooks);
    const config = studyConfigFromParams(run.params, request.ref);
    const data = await studyData(store, run, config, request.data, '--data');
    config.task ??= data.task;
    const study: StudyHandle = { run, config, history: [], runIds: new Map() };
    const queue = await ensureQueue(store, study);
    if (queue.state === 'failed' || queue.state === 'killed') throw stoppedStudy(config.studyName, run.runId, queue.state);
    return await workOn(store, study, data, { source: 'grove worker', ...execution }, hooks, false);
  } finally {
    await store.close();
  }
}

async function waitForStudy(store: Store, ref: string, waitS: number, hooks: Hooks): Promise<Run> {
  const deadline = Date.now() + waitS * 1000;
  let said = false;
  for (;;) {
    let run: Run | null = null;
    try {
      run = await findStudy(store, ref);
    } catch (err) {
      if (!(err instanceof GroveError && err.code === 'NOT_FOUND')) throw err;
    }
    if (run && !stillCreating(run)) return run;
    if (Date.now() >= deadline) {
      throw new GroveError(
        'NOT_FOUND',
        run
          ? `study "${ref}" in ${store.location} was still being created after ${waitS} s (--wait); did its grove tune stop?`
          : `no study named "${ref}" appeared in ${store.location} within ${waitS} s (--wait)`,
        { option: '--study' },
      );
    }
    if (!said) hooks.onPhase?.(`waiting up to ${waitS} s for study "${ref}" to appear in ${store.location}`);
    said = true;
    await new Promise((r) => setTimeout(r, STUDY_QUEUE_DEFAULTS.pollMs));
  }
}

async function workOn(store: Store, study: StudyHandle, data: StudyData, execution: Execution, hooks: Hooks, waitForRefit: boolean): Promise<TuneResult> {
  const c = study.config;
  const studyId = study.run.runId;
  const queue = (await store.trials.getStudy(studyId))!;
  const session = new WorkerSession(store, studyId, heartbeatInterval(queue.graceMs));
  await session.join();
  const result = (outcome: OptimizeOutcome, refit: RefitOutcome | null, refitHere: boolean): TuneResult => {
    const top = topTrials(study);
    return { study, outcome, top, best: bestTrial(study) ?? top[0] ?? null, refit, refitHere, workerId: session.identity.workerId, notes: data.notes };
  };
  try {
    hooks.onPhase?.(
      `study ${c.studyName} (${studyId}): ${data.task}${data.task === 'classification' ? ` (${data.classes.length} classes)` : ''}, ${queue.target} trials, ${c.sampler} sampler, ${c.scheduler} scheduler, ${c.evaluation === 'cv' ? `${c.folds}-fold CV` : c.evaluation === 'val' ? `validation split ${c.valFraction}` : 'out-of-bag'} ${c.metric}; worker ${session.identity.workerId}`,
    );
    // the study stops (killed or failed) only when nobody else is working on it
    const alone = async () => {
      const status = await store.trials.status(studyId, true);
      return !status.workers.some((w) => w.workerId !== session.identity.workerId && w.state === 'active' && w.heartbeatAgeMs < queue.graceMs);
    };
    let outcome: OptimizeOutcome;
    try {
      outcome = await optimize(store, study, data, session, execution, hooks);
    } catch (err) {
      if (await alone().catch(() => false)) {
        const message = err instanceof Error ? err.message : String(err);
        await store.trials.setStudyState(studyId, 'failed').catch(() => undefined);
        await store.endRun(studyId, 'FAILED', { tags: { [TAG_STUDY_STATE]: 'failed', [TAG_FAILURE]: message.slice(0, 1000) } }).catch(() => undefined);
      }
      throw err;
    }
    if (outcome.interrupted) {
      if (await alone()) {
        await store.trials.setStudyState(studyId, 'killed');
        await store.endRun(studyId, 'KILLED', { tags: { [TAG_STUDY_STATE]: 'killed' } }).catch(ignoreConflict);
      }
      return result(outcome, null, false);
    }
    for (;;) {
      const state = (await store.trials.getStudy(studyId))!.state;
      if (state === 'finished') return result(outcome, await recordedRefit(store, study), false);
      if (state === 'failed' || state === 'killed') throw stoppedStudy(c.studyName, studyId, state);
      if (await store.trials.claimRefit(studyId, session.identity)) return result(outcome, await refitHere(store, study, data, outcome, hooks, execution.source ?? DEFAULT_STUDY_SOURCE), true);
      if (!waitForRefit) return result(outcome, null, false);
      await new Promise((r) => setTimeout(r, STUDY_QUEUE_DEFAULTS.pollMs));
    }
  } finally {
    await session.leave();
  }
}

async function refitHere(store: Store, study: StudyHandle, data: StudyData, outcome: OptimizeOutcome, hooks: Hooks, source: string): Promise<RefitOutcome> {
  const c = study.config;
  const studyId = study.run.runId;
  try {
    const top = topTrials(study);
    if (top.length === 0) throw new GroveError('INTERNAL', 'no trial finished, so there is nothing to refit');
    const best = bestTrial(study) ?? top[0];
    hooks.onPhase?.(`refitting trial ${best.number}'s configuration on all ${data.refit.x.rows} non-test rows`);
    const refit = await refitBest(store, study, data, best.config, outcome.budget.cpus, best.value, source);
    const testKeys = TASK_METRICS[data.task];
    const logged: [string, number | null | undefined][] = [
      [`best_val_${c.metric}`, best.value],
      ...testKeys.map((k): [string, number | null | undefined] => [`test_${k}`, refit.test[k]]),
      [`baseline_test_${testKeys[0]}`, refit.baseline[testKeys[0]]],
      ...(c.metric !== testKeys[0] ? [[`baseline_test_${c.metric}`, refit.baseline[c.metric]] as [string, number | null | undefined]] : []),
      ['trials_finished', countFinished(study.history)],
    ];
    await store.logBatch(studyId, {
      metrics: logged.filter((e): e is [string, number] => typeof e[1] === 'number' && Number.isFinite(e[1])).map(([key, value]) => ({ key, value })),
      tags: {
        [TAG_STUDY_STATE]: 'finished',
        'grove.model_uri': refit.modelUri,
        'grove.promoted': String(refit.promotion.promoted),
        [TAG_PROMOTION]: JSON.stringify(refit.promotion),
      },
    });
    await store.endRun(studyId, 'FINISHED').catch(ignoreConflict);
    await store.trials.setStudyState(studyId, 'finished');
    return refit;
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    await store.endRun(studyId, 'FAILED', { tags: { [TAG_STUDY_STATE]: 'failed', [TAG_FAILURE]: message.slice(0, 1000) } }).catch(() => undefined);
    await store.trials.setStudyState(studyId, 'failed').catch(() => undefined);
    throw err;
  }
}

const TAG_PROMOTION = 'grove.promotion';

/** The refit another worker did, read back from the store. */
async function recordedRefit(store: Store, study: StudyHandle): Promise<RefitOutcome | null> {
  const run = await store.getRun(study.run.runId);
  const children = await store.searchRuns({ parentRunId: run.runId, filter: `tags.\`${TAG_TYPE}\` = '${TYPE_REFIT}' and status = 'FINISHED'`, limit: 1 });
  const r = children[0];
  if (!r || !run.tags['grove.model_uri']) return null;
  const m = r.metrics;
  const keys = TASK_METRICS[taskOfMetric(study.config.metric)];
  const pick = (prefix: string) => Object.fromEntries(keys.map((k) => [k, m[`${prefix}${k}`] ?? null]));
  return {
    runId: r.runId,
    modelUri: run.tags['grove.model_uri'],
    version: Number(run.tags['grove.model_uri'].split('/').pop()),
    test: pick('test_'),
    baseline: pick('baseline_test_'),
    promotion: JSON.parse(run.tags[TAG_PROMOTION] ?? '{"promoted":false,"reason":"unknown","championVersion":null,"championTest":null}'),
  };
}

function stoppedStudy(name: string, studyId: string, state: 'failed' | 'killed'): GroveError {
  const next = state === 'killed' ? `it was stopped; continue it with: grove tune --resume ${name}` : `see why with: grove runs show ${studyId}`;
  return new GroveError('CONFLICT', `study "${name}" is ${state}: ${next}`, { option: '--study' });
}

function ignoreConflict(err: unknown): void {
  // another worker ended the study run first
  if (!(err instanceof GroveError && err.code === 'CONFLICT')) throw err;
}

async function resume(store: Store, ref: string, trials?: number) {
  const run = await findStudy(store, ref);
  const config = studyConfigFromParams(run.params, ref);
  if (trials !== undefined) config.trials = trials;
  checkStudyConfig(config);
  const data = await studyData(store, run, config, undefined, '--resume');
  config.task ??= data.task;
  const study: StudyHandle = { run, config, history: [], runIds: new Map() };
  const queue = await ensureQueue(store, study, trials);
  const children = await store.searchRuns({ parentRunId: run.runId, filter: `tags.\`${TAG_TYPE}\` = '${TYPE_REFIT}' and status = 'FINISHED'`, limit: 1 });
  const status = await store.trials.status(run.runId, true);
  if (children.length > 0 && status.counts.finished >= queue.target) {
    throw new GroveError('CONFLICT', `study "${config.studyName}" is already complete (${status.counts.finished} trials and a refit); pass --trials N to extend it`, { option: '--resume' });
  }
  if (run.status !== 'RUNNING') study.run = { ...study.run, ...(await store.resumeRun(run.runId)) };
  await store.setTag(run.runId, TAG_STUDY_STATE, 'running');
  if (queue.state !== 'running') await store.trials.setStudyState(run.runId, 'running');
  return { study, data };
}

/**
 * The study's data on this machine: `override` (a local path), else the bytes shipped inside the
 * store, else the recorded source. Refused when its fingerprint is not the study's.
 */
async function studyData(store: Store, run: Run, config: StudyConfig, override: string | undefined, option: string): Promise<StudyData> {
  const shipped = override === undefined ? shippedDataName(run) : null;
  let dir: string | null = null;
  let source = override ?? config.data;
  try {
    if (shipped) {
      dir = mkdtempSync(join(tmpdir(), 'grove-data-'));
      source = join(dir, basename(shipped));
      writeFileSync(source, await store.readArtifact(run.runId, shipped));
    }
    const data = await prepareStudyData({ ...config, data: source });
    if (run.dataFingerprint && run.dataFingerprint !== data.fingerprint) {
      throw new GroveError(
        'INVALID_DATA',
        `refusing to work on study "${config.studyName}": its data ${config.data} has fingerprint ${run.dataFingerprint.slice(0, 16)}…, but ${shipped ? `the copy shipped in the store` : source} here has ${data.fingerprint.slice(0, 16)}… (point ${option === '--data' ? '--data' : 'the study'} at the same data)`,
        { option, expected: run.dataFingerprint, found: data.fingerprint },
      );
    }
    return data;
  } finally {
    if (dir) rmSync(dir, { recursive: true, force: true });
  }
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
