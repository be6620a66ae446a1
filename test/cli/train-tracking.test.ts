// grove train records its run, registers versions, moves aliases; every URI form predicts alike.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const grove = fileURLToPath(new URL('../../bin/grove.js', import.meta.url));

test('train logs params, metrics, fingerprint and the model; register/alias; predict by every URI form', () => {
  const dir = mkdtempSync(join(tmpdir(), 'grove-track-'));
  const db = join(dir, 'grove.db');
  const run = (...args: string[]) => spawnSync(process.execPath, [grove, ...args, '--tracking-uri', db], { encoding: 'utf8', cwd: dir });

  const a = run('train', 'diabetes', '--trees', '15', '--max-depth', '6', '--register', 'diab', '--alias', 'production', '--experiment', 'exp1', '--json', '--save', join(dir, 'm.grove'));
  assert.equal(a.status, 0, a.stderr);
  const first = JSON.parse(a.stdout);
  assert.match(first.run_id, /^[0-9a-f]{32}$/);
  assert.equal(first.model_uri, 'models:/diab/1');
  assert.equal(first.version, 1);

  const b = run('train', 'diabetes', '--trees', '10', '--seed', '1', '--register', 'diab', '--experiment', 'exp1', '--json');
  const second = JSON.parse(b.stdout);
  assert.equal(second.version, 2);

  const list = JSON.parse(run('runs', 'list', '--json').stdout) as Record<string, any>[];
  assert.equal(list.length, 2);
  const r1 = list.find((r) => r.run_id === first.run_id)!;
  assert.equal(r1.experiment, 'exp1');
  assert.equal(r1.status, 'FINISHED');
  assert.equal(r1.parent_run_id, null);
  assert.equal(r1.params.n_estimators, '15');
  assert.equal(r1.params.max_depth, '6');
  assert.equal(r1.params.max_features, 'all');
  assert.equal(r1.params.seed, '0');
  for (const key of ['rmse', 'r2', 'oob_rmse', 'fit_s', 'predict_s']) assert.equal(typeof r1.metrics[key], 'number', key);
  assert.equal(r1.metrics.rmse, first.rmse);

  const models = JSON.parse(run('models', 'show', 'diab', '--json').stdout);
  assert.deepEqual(models.aliases, { production: 1 });
  assert.deepEqual(models.versions.map((v: { version: number }) => v.version).sort(), [1, 2]);

  const input = join(dir, 'in.csv');
  writeFileSync(input, 'age,sex,bmi,bp,s1,s2,s3,s4,s5,s6\n59,2,32.1,101,157,93.2,38,4,4.8598,87\n48,1,21.6,87,183,103.2,70,3,3.8918,69\n');
  const predict = (uri: string) => {
    const r = run('predict', uri, '--input', input, '--json');
    assert.equal(r.status, 0, `${uri}: ${r.stderr}`);
    return JSON.parse(r.stdout).predictions as number[];
  };
  const v1 = predict('models:/diab/1');
  assert.deepEqual(predict(`runs:/${first.run_id}/model`), v1);
  assert.deepEqual(predict('models:/diab@production'), v1);
  assert.deepEqual(predict(join(dir, 'm.grove')), v1);
  const v2 = predict('models:/diab/latest');
  assert.deepEqual(predict('models:/diab/2'), v2);
  assert.notDeepEqual(v1, v2);

  const bad = run('predict', 'models:/diab', '--input', input);
  assert.notEqual(bad.status, 0);
  assert.match(bad.stderr, /models:\/<name>\/<version>/);
});

test('bad tracking options leave no run behind', () => {
  const dir = mkdtempSync(join(tmpdir(), 'grove-track-'));
  const db = join(dir, 'grove.db');
  const run = (...args: string[]) => spawnSync(process.execPath, [grove, ...args, '--tracking-uri', db], { encoding: 'utf8', cwd: dir });
  const alias = run('train', 'diabetes', '--trees', '3', '--alias', 'production');
  assert.notEqual(alias.status, 0);
  assert.match(alias.stderr, /--alias needs --register/);
  const badData = run('train', 'diabetes', '--trees', '3', '--target', 'nope');
  assert.notEqual(badData.status, 0);
  assert.equal(existsSync(db), false, 'nothing was written: the store was never created');
});
