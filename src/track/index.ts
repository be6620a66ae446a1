// The public surface of the tracking store and model registry.
export type {
  AliasChange,
  ArtifactInfo,
  CreateModelVersionOptions,
  CreateRunOptions,
  EndRunOptions,
  Experiment,
  ExperimentSummary,
  LogBatch,
  Metric,
  MetricInput,
  ModelVersion,
  ParamValue,
  RegisteredModel,
  Run,
  RunInfo,
  RunStatus,
  SearchRunsOptions,
  Store,
  Tags,
  TerminalStatus,
} from './store.js';
export { RUN_STATUSES } from './store.js';
export { SqliteStore, BUSY_TIMEOUT_MS, DEFAULT_SEARCH_LIMIT } from './sqlite-store.js';
export { PostgresStore } from './postgres-store.js';
export type { PostgresOpenOptions } from './postgres-store.js';
export { SCHEMA_VERSION } from './migrations.js';
export { parseFilter, parseOrderBy } from './filter.js';
export type { FilterClause, OrderBy } from './filter.js';
export { parseModelUri, resolveModelBytes, resolveModelChunks, uriNeedsStore, ACCEPTED_URI_FORMS } from './model-uri.js';
export type { ModelUri, ModelSource, ResolvedModel, ResolvedModelChunks } from './model-uri.js';
export { openStore, parseTrackingUri, trackingUriFrom, DEFAULT_TRACKING_URI, TRACKING_URI_ENV } from './tracking-uri.js';
export type { TrackingLocation, OpenStoreOptions } from './tracking-uri.js';
export { gcDeadRuns, startHeartbeat, runLiveness, processExists, currentHost, whoAmI, FAILURE_TAG } from './liveness.js';
export type { Liveness, CollectedRun } from './liveness.js';
export { newRunId } from './validate.js';
