// `grove models export`: the ONNX file of a registered model version, stored as an extra
// artifact of the version's run and named by a tag on the version.
import { GroveError } from '../errors.js';
import { ONNX_ARTIFACT_TAG } from '../constants.js';
import { forestModelFromChunks } from '../forest/load-model.js';
import type { ArtifactInfo, ModelVersion, Store } from '../track/store.js';
import { parseModelUri, resolveModelChunks } from '../track/model-uri.js';
import type { OnnxExportOptions } from './onnx.js';

export interface RegisteredOnnx {
  version: ModelVersion;
  artifact: ArtifactInfo;
  notes: string[];
}

/**
 * Exports the version `uri` points at (models:/<name>/<version|latest> or models:/<name>@<alias>)
 * and logs `<artifact>.onnx` (`<artifact>-double.onnx` for precision 'double') next to its model artifact. The artifact is written first and the
 * tag second: both are idempotent, so running the command again completes a run that was cut.
 */
export async function exportRegisteredOnnx(store: Store, uri: string, options: OnnxExportOptions = {}): Promise<RegisteredOnnx> {
  const parsed = parseModelUri(uri);
  if (parsed.kind !== 'model-version' && parsed.kind !== 'model-alias' && parsed.kind !== 'model-latest') {
    throw new GroveError('INVALID_URI', `${uri}: grove models export takes a registered model, models:/<name>/<version>, models:/<name>/latest or models:/<name>@<alias>`, { uri });
  }
  // streamed: a registered model may be larger than one Buffer
  const { chunks, size, source } = await resolveModelChunks(store, parsed);
  const model = await forestModelFromChunks(chunks, { backend: 'js', source: uri, totalBytes: size });
  const exported = model.onnxExport(options);
  const name = `${source.artifact}${options.precision === 'double' ? '-double' : ''}.onnx`;
  const artifact = await store.logArtifact(source.runId!, name, exported.bytes);
  const version = await store.updateModelVersion(source.modelName!, source.version!, { tags: { [ONNX_ARTIFACT_TAG]: name } });
  return { version, artifact, notes: exported.notes };
}
