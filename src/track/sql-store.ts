/**
 * The Store written once for both SQL databases: argument checks, the convenience methods on top
 * of logBatch, artifact checks, search paging and row mapping live here; a SqlBackend
 * (sqlite-store.ts, postgres-store.ts) supplies connections, transactions and the few spellings
 * that differ. Both databases hold the same schema (test/track/schema-parity.test.ts).
 *
 * Races between writers are settled the same way on both: unique keys with ON CONFLICT (params
 * write-once, artifacts, experiments by name) and, on PostgreSQL, row locks (the registered model
 * for version numbers and alias moves, the run for its status); SQLite's BEGIN IMMEDIATE locks the
 * whole database, so its lock suffixes are empty.
 */
import { createHash } from 'node:crypto';
import { GroveError } from '../errors.js';
import { MAX_ONE_BUFFER_BYTES, artifactChunkBytes, rechunk } from './byte-chunks.js';
import { parseFilter, parseOrderBy, type FilterClause } from './filter.js';
import { currentHost, whoAmI } from './liveness.js';
import { compileSearch, splitsOnPrimary, type ScopeCondition, type SearchPart } from './run-filter-sql.js';
import { SqlParams, type SqlBackend, type SqlExec } from './sql-backend.js';
import type {
  AliasChange,
  ArtifactInfo,
  ByteChunks,
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
import { RUN_STATUSES } from './store.js';
import { RUN_COLUMNS, RUN_SELECT, VERSION_SELECT, nanToNull, nullToNan, runInfoFromRow, type ExperimentRow, type HistoryRow, type ModelRow, type RunRow, type VersionRow } from './store-rows.js';
import type { TrialQueue } from './trial-queue.js';
import { checkAlias, checkArtifactName, checkExperimentName, checkKey, checkModelName, checkNewRunId, checkRunId, checkTags, checkVersion, newRunId, normalizeBatch } from './validate.js';

export const DEFAULT_SEARCH_LIMIT = 100;
// below this many runs in a search's scope, sorting them directly beats an index walk
export const SMALL_SCOPE = 5000;
// rows per multi-row INSERT: at most 5 placeholders each, far under both databases' limits
const ROWS_PER_INSERT = 200;

interface BlobRow {
  sha256: string;
  size: number;
  blob_id: number;
  chunk_count: number;
}

interface ArtifactRow {
  run_id: string;
  name: string;
  size: number;
  sha256: string;
  created_time: number;
}

/** experiment ids are decimal safe integers; anything else matches nothing */
export function experimentKey(id: string): number {
  const n = /^\d+$/.test(String(id)) ? Number(id) : -1;
  return Number.isSafeInteger(n) ? n : -1;
}

function artifactFromRow(row: ArtifactRow): ArtifactInfo {
  return { runId: row.run_id, name: row.name, size: row.size, sha256: row.sha256, createdTime: row.created_time };
}

function tagsFromRows(rows: { key: string; value: string }[]): Tags {
  return Object.fromEntries(rows.map((t) => [t.key, t.value]));
}

/** `(...), (...)` for rows of `width` values, numbered from $1 */
function valuesList(rows: number, width: number): string {
  const out: string[] = [];
  for (let r = 0; r < rows; r++) {
    const cells: string[] = [];
    for (let c = 1; c <= width; c++) cells.push(`$${r * width + c}`);
    out.push(`(${cells.join(', ')})`);
  }
  return out.join(', ');
}

/** Options both stores take. */
export interface SqlStoreOptions {
  /** searches confined to at most this many runs sort them directly (default 5000; a planner knob, tests set 0) */
  smallScopeRuns?: number;
  /** bytes per stored artifact chunk (default GROVE_ARTIFACT_CHUNK_BYTES, else 64 MiB) */
  artifactChunkBytes?: number;
}

export class SqlStore implements Store {
  readonly location: string;
  readonly trials: TrialQueue;
  protected readonly sql: SqlBackend;
  private readonly who = whoAmI();
  private readonly smallScopeRuns: number;
  /** bytes per stored artifact chunk (byte-chunks.ts) */
  readonly chunkBytes: number;

  protected constructor(backend: SqlBackend, trials: TrialQueue, options: SqlStoreOptions) {
    this.sql = backend;
    this.chunkBytes = artifactChunkBytes(options.artifactChunkBytes);
    this.location = backend.location;
    this.trials = trials;
    this.smallScopeRuns = options.smallScopeRuns ?? SMALL_SCOPE;
  }

  async close(): Promise<void> {
    await this.sql.close();
  }

  private write<T>(fn: (db: SqlExec) => Promise<T>): Promise<T> {
    return this.sql.write(fn);
  }

  private read<T>(fn: (db: SqlExec) => Promise<T>): Promise<T> {
    return this.sql.read(fn);
  }

  /** Rows inserted by multi-row VALUES statements; `tail` follows each (ON CONFLICT ...). */
  private async insertRows(db: SqlExec, table: string, columns: string[], rows: unknown[][], tail = ''): Promise<void> {
    for (let i = 0; i < rows.length; i += ROWS_PER_INSERT) {
      const part = rows.slice(i, i + ROWS_PER_INSERT);
      await db.run(`INSERT INTO ${table} (${columns.join(', ')}) VALUES ${valuesList(part.length, columns.length)} ${tail}`, part.flat());
    }
  }

  /** key/value rows set (inserted or overwritten); keys are distinct, they come from an object */
  private async upsertTags(db: SqlExec, table: string, idColumns: string[], ids: unknown[], pairs: [string, string][]): Promise<void> {
    // sorted keys: two writers lock the rows in the same order (no deadlock on PostgreSQL)
    const rows = [...pairs].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)).map(([k, v]) => [...ids, k, v]);
    await this.insertRows(db, table, [...idColumns, 'key', 'value'], rows, `ON CONFLICT (${idColumns.join(', ')}, key) DO UPDATE SET value = excluded.value`);
  }

  // ---------- experiments ----------

  private async experimentFromRow(db: SqlExec, row: ExperimentRow): Promise<Experiment> {
    const tags = await db.all<{ key: string; value: string }>('SELECT key, value FROM experiment_tags WHERE experiment_id = $1 ORDER BY key', [row.experiment_id]);
    return { experimentId: String(row.experiment_id), name: row.name, createdTime: row.created_time, tags: tagsFromRows(tags) };
  }

  private async experimentRow(db: SqlExec, experimentId: string, lock = ''): Promise<ExperimentRow> {
    const row = await db.get<ExperimentRow>(`SELECT experiment_id, name, created_time FROM experiments WHERE experiment_id = $1${lock}`, [experimentKey(experimentId)]);
    if (!row) throw new GroveError('NOT_FOUND', `no experiment with id ${JSON.stringify(experimentId)}`, { experimentId });
    return row;
  }

  async createExperiment(name: string, tags: Tags = {}): Promise<Experiment> {
    checkExperimentName(name);
    const tagList = checkTags(tags);
    return this.write(async (db) => {
      const row = await db.get<ExperimentRow>('INSERT INTO experiments (name, created_time) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING RETURNING experiment_id, name, created_time', [
        name,
        Date.now(),
      ]);
      if (!row) throw new GroveError('CONFLICT', `experiment ${JSON.stringify(name)} already exists`, { name });
      await this.upsertTags(db, 'experiment_tags', ['experiment_id'], [row.experiment_id], tagList);
      return this.experimentFromRow(db, row);
    });
  }

  async getOrCreateExperiment(name: string): Promise<Experiment> {
    checkExperimentName(name);
    const existing = await this.getExperimentByName(name);
    if (existing) return existing;
    return this.write(async (db) => {
      // a racing creator makes this a no-op; the SELECT then sees its row
      await db.run('INSERT INTO experiments (name, created_time) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING', [name, Date.now()]);
      return this.experimentFromRow(db, (await db.get<ExperimentRow>('SELECT experiment_id, name, created_time FROM experiments WHERE name = $1', [name]))!);
    });
  }

  async getExperiment(experimentId: string): Promise<Experiment> {
    return this.read(async (db) => this.experimentFromRow(db, await this.experimentRow(db, experimentId)));
  }

  async getExperimentByName(name: string): Promise<Experiment | null> {
    return this.read(async (db) => {
      const row = await db.get<ExperimentRow>('SELECT experiment_id, name, created_time FROM experiments WHERE name = $1', [name]);
      return row ? this.experimentFromRow(db, row) : null;
    });
  }

  async listExperiments(): Promise<ExperimentSummary[]> {
    return this.read(async (db) => {
      const list = await db.all<ExperimentRow & { run_count: number }>(
        `SELECT e.experiment_id, e.name, e.created_time, (SELECT COUNT(*) FROM runs r WHERE r.experiment_id = e.experiment_id) AS run_count
         FROM experiments e ORDER BY e.experiment_id`,
      );
      const out: ExperimentSummary[] = [];
      for (const r of list) out.push({ ...(await this.experimentFromRow(db, r)), runCount: r.run_count });
      return out;
    });
  }

  async setExperimentTag(experimentId: string, key: string, value: string): Promise<void> {
    const tags = checkTags({ [key]: value });
    await this.write(async (db) => {
      const row = await this.experimentRow(db, experimentId, this.sql.forKeyShare);
      await this.upsertTags(db, 'experiment_tags', ['experiment_id'], [row.experiment_id], tags);
    });
  }

  // ---------- runs ----------

  private async runRow(db: SqlExec, runId: string): Promise<RunRow> {
    checkRunId(runId);
    const row = await db.get<RunRow>(`${RUN_SELECT} WHERE r.run_id = $1`, [runId]);
    if (!row) throw new GroveError('NOT_FOUND', `no run with id ${runId}`, { runId });
    return row;
  }

  /** NOT_FOUND unless the run exists; `lock` (in a write) keeps it from being deleted until commit */
  private async requireRun(db: SqlExec, runId: string, lock = ''): Promise<void> {
    checkRunId(runId);
    if (!(await db.get(`SELECT 1 AS found FROM runs WHERE run_id = $1${lock}`, [runId]))) throw new GroveError('NOT_FOUND', `no run with id ${runId}`, { runId });
  }

  /** Params, latest metrics and tags of many runs in one query. */
  private async withData(db: SqlExec, list: RunRow[]): Promise<Run[]> {
    if (list.length === 0) return [];
    const runs = new Map<string, Run>();
    for (const row of list) runs.set(row.run_id, { ...runInfoFromRow(row), params: {}, metrics: {}, tags: {} });
    const p = new SqlParams();
    const ids = this.sql.inList(p, [...runs.keys()], 'text');
    const data = await db.all<{ t: string; run_id: string; key: string; value: string | null; num: number | null }>(
      `SELECT 'p' AS t, run_id, key, value, NULL AS num FROM params WHERE run_id ${ids}
       UNION ALL SELECT 'm', run_id, key, NULL, value FROM latest_metrics WHERE run_id ${ids}
       UNION ALL SELECT 't', run_id, key, value, NULL FROM tags WHERE run_id ${ids}
       ORDER BY key`,
      p.values,
    );
    for (const d of data) {
      const run = runs.get(d.run_id)!;
      if (d.t === 'p') run.params[d.key] = d.value!;
      else if (d.t === 'm') run.metrics[d.key] = nullToNan(d.num);
      else run.tags[d.key] = d.value!;
    }
    return [...runs.values()];
  }

  async createRun(options: CreateRunOptions): Promise<Run> {
    const runId = options.runId === undefined ? newRunId() : checkNewRunId(options.runId);
    const tags = checkTags(options.tags);
    const runName = options.runName ?? `run-${runId.slice(0, 8)}`;
    if (typeof runName !== 'string' || runName.length === 0 || runName.length > 250) {
      throw new GroveError('INVALID_OPTION', `run name must be 1-250 characters (got ${JSON.stringify(runName)})`, { runName });
    }
    const startTime = options.startTime ?? Date.now();
    return this.write(async (db) => {
      const exp = await this.experimentRow(db, options.experimentId, this.sql.forKeyShare);
      const parent = options.parentRunId ?? null;
      if (parent !== null) await this.requireRun(db, parent, this.sql.forKeyShare);
      const p = new SqlParams();
      const host = options.host ?? currentHost();
      const pid = options.pid ?? process.pid;
      const values = `${p.add(runId)}, ${p.add(exp.experiment_id)}, ${p.add(runName)}, 'RUNNING', ${p.add(startTime)}, NULL, ${p.add(parent)}, ${p.add(options.dataFingerprint ?? null)}, ${p.add(host)}, ${p.add(pid)}, ${this.sql.now(p)}`;
      await db.run(`INSERT INTO runs (run_id, experiment_id, run_name, status, start_time, end_time, parent_run_id, data_fingerprint, host, pid, heartbeat_time) VALUES (${values})`, p.values);
      await this.upsertTags(db, 'tags', ['run_id'], [runId], tags);
      return (await this.withData(db, [await this.runRow(db, runId)]))[0];
    });
  }

  async getRun(runId: string): Promise<Run> {
    return this.read(async (db) => (await this.withData(db, [await this.runRow(db, runId)]))[0]);
  }

  async endRun(runId: string, status: TerminalStatus, options: EndRunOptions = {}): Promise<RunInfo> {
    if (!RUN_STATUSES.includes(status) || (status as RunStatus) === 'RUNNING') {
      throw new GroveError('INVALID_OPTION', `a run ends as FINISHED, FAILED or KILLED (got ${JSON.stringify(status)})`, { status });
    }
    const tags = checkTags(options.tags);
    checkRunId(runId);
    return this.write(async (db) => {
      // the row lock makes "still RUNNING?" and the update one step against other enders
      const cur = await db.get<{ status: RunStatus }>(`SELECT status FROM runs WHERE run_id = $1${this.sql.forUpdate}`, [runId]);
      if (!cur) throw new GroveError('NOT_FOUND', `no run with id ${runId}`, { runId });
      if (cur.status !== 'RUNNING') throw new GroveError('CONFLICT', `run ${runId} has already ended (${cur.status})`, { runId, status: cur.status });
      await db.run('UPDATE runs SET status = $1, end_time = $2 WHERE run_id = $3', [status, options.endTime ?? Date.now(), runId]);
      await this.upsertTags(db, 'tags', ['run_id'], [runId], tags);
      return runInfoFromRow(await this.runRow(db, runId));
    });
  }

  async resumeRun(runId: string): Promise<RunInfo> {
    checkRunId(runId);
    return this.write(async (db) => {
      const cur = await db.get<{ status: RunStatus }>(`SELECT status FROM runs WHERE run_id = $1${this.sql.forUpdate}`, [runId]);
      if (!cur) throw new GroveError('NOT_FOUND', `no run with id ${runId}`, { runId });
      if (cur.status === 'RUNNING') throw new GroveError('CONFLICT', `run ${runId} is still RUNNING; only an ended run can be resumed`, { runId });
      const p = new SqlParams();
      const set = `host = ${p.add(currentHost())}, pid = ${p.add(process.pid)}, heartbeat_time = ${this.sql.now(p)}`;
      await db.run(`UPDATE runs SET status = 'RUNNING', end_time = NULL, ${set} WHERE run_id = ${p.add(runId)}`, p.values);
      return runInfoFromRow(await this.runRow(db, runId));
    });
  }

  async heartbeat(runId: string): Promise<void> {
    checkRunId(runId);
    await this.write(async (db) => {
      const p = new SqlParams();
      const changed = await db.run(`UPDATE runs SET heartbeat_time = ${this.sql.now(p)} WHERE run_id = ${p.add(runId)}`, p.values);
      if (changed === 0) throw new GroveError('NOT_FOUND', `no run with id ${runId}`, { runId });
    });
  }

  async logBatch(runId: string, batch: LogBatch): Promise<void> {
    const b = normalizeBatch(batch);
    checkRunId(runId);
    await this.write(async (db) => {
      await this.requireRun(db, runId, this.sql.forKeyShare);
      if (b.params.length > 0) {
        const inserted = new Set<string>();
        for (let i = 0; i < b.params.length; i += ROWS_PER_INSERT) {
          const part = b.params.slice(i, i + ROWS_PER_INSERT);
          const rows = await db.all<{ key: string }>(
            `INSERT INTO params (run_id, key, value) VALUES ${valuesList(part.length, 3)} ON CONFLICT (run_id, key) DO NOTHING RETURNING key`,
            part.flatMap(([k, v]) => [runId, k, v]),
          );
          for (const r of rows) inserted.add(r.key);
        }
        // keys that were there already: the same value is a no-op, another one a CONFLICT
        const existing = b.params.filter(([k]) => !inserted.has(k));
        if (existing.length > 0) {
          const p = new SqlParams();
          const where = `run_id = ${p.add(runId)} AND key ${this.sql.inList(
            p,
            existing.map((e) => e[0]),
            'text',
          )}`;
          const old = new Map((await db.all<{ key: string; value: string }>(`SELECT key, value FROM params WHERE ${where}`, p.values)).map((o) => [o.key, o.value]));
          for (const [k, v] of existing) {
            const was = old.get(k);
            if (was !== undefined && was !== v) {
              throw new GroveError('CONFLICT', `param ${k} of run ${runId} is already ${JSON.stringify(was)}; params are write-once (got ${JSON.stringify(v)})`, { runId, key: k });
            }
          }
        }
      }
      await this.insertMetrics(db, runId, b.metrics);
      await this.upsertTags(db, 'tags', ['run_id'], [runId], b.tags);
    });
  }

  /** History rows in multi-row INSERTs, and one latest_metrics upsert per key (not per row). */
  private async insertMetrics(db: SqlExec, runId: string, metrics: Metric[]): Promise<void> {
    if (metrics.length === 0) return;
    const latest = new Map<string, Metric>();
    for (const m of metrics) {
      const cur = latest.get(m.key);
      if (!cur || m.step > cur.step || (m.step === cur.step && m.timestamp >= cur.timestamp)) latest.set(m.key, m);
    }
    const row = (m: Metric) => [runId, m.key, nanToNull(m.value), m.step, m.timestamp];
    const columns = ['run_id', 'key', 'value', 'step', 'timestamp'];
    await this.insertRows(db, 'metrics', columns, metrics.map(row));
    // sorted keys: two writers of one run lock the latest rows in the same order (no deadlock)
    const last = [...latest.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    await this.insertRows(
      db,
      'latest_metrics',
      columns,
      last.map(row),
      `ON CONFLICT (run_id, key) DO UPDATE SET value = excluded.value, step = excluded.step, timestamp = excluded.timestamp
       WHERE excluded.step > latest_metrics.step
          OR (excluded.step = latest_metrics.step AND excluded.timestamp >= latest_metrics.timestamp)`,
    );
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
    await this.write(async (db) => {
      await this.requireRun(db, runId, this.sql.forKeyShare);
      if ((await db.run('DELETE FROM tags WHERE run_id = $1 AND key = $2', [runId, key])) === 0) {
        throw new GroveError('NOT_FOUND', `run ${runId} has no tag ${JSON.stringify(key)}`, { runId, key });
      }
    });
  }

  async getMetricHistory(runId: string, key: string): Promise<Metric[]> {
    return this.read(async (db) => {
      await this.requireRun(db, runId);
      const list = await db.all<{ key: string; value: number | null; step: number; timestamp: number }>(
        'SELECT key, value, step, timestamp FROM metrics WHERE run_id = $1 AND key = $2 ORDER BY step, timestamp, seq',
        [runId, key],
      );
      return list.map((r) => ({ key: r.key, value: nullToNan(r.value), step: r.step, timestamp: r.timestamp }));
    });
  }

  async getLatestMetrics(runIds: string[]): Promise<Record<string, Metric[]>> {
    const out: Record<string, Metric[]> = {};
    if (runIds.length === 0) return out;
    return this.read(async (db) => {
      const p = new SqlParams();
      const list = await db.all<{ run_id: string; key: string; value: number | null; step: number; timestamp: number }>(
        `SELECT run_id, key, value, step, timestamp FROM latest_metrics WHERE run_id ${this.sql.inList(p, runIds, 'text')} ORDER BY run_id, key`,
        p.values,
      );
      for (const r of list) {
        const runMetrics = out[r.run_id] ?? [];
        out[r.run_id] = runMetrics;
        runMetrics.push({ key: r.key, value: nullToNan(r.value), step: r.step, timestamp: r.timestamp });
      }
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
    const scope: ScopeCondition[] = [];
    const { experimentIds, parentRunId } = options;
    if (experimentIds) scope.push((p) => `r.experiment_id ${this.sql.inList(p, experimentIds.map(experimentKey), 'bigint')}`);
    if (parentRunId !== undefined) scope.push((p) => `r.parent_run_id = ${p.add(parentRunId)}`);
    const dialect = this.sql.dialect;
    return this.read(async (db) => {
      const page = async (part: SearchPart, lim: number, off: number): Promise<RunRow[]> => {
        const q = compileSearch(RUN_COLUMNS, clauses, orderBy, scope, part, dialect);
        if (!q || lim === 0) return [];
        const n = q.params.length;
        return db.all<RunRow>(`${q.text}\nLIMIT $${n + 1} OFFSET $${n + 2}`, [...q.params, lim === Infinity ? this.sql.noLimit : lim, off]);
      };
      if (!splitsOnPrimary(orderBy) || (await this.smallScope(db, scope, clauses))) return this.withData(db, await page('all', limit, offset));
      // runs with a value for the first order key, then those without (they sort last)
      const first = await page('with-primary', limit, offset);
      if (first.length === limit) return this.withData(db, first);
      let skip = 0;
      if (offset > 0 && first.length === 0) {
        const q = compileSearch('COUNT(*) AS n', clauses, orderBy, scope, 'with-primary', dialect)!;
        const counted = await db.get<{ n: number }>(q.text.replace(/\nORDER BY [^\n]*$/, ''), q.params);
        skip = Math.max(0, offset - counted!.n);
      }
      return this.withData(db, [...first, ...(await page('without-primary', limit - first.length, skip))]);
    });
  }

  /**
   * Whether the search is confined to few runs (one study's trials, one small experiment, one
   * run id): then reading those runs and sorting them beats walking the whole ordered index.
   */
  private async smallScope(db: SqlExec, scope: ScopeCondition[], clauses: FilterClause[]): Promise<boolean> {
    if (this.smallScopeRuns <= 0) return false;
    if (clauses.some((c) => c.kind === 'attribute' && (c.key === 'run_id' || c.key === 'parent_run_id') && (c.op === '=' || c.op === 'IN'))) return true;
    if (scope.length === 0) return false;
    const p = new SqlParams();
    const where = scope.map((s) => s(p)).join(' AND ');
    const counted = await db.get<{ n: number }>(`SELECT COUNT(*) AS n FROM (SELECT 1 AS one FROM runs r WHERE ${where} LIMIT ${this.smallScopeRuns + 1}) s`, p.values);
    return counted!.n <= this.smallScopeRuns;
  }

  // ---------- artifacts ----------

  private async artifactRow(db: SqlExec, runId: string, name: string): Promise<ArtifactInfo> {
    await this.requireRun(db, runId);
    const row = await db.get<ArtifactRow>('SELECT run_id, name, size, sha256, created_time FROM artifacts WHERE run_id = $1 AND name = $2', [runId, name]);
    if (!row) throw new GroveError('NOT_FOUND', `run ${runId} has no artifact ${JSON.stringify(name)}`, { runId, artifact: name });
    return artifactFromRow(row);
  }

  /**
   * The bytes go in as chunks of the store's chunk size (blob_chunks), hashed while they stream,
   * all in ONE transaction: on SQLite the connection's lock keeps the store's other calls waiting
   * while chunks are pulled, on PostgreSQL one client holds it (never replayed: the stream is
   * consumed). So the source must not call this store itself.
   */
  async logArtifact(runId: string, name: string, given: Uint8Array | ByteChunks): Promise<ArtifactInfo> {
    checkArtifactName(name);
    checkRunId(runId);
    const what = `artifact ${JSON.stringify(name)} of run ${runId}`;
    return this.sql.write(
      async (db) => {
        await this.requireRun(db, runId, this.sql.forKeyShare);
        const old = await db.get<{ sha256: string }>('SELECT sha256 FROM artifacts WHERE run_id = $1 AND name = $2', [runId, name]);
        // a name logged already: only hash the bytes, to tell a no-op from a CONFLICT
        const blobId = old ? null : await this.sql.newBlobId(db);
        const whole = createHash('sha256');
        let size = 0;
        let count = 0;
        for await (const chunk of rechunk(given, this.chunkBytes, what)) {
          whole.update(chunk);
          size += chunk.length;
          if (blobId !== null) {
            const sha = createHash('sha256').update(chunk).digest('hex');
            await db.run('INSERT INTO blob_chunks (blob_id, chunk_index, sha256, bytes) VALUES ($1, $2, $3, $4)', [blobId, count, sha, chunk]);
          }
          count++;
        }
        const sha256 = whole.digest('hex');
        if (!old) {
          const stored = await db.run('INSERT INTO blobs (sha256, size, blob_id, chunk_count) VALUES ($1, $2, $3, $4) ON CONFLICT (sha256) DO NOTHING', [sha256, size, blobId, count]);
          // the same bytes are stored already (by any run): keep those, drop this copy
          if (stored === 0) await db.run('DELETE FROM blob_chunks WHERE blob_id = $1', [blobId]);
          const added = await db.run('INSERT INTO artifacts (run_id, name, sha256, size, created_time) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (run_id, name) DO NOTHING', [
            runId,
            name,
            sha256,
            size,
            Date.now(),
          ]);
          if (added === 1) return this.artifactRow(db, runId, name);
        }
        const info = await this.artifactRow(db, runId, name);
        if (info.sha256 !== sha256) throw new GroveError('CONFLICT', `run ${runId} already has a different artifact ${JSON.stringify(name)}; artifacts are immutable`, { runId, artifact: name });
        return info;
      },
      { once: true },
    );
  }

  async listArtifacts(runId: string): Promise<ArtifactInfo[]> {
    return this.read(async (db) => {
      await this.requireRun(db, runId);
      const list = await db.all<ArtifactRow>('SELECT run_id, name, size, sha256, created_time FROM artifacts WHERE run_id = $1 ORDER BY name', [runId]);
      return list.map(artifactFromRow);
    });
  }

  async getArtifactInfo(runId: string, name: string): Promise<ArtifactInfo> {
    return this.read((db) => this.artifactRow(db, runId, name));
  }

  private async blobRow(db: SqlExec, sha256: string, what: string): Promise<BlobRow> {
    const row = await db.get<BlobRow>('SELECT sha256, size, blob_id, chunk_count FROM blobs WHERE sha256 = $1', [sha256]);
    if (!row) throw new GroveError('STORE_ERROR', `${what}: its bytes (sha256 ${sha256}) are missing from ${this.location}`, { sha256 });
    return row;
  }

  /**
   * A blob's chunks in order, each checked against its sha256 before it is handed on, the whole
   * checked after the last. One short read per chunk: blobs never change once written, and the
   * caller may use the store between chunks.
   */
  private async *chunksOf(blob: BlobRow, what: string): AsyncGenerator<Buffer> {
    const whole = createHash('sha256');
    let size = 0;
    const n = blob.chunk_count;
    for (let i = 0; i < n; i++) {
      const row = await this.readChunk(blob.blob_id, i);
      const context = { sha256: blob.sha256, chunk: i };
      if (!row) throw new GroveError('STORE_ERROR', `${what}: chunk ${i + 1} of ${n} is missing from ${this.location}`, context);
      // content addressing makes corruption detectable: check before handing bytes to a loader
      if (createHash('sha256').update(row.bytes).digest('hex') !== row.sha256) {
        throw new GroveError('STORE_ERROR', `${what}: chunk ${i + 1} of ${n} does not match its sha256 (${this.location} is damaged)`, context);
      }
      whole.update(row.bytes);
      size += row.bytes.length;
      yield row.bytes;
    }
    if (size !== blob.size || whole.digest('hex') !== blob.sha256) {
      throw new GroveError('STORE_ERROR', `${what}: stored bytes do not match their sha256 (${this.location} is damaged)`, { sha256: blob.sha256 });
    }
  }

  /** One stored chunk; in pieces where the driver handles big values badly (SqlBackend.readPieceBytes). */
  private async readChunk(blobId: number, index: number): Promise<{ sha256: string; bytes: Buffer } | undefined> {
    const piece = this.sql.readPieceBytes;
    if (piece === null) {
      return this.read((db) => db.get<{ sha256: string; bytes: Buffer }>('SELECT sha256, bytes FROM blob_chunks WHERE blob_id = $1 AND chunk_index = $2', [blobId, index]));
    }
    const head = await this.read((db) => db.get<{ sha256: string; n: number }>('SELECT sha256, length(bytes) AS n FROM blob_chunks WHERE blob_id = $1 AND chunk_index = $2', [blobId, index]));
    if (!head) return undefined;
    const bytes = Buffer.allocUnsafe(head.n);
    for (let at = 0; at < head.n; at += piece) {
      const part = await this.read((db) => db.get<{ part: Buffer }>('SELECT substr(bytes, $3, $4) AS part FROM blob_chunks WHERE blob_id = $1 AND chunk_index = $2', [blobId, index, at + 1, piece]));
      // a missing row (or a shorter value) leaves the rest unset: the sha256 check below refuses it
      if (!part) break;
      part.part.copy(bytes, at);
    }
    return { sha256: head.sha256, bytes };
  }

  /** All of a blob in one Buffer, refused past MAX_ONE_BUFFER_BYTES. */
  private async joined(blob: BlobRow, what: string, chunkReader: string): Promise<Buffer> {
    if (blob.size > MAX_ONE_BUFFER_BYTES) {
      throw new GroveError('INVALID_OPTION', `${what} is ${blob.size} bytes, more than one Buffer may hold here (${MAX_ONE_BUFFER_BYTES}); read it as a stream with ${chunkReader}`, {
        sha256: blob.sha256,
        size: blob.size,
      });
    }
    // one chunk is handed on as it is; more are copied into one Buffer as they arrive
    const out = blob.chunk_count > 1 ? Buffer.allocUnsafe(blob.size) : null;
    let only: Buffer = Buffer.alloc(0);
    let at = 0;
    for await (const chunk of this.chunksOf(blob, what)) {
      if (out) at += chunk.copy(out, at);
      else only = chunk;
    }
    return out ?? only;
  }

  private artifactBlob(runId: string, name: string, what: string): Promise<BlobRow> {
    return this.read(async (db) => this.blobRow(db, (await this.artifactRow(db, runId, name)).sha256, what));
  }

  async readArtifact(runId: string, name: string): Promise<Buffer> {
    const what = `artifact ${JSON.stringify(name)} of run ${runId}`;
    return this.joined(await this.artifactBlob(runId, name, what), what, 'readArtifactChunks');
  }

  async *readArtifactChunks(runId: string, name: string): AsyncIterable<Buffer> {
    const what = `artifact ${JSON.stringify(name)} of run ${runId}`;
    yield* this.chunksOf(await this.artifactBlob(runId, name, what), what);
  }

  // ---------- model registry ----------

  private async modelRow(db: SqlExec, name: string, lock = ''): Promise<ModelRow> {
    checkModelName(name);
    const row = await db.get<ModelRow>(`SELECT name, description, created_time, updated_time FROM registered_models WHERE name = $1${lock}`, [name]);
    if (!row) throw new GroveError('NOT_FOUND', `no registered model named ${JSON.stringify(name)}`, { model: name });
    return row;
  }

  private async modelFromRow(db: SqlExec, row: ModelRow): Promise<RegisteredModel> {
    const tags = await db.all<{ key: string; value: string }>('SELECT key, value FROM registered_model_tags WHERE name = $1 ORDER BY key', [row.name]);
    const latest = await db.get<{ v: number | null }>('SELECT MAX(version) AS v FROM model_versions WHERE name = $1', [row.name]);
    const aliases = await db.all<{ alias: string; version: number }>('SELECT alias, version FROM model_aliases WHERE name = $1 ORDER BY alias', [row.name]);
    return {
      name: row.name,
      description: row.description,
      tags: tagsFromRows(tags),
      createdTime: row.created_time,
      updatedTime: row.updated_time,
      latestVersion: latest!.v,
      aliases: Object.fromEntries(aliases.map((a) => [a.alias, a.version])),
    };
  }

  private async versionFromRow(db: SqlExec, row: VersionRow): Promise<ModelVersion> {
    const tags = await db.all<{ key: string; value: string }>('SELECT key, value FROM model_version_tags WHERE name = $1 AND version = $2 ORDER BY key', [row.name, row.version]);
    const aliases = await db.all<{ alias: string }>('SELECT alias FROM model_aliases WHERE name = $1 AND version = $2 ORDER BY alias', [row.name, row.version]);
    return {
      name: row.name,
      version: row.version,
      runId: row.run_id,
      artifact: row.artifact,
      sha256: row.sha256,
      size: row.size,
      createdTime: row.created_time,
      description: row.description,
      tags: tagsFromRows(tags),
      aliases: aliases.map((a) => a.alias),
    };
  }

  private async versionRow(db: SqlExec, name: string, version: number, lockModel = ''): Promise<VersionRow> {
    await this.modelRow(db, name, lockModel);
    checkVersion(version);
    const row = await db.get<VersionRow>(`${VERSION_SELECT} WHERE v.name = $1 AND v.version = $2`, [name, version]);
    if (!row) throw new GroveError('NOT_FOUND', `model ${name} has no version ${version}`, { model: name, version });
    return row;
  }

  async createRegisteredModel(name: string, options: { description?: string; tags?: Tags } = {}): Promise<RegisteredModel> {
    checkModelName(name);
    const tags = checkTags(options.tags);
    return this.write(async (db) => {
      const now = Date.now();
      const row = await db.get<ModelRow>(
        'INSERT INTO registered_models (name, description, created_time, updated_time) VALUES ($1, $2, $3, $3) ON CONFLICT (name) DO NOTHING RETURNING name, description, created_time, updated_time',
        [name, options.description ?? '', now],
      );
      if (!row) throw new GroveError('CONFLICT', `registered model ${JSON.stringify(name)} already exists`, { model: name });
      await this.upsertTags(db, 'registered_model_tags', ['name'], [name], tags);
      return this.modelFromRow(db, row);
    });
  }

  async getRegisteredModel(name: string): Promise<RegisteredModel> {
    return this.read(async (db) => this.modelFromRow(db, await this.modelRow(db, name)));
  }

  async listRegisteredModels(): Promise<RegisteredModel[]> {
    return this.read(async (db) => {
      const list = await db.all<ModelRow>('SELECT name, description, created_time, updated_time FROM registered_models ORDER BY name');
      const out: RegisteredModel[] = [];
      for (const r of list) out.push(await this.modelFromRow(db, r));
      return out;
    });
  }

  async createModelVersion(name: string, options: CreateModelVersionOptions): Promise<ModelVersion> {
    checkModelName(name);
    const artifact = checkArtifactName(options.artifact ?? 'model');
    const tags = checkTags(options.tags);
    return this.write(async (db) => {
      await this.artifactRow(db, options.runId, artifact);
      const now = Date.now();
      await db.run("INSERT INTO registered_models (name, description, created_time, updated_time) VALUES ($1, '', $2, $2) ON CONFLICT (name) DO NOTHING", [name, now]);
      // the model's row lock (SQLite: the write lock) serialises version numbering; after it, MAX sees every committed version
      await this.modelRow(db, name, this.sql.forUpdate);
      const { v } = (await db.get<{ v: number }>('SELECT COALESCE(MAX(version), 0) + 1 AS v FROM model_versions WHERE name = $1', [name]))!;
      await db.run('INSERT INTO model_versions (name, version, run_id, artifact, created_time, description) VALUES ($1, $2, $3, $4, $5, $6)', [
        name,
        v,
        options.runId,
        artifact,
        now,
        options.description ?? '',
      ]);
      await this.upsertTags(db, 'model_version_tags', ['name', 'version'], [name, v], tags);
      await db.run('UPDATE registered_models SET updated_time = $1 WHERE name = $2', [now, name]);
      return this.versionFromRow(db, await this.versionRow(db, name, v));
    });
  }

  async getModelVersion(name: string, version: number): Promise<ModelVersion> {
    return this.read(async (db) => this.versionFromRow(db, await this.versionRow(db, name, version)));
  }

  async getLatestModelVersion(name: string): Promise<ModelVersion> {
    return this.read(async (db) => {
      await this.modelRow(db, name);
      const latest = await db.get<{ v: number | null }>('SELECT MAX(version) AS v FROM model_versions WHERE name = $1', [name]);
      if (latest!.v === null) throw new GroveError('NOT_FOUND', `model ${name} has no versions yet`, { model: name });
      return this.versionFromRow(db, await this.versionRow(db, name, latest!.v));
    });
  }

  async listModelVersions(name: string): Promise<ModelVersion[]> {
    return this.read(async (db) => {
      await this.modelRow(db, name);
      const list = await db.all<VersionRow>(`${VERSION_SELECT} WHERE v.name = $1 ORDER BY v.version`, [name]);
      const out: ModelVersion[] = [];
      for (const r of list) out.push(await this.versionFromRow(db, r));
      return out;
    });
  }

  async updateModelVersion(name: string, version: number, update: { description?: string; tags?: Tags }): Promise<ModelVersion> {
    const tags = checkTags(update.tags);
    if (update.description !== undefined && typeof update.description !== 'string') {
      throw new GroveError('INVALID_OPTION', 'description must be a string', { model: name, version });
    }
    return this.write(async (db) => {
      await this.versionRow(db, name, version, this.sql.forUpdate);
      if (update.description !== undefined) await db.run('UPDATE model_versions SET description = $1 WHERE name = $2 AND version = $3', [update.description, name, version]);
      await this.upsertTags(db, 'model_version_tags', ['name', 'version'], [name, version], tags);
      await db.run('UPDATE registered_models SET updated_time = $1 WHERE name = $2', [Date.now(), name]);
      return this.versionFromRow(db, await this.versionRow(db, name, version));
    });
  }

  private async recordAlias(db: SqlExec, name: string, alias: string, oldVersion: number | null, newVersion: number | null): Promise<AliasChange> {
    const time = Date.now();
    await db.run('INSERT INTO alias_history (name, alias, old_version, new_version, time, who) VALUES ($1, $2, $3, $4, $5, $6)', [name, alias, oldVersion, newVersion, time, this.who]);
    await db.run('UPDATE registered_models SET updated_time = $1 WHERE name = $2', [time, name]);
    return { name, alias, oldVersion, newVersion, time, who: this.who };
  }

  async setAlias(name: string, alias: string, version: number): Promise<AliasChange> {
    checkAlias(alias);
    return this.write(async (db) => {
      // the model's row lock orders alias moves, so the history chains without gaps
      await this.versionRow(db, name, version, this.sql.forUpdate);
      const old = await db.get<{ version: number }>('SELECT version FROM model_aliases WHERE name = $1 AND alias = $2', [name, alias]);
      if (old?.version === version) {
        // nothing moves, so nothing is recorded
        return { name, alias, oldVersion: version, newVersion: version, time: Date.now(), who: this.who };
      }
      await db.run('INSERT INTO model_aliases (name, alias, version) VALUES ($1, $2, $3) ON CONFLICT (name, alias) DO UPDATE SET version = excluded.version', [name, alias, version]);
      return this.recordAlias(db, name, alias, old?.version ?? null, version);
    });
  }

  async deleteAlias(name: string, alias: string): Promise<AliasChange> {
    return this.write(async (db) => {
      await this.modelRow(db, name, this.sql.forUpdate);
      const old = await db.get<{ version: number }>('DELETE FROM model_aliases WHERE name = $1 AND alias = $2 RETURNING version', [name, alias]);
      if (!old) throw new GroveError('NOT_FOUND', `model ${name} has no alias ${JSON.stringify(alias)}`, { model: name, alias });
      return this.recordAlias(db, name, alias, old.version, null);
    });
  }

  async getModelVersionByAlias(name: string, alias: string): Promise<ModelVersion> {
    return this.read(async (db) => {
      await this.modelRow(db, name);
      const row = await db.get<{ version: number }>('SELECT version FROM model_aliases WHERE name = $1 AND alias = $2', [name, alias]);
      if (!row) {
        const known = (await db.all<{ alias: string }>('SELECT alias FROM model_aliases WHERE name = $1 ORDER BY alias', [name])).map((a) => a.alias);
        throw new GroveError('NOT_FOUND', `model ${name} has no alias ${JSON.stringify(alias)} (aliases: ${known.length ? known.join(', ') : 'none'})`, { model: name, alias });
      }
      return this.versionFromRow(db, await this.versionRow(db, name, row.version));
    });
  }

  async getAliasHistory(name: string, alias?: string): Promise<AliasChange[]> {
    return this.read(async (db) => {
      await this.modelRow(db, name);
      const list =
        alias === undefined
          ? await db.all<HistoryRow>('SELECT name, alias, old_version, new_version, time, who FROM alias_history WHERE name = $1 ORDER BY id', [name])
          : await db.all<HistoryRow>('SELECT name, alias, old_version, new_version, time, who FROM alias_history WHERE name = $1 AND alias = $2 ORDER BY id', [name, alias]);
      return list.map((r) => ({ name: r.name, alias: r.alias, oldVersion: r.old_version, newVersion: r.new_version, time: r.time, who: r.who }));
    });
  }

  private versionBlob(name: string, version: number, what: string): Promise<BlobRow> {
    return this.read(async (db) => this.blobRow(db, (await this.versionRow(db, name, version)).sha256, what));
  }

  async readModelVersionBytes(name: string, version: number): Promise<Buffer> {
    const what = `model ${name} version ${version}`;
    return this.joined(await this.versionBlob(name, version, what), what, 'readModelVersionChunks');
  }

  async *readModelVersionChunks(name: string, version: number): AsyncIterable<Buffer> {
    const what = `model ${name} version ${version}`;
    yield* this.chunksOf(await this.versionBlob(name, version, what), what);
  }
}
