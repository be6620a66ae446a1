// The TS model-file fuzzer's long run (the test suite runs a bounded, seeded slice of it):
//   node --import tsx scripts/fuzz-model.ts [inputs=100000] [seed=1]
// Prints progress to stderr and one JSON report to stdout: inputs, how many were rejected,
// loaded, compared raw against the addon, the rejection reasons reached, and every finding with
// the seed, input index and mutations that reproduce it. Exits 1 when anything was found.
import { runModelFuzz } from '../test/fuzz/model-fuzzer.js';
import { seedModels } from '../test/fuzz/seed-models.js';

const count = Number(process.argv[2] ?? 100_000);
const seed = Number(process.argv[3] ?? 1);
const started = Date.now();
const report = await runModelFuzz(await seedModels(), count, seed, (done, r) => {
  const s = ((Date.now() - started) / 1000).toFixed(0);
  console.error(`${done} inputs in ${s} s: ${r.rejected} rejected, ${r.loaded} loaded, ${r.findings.length} findings`);
});
console.log(JSON.stringify({ seed, seconds: (Date.now() - started) / 1000, ...report }, null, 2));
process.exit(report.findings.length ? 1 : 0);
