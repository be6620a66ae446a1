// A registration that fails keeps the trained model: the file is written next to the store and
// the error says where; `grove models register <file>` registers it later.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { SqliteStore } from '../../src/track/sqlite-store.js';
import { PostgresStore } from '../../src/track/postgres-store.js';
import { POSTGRES_URL, schemaFactory, withPostgres } from '../helpers/postgres.js';

const grove = fileURLToPath(new URL('../../bin/grove.js', import.meta.url));

// PostgreSQL's reachability is checked first: the SQLite test's spawnSync calls block the event
// loop for seconds, long enough to time out a connection attempt that runs beside them
await withPostgres('register fallback on PostgreSQL', () => {
  const { admin, newSchema, uri } = schemaFactory();
  test('on PostgreSQL the kept model goes to the working directory', async () => {
    const schema = newSchema();
    const cwd = mkdtempSync(join(tmpdir(), 'grove-fallback-pg-'));
    const store = await PostgresStore.open(POSTGRES_URL, { schema });
    await store.close();
    await admin.query(`CREATE FUNCTION "${schema}".refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'no space left for artifact bytes'; END $$`);
    await admin.query(`CREATE TRIGGER refuse_bytes BEFORE INSERT ON "${schema}".blob_chunks FOR EACH ROW EXECUTE FUNCTION "${schema}".refuse()`);
    const run = (...args: string[]) => spawnSync(process.execPath, [grove, ...args, '--tracking-uri', uri(schema)], { encoding: 'utf8', cwd });
    const failed = run('train', 'diabetes', '--trees', '5', '--register', 'kept');
    assert.notEqual(failed.status, 0);
    const m = /The trained model was kept in (\S+\.grove);/.exec(failed.stderr);
    assert.ok(m, failed.stderr);
    assert.equal(dirname(m[1]), cwd);
    assert.ok(existsSync(m[1]));
    await admin.query(`DROP TRIGGER refuse_bytes ON "${schema}".blob_chunks`);
    const reg = run('models', 'register', m[1], '--name', 'kept', '--json');
    assert.equal(reg.status, 0, reg.stderr);
    assert.equal(JSON.parse(reg.stdout).version, 1);
  });
});

test('a failed registration writes grove-model-<run>.grove beside the store; models register adds it as a version', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'grove-fallback-'));
  const storeDir = join(dir, 'store');
  const db = join(storeDir, 'grove.db');
  const cwd = join(dir, 'work');
  for (const d of [storeDir, cwd]) spawnSync('mkdir', ['-p', d]);
  const run = (...args: string[]) => spawnSync(process.execPath, [grove, ...args, '--tracking-uri', db], { encoding: 'utf8', cwd });
  await SqliteStore.open(db).close();
  // the database refuses artifact bytes, as a full disk or a size limit would
  const raw = new Database(db);
  raw.exec("CREATE TRIGGER refuse_bytes BEFORE INSERT ON blob_chunks BEGIN SELECT RAISE(ABORT, 'no space left for artifact bytes'); END");
  raw.close();

  const failed = run('train', 'diabetes', '--trees', '5', '--register', 'kept', '--alias', 'production', '--json');
  assert.notEqual(failed.status, 0);
  assert.equal(failed.stdout, '');
  const m = /The trained model was kept in (\S+grove-model-([0-9a-f]{32})\.grove); register it later with: grove models register \S+ --name kept --alias production/.exec(failed.stderr);
  assert.ok(m, failed.stderr);
  const [, file, runId] = m;
  assert.equal(file, join(storeDir, `grove-model-${runId}.grove`));
  assert.match(failed.stderr, /no space left for artifact bytes/);
  assert.ok(existsSync(file));
  const store = SqliteStore.open(db);
  assert.equal((await store.getRun(runId)).status, 'FAILED');
  await store.close();

  const fixed = new Database(db);
  fixed.exec('DROP TRIGGER refuse_bytes');
  fixed.close();
  const reg = run('models', 'register', file, '--name', 'kept', '--alias', 'production', '--json');
  assert.equal(reg.status, 0, reg.stderr);
  const out = JSON.parse(reg.stdout);
  assert.deepEqual([out.name, out.version, out.aliases, out.model_uri], ['kept', 1, ['production'], 'models:/kept/1']);
  const after = SqliteStore.open(db);
  assert.deepEqual(await after.readModelVersionBytes('kept', 1), readFileSync(file));
  assert.equal((await after.getRun(out.run_id)).tags['grove.source_file'], file);
  await after.close();
  // the registered model predicts; a URI registers under another name without copying
  const pred = run('predict', 'models:/kept@production', '--input', 'diabetes', '--json');
  assert.equal(pred.status, 0, pred.stderr);
  const again = run('models', 'register', 'models:/kept@production', '--name', 'copy', '--json');
  assert.equal(again.status, 0, again.stderr);
  assert.equal(JSON.parse(again.stdout).run_id, out.run_id);
  // a file that is not a model is refused before anything is written
  const bad = run('models', 'register', db, '--name', 'nope');
  assert.notEqual(bad.status, 0);
  assert.doesNotMatch(run('models', 'list', '--json').stdout, /nope/);
});
