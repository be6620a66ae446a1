import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { SqliteStore } from '../../src/track/sqlite-store.js';
import { gcDeadRuns, runLiveness, FAILURE_TAG } from '../../src/track/liveness.js';

const fixtures = fileURLToPath(new URL('./fixtures/', import.meta.url));
const tmp = () => join(mkdtempSync(join(tmpdir(), 'grove-conc-')), 'grove.db');

function runChild(script: string, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(fixtures, script), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

test('4 processes write runs and metrics into one new database at once: no errors, every row present', async () => {
  const path = tmp();
  const runs = 20;
  const metrics = 50;
  // tsx takes a moment to start: give every child time to be ready before the common start
  const startAt = String(Date.now() + 1500);
  const results = await Promise.all([0, 1, 2, 3].map((w) => runChild('writer.ts', [path, String(w), String(runs), String(metrics), startAt])));
  for (const r of results) assert.equal(r.code, 0, r.stderr);
  const store = SqliteStore.open(path);
  const all = await store.searchRuns({ limit: Infinity });
  assert.equal(all.length, 4 * runs);
  assert.ok(all.every((r) => r.status === 'FINISHED' && r.metrics.loss === 1 / metrics));
  assert.deepEqual(new Set(all.map((r) => r.runName)).size, 4 * runs);
  assert.equal((await store.listExperiments()).length, 1);
  for (const r of all.slice(0, 5)) assert.equal((await store.getMetricHistory(r.runId, 'loss')).length, metrics);
  await store.close();
  const db = new Database(path, { readonly: true });
  assert.equal((db.prepare('SELECT COUNT(*) AS c FROM metrics').get() as { c: number }).c, 4 * runs * metrics);
  assert.equal((db.prepare('SELECT COUNT(*) AS c FROM blobs').get() as { c: number }).c, 1);
  assert.equal((db.prepare('SELECT COUNT(*) AS c FROM schema_version').get() as { c: number }).c, 1);
  db.close();
});

test('a process killed with SIGKILL mid-run leaves a database that opens cleanly; the run is dead and gc fails it', async () => {
  const path = tmp();
  const child = spawn(process.execPath, ['--import', 'tsx', join(fixtures, 'long-run.ts'), path], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const runId = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      if (out.includes('\n')) resolve(out.trim());
    });
    child.on('exit', () => reject(new Error(`child exited early: ${stderr}`)));
  });
  await new Promise((r) => setTimeout(r, 300)); // let it write for a while, mid-transaction when killed
  const exited = new Promise((r) => child.on('exit', r));
  child.kill('SIGKILL');
  await exited;

  const store = SqliteStore.open(path);
  const db = new Database(path, { readonly: true });
  assert.equal(db.pragma('integrity_check', { simple: true }), 'ok');
  db.close();
  const run = await store.getRun(runId);
  assert.equal(run.status, 'RUNNING');
  assert.equal(run.pid, child.pid);
  assert.equal(runLiveness(run), 'dead');
  // opening did not change it silently
  assert.ok(Object.keys(run.metrics).length > 0);
  const collected = await gcDeadRuns(store);
  assert.deepEqual(collected.map((c) => c.runId), [runId]);
  const after = await store.getRun(runId);
  assert.equal(after.status, 'FAILED');
  assert.match(after.tags[FAILURE_TAG], new RegExp(`^process ${child.pid} on .+ exited$`));
  // every artifact that was committed is whole
  for (const a of await store.listArtifacts(runId)) assert.equal((await store.readArtifact(runId, a.name)).length, a.size);
  await store.close();
});

test('alias moves stay atomic under concurrent writers: history chains, final alias is the last move', async () => {
  const path = tmp();
  const store = SqliteStore.open(path);
  const exp = await store.getOrCreateExperiment('Default');
  const versions = 5;
  for (let v = 0; v < versions; v++) {
    const run = await store.createRun({ experimentId: exp.experimentId });
    await store.logArtifact(run.runId, 'model', Buffer.from(`v${v}`));
    await store.createModelVersion('m', { runId: run.runId });
  }
  await store.close();
  const startAt = String(Date.now() + 1500);
  const moves = 60;
  const results = await Promise.all([0, 1, 2, 3].map((w) => runChild('alias-mover.ts', [path, String(w), String(moves), String(versions), startAt])));
  for (const r of results) assert.equal(r.code, 0, r.stderr);
  const moved = results.reduce((s, r) => s + Number(r.stdout), 0);

  const check = SqliteStore.open(path);
  const history = await check.getAliasHistory('m', 'production');
  assert.equal(history.length, moved);
  assert.equal(history[0].oldVersion, null);
  for (let i = 1; i < history.length; i++) {
    assert.equal(history[i].oldVersion, history[i - 1].newVersion, `history breaks at ${i}`);
    assert.notEqual(history[i].oldVersion, history[i].newVersion);
    assert.ok(history[i].time >= history[i - 1].time);
  }
  assert.equal((await check.getRegisteredModel('m')).aliases.production, history[history.length - 1].newVersion);
  assert.equal(new Set(history.map((h) => h.who)).size, 4);
  await check.close();
});
