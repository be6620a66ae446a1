// Tracking store benchmarks: metric logging throughput and run search over 100,000 runs.
// Prints one JSON line. Targets (issue 4): > 100,000 metrics/s; search < 200 ms.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import Database from 'better-sqlite3';
import { SqliteStore } from '../src/track/sqlite-store.js';
import { newRunId } from '../src/track/validate.js';

const dir = mkdtempSync(join(tmpdir(), 'grove-bench-track-'));
const N_METRICS = 10_000;
const N_RUNS = Number(process.env.GROVE_BENCH_RUNS ?? 100_000);

async function metricsPerSecond(batch: number): Promise<number> {
  const store = SqliteStore.open(join(dir, `metrics-${batch}.db`));
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

let studyId = '';

/** Fills a store with N runs straight through SQL (the API would take minutes; the search is what we measure). */
function populate(path: string): void {
  SqliteStore.open(path).close();
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  // a big page cache keeps the one large transaction from spilling pages to the WAL repeatedly
  db.pragma('cache_size = -400000');
  const now = Date.now();
  db.transaction(() => {
    db.prepare("INSERT INTO experiments (name, created_time) VALUES ('bench', ?)").run(now);
    const run = db.prepare(
      "INSERT INTO runs (run_id, experiment_id, run_name, status, start_time, end_time, parent_run_id, data_fingerprint, host, pid, heartbeat_time) VALUES (?, 1, ?, ?, ?, ?, ?, NULL, 'bench', 1, ?)",
    );
    const param = db.prepare('INSERT INTO params (run_id, key, value) VALUES (?, ?, ?)');
    const metric = db.prepare('INSERT INTO metrics (run_id, key, value, step, timestamp) VALUES (?, ?, ?, 0, ?)');
    const latest = db.prepare('INSERT INTO latest_metrics (run_id, key, value, step, timestamp) VALUES (?, ?, ?, 0, ?)');
    const tag = db.prepare('INSERT INTO tags (run_id, key, value) VALUES (?, ?, ?)');
    let seed = 42;
    const rand = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
    // the last 100 runs are the trials of one study (a parent run)
    const study = newRunId();
    studyId = study;
    run.run(study, 'study', 'FINISHED', now - N_RUNS * 1000 - 1, now, null, now);
    for (let i = 0; i < N_RUNS; i++) {
      const id = newRunId();
      const t = now - (N_RUNS - i) * 1000;
      run.run(id, `run-${i}`, i % 10 === 0 ? 'FAILED' : 'FINISHED', t, t + 500, i >= N_RUNS - 100 ? study : null, t + 500);
      param.run(id, 'max_depth', String(2 + (i % 19)));
      param.run(id, 'n_estimators', String(10 + (i % 191)));
      param.run(id, 'max_features', ['all', 'sqrt', '0.5', '0.33'][i % 4]);
      const rmse = 50 + rand() * 20;
      for (const [k, v] of [
        ['rmse', rmse],
        ['r2', 1 - rmse / 100],
      ] as const) {
        metric.run(id, k, v, t);
        latest.run(id, k, v, t);
      }
      tag.run(id, 'stage', i % 3 === 0 ? 'dev' : 'prod');
    }
  }).immediate();
  db.pragma('optimize');
  db.close();
}

async function timeQuery(store: SqliteStore, options: Parameters<SqliteStore['searchRuns']>[0], expect?: number): Promise<number> {
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

/** Median of 5 rounds after a warm-up round (JIT), as in a long tuning session. */
async function medianRate(batch: number): Promise<number> {
  await metricsPerSecond(batch);
  const rates: number[] = [];
  for (let i = 0; i < 5; i++) rates.push(await metricsPerSecond(batch));
  return rates.sort((a, b) => a - b)[2];
}

/** The whole `grove runs list` command in a new process, startup included (median of 3). */
function cliTime(dbPath: string, filter: string): number {
  const bin = new URL('../bin/grove.js', import.meta.url).pathname;
  const times: number[] = [];
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    const r = spawnSync(process.execPath, [bin, 'runs', 'list', '--filter', filter, '--order-by', 'metrics.rmse', '--limit', '20', '--json', '--tracking-uri', dbPath], { encoding: 'utf8' });
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

const batch1000 = await medianRate(1000);
const batch100 = await medianRate(100);
const path = process.env.GROVE_BENCH_KEEP ?? join(dir, 'runs.db');
const t0 = performance.now();
populate(path);
const populateS = Math.round((performance.now() - t0) / 100) / 10;
const store = SqliteStore.open(path);
const filter = "metrics.rmse < 60 and params.max_depth = '8' and tags.stage != 'dev' and status = 'FINISHED'";
const result = {
  bench: 'track',
  metrics_per_s_batch_1000: batch1000,
  metrics_per_s_batch_100: batch100,
  runs: N_RUNS,
  populate_s: populateS,
  search_filter_order_limit20_ms: await timeQuery(store, { filter, orderBy: ['metrics.rmse ASC'], limit: 20 }, 20),
  search_order_only_limit20_ms: await timeQuery(store, { orderBy: ['metrics.rmse DESC'], limit: 20 }, 20),
  search_newest_limit100_ms: await timeQuery(store, {}, 100),
  search_study_best20_ms: await timeQuery(store, { parentRunId: studyId, orderBy: ['metrics.rmse ASC'], limit: 20 }, 20),
  search_param_order_limit20_ms: await timeQuery(store, { filter: "params.max_features = 'sqrt'", orderBy: ['params.n_estimators DESC'], limit: 20 }, 20),
  cli_runs_list_ms: cliTime(path, filter),
  // the part of cli_runs_list_ms that is starting node + tsx + the CLI, without any store work
  cli_startup_ms: cliStartup(),
  filter,
};
await store.close();
rmSync(dir, { recursive: true, force: true });
process.stdout.write(JSON.stringify(result) + '\n');
