// Native work runs off the event loop, and the addon is safe in worker threads.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { RandomForestRegressor } from '../../src/index.js';
import { friedman } from '../helpers/datasets.js';

test('an async fit and predict keep a timer ticking', async () => {
  const d = friedman(20000, 3);
  let ticks = 0;
  const timer = setInterval(() => ticks++, 5);
  const started = performance.now();
  const m = await new RandomForestRegressor({ nEstimators: 60, threads: 1, splitMode: 'exact' }).fit(d.X, d.y);
  await m.predict(d.X);
  const elapsed = performance.now() - started;
  clearInterval(timer);
  // a blocked loop would tick at most once or twice; a free one about elapsed / 5 times
  assert.ok(elapsed > 100, `fit too fast to judge (${elapsed} ms)`);
  assert.ok(ticks >= Math.min(10, elapsed / 20), `only ${ticks} ticks in ${elapsed.toFixed(0)} ms`);
});

test('fitting from two piscina workers at once, then destroying the pool, exits cleanly', () => {
  const main = fileURLToPath(new URL('./fixtures/pool-main.ts', import.meta.url));
  const r = spawnSync(process.execPath, ['--import', 'tsx', main], { encoding: 'utf8', timeout: 120_000 });
  assert.equal(r.signal, null, `killed by ${r.signal}: ${r.stderr}`);
  assert.equal(r.status, 0, r.stderr);
  const results = JSON.parse(r.stdout) as { backend: string; nodes: number; first: number }[];
  assert.equal(results.length, 2);
  for (const x of results) {
    assert.equal(x.backend, 'native');
    assert.ok(x.nodes > 100 && Number.isFinite(x.first));
  }
});

test('concurrent async fits give the same forests as sequential ones', async () => {
  const d = friedman(3000, 4);
  const params = { nEstimators: 10, threads: 1, seed: 4 };
  const [a, b] = await Promise.all([new RandomForestRegressor(params).fit(d.X, d.y), new RandomForestRegressor(params).fit(d.X, d.y)]);
  const c = await new RandomForestRegressor(params).fit(d.X, d.y);
  assert.deepEqual(a.forest.threshold, c.forest.threshold);
  assert.deepEqual(b.forest.threshold, c.forest.threshold);
});

test('a fit stops before its next tree once its cancel flag is set', async () => {
  const d = friedman(3000, 5);
  for (const backend of ['native', 'js'] as const) {
    const cancel = new Int32Array(new SharedArrayBuffer(4));
    Atomics.store(cancel, 0, 1);
    await assert.rejects(new RandomForestRegressor({ nEstimators: 5, backend }).fit(d.X, d.y, { cancel }), /cancelled/);
  }
  // set while running: a long native fit ends early with the error
  const cancel = new Int32Array(new SharedArrayBuffer(4));
  const started = performance.now();
  const fit = new RandomForestRegressor({ nEstimators: 2000, threads: 1, splitMode: 'exact' }).fit(d.X, d.y, { cancel });
  setTimeout(() => Atomics.store(cancel, 0, 1), 50);
  await assert.rejects(fit, /cancelled/);
  assert.ok(performance.now() - started < 20_000);
});

test('X and y over SharedArrayBuffers (as tuning workers get them) fit the same forest', async () => {
  const d = friedman(800, 2);
  const xs = new Float64Array(new SharedArrayBuffer(d.X.data.byteLength));
  xs.set(d.X.data);
  const ys = new Float64Array(new SharedArrayBuffer(d.y.byteLength));
  ys.set(d.y);
  const a = await new RandomForestRegressor({ nEstimators: 4 }).fit({ data: xs, rows: d.X.rows, cols: d.X.cols }, ys);
  const b = await new RandomForestRegressor({ nEstimators: 4 }).fit(d.X, d.y);
  assert.deepEqual(a.forest.threshold, b.forest.threshold);
  assert.deepEqual(await a.predict({ data: xs, rows: d.X.rows, cols: d.X.cols }), await b.predict(d.X));
});
