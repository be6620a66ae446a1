// The system tags MLflow sets (mlflow.runName, mlflow.parentRunId, mlflow.source.name,
// mlflow.source.type, mlflow.user) on the runs grove train, grove tune and grove worker create,
// found by MLflow users' filters, on a real SQLite file and a real PostgreSQL schema.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { schemaFactory, withPostgres } from '../helpers/postgres.js';

const grove = fileURLToPath(new URL('../../bin/grove.js', import.meta.url));
const USER = process.env.LOGNAME || process.env.USER || userInfo().username;

function groveJson(args: string[], cwd: string): any {
  const r = spawnSync(process.execPath, [grove, ...args, '--json'], { cwd, encoding: 'utf8', timeout: 120_000 });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
}

function groveAsync(args: string[], cwd: string): Promise<any> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [grove, ...args, '--json'], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr.on('data', (d: Buffer) => (err += d.toString()));
    p.on('error', reject);
    p.on('close', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`grove ${args[0]} exited ${code}: ${err.slice(-2000)}`))));
  });
}

const list = (uri: string, filter: string, cwd: string): Record<string, any>[] => groveJson(['runs', 'list', '--tracking-uri', uri, '--filter', filter, '--limit', '1000'], cwd);
const mlflowTags = (r: Record<string, any>) => Object.fromEntries(Object.entries(r.tags as Record<string, string>).filter(([k]) => k.startsWith('mlflow.')));

function trainAndTune(backend: string, makeUri: () => string): void {
  test(`${backend}: grove train and grove tune runs carry MLflow's system tags, searchable with tags.mlflow.*`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'grove-systags-'));
    const uri = makeUri();
    const named = groveJson(['train', 'diabetes', '--trees', '5', '--run-name', 'my run', '--tracking-uri', uri], dir);
    const unnamed = groveJson(['train', 'diabetes', '--trees', '5', '--tracking-uri', uri], dir);
    const [n] = list(uri, "tags.`mlflow.runName` = 'my run'", dir);
    assert.equal(n.run_id, named.run_id);
    assert.deepEqual(mlflowTags(n), { 'mlflow.runName': 'my run', 'mlflow.source.name': 'grove train', 'mlflow.source.type': 'LOCAL', 'mlflow.user': USER });
    // a generated name is the run's name in the tag too
    const [u] = list(uri, `run_id = '${unnamed.run_id}'`, dir);
    assert.match(u.run_name, /^run-[0-9a-f]{8}$/);
    assert.equal(u.tags['mlflow.runName'], u.run_name);

    const tune = groveJson(['tune', 'diabetes', '--study', 'tags-study', '--trials', '3', '--sampler', 'random', '--cpus', '1', '--no-promote', '--tracking-uri', uri], dir);
    const children = list(uri, `tags.mlflow.parentRunId = '${tune.study_id}'`, dir);
    assert.deepEqual(children.map((r) => r.run_name).sort(), ['tags-study-refit', 'tags-study-trial-0', 'tags-study-trial-1', 'tags-study-trial-2']);
    for (const r of children) {
      assert.equal(r.parent_run_id, tune.study_id);
      assert.deepEqual(
        mlflowTags(r),
        { 'mlflow.runName': r.run_name, 'mlflow.parentRunId': tune.study_id, 'mlflow.source.name': 'grove tune', 'mlflow.source.type': 'LOCAL', 'mlflow.user': USER },
        r.run_name,
      );
    }
    const [study] = list(uri, "tags.`mlflow.runName` = 'tags-study' and tags.`mlflow.parentRunId` IS NULL", dir);
    assert.equal(study.run_id, tune.study_id);
    assert.equal(list(uri, `tags.\`mlflow.source.name\` = 'grove tune' and tags.\`mlflow.user\` = '${USER}'`, dir).length, 5);
    assert.equal(list(uri, "tags.`mlflow.source.type` = 'LOCAL'", dir).length, 7);
  });
}

// PostgreSQL is asked first: once the SQLite tests spawn grove processes, its 3 s connection
// check can time out on a loaded 2-core machine
await withPostgres('system tags on PostgreSQL', () => {
  const { uri, newSchema } = schemaFactory();
  describe('system tags on PostgreSQL', () => {
    trainAndTune('PostgreSQL', () => uri(newSchema()));
  });
});

describe('system tags on SQLite', () => {
  trainAndTune('SQLite', () => join(mkdtempSync(join(tmpdir(), 'grove-systags-db-')), 'grove.db'));

  test('SQLite: trials run by grove worker say so in mlflow.source.name', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'grove-systags-w-'));
    const db = join(dir, 'grove.db');
    // the worker waits for the study; which process runs which trial is a race, so each trial is
    // checked against the process that ran it (grove.worker_id)
    const [tune, worker] = await Promise.all([
      groveAsync(['tune', 'diabetes', '--study', 'w', '--trials', '8', '--sampler', 'random', '--cpus', '1', '--no-promote', '--tracking-uri', db], dir),
      groveAsync(['worker', '--study', 'w', '--cpus', '1', '--tracking-uri', db], dir),
    ]);
    const trials = list(db, `tags.\`mlflow.parentRunId\` = '${tune.study_id}' and tags.\`grove.type\` = 'trial'`, dir);
    assert.equal(trials.length, 8);
    for (const t of trials) {
      const expected = t.tags['grove.worker_id'] === worker.worker_id ? 'grove worker' : 'grove tune';
      assert.equal(t.tags['mlflow.source.name'], expected, `${t.run_name} ran on ${t.tags['grove.worker_id']}`);
    }
    assert.equal(trials.filter((t) => t.tags['mlflow.source.name'] === 'grove worker').length, worker.trials_finished_here);
  });
});
