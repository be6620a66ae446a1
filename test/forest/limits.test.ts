// Limits up front: a forest that cannot be held is refused before the fit, with the estimate
// and what to change.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RandomForestRegressor, GroveError } from '../../src/index.js';
import { checkForestFits, estimateForest, MAX_NODES } from '../../src/forest/limits.js';
import { toEngineParams, resolveParams } from '../../src/forest/params.js';
import { friedman } from '../helpers/datasets.js';

const grove = fileURLToPath(new URL('../../bin/grove.js', import.meta.url));

function withLimit<T>(bytes: string, f: () => T): T {
  const before = process.env.GROVE_MEMORY_LIMIT;
  process.env.GROVE_MEMORY_LIMIT = bytes;
  try {
    return f();
  } finally {
    if (before === undefined) delete process.env.GROVE_MEMORY_LIMIT;
    else process.env.GROVE_MEMORY_LIMIT = before;
  }
}

test('the node estimate bounds what a fit grows, and is close for min_samples_leaf 1', async () => {
  const d = friedman(3000, 2);
  for (const leaf of [1, 5]) {
    const m = await new RandomForestRegressor({ nEstimators: 6, minSamplesLeaf: leaf, seed: 4 }).fit(d.X, d.y);
    const e = estimateForest(toEngineParams(m.params, 3000, d.X.cols), 3000);
    const grown = m.forest.feature.length;
    assert.ok(grown <= e.nodes * 1.02, `leaf ${leaf}: grew ${grown}, estimated ${e.nodes}`);
    if (leaf === 1) assert.ok(grown >= e.nodes * 0.9, `leaf 1: grew ${grown}, estimated ${e.nodes}`);
  }
});

test('a forest over the memory limit is refused before the fit, naming the estimate and the options to change', async () => {
  const d = friedman(2000, 3);
  const m = new RandomForestRegressor({ nEstimators: 50, seed: 1 });
  await withLimit('1000000', async () => {
    await assert.rejects(m.fit(d.X, d.y), (err: unknown) => {
      assert.ok(err instanceof GroveError && err.code === 'INVALID_OPTION');
      assert.match(err.message, /would not fit in memory: 50 trees on 2000 rows .* GiB while fitting, more than GROVE_MEMORY_LIMIT/);
      assert.match(err.message, /--min-samples-leaf.*--max-depth.*--trees/);
      return true;
    });
  });
  assert.equal(m.isFitted, false);
  // the same forest with bigger leaves and a depth cap fits under a limit it failed before
  const small = await withLimit('20000000', () => new RandomForestRegressor({ nEstimators: 50, minSamplesLeaf: 20, maxDepth: 6, seed: 1 }).fit(d.X, d.y));
  assert.ok(small.isFitted);
  assert.throws(() => withLimit('lots', () => checkForestFits(toEngineParams(resolveParams({}), 10, 2), 10)), /GROVE_MEMORY_LIMIT must be a number/);
});

test('a forest past the int32 node ids is refused as too large', () => {
  const p = toEngineParams(resolveParams({ nEstimators: 5000 }), 1_000_000, 10);
  assert.ok(estimateForest(p, 1_000_000).nodes > MAX_NODES);
  assert.throws(
    () => checkForestFits(p, 1_000_000),
    (err: unknown) => err instanceof GroveError && /too large: 5000 trees on 1000000 rows.*--min-samples-leaf/.test(err.message),
  );
});

test('grove train refuses the forest before training, with a clear message and no model file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'grove-limits-'));
  const save = join(dir, 'model.grove');
  const r = spawnSync(process.execPath, [grove, 'train', 'friedman1:3000', '--trees', '40', '--save', save], {
    encoding: 'utf8',
    env: { ...process.env, GROVE_MEMORY_LIMIT: '2000000' },
  });
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /would not fit in memory/);
  assert.match(r.stderr, /--min-samples-leaf/);
  assert.doesNotMatch(r.stderr, /internal error/);
  assert.equal(existsSync(save), false);
});
