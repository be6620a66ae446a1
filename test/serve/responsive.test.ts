// Scoring runs off the event loop: /ping answers while a 100k-row batch is being scored.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startServer, type RunningServer } from '../../src/serve/server.js';
import { FEATURES, diabetesRows, get, post, tempDir, trainRegistered } from './helpers.js';

const dir = tempDir();
const db = join(dir, 'grove.db');
let server: RunningServer;

before(async () => {
  // more trees than the other tests: scoring 100k rows should take a while
  trainRegistered(db, 'big', 100);
  server = await startServer('models:/big@production', { port: 0, trackingUri: db, pollSeconds: 0, log: () => {} });
});
after(() => server.close());

test('/ping answers while a 100k-row batch is being scored, before the batch response', async (t) => {
  const rows = diabetesRows(100_000);
  const body = JSON.stringify({ inputs: Object.fromEntries(FEATURES.map((f, j) => [f, rows.map((r) => r[j])])) });
  const t0 = performance.now();
  let batchDone = 0;
  const batch = post(server.url, body).then((r) => {
    batchDone = performance.now();
    return r;
  });
  const pings: { done: number; ms: number }[] = [];
  while (batchDone === 0) {
    const s = performance.now();
    const r = await get(server.url, '/ping');
    assert.equal(r.status, 200);
    const done = performance.now();
    if (batchDone === 0) pings.push({ done, ms: done - s });
    await sleep(5);
  }
  const r = await batch;
  assert.equal(r.status, 200);
  assert.equal((r.json.predictions as number[]).length, 100_000);
  const batchMs = batchDone - t0;
  const slowest = Math.max(...pings.map((p) => p.ms));
  t.diagnostic(`batch ${batchMs.toFixed(0)} ms; ${pings.length} pings answered before it, slowest ${slowest.toFixed(1)} ms`);
  // parsing the 6 MB body holds the loop for a moment; scoring does not
  assert.ok(pings.length >= 3, `only ${pings.length} pings answered during a ${batchMs.toFixed(0)} ms batch`);
  assert.ok(
    pings.some((p) => p.done > t0 + batchMs / 2),
    'pings are answered during the second half of the batch (while scoring)',
  );
});
