// Model URIs: where a model's bytes come from. runs:/ and models:/ resolve inside the store
// (the bytes live there), so the same URI works on every machine that reaches the store.
import { fileURLToPath } from 'node:url';
import { GroveError } from '../errors.js';
import { openModelFile } from '../forest/model-io.js';
import { MAX_ONE_BUFFER_BYTES } from './byte-chunks.js';
import type { ModelVersion, Store } from './store.js';
import { RUN_ID, checkAlias, checkArtifactName, checkModelName } from './validate.js';

export type ModelUri =
  | { kind: 'run'; uri: string; runId: string; artifact: string }
  | { kind: 'model-version'; uri: string; name: string; version: number }
  | { kind: 'model-alias'; uri: string; name: string; alias: string }
  | { kind: 'model-latest'; uri: string; name: string }
  | { kind: 'file'; uri: string; path: string };

export const ACCEPTED_URI_FORMS = [
  'runs:/<run-id>/<artifact>   e.g. runs:/0c7f.../model',
  'models:/<name>/<version>    e.g. models:/diabetes/3',
  'models:/<name>@<alias>      e.g. models:/diabetes@production',
  'models:/<name>/latest',
  '<path to a model file>      e.g. ./model.grove',
] as const;

function invalid(uri: string, why: string): GroveError {
  return new GroveError('INVALID_URI', `invalid model URI ${JSON.stringify(uri)}: ${why}. Accepted forms:\n  ${ACCEPTED_URI_FORMS.join('\n  ')}`, { uri });
}

/** Re-throws a name check failure as INVALID_URI, keeping its reason. */
function checked<T>(uri: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof GroveError) throw invalid(uri, err.message);
    throw err;
  }
}

export function parseModelUri(uri: string): ModelUri {
  if (typeof uri !== 'string' || uri.trim() === '') throw invalid(String(uri), 'it is empty');
  if (/^runs:/i.test(uri)) {
    const m = /^runs:\/([^/]*)\/(.+)$/.exec(uri);
    if (!m) throw invalid(uri, 'a runs:/ URI needs a run id and an artifact name');
    if (!RUN_ID.test(m[1])) throw invalid(uri, `run id ${JSON.stringify(m[1])} is not 32 hex digits`);
    const artifact = checked(uri, () => checkArtifactName(m[2]));
    return { kind: 'run', uri, runId: m[1], artifact };
  }
  if (/^models:/i.test(uri)) {
    const alias = /^models:\/([^/@]+)@(.+)$/.exec(uri);
    if (alias) {
      const name = checked(uri, () => checkModelName(alias[1]));
      return { kind: 'model-alias', uri, name, alias: checked(uri, () => checkAlias(alias[2])) };
    }
    const m = /^models:\/([^/@]+)\/([^/]+)$/.exec(uri);
    if (!m) throw invalid(uri, 'a models:/ URI needs a name and a version, an @alias or /latest');
    const name = checked(uri, () => checkModelName(m[1]));
    if (m[2].toLowerCase() === 'latest') return { kind: 'model-latest', uri, name };
    if (!/^[1-9]\d{0,14}$/.test(m[2])) throw invalid(uri, `version ${JSON.stringify(m[2])} is not a positive integer or "latest"`);
    return { kind: 'model-version', uri, name, version: Number(m[2]) };
  }
  if (/^file:\/\//i.test(uri)) return { kind: 'file', uri, path: fileURLToPath(uri) };
  // any other scheme (s3://, http://, mlflow's runs:// typos...) is not a file name either;
  // one-letter schemes are Windows drive letters
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]+):/.exec(uri);
  if (scheme) throw invalid(uri, `the scheme "${scheme[1]}:" is not supported`);
  return { kind: 'file', uri, path: uri };
}

/** Whether resolving this URI needs the tracking store (a plain file does not). */
export function uriNeedsStore(uri: ModelUri): boolean {
  return uri.kind !== 'file';
}

export interface ModelSource {
  uri: string;
  kind: ModelUri['kind'];
  runId: string | null;
  artifact: string | null;
  modelName: string | null;
  version: number | null;
  alias: string | null;
  path: string | null;
  sha256: string | null;
}

export interface ResolvedModel {
  bytes: Buffer;
  source: ModelSource;
}

/** A model's bytes as a stream of chunks, with their total size (for the loader's checks). */
export interface ResolvedModelChunks {
  chunks: AsyncIterable<Buffer>;
  size: number;
  source: ModelSource;
}

/** The registered version a models:/ URI names (by number, alias or latest). */
export function modelVersionOf(store: Store, uri: Extract<ModelUri, { kind: 'model-version' | 'model-alias' | 'model-latest' }>): Promise<ModelVersion> {
  if (uri.kind === 'model-version') return store.getModelVersion(uri.name, uri.version);
  if (uri.kind === 'model-alias') return store.getModelVersionByAlias(uri.name, uri.alias);
  return store.getLatestModelVersion(uri.name);
}

/**
 * Reads the model bytes a URI points at into one Buffer: for small models and tools that want
 * the bytes; loading a model goes through resolveModelChunks (any size).
 */
export async function resolveModelBytes(store: Store | null, uriOrParsed: string | ModelUri): Promise<ResolvedModel> {
  const { chunks, size, source } = await resolveModelChunks(store, uriOrParsed);
  if (size > MAX_ONE_BUFFER_BYTES) {
    throw new GroveError(
      'INVALID_OPTION',
      `${source.uri}: the model is ${size} bytes, more than one Buffer should hold (${MAX_ONE_BUFFER_BYTES}); read it as chunks (resolveModelChunks, RandomForestRegressor.fromChunks)`,
      { uri: source.uri },
    );
  }
  const parts: Buffer[] = [];
  for await (const chunk of chunks) parts.push(chunk);
  return { bytes: Buffer.concat(parts), source };
}

/**
 * Opens the model bytes a URI points at as a stream of chunks. `store` may be null for plain
 * file paths; a store URI without a store is an error. The store must stay open while the
 * chunks are read.
 */
export async function resolveModelChunks(store: Store | null, uriOrParsed: string | ModelUri): Promise<ResolvedModelChunks> {
  const uri = typeof uriOrParsed === 'string' ? parseModelUri(uriOrParsed) : uriOrParsed;
  const base: ModelSource = { uri: uri.uri, kind: uri.kind, runId: null, artifact: null, modelName: null, version: null, alias: null, path: null, sha256: null };
  if (uri.kind === 'file') {
    const { chunks, size } = await openModelFile(uri.path);
    return { chunks, size, source: { ...base, path: uri.path } };
  }
  if (!store) throw new GroveError('INVALID_OPTION', `${uri.uri} needs a tracking store (--tracking-uri or GROVE_TRACKING_URI)`, { uri: uri.uri });
  if (uri.kind === 'run') {
    const info = await store.getArtifactInfo(uri.runId, uri.artifact);
    const chunks = store.readArtifactChunks(uri.runId, uri.artifact);
    return { chunks, size: info.size, source: { ...base, runId: uri.runId, artifact: uri.artifact, sha256: info.sha256 } };
  }
  const version = await modelVersionOf(store, uri);
  const chunks = store.readModelVersionChunks(version.name, version.version);
  return {
    chunks,
    size: version.size,
    source: {
      ...base,
      runId: version.runId,
      artifact: version.artifact,
      modelName: version.name,
      version: version.version,
      alias: uri.kind === 'model-alias' ? uri.alias : null,
      sha256: version.sha256,
    },
  };
}
