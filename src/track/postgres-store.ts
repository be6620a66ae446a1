/**
 * The Store on PostgreSQL (pg, a small pool), for many processes on many machines. Same
 * semantics as the SQLite store; how each is kept here:
 * - every write method is one READ COMMITTED transaction, retried on a serialization failure or
 *   deadlock; reads that take several queries run in one REPEATABLE READ snapshot;
 * - races between writers are settled by the database: unique keys with ON CONFLICT (params
 *   write-once, artifacts, experiments by name), a row lock on the registered model for version
 *   numbers and alias moves, a row lock on the run for its status;
 * - heartbeats use the database's clock, so hosts with skewed clocks agree on staleness.
 * Durability: each commit waits for the server's WAL flush. A URI with
 * `?options=-c%20synchronous_commit%3Doff` keeps every write atomic but may lose the last
 * fraction of a second of commits if the server crashes; small batches log 2-3x faster.
 */
import { createHash } from 'node:crypto';
import type pg from 'pg';
import { GroveError } from '../errors.js';
import { parseFilter, parseOrderBy, type FilterClause } from './filter.js';
import { currentHost, whoAmI } from './liveness.js';
import { NOW_MS, createPool, mapPgError, parsePostgresUri, transaction, type Client, type PostgresTarget } from './postgres-connection.js';
import { migratePostgres } from './postgres-migrations.js';
import { PostgresTrialQueue } from './postgres-trial-queue.js';
import type { TrialQueue } from './trial-queue.js';
import { compileSearch, splitsOnPrimary, type SearchPart, type Sql } from './sqlite-search.js';
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
import { RUN_COLUMNS, RUN_SELECT, VERSION_SELECT, nanToNull, nullToNan, runInfoFromRow, type ExperimentRow, type HistoryRow, type ModelRow, type RunRow, type VersionRow } from './store-rows.js';
import { RUN_STATUSES } from './store.js';
import { collectChunks } from './byte-chunks.js';
import { checkAlias, checkArtifactName, checkExperimentName, checkKey, checkModelName, checkNewRunId,
  checkRunId, checkTags, checkVersion, newRunId, normalizeBatch } from './validate.js';

const DEFAULT_SEARCH_LIMIT = 100;
// below this many runs in a search's scope, sorting them directly beats an index walk
const SMALL_SCOPE = 5000;
const READ = 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY';

type Db = Pick<pg.ClientBase, 'query'>;


/** ? placeholders (from the shared search compiler) to PostgreSQL's $1, $2, ... */
export function numberPlaceholders(text: string): string {
  let n = 0;
  return text.replace(/\?/g, () => `$${++n}`);
}

/** experiment ids are decimal integers; anything else matches nothing */
function experimentKey(id: string): number {
  const n = /^\d+$/.test(String(id)) ? Number(id) : -1;
  return Number.isSafeInteger(n) ? n : -1;
}

async function rows<T extends object>(db: Db, text: string, values: unknown[] = []): Promise<T[]> {
  return (await db.query(text, values)).rows as T[];
}

async function one<T extends object>(db: Db, text: string, values: unknown[] = []): Promise<T | undefined> {
  return (await db.query(text, values)).rows[0] as T | undefined;
}

export interface PostgresOpenOptions {
  /** the schema holding the store (overrides ?schema= in the URI); created when missing */
  schema?: string;
  /** create the store's tables when missing (default true); false gives NOT_FOUND */
  create?: boolean;
  /** pool size (default 4) */
  maxConnections?: number;
  /** searches confined to at most this many runs sort them directly (default 5000; tests set 0) */
  smallScopeRuns?: number;
}

export class PostgresStore implements Store {
  readonly location: string;
  readonly schema: string | null;
  private readonly pool: pg.Pool;
  private readonly who = whoAmI();
  private readonly smallScopeRuns: number;
  private closed = false;
  readonly trials: TrialQueue;

  private constructor(target: PostgresTarget, pool: pg.Pool, smallScopeRuns: number) {
    this.location = target.location;
    this.schema = target.schema;
    this.pool = pool;
    this.smallScopeRuns = smallScopeRuns;
    this.trials = new PostgresTrialQueue(pool, target.location);
  }

  /** Connects, and creates or migrates the schema if needed. */
  static async open(uri: string, options: PostgresOpenOptions = {}): Promise<PostgresStore> {
    const target = parsePostgresUri(uri, options.schema);
    const pool = createPool(target, options.maxConnections);
    try {
      await migratePostgres(pool, target, options.create ?? true);
    } catch (err) {
      await pool.end().catch(() => undefined);
      throw mapPgError(err, target.location);
    }
    return new PostgresStore(target, pool, options.smallScopeRuns ?? SMALL_SCOPE);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end();
  }

  private write<T>(fn: (c: Client) => Promise<T>): Promise<T> {
    return transaction(this.pool, this.location, fn);
  }

  private read<T>(fn: (c: Client) => Promise<T>): Promise<T> {
    return transaction(this.pool, this.location, fn, READ);
  }

  // ---------- experiments ----------

  private async experimentFromRow(db: Db, row: ExperimentRow): Promise<Experiment> {
    const tags = await rows<{ key: string; value: string }>(db, 'SELECT key, value FROM experiment_tags WHERE experiment_id = $1 ORDER BY key', [row.experiment_id]);
    return { experimentId: String(row.experiment_id), name: row.name, createdTime: row.created_time, tags: Object.fromEntries(tags.map((t) => [t.key, t.value])) };
  }

  private async experimentRow(db: Db, experimentId: string, lock = false): Promise<ExperimentRow> {
    const row = await one<ExperimentRow>(db, `SELECT * FROM experiments WHERE experiment_id = $1${lock ? ' FOR KEY SHARE' : ''}`, [experimentKey(experimentId)]);
    if (!row) throw new GroveError('NOT_FOUND', `no experiment with id ${JSON.stringify(experimentId)}`, { experimentId });
    return row;
  }

  async createExperiment(name: string, tags: Tags = {}): Promise<Experiment> {
    checkExperimentName(name);
    const tagList = checkTags(tags);
    return this.write(async (c) => {
      const row = await one<ExperimentRow>(c, 'INSERT INTO experiments (name, created_time) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING RETURNING *', [name, Date.now()]);
      if (!row) throw new GroveError('CONFLICT', `experiment ${JSON.stringify(name)} already exists`, { name });
      await this.upsert(c, 'experiment_tags', ['experiment_id'], [row.experiment_id], tagList);
      return this.experimentFromRow(c, row);
    });
  }

  async getOrCreateExperiment(name: string): Promise<Experiment> {
    checkExperimentName(name);
    const existing = await this.getExperimentByName(name);
    if (existing) return existing;
    return this.write(async (c) => {
      // a racing creator makes this a no-op; the SELECT (a new snapshot) then sees its row
      await c.query('INSERT INTO experiments (name, created_time) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING', [name, Date.now()]);
      return this.experimentFromRow(c, (await one<ExperimentRow>(c, 'SELECT * FROM experiments WHERE name = $1', [name]))!);
    });
  }

  async getExperiment(experimentId: string): Promise<Experiment> {
    return this.read(async (c) => this.experimentFromRow(c, await this.experimentRow(c, experimentId)));
  }

  async getExperimentByName(name: string): Promise<Experiment | null> {
    return this.read(async (c) => {
      const row = await one<ExperimentRow>(c, 'SELECT * FROM experiments WHERE name = $1', [name]);
      return row ? this.experimentFromRow(c, row) : null;
    });
  }

  async listExperiments(): Promise<ExperimentSummary[]> {
    return this.read(async (c) => {
      const list = await rows<ExperimentRow & { run_count: number }>(
        c,
        `SELECT e.*, (SELECT COUNT(*) FROM runs r WHERE r.experiment_id = e.experiment_id) AS run_count
         FROM experiments e ORDER BY e.experiment_id`,
      );
      const out: ExperimentSummary[] = [];
      for (const r of list) out.push({ ...(await this.experimentFromRow(c, r)), runCount: r.run_count });
      return out;
    });
  }

  async setExperimentTag(experimentId: string, key: string, value: string): Promise<void> {
    const tags = checkTags({ [key]: value });
    await this.write(async (c) => {
      const row = await this.experimentRow(c, experimentId, true);
      await this.upsert(c, 'experiment_tags', ['experiment_id'], [row.experiment_id], tags);
    });
  }

  /** key/value rows upserted in one statement (keys are distinct: they come from an object) */
  private async upsert(db: Db, table: string, idColumns: string[], ids: unknown[], pairs: [string, string][]): Promise<void> {
    if (pairs.length === 0) return;
    const idList = idColumns.join(', ');
    const idParams = idColumns.map((_, i) => `$${i + 1}`).join(', ');
    const k = ids.length + 1;
    await db.query(
      `INSERT INTO ${table} (${idList}, key, value) SELECT ${idParams}, k, v FROM unnest($${k}::text[], $${k + 1}::text[]) AS t (k, v)
       ON CONFLICT (${idList}, key) DO UPDATE SET value = excluded.value`,
      [...ids, pairs.map((p) => p[0]), pairs.map((p) => p[1])],
    );
  }

  // ---------- runs ----------

  private async runRow(db: Db, runId: string): Promise<RunRow> {
    checkRunId(runId);
    const row = await one<RunRow>(db, `${RUN_SELECT} WHERE r.run_id = $1`, [runId]);
    if (!row) throw new GroveError('NOT_FOUND', `no run with id ${runId}`, { runId });
    return row;
  }

  /** NOT_FOUND unless the run exists; KEY SHARE keeps it from being deleted until commit */
  private async requireRun(db: Db, runId: string): Promise<void> {
    checkRunId(runId);
    const found = await db.query('SELECT 1 FROM runs WHERE run_id = $1 FOR KEY SHARE', [runId]);
    if (found.rowCount === 0) throw new GroveError('NOT_FOUND', `no run with id ${runId}`, { runId });
  }

  /** Params, latest metrics and tags of many runs in one query. */
  private async withData(db: Db, list: RunRow[]): Promise<Run[]> {
    if (list.length === 0) return [];
    const runs = new Map<string, Run>();
    for (const row of list) runs.set(row.run_id, { ...runInfoFromRow(row), params: {}, metrics: {}, tags: {} });
    const data = await rows<{ t: string; run_id: string; key: string; value: string | null; num: number | null }>(
      db,
      `SELECT 'p' AS t, run_id, key, value, NULL::float8 AS num FROM params WHERE run_id = ANY($1::text[])
       UNION ALL SELECT 'm', run_id, key, NULL, value FROM latest_metrics WHERE run_id = ANY($1::text[])
       UNION ALL SELECT 't', run_id, key, value, NULL FROM tags WHERE run_id = ANY($1::text[])
       ORDER BY key`,
      [[...runs.keys()]],
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
    return this.write(async (c) => {
      const exp = await this.experimentRow(c, options.experimentId, true);
      const parent = options.parentRunId ?? null;
      if (parent !== null) await this.requireRun(c, parent);
      await c.query(
        `INSERT INTO runs (run_id, experiment_id, run_name, status, start_time, end_time, parent_run_id, data_fingerprint, host, pid, heartbeat_time)
         VALUES ($1, $2, $3, 'RUNNING', $4, NULL, $5, $6, $7, $8, ${NOW_MS})`,
        [runId, exp.experiment_id, runName, startTime, parent, options.dataFingerprint ?? null, options.host ?? currentHost(), options.pid ?? process.pid],
      );
      await this.upsert(c, 'tags', ['run_id'], [runId], tags);
      return (await this.withData(c, [await this.runRow(c, runId)]))[0];
    });
  }

  async getRun(runId: string): Promise<Run> {
    return this.read(async (c) => (await this.withData(c, [await this.runRow(c, runId)]))[0]);
  }

  async endRun(runId: string, status: TerminalStatus, options: EndRunOptions = {}): Promise<RunInfo> {
    if (!RUN_STATUSES.includes(status) || (status as RunStatus) === 'RUNNING') {
      throw new GroveError('INVALID_OPTION', `a run ends as FINISHED, FAILED or KILLED (got ${JSON.stringify(status)})`, { status });
    }
    const tags = checkTags(options.tags);
    checkRunId(runId);
    return this.write(async (c) => {
      // the row lock makes "still RUNNING?" and the update one step against other enders
      const cur = await one<{ status: RunStatus }>(c, 'SELECT status FROM runs WHERE run_id = $1 FOR UPDATE', [runId]);
      if (!cur) throw new GroveError('NOT_FOUND', `no run with id ${runId}`, { runId });
      if (cur.status !== 'RUNNING') throw new GroveError('CONFLICT', `run ${runId} has already ended (${cur.status})`, { runId, status: cur.status });
      await c.query('UPDATE runs SET status = $1, end_time = $2 WHERE run_id = $3', [status, options.endTime ?? Date.now(), runId]);
      await this.upsert(c, 'tags', ['run_id'], [runId], tags);
      return runInfoFromRow(await this.runRow(c, runId));
    });
  }

  async resumeRun(runId: string): Promise<RunInfo> {
    checkRunId(runId);
    return this.write(async (c) => {
      const cur = await one<{ status: RunStatus }>(c, 'SELECT status FROM runs WHERE run_id = $1 FOR UPDATE', [runId]);
      if (!cur) throw new GroveError('NOT_FOUND', `no run with id ${runId}`, { runId });
      if (cur.status === 'RUNNING') throw new GroveError('CONFLICT', `run ${runId} is still RUNNING; only an ended run can be resumed`, { runId });
      await c.query(`UPDATE runs SET status = 'RUNNING', end_time = NULL, host = $1, pid = $2, heartbeat_time = ${NOW_MS} WHERE run_id = $3`, [currentHost(), process.pid, runId]);
      return runInfoFromRow(await this.runRow(c, runId));
    });
  }

  async heartbeat(runId: string): Promise<void> {
    checkRunId(runId);
    // one statement is its own transaction
    let updated: pg.QueryResult;
    try {
      updated = await this.pool.query(`UPDATE runs SET heartbeat_time = ${NOW_MS} WHERE run_id = $1`, [runId]);
    } catch (err) {
      throw mapPgError(err, this.location);
    }
    if (updated.rowCount === 0) throw new GroveError('NOT_FOUND', `no run with id ${runId}`, { runId });
  }

  async logBatch(runId: string, batch: LogBatch): Promise<void> {
    const b = normalizeBatch(batch);
    checkRunId(runId);
    await this.write(async (c) => {
      await this.requireRun(c, runId);
      if (b.params.length > 0) {
        const keys = b.params.map((p) => p[0]);
        const inserted = await rows<{ key: string }>(
          c,
          `INSERT INTO params (run_id, key, value) SELECT $1, k, v FROM unnest($2::text[], $3::text[]) AS t (k, v)
           ON CONFLICT (run_id, key) DO NOTHING RETURNING key`,
          [runId, keys, b.params.map((p) => p[1])],
        );
        if (inserted.length < keys.length) {
          // keys that were there already: the same value is a no-op, another one a CONFLICT
          const old = await rows<{ key: string; value: string }>(c, 'SELECT key, value FROM params WHERE run_id = $1 AND key = ANY($2::text[])', [runId, keys]);
          const oldValue = new Map(old.map((o) => [o.key, o.value]));
          for (const [k, v] of b.params) {
            const was = oldValue.get(k);
            if (was !== undefined && was !== v && !inserted.some((i) => i.key === k)) {
              throw new GroveError('CONFLICT', `param ${k} of run ${runId} is already ${JSON.stringify(was)}; params are write-once (got ${JSON.stringify(v)})`, { runId, key: k });
            }
          }
        }
      }
      await this.insertMetrics(c, runId, b.metrics);
      await this.upsert(c, 'tags', ['run_id'], [runId], b.tags);
    });
  }

  /** History rows and the latest value per key in one statement (arrays, one round trip). */
  private async insertMetrics(c: Client, runId: string, metrics: Metric[]): Promise<void> {
    if (metrics.length === 0) return;
    const latest = new Map<string, Metric>();
    for (const m of metrics) {
      const cur = latest.get(m.key);
      if (!cur || m.step > cur.step || (m.step === cur.step && m.timestamp >= cur.timestamp)) latest.set(m.key, m);
    }
    // sorted keys: two writers of one run lock the latest rows in the same order (no deadlock)
    const last = [...latest.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    const columns = (list: Metric[]) => [list.map((m) => m.key), list.map((m) => nanToNull(m.value)), list.map((m) => m.step), list.map((m) => m.timestamp)];
    await c.query(
      `WITH history AS (
         INSERT INTO metrics (run_id, key, value, step, timestamp)
         SELECT $1, k, v, s, t FROM unnest($2::text[], $3::float8[], $4::bigint[], $5::bigint[]) AS u (k, v, s, t)
       )
       INSERT INTO latest_metrics (run_id, key, value, step, timestamp)
       SELECT $1, k, v, s, t FROM unnest($6::text[], $7::float8[], $8::bigint[], $9::bigint[]) AS u (k, v, s, t)
       ON CONFLICT (run_id, key) DO UPDATE SET value = excluded.value, step = excluded.step, timestamp = excluded.timestamp
       WHERE excluded.step > latest_metrics.step
          OR (excluded.step = latest_metrics.step AND excluded.timestamp >= latest_metrics.timestamp)`,
      [runId, ...columns(metrics), ...columns(last)],
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
    await this.write(async (c) => {
      await this.requireRun(c, runId);
      const del = await c.query('DELETE FROM tags WHERE run_id = $1 AND key = $2', [runId, key]);
      if (del.rowCount === 0) throw new GroveError('NOT_FOUND', `run ${runId} has no tag ${JSON.stringify(key)}`, { runId, key });
    });
  }

  async getMetricHistory(runId: string, key: string): Promise<Metric[]> {
    return this.read(async (c) => {
      await this.requireRunRead(c, runId);
      const list = await rows<{ key: string; value: number | null; step: number; timestamp: number }>(
        c,
        'SELECT key, value, step, timestamp FROM metrics WHERE run_id = $1 AND key = $2 ORDER BY step, timestamp, seq',
        [runId, key],
      );
      return list.map((r) => ({ key: r.key, value: nullToNan(r.value), step: r.step, timestamp: r.timestamp }));
    });
  }

  async getLatestMetrics(runIds: string[]): Promise<Record<string, Metric[]>> {
    const out: Record<string, Metric[]> = {};
    if (runIds.length === 0) return out;
    return this.read(async (c) => {
      const list = await rows<{ run_id: string; key: string; value: number | null; step: number; timestamp: number }>(
        c,
        'SELECT run_id, key, value, step, timestamp FROM latest_metrics WHERE run_id = ANY($1::text[]) ORDER BY run_id, key',
        [runIds],
      );
      for (const r of list) (out[r.run_id] ??= []).push({ key: r.key, value: nullToNan(r.value), step: r.step, timestamp: r.timestamp });
      return out;
    });
  }

  /** requireRun without a row lock (read-only transactions cannot take one) */
  private async requireRunRead(db: Db, runId: string): Promise<void> {
    checkRunId(runId);
    const found = await db.query('SELECT 1 FROM runs WHERE run_id = $1', [runId]);
    if (found.rowCount === 0) throw new GroveError('NOT_FOUND', `no run with id ${runId}`, { runId });
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
    if (options.experimentIds) scope.push({ text: 'r.experiment_id = ANY(?::bigint[])', params: [options.experimentIds.map(experimentKey)] });
    if (options.parentRunId !== undefined) scope.push({ text: 'r.parent_run_id = ?', params: [options.parentRunId] });
    return this.read(async (c) => {
      const page = async (part: SearchPart, lim: number, off: number): Promise<RunRow[]> => {
        const q = compileSearch(RUN_COLUMNS, clauses, orderBy, scope, part, 'postgres');
        if (!q || lim === 0) return [];
        return rows<RunRow>(c, numberPlaceholders(`${q.text}\nLIMIT ? OFFSET ?`), [...q.params, lim === Infinity ? null : lim, off]);
      };
      if (!splitsOnPrimary(orderBy) || (await this.smallScope(c, scope, clauses))) return this.withData(c, await page('all', limit, offset));
      // runs with a value for the first order key, then those without (they sort last)
      const first = await page('with-primary', limit, offset);
      if (first.length === limit) return this.withData(c, first);
      let skip = 0;
      if (offset > 0 && first.length === 0) {
        const q = compileSearch('COUNT(*) AS n', clauses, orderBy, scope, 'with-primary', 'postgres')!;
        const counted = await one<{ n: number }>(c, numberPlaceholders(q.text.replace(/\nORDER BY [^\n]*$/, '')), q.params);
        skip = Math.max(0, offset - counted!.n);
      }
      return this.withData(c, [...first, ...(await page('without-primary', limit - first.length, skip))]);
    });
  }

  /** Whether the search is confined to few runs (a study's trials, a small experiment, one run). */
  private async smallScope(db: Db, scope: Sql[], clauses: FilterClause[]): Promise<boolean> {
    if (this.smallScopeRuns <= 0) return false;
    if (clauses.some((c) => c.kind === 'attribute' && (c.key === 'run_id' || c.key === 'parent_run_id') && c.op === '=')) return true;
    if (scope.length === 0) return false;
    const where = scope.map((s) => s.text).join(' AND ');
    const counted = await one<{ n: number }>(db, numberPlaceholders(`SELECT COUNT(*) AS n FROM (SELECT 1 FROM runs r WHERE ${where} LIMIT ${this.smallScopeRuns + 1}) s`), scope.flatMap((s) => s.params));
    return counted!.n <= this.smallScopeRuns;
  }

  // ---------- artifacts ----------

  private async artifactRow(db: Db, runId: string, name: string): Promise<ArtifactInfo> {
    await this.requireRunRead(db, runId);
    const row = await one<{ run_id: string; name: string; size: number; sha256: string; created_time: number }>(
      db,
      'SELECT run_id, name, size, sha256, created_time FROM artifacts WHERE run_id = $1 AND name = $2',
      [runId, name],
    );
    if (!row) throw new GroveError('NOT_FOUND', `run ${runId} has no artifact ${JSON.stringify(name)}`, { runId, artifact: name });
    return { runId: row.run_id, name: row.name, size: row.size, sha256: row.sha256, createdTime: row.created_time };
  }

  async logArtifact(runId: string, name: string, given: Uint8Array | ByteChunks): Promise<ArtifactInfo> {
    checkArtifactName(name);
    const bytes = await collectChunks(given, `artifact ${name}`);
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    return this.write(async (c) => {
      await this.requireRun(c, runId);
      const old = await one<{ sha256: string }>(c, 'SELECT sha256 FROM artifacts WHERE run_id = $1 AND name = $2', [runId, name]);
      if (!old) {
        // skip sending the bytes when the blob is already stored (by any run)
        const have = await c.query('SELECT 1 FROM blobs WHERE sha256 = $1', [sha256]);
        if (have.rowCount === 0) await c.query('INSERT INTO blobs (sha256, size, bytes) VALUES ($1, $2, $3) ON CONFLICT (sha256) DO NOTHING', [sha256, buf.length, buf]);
        const added = await c.query('INSERT INTO artifacts (run_id, name, sha256, size, created_time) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (run_id, name) DO NOTHING', [runId, name, sha256, buf.length, Date.now()]);
        if (added.rowCount === 1) return this.artifactRow(c, runId, name);
      }
      const info = await this.artifactRow(c, runId, name);
      if (info.sha256 !== sha256) throw new GroveError('CONFLICT', `run ${runId} already has a different artifact ${JSON.stringify(name)}; artifacts are immutable`, { runId, artifact: name });
      return info;
    });
  }

  async listArtifacts(runId: string): Promise<ArtifactInfo[]> {
    return this.read(async (c) => {
      await this.requireRunRead(c, runId);
      const list = await rows<{ run_id: string; name: string; size: number; sha256: string; created_time: number }>(
        c,
        'SELECT run_id, name, size, sha256, created_time FROM artifacts WHERE run_id = $1 ORDER BY name',
        [runId],
      );
      return list.map((r) => ({ runId: r.run_id, name: r.name, size: r.size, sha256: r.sha256, createdTime: r.created_time }));
    });
  }

  async getArtifactInfo(runId: string, name: string): Promise<ArtifactInfo> {
    return this.read((c) => this.artifactRow(c, runId, name));
  }

  async readArtifact(runId: string, name: string): Promise<Buffer> {
    return this.read(async (c) => {
      const info = await this.artifactRow(c, runId, name);
      return this.blob(c, info.sha256, `artifact ${name} of run ${runId}`);
    });
  }

  private async blob(db: Db, sha256: string, what: string): Promise<Buffer> {
    const row = await one<{ bytes: Buffer }>(db, 'SELECT bytes FROM blobs WHERE sha256 = $1', [sha256]);
    if (!row) throw new GroveError('STORE_ERROR', `${what}: its bytes (sha256 ${sha256}) are missing from ${this.location}`, { sha256 });
    // content addressing makes corruption detectable: check before handing bytes to a loader
    const actual = createHash('sha256').update(row.bytes).digest('hex');
    if (actual !== sha256) throw new GroveError('STORE_ERROR', `${what}: stored bytes do not match their sha256 (${this.location} is damaged)`, { sha256 });
    return row.bytes;
  }

  // ---------- model registry ----------

  private async modelRow(db: Db, name: string, lock = false): Promise<ModelRow> {
    checkModelName(name);
    const row = await one<ModelRow>(db, `SELECT * FROM registered_models WHERE name = $1${lock ? ' FOR UPDATE' : ''}`, [name]);
    if (!row) throw new GroveError('NOT_FOUND', `no registered model named ${JSON.stringify(name)}`, { model: name });
    return row;
  }

  private async modelFromRow(db: Db, row: ModelRow): Promise<RegisteredModel> {
    const tags = await rows<{ key: string; value: string }>(db, 'SELECT key, value FROM registered_model_tags WHERE name = $1 ORDER BY key', [row.name]);
    const latest = await one<{ v: number | null }>(db, 'SELECT MAX(version) AS v FROM model_versions WHERE name = $1', [row.name]);
    const aliases = await rows<{ alias: string; version: number }>(db, 'SELECT alias, version FROM model_aliases WHERE name = $1 ORDER BY alias', [row.name]);
    return {
      name: row.name,
      description: row.description,
      tags: Object.fromEntries(tags.map((t) => [t.key, t.value])),
      createdTime: row.created_time,
      updatedTime: row.updated_time,
      latestVersion: latest!.v,
      aliases: Object.fromEntries(aliases.map((a) => [a.alias, a.version])),
    };
  }

  private async versionFromRow(db: Db, row: VersionRow): Promise<ModelVersion> {
    const tags = await rows<{ key: string; value: string }>(db, 'SELECT key, value FROM model_version_tags WHERE name = $1 AND version = $2 ORDER BY key', [row.name, row.version]);
    const aliases = await rows<{ alias: string }>(db, 'SELECT alias FROM model_aliases WHERE name = $1 AND version = $2 ORDER BY alias', [row.name, row.version]);
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

  private async versionRow(db: Db, name: string, version: number, lockModel = false): Promise<VersionRow> {
    await this.modelRow(db, name, lockModel);
    checkVersion(version);
    const row = await one<VersionRow>(db, `${VERSION_SELECT} WHERE v.name = $1 AND v.version = $2`, [name, version]);
    if (!row) throw new GroveError('NOT_FOUND', `model ${name} has no version ${version}`, { model: name, version });
    return row;
  }

  async createRegisteredModel(name: string, options: { description?: string; tags?: Tags } = {}): Promise<RegisteredModel> {
    checkModelName(name);
    const tags = checkTags(options.tags);
    return this.write(async (c) => {
      const now = Date.now();
      const row = await one<ModelRow>(
        c,
        'INSERT INTO registered_models (name, description, created_time, updated_time) VALUES ($1, $2, $3, $3) ON CONFLICT (name) DO NOTHING RETURNING *',
        [name, options.description ?? '', now],
      );
      if (!row) throw new GroveError('CONFLICT', `registered model ${JSON.stringify(name)} already exists`, { model: name });
      await this.upsert(c, 'registered_model_tags', ['name'], [name], tags);
      return this.modelFromRow(c, row);
    });
  }

  async getRegisteredModel(name: string): Promise<RegisteredModel> {
    return this.read(async (c) => this.modelFromRow(c, await this.modelRow(c, name)));
  }

  async listRegisteredModels(): Promise<RegisteredModel[]> {
    return this.read(async (c) => {
      const list = await rows<ModelRow>(c, 'SELECT * FROM registered_models ORDER BY name');
      const out: RegisteredModel[] = [];
      for (const r of list) out.push(await this.modelFromRow(c, r));
      return out;
    });
  }

  async createModelVersion(name: string, options: CreateModelVersionOptions): Promise<ModelVersion> {
    checkModelName(name);
    const artifact = checkArtifactName(options.artifact ?? 'model');
    const tags = checkTags(options.tags);
    return this.write(async (c) => {
      await this.artifactRow(c, options.runId, artifact);
      const now = Date.now();
      await c.query("INSERT INTO registered_models (name, description, created_time, updated_time) VALUES ($1, '', $2, $2) ON CONFLICT (name) DO NOTHING", [name, now]);
      // the model's row lock serialises version numbering; after it, MAX sees every committed version
      await this.modelRow(c, name, true);
      const { v } = (await one<{ v: number }>(c, 'SELECT COALESCE(MAX(version), 0) + 1 AS v FROM model_versions WHERE name = $1', [name]))!;
      await c.query('INSERT INTO model_versions (name, version, run_id, artifact, created_time, description) VALUES ($1, $2, $3, $4, $5, $6)', [
        name,
        v,
        options.runId,
        artifact,
        now,
        options.description ?? '',
      ]);
      if (tags.length > 0) {
        await c.query(
          'INSERT INTO model_version_tags (name, version, key, value) SELECT $1, $2, k, val FROM unnest($3::text[], $4::text[]) AS t (k, val)',
          [name, v, tags.map((t) => t[0]), tags.map((t) => t[1])],
        );
      }
      await c.query('UPDATE registered_models SET updated_time = $1 WHERE name = $2', [now, name]);
      return this.versionFromRow(c, await this.versionRow(c, name, v));
    });
  }

  async getModelVersion(name: string, version: number): Promise<ModelVersion> {
    return this.read(async (c) => this.versionFromRow(c, await this.versionRow(c, name, version)));
  }

  async getLatestModelVersion(name: string): Promise<ModelVersion> {
    return this.read(async (c) => {
      await this.modelRow(c, name);
      const latest = await one<{ v: number | null }>(c, 'SELECT MAX(version) AS v FROM model_versions WHERE name = $1', [name]);
      if (latest!.v === null) throw new GroveError('NOT_FOUND', `model ${name} has no versions yet`, { model: name });
      return this.versionFromRow(c, await this.versionRow(c, name, latest!.v));
    });
  }

  async listModelVersions(name: string): Promise<ModelVersion[]> {
    return this.read(async (c) => {
      await this.modelRow(c, name);
      const list = await rows<VersionRow>(c, `${VERSION_SELECT} WHERE v.name = $1 ORDER BY v.version`, [name]);
      const out: ModelVersion[] = [];
      for (const r of list) out.push(await this.versionFromRow(c, r));
      return out;
    });
  }

  async updateModelVersion(name: string, version: number, update: { description?: string; tags?: Tags }): Promise<ModelVersion> {
    const tags = checkTags(update.tags);
    if (update.description !== undefined && typeof update.description !== 'string') {
      throw new GroveError('INVALID_OPTION', 'description must be a string', { model: name, version });
    }
    return this.write(async (c) => {
      await this.versionRow(c, name, version, true);
      if (update.description !== undefined) await c.query('UPDATE model_versions SET description = $1 WHERE name = $2 AND version = $3', [update.description, name, version]);
      if (tags.length > 0) {
        await c.query(
          `INSERT INTO model_version_tags (name, version, key, value) SELECT $1, $2, k, val FROM unnest($3::text[], $4::text[]) AS t (k, val)
           ON CONFLICT (name, version, key) DO UPDATE SET value = excluded.value`,
          [name, version, tags.map((t) => t[0]), tags.map((t) => t[1])],
        );
      }
      await c.query('UPDATE registered_models SET updated_time = $1 WHERE name = $2', [Date.now(), name]);
      return this.versionFromRow(c, await this.versionRow(c, name, version));
    });
  }

  private async recordAlias(c: Client, name: string, alias: string, oldVersion: number | null, newVersion: number | null): Promise<AliasChange> {
    const time = Date.now();
    await c.query('INSERT INTO alias_history (name, alias, old_version, new_version, time, who) VALUES ($1, $2, $3, $4, $5, $6)', [name, alias, oldVersion, newVersion, time, this.who]);
    await c.query('UPDATE registered_models SET updated_time = $1 WHERE name = $2', [time, name]);
    return { name, alias, oldVersion, newVersion, time, who: this.who };
  }

  async setAlias(name: string, alias: string, version: number): Promise<AliasChange> {
    checkAlias(alias);
    return this.write(async (c) => {
      // the model's row lock orders alias moves, so the history chains without gaps
      await this.versionRow(c, name, version, true);
      const old = await one<{ version: number }>(c, 'SELECT version FROM model_aliases WHERE name = $1 AND alias = $2', [name, alias]);
      if (old?.version === version) {
        // nothing moves, so nothing is recorded
        return { name, alias, oldVersion: version, newVersion: version, time: Date.now(), who: this.who };
      }
      await c.query('INSERT INTO model_aliases (name, alias, version) VALUES ($1, $2, $3) ON CONFLICT (name, alias) DO UPDATE SET version = excluded.version', [name, alias, version]);
      return this.recordAlias(c, name, alias, old?.version ?? null, version);
    });
  }

  async deleteAlias(name: string, alias: string): Promise<AliasChange> {
    return this.write(async (c) => {
      await this.modelRow(c, name, true);
      const old = await one<{ version: number }>(c, 'DELETE FROM model_aliases WHERE name = $1 AND alias = $2 RETURNING version', [name, alias]);
      if (!old) throw new GroveError('NOT_FOUND', `model ${name} has no alias ${JSON.stringify(alias)}`, { model: name, alias });
      return this.recordAlias(c, name, alias, old.version, null);
    });
  }

  async getModelVersionByAlias(name: string, alias: string): Promise<ModelVersion> {
    return this.read(async (c) => {
      await this.modelRow(c, name);
      const row = await one<{ version: number }>(c, 'SELECT version FROM model_aliases WHERE name = $1 AND alias = $2', [name, alias]);
      if (!row) {
        const known = (await rows<{ alias: string }>(c, 'SELECT alias FROM model_aliases WHERE name = $1 ORDER BY alias', [name])).map((a) => a.alias);
        throw new GroveError('NOT_FOUND', `model ${name} has no alias ${JSON.stringify(alias)} (aliases: ${known.length ? known.join(', ') : 'none'})`, { model: name, alias });
      }
      return this.versionFromRow(c, await this.versionRow(c, name, row.version));
    });
  }

  async getAliasHistory(name: string, alias?: string): Promise<AliasChange[]> {
    return this.read(async (c) => {
      await this.modelRow(c, name);
      const list =
        alias === undefined
          ? await rows<HistoryRow>(c, 'SELECT * FROM alias_history WHERE name = $1 ORDER BY id', [name])
          : await rows<HistoryRow>(c, 'SELECT * FROM alias_history WHERE name = $1 AND alias = $2 ORDER BY id', [name, alias]);
      return list.map((r) => ({ name: r.name, alias: r.alias, oldVersion: r.old_version, newVersion: r.new_version, time: r.time, who: r.who }));
    });
  }

  async *readArtifactChunks(runId: string, name: string): AsyncIterable<Buffer> {
    yield await this.readArtifact(runId, name);
  }

  async *readModelVersionChunks(name: string, version: number): AsyncIterable<Buffer> {
    yield await this.readModelVersionBytes(name, version);
  }

  async readModelVersionBytes(name: string, version: number): Promise<Buffer> {
    return this.read(async (c) => {
      const v = await this.versionRow(c, name, version);
      return this.blob(c, v.sha256, `model ${name} version ${version}`);
    });
  }
}
