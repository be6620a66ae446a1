// The tracking commands end to end: grove experiments / runs / models against a real store file.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SqliteStore } from '../../src/track/sqlite-store.js';
import { deadPid } from './conformance.js';

const grove = fileURLToPath(new URL('../../bin/grove.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'grove-cli-track-'));
const db = join(dir, 'grove.db');
const env = { ...process.env, GROVE_TRACKING_URI: '', GROVE_FROM_SOURCE: '1' };
const grv = (args: string[], extraEnv: Record<string, string> = {}) => spawnSync(process.execPath, [grove, ...args], { encoding: 'utf8', env: { ...env, ...extraEnv }, cwd: dir });
const json = (args: string[]) => {
  const r = grv([...args, '--json', '--tracking-uri', db]);
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
};
const fails = (args: string[], message: RegExp) => {
  const r = grv(args);
  assert.equal(r.status, 2, `expected exit 2, got ${r.status}: ${r.stdout} ${r.stderr}`);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, message);
};

const ids: Record<string, string> = {};

before(async () => {
  const store = SqliteStore.open(db);
  const def = await store.getOrCreateExperiment('Default');
  const houses = await store.createExperiment('houses');
  const study = await store.createRun({ experimentId: def.experimentId, runName: 'study', startTime: 1000 });
  ids.study = study.runId;
  for (let i = 0; i < 3; i++) {
    const r = await store.createRun({ experimentId: def.experimentId, runName: `trial-${i}`, parentRunId: study.runId, startTime: 2000 + i });
    await store.logBatch(r.runId, {
      params: { max_depth: 4 + i, max_features: 'sqrt' },
      metrics: [
        { key: 'rmse', value: 70 - i, step: 0 },
        { key: 'rmse', value: 60 - i, step: 1 },
      ],
      tags: { stage: i === 0 ? 'dev' : 'prod' },
    });
    await store.logArtifact(r.runId, 'model', Buffer.from(`model ${i}`));
    await store.endRun(r.runId, 'FINISHED', { endTime: 3000 + i });
    ids[`trial${i}`] = r.runId;
  }
  await store.endRun(study.runId, 'FINISHED', { endTime: 4000 });
  const h = await store.createRun({ experimentId: houses.experimentId, runName: 'house run, "quoted"', startTime: 5000, pid: deadPid() });
  ids.dead = h.runId;
  await store.createModelVersion('diabetes', { runId: ids.trial1, description: 'first' });
  await store.createModelVersion('diabetes', { runId: ids.trial2 });
  await store.setAlias('diabetes', 'production', 1);
  await store.close();
});

test('runs list --json: every run of every experiment, children included, newest first, with the documented fields', () => {
  const runs = json(['runs', 'list']);
  assert.deepEqual(
    runs.map((r: { run_name: string }) => r.run_name),
    ['house run, "quoted"', 'trial-2', 'trial-1', 'trial-0', 'study'],
  );
  const t1 = runs[2];
  for (const key of ['run_id', 'experiment', 'run_name', 'status', 'parent_run_id', 'start_time', 'end_time', 'params', 'metrics', 'tags']) assert.ok(key in t1, key);
  assert.deepEqual(
    { ...t1, dead: undefined },
    {
      run_id: ids.trial1,
      experiment: 'Default',
      run_name: 'trial-1',
      status: 'FINISHED',
      parent_run_id: ids.study,
      start_time: 2001,
      end_time: 3001,
      params: { max_depth: '5', max_features: 'sqrt' },
      metrics: { rmse: 59 },
      tags: { stage: 'prod' },
      dead: undefined,
    },
  );
  assert.equal(runs[4].parent_run_id, null);
  assert.equal(runs[0].dead, true);
  assert.equal(runs[0].status, 'RUNNING');
});

test('runs list narrows by experiment, filter, order-by and limit', () => {
  assert.deepEqual(
    json(['runs', 'list', '--experiment', 'houses']).map((r: { run_id: string }) => r.run_id),
    [ids.dead],
  );
  const best = json(['runs', 'list', '--filter', "metrics.rmse < 60 and tags.stage != 'dev' and status = 'FINISHED'", '--order-by', 'metrics.rmse ASC', '--limit', '1']);
  assert.deepEqual(
    best.map((r: { run_name: string }) => r.run_name),
    ['trial-2'],
  );
  const all = json(['runs', 'list', '--order-by', 'metrics.rmse DESC', '--limit', '4']);
  assert.deepEqual(
    all.map((r: { run_name: string }) => r.run_name),
    ['trial-0', 'trial-1', 'trial-2', 'house run, "quoted"'],
  );
});

test("runs list takes MLflow's search forms: IS NULL, run_id IN, aliases, backquoted prefixes; a term with trailing spaces is refused", () => {
  const names = (args: string[]) => json(['runs', 'list', ...args]).map((r: { run_name: string }) => r.run_name);
  assert.deepEqual(names(['--filter', 'params.max_depth IS NULL']), ['house run, "quoted"', 'study']);
  assert.deepEqual(names(['--filter', "tags.stage IS NOT NULL and tags.stage != 'dev'"]), ['trial-2', 'trial-1']);
  assert.deepEqual(names(['--filter', `run_id IN ('${ids.trial0}', '${ids.trial2}')`, '--order-by', 'created ASC']), ['trial-0', 'trial-2']);
  assert.deepEqual(names(['--filter', `run.run_id NOT IN ('${ids.dead}', '${ids.study}')`, '--order-by', 'run.start_time']), ['trial-0', 'trial-1', 'trial-2']);
  assert.deepEqual(names(['--filter', "`Run name` LIKE 'trial-%' and `metrics`.rmse < 60", '--order-by', '`metric`.rmse DESC']), ['trial-1', 'trial-2']);
  // several terms in one value: the spaces after commas are layout
  assert.deepEqual(names(['--filter', 'attributes."run name" LIKE \'trial%\'', '--order-by', 'tags.stage ASC, start_time DESC']), ['trial-0', 'trial-2', 'trial-1']);
  fails(['runs', 'list', '--tracking-uri', db, '--order-by', 'metrics.rmse '], /leading or trailing spaces are not allowed/);
  fails(['runs', 'list', '--tracking-uri', db, '--filter', 'metrics.rmse IS NULL'], /IS NULL applies to params and tags/);
});

test('runs list prints a table for people (dead runs marked) and CSV for machines', () => {
  const table = grv(['runs', 'list', '--tracking-uri', db]);
  assert.equal(table.status, 0, table.stderr);
  assert.match(table.stdout, /^run_id\s+experiment\s+run_name\s+status/);
  assert.match(table.stdout, /RUNNING \(dead\)/);
  const csv = grv(['runs', 'list', '--csv', '--tracking-uri', db, '--order-by', 'start_time ASC']);
  assert.equal(csv.status, 0, csv.stderr);
  const lines = csv.stdout.trimEnd().split('\n');
  assert.equal(lines[0], 'run_id,experiment,run_name,status,parent_run_id,start_time,end_time,params.max_depth,params.max_features,metrics.rmse,tags.stage');
  assert.equal(lines.length, 6);
  assert.equal(lines[5], `${ids.dead},houses,"house run, ""quoted""",RUNNING (dead),,5000,,,,,`);
});

test('runs list errors: malformed filter names the token, unknown experiment, bad limit, missing store', () => {
  fails(['runs', 'list', '--tracking-uri', db, '--filter', "metrics.rmse < 50 or status = 'FAILED'"], /only AND is supported at position 19: "or"/);
  fails(['runs', 'list', '--tracking-uri', db, '--experiment', 'House'], /no experiment named "House" \(experiments: Default, houses\)/);
  fails(['runs', 'list', '--tracking-uri', db, '--order-by', 'metrics.rmse UP'], /expected ASC or DESC/);
  const missing = join(dir, 'nope.db');
  fails(['runs', 'list', '--tracking-uri', missing], /no tracking store at/);
  assert.equal(existsSync(missing), false);
  // nothing listens on port 1: the error names the server with the password hidden
  fails(['runs', 'list', '--tracking-uri', 'postgres://u:secret@127.0.0.1:1/db'], /postgres:\/\/u:\*\*\*@127\.0\.0\.1:1\/db: cannot reach the PostgreSQL server/);
  const r = grv(['runs', 'list', '--tracking-uri', db, '--limit', '0']);
  assert.notEqual(r.status, 0);
});

test('the store comes from GROVE_TRACKING_URI, else ./grove.db', () => {
  const viaEnv = grv(['experiments', 'list', '--json'], { GROVE_TRACKING_URI: `sqlite:${db}` });
  assert.equal(viaEnv.status, 0, viaEnv.stderr);
  assert.deepEqual(
    JSON.parse(viaEnv.stdout).map((e: { name: string; run_count: number }) => [e.name, e.run_count]),
    [
      ['Default', 4],
      ['houses', 1],
    ],
  );
  // cwd is the temp dir, which holds grove.db
  const viaDefault = grv(['experiments', 'list', '--csv']);
  assert.equal(viaDefault.status, 0, viaDefault.stderr);
  assert.match(viaDefault.stdout, /^experiment_id,name,run_count,created_time\n1,Default,4,\d+\n2,houses,1,\d+\n$/);
});

test('runs show: params, latest metrics, metric histories and artifacts; unknown id is an error', () => {
  const run = json(['runs', 'show', ids.trial1]);
  assert.equal(run.run_id, ids.trial1);
  assert.deepEqual(
    run.metric_history.rmse.map((m: { step: number; value: number }) => [m.step, m.value]),
    [
      [0, 69],
      [1, 59],
    ],
  );
  assert.deepEqual(
    run.artifacts.map((a: { name: string; size: number }) => [a.name, a.size]),
    [['model', 7]],
  );
  assert.equal(run.parent_run_id, ids.study);
  const text = grv(['runs', 'show', ids.trial1, '--tracking-uri', db]);
  assert.equal(text.status, 0, text.stderr);
  assert.match(text.stdout, /run_name:\s+trial-1/);
  assert.match(text.stdout, /rmse\s+59\s+1\s+69 59/);
  fails(['runs', 'show', 'f'.repeat(32), '--tracking-uri', db], /no run with id f{32}/);
});

test('models list / show: versions, aliases and the alias history', () => {
  const models = json(['models', 'list']);
  assert.deepEqual(
    models.map((m: { name: string; latest_version: number; aliases: object }) => [m.name, m.latest_version, m.aliases]),
    [['diabetes', 2, { production: 1 }]],
  );
  const m = json(['models', 'show', 'diabetes']);
  assert.deepEqual(m.aliases, { production: 1 });
  assert.deepEqual(
    m.versions.map((v: { version: number; run_id: string }) => [v.version, v.run_id]),
    [
      [1, ids.trial1],
      [2, ids.trial2],
    ],
  );
  assert.ok(m.versions.every((v: { created: number }) => typeof v.created === 'number'));
  assert.equal(m.versions[0].description, 'first');
  assert.deepEqual(
    m.alias_history.map((h: { alias: string; old_version: number | null; new_version: number }) => [h.alias, h.old_version, h.new_version]),
    [['production', null, 1]],
  );
  fails(['models', 'show', 'diabetis', '--tracking-uri', db], /no registered model named "diabetis"/);
});

test('models set-alias moves an alias and records it; delete-alias removes it; bad input is an error', () => {
  const moved = json(['models', 'set-alias', 'diabetes', 'production', '2']);
  assert.deepEqual([moved.old_version, moved.new_version], [1, 2]);
  assert.match(moved.who, /@.+ pid \d+$/);
  const text = grv(['models', 'set-alias', 'diabetes', 'staging', '1', '--tracking-uri', db]);
  assert.equal(text.status, 0, text.stderr);
  assert.equal(text.stdout, 'diabetes@staging: (new) -> version 1\n');
  assert.deepEqual(json(['models', 'delete-alias', 'diabetes', 'staging']).old_version, 1);
  const m = json(['models', 'show', 'diabetes']);
  assert.deepEqual(m.aliases, { production: 2 });
  assert.deepEqual(
    m.alias_history.map((h: { alias: string; new_version: number | null }) => [h.alias, h.new_version]),
    [
      ['production', 1],
      ['production', 2],
      ['staging', 1],
      ['staging', null],
    ],
  );
  fails(['models', 'set-alias', 'diabetes', 'production', '9', '--tracking-uri', db], /model diabetes has no version 9/);
  fails(['models', 'delete-alias', 'diabetes', 'staging', '--tracking-uri', db], /has no alias "staging"/);
  const badVersion = grv(['models', 'set-alias', 'diabetes', 'production', 'two', '--tracking-uri', db]);
  assert.notEqual(badVersion.status, 0);
  assert.match(badVersion.stderr, /<version> must be an integer/);
});

test('runs gc marks dead runs FAILED with the reason', () => {
  const out = json(['runs', 'gc']);
  assert.deepEqual(
    out.failed.map((f: { run_id: string }) => f.run_id),
    [ids.dead],
  );
  const run = json(['runs', 'show', ids.dead]);
  assert.equal(run.status, 'FAILED');
  assert.match(run.tags['grove.failure'], /^process \d+ on .+ exited$/);
  assert.deepEqual(json(['runs', 'gc']).failed, []);
});

test('every tracking command has help text that mentions --tracking-uri', async () => {
  // in-process: building the program is enough to read its help, and spawning is slow
  const { buildProgram } = await import('../../src/cli/program.js');
  const program = buildProgram();
  for (const group of ['experiments', 'runs', 'models']) {
    const cmd = program.commands.find((c) => c.name() === group);
    assert.ok(cmd, group);
    assert.ok(cmd.description().length > 0);
    for (const sub of cmd.commands) {
      const help = sub.helpInformation();
      assert.ok(sub.description().length > 0, `${group} ${sub.name()}`);
      assert.match(help, /--tracking-uri <uri>/, `${group} ${sub.name()}`);
    }
  }
  const r = grv(['runs', 'list', '--help']);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /Filter keys: metrics.<key>/);
});
