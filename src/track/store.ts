/**
 * The tracking store: experiments, runs (params, metrics, tags, artifacts) and the model
 * registry (registered models, versions, aliases). Every backend (SQLite now, PostgreSQL for
 * scale-out) implements this interface and passes test/track/conformance.ts.
 *
 * Methods are ID-based and asynchronous, so a network-backed store fits the same shape.
 *
 * Who writes what
 * - A run is written by the process that created it (its host and pid are recorded): params,
 *   metrics, artifacts, heartbeats and the final status. Other processes may add tags and
 *   `grove runs gc` may end a run whose process is gone.
 * - The registry (versions, aliases, descriptions) may be written by anyone; alias moves are
 *   atomic and every move is appended to the alias history with who made it.
 *
 * What is immutable
 * - Params are write-once per run: logging a key again with the same value is a no-op, with a
 *   different value it is a CONFLICT.
 * - Metrics are append-only (the full history is kept; the latest value is the one with the
 *   highest step, then the latest timestamp).
 * - Artifacts are immutable: re-logging a name with the same bytes is a no-op, different bytes
 *   is a CONFLICT. Bytes are content-addressed (sha256) and shared between runs.
 * - A run's status moves from RUNNING to exactly one terminal status (FINISHED, FAILED, KILLED).
 * - Model versions are immutable except their description and tags.
 * - Tags (run, experiment, model, version) may be overwritten.
 *
 * Concurrency
 * - Many processes (and worker threads, each with its own Store) may use one store at the same
 *   time. Every write method is one transaction: it is applied completely or not at all.
 * - A Store object itself is not meant to be shared across threads; open one per thread.
 * - On PostgreSQL many machines share one store; a Store holds a small connection pool, so its
 *   methods may also be called concurrently from one process.
 *
 * Errors are GroveErrors: NOT_FOUND (unknown id or name), CONFLICT (immutability or uniqueness),
 * INVALID_OPTION (bad name, key or value), INVALID_URI, STORE_ERROR (the database failed).
 */

import type { TrialQueue } from './trial-queue.js';

export type RunStatus = 'RUNNING' | 'FINISHED' | 'FAILED' | 'KILLED';
export const RUN_STATUSES: readonly RunStatus[] = ['RUNNING', 'FINISHED', 'FAILED', 'KILLED'];
export type TerminalStatus = Exclude<RunStatus, 'RUNNING'>;

export type Tags = Record<string, string>;
/** Bytes in order, as a stream: how artifacts larger than one Buffer (models of several GB) move. */
export type ByteChunks = AsyncIterable<Uint8Array> | Iterable<Uint8Array>;
/** Params are stored as strings; numbers and booleans are converted, null becomes "None". */
export type ParamValue = string | number | boolean | null;

export interface Experiment {
  experimentId: string;
  name: string;
  tags: Tags;
  /** ms since the epoch */
  createdTime: number;
}

export interface ExperimentSummary extends Experiment {
  runCount: number;
}

/** The fixed attributes of a run, without its data. */
export interface RunInfo {
  /** 32 lowercase hex digits */
  runId: string;
  experimentId: string;
  experimentName: string;
  runName: string;
  status: RunStatus;
  startTime: number;
  endTime: number | null;
  /** the study run of a trial; null for top-level runs */
  parentRunId: string | null;
  dataFingerprint: string | null;
  /** the host and pid of the process that created the run (for dead-process detection) */
  host: string;
  pid: number;
  /** ms since the epoch by the store's clock: the database server's on PostgreSQL, so machines with skewed clocks agree on staleness */
  heartbeatTime: number;
}

/** A run with its params, latest metric values and tags. */
export interface Run extends RunInfo {
  params: Record<string, string>;
  metrics: Record<string, number>;
  tags: Tags;
}

export interface Metric {
  key: string;
  /** NaN is kept as NaN */
  value: number;
  step: number;
  timestamp: number;
}

export interface MetricInput {
  key: string;
  value: number;
  /** default 0 */
  step?: number;
  /** ms since the epoch; default now */
  timestamp?: number;
}

export interface LogBatch {
  params?: Record<string, ParamValue>;
  metrics?: MetricInput[];
  tags?: Tags;
}

export interface CreateRunOptions {
  experimentId: string;
  /** default: a new id. A caller that must name the run before it exists passes one (a claimed
   *  trial: its queue row holds the id first, so a reaper can end the run whenever it appears);
   *  32 lowercase hex digits, CONFLICT if taken */
  runId?: string;
  /** default: a generated name */
  runName?: string;
  parentRunId?: string | null;
  tags?: Tags;
  dataFingerprint?: string | null;
  /** ms since the epoch; default now */
  startTime?: number;
  /** default: this process (os.hostname(), process.pid) */
  host?: string;
  pid?: number;
}

export interface EndRunOptions {
  /** ms since the epoch; default now */
  endTime?: number;
  /** tags set in the same transaction (e.g. the failure reason) */
  tags?: Tags;
}

export interface SearchRunsOptions {
  /** restrict to these experiments; default all */
  experimentIds?: string[];
  /** a filter expression (see filter.ts), e.g. "metrics.rmse < 50 and status = 'FINISHED'" */
  filter?: string;
  /** e.g. ["metrics.rmse ASC", "start_time DESC"]; default newest first */
  orderBy?: string[];
  /** only the children of this run */
  parentRunId?: string;
  /** default 100; Infinity for all */
  limit?: number;
  offset?: number;
}

export interface ArtifactInfo {
  runId: string;
  name: string;
  size: number;
  sha256: string;
  createdTime: number;
}

export interface RegisteredModel {
  name: string;
  description: string;
  tags: Tags;
  createdTime: number;
  updatedTime: number;
  latestVersion: number | null;
  /** alias -> version */
  aliases: Record<string, number>;
}

export interface ModelVersion {
  name: string;
  version: number;
  runId: string;
  /** the artifact name inside the source run */
  artifact: string;
  sha256: string;
  size: number;
  createdTime: number;
  description: string;
  tags: Tags;
  /** aliases pointing at this version */
  aliases: string[];
}

export interface CreateModelVersionOptions {
  runId: string;
  /** default "model" */
  artifact?: string;
  description?: string;
  tags?: Tags;
}

export interface AliasChange {
  name: string;
  alias: string;
  /** null when the alias was created */
  oldVersion: number | null;
  /** null when the alias was deleted */
  newVersion: number | null;
  time: number;
  /** user@host pid N */
  who: string;
}

export interface Store {
  /** a description of where the store lives, for messages ("sqlite:/path/grove.db") */
  readonly location: string;
  /** the trial queues of shared studies (trial-queue.ts) */
  readonly trials: TrialQueue;
  close(): Promise<void>;

  // experiments
  /** CONFLICT if the name exists */
  createExperiment(name: string, tags?: Tags): Promise<Experiment>;
  /** returns the experiment, creating it if needed; safe when many processes race */
  getOrCreateExperiment(name: string): Promise<Experiment>;
  getExperiment(experimentId: string): Promise<Experiment>;
  /** null when there is no experiment of that name */
  getExperimentByName(name: string): Promise<Experiment | null>;
  listExperiments(): Promise<ExperimentSummary[]>;
  setExperimentTag(experimentId: string, key: string, value: string): Promise<void>;

  // runs
  createRun(options: CreateRunOptions): Promise<Run>;
  getRun(runId: string): Promise<Run>;
  /** RUNNING -> a terminal status; CONFLICT if the run has already ended */
  endRun(runId: string, status: TerminalStatus, options?: EndRunOptions): Promise<RunInfo>;
  /**
   * An ended run goes back to RUNNING, owned by this process (new host, pid and heartbeat; end
   * time cleared), as MLflow resumes a run by id. Only work that continues the same run calls
   * it: `grove tune --resume` reopens its study run. CONFLICT if the run is RUNNING.
   */
  resumeRun(runId: string): Promise<RunInfo>;
  /** records that the creating process is still alive */
  heartbeat(runId: string): Promise<void>;
  /** the one write primitive for run data: all of it in one transaction, or nothing */
  logBatch(runId: string, batch: LogBatch): Promise<void>;
  logParam(runId: string, key: string, value: ParamValue): Promise<void>;
  logMetric(runId: string, key: string, value: number, step?: number, timestamp?: number): Promise<void>;
  setTag(runId: string, key: string, value: string): Promise<void>;
  deleteTag(runId: string, key: string): Promise<void>;
  /** every logged value of one metric, by step then timestamp */
  getMetricHistory(runId: string, key: string): Promise<Metric[]>;
  /** each run's latest entry of every metric (value, step, timestamp), by key, for many runs in one
   *  read (what MLflow's API reports with a run); runs without metrics and unknown ids are left out */
  getLatestMetrics(runIds: string[]): Promise<Record<string, Metric[]>>;
  /** newest first unless orderBy says otherwise */
  searchRuns(options?: SearchRunsOptions): Promise<Run[]>;

  // artifacts
  /** bytes as one buffer or as chunks in order (hashed while they stream) */
  logArtifact(runId: string, name: string, bytes: Uint8Array | ByteChunks): Promise<ArtifactInfo>;
  listArtifacts(runId: string): Promise<ArtifactInfo[]>;
  getArtifactInfo(runId: string, name: string): Promise<ArtifactInfo>;
  readArtifact(runId: string, name: string): Promise<Buffer>;
  /** the artifact's bytes in order, checked as they stream; what large models are read through */
  readArtifactChunks(runId: string, name: string): AsyncIterable<Buffer>;

  // model registry
  /** CONFLICT if it exists */
  createRegisteredModel(name: string, options?: { description?: string; tags?: Tags }): Promise<RegisteredModel>;
  getRegisteredModel(name: string): Promise<RegisteredModel>;
  listRegisteredModels(): Promise<RegisteredModel[]>;
  /** the next version number of `name` (created if missing), atomically */
  createModelVersion(name: string, options: CreateModelVersionOptions): Promise<ModelVersion>;
  getModelVersion(name: string, version: number): Promise<ModelVersion>;
  /** NOT_FOUND if the model has no versions */
  getLatestModelVersion(name: string): Promise<ModelVersion>;
  listModelVersions(name: string): Promise<ModelVersion[]>;
  updateModelVersion(name: string, version: number, update: { description?: string; tags?: Tags }): Promise<ModelVersion>;
  /** points alias at version (moving it if it exists) and records the move */
  setAlias(name: string, alias: string, version: number): Promise<AliasChange>;
  /** NOT_FOUND if the alias does not exist */
  deleteAlias(name: string, alias: string): Promise<AliasChange>;
  getModelVersionByAlias(name: string, alias: string): Promise<ModelVersion>;
  /** oldest first */
  getAliasHistory(name: string, alias?: string): Promise<AliasChange[]>;
  /** the bytes of a version's artifact */
  readModelVersionBytes(name: string, version: number): Promise<Buffer>;
  /** the bytes of a version's artifact in order, checked as they stream */
  readModelVersionChunks(name: string, version: number): AsyncIterable<Buffer>;
}
