// grove server (the MLflow REST API) benchmarks, in process over a SQLite file, one client
// connection with keep-alive: what one MLflow client logging a run sees. Prints one JSON line.
// The API's cost is compared with the store calls behind it, measured in the same run.
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent, createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startMlflowServer } from '../src/mlflow/server.js';
import { SqliteStore } from '../src/track/sqlite-store.js';
import { median } from './lib/stats.js';

const quick = !!process.env.BENCH_QUICK;
const N_LOG = quick ? 300 : 2000;
const N_RUNS = quick ? 200 : 1000;
const STEPS = 10;
const REPEATS = quick ? 3 : 5;

const dir = mkdtempSync(join(tmpdir(), 'grove-bench-mlflow-'));
const store = SqliteStore.open(join(dir, 'grove.db'));
const server = await startMlflowServer(store, { port: 0 });
const api = `${server.url}/api/2.0/mlflow`;

// node:http with a keep-alive agent: fetch (undici) adds several ms per call on this machine,
// which would hide the server's own cost
const agent = new Agent({ keepAlive: true, maxSockets: 1 });

function send(url: string, method: string, body?: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, agent, headers: body === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function post(path: string, body: unknown): Promise<any> {
  const r = await send(`${api}/${path}`, 'POST', JSON.stringify(body));
  if (r.status !== 200) throw new Error(`${path}: ${r.text}`);
  return JSON.parse(r.text);
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

const { experiment_id } = await post('experiments/create', { name: 'bench' });
const runId = (await post('runs/create', { experiment_id })).run.info.run_id;

// the floor: a bare node:http server answering {} to the same client, in the same process
const bare = createServer((req, res) => {
  req.resume();
  req.on('end', () => res.writeHead(200, { 'content-type': 'application/json', 'content-length': 2 }).end('{}'));
});
await new Promise<void>((resolve) => bare.listen(0, '127.0.0.1', () => resolve()));
const bareUrl = `http://127.0.0.1:${(bare.address() as AddressInfo).port}/`;
const bareMs = await timed(async () => {
  for (let i = 0; i < N_LOG; i++) await send(bareUrl, 'POST', JSON.stringify({ run_id: runId, key: 'loss', value: 1, timestamp: i, step: i }));
});
bare.close();

// one metric per request, as mlflow.log_metric sends them
const logMs = await timed(async () => {
  for (let i = 0; i < N_LOG; i++) await post('runs/log-metric', { run_id: runId, key: 'loss', value: Math.sin(i), timestamp: i, step: i });
});
const storeRun = await store.createRun({ experimentId: experiment_id });
const storeLogMs = await timed(async () => {
  for (let i = 0; i < N_LOG; i++) await store.logMetric(storeRun.runId, 'loss', Math.sin(i), i, i);
});

// 100 metrics per request, as mlflow.log_metrics / autologging batch them
const batchMs = await timed(async () => {
  for (let i = 0; i < N_LOG / 10; i++) {
    await post('runs/log-batch', { run_id: runId, metrics: Array.from({ length: 100 }, (_, k) => ({ key: `m${k % 10}`, value: k, timestamp: i, step: i * 10 + Math.floor(k / 10) })) });
  }
});

// a search page over an experiment of N_RUNS runs with 3 metrics of STEPS steps each
const { experiment_id: searchExp } = await post('experiments/create', { name: 'search' });
for (let r = 0; r < N_RUNS; r++) {
  const run = await store.createRun({ experimentId: searchExp, startTime: 1000 + r });
  const metrics = [];
  for (let s = 0; s < STEPS; s++) for (const key of ['rmse', 'mae', 'r2']) metrics.push({ key, value: Math.cos(r + s), step: s, timestamp: s });
  await store.logBatch(run.runId, { metrics, params: { max_depth: String(r % 10) } });
}
const searchBody = { experiment_ids: [searchExp], filter: "params.max_depth != '3'", order_by: ['metrics.rmse ASC'], max_results: 100 };
const apiSearch: number[] = [];
const storeSearch: number[] = [];
for (let i = 0; i < REPEATS; i++) {
  apiSearch.push(await timed(() => post('runs/search', searchBody)));
  storeSearch.push(await timed(() => store.searchRuns({ experimentIds: [searchExp], filter: searchBody.filter, orderBy: searchBody.order_by, limit: 100 })));
}

await server.close();
agent.destroy();
await store.close();
rmSync(dir, { recursive: true, force: true });

const round = (x: number | null, d = 2) => (x === null ? null : Number(x.toFixed(d)));
process.stdout.write(
  JSON.stringify({
    bare_http_requests_per_s: Math.round(N_LOG / (bareMs / 1000)),
    log_metric_requests_per_s: Math.round(N_LOG / (logMs / 1000)),
    store_log_metric_per_s: Math.round(N_LOG / (storeLogMs / 1000)),
    log_batch_metrics_per_s: Math.round((N_LOG * 10) / (batchMs / 1000)),
    search_runs: N_RUNS,
    search_page_100_ms_median: round(median(apiSearch)),
    store_search_page_100_ms_median: round(median(storeSearch)),
    note: 'one keep-alive connection, in process, SQLite; a search page reads runs, then their latest metric entries (step, timestamp) in one more query',
  }) + '\n',
);
