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
