// A bounded, seeded slice of the model-file fuzzer (scripts/fuzz-model.ts runs it long): 2,500
// mutated real model files with valid checksums through decodeModel, the addon's and the TS
// validator on the raw arrays, and both backends' predictions. Same seed, same inputs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runModelFuzz } from './model-fuzzer.js';
import { seedModels } from './seed-models.js';

test('2,500 mutated model files: clear errors, twin validators agree, loaded forests predict the same on both backends', async () => {
  const report = await runModelFuzz(await seedModels(), 2500, 1);
  assert.deepEqual(report.findings, [], JSON.stringify(report.findings.slice(0, 5), null, 2));
  assert.equal(report.inputs, 2500);
  assert.equal(report.rejected + report.loaded, 2500);
  // the mutations reach the structural checks, not only the checksum and the header
  for (const reason of [
    'left child N out of range',
    'right child N out of range',
    'feature N out of range',
    'a leaf has children',
    'has more than one parent',
    'no parent (unreachable)',
    'threshold is NaN',
    'leaf value is not finite',
    'tree N ends at node N, past the node count N',
    'tree offsets end at N, not at the node count N',
    'feature_names must list N names',
  ]) {
    assert.ok((report.reasons[reason] ?? 0) > 0, `no input reached "${reason}": ${JSON.stringify(report.reasons)}`);
  }
  assert.ok(report.loaded > 100, `only ${report.loaded} inputs loaded`);
  assert.ok(report.rawCompared > 1000, `only ${report.rawCompared} inputs compared raw`);
});

test('the fuzzer is deterministic: the same seed gives the same report', async () => {
  const seeds = await seedModels();
  const a = await runModelFuzz(seeds, 300, 7);
  const b = await runModelFuzz(seeds, 300, 7);
  assert.deepEqual(a, b);
});
