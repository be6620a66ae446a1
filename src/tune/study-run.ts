// A study in the tracking store: creating its parent run (config, trial queue, shipped data),
// finding it again by name or id, and the handle the study loop, the refit and the report share.
import { GroveError } from '../errors.js';
import type { Run, Store } from '../track/store.js';
import { systemTags } from '../track/system-tags.js';
import type { StudyTrial } from './queue-view.js';
import { studyParams, type StudyConfig } from './study-config.js';
import { shipData } from './ship-data.js';
import { STATE_CREATING, TAG_STUDY_STATE, TAG_TYPE, TYPE_STUDY } from './study-record.js';

export interface StudyHandle {
  run: Run;
  config: StudyConfig;
  /** every trial of the study so far, by number */
  history: StudyTrial[];
  /** trial run ids by number */
  runIds: Map<number, string>;
}

/**
 * Creates the study run (a parent run holding the config), its trial queue and, with
 * --ship-data, its data. The run is tagged "creating" until all of that is written, so a worker
 * waiting for the study never joins a half-made one.
 */
/** mlflow.source.name of runs created by a study when the caller does not say. */
export const DEFAULT_STUDY_SOURCE = 'grove tune';

export async function createStudy(store: Store, config: StudyConfig, fingerprint: string, source = DEFAULT_STUDY_SOURCE): Promise<StudyHandle> {
  const experiment = await store.getOrCreateExperiment(config.experiment);
  const run = await store.createRun({
    experimentId: experiment.experimentId,
    runName: config.studyName,
    dataFingerprint: fingerprint,
    tags: { ...systemTags({ runName: config.studyName, source }), [TAG_TYPE]: TYPE_STUDY, [TAG_STUDY_STATE]: STATE_CREATING },
  });
  await store.logBatch(run.runId, { params: studyParams(config) });
  await store.trials.openStudy(run.runId, { target: config.trials, graceMs: config.graceS * 1000, maxAttempts: config.maxAttempts });
  if (config.shipData) await shipData(store, run.runId, config.data);
  await store.setTag(run.runId, TAG_STUDY_STATE, 'running');
  return { run: await store.getRun(run.runId), config, history: [], runIds: new Map() };
}

/** True while createStudy is still writing the study. */
export function stillCreating(run: Run): boolean {
  return run.tags[TAG_STUDY_STATE] === STATE_CREATING;
}

/** Finds a study by run id or name (the newest study run of that name). */
export async function findStudy(store: Store, ref: string): Promise<Run> {
  if (/^[0-9a-f]{32}$/.test(ref)) {
    const run = await store.getRun(ref);
    if (run.tags[TAG_TYPE] !== TYPE_STUDY) throw new GroveError('INVALID_OPTION', `run ${ref} is not a study`, { option: '--resume' });
    return run;
  }
  const quoted = ref.replace(/'/g, "''");
  const found = await store.searchRuns({ filter: `run_name = '${quoted}' and tags.\`${TAG_TYPE}\` = '${TYPE_STUDY}'`, limit: 1 });
  if (found.length === 0) throw new GroveError('NOT_FOUND', `no study named "${ref}" in the tracking store (grove runs list shows the studies)`, { option: '--resume' });
  return found[0];
}

export function countFinished(history: readonly StudyTrial[]): number {
  return history.filter((t) => t && t.state === 'finished').length;
}
