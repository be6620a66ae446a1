// The TS model-file fuzzer's long run (the test suite runs a bounded, seeded slice of it):
//   node --import tsx scripts/fuzz-model.ts [inputs=100000] [seed=1] [from=0]
// (from: check only inputs from that index on; the stream is the same, so a finding replays)
// Prints progress to stderr and one JSON report to stdout: inputs, how many were rejected,
// loaded, compared raw against the addon, the rejection reasons reached, and every finding with
// the seed, input index and mutations that reproduce it. Exits 1 when anything was found.
import { rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runModelFuzz } from '../test/fuzz/model-fuzzer.js';
import { seedModels } from '../test/fuzz/seed-models.js';

const count = Number(process.argv[2] ?? 100_000);
const seed = Number(process.argv[3] ?? 1);
const from = Number(process.argv[4] ?? 0);
const started = Date.now();
// the input being checked is written here first: after a hang or a crash it is the culprit
const current = join(tmpdir(), `grove-fuzz-model-${process.pid}.grove`);
const report = await runModelFuzz(await seedModels(), count, seed, {
  from,
  onProgress: (done, r) => {
    const s = ((Date.now() - started) / 1000).toFixed(0);
    console.error(`${done} inputs in ${s} s: ${r.rejected} rejected, ${r.loaded} loaded, ${r.findings.length} findings`);
  },
  onInput: (_i, bytes) => writeFileSync(current, bytes),
});
rmSync(current, { force: true });
console.log(JSON.stringify({ seed, seconds: (Date.now() - started) / 1000, ...report }, null, 2));
process.exit(report.findings.length ? 1 : 0);
