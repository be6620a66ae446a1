import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { SqliteStore } from '../../src/track/sqlite-store.js';
import { MIGRATIONS, SCHEMA_VERSION } from '../../src/track/migrations.js';
import { resolveModelBytes } from '../../src/track/model-uri.js';
import { createHash, randomBytes } from 'node:crypto';
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
  assert.deepEqual(
    db.prepare('SELECT version FROM schema_version').all(),
    [...Array(SCHEMA_VERSION)].map((_, i) => ({ version: i + 1 })),
  );
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
  db.prepare('UPDATE blob_chunks SET bytes = ?').run(Buffer.from('evil bytes'));
  db.close();
  await rejectsWith(store.readArtifact(run.runId, 'model'), 'STORE_ERROR', new RegExp(`artifact "model" of run ${run.runId}: chunk 1 of 1 does not match its sha256`));
  await store.close();
});

test('create: false refuses a missing file and creates nothing', () => {
  const path = freshPath();
  assert.throws(
    () => SqliteStore.open(path, { create: false }),
    (err: { code?: string; message: string }) => err.code === 'NOT_FOUND' && err.message.includes(path),
  );
  assert.equal(existsSync(path), false);
});

test('refuses a file that is not a grove store', () => {
  const text = freshPath();
  writeFileSync(text, 'this is not sqlite at all, just some text that is long enough to be a header');
  assert.throws(
    () => SqliteStore.open(text),
    (err: { code?: string }) => err.code === 'STORE_ERROR',
  );
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
  assert.deepEqual(
    (await store.getMetricHistory(run.runId, 'rmse')).map((m) => m.value),
    [2],
  );
  await store.close();
});

test('both search plans (ordered-index walk and direct sort) return the same runs', async () => {
  const path = freshPath();
  const walk = SqliteStore.open(path, { smallScopeRuns: 0 });
  const sort = SqliteStore.open(path);
  const a = await walk.createExperiment('a');
  const b = await walk.createExperiment('b');
  let seed = 7;
  const rand = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
  const parent = await walk.createRun({ experimentId: a.experimentId, runName: 'study', startTime: 1 });
  for (let i = 0; i < 120; i++) {
    const run = await walk.createRun({
      experimentId: rand() < 0.5 ? a.experimentId : b.experimentId,
      runName: `r${i}`,
      startTime: 1000 + Math.floor(rand() * 50),
      parentRunId: rand() < 0.3 ? parent.runId : null,
    });
    const metrics = rand() < 0.8 ? [{ key: 'rmse', value: Math.round(rand() * 20) }] : [];
    if (rand() < 0.1) metrics.push({ key: 'rmse', value: NaN });
    await walk.logBatch(run.runId, { params: rand() < 0.9 ? { depth: String(Math.floor(rand() * 5)) } : {}, metrics, tags: { stage: rand() < 0.5 ? 'dev' : 'prod' } });
  }
  const cases = [
    { orderBy: ['metrics.rmse ASC'] },
    { orderBy: ['metrics.rmse DESC', 'params.depth'], limit: 7, offset: 3 },
    { orderBy: ['metrics.rmse'], experimentIds: [b.experimentId], limit: 10, offset: 50 },
    { orderBy: ['metrics.rmse'], parentRunId: parent.runId, limit: 200 },
    { orderBy: ['params.depth DESC', 'metrics.rmse'], filter: "tags.stage = 'dev'", limit: 15, offset: 40 },
    { orderBy: ['metrics.rmse ASC'], filter: 'metrics.rmse >= 5 and metrics.rmse < 15', offset: 2 },
    { orderBy: ['tags.stage', 'metrics.rmse DESC'], experimentIds: [a.experimentId], limit: Infinity },
    { orderBy: ['metrics.rmse'], offset: 100, limit: 30 },
  ];
  for (const c of cases) {
    const ids = async (store: SqliteStore) => (await store.searchRuns(c)).map((r) => r.runName);
    assert.deepEqual(await ids(walk), await ids(sort), JSON.stringify(c));
  }
  await walk.close();
  await sort.close();
});

test('a corrupted chunk among many is refused with the artifact and the model version named', async () => {
  const path = freshPath();
  const store = SqliteStore.open(path, { artifactChunkBytes: 10 });
  const exp = await store.getOrCreateExperiment('Default');
  const run = await store.createRun({ experimentId: exp.experimentId });
  const bytes = randomBytes(95);
  await store.logArtifact(run.runId, 'model', bytes);
  await store.createModelVersion('m', { runId: run.runId });
  const db = new Database(path);
  assert.equal((db.prepare('SELECT COUNT(*) AS n FROM blob_chunks').get() as { n: number }).n, 10);
  db.prepare('UPDATE blob_chunks SET bytes = ? WHERE chunk_index = 9').run(Buffer.from('flipped'));
  db.close();
  await rejectsWith(store.readArtifact(run.runId, 'model'), 'STORE_ERROR', new RegExp(`artifact "model" of run ${run.runId}: chunk 10 of 10 does not match its sha256`));
  await rejectsWith(store.readModelVersionBytes('m', 1), 'STORE_ERROR', /model m version 1: chunk 10 of 10 does not match its sha256/);
  // a stream hands on the good chunks, then stops at the bad one
  const got: Buffer[] = [];
  await rejectsWith(
    (async () => {
      for await (const c of store.readModelVersionChunks('m', 1)) got.push(c);
    })(),
    'STORE_ERROR',
    /chunk 10 of 10/,
  );
  assert.deepEqual(Buffer.concat(got), bytes.subarray(0, 90));
  await store.close();
});

test('a store written at schema version 2 keeps its artifacts, models and metric history when opened (migrations 3 and 4)', async () => {
  const path = freshPath();
  const db = new Database(path);
  db.exec('CREATE TABLE schema_version (version INTEGER NOT NULL)');
  for (const m of MIGRATIONS.filter((m) => m.version <= 2)) {
    db.exec(m.sql);
    db.prepare('INSERT INTO schema_version (version) VALUES (?)').run(m.version);
  }
  const runId = 'a'.repeat(32);
  const model = randomBytes(5000);
  const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
  db.prepare("INSERT INTO experiments (experiment_id, name, created_time) VALUES (1, 'Default', 1)").run();
  db.prepare("INSERT INTO runs (run_id, experiment_id, run_name, status, start_time, host, pid, heartbeat_time) VALUES (?, 1, 'old', 'FINISHED', 1, 'h', 1, 1)").run(runId);
  for (const [name, bytes] of [
    ['model', model],
    ['empty', Buffer.alloc(0)],
  ] as const) {
    db.prepare('INSERT INTO blobs (sha256, size, bytes) VALUES (?, ?, ?)').run(sha(bytes), bytes.length, bytes);
    db.prepare('INSERT INTO artifacts (run_id, name, sha256, size, created_time) VALUES (?, ?, ?, ?, 1)').run(runId, name, sha(bytes), bytes.length);
  }
  db.prepare("INSERT INTO registered_models (name, created_time, updated_time) VALUES ('old', 1, 1)").run();
  db.prepare("INSERT INTO model_versions (name, version, run_id, artifact, created_time) VALUES ('old', 1, ?, 'model', 1)").run(runId);
  for (const [value, step] of [
    [3, 1],
    [2, 0],
    [1, 1],
  ])
    db.prepare("INSERT INTO metrics (run_id, key, value, step, timestamp) VALUES (?, 'rmse', ?, ?, 5)").run(runId, value, step);
  db.close();

  const store = SqliteStore.open(path, { artifactChunkBytes: 1000 });
  assert.deepEqual(await store.readArtifact(runId, 'model'), model);
  assert.equal((await store.readArtifact(runId, 'empty')).length, 0);
  assert.deepEqual((await resolveModelBytes(store, 'models:/old/1')).bytes, model);
  // history ties (same step and timestamp) keep their insertion order through the rebuilt table
  assert.deepEqual(
    (await store.getMetricHistory(runId, 'rmse')).map((m) => m.value),
    [2, 3, 1],
  );
  // new artifacts are chunked at the new size, next to the migrated single-chunk blob
  await store.logArtifact(runId, 'new', model);
  await store.logArtifact(runId, 'other', randomBytes(2500));
  assert.deepEqual(await store.readArtifact(runId, 'new'), model);
  await store.close();
  const check = new Database(path, { readonly: true });
  assert.equal((check.prepare('SELECT MAX(version) AS v FROM schema_version').get() as { v: number }).v, SCHEMA_VERSION);
  assert.deepEqual(check.prepare('SELECT chunk_count FROM blobs ORDER BY blob_id').all(), [{ chunk_count: 1 }, { chunk_count: 0 }, { chunk_count: 3 }]);
  check.close();
});

test('a bad chunk size is refused at open, naming the option or the environment variable', () => {
  assert.throws(
    () => SqliteStore.open(freshPath(), { artifactChunkBytes: 0 }),
    (err: { code?: string; message: string }) => err.code === 'INVALID_OPTION' && /artifactChunkBytes must be a whole number of bytes from 1/.test(err.message),
  );
  const saved = process.env.GROVE_ARTIFACT_CHUNK_BYTES;
  process.env.GROVE_ARTIFACT_CHUNK_BYTES = '64MB';
  try {
    assert.throws(
      () => SqliteStore.open(freshPath()),
      (err: { code?: string; message: string }) => err.code === 'INVALID_OPTION' && /GROVE_ARTIFACT_CHUNK_BYTES must be .* \(got "64MB"\)/.test(err.message),
    );
  } finally {
    if (saved === undefined) delete process.env.GROVE_ARTIFACT_CHUNK_BYTES;
    else process.env.GROVE_ARTIFACT_CHUNK_BYTES = saved;
  }
});
