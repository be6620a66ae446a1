// grove train end to end: JSON output contract, --save, errors and exit codes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RandomForestRegressor } from '../../src/index.js';

const grove = fileURLToPath(new URL('../../bin/grove.js', import.meta.url));
const run = (...args: string[]) => spawnSync(process.execPath, [grove, ...args], { encoding: 'utf8' });

test('grove train diabetes --json prints exactly one JSON object with the documented fields', () => {
  const r = run('train', 'diabetes', '--json', '--trees', '30', '--no-track');
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  for (const key of ['fit_s', 'predict_s', 'rmse', 'r2', 'oob_rmse', 'n_train', 'n_test', 'backend', 'split_mode']) {
    assert.ok(key in out, `missing ${key}`);
  }
  assert.equal(out.backend, 'native');
  assert.equal(out.n_train + out.n_test, 442);
  assert.equal(out.n_test, 88);
  assert.ok(out.rmse > 40 && out.rmse < 75, `rmse ${out.rmse}`);
  assert.ok(out.fit_s > 0 && out.predict_s > 0);
});

test('grove train is reproducible from the seed and the split follows --seed', () => {
  const a = JSON.parse(run('train', 'diabetes', '--json', '--trees', '10', '--seed', '3', '--no-track').stdout);
  const b = JSON.parse(run('train', 'diabetes', '--json', '--trees', '10', '--seed', '3', '--no-track').stdout);
  const c = JSON.parse(run('train', 'diabetes', '--json', '--trees', '10', '--seed', '4', '--no-track').stdout);
  assert.equal(a.rmse, b.rmse);
  assert.notEqual(a.rmse, c.rmse);
});

test('--save writes a model file that loads and --test takes an explicit test set', () => {
  const dir = mkdtempSync(join(tmpdir(), 'grove-train-'));
  const train = join(dir, 'train.csv');
  const test = join(dir, 'test.csv');
  const rows = (n: number, off: number) =>
    Array.from({ length: n }, (_, i) => {
      const a = ((i + off) * 7) % 13;
      const b = ((i + off) * 5) % 11;
      return `${a},${b},${2 * a - b}`;
    });
  writeFileSync(train, ['a,b,label', ...rows(200, 0)].join('\n') + '\n');
  writeFileSync(test, ['a,b,label', ...rows(50, 1000)].join('\r\n') + '\r\n');
  const model = join(dir, 'm.grove');
  const r = run('train', train, '--target', 'label', '--test', test, '--save', model, '--json', '--no-track');
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.equal(out.n_train, 200);
  assert.equal(out.n_test, 50);
  const m = RandomForestRegressor.fromBuffer(readFileSync(model));
  assert.deepEqual(m.featureNames, ['a', 'b']);
  assert.equal(m.targetName, 'label');
});

test('bad flags and files fail with a message naming them and a non-zero exit', () => {
  const cases: [string[], RegExp][] = [
    [['train', 'diabetes', '--trees', '0'], /--trees must be >= 1/],
    [['train', 'diabetes', '--max-features', 'half'], /max_features/],
    [['train', 'diabetes', '--split-mode', 'fast'], /--split-mode must be one of exact, hist, auto/],
    [['train', 'diabetes', '--test-frac', '1.5'], /--test-frac must be in \(0, 1\)/],
    [['train', 'diabetes', '--target', 'nope'], /nope/],
    [['train', '/no/such/file.csv', '--target', 'y'], /no\/such\/file\.csv/],
  ];
  for (const [args, pattern] of cases) {
    const r = run(...args);
    assert.notEqual(r.status, 0, args.join(' '));
    assert.equal(r.stdout, '', args.join(' '));
    assert.match(r.stderr, pattern, args.join(' '));
    assert.doesNotMatch(r.stderr, /^\s+at /m, 'no stack trace');
  }
});

test('a failed --save leaves no file behind', () => {
  const dir = mkdtempSync(join(tmpdir(), 'grove-train-'));
  const target = join(dir, 'missing-dir', 'm.grove');
  const r = run('train', 'diabetes', '--trees', '3', '--save', target, '--no-track');
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /missing-dir/);
  assert.equal(existsSync(target), false);
});

test('grove --help and grove train --help describe the flags', () => {
  const r = run('train', '--help');
  assert.equal(r.status, 0);
  for (const flag of ['--trees', '--n-estimators', '--max-depth', '--max-features', '--no-bootstrap', '--split-mode', '--test-frac', '--save', '--json']) {
    assert.ok(r.stdout.includes(flag), `help lacks ${flag}`);
  }
});
