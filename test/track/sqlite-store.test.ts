import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { SqliteStore } from '../../src/track/sqlite-store.js';
import { SCHEMA_VERSION } from '../../src/track/migrations.js';
import { runStoreConformance, rejectsWith } from './conformance.js';

const dir = mkdtempSync(join(tmpdir(), 'grove-sqlite-'));
let n = 0;
const freshPath = () => join(dir, `store-${process.pid}-${n++}.db`);

runStoreConformance('SqliteStore', async () => SqliteStore.open(freshPath()));

test('a new database is in WAL mode with foreign keys and the current schema version', () => {
  const path = freshPath();
  SqliteStore.open(path).close();
  const db = new Database(path, { readonly: true });
  assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
  assert.deepEqual(db.prepare('SELECT version FROM schema_version').all(), [...Array(SCHEMA_VERSION)].map((_, i) => ({ version: i + 1 })));
  db.close();
});

test('reopening keeps the data and does not migrate twice', async () => {
  const path = freshPath();
  const a = SqliteStore.open(path);
  const exp = await a.createExperiment('kept');
  await a.close();
  const b = SqliteStore.open(path);
  assert.equal((await b.getExperimentByName('kept'))?.experimentId, exp.experimentId);
  await b.close();
  const db = new Database(path, { readonly: true });
  assert.equal((db.prepare('SELECT COUNT(*) AS c FROM schema_version').get() as { c: number }).c, SCHEMA_VERSION);
  db.close();
});

test('the same bytes in two runs are stored once', async () => {
  const path = freshPath();
  const store = SqliteStore.open(path);
  const exp = await store.getOrCreateExperiment('Default');
  const bytes = Buffer.alloc(100_000, 7);
  for (let i = 0; i < 3; i++) {
    const run = await store.createRun({ experimentId: exp.experimentId });
    await store.logArtifact(run.runId, 'model', bytes);
  }
  await store.close();
  const db = new Database(path, { readonly: true });
  assert.equal((db.prepare('SELECT COUNT(*) AS c FROM blobs').get() as { c: number }).c, 1);
  assert.equal((db.prepare('SELECT COUNT(*) AS c FROM artifacts').get() as { c: number }).c, 3);
  db.close();
});

test('damaged artifact bytes are detected on read', async () => {
  const path = freshPath();
  const store = SqliteStore.open(path);
  const exp = await store.getOrCreateExperiment('Default');
  const run = await store.createRun({ experimentId: exp.experimentId });
  await store.logArtifact(run.runId, 'model', Buffer.from('good bytes'));
  const db = new Database(path);
  db.prepare('UPDATE blobs SET bytes = ?').run(Buffer.from('evil bytes'));
  db.close();
  await rejectsWith(store.readArtifact(run.runId, 'model'), 'STORE_ERROR', /do not match their sha256/);
  await store.close();
});

test('create: false refuses a missing file and creates nothing', () => {
  const path = freshPath();
  assert.throws(() => SqliteStore.open(path, { create: false }), (err: { code?: string; message: string }) => err.code === 'NOT_FOUND' && err.message.includes(path));
  assert.equal(existsSync(path), false);
});

test('refuses a file that is not a grove store', () => {
  const text = freshPath();
  writeFileSync(text, 'this is not sqlite at all, just some text that is long enough to be a header');
  assert.throws(() => SqliteStore.open(text), (err: { code?: string }) => err.code === 'STORE_ERROR');
  const other = freshPath();
  const db = new Database(other);
  db.exec('CREATE TABLE customers (id INTEGER)');
  db.close();
  assert.throws(() => SqliteStore.open(other), /not a grove tracking store/);
});

test('refuses a database from a newer grove', () => {
  const path = freshPath();
  SqliteStore.open(path).close();
  const db = new Database(path);
  db.prepare('INSERT INTO schema_version (version) VALUES (?)').run(SCHEMA_VERSION + 1);
  db.close();
  assert.throws(() => SqliteStore.open(path), /newer than this grove knows/);
});

test('a write lock held too long by another process is a STORE_ERROR that says busy, and nothing is written', async () => {
  const path = freshPath();
  const store = SqliteStore.open(path, { busyTimeoutMs: 100 });
  const exp = await store.getOrCreateExperiment('Default');
  const run = await store.createRun({ experimentId: exp.experimentId });
  const other = new Database(path);
  other.exec('BEGIN IMMEDIATE');
  await rejectsWith(store.logMetric(run.runId, 'rmse', 1), 'STORE_ERROR', /is busy/);
  // readers are not blocked by a writer in WAL mode
  assert.equal((await store.getRun(run.runId)).status, 'RUNNING');
  other.exec('ROLLBACK');
  other.close();
  await store.logMetric(run.runId, 'rmse', 2);
  assert.deepEqual((await store.getMetricHistory(run.runId, 'rmse')).map((m) => m.value), [2]);
  await store.close();
});
