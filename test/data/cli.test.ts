import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { tempDir, writeFile } from './tmp.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const dir = tempDir('cli');

function grove(...args: string[]) {
  return spawnSync(process.execPath, ['bin/grove.js', ...args], { cwd: root, encoding: 'utf8' });
}

test('grove data describe diabetes --json prints one JSON document', () => {
  const r = grove('data', 'describe', 'diabetes', '--json');
  assert.equal(r.status, 0, r.stderr);
  const doc = JSON.parse(r.stdout);
  assert.equal(doc.source, 'diabetes');
  assert.equal(doc.rows, 442);
  assert.equal(doc.target, 'target');
  assert.equal(doc.columns.length, 11);
  const bmi = doc.columns.find((c: { name: string }) => c.name === 'bmi');
  assert.deepEqual(Object.keys(bmi), ['name', 'type', 'role', 'missing', 'distinct', 'min', 'max', 'mean']);
  assert.equal(bmi.type, 'numeric');
  assert.equal(bmi.min, 18);
  assert.equal(bmi.max, 42.2);
  assert.equal(doc.columns.find((c: { name: string }) => c.name === 'sex').distinct, 2);
});

test('grove data describe prints a table with categorical top values', () => {
  const path = writeFile(dir, 'mixed.csv', 'color,n,y\nred,1,1\nblue,2,2\nred,,3\n');
  const r = grove('data', 'describe', path, '--target', 'y');
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /3 rows, 3 columns \(csv\)/);
  assert.match(r.stdout, /color\s+categorical\s+0\s+2\s+red \(2\), blue \(1\)/);
  assert.match(r.stdout, /n\s+numeric\s+1\s+2\s+1\s+2\s+1\.5/);
  assert.match(r.stdout, /y \(target\)/);
});

test('a bad file ends in one error line on stderr and a non-zero exit', () => {
  const path = writeFile(dir, 'ragged.csv', 'a,b\n1,2\n3\n');
  const r = grove('data', 'describe', path, '--json');
  assert.notEqual(r.status, 0);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, /^grove: error: .*ragged\.csv: line 3 \(data row 2\) has 1 field, but the header has 2/);
  assert.doesNotMatch(r.stderr, /\n\s+at /);
  const missingTarget = grove('data', 'describe', 'diabetes', '--target', 'tarket');
  assert.notEqual(missingTarget.status, 0);
  assert.match(missingTarget.stderr, /target column "tarket" is not in the data \(did you mean "target"\?\)/);
});
