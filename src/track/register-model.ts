// Registers a model that is not a run's artifact yet (a file, e.g. the one a failed registration
// kept) or another URI's model under a name: `grove models register`.
import { basename } from 'node:path';
import { modelVersionOf, resolveModelChunks, parseModelUri } from './model-uri.js';
import type { ModelVersion, Store } from './store.js';
import { checkAlias, checkExperimentName, checkModelName } from './validate.js';

export interface RegisterModelOptions {
  name: string;
  alias?: string;
  description?: string;
  /** the experiment of the run created for a model file (default "Default") */
  experiment?: string;
}

/**
 * A file becomes the artifact of a new FINISHED run (tagged with the file it came from), then a
 * version; runs:/ and models:/ URIs register the artifact they point at, without copying bytes.
 */
export async function registerModel(store: Store, source: string, o: RegisterModelOptions): Promise<ModelVersion> {
  checkModelName(o.name);
  if (o.alias !== undefined) checkAlias(o.alias);
  const experimentName = o.experiment ?? 'Default';
  checkExperimentName(experimentName);
  const uri = parseModelUri(source);
  let runId: string;
  let artifact = 'model';
  if (uri.kind === 'file') {
    // streamed: a kept model may be several GB
    const { chunks } = await resolveModelChunks(null, uri);
    const experiment = await store.getOrCreateExperiment(experimentName);
    const run = await store.createRun({ experimentId: experiment.experimentId, runName: `register-${basename(uri.path)}`.slice(0, 250), tags: { 'grove.source_file': uri.path } });
    try {
      await store.logArtifact(run.runId, 'model', chunks);
      await store.endRun(run.runId, 'FINISHED');
    } catch (err) {
      await store.endRun(run.runId, 'FAILED', { tags: { 'grove.failure': (err as Error).message.slice(0, 500) } }).catch(() => undefined);
      throw err;
    }
    runId = run.runId;
  } else if (uri.kind === 'run') {
    await store.getArtifactInfo(uri.runId, uri.artifact);
    runId = uri.runId;
    artifact = uri.artifact;
  } else {
    const v = await modelVersionOf(store, uri);
    runId = v.runId;
    artifact = v.artifact;
  }
  const version = await store.createModelVersion(o.name, { runId, artifact, description: o.description });
  if (o.alias === undefined) return version;
  await store.setAlias(o.name, o.alias, version.version);
  return store.getModelVersion(o.name, version.version);
}
