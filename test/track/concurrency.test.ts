import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { SqliteStore } from '../../src/track/sqlite-store.js';
import { SCHEMA_VERSION } from '../../src/track/migrations.js';
import { gcDeadRuns, runLiveness, FAILURE_TAG } from '../../src/track/liveness.js';

const fixtures = fileURLToPath(new URL('./fixtures/', import.meta.url));
const tmp = () => join(mkdtempSync(join(tmpdir(), 'grove-conc-')), 'grove.db');

interface ChildResult {
  code: number | null;
  stdout: string;
  stderr: string;
  /** the JSON line the child prints last */
  report: { started: number; ended: number; moved?: number };
}

/**
 * Starts the children, waits until every one has loaded and said "ready", then tells them all
 * to go at once (a line on stdin), so they really open and write the store at the same moment.
 */
async function runTogether(script: string, argsPerChild: string[][]): Promise<ChildResult[]> {
  const children = argsPerChild.map((args) => spawn(process.execPath, ['--import', 'tsx', join(fixtures, script), ...args], { stdio: ['pipe', 'pipe', 'pipe'] }));
  const outs = children.map(() => ({ stdout: '', stderr: '' }));
  const ready = children.map(
    (child, i) =>
      new Promise<void>((resolve, reject) => {
        child.stdout.on('data', (d) => {
          outs[i].stdout += d;
          if (outs[i].stdout.startsWith('ready\n')) resolve();
        });
        child.stderr.on('data', (d) => (outs[i].stderr += d));
        child.on('exit', () => reject(new Error(`child ${i} exited before it was ready: ${outs[i].stderr}`)));
      }),
  );
  const done = children.map((child) => new Promise<number | null>((resolve) => child.on('close', resolve)));
  await Promise.all(ready);
  for (const child of children) child.stdin.end('go\n');
  const codes = await Promise.all(done);
  return codes.map((code, i) => {
    const lines = outs[i].stdout.trim().split('\n');
    return { code, ...outs[i], report: code === 0 ? JSON.parse(lines[lines.length - 1]) : { started: 0, ended: 0 } };
  });
}

/** Every child was still writing when every other one started. */
function assertOverlap(results: ChildResult[]): void {
  const lastStart = Math.max(...results.map((r) => r.report.started));
  const firstEnd = Math.min(...results.map((r) => r.report.ended));
  assert.ok(lastStart < firstEnd, `children did not run at the same time (last start ${lastStart}, first end ${firstEnd})`);
}

test('4 processes write runs and metrics into one new database at once: no errors, every row present', async () => {
  const path = tmp();
  const runs = 40;
  const metrics = 100;
  const results = await runTogether(
    'writer.ts',
    [0, 1, 2, 3].map((w) => [path, String(w), String(runs), String(metrics)]),
  );
  for (const r of results) assert.equal(r.code, 0, r.stderr);
  assertOverlap(results);
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
  // every migration applied once, though four processes created the database at the same moment
  assert.deepEqual(
    db.prepare('SELECT version FROM schema_version ORDER BY version').all(),
    [...Array(SCHEMA_VERSION)].map((_, i) => ({ version: i + 1 })),
  );
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
  assert.deepEqual(
    collected.map((c) => c.runId),
    [runId],
  );
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
  const moves = 150;
  const results = await runTogether(
    'alias-mover.ts',
    [0, 1, 2, 3].map((w) => [path, String(w), String(moves), String(versions)]),
  );
  for (const r of results) assert.equal(r.code, 0, r.stderr);
  assertOverlap(results);
  const moved = results.reduce((s, r) => s + (r.report.moved ?? 0), 0);

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
