// grove predict streams its output: a large input scores to stdout and to --output (written
// atomically) with one line per row, the same bytes either way; --json streams one document.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FEATURES, diabetesRows, groveSync, tempDir } from './helpers.js';

test('200k rows stream to stdout and to --output identically; --json gives one document', () => {
  const dir = tempDir();
  const model = join(dir, 'm.grove');
  const t = groveSync('train', 'diabetes', '--trees', '5', '--save', model, '--no-track', '--json');
  assert.equal(t.status, 0, t.stderr);
  const n = 200_000;
  const input = join(dir, 'big.csv');
  writeFileSync(input, [FEATURES.join(','), ...diabetesRows(n).map((r) => r.join(','))].join('\n') + '\n');

  const out = join(dir, 'scored.csv');
  const f = groveSync('predict', model, '--input', input, '--output', out);
  assert.equal(f.status, 0, f.stderr);
  assert.match(f.stderr, /wrote 200000 predictions/);
  assert.deepEqual(
    readdirSync(dir).filter((x) => x.includes('.tmp-')),
    [],
    'no temporary file left',
  );
  const text = readFileSync(out, 'utf8');
  const lines = text.split('\n');
  assert.equal(lines.length, n + 2, 'header, n rows, final newline');
  assert.equal(lines[0], [...FEATURES, 'prediction'].join(','));
  for (const i of [1, 8192, 8193, n]) assert.equal(lines[i].split(',').length, FEATURES.length + 1, `line ${i}`);

  const s = spawnBig(['predict', model, '--input', input]);
  assert.equal(s, text, 'stdout holds the same bytes');

  const j = JSON.parse(spawnBig(['predict', model, '--input', input, '--json'])) as { predictions: number[] };
  assert.equal(j.predictions.length, n);
  assert.deepEqual(
    j.predictions.slice(0, 3),
    lines.slice(1, 4).map((l) => Number(l.split(',').pop())),
  );
});

function spawnBig(args: string[]): string {
  const r = groveSync(...args);
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
}
