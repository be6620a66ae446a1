// grove train --save then grove predict on raw rows: the model's preprocessing travels with it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const grove = fileURLToPath(new URL('../../bin/grove.js', import.meta.url));
const run = (...args: string[]) => spawnSync(process.execPath, [grove, ...args], { encoding: 'utf8' });

function messyTrainingFile(dir: string): string {
  const colors = ['red', 'green', 'blue'];
  const lines = ['size,color,age,price'];
  for (let i = 0; i < 300; i++) {
    const size = 10 + ((i * 37) % 90);
    const color = colors[i % 3];
    const age = i % 17 === 0 ? '' : String((i * 13) % 40); // some missing ages, imputed
    const price = size * 3 + (color === 'red' ? 50 : color === 'green' ? 10 : 0) + ((i * 7) % 5);
    lines.push(`${size},${color},${age},${price}`);
  }
  const path = join(dir, 'train.csv');
  writeFileSync(path, lines.join('\n') + '\n');
  return path;
}

test('a categorical, imputed model predicts raw rows in any column order, equal to training-time encoding', () => {
  const dir = mkdtempSync(join(tmpdir(), 'grove-predict-'));
  const train = messyTrainingFile(dir);
  const model = join(dir, 'm.grove');
  const t = run('train', train, '--target', 'price', '--impute', 'median', '--save', model, '--trees', '20', '--json', '--no-track');
  assert.equal(t.status, 0, t.stderr);

  // the same rows, columns shuffled, an extra column, no target
  const raw = join(dir, 'raw.csv');
  writeFileSync(raw, 'note,age,color,size\nx,5,red,50\ny,,blue,20\nz,39,green,99\n');
  const p = run('predict', model, '--input', raw, '--json');
  assert.equal(p.status, 0, p.stderr);
  assert.match(p.stderr, /note/, 'the extra column is noted on stderr');
  const preds = JSON.parse(p.stdout).predictions as number[];
  assert.equal(preds.length, 3);
  // red adds 50 to the price of size 50: the encoding was applied, not just any number
  assert.ok(preds[0] > 170 && preds[0] < 230, `red size 50 -> ${preds[0]}`);
  assert.ok(preds[1] > 40 && preds[1] < 90, `blue size 20 -> ${preds[1]}`);

  const same = join(dir, 'same.csv');
  writeFileSync(same, 'size,color,age\n50,red,5\n20,blue,\n99,green,39\n');
  const q = run('predict', model, '--input', same, '--json');
  assert.deepEqual(JSON.parse(q.stdout).predictions, preds, 'column order does not matter');

  const out = join(dir, 'scored.csv');
  const c = run('predict', model, '--input', raw, '--output', out);
  assert.equal(c.status, 0, c.stderr);
  assert.equal(c.stdout, '');
  const lines = readFileSync(out, 'utf8').trim().split('\n');
  assert.equal(lines[0], 'note,age,color,size,prediction');
  assert.equal(Number(lines[1].split(',').pop()), preds[0]);
});

test('predict fails clearly on a missing column, an unseen category and a wrong type, writing nothing', () => {
  const dir = mkdtempSync(join(tmpdir(), 'grove-predict-'));
  const model = join(dir, 'm.grove');
  assert.equal(run('train', messyTrainingFile(dir), '--target', 'price', '--impute', 'mean', '--save', model, '--trees', '5', '--no-track').status, 0);
  const cases: [string, RegExp][] = [
    ['size,age\n1,2\n', /missing column "color"/],
    ['size,color,age\n1,purple,2\n', /color.*purple|purple.*color/],
    ['size,color,age\n1,red,2\nabc,red,3\n', /size.*row 2|row 2.*size/],
  ];
  for (const [body, pattern] of cases) {
    const input = join(dir, 'in.csv');
    writeFileSync(input, body);
    const out = join(dir, 'out.csv');
    const r = run('predict', model, '--input', input, '--output', out);
    assert.notEqual(r.status, 0, body);
    assert.match(r.stderr, pattern, body);
    assert.equal(existsSync(out), false, 'no partial output');
  }
});

test('predict rejects a model path that is not a model', () => {
  const dir = mkdtempSync(join(tmpdir(), 'grove-predict-'));
  const fake = join(dir, 'fake.grove');
  writeFileSync(fake, 'hello');
  const input = join(dir, 'in.csv');
  writeFileSync(input, 'a\n1\n');
  const r = run('predict', fake, '--input', input);
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /fake\.grove is not a valid grove model/);
  const missing = run('predict', join(dir, 'nope.grove'), '--input', input);
  assert.match(missing.stderr, /model file not found/);
});
