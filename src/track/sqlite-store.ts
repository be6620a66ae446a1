/**
 * The Store on one SQLite file (better-sqlite3). WAL lets readers and one writer work at once;
 * every write is a BEGIN IMMEDIATE transaction (it takes the write lock up front, so the busy
 * timeout applies instead of a deadlock between two deferred readers turning writers); a busy
 * timeout of 10 s queues writers from other processes. A process killed mid-transaction leaves
 * the last committed state: SQLite rolls the WAL back on the next open.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import Database from 'better-sqlite3';
import { GroveError } from '../errors.js';
import { parseFilter, parseOrderBy, type FilterClause } from './filter.js';
import { currentHost, whoAmI } from './liveness.js';
import { migrate } from './migrations.js';
import { compileSearch, splitsOnPrimary, type SearchPart, type Sql } from './sqlite-search.js';
import { SqliteTrialQueue } from './sqlite-trial-queue.js';
import type { TrialQueue } from './trial-queue.js';
import type {
  AliasChange,
  ByteChunks,
  ArtifactInfo,
  CreateModelVersionOptions,
  CreateRunOptions,
  EndRunOptions,
  Experiment,
  ExperimentSummary,
  LogBatch,
  Metric,
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
import { RUN_COLUMNS, RUN_SELECT, VERSION_SELECT, nanToNull, nullToNan, runInfoFromRow, type HistoryRow, type RunRow, type VersionRow } from './store-rows.js';
import { RUN_STATUSES } from './store.js';
import { collectChunks } from './byte-chunks.js';
import {
  checkAlias,
  checkArtifactName,
  checkExperimentName,
  checkKey,
  checkModelName,
  checkNewRunId,
  checkRunId,
  checkTags,
  checkVersion,
  newRunId,
  normalizeBatch,
} from './validate.js';

export const BUSY_TIMEOUT_MS = 10_000;
export const DEFAULT_SEARCH_LIMIT = 100;
// rows per multi-row INSERT: 5 placeholders each, well under SQLite's 32766 limit
const METRIC_CHUNK = 200;
// below this many runs in a search's scope, sorting them directly is cheaper than an index walk
const SMALL_SCOPE = 5000;


/** Maps better-sqlite3 errors to GroveErrors; GroveErrors pass through. */
export function mapDriverError(err: unknown, location: string): Error {
  if (err instanceof GroveError) return err;
  const code = (err as { code?: unknown }).code;
  const message = err instanceof Error ? err.message : String(err);
  if (typeof code !== 'string' || !code.startsWith('SQLITE_')) {
    return err instanceof Error ? err : new Error(message);
  }
  const ctx = { location, sqliteCode: code };
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
    return new GroveError('STORE_ERROR', `${location} is busy: another process held the write lock longer than the busy timeout`, ctx, { cause: err });
  }
  if (code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
    return new GroveError('CONFLICT', `already exists (${message})`, ctx, { cause: err });
  }
  if (code === 'SQLITE_CONSTRAINT_FOREIGNKEY') {
    return new GroveError('NOT_FOUND', `refers to something that does not exist (${message})`, ctx, { cause: err });
  }
  if (code === 'SQLITE_NOTADB' || code.startsWith('SQLITE_CORRUPT')) {
    return new GroveError('STORE_ERROR', `${location} is not a valid grove database (${message})`, ctx, { cause: err });
  }
  if (code.startsWith('SQLITE_READONLY') || code.startsWith('SQLITE_CANTOPEN') || code.startsWith('SQLITE_IOERR') || code === 'SQLITE_FULL') {
    return new GroveError('STORE_ERROR', `${location}: cannot write the database (${message})`, ctx, { cause: err });
  }
  return new GroveError('STORE_ERROR', `${location}: ${message}`, ctx, { cause: err });
}

export interface SqliteOpenOptions {
  /** create the file when missing (default true); false gives NOT_FOUND */
  create?: boolean;
  /** how long a writer waits for another process's write lock (default BUSY_TIMEOUT_MS) */
  busyTimeoutMs?: number;
  /** searches confined to at most this many runs sort them directly (default 5000; a planner knob, tests set 0) */
  smallScopeRuns?: number;
}

export class SqliteStore implements Store {
  readonly location: string;
  readonly path: string;
  private readonly db: Database.Database;
  private readonly who = whoAmI();
  private readonly statements = new Map<string, Database.Statement>();
  private readonly smallScopeRuns: number;
  readonly trials: TrialQueue;

  private constructor(path: string, db: Database.Database, smallScopeRuns: number) {
    this.path = path;
    this.smallScopeRuns = smallScopeRuns;
    this.location = path === ':memory:' ? 'sqlite::memory:' : `sqlite:${path}`;
    this.db = db;
    this.trials = new SqliteTrialQueue(db, (fn) => this.write(fn), (fn) => this.read(fn));
  }

  /** Opens (and if needed creates and migrates) the store at `path`. */
  static open(path: string, options: SqliteOpenOptions = {}): SqliteStore {
    const file = path === ':memory:' ? path : resolve(path);
    const location = `sqlite:${file}`;
    if (options.create === false && file !== ':memory:' && !existsSync(file)) {
      throw new GroveError('NOT_FOUND', `no tracking store at ${file} (it is created by the first tracked run; pass --tracking-uri or set GROVE_TRACKING_URI to use another)`, { location });
    }
    let db: Database.Database | undefined;
    try {
      db = new Database(file, { timeout: options.busyTimeoutMs ?? BUSY_TIMEOUT_MS });
      setWal(db);
      db.pragma('foreign_keys = ON');
      // WAL + NORMAL survives a killed process; only a power loss can drop the last commits
      db.pragma('synchronous = NORMAL');
      // checkpoints fsync: doing them every 10,000 pages (40 MB of WAL) rather than 1,000
      // doubles small-batch logging throughput; the WAL is folded back on close
      db.pragma('wal_autocheckpoint = 10000');
      // reads through a memory map skip a syscall per page: a cold search over 100k runs is ~30% faster
      db.pragma('mmap_size = 268435456');
      migrate(db, location);
      return new SqliteStore(file, db, options.smallScopeRuns ?? SMALL_SCOPE);
    } catch (err) {
      db?.close();
      throw mapDriverError(err, location);
    }
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }

  private stmt(sql: string): Database.Statement {
    let s = this.statements.get(sql);
    if (!s) {
      s = this.db.prepare(sql);
      this.statements.set(sql, s);
    }
    return s;
  }

  /** One write transaction, BEGIN IMMEDIATE, with driver errors mapped. */
  private write<T>(fn: () => T): T {
    try {
      return this.db.transaction(fn).immediate();
    } catch (err) {
      throw mapDriverError(err, this.location);
    }
  }

  private read<T>(fn: () => T): T {
    try {
      // a deferred transaction gives the reads one consistent snapshot
      return this.db.transaction(fn).deferred();
    } catch (err) {
      throw mapDriverError(err, this.location);
    }
  }

  // ---------- experiments ----------

  private experimentFromRow(row: { experiment_id: number; name: string; created_time: number }): Experiment {
    const tags = this.stmt('SELECT key, value FROM experiment_tags WHERE experiment_id = ?').all(row.experiment_id) as { key: string; value: string }[];
    return { experimentId: String(row.experiment_id), name: row.name, createdTime: row.created_time, tags: Object.fromEntries(tags.map((t) => [t.key, t.value])) };
  }

  private experimentRow(experimentId: string): { experiment_id: number; name: string; created_time: number } {
    const id = /^\d+$/.test(String(experimentId)) ? Number(experimentId) : -1;
    const row = this.stmt('SELECT * FROM experiments WHERE experiment_id = ?').get(id) as { experiment_id: number; name: string; created_time: number } | undefined;
    if (!row) throw new GroveError('NOT_FOUND', `no experiment with id ${JSON.stringify(experimentId)}`, { experimentId });
    return row;
  }

  async createExperiment(name: string, tags: Tags = {}): Promise<Experiment> {
    checkExperimentName(name);
    const tagList = checkTags(tags);
    return this.write(() => {
      if (this.stmt('SELECT 1 FROM experiments WHERE name = ?').get(name)) {
        throw new GroveError('CONFLICT', `experiment ${JSON.stringify(name)} already exists`, { name });
      }
      const info = this.stmt('INSERT INTO experiments (name, created_time) VALUES (?, ?)').run(name, Date.now());
      for (const [k, v] of tagList) this.stmt('INSERT INTO experiment_tags (experiment_id, key, value) VALUES (?, ?, ?)').run(info.lastInsertRowid, k, v);
      return this.experimentFromRow(this.experimentRow(String(info.lastInsertRowid)));
    });
  }

  async getOrCreateExperiment(name: string): Promise<Experiment> {
    checkExperimentName(name);
    const existing = this.read(() => this.stmt('SELECT * FROM experiments WHERE name = ?').get(name)) as { experiment_id: number; name: string; created_time: number } | undefined;
    if (existing) return this.read(() => this.experimentFromRow(existing));
    return this.write(() => {
      this.stmt('INSERT OR IGNORE INTO experiments (name, created_time) VALUES (?, ?)').run(name, Date.now());
      return this.experimentFromRow(this.stmt('SELECT * FROM experiments WHERE name = ?').get(name) as { experiment_id: number; name: string; created_time: number });
    });
  }

  async getExperiment(experimentId: string): Promise<Experiment> {
    return this.read(() => this.experimentFromRow(this.experimentRow(experimentId)));
  }

  async getExperimentByName(name: string): Promise<Experiment | null> {
    return this.read(() => {
      const row = this.stmt('SELECT * FROM experiments WHERE name = ?').get(name) as { experiment_id: number; name: string; created_time: number } | undefined;
      return row ? this.experimentFromRow(row) : null;
    });
  }

  async listExperiments(): Promise<ExperimentSummary[]> {
    return this.read(() => {
      const rows = this.stmt(
        `SELECT e.*, (SELECT COUNT(*) FROM runs r WHERE r.experiment_id = e.experiment_id) AS run_count
         FROM experiments e ORDER BY e.experiment_id`,
      ).all() as { experiment_id: number; name: string; created_time: number; run_count: number }[];
      return rows.map((r) => ({ ...this.experimentFromRow(r), runCount: r.run_count }));
    });
  }

  async setExperimentTag(experimentId: string, key: string, value: string): Promise<void> {
    const [[k, v]] = checkTags({ [key]: value });
    this.write(() => {
      const row = this.experimentRow(experimentId);
      this.stmt('INSERT INTO experiment_tags (experiment_id, key, value) VALUES (?, ?, ?) ON CONFLICT (experiment_id, key) DO UPDATE SET value = excluded.value').run(row.experiment_id, k, v);
    });
  }

  // ---------- runs ----------

  private runRow(runId: string): RunRow {
    checkRunId(runId);
    const row = this.stmt(`${RUN_SELECT} WHERE r.run_id = ?`).get(runId) as RunRow | undefined;
    if (!row) throw new GroveError('NOT_FOUND', `no run with id ${runId}`, { runId });
    return row;
  }

  private requireRun(runId: string): void {
    checkRunId(runId);
    if (!this.stmt('SELECT 1 FROM runs WHERE run_id = ?').get(runId)) throw new GroveError('NOT_FOUND', `no run with id ${runId}`, { runId });
  }

  /** Loads params, latest metrics and tags of many runs with three queries. */
  private withData(rows: RunRow[]): Run[] {
    const runs = new Map<string, Run>();
    for (const row of rows) runs.set(row.run_id, { ...runInfoFromRow(row), params: {}, metrics: {}, tags: {} });
    if (rows.length === 0) return [];
    const ids = JSON.stringify(rows.map((r) => r.run_id));
    const sel = (table: string) => this.stmt(`SELECT run_id, key, value FROM ${table} WHERE run_id IN (SELECT value FROM json_each(?)) ORDER BY key`).all(ids) as { run_id: string; key: string; value: unknown }[];
    for (const p of sel('params')) runs.get(p.run_id)!.params[p.key] = p.value as string;
    for (const m of sel('latest_metrics')) runs.get(m.run_id)!.metrics[m.key] = nullToNan(m.value as number | null);
    for (const t of sel('tags')) runs.get(t.run_id)!.tags[t.key] = t.value as string;
    return [...runs.values()];
  }

  async createRun(options: CreateRunOptions): Promise<Run> {
    const runId = options.runId === undefined ? newRunId() : checkNewRunId(options.runId);
    const tags = checkTags(options.tags);
    const runName = options.runName ?? `run-${runId.slice(0, 8)}`;
    if (typeof runName !== 'string' || runName.length === 0 || runName.length > 250) {
      throw new GroveError('INVALID_OPTION', `run name must be 1-250 characters (got ${JSON.stringify(runName)})`, { runName });
    }
    const now = Date.now();
    const startTime = options.startTime ?? now;
    return this.write(() => {
      const exp = this.experimentRow(options.experimentId);
      const parent = options.parentRunId ?? null;
      if (parent !== null) this.requireRun(parent);
      this.stmt(
        `INSERT INTO runs (run_id, experiment_id, run_name, status, start_time, end_time, parent_run_id, data_fingerprint, host, pid, heartbeat_time)
         VALUES (?, ?, ?, 'RUNNING', ?, NULL, ?, ?, ?, ?, ?)`,
      ).run(runId, exp.experiment_id, runName, startTime, parent, options.dataFingerprint ?? null, options.host ?? currentHost(), options.pid ?? process.pid, now);
      for (const [k, v] of tags) this.stmt('INSERT INTO tags (run_id, key, value) VALUES (?, ?, ?)').run(runId, k, v);
      return this.withData([this.runRow(runId)])[0];
    });
  }

  async getRun(runId: string): Promise<Run> {
    return this.read(() => this.withData([this.runRow(runId)])[0]);
  }

  async endRun(runId: string, status: TerminalStatus, options: EndRunOptions = {}): Promise<RunInfo> {
    if (!RUN_STATUSES.includes(status) || (status as RunStatus) === 'RUNNING') {
      throw new GroveError('INVALID_OPTION', `a run ends as FINISHED, FAILED or KILLED (got ${JSON.stringify(status)})`, { status });
    }
    const tags = checkTags(options.tags);
    return this.write(() => {
      const row = this.runRow(runId);
      if (row.status !== 'RUNNING') {
        throw new GroveError('CONFLICT', `run ${runId} has already ended (${row.status})`, { runId, status: row.status });
      }
      this.stmt('UPDATE runs SET status = ?, end_time = ? WHERE run_id = ?').run(status, options.endTime ?? Date.now(), runId);
      this.upsertTags(runId, tags);
      return runInfoFromRow(this.runRow(runId));
    });
  }

  async resumeRun(runId: string): Promise<RunInfo> {
    return this.write(() => {
      const row = this.runRow(runId);
      if (row.status === 'RUNNING') throw new GroveError('CONFLICT', `run ${runId} is still RUNNING; only an ended run can be resumed`, { runId });
      this.stmt("UPDATE runs SET status = 'RUNNING', end_time = NULL, host = ?, pid = ?, heartbeat_time = ? WHERE run_id = ?").run(currentHost(), process.pid, Date.now(), runId);
      return runInfoFromRow(this.runRow(runId));
    });
  }

  async heartbeat(runId: string): Promise<void> {
    this.write(() => {
      this.requireRun(runId);
      this.stmt('UPDATE runs SET heartbeat_time = ? WHERE run_id = ?').run(Date.now(), runId);
    });
  }

  private upsertTags(runId: string, tags: [string, string][]): void {
    const s = this.stmt('INSERT INTO tags (run_id, key, value) VALUES (?, ?, ?) ON CONFLICT (run_id, key) DO UPDATE SET value = excluded.value');
    for (const [k, v] of tags) s.run(runId, k, v);
  }

  async logBatch(runId: string, batch: LogBatch): Promise<void> {
    const b = normalizeBatch(batch);
    this.write(() => {
      this.requireRun(runId);
      const insertParam = this.stmt('INSERT INTO params (run_id, key, value) VALUES (?, ?, ?) ON CONFLICT (run_id, key) DO NOTHING');
      for (const [k, v] of b.params) {
        if (insertParam.run(runId, k, v).changes === 0) {
          const old = (this.stmt('SELECT value FROM params WHERE run_id = ? AND key = ?').get(runId, k) as { value: string }).value;
          if (old !== v) {
            throw new GroveError('CONFLICT', `param ${k} of run ${runId} is already ${JSON.stringify(old)}; params are write-once (got ${JSON.stringify(v)})`, { runId, key: k });
          }
        }
      }
      this.insertMetrics(runId, b.metrics);
      this.upsertTags(runId, b.tags);
    });
  }

  /** History rows in multi-row INSERTs, and one latest_metrics upsert per key (not per row). */
  private insertMetrics(runId: string, metrics: Metric[]): void {
    if (metrics.length === 0) return;
    const args: unknown[] = [];
    const flush = (rows: number) => {
      if (rows === 0) return;
      this.stmt(`INSERT INTO metrics (run_id, key, value, step, timestamp) VALUES ${'(?, ?, ?, ?, ?), '.repeat(rows - 1)}(?, ?, ?, ?, ?)`).run(args);
      args.length = 0;
    };
    const latest = new Map<string, Metric>();
    let rows = 0;
    for (const m of metrics) {
      args.push(runId, m.key, nanToNull(m.value), m.step, m.timestamp);
      if (++rows === METRIC_CHUNK) {
        flush(rows);
        rows = 0;
      }
      const cur = latest.get(m.key);
      if (!cur || m.step > cur.step || (m.step === cur.step && m.timestamp >= cur.timestamp)) latest.set(m.key, m);
    }
    flush(rows);
    const upsertLatest = this.stmt(
      `INSERT INTO latest_metrics (run_id, key, value, step, timestamp) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (run_id, key) DO UPDATE SET value = excluded.value, step = excluded.step, timestamp = excluded.timestamp
       WHERE excluded.step > latest_metrics.step
          OR (excluded.step = latest_metrics.step AND excluded.timestamp >= latest_metrics.timestamp)`,
    );
    for (const m of latest.values()) upsertLatest.run(runId, m.key, nanToNull(m.value), m.step, m.timestamp);
  }

  async logParam(runId: string, key: string, value: ParamValue): Promise<void> {
    return this.logBatch(runId, { params: { [key]: value } });
  }

  async logMetric(runId: string, key: string, value: number, step?: number, timestamp?: number): Promise<void> {
    return this.logBatch(runId, { metrics: [{ key, value, step, timestamp }] });
  }

  async setTag(runId: string, key: string, value: string): Promise<void> {
    return this.logBatch(runId, { tags: { [key]: value } });
  }

  async deleteTag(runId: string, key: string): Promise<void> {
    checkKey('tag', key);
    this.write(() => {
      this.requireRun(runId);
      if (this.stmt('DELETE FROM tags WHERE run_id = ? AND key = ?').run(runId, key).changes === 0) {
        throw new GroveError('NOT_FOUND', `run ${runId} has no tag ${JSON.stringify(key)}`, { runId, key });
      }
    });
  }

  async getMetricHistory(runId: string, key: string): Promise<Metric[]> {
    return this.read(() => {
      this.requireRun(runId);
      const rows = this.stmt('SELECT key, value, step, timestamp FROM metrics WHERE run_id = ? AND key = ? ORDER BY step, timestamp, rowid').all(runId, key) as {
        key: string;
        value: number | null;
        step: number;
        timestamp: number;
      }[];
      return rows.map((r) => ({ key: r.key, value: nullToNan(r.value), step: r.step, timestamp: r.timestamp }));
    });
  }

  async getLatestMetrics(runIds: string[]): Promise<Record<string, Metric[]>> {
    return this.read(() => {
      const out: Record<string, Metric[]> = {};
      if (runIds.length === 0) return out;
      const rows = this.stmt('SELECT run_id, key, value, step, timestamp FROM latest_metrics WHERE run_id IN (SELECT value FROM json_each(?)) ORDER BY run_id, key').all(
        JSON.stringify(runIds),
      ) as { run_id: string; key: string; value: number | null; step: number; timestamp: number }[];
      for (const r of rows) (out[r.run_id] ??= []).push({ key: r.key, value: nullToNan(r.value), step: r.step, timestamp: r.timestamp });
      return out;
    });
  }

  async searchRuns(options: SearchRunsOptions = {}): Promise<Run[]> {
    const clauses = parseFilter(options.filter ?? '');
    const orderBy = (options.orderBy ?? []).map((o) => parseOrderBy(o));
    const limit = options.limit ?? DEFAULT_SEARCH_LIMIT;
    if (!(limit === Infinity || (Number.isSafeInteger(limit) && limit >= 0))) {
      throw new GroveError('INVALID_OPTION', `limit must be a non-negative integer (got ${String(limit)})`, { option: 'limit', value: limit });
    }
    const offset = options.offset ?? 0;
    if (!Number.isSafeInteger(offset) || offset < 0) {
      throw new GroveError('INVALID_OPTION', `offset must be a non-negative integer (got ${String(offset)})`, { option: 'offset', value: offset });
    }
    const scope: Sql[] = [];
    if (options.experimentIds) {
      scope.push({ text: 'r.experiment_id IN (SELECT value FROM json_each(?))', params: [JSON.stringify(options.experimentIds.map((id) => (/^\d+$/.test(id) ? Number(id) : -1)))] });
    }
    if (options.parentRunId !== undefined) scope.push({ text: 'r.parent_run_id = ?', params: [options.parentRunId] });
    const page = (part: SearchPart, lim: number, off: number): RunRow[] => {
      const q = compileSearch(RUN_COLUMNS, clauses, orderBy, scope, part);
      if (!q || lim === 0) return [];
      return this.db.prepare(`${q.text}\nLIMIT ? OFFSET ?`).all(...q.params, lim === Infinity ? -1 : lim, off) as RunRow[];
    };
    return this.read(() => {
      if (!splitsOnPrimary(orderBy) || this.smallScope(scope, clauses)) return this.withData(page('all', limit, offset));
      // runs with a value for the first order key, then those without (they sort last)
      const first = page('with-primary', limit, offset);
      if (first.length === limit) return this.withData(first);
      let skip = 0;
      if (offset > 0 && first.length === 0) {
        const q = compileSearch('COUNT(*) AS n', clauses, orderBy, scope, 'with-primary')!;
        skip = Math.max(0, offset - (this.db.prepare(q.text.replace(/\nORDER BY [^\n]*$/, '')).get(...q.params) as { n: number }).n);
      }
      return this.withData([...first, ...page('without-primary', limit - first.length, skip)]);
    });
  }

  /**
   * Whether the search is confined to few runs (one study's trials, one small experiment, one
   * run id): then reading those runs and sorting them beats walking the whole ordered index.
   */
  private smallScope(scope: Sql[], clauses: FilterClause[]): boolean {
    if (this.smallScopeRuns <= 0) return false;
    if (clauses.some((c) => c.kind === 'attribute' && (c.key === 'run_id' || c.key === 'parent_run_id') && c.op === '=')) return true;
    if (scope.length === 0) return false;
    const where = scope.map((s) => s.text).join(' AND ');
    const { n } = this.db.prepare(`SELECT COUNT(*) AS n FROM (SELECT 1 FROM runs r WHERE ${where} LIMIT ${this.smallScopeRuns + 1})`).get(...scope.flatMap((s) => s.params)) as { n: number };
    return n <= this.smallScopeRuns;
  }

  // ---------- artifacts ----------

  private artifactRow(runId: string, name: string): ArtifactInfo {
    this.requireRun(runId);
    const row = this.stmt('SELECT run_id, name, size, sha256, created_time FROM artifacts WHERE run_id = ? AND name = ?').get(runId, name) as
      | { run_id: string; name: string; size: number; sha256: string; created_time: number }
      | undefined;
    if (!row) throw new GroveError('NOT_FOUND', `run ${runId} has no artifact ${JSON.stringify(name)}`, { runId, artifact: name });
    return { runId: row.run_id, name: row.name, size: row.size, sha256: row.sha256, createdTime: row.created_time };
  }

  async logArtifact(runId: string, name: string, given: Uint8Array | ByteChunks): Promise<ArtifactInfo> {
    checkArtifactName(name);
    const bytes = await collectChunks(given, `artifact ${name}`);
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    return this.write(() => {
      this.requireRun(runId);
      const old = this.stmt('SELECT sha256 FROM artifacts WHERE run_id = ? AND name = ?').get(runId, name) as { sha256: string } | undefined;
      if (old) {
        if (old.sha256 !== sha256) throw new GroveError('CONFLICT', `run ${runId} already has a different artifact ${JSON.stringify(name)}; artifacts are immutable`, { runId, artifact: name });
        return this.artifactRow(runId, name);
      }
      this.stmt('INSERT INTO blobs (sha256, size, bytes) VALUES (?, ?, ?) ON CONFLICT (sha256) DO NOTHING').run(sha256, bytes.length, Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
      this.stmt('INSERT INTO artifacts (run_id, name, sha256, size, created_time) VALUES (?, ?, ?, ?, ?)').run(runId, name, sha256, bytes.length, Date.now());
      return this.artifactRow(runId, name);
    });
  }

  async listArtifacts(runId: string): Promise<ArtifactInfo[]> {
    return this.read(() => {
      this.requireRun(runId);
      const rows = this.stmt('SELECT run_id, name, size, sha256, created_time FROM artifacts WHERE run_id = ? ORDER BY name').all(runId) as {
        run_id: string;
        name: string;
        size: number;
        sha256: string;
        created_time: number;
      }[];
      return rows.map((r) => ({ runId: r.run_id, name: r.name, size: r.size, sha256: r.sha256, createdTime: r.created_time }));
    });
  }

  async getArtifactInfo(runId: string, name: string): Promise<ArtifactInfo> {
    return this.read(() => this.artifactRow(runId, name));
  }

  async readArtifact(runId: string, name: string): Promise<Buffer> {
    return this.read(() => {
      const info = this.artifactRow(runId, name);
      return this.blob(info.sha256, `artifact ${name} of run ${runId}`);
    });
  }

  private blob(sha256: string, what: string): Buffer {
    const row = this.stmt('SELECT bytes FROM blobs WHERE sha256 = ?').get(sha256) as { bytes: Buffer } | undefined;
    if (!row) throw new GroveError('STORE_ERROR', `${what}: its bytes (sha256 ${sha256}) are missing from ${this.location}`, { sha256 });
    // content addressing makes corruption detectable: check before handing bytes to a loader
    const actual = createHash('sha256').update(row.bytes).digest('hex');
    if (actual !== sha256) throw new GroveError('STORE_ERROR', `${what}: stored bytes do not match their sha256 (${this.location} is damaged)`, { sha256 });
    return row.bytes;
  }

  // ---------- model registry ----------

  private modelRow(name: string): { name: string; description: string; created_time: number; updated_time: number } {
    checkModelName(name);
    const row = this.stmt('SELECT * FROM registered_models WHERE name = ?').get(name) as { name: string; description: string; created_time: number; updated_time: number } | undefined;
    if (!row) throw new GroveError('NOT_FOUND', `no registered model named ${JSON.stringify(name)}`, { model: name });
    return row;
  }

  private modelFromRow(row: { name: string; description: string; created_time: number; updated_time: number }): RegisteredModel {
    const tags = this.stmt('SELECT key, value FROM registered_model_tags WHERE name = ? ORDER BY key').all(row.name) as { key: string; value: string }[];
    const latest = this.stmt('SELECT MAX(version) AS v FROM model_versions WHERE name = ?').get(row.name) as { v: number | null };
    const aliases = this.stmt('SELECT alias, version FROM model_aliases WHERE name = ? ORDER BY alias').all(row.name) as { alias: string; version: number }[];
    return {
      name: row.name,
      description: row.description,
      tags: Object.fromEntries(tags.map((t) => [t.key, t.value])),
      createdTime: row.created_time,
      updatedTime: row.updated_time,
      latestVersion: latest.v,
      aliases: Object.fromEntries(aliases.map((a) => [a.alias, a.version])),
    };
  }

  private versionFromRow(row: VersionRow): ModelVersion {
    const tags = this.stmt('SELECT key, value FROM model_version_tags WHERE name = ? AND version = ? ORDER BY key').all(row.name, row.version) as { key: string; value: string }[];
    const aliases = this.stmt('SELECT alias FROM model_aliases WHERE name = ? AND version = ? ORDER BY alias').all(row.name, row.version) as { alias: string }[];
    return {
      name: row.name,
      version: row.version,
      runId: row.run_id,
      artifact: row.artifact,
      sha256: row.sha256,
      size: row.size,
      createdTime: row.created_time,
      description: row.description,
      tags: Object.fromEntries(tags.map((t) => [t.key, t.value])),
      aliases: aliases.map((a) => a.alias),
    };
  }

  private versionRow(name: string, version: number): VersionRow {
    this.modelRow(name);
    checkVersion(version);
    const row = this.stmt(`${VERSION_SELECT} WHERE v.name = ? AND v.version = ?`).get(name, version) as VersionRow | undefined;
    if (!row) throw new GroveError('NOT_FOUND', `model ${name} has no version ${version}`, { model: name, version });
    return row;
  }

  async createRegisteredModel(name: string, options: { description?: string; tags?: Tags } = {}): Promise<RegisteredModel> {
    checkModelName(name);
    const tags = checkTags(options.tags);
    return this.write(() => {
      if (this.stmt('SELECT 1 FROM registered_models WHERE name = ?').get(name)) {
        throw new GroveError('CONFLICT', `registered model ${JSON.stringify(name)} already exists`, { model: name });
      }
      const now = Date.now();
      this.stmt('INSERT INTO registered_models (name, description, created_time, updated_time) VALUES (?, ?, ?, ?)').run(name, options.description ?? '', now, now);
      for (const [k, v] of tags) this.stmt('INSERT INTO registered_model_tags (name, key, value) VALUES (?, ?, ?)').run(name, k, v);
      return this.modelFromRow(this.modelRow(name));
    });
  }

  async getRegisteredModel(name: string): Promise<RegisteredModel> {
    return this.read(() => this.modelFromRow(this.modelRow(name)));
  }

  async listRegisteredModels(): Promise<RegisteredModel[]> {
    return this.read(() => {
      const rows = this.stmt('SELECT * FROM registered_models ORDER BY name').all() as { name: string; description: string; created_time: number; updated_time: number }[];
      return rows.map((r) => this.modelFromRow(r));
    });
  }

  async createModelVersion(name: string, options: CreateModelVersionOptions): Promise<ModelVersion> {
    checkModelName(name);
    const artifact = checkArtifactName(options.artifact ?? 'model');
    const tags = checkTags(options.tags);
    return this.write(() => {
      this.artifactRow(options.runId, artifact);
      const now = Date.now();
      this.stmt('INSERT INTO registered_models (name, description, created_time, updated_time) VALUES (?, \'\', ?, ?) ON CONFLICT (name) DO NOTHING').run(name, now, now);
      // the write lock is held, so MAX + 1 cannot race with another writer
      const { v } = this.stmt('SELECT COALESCE(MAX(version), 0) + 1 AS v FROM model_versions WHERE name = ?').get(name) as { v: number };
      this.stmt('INSERT INTO model_versions (name, version, run_id, artifact, created_time, description) VALUES (?, ?, ?, ?, ?, ?)').run(name, v, options.runId, artifact, now, options.description ?? '');
      for (const [k, val] of tags) this.stmt('INSERT INTO model_version_tags (name, version, key, value) VALUES (?, ?, ?, ?)').run(name, v, k, val);
      this.stmt('UPDATE registered_models SET updated_time = ? WHERE name = ?').run(now, name);
      return this.versionFromRow(this.versionRow(name, v));
    });
  }

  async getModelVersion(name: string, version: number): Promise<ModelVersion> {
    return this.read(() => this.versionFromRow(this.versionRow(name, version)));
  }

  async getLatestModelVersion(name: string): Promise<ModelVersion> {
    return this.read(() => {
      const model = this.modelFromRow(this.modelRow(name));
      if (model.latestVersion === null) throw new GroveError('NOT_FOUND', `model ${name} has no versions yet`, { model: name });
      return this.versionFromRow(this.versionRow(name, model.latestVersion));
    });
  }

  async listModelVersions(name: string): Promise<ModelVersion[]> {
    return this.read(() => {
      this.modelRow(name);
      const rows = this.stmt(`${VERSION_SELECT} WHERE v.name = ? ORDER BY v.version`).all(name) as VersionRow[];
      return rows.map((r) => this.versionFromRow(r));
    });
  }

  async updateModelVersion(name: string, version: number, update: { description?: string; tags?: Tags }): Promise<ModelVersion> {
    const tags = checkTags(update.tags);
    if (update.description !== undefined && typeof update.description !== 'string') {
      throw new GroveError('INVALID_OPTION', 'description must be a string', { model: name, version });
    }
    return this.write(() => {
      this.versionRow(name, version);
      if (update.description !== undefined) this.stmt('UPDATE model_versions SET description = ? WHERE name = ? AND version = ?').run(update.description, name, version);
      const s = this.stmt('INSERT INTO model_version_tags (name, version, key, value) VALUES (?, ?, ?, ?) ON CONFLICT (name, version, key) DO UPDATE SET value = excluded.value');
      for (const [k, v] of tags) s.run(name, version, k, v);
      this.stmt('UPDATE registered_models SET updated_time = ? WHERE name = ?').run(Date.now(), name);
      return this.versionFromRow(this.versionRow(name, version));
    });
  }

  private recordAlias(name: string, alias: string, oldVersion: number | null, newVersion: number | null): AliasChange {
    const time = Date.now();
    this.stmt('INSERT INTO alias_history (name, alias, old_version, new_version, time, who) VALUES (?, ?, ?, ?, ?, ?)').run(name, alias, oldVersion, newVersion, time, this.who);
    this.stmt('UPDATE registered_models SET updated_time = ? WHERE name = ?').run(time, name);
    return { name, alias, oldVersion, newVersion, time, who: this.who };
  }

  async setAlias(name: string, alias: string, version: number): Promise<AliasChange> {
    checkAlias(alias);
    return this.write(() => {
      this.versionRow(name, version);
      const old = this.stmt('SELECT version FROM model_aliases WHERE name = ? AND alias = ?').get(name, alias) as { version: number } | undefined;
      if (old?.version === version) {
        // nothing moves, so nothing is recorded
        return { name, alias, oldVersion: version, newVersion: version, time: Date.now(), who: this.who };
      }
      this.stmt('INSERT INTO model_aliases (name, alias, version) VALUES (?, ?, ?) ON CONFLICT (name, alias) DO UPDATE SET version = excluded.version').run(name, alias, version);
      return this.recordAlias(name, alias, old?.version ?? null, version);
    });
  }

  async deleteAlias(name: string, alias: string): Promise<AliasChange> {
    return this.write(() => {
      this.modelRow(name);
      const old = this.stmt('SELECT version FROM model_aliases WHERE name = ? AND alias = ?').get(name, alias) as { version: number } | undefined;
      if (!old) throw new GroveError('NOT_FOUND', `model ${name} has no alias ${JSON.stringify(alias)}`, { model: name, alias });
      this.stmt('DELETE FROM model_aliases WHERE name = ? AND alias = ?').run(name, alias);
      return this.recordAlias(name, alias, old.version, null);
    });
  }

  async getModelVersionByAlias(name: string, alias: string): Promise<ModelVersion> {
    return this.read(() => {
      this.modelRow(name);
      const row = this.stmt('SELECT version FROM model_aliases WHERE name = ? AND alias = ?').get(name, alias) as { version: number } | undefined;
      if (!row) {
        const known = (this.stmt('SELECT alias FROM model_aliases WHERE name = ? ORDER BY alias').all(name) as { alias: string }[]).map((a) => a.alias);
        throw new GroveError('NOT_FOUND', `model ${name} has no alias ${JSON.stringify(alias)} (aliases: ${known.length ? known.join(', ') : 'none'})`, { model: name, alias });
      }
      return this.versionFromRow(this.versionRow(name, row.version));
    });
  }

  async getAliasHistory(name: string, alias?: string): Promise<AliasChange[]> {
    return this.read(() => {
      this.modelRow(name);
      const rows = (
        alias === undefined
          ? this.stmt('SELECT * FROM alias_history WHERE name = ? ORDER BY id').all(name)
          : this.stmt('SELECT * FROM alias_history WHERE name = ? AND alias = ? ORDER BY id').all(name, alias)
      ) as HistoryRow[];
      return rows.map((r) => ({ name: r.name, alias: r.alias, oldVersion: r.old_version, newVersion: r.new_version, time: r.time, who: r.who }));
    });
  }

  async *readArtifactChunks(runId: string, name: string): AsyncIterable<Buffer> {
    yield await this.readArtifact(runId, name);
  }

  async *readModelVersionChunks(name: string, version: number): AsyncIterable<Buffer> {
    yield await this.readModelVersionBytes(name, version);
  }

  async readModelVersionBytes(name: string, version: number): Promise<Buffer> {
    return this.read(() => {
      const v = this.versionRow(name, version);
      return this.blob(v.sha256, `model ${name} version ${version}`);
    });
  }
}

/** Switching to WAL needs a moment of exclusive access; a brand-new file opened by several processes may see BUSY. */
function setWal(db: Database.Database): void {
  const deadline = Date.now() + BUSY_TIMEOUT_MS;
  for (;;) {
    try {
      db.pragma('journal_mode = WAL');
      return;
    } catch (err) {
      const code = (err as { code?: string }).code ?? '';
      if (!code.startsWith('SQLITE_BUSY') || Date.now() > deadline) throw err;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
    }
  }
}
