// Tuning a classifier end to end: real `grove tune` processes, a real SQLite store, real piscina
// workers and the real addon, on the bundled breast-cancer table and the classes: generator.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GroveError } from '../../src/errors.js';
import { RandomForestClassifier } from '../../src/forest/classifier.js';
import { forestModelFromChunks } from '../../src/forest/load-model.js';
import { openStore } from '../../src/track/tracking-uri.js';
import { checkSpaceForTask, defaultSpace, forestParamsFor, parseSpace, spaceToJson, validateSpace } from '../../src/tune/space.js';
import { checkMetricForTask, resolveStudyConfig } from '../../src/tune/study-config.js';
import { higherIsBetter, objectiveOf } from '../../src/tune/trial-task.js';
import { studyConfig } from './helpers.js';

const grove = fileURLToPath(new URL('../../bin/grove.js', import.meta.url));

function workspace() {
  const dir = mkdtempSync(join(tmpdir(), 'grove-tune-clf-'));
  const db = join(dir, 'grove.db');
  const run = (args: string[]) => spawnSync(process.execPath, [grove, ...args, '--tracking-uri', db], { encoding: 'utf8', cwd: dir, timeout: 240_000 });
  const json = (args: string[]) => {
    const r = run([...args, '--json']);
    assert.equal(r.status, 0, r.stderr);
    return JSON.parse(r.stdout);
  };
  const children = (studyId: string, type: string) =>
    (json(['runs', 'list', '--filter', `tags.\`grove.type\` = '${type}'`, '--limit', '100000']) as Record<string, any>[]).filter((r) => r.parent_run_id === studyId);
  return { dir, db, run, json, children };
}

const isGrove = (pattern: RegExp) => (err: unknown) => err instanceof GroveError && pattern.test(err.message);

const CLASSIFICATION_KEYS = ['val_log_loss', 'val_accuracy', 'val_balanced_accuracy', 'val_roc_auc', 'val_f1_macro'];

test('the default classification space adds criterion and class_weight and draws max_features from classifier choices', () => {
  const s = defaultSpace('classification');
  assert.deepEqual(s.criterion, { type: 'choice', choices: ['gini', 'entropy'] });
  assert.deepEqual(s.class_weight, { type: 'choice', choices: [null, 'balanced', 'balanced_subsample'] });
  assert.equal(s.max_features.type, 'choice');
  const mf = s.max_features.type === 'choice' ? s.max_features.choices : [];
  assert.equal(mf[0], 'sqrt');
  assert.ok(mf.includes('all'));
  for (const key of ['n_estimators', 'max_depth', 'min_samples_split', 'min_samples_leaf']) assert.deepEqual(s[key], defaultSpace('regression')[key], key);
  validateSpace(s);
  checkSpaceForTask(s, 'classification');
  assert.deepEqual(parseSpace(spaceToJson(s)), s);
  // the regression default is the seed's, without the classifier keys
  assert.deepEqual(Object.keys(defaultSpace()), ['n_estimators', 'max_depth', 'min_samples_split', 'min_samples_leaf', 'max_features']);
  assert.deepEqual(defaultSpace(), defaultSpace('regression'));
});

test('search-space JSON takes criterion and class_weight, validated, and checked against the study task', () => {
  const s = parseSpace({ criterion: { choice: ['gini', 'entropy'] }, class_weight: { grid: [null, 'none', 'balanced', 'balanced_subsample'] }, n_estimators: 20 }, 'space.json');
  assert.deepEqual(s.class_weight, { type: 'grid', values: [null, 'none', 'balanced', 'balanced_subsample'] });
  assert.throws(() => parseSpace({ criterion: { choice: ['gini', 'mse'] } }, 'space.json'), isGrove(/space\.json: criterion: choice value "mse": must be one of gini, entropy, squared_error/));
  assert.throws(() => parseSpace({ class_weight: 'heavy' }), isGrove(/class_weight: .*"balanced" or "balanced_subsample"/));
  assert.throws(() => parseSpace({ class_weight: { float: [0.1, 0.9] } }), isGrove(/class_weight: cannot be a float range; use choice/));
  assert.throws(() => parseSpace({ classweight: 'balanced' }), isGrove(/unknown hyperparameter; did you mean class_weight\?/));
  assert.throws(() => checkSpaceForTask(parseSpace({ class_weight: 'balanced' }), 'regression', 'space.json'), isGrove(/space\.json: class_weight: applies to classification only/));
  assert.throws(
    () => checkSpaceForTask(parseSpace({ criterion: 'squared_error' }), 'classification'),
    isGrove(/criterion: "squared_error" is not a classification criterion \(a classification study takes gini or entropy\)/),
  );
  assert.throws(() => checkSpaceForTask(parseSpace({ criterion: { choice: ['gini', 'squared_error'] } }), 'regression'), isGrove(/criterion: "gini" is not a regression criterion/));
  checkSpaceForTask(parseSpace({ criterion: 'squared_error' }), 'regression');
  // a configuration's forest params for each task ("none" is no class weights)
  assert.deepEqual(forestParamsFor({ criterion: 'entropy', class_weight: 'none', max_depth: 4 }, 'classification'), { criterion: 'entropy', classWeight: null, maxDepth: 4 });
  assert.deepEqual(forestParamsFor({ criterion: 'squared_error', max_depth: 4 }, 'regression'), { maxDepth: 4 });
});

test('each metric has its direction, and a metric of the other task is refused naming --metric and the allowed values', () => {
  for (const m of ['rmse', 'mae', 'log_loss'] as const) assert.equal(higherIsBetter(m), false, m);
  for (const m of ['r2', 'accuracy', 'balanced_accuracy', 'roc_auc', 'f1_macro'] as const) assert.equal(higherIsBetter(m), true, m);
  assert.equal(objectiveOf('accuracy', 0.9), -0.9);
  assert.equal(objectiveOf('log_loss', 0.2), 0.2);
  assert.throws(
    () => checkMetricForTask('rmse', 'classification'),
    isGrove(/--metric: is a regression metric, but this study is a classification; use one of log_loss, accuracy, balanced_accuracy, roc_auc, f1_macro \(default log_loss\)/),
  );
  assert.throws(() => checkMetricForTask('accuracy', 'regression'), isGrove(/--metric: is a classification metric, but this study is a regression; use one of rmse, mae, r2 \(default rmse\)/));
  // the task decides the default metric and space
  const { metric: _m, space: _s, ...draft } = studyConfig();
  const c = resolveStudyConfig(draft, 'classification');
  assert.equal(c.metric, 'log_loss');
  assert.equal(c.task, 'classification');
  assert.deepEqual(c.space, defaultSpace('classification'));
  assert.equal(resolveStudyConfig(draft, 'regression').metric, 'rmse');
});

test('grove tune with a metric of the wrong task fails before anything is written', () => {
  const w = workspace();
  for (const [args, pattern] of [
    [['tune', 'breast-cancer', '--metric', 'rmse'], /--metric: is a regression metric, but this study is a classification; use one of log_loss, accuracy, balanced_accuracy, roc_auc, f1_macro/],
    [['tune', 'diabetes', '--metric', 'roc_auc'], /--metric: is a classification metric, but this study is a regression; use one of rmse, mae, r2/],
    [['tune', 'breast-cancer', '--metric', 'auc'], /--metric must be one of rmse, mae, r2, log_loss, accuracy, balanced_accuracy, roc_auc, f1_macro/],
  ] as [string[], RegExp][]) {
    const r = w.run(args);
    assert.notEqual(r.status, 0, args.join(' '));
    assert.match(r.stderr, pattern, args.join(' '));
  }
  const space = join(w.dir, 'space.json');
  writeFileSync(space, JSON.stringify({ class_weight: { choice: [null, 'balanced'] } }));
  const r = w.run(['tune', 'diabetes', '--space', space]);
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /class_weight: applies to classification only/);
  assert.equal(existsSync(w.db), false, 'no store was created by failing commands');
});

/** The trials' values of `key`, and the trial the study calls best, checked to be the best of them in the metric's direction. */
function checkBest(w: ReturnType<typeof workspace>, out: Record<string, any>, metric: string) {
  const trials = w.children(out.study_id, 'trial').filter((t) => t.status === 'FINISHED' && t.tags.pruned !== 'true');
  assert.ok(trials.length >= 2);
  for (const t of trials) for (const k of CLASSIFICATION_KEYS) assert.equal(typeof t.metrics[k], 'number', `${k} of trial ${t.tags['grove.trial']}`);
  const values = trials.map((t) => t.metrics[`val_${metric}`] as number);
  const best = higherIsBetter(metric as 'accuracy') ? Math.max(...values) : Math.min(...values);
  assert.equal(out[`best_val_${metric}`], best);
  const bestTrial = trials.find((t) => Number(t.tags['grove.trial']) === out.best_trial)!;
  assert.equal(bestTrial.metrics[`val_${metric}`], best);
  return trials;
}

test('a breast-cancer study minimises log_loss by default, logs every classification metric, and registers a classifier that loads', async () => {
  const w = workspace();
  const out = w.json(['tune', 'breast-cancer', '--trials', '6', '--sampler', 'random', '--seed', '1', '--cpus', '2', '--register', 'bc']);
  assert.equal(out.task, 'classification');
  assert.equal(out.trials_finished, 6);
  const trials = checkBest(w, out, 'log_loss');
  assert.ok(trials.every((t) => t.params.criterion === 'gini' || t.params.criterion === 'entropy'));
  assert.ok(trials.every((t) => typeof t.metrics.oob_accuracy === 'number'));
  for (const k of ['test_log_loss', 'test_accuracy', 'test_balanced_accuracy', 'test_roc_auc', 'test_f1_macro', 'baseline_test_log_loss', 'baseline_test_accuracy']) {
    assert.equal(typeof out[k], 'number', k);
  }
  assert.ok(out.test_accuracy > 0.85, `test accuracy ${out.test_accuracy}`);
  assert.equal(out.test_rmse, undefined);
  assert.equal(out.model_uri, 'models:/bc/1');
  assert.equal(out.promoted, true);

  const store = await openStore(w.db, { create: false });
  try {
    const version = await store.getModelVersion('bc', 1);
    const model = await forestModelFromChunks(store.readModelVersionChunks('bc', 1), { totalBytes: version.size });
    assert.ok(model instanceof RandomForestClassifier);
    assert.deepEqual(model.classes, ['benign', 'malignant']);
    const refit = w.children(out.study_id, 'refit');
    assert.equal(refit.length, 1);
    assert.equal(refit[0].run_id, version.runId);
    const names = (await store.listArtifacts(refit[0].run_id)).map((a) => a.name).sort();
    assert.deepEqual(names, ['confusion_matrix.json', 'model', 'roc_curve.json']);
    const cm = JSON.parse((await store.readArtifact(refit[0].run_id, 'confusion_matrix.json')).toString());
    assert.deepEqual(cm.labels, ['benign', 'malignant']);
    const total = cm.matrix.flat().reduce((a: number, b: number) => a + b, 0);
    assert.equal(total, refit[0].metrics.n_test);
    const correct = cm.matrix[0][0] + cm.matrix[1][1];
    assert.ok(Math.abs(correct / total - out.test_accuracy) < 1e-12);
    const roc = JSON.parse((await store.readArtifact(refit[0].run_id, 'roc_curve.json')).toString());
    assert.equal(roc.positive_label, 'malignant');
    assert.ok(roc.fpr.length <= 201 && roc.fpr.length === roc.tpr.length);
    assert.ok(Math.abs(roc.auc - out.test_roc_auc) < 1e-12);
  } finally {
    await store.close();
  }
});

test('a study on accuracy maximises it, and champion/challenger compares test accuracy (higher wins)', () => {
  const w = workspace();
  const first = w.json(['tune', 'breast-cancer', '--trials', '5', '--sampler', 'random', '--seed', '2', '--metric', 'accuracy', '--cpus', '2', '--register', 'bc']);
  checkBest(w, first, 'accuracy');
  assert.equal(first.promoted, true);
  // a stump forest is worse on test accuracy than the tuned champion: production stays (the
  // same seed: the same test rows)
  const bad = join(w.dir, 'stumps.json');
  writeFileSync(bad, JSON.stringify({ n_estimators: 1, max_depth: 1, max_features: 1, bootstrap: true, criterion: 'gini' }));
  const second = w.json(['tune', 'breast-cancer', '--trials', '2', '--sampler', 'random', '--seed', '2', '--metric', 'accuracy', '--space', bad, '--cpus', '2', '--register', 'bc']);
  assert.equal(second.version, 2);
  assert.equal(typeof second.champion_test_accuracy, 'number');
  assert.equal(second.champion_test_accuracy, first.test_accuracy, 'the champion is scored on the same test rows');
  if (second.test_accuracy > second.champion_test_accuracy) {
    assert.equal(second.promoted, true);
  } else {
    assert.equal(second.promoted, false);
    assert.match(second.promotion, /kept version 1: its test accuracy .* is not worse than/);
  }
  assert.ok(second.champion_test_accuracy > second.test_accuracy, `stumps ${second.test_accuracy} vs champion ${second.champion_test_accuracy}`);
  assert.equal(second.promoted, false);
  const model = w.json(['models', 'show', 'bc']);
  assert.deepEqual(model.aliases, { production: 1 });
});

test('successive halving on a 3-class study reports rungs of the chosen metric in its direction; people output shows the classification metrics', () => {
  const w = workspace();
  const r = w.run(['tune', 'classes:900:3:5', '--trials', '9', '--scheduler', 'asha', '--metric', 'balanced_accuracy', '--seed', '4', '--cpus', '2', '--no-promote']);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /top trials \(validation balanced_accuracy\)/);
  assert.match(r.stdout, /test {14}log_loss [0-9.]+, accuracy [0-9.]+, balanced_accuracy [0-9.]+, roc_auc [0-9.]+, f1_macro [0-9.]+/);
  assert.match(r.stdout, /baseline {10}log_loss/);
  const id = /\(([0-9a-f]{32})\): 9 finished/.exec(r.stdout)![1];
  const trials = w.children(id, 'trial');
  assert.equal(trials.filter((t) => t.status === 'FINISHED').length, 9);
  // every rung value is a balanced accuracy (in [0, 1], not negated)
  const status = w.json(['study', 'status', id]);
  assert.ok(status.best.val_balanced_accuracy > 0.34 && status.best.val_balanced_accuracy <= 1);
  const finished = trials.filter((t) => t.status === 'FINISHED' && t.tags.pruned !== 'true').map((t) => t.metrics.val_balanced_accuracy as number);
  assert.equal(status.best.val_balanced_accuracy, Math.max(...finished));
});

test('a classification study under stratified cross-validation logs fold_<metric> per fold; out-of-bag evaluation scores the OOB class probabilities', () => {
  const w = workspace();
  const cv = w.json(['tune', 'breast-cancer', '--trials', '3', '--sampler', 'random', '--cv', '3', '--metric', 'roc_auc', '--cpus', '2', '--no-promote']);
  assert.equal(cv.trials_finished, 3);
  checkBest(w, cv, 'roc_auc');
  const trial = w.children(cv.study_id, 'trial')[0];
  const history = w.json(['runs', 'show', trial.run_id]);
  assert.match(JSON.stringify(history), /fold_roc_auc/);
  assert.ok(cv.best_val_roc_auc > 0.9 && cv.best_val_roc_auc <= 1, String(cv.best_val_roc_auc));
  const oob = w.json(['tune', 'breast-cancer', '--trials', '3', '--sampler', 'random', '--eval', 'oob', '--metric', 'f1_macro', '--cpus', '2', '--no-promote']);
  assert.equal(oob.trials_finished, 3);
  checkBest(w, oob, 'f1_macro');
  assert.ok(oob.best_val_f1_macro > 0.85 && oob.best_val_f1_macro <= 1, String(oob.best_val_f1_macro));
});

test('grove worker joins a classification study: it prepares the same classes and logs the same metrics', async () => {
  const w = workspace();
  const worker = spawn(process.execPath, [grove, 'worker', '--study', 'shared-clf', '--tracking-uri', w.db, '--cpus', '1', '--json'], { cwd: w.dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  worker.stdout.on('data', (b) => (stdout += b));
  worker.stderr.on('data', (b) => (stderr += b));
  const exited = new Promise<number | null>((resolve) => worker.on('close', resolve));
  const out = w.json(['tune', 'breast-cancer', '--study', 'shared-clf', '--trials', '8', '--sampler', 'random', '--metric', 'f1_macro', '--cpus', '1', '--no-promote']);
  assert.equal(await exited, 0, stderr);
  const joined = JSON.parse(stdout);
  assert.equal(joined.task, 'classification');
  assert.equal(out.trials_finished, 8);
  assert.equal(joined.trials_finished_here + out.trials_finished_here, 8);
  checkBest(w, out, 'f1_macro');
  assert.equal(joined.best_val_f1_macro, out.best_val_f1_macro);
});
