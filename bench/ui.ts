// Dashboard benchmarks. Prints one JSON line. Targets (issue 8): an API page of 50 runs sorted
// by a metric over 100,000 runs < 100 ms; first meaningful paint of the runs page of an
// experiment with 10,000 runs < 1 s in headless Chromium.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { SqliteStore } from '../src/track/sqlite-store.js';
import { newRunId } from '../src/track/validate.js';
import { startUiServer } from '../src/ui/server.js';

const CHROMIUM = '/usr/bin/chromium';
const N_API = Number(process.env.GROVE_BENCH_UI_RUNS ?? 100_000);
const N_PAGE = Number(process.env.GROVE_BENCH_UI_PAGE_RUNS ?? 10_000);
const dir = mkdtempSync(join(tmpdir(), 'grove-bench-ui-'));

/** n runs with three params, two metrics and a tag, straight through SQL (the API would take minutes). */
function populate(path: string, n: number): void {
  SqliteStore.open(path).close();
  const db = new Database(path);
  db.pragma('cache_size = -400000');
  const now = Date.now();
  db.transaction(() => {
    db.prepare("INSERT INTO experiments (name, created_time) VALUES ('bench', ?)").run(now - n * 1000);
    const run = db.prepare(
      "INSERT INTO runs (run_id, experiment_id, run_name, status, start_time, end_time, parent_run_id, data_fingerprint, host, pid, heartbeat_time) VALUES (?, 1, ?, 'FINISHED', ?, ?, NULL, NULL, 'bench', 1, ?)",
    );
    const param = db.prepare('INSERT INTO params (run_id, key, value) VALUES (?, ?, ?)');
    const metric = db.prepare('INSERT INTO metrics (run_id, key, value, step, timestamp) VALUES (?, ?, ?, 0, ?)');
    const latest = db.prepare('INSERT INTO latest_metrics (run_id, key, value, step, timestamp) VALUES (?, ?, ?, 0, ?)');
    const tag = db.prepare('INSERT INTO tags (run_id, key, value) VALUES (?, ?, ?)');
    let seed = 7;
    const rand = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
    for (let i = 0; i < n; i++) {
      const id = newRunId();
      const t = now - (n - i) * 1000;
      run.run(id, `run-${i}`, t, t + 500, t + 500);
      param.run(id, 'max_depth', String(2 + (i % 19)));
      param.run(id, 'n_estimators', String(10 + (i % 191)));
      param.run(id, 'max_features', ['all', 'sqrt', '0.5', '0.33'][i % 4]);
      const rmse = 50 + rand() * 20;
      for (const [k, v] of [
        ['val_rmse', rmse],
        ['val_r2', 1 - rmse / 100],
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

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function timeGet(url: string, times = 9): Promise<number> {
  const ms: number[] = [];
  for (let i = 0; i < times + 1; i++) {
    const t0 = performance.now();
    const res = await fetch(url);
    await res.arrayBuffer();
    if (res.status !== 200) throw new Error(`${url}: ${res.status}`);
    if (i > 0) ms.push(performance.now() - t0); // the first request warms the cache
  }
  return median(ms);
}

async function apiRows(): Promise<Record<string, number>> {
  const path = join(dir, 'api.db');
  const t0 = performance.now();
  populate(path, N_API);
  const fillS = (performance.now() - t0) / 1000;
  const store = SqliteStore.open(path, { create: false });
  const ui = await startUiServer(store, { port: 0 });
  try {
    const runs = `${ui.url}/api/experiments/1/runs`;
    return {
      api_runs: N_API,
      api_fill_s: Number(fillS.toFixed(1)),
      api_page_sorted_by_metric_ms: Number((await timeGet(`${runs}?limit=50&order_by=${encodeURIComponent('metrics.val_rmse ASC')}`)).toFixed(1)),
      api_page_sorted_by_metric_desc_offset_1000_ms: Number((await timeGet(`${runs}?limit=50&offset=1000&order_by=${encodeURIComponent('metrics.val_rmse DESC')}`)).toFixed(1)),
      api_page_newest_ms: Number((await timeGet(`${runs}?limit=50`)).toFixed(1)),
      api_page_filtered_ms: Number(
        (await timeGet(`${runs}?limit=50&filter=${encodeURIComponent("metrics.val_rmse < 55 and params.max_depth = '8'")}&order_by=${encodeURIComponent('metrics.val_rmse ASC')}`)).toFixed(1),
      ),
      api_experiments_ms: Number((await timeGet(`${ui.url}/api/experiments`, 5)).toFixed(1)),
    };
  } finally {
    await ui.close();
    await store.close();
  }
}

async function firstPaint(): Promise<Record<string, number | string>> {
  if (!existsSync(CHROMIUM)) return { page_skipped: `${CHROMIUM} is missing` };
  const path = join(dir, 'page.db');
  populate(path, N_PAGE);
  const store = SqliteStore.open(path, { create: false });
  const ui = await startUiServer(store, { port: 0 });
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    // the moment the runs table is in the document, on the page's own clock (0 = navigation start)
    await page.addInitScript(() => {
      const w = window as unknown as { __fmp?: number };
      new MutationObserver((_, obs) => {
        if (document.querySelector('#runs tbody tr')) {
          w.__fmp = performance.now();
          obs.disconnect();
        }
      }).observe(document, { childList: true, subtree: true });
    });
    const samples: number[] = [];
    for (let i = 0; i < 6; i++) {
      await page.goto('about:blank');
      await page.goto(`${ui.url}/#/experiments/1?order=${encodeURIComponent('metrics.`val_rmse` ASC')}`);
      await page.waitForFunction(() => (window as unknown as { __fmp?: number }).__fmp !== undefined);
      if (i > 0) samples.push(await page.evaluate(() => (window as unknown as { __fmp: number }).__fmp)); // the first load warms the caches
    }
    return { page_runs: N_PAGE, page_first_meaningful_paint_ms: Math.round(median(samples)) };
  } finally {
    await browser.close();
    await ui.close();
    await store.close();
  }
}

try {
  const api = await apiRows();
  const page = await firstPaint();
  console.log(JSON.stringify({ bench: 'ui', ...api, ...page, targets: { api_page_sorted_by_metric_ms: 100, page_first_meaningful_paint_ms: 1000 } }));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
