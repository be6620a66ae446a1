// Records one fitted model as a finished run — params, metrics, tags, the model artifact — and
// optionally registers it as a new model version behind an alias. Used by `grove train` and by
// the tuner's refit. A run is created only after its inputs were validated, and a failure in
// between ends it FAILED with the reason, so the store never holds a half-recorded run.
import { writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { GroveError } from '../errors.js';
import type { ByteChunks, ParamValue, Store, Tags } from './store.js';
import { systemTags } from './system-tags.js';
import { checkAlias, checkExperimentName, checkModelName, newRunId } from './validate.js';

export interface RecordRunOptions {
  experiment: string;
  runName?: string;
  parentRunId?: string | null;
  /** ms since the epoch when the work began (default now) */
  startTime?: number;
  dataFingerprint?: string | null;
  params: Record<string, ParamValue>;
  metrics: Record<string, number | null>;
  tags?: Tags;
  /** the command recording the run, for the mlflow.source.name tag ("grove train"); default: the
   *  script node runs, as MLflow names the Python entry point */
  source?: string;
  /**
   * The model file: bytes, or a function giving its chunks (`() => model.toChunks()`; any size,
   * never one Buffer). A function, because a failed store write reads the model a second time
   * to keep it in a file.
   */
  modelBytes: Uint8Array | (() => ByteChunks);
  /** more artifacts of the run, by name (e.g. a classifier's confusion_matrix.json), logged after the model */
  artifacts?: Record<string, Uint8Array>;
  register?: string;
  alias?: string;
}

export interface RecordedRun {
  runId: string;
  experimentId: string;
  modelUri: string | null;
  version: number | null;
}

function defaultSource(): string {
  return process.argv[1] ?? process.argv0;
}

/** Validates names before anything is written (a bad --register name must not leave a run). */
export function checkRecordOptions(o: Pick<RecordRunOptions, 'experiment' | 'register' | 'alias'>): void {
  checkExperimentName(o.experiment);
  if (o.register !== undefined) checkModelName(o.register);
  if (o.alias !== undefined) checkAlias(o.alias);
}

export async function recordRun(store: Store, o: RecordRunOptions): Promise<RecordedRun> {
  checkRecordOptions(o);
  const experiment = await store.getOrCreateExperiment(o.experiment);
  // the id is chosen here so that the default name (the store's rule) is known for mlflow.runName
  const runId = newRunId();
  const runName = o.runName ?? `run-${runId.slice(0, 8)}`;
  const run = await store.createRun({
    experimentId: experiment.experimentId,
    runId,
    runName,
    parentRunId: o.parentRunId ?? null,
    dataFingerprint: o.dataFingerprint ?? null,
    tags: { ...systemTags({ runName, parentRunId: o.parentRunId, source: o.source ?? defaultSource() }), ...o.tags },
    startTime: o.startTime,
  });
  // set once the model is safely in the store as a registered version (or needs none)
  let modelKept = false;
  let artifactLogged = false;
  try {
    const now = Date.now();
    const metrics = Object.entries(o.metrics)
      .filter((e): e is [string, number] => typeof e[1] === 'number' && Number.isFinite(e[1]))
      .map(([key, value]) => ({ key, value, step: 0, timestamp: now }));
    await store.logBatch(run.runId, { params: o.params, metrics });
    await store.logArtifact(run.runId, 'model', modelBytesOf(o));
    artifactLogged = true;
    for (const [name, bytes] of Object.entries(o.artifacts ?? {})) await store.logArtifact(run.runId, name, bytes);
    let version: number | null = null;
    if (o.register !== undefined) {
      version = (await store.createModelVersion(o.register, { runId: run.runId, artifact: 'model' })).version;
      if (o.alias !== undefined) await store.setAlias(o.register, o.alias, version);
    }
    modelKept = true;
    await store.endRun(run.runId, 'FINISHED');
    return {
      runId: run.runId,
      experimentId: experiment.experimentId,
      modelUri: version === null ? null : `models:/${o.register}/${version}`,
      version,
    };
  } catch (err) {
    await store.endRun(run.runId, 'FAILED', { tags: { 'grove.failure': (err as Error).message.slice(0, 500) } }).catch(() => undefined);
    if (modelKept) throw err;
    // the training is not lost with the store write: the model goes to a file that can be registered later
    throw await keepModel(store, run.runId, o, artifactLogged, err);
  }
}

function modelBytesOf(o: RecordRunOptions): Uint8Array | ByteChunks {
  return typeof o.modelBytes === 'function' ? o.modelBytes() : o.modelBytes;
}

/** Where a model that could not be stored is written: the SQLite file's folder, else the working directory. */
export function fallbackModelPath(store: Store, runId: string): string {
  const sqlite = /^sqlite:(.+)$/.exec(store.location);
  const folder = sqlite && sqlite[1] !== ':memory:' ? dirname(sqlite[1]) : process.cwd();
  return join(folder, `grove-model-${runId}.grove`);
}

async function keepModel(store: Store, runId: string, o: RecordRunOptions, artifactLogged: boolean, err: unknown): Promise<GroveError> {
  const reason = err instanceof Error ? err.message : String(err);
  const code = err instanceof GroveError ? err.code : 'STORE_ERROR';
  const path = fallbackModelPath(store, runId);
  const registerLater = `grove models register ${path} --name ${o.register ?? '<name>'}${o.alias ? ` --alias ${o.alias}` : ''}`;
  try {
    await writeFile(path, modelBytesOf(o), { flag: 'wx' });
  } catch (writeErr) {
    const also = artifactLogged ? ` The run keeps it as runs:/${runId}/model.` : '';
    return new GroveError(code, `${reason}. The trained model could not be written to ${path} either (${(writeErr as Error).message}).${also}`, { runId }, { cause: err });
  }
  return new GroveError(code, `${reason}. The trained model was kept in ${path}; register it later with: ${registerLater}`, { runId, modelFile: path }, { cause: err });
}
