// grove tune end to end: real processes, a real SQLite store, real piscina workers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const grove = fileURLToPath(new URL('../../bin/grove.js', import.meta.url));

function workspace() {
  const dir = mkdtempSync(join(tmpdir(), 'grove-tune-'));
  const db = join(dir, 'grove.db');
  const run = (args: string[], env: Record<string, string> = {}) =>
    spawnSync(process.execPath, [grove, ...args, '--tracking-uri', db], { encoding: 'utf8', cwd: dir, env: { ...process.env, ...env }, timeout: 240_000 });
  const json = (args: string[], env: Record<string, string> = {}) => {
    const r = run([...args, '--json'], env);
    assert.equal(r.status, 0, r.stderr);
    return JSON.parse(r.stdout);
  };
  const trials = (studyId: string) => (json(['runs', 'list', '--filter', `tags.\`grove.type\` = 'trial'`, '--limit', '100000']) as Record<string, any>[]).filter((r) => r.parent_run_id === studyId);
  return { dir, db, run, json, trials };
}

const configSequence = (trials: Record<string, any>[]) => trials.sort((a, b) => Number(a.tags['grove.trial']) - Number(b.tags['grove.trial'])).map((t) => t.tags['grove.config']);

test('the same seed gives the same sequence of configurations for concurrency 1 and 4 (TPE)', () => {
  const w = workspace();
  const common = ['tune', 'friedman1:400:3', '--trials', '16', '--seed', '7', '--cpus', '4', '--threads-per-trial', '1', '--no-promote'];
  const one = w.json([...common, '--concurrency', '1', '--study', 'c1']);
  const four = w.json([...common, '--concurrency', '4', '--study', 'c4']);
  assert.equal(one.trials_finished, 16);
  assert.equal(four.trials_finished, 16);
  assert.equal(four.concurrency, 4);
  const a = configSequence(w.trials(one.study_id));
  const b = configSequence(w.trials(four.study_id));
  assert.equal(a.length, 16);
  assert.deepEqual(b, a);
  assert.deepEqual(four.best_params, one.best_params);
});

test('trials in flight x threads per trial never exceed --cpus', () => {
  const w = workspace();
  const out = w.json(['tune', 'diabetes', '--trials', '12', '--cpus', '2', '--no-promote']);
  const trials = w.trials(out.study_id);
  const events = trials.flatMap((t) => [
    { at: t.start_time, d: Number(t.tags['grove.threads']) },
    { at: t.end_time, d: -Number(t.tags['grove.threads']) },
  ]);
  events.sort((x, y) => x.at - y.at || x.d - y.d);
  let inUse = 0;
  for (const e of events) {
    inUse += e.d;
    assert.ok(inUse <= 2, `threads in use reached ${inUse}`);
  }
  assert.ok(trials.every((t) => Number(t.tags['grove.threads']) >= 1));
});

test('a trial that throws and a worker that dies are FAILED, and the study still completes', () => {
  const w = workspace();
  const out = w.json(['tune', 'diabetes', '--trials', '8', '--no-promote'], { GROVE_TUNE_FAULTS: '1:throw,3:exit' });
  assert.equal(out.trials_finished, 8);
  assert.equal(out.trials_failed, 2);
  const trials = w.trials(out.study_id);
  const failed = trials.filter((t) => t.status === 'FAILED');
  assert.deepEqual(failed.map((t) => t.tags['grove.trial']).sort(), ['1', '3']);
  assert.match(failed.find((t) => t.tags['grove.trial'] === '1')!.tags['grove.failure'], /injected fault/);
  assert.ok(failed.find((t) => t.tags['grove.trial'] === '3')!.tags['grove.failure'].length > 0);
  assert.equal(trials.filter((t) => t.status === 'FINISHED').length, 8);
});

test('successive halving stops losing trials early and records their rungs as steps', () => {
  const w = workspace();
  const out = w.json(['tune', 'diabetes', '--trials', '12', '--scheduler', 'asha', '--seed', '2', '--no-promote']);
  assert.equal(out.trials_finished, 12);
  assert.ok(out.trials_pruned >= 3, `pruned ${out.trials_pruned}`);
  const trials = w.trials(out.study_id);
  const pruned = trials.filter((t) => t.tags.pruned === 'true');
  assert.equal(pruned.length, out.trials_pruned);
  assert.ok(pruned.every((t) => t.status === 'FINISHED'));
  // a pruned trial grew fewer trees than its configuration asked for
  for (const t of pruned) assert.ok(t.metrics.n_trees < Number(t.params.n_estimators), JSON.stringify(t.metrics));
  const show = w.json(['runs', 'show', pruned[0].run_id]);
  // the objective is logged at step = trees grown, one entry per rung reached
  const history = show.metric_history.val_rmse as { step: number; value: number }[];
  assert.ok(history.length >= 1);
  assert.equal(history[history.length - 1].step, pruned[0].metrics.n_trees);
});

test('Ctrl-C mid-study records in-flight trials KILLED, and --resume re-runs them and completes the requested count once', async () => {
  const w = workspace();
  const child = spawn(process.execPath, [grove, 'tune', 'friedman1:3000:1', '--trials', '24', '--study', 'stopme', '--no-promote', '--tracking-uri', w.db], {
    cwd: w.dir,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  const interrupted = new Promise<number | null>((resolve) => {
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      if (/ 4\/24 done/.test(stderr) && !child.killed) child.kill('SIGINT');
    });
    child.on('exit', (code) => resolve(code));
  });
  const code = await interrupted;
  assert.equal(code, 130, stderr);
  assert.match(stderr, /grove tune --resume stopme/);
  const before = w.json(['runs', 'list', '--filter', `run_name = 'stopme'`]);
  assert.equal(before[0].status, 'KILLED');
  // a worker does not bring a stopped study back: only --resume does
  const joined = w.run(['worker', '--study', 'stopme']);
  assert.equal(joined.status, 2);
  assert.match(joined.stderr, /study "stopme" is killed: it was stopped; continue it with: grove tune --resume stopme/);

  const resumed = w.json(['tune', '--resume', 'stopme']);
  assert.equal(resumed.trials_finished, 24);
  const trials = w.trials(resumed.study_id);
  const finished = trials.filter((t) => t.status === 'FINISHED');
  assert.equal(finished.length, 24);
  // a trial stopped by Ctrl-C runs again under its own number as the next attempt, with the same configuration
  const killed = trials.filter((t) => t.status === 'KILLED');
  assert.ok(killed.length >= 1, 'the interrupted trials are kept');
  for (const k of killed) {
    const rerun = finished.find((t) => t.tags['grove.trial'] === k.tags['grove.trial']);
    assert.ok(rerun, `trial ${k.tags['grove.trial']} ran again`);
    assert.equal(Number(rerun.tags['grove.attempt']), Number(k.tags['grove.attempt']) + 1);
    assert.equal(rerun.tags['grove.config'], k.tags['grove.config']);
  }
  const finishedNumbers = finished.map((t) => Number(t.tags['grove.trial']));
  assert.equal(new Set(finishedNumbers).size, 24, 'no trial number finishes twice');
  assert.deepEqual(
    [...finishedNumbers].sort((a, b) => a - b),
    [...Array(24).keys()],
    'trial numbers 0..23, none skipped',
  );
  assert.ok(trials.every((t) => t.status !== 'RUNNING'));
  const after = w.json(['runs', 'list', '--filter', `run_name = 'stopme'`]);
  assert.equal(after[0].status, 'FINISHED');
  const again = w.run(['tune', '--resume', 'stopme']);
  assert.notEqual(again.status, 0);
  assert.match(again.stderr, /already complete/);
});

test('champion/challenger: a worse challenger does not move production', () => {
  const w = workspace();
  const first = w.json(['tune', 'diabetes', '--trials', '6', '--register', 'diab']);
  assert.equal(first.promoted, true);
  assert.equal(first.version, 1);
  const bad = join(w.dir, 'bad-space.json');
  writeFileSync(bad, JSON.stringify({ n_estimators: { int: [1, 2] }, max_depth: { choice: [1] } }));
  const second = w.json(['tune', 'diabetes', '--trials', '3', '--register', 'diab', '--space', bad]);
  assert.equal(second.version, 2);
  assert.equal(second.promoted, false);
  assert.match(second.promotion, /kept version 1/);
  assert.ok(second.champion_test_rmse < second.test_rmse);
  const model = w.json(['models', 'show', 'diab']);
  assert.deepEqual(model.aliases, { production: 1 });
});

test('a trial over --trial-timeout is stopped and FAILED with the reason', () => {
  const w = workspace();
  // 100k rows: a trial on 20k rows could finish inside the 0.05 s once the engine got faster
  const r = w.run(['tune', 'friedman1:100000:1', '--trials', '2', '--trial-timeout', '0.05', '--cpus', '1', '--json']);
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /timed out after 0\.05 s/);
  const trials = w.json(['runs', 'list', '--filter', `tags.\`grove.type\` = 'trial'`, '--limit', '1000']) as Record<string, any>[];
  assert.ok(trials.length >= 1);
  assert.ok(trials.every((t) => t.status === 'FAILED' && /timed out/.test(t.tags['grove.failure'])));
});

test('grove tune from a clean directory: bad options fail before anything is written', () => {
  const w = workspace();
  for (const [args, pattern] of [
    [['tune', 'diabetes', '--concurrency', '3', '--threads-per-trial', '2', '--cpus', '4'], /more than the 4 cpus/],
    [['tune', 'diabetes', '--target', 'nope'], /nope/],
    [['tune', 'diabetes', '--space', join(w.dir, 'missing.json')], /missing\.json: no such file/],
    [['tune', '--resume', 'no-such-study'], /no tracking store/],
  ] as [string[], RegExp][]) {
    const r = w.run(args);
    assert.notEqual(r.status, 0, args.join(' '));
    assert.match(r.stderr, pattern, args.join(' '));
  }
  assert.equal(existsSync(w.db), false, 'no store was created by failing commands');
});

test('--resume names a study that is not in an existing store', () => {
  const w = workspace();
  w.json(['train', 'diabetes', '--trees', '3']);
  const r = w.run(['tune', '--resume', 'no-such-study']);
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /no study named "no-such-study"/);
});

test('the npm run tune path: grove tune diabetes with every default, from an empty directory', () => {
  const dir = mkdtempSync(join(tmpdir(), 'grove-tune-clean-'));
  const r = spawnSync(process.execPath, [grove, 'tune', 'diabetes'], { encoding: 'utf8', cwd: dir, timeout: 240_000, env: { ...process.env, GROVE_TRACKING_URI: '' } });
  assert.equal(r.status, 0, r.stderr);
  assert.ok(existsSync(join(dir, 'grove.db')), 'the default store ./grove.db');
  assert.match(r.stdout, /top trials/);
  assert.match(r.stdout, /test RMSE/);
  assert.match(r.stdout, /baseline RMSE/);
  assert.match(r.stdout, /models:\/diabetes\/1/);
  assert.match(r.stdout, /alias production {2}moved to version 1/);
  assert.match(r.stdout, /30 finished, 0 failed/);
});

test('cross-validation logs each fold as a step of fold_rmse; out-of-bag evaluation needs no validation rows', () => {
  const w = workspace();
  const cv = w.json(['tune', 'diabetes', '--trials', '3', '--sampler', 'random', '--cv', '3', '--no-promote']);
  assert.equal(cv.trials_finished, 3);
  const trial = w.trials(cv.study_id)[0];
  const show = w.json(['runs', 'show', trial.run_id]);
  const folds = JSON.stringify(show);
  assert.match(folds, /fold_rmse/);
  assert.ok(typeof trial.metrics.val_rmse === 'number');
  const oob = w.json(['tune', 'diabetes', '--trials', '3', '--eval', 'oob', '--no-promote']);
  assert.equal(oob.trials_finished, 3);
  assert.ok(oob.best_val_rmse > 30 && oob.best_val_rmse < 90, String(oob.best_val_rmse));
});
