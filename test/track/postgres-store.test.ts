// The PostgreSQL store against a real server (127.0.0.1:5432, database test; override with
// GROVE_TEST_POSTGRES_URL), every test in its own fresh schema, dropped afterwards.
// Without a server the suite is skipped locally, with the reason printed; in CI (CI set) an
// unreachable server fails, because CI runs PostgreSQL.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PostgresStore } from '../../src/track/postgres-store.js';
import { PG_MIGRATIONS, PG_SCHEMA_VERSION } from '../../src/track/postgres-migrations.js';
import { resolveModelBytes } from '../../src/track/model-uri.js';
import { createHash, randomBytes } from 'node:crypto';
import { createPool, parsePostgresUri, transaction } from '../../src/track/postgres-connection.js';
import { SqliteStore } from '../../src/track/sqlite-store.js';
import { openStore } from '../../src/track/tracking-uri.js';
import type { SearchRunsOptions, Store } from '../../src/track/store.js';
import { runStoreConformance, rejectsWith } from './conformance.js';
import { POSTGRES_URL, schemaFactory, withPostgres } from '../helpers/postgres.js';

const URL_ = POSTGRES_URL;
const fixtures = fileURLToPath(new URL('./fixtures/', import.meta.url));
const grove = fileURLToPath(new URL('../../bin/grove.js', import.meta.url));

await withPostgres('PostgreSQL store', suite);

function suite(): void {
  const { admin, newSchema } = schemaFactory();

  /** a store in a fresh schema, dropped after the suite (dropping takes a moment: batched at the end) */
  async function freshStore(options: { smallScopeRuns?: number } = {}): Promise<PostgresStore> {
    return PostgresStore.open(URL_, { schema: newSchema(), ...options });
  }

  runStoreConformance('PostgresStore', () => freshStore());

  describe('PostgresStore specifics', () => {
    test('a new schema gets the current schema version once; reopening keeps data and does not migrate again', async () => {
      const schema = newSchema();
      const a = await PostgresStore.open(URL_, { schema });
      const exp = await a.createExperiment('kept');
      await a.close();
      const b = await openStore(`${URL_}?schema=${schema}`);
      assert.equal((await b.getExperimentByName('kept'))?.experimentId, exp.experimentId);
      assert.match(b.location, /^postgres:\/\/.*schema=/);
      await b.close();
      const { rows } = await admin.query(`SELECT version FROM "${schema}".schema_version ORDER BY version`);
      assert.deepEqual(
        rows.map((r) => r.version),
        [...Array(PG_SCHEMA_VERSION)].map((_, i) => i + 1),
      );
    });

    test('the same bytes in three runs are stored once', async () => {
      const store = await freshStore();
      const exp = await store.getOrCreateExperiment('Default');
      const bytes = Buffer.alloc(100_000, 7);
      for (let i = 0; i < 3; i++) {
        const run = await store.createRun({ experimentId: exp.experimentId });
        await store.logArtifact(run.runId, 'model', bytes);
      }
      const count = async (t: string) => Number((await admin.query(`SELECT COUNT(*) AS c FROM "${store.schema}".${t}`)).rows[0].c);
      assert.equal(await count('blobs'), 1);
      assert.equal(await count('artifacts'), 3);
      await store.close();
    });

    test('damaged artifact bytes are detected on read', async () => {
      const store = await freshStore();
      const exp = await store.getOrCreateExperiment('Default');
      const run = await store.createRun({ experimentId: exp.experimentId });
      await store.logArtifact(run.runId, 'model', Buffer.from('good bytes'));
      await admin.query(`UPDATE "${store.schema}".blob_chunks SET bytes = $1`, [Buffer.from('evil bytes')]);
      await rejectsWith(store.readArtifact(run.runId, 'model'), 'STORE_ERROR', new RegExp(`artifact "model" of run ${run.runId}: chunk 1 of 1 does not match its sha256`));
      await store.close();
    });

    test('a corrupted chunk among many is refused with the artifact and the model version named', async () => {
      const store = await PostgresStore.open(URL_, { schema: newSchema(), artifactChunkBytes: 10 });
      const exp = await store.getOrCreateExperiment('Default');
      const run = await store.createRun({ experimentId: exp.experimentId });
      const bytes = randomBytes(95);
      await store.logArtifact(run.runId, 'model', bytes);
      await store.createModelVersion('m', { runId: run.runId });
      assert.equal(Number((await admin.query(`SELECT COUNT(*) AS n FROM "${store.schema}".blob_chunks`)).rows[0].n), 10);
      await admin.query(`UPDATE "${store.schema}".blob_chunks SET bytes = $1 WHERE chunk_index = 9`, [Buffer.from('flipped')]);
      await rejectsWith(store.readArtifact(run.runId, 'model'), 'STORE_ERROR', new RegExp(`artifact "model" of run ${run.runId}: chunk 10 of 10 does not match its sha256`));
      await rejectsWith(store.readModelVersionBytes('m', 1), 'STORE_ERROR', /model m version 1: chunk 10 of 10 does not match its sha256/);
      await store.close();
    });

    test('a chunk larger than one read piece (4 MiB) comes back whole and checked', async () => {
      const store = await PostgresStore.open(URL_, { schema: newSchema(), artifactChunkBytes: 9 * 1024 * 1024 });
      const exp = await store.getOrCreateExperiment('Default');
      const run = await store.createRun({ experimentId: exp.experimentId });
      const bytes = randomBytes(10 * 1024 * 1024 + 3);
      await store.logArtifact(run.runId, 'model', bytes);
      const chunks: Buffer[] = [];
      for await (const c of store.readArtifactChunks(run.runId, 'model')) chunks.push(c);
      assert.deepEqual(
        chunks.map((c) => c.length),
        [9 * 1024 * 1024, 1024 * 1024 + 3],
      );
      assert.ok(Buffer.concat(chunks).equals(bytes));
      await store.close();
    });

    test('a store written at schema version 3 keeps its artifacts and models when opened (migration 4)', async () => {
      const schema = newSchema();
      const c = await admin.connect();
      const runId = 'b'.repeat(32);
      const model = randomBytes(5000);
      const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
      try {
        await c.query(`CREATE SCHEMA "${schema}"`);
        await c.query(`SET search_path TO "${schema}"`);
        await c.query('CREATE TABLE schema_version (version integer PRIMARY KEY, applied_time bigint NOT NULL)');
        for (const m of PG_MIGRATIONS.filter((m) => m.version <= 3)) {
          await c.query(m.sql);
          await c.query('INSERT INTO schema_version (version, applied_time) VALUES ($1, 1)', [m.version]);
        }
        await c.query("INSERT INTO experiments (name, created_time) VALUES ('Default', 1)");
        await c.query("INSERT INTO runs (run_id, experiment_id, run_name, status, start_time, host, pid, heartbeat_time) SELECT $1, experiment_id, 'old', 'FINISHED', 1, 'h', 1, 1 FROM experiments", [
          runId,
        ]);
        for (const [name, bytes] of [
          ['model', model],
          ['empty', Buffer.alloc(0)],
        ] as const) {
          await c.query('INSERT INTO blobs (sha256, size, bytes) VALUES ($1, $2, $3)', [sha(bytes), bytes.length, bytes]);
          await c.query('INSERT INTO artifacts (run_id, name, sha256, size, created_time) VALUES ($1, $2, $3, $4, 1)', [runId, name, sha(bytes), bytes.length]);
        }
        await c.query("INSERT INTO registered_models (name, created_time, updated_time) VALUES ('old', 1, 1)");
        await c.query("INSERT INTO model_versions (name, version, run_id, artifact, created_time) VALUES ('old', 1, $1, 'model', 1)", [runId]);
        await c.query('RESET search_path');
      } finally {
        c.release();
      }
      const store = await PostgresStore.open(URL_, { schema, artifactChunkBytes: 1000 });
      assert.deepEqual(await store.readArtifact(runId, 'model'), model);
      assert.equal((await store.readArtifact(runId, 'empty')).length, 0);
      assert.deepEqual((await resolveModelBytes(store, 'models:/old/1')).bytes, model);
      await store.logArtifact(runId, 'other', randomBytes(2500));
      await store.close();
      const { rows } = await admin.query(`SELECT chunk_count FROM "${schema}".blobs ORDER BY blob_id`);
      assert.deepEqual(
        rows.map((r) => r.chunk_count),
        [1, 0, 3],
      );
      assert.equal((await admin.query(`SELECT MAX(version) AS v FROM "${schema}".schema_version`)).rows[0].v, PG_SCHEMA_VERSION);
    });

    test('heartbeats use the database clock', async () => {
      const store = await freshStore();
      const exp = await store.getOrCreateExperiment('Default');
      const run = await store.createRun({ experimentId: exp.experimentId });
      await store.heartbeat(run.runId);
      const { rows } = await admin.query('SELECT floor(extract(epoch FROM clock_timestamp()) * 1000)::float8 AS now');
      const beat = (await store.getRun(run.runId)).heartbeatTime;
      assert.ok(beat <= rows[0].now && beat > rows[0].now - 5000, `heartbeat ${beat}, database now ${rows[0].now}`);
      await store.close();
    });

    test('create: false refuses a schema without a store and creates nothing', async () => {
      const schema = newSchema();
      await rejectsWith(PostgresStore.open(URL_, { schema, create: false }), 'NOT_FOUND', new RegExp(`schema ${schema} has no grove tables`));
      const { rowCount } = await admin.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema]);
      assert.equal(rowCount, 0);
    });

    test('refuses a schema that holds other tables, and a store from a newer grove', async () => {
      const other = newSchema();
      await admin.query(`CREATE SCHEMA "${other}"; CREATE TABLE "${other}".customers (id integer)`);
      await rejectsWith(PostgresStore.open(URL_, { schema: other }), 'STORE_ERROR', /holds other tables \(customers\)/);
      const schema = newSchema();
      await (await PostgresStore.open(URL_, { schema })).close();
      await admin.query(`INSERT INTO "${schema}".schema_version (version, applied_time) VALUES ($1, 0)`, [PG_SCHEMA_VERSION + 1]);
      await rejectsWith(PostgresStore.open(URL_, { schema }), 'STORE_ERROR', /newer than this grove knows/);
    });

    test('a transaction chosen as a deadlock victim is run again and both commit', async () => {
      const target = parsePostgresUri(URL_, newSchema());
      const pool = createPool(target);
      await pool.query(`CREATE SCHEMA "${target.schema}"`);
      await pool.query('CREATE TABLE t (id integer PRIMARY KEY, n integer NOT NULL); INSERT INTO t VALUES (1, 0), (2, 0)');
      let attempts = 0;
      // each locks one row, waits until the other holds its row, then wants the other's row
      let held = 0;
      const bothHold = async () => {
        held++;
        while (held < 2) await new Promise((r) => setTimeout(r, 5));
      };
      const tx = (first: number, second: number) =>
        transaction(pool, target.location, async (c) => {
          attempts++;
          await c.query('UPDATE t SET n = n + 1 WHERE id = $1', [first]);
          await bothHold();
          await c.query('UPDATE t SET n = n + 1 WHERE id = $1', [second]);
        });
      await Promise.all([tx(1, 2), tx(2, 1)]);
      assert.equal(attempts, 3, 'one of the two ran twice');
      assert.deepEqual((await pool.query('SELECT n FROM t ORDER BY id')).rows, [{ n: 2 }, { n: 2 }]);
      await pool.end();
    });

    test('searches give the same runs as the SQLite store, with both search plans', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'grove-pg-parity-'));
      const lite = SqliteStore.open(join(dir, 'grove.db'));
      const walk = await freshStore({ smallScopeRuns: 0 });
      const sort = await PostgresStore.open(URL_, { schema: walk.schema! });
      const stores: Store[] = [lite, walk];
      const ids = new Map<Store, { a: string; b: string; parent: string }>();
      for (const store of stores) {
        const a = await store.createExperiment('a');
        const b = await store.createExperiment('b');
        const parent = await store.createRun({ experimentId: a.experimentId, runName: 'study', startTime: 1 });
        ids.set(store, { a: a.experimentId, b: b.experimentId, parent: parent.runId });
        let seed = 7;
        const rand = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
        for (let i = 0; i < 120; i++) {
          const run = await store.createRun({
            experimentId: rand() < 0.5 ? a.experimentId : b.experimentId,
            runName: `r${i}`,
            startTime: 1000 + Math.floor(rand() * 50),
            parentRunId: rand() < 0.3 ? parent.runId : null,
          });
          const metrics = rand() < 0.8 ? [{ key: 'rmse', value: Math.round(rand() * 20) }] : [];
          if (rand() < 0.1) metrics.push({ key: 'rmse', value: NaN });
          await store.logBatch(run.runId, {
            params: rand() < 0.9 ? { depth: String(Math.floor(rand() * 5)) } : {},
            metrics,
            tags: { stage: ['dev', 'prod', 'Prod', 'a_b', 'a%b', 'a\\b'][Math.floor(rand() * 6)] },
          });
          if (rand() < 0.5) await store.endRun(run.runId, rand() < 0.5 ? 'FINISHED' : 'FAILED', { endTime: 2000 + i });
        }
      }
      const cases = (s: { a: string; b: string; parent: string }): SearchRunsOptions[] => [
        {},
        { orderBy: ['metrics.rmse ASC'] },
        { orderBy: ['metrics.rmse DESC', 'params.depth'], limit: 7, offset: 3 },
        { orderBy: ['metrics.rmse'], experimentIds: [s.b], limit: 10, offset: 50 },
        { orderBy: ['metrics.rmse'], parentRunId: s.parent, limit: 200 },
        { orderBy: ['params.depth DESC', 'metrics.rmse'], filter: "tags.stage = 'dev'", limit: 15, offset: 40 },
        { orderBy: ['metrics.rmse ASC'], filter: 'metrics.rmse >= 5 and metrics.rmse < 15', offset: 2 },
        { orderBy: ['tags.stage', 'metrics.rmse DESC'], experimentIds: [s.a], limit: Infinity },
        { orderBy: ['metrics.rmse'], offset: 100, limit: 30 },
        { orderBy: ['end_time DESC', 'run_name'], limit: Infinity },
        { filter: "tags.stage LIKE 'a_b'", limit: Infinity },
        { filter: "tags.stage LIKE 'a\\b'", limit: Infinity },
        { filter: "tags.stage ILIKE 'PRO%' and status != 'RUNNING'", limit: Infinity },
        { filter: 'start_time > 1020.5 and end_time < 2060', orderBy: ['start_time'], limit: Infinity },
        { filter: 'metrics.rmse > 1e300', limit: Infinity },
        { filter: "params.depth != '2' and run_name LIKE 'r1%'", orderBy: ['run_name DESC'], limit: Infinity },
      ];
      const names = async (store: Store, c: SearchRunsOptions) => (await store.searchRuns(c)).map((r) => `${r.runName}:${JSON.stringify(r.metrics)}:${JSON.stringify(r.params)}`);
      const liteCases = cases(ids.get(lite)!);
      const pgCases = cases(ids.get(walk)!);
      for (let i = 0; i < liteCases.length; i++) {
        const expected = await names(lite, liteCases[i]);
        assert.deepEqual(await names(walk, pgCases[i]), expected, `index walk: ${JSON.stringify(liteCases[i])}`);
        assert.deepEqual(await names(sort, pgCases[i]), expected, `direct sort: ${JSON.stringify(liteCases[i])}`);
      }
      await sort.close();
      await walk.close();
      await lite.close();
    });
  });

  describe('PostgresStore across processes', () => {
    interface Report {
      started: number;
      ended: number;
      versions: number[];
    }

    /** Children say ready, then all get the go at once, so they really start at the same moment. */
    async function runTogether(argsPerChild: string[][]): Promise<{ code: number | null; stderr: string; report: Report | null }[]> {
      const children = argsPerChild.map((args) => spawn(process.execPath, ['--import', 'tsx', join(fixtures, 'pg-child.ts'), ...args], { stdio: ['pipe', 'pipe', 'pipe'] }));
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
        return { code, stderr: outs[i].stderr, report: code === 0 ? (JSON.parse(lines[lines.length - 1]) as Report) : null };
      });
    }

    test('4 processes opening one new schema at the same instant: no errors, one row per schema version, one experiment', async () => {
      const schema = newSchema();
      const results = await runTogether([0, 1, 2, 3].map(() => ['migrate', URL_, schema]));
      for (const r of results) assert.equal(r.code, 0, r.stderr);
      const { rows } = await admin.query(`SELECT version, COUNT(*)::int AS n FROM "${schema}".schema_version GROUP BY version ORDER BY version`);
      assert.deepEqual(
        rows,
        [...Array(PG_SCHEMA_VERSION)].map((_, i) => ({ version: i + 1, n: 1 })),
      );
      const { rows: exps } = await admin.query(`SELECT name FROM "${schema}".experiments`);
      assert.deepEqual(exps, [{ name: 'together' }]);
    });

    test('model versions created by 4 processes at once are distinct and consecutive', async () => {
      const store = await freshStore();
      const exp = await store.getOrCreateExperiment('Default');
      const runIds: string[] = [];
      for (let i = 0; i < 4; i++) {
        const run = await store.createRun({ experimentId: exp.experimentId });
        await store.logArtifact(run.runId, 'model', Buffer.from(`model ${i}`));
        runIds.push(run.runId);
      }
      const each = 15;
      const results = await runTogether(runIds.map((id) => ['versions', URL_, store.schema!, id, String(each)]));
      for (const r of results) assert.equal(r.code, 0, r.stderr);
      const lastStart = Math.max(...results.map((r) => r.report!.started));
      const firstEnd = Math.min(...results.map((r) => r.report!.ended));
      assert.ok(lastStart < firstEnd, 'the children did not overlap');
      const got = results.flatMap((r) => r.report!.versions).sort((a, b) => a - b);
      assert.deepEqual(
        got,
        [...Array(4 * each)].map((_, i) => i + 1),
      );
      for (const r of results)
        assert.deepEqual(
          r.report!.versions,
          [...r.report!.versions].sort((a, b) => a - b),
        );
      const versions = await store.listModelVersions('m');
      assert.equal(versions.length, 4 * each);
      for (const [i, id] of runIds.entries()) {
        const mine = versions.filter((v) => v.runId === id);
        assert.deepEqual(
          mine.map((v) => v.version),
          results[i].report!.versions,
        );
      }
      await store.close();
    });

    test('4 processes writing runs, metrics, artifacts, versions and alias moves into one new schema: no errors, every row present', async () => {
      const schema = newSchema();
      const runs = 10;
      const results = await runTogether([0, 1, 2, 3].map((w) => ['write', URL_, schema, String(w), String(runs)]));
      for (const r of results) assert.equal(r.code, 0, r.stderr);
      const store = await PostgresStore.open(URL_, { schema });
      const all = await store.searchRuns({ limit: Infinity });
      assert.equal(all.length, 4 * runs);
      assert.ok(all.every((r) => r.status === 'FINISHED' && r.metrics.loss === 1 / 50));
      assert.equal(new Set(all.map((r) => r.runName)).size, 4 * runs);
      const count = async (t: string) => Number((await admin.query(`SELECT COUNT(*) AS c FROM "${schema}".${t}`)).rows[0].c);
      assert.equal(await count('metrics'), 4 * runs * 50);
      assert.equal(await count('blobs'), 1);
      assert.equal(await count('experiments'), 1);
      assert.deepEqual(
        (await store.listModelVersions('shared')).map((v) => v.version),
        [...Array(4 * runs)].map((_, i) => i + 1),
      );
      // every alias move is recorded, and the history chains from one move to the next
      const history = await store.getAliasHistory('shared', 'best');
      assert.equal(history[0].oldVersion, null);
      for (let i = 1; i < history.length; i++) assert.equal(history[i].oldVersion, history[i - 1].newVersion, `history breaks at ${i}`);
      assert.equal((await store.getRegisteredModel('shared')).aliases.best, history[history.length - 1].newVersion);
      await store.close();
    });

    test('the CLI lists runs and models from a postgres:// tracking URI', async () => {
      const store = await freshStore();
      const uri = `${URL_}?schema=${store.schema}`;
      const exp = await store.getOrCreateExperiment('houses');
      const study = await store.createRun({ experimentId: exp.experimentId, runName: 'study', startTime: 1000 });
      for (let i = 0; i < 3; i++) {
        const r = await store.createRun({ experimentId: exp.experimentId, runName: `trial-${i}`, parentRunId: study.runId, startTime: 2000 + i });
        await store.logBatch(r.runId, { params: { max_depth: 4 + i }, metrics: [{ key: 'rmse', value: 50 - i }], tags: { stage: 'dev' } });
        await store.logArtifact(r.runId, 'model', Buffer.from(`m${i}`));
        await store.endRun(r.runId, 'FINISHED');
        await store.createModelVersion('houses', { runId: r.runId });
      }
      await store.setAlias('houses', 'production', 2);
      const env = { ...process.env, GROVE_TRACKING_URI: '', GROVE_FROM_SOURCE: '1' };
      const cli = (args: string[]) => spawnSync(process.execPath, [grove, ...args], { encoding: 'utf8', env });
      const list = cli(['runs', 'list', '--json', '--tracking-uri', uri, '--filter', 'metrics.rmse < 50', '--order-by', 'metrics.rmse']);
      assert.equal(list.status, 0, list.stderr);
      const runs = JSON.parse(list.stdout) as { run_name: string; experiment: string; parent_run_id: string; params: Record<string, string>; metrics: Record<string, number> }[];
      assert.deepEqual(
        runs.map((r) => [r.run_name, r.experiment, r.parent_run_id, r.params.max_depth, r.metrics.rmse]),
        [
          ['trial-2', 'houses', study.runId, '6', 48],
          ['trial-1', 'houses', study.runId, '5', 49],
        ],
      );
      const model = cli(['models', 'show', 'houses', '--json', '--tracking-uri', uri]);
      assert.equal(model.status, 0, model.stderr);
      const shown = JSON.parse(model.stdout) as { versions: { version: number }[]; aliases: Record<string, number> };
      assert.deepEqual(
        shown.versions.map((v) => v.version),
        [1, 2, 3],
      );
      assert.deepEqual(shown.aliases, { production: 2 });
      await store.close();
      // a schema without a store is an error naming it, not a new empty store
      const missing = newSchema();
      const r = cli(['runs', 'list', '--json', '--tracking-uri', `${URL_}?schema=${missing}`]);
      assert.notEqual(r.status, 0);
      assert.equal(r.stdout, '');
      assert.match(r.stderr, new RegExp(`schema ${missing} has no grove tables`));
    });
  });
}
