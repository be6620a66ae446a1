// A bounded, seeded slice of the model-file fuzzer (scripts/fuzz-model.ts runs it long): 2,500
// mutated real model files (formats 1 and 2, regressors and classifiers) with valid checksums
// through decodeModel, the addon's and the TS validator on the raw format-1 arrays and on decoded
// format-2 forests, and both backends' predictions (a classifier's predictProba). Same seed, same
// inputs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runModelFuzz } from './model-fuzzer.js';
import { seedModels } from './seed-models.js';

test('2,500 mutated model files of formats 1 and 2, regressors and classifiers: clear errors, twin validators agree, loaded forests predict the same on both backends', async () => {
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
    // format 2
    'node kinds mark N splits, the header says N',
    'node kinds: bits set past the last node',
    'past the end of the tree (node kinds do not form a tree)',
    'tree N: ends with N split(s) missing a child (node kinds do ',
    'tree N has N nodes (a full binary tree has an odd count)',
    'tree sizes add up to more than the N nodes in the header',
    "threshold rank N past feature N's table of N",
    'feature N: threshold table is not strictly increasing',
    'feature N: threshold table entry N is NaN',
    'threshold tables hold N entries, the header says N',
    'feature N out of range (the model has N)',
    'threshold codes take N bytes, the header says N',
    'stats checksum mismatch (the file is corrupted)',
    'expected N bytes for N trees and N nodes, got N (truncated?)',
    'the header lacks the versionN layout',
    // classifiers
    "a classifier's n_classes must be an integer in [N, N] (got N",
    'classes lists N labels, n_classes is N',
    'classes must be distinct and sorted ascending',
    'classes must list at least N class labels',
    'classes row N: the class label is missing',
    "a regressor's header has n_classes N",
    'expected N bytes for N trees and N nodes of N classes, got N',
  ]) {
    assert.ok((report.reasons[reason] ?? 0) > 0, `no input reached "${reason}": ${JSON.stringify(report.reasons)}`);
  }
  assert.ok(report.loaded > 100, `only ${report.loaded} inputs loaded`);
  // about a quarter of the inputs are format 1, whose arrays the fuzzer can hand the addon raw
  assert.ok(report.rawCompared > 400, `only ${report.rawCompared} inputs compared raw`);
  assert.ok(report.v2Inputs > 1500, `only ${report.v2Inputs} format-2 inputs`);
  assert.ok(report.decodedCompared > 250, `only ${report.decodedCompared} decoded format-2 forests compared`);
  // about a third of the inputs come from the six classifier seeds
  assert.ok(report.classifierInputs > 700, `only ${report.classifierInputs} classifier inputs`);
  assert.ok(report.classifierLoaded > 80, `only ${report.classifierLoaded} classifier inputs loaded`);
  assert.ok(
    Object.keys(report.reasons).some((r) => r.startsWith('task ')),
    'no input reached the task check',
  );
  assert.ok(
    Object.keys(report.reasons).some((r) => / is an? (string|number|boolean), earlier labels are /.test(r)),
    'no input reached the mixed-kind classes check',
  );
  assert.ok(report.v2LoadedWithoutStats > report.loaded / 4, `only ${report.v2LoadedWithoutStats} format-2 inputs loaded without stats`);
});

test('the fuzzer is deterministic: the same seed gives the same report', async () => {
  const seeds = await seedModels();
  const a = await runModelFuzz(seeds, 300, 7);
  const b = await runModelFuzz(seeds, 300, 7);
  assert.deepEqual(a, b);
});
