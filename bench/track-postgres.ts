// Tracking store benchmarks on PostgreSQL: metric logging throughput and run search over
// 100,000 runs, the same rows as bench/track.ts (SQLite). Prints one JSON line.
// The server: GROVE_BENCH_POSTGRES_URL (default postgres://postgres@127.0.0.1:5432/test); every
// part runs in its own schema, dropped at the end (GROVE_BENCH_KEEP=1 keeps the 100,000 runs
// and names their schema on stderr, for EXPLAIN).
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { PostgresStore } from '../src/track/postgres-store.js';

const URL_ = process.env.GROVE_BENCH_POSTGRES_URL || 'postgres://postgres@127.0.0.1:5432/test';
const N_METRICS = 10_000;
const N_RUNS = Number(process.env.GROVE_BENCH_RUNS ?? 100_000);
const prefix = `grove_bench_${randomBytes(4).toString('hex')}`;
const schemas: string[] = [];
const admin = new pg.Pool({ connectionString: URL_, max: 1 });

async function open(name: string): Promise<PostgresStore> {
  const schema = `${prefix}_${name}`;
  schemas.push(schema);
  return PostgresStore.open(URL_, { schema });
}

async function metricsPerSecond(batch: number, round: number): Promise<number> {
  const store = await open(`m${batch}_${round}`);
  const exp = await store.getOrCreateExperiment('bench');
  const run = await store.createRun({ experimentId: exp.experimentId });
  const t0 = performance.now();
  for (let i = 0; i < N_METRICS; i += batch) {
    const metrics = [];
    for (let k = i; k < Math.min(i + batch, N_METRICS); k++) metrics.push({ key: `m${k % 10}`, value: Math.sin(k), step: Math.floor(k / 10) });
    await store.logBatch(run.runId, { metrics });
  }
  const s = (performance.now() - t0) / 1000;
  await store.close();
  return Math.round(N_METRICS / s);
}

/** Median of 5 rounds after a warm-up round. */
async function medianRate(batch: number): Promise<number> {
  await metricsPerSecond(batch, 0);
  const rates: number[] = [];
  for (let i = 1; i <= 5; i++) rates.push(await metricsPerSecond(batch, i));
  return rates.sort((a, b) => a - b)[2];
}

let studyId = '';

/** Fills the schema with N runs generated inside the server (the API would take minutes; the search is what we measure). */
async function populate(schema: string): Promise<void> {
  const c = await admin.connect();
  try {
    await c.query(`SET search_path = "${schema}"`);
    await c.query('BEGIN');
    const now = Date.now();
    await c.query("INSERT INTO experiments (name, created_time) VALUES ('bench', $1)", [now]);
    studyId = randomBytes(16).toString('hex');
    await c.query("INSERT INTO runs (run_id, experiment_id, run_name, status, start_time, end_time, host, pid, heartbeat_time) VALUES ($1, 1, 'study', 'FINISHED', $2, $3, 'bench', 1, $3)", [
      studyId,
      now - N_RUNS * 1000 - 1,
      now,
    ]);
    await c.query('SELECT setseed(0.42)');
    // the last 100 runs are the trials of one study (a parent run)
    await c.query(
      `CREATE TEMP TABLE b ON COMMIT DROP AS
       SELECT i, md5('bench-run-' || i) AS id, $1::bigint - ($2::bigint - i) * 1000 AS t, 50 + random() * 20 AS rmse
       FROM generate_series(0, $2::bigint - 1) AS i`,
      [now, N_RUNS],
    );
    await c.query(
      `INSERT INTO runs (run_id, experiment_id, run_name, status, start_time, end_time, parent_run_id, host, pid, heartbeat_time)
       SELECT id, 1, 'run-' || i, CASE WHEN i % 10 = 0 THEN 'FAILED' ELSE 'FINISHED' END, t, t + 500, CASE WHEN i >= $1::bigint - 100 THEN $2 END, 'bench', 1, t + 500
       FROM b ORDER BY i`,
      [N_RUNS, studyId],
    );
    await c.query(`INSERT INTO params (run_id, key, value)
      SELECT id, 'max_depth', (2 + i % 19)::text FROM b
      UNION ALL SELECT id, 'n_estimators', (10 + i % 191)::text FROM b
      UNION ALL SELECT id, 'max_features', (ARRAY['all', 'sqrt', '0.5', '0.33'])[i % 4 + 1] FROM b`);
    for (const table of ['metrics', 'latest_metrics']) {
      await c.query(`INSERT INTO ${table} (run_id, key, value, step, timestamp)
        SELECT id, 'rmse', rmse, 0, t FROM b UNION ALL SELECT id, 'r2', 1 - rmse / 100, 0, t FROM b`);
    }
    await c.query("INSERT INTO tags (run_id, key, value) SELECT id, 'stage', CASE WHEN i % 3 = 0 THEN 'dev' ELSE 'prod' END FROM b");
    await c.query('COMMIT');
    await c.query('ANALYZE');
  } finally {
    c.release();
  }
}

async function timeQuery(store: PostgresStore, options: Parameters<PostgresStore['searchRuns']>[0], expect?: number): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < 7; i++) {
    const t0 = performance.now();
    const runs = await store.searchRuns(options);
    times.push(performance.now() - t0);
    if (expect !== undefined && N_RUNS >= 10_000 && runs.length !== expect) throw new Error(`expected ${expect} runs, got ${runs.length}`);
  }
  times.sort((a, b) => a - b);
  return Math.round(times[3] * 10) / 10;
}

/** The whole `grove runs list` command in a new process, startup included (median of 3). */
function cliTime(uri: string, filter: string): number {
  const bin = new URL('../bin/grove.js', import.meta.url).pathname;
  const times: number[] = [];
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    const r = spawnSync(process.execPath, [bin, 'runs', 'list', '--filter', filter, '--order-by', 'metrics.rmse', '--limit', '20', '--json', '--tracking-uri', uri], { encoding: 'utf8' });
    times.push(performance.now() - t0);
    if (r.status !== 0 || !Array.isArray(JSON.parse(r.stdout))) throw new Error(`grove runs list failed: ${r.stderr}`);
  }
  return Math.round(times.sort((a, b) => a - b)[1]);
}

function cliStartup(): number {
  const bin = new URL('../bin/grove.js', import.meta.url).pathname;
  const times: number[] = [];
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    spawnSync(process.execPath, [bin, '--version']);
    times.push(performance.now() - t0);
  }
  return Math.round(times.sort((a, b) => a - b)[1]);
}

try {
  const batch1000 = await medianRate(1000);
  const batch100 = await medianRate(100);
  const store = await open('runs');
  const t0 = performance.now();
  await populate(store.schema!);
  const populateS = Math.round((performance.now() - t0) / 100) / 10;
  const filter = "metrics.rmse < 60 and params.max_depth = '8' and tags.stage != 'dev' and status = 'FINISHED'";
  const result = {
    bench: 'track-postgres',
    metrics_per_s_batch_1000: batch1000,
    metrics_per_s_batch_100: batch100,
    runs: N_RUNS,
    populate_s: populateS,
    search_filter_order_limit20_ms: await timeQuery(store, { filter, orderBy: ['metrics.rmse ASC'], limit: 20 }, 20),
    search_order_only_limit20_ms: await timeQuery(store, { orderBy: ['metrics.rmse DESC'], limit: 20 }, 20),
    search_newest_limit100_ms: await timeQuery(store, {}, 100),
    search_study_best20_ms: await timeQuery(store, { parentRunId: studyId, orderBy: ['metrics.rmse ASC'], limit: 20 }, 20),
    search_param_order_limit20_ms: await timeQuery(store, { filter: "params.max_features = 'sqrt'", orderBy: ['params.n_estimators DESC'], limit: 20 }, 20),
    cli_runs_list_ms: cliTime(`${URL_}${URL_.includes('?') ? '&' : '?'}schema=${store.schema}`, filter),
    // the part of cli_runs_list_ms that is starting node + tsx + the CLI, without any store work
    cli_startup_ms: cliStartup(),
    filter,
  };
  await store.close();
  if (process.env.GROVE_BENCH_KEEP) {
    schemas.splice(schemas.indexOf(store.schema!), 1);
    process.stderr.write(`kept the runs in schema ${store.schema}\n`);
  }
  process.stdout.write(JSON.stringify(result) + '\n');
} finally {
  for (const s of schemas) await admin.query(`DROP SCHEMA IF EXISTS "${s}" CASCADE`);
  await admin.end();
}
