// README's tuning table: baseline vs tuned test RMSE on Diabetes over 10 split seeds.
// Each seed: `grove tune diabetes --trials 50 --seed S` in a fresh store (the seed moves the
// test split, the validation split and the sampler). Prints a markdown row and one JSON line.
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const grove = fileURLToPath(new URL('../bin/grove.js', import.meta.url));
const args = process.argv.slice(2);
const seeds = Number(args[args.indexOf('--seeds') + 1] || 10);
const trials = Number(args[args.indexOf('--trials') + 1] || 50);
const rows: { seed: number; baseline: number; tuned: number; wallS: number }[] = [];
for (let seed = 0; seed < seeds; seed++) {
  const dir = mkdtempSync(join(tmpdir(), 'grove-tune-bench-'));
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [grove, 'tune', 'diabetes', '--trials', String(trials), '--seed', String(seed), '--no-promote', '--json', '--tracking-uri', join(dir, 'g.db')], {
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(r.stderr);
  const out = JSON.parse(r.stdout);
  rows.push({ seed, baseline: out.baseline_test_rmse, tuned: out.test_rmse, wallS: (performance.now() - t0) / 1000 });
  process.stderr.write(`seed ${seed}: baseline ${out.baseline_test_rmse.toFixed(2)}, tuned ${out.test_rmse.toFixed(2)}\n`);
}
const stats = (xs: number[]) => {
  const m = xs.reduce((a, b) => a + b, 0) / xs.length;
  const sd = Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1));
  return { mean: m, sd };
};
const b = stats(rows.map((r) => r.baseline));
const t = stats(rows.map((r) => r.tuned));
const d = stats(rows.map((r) => r.baseline - r.tuned));
console.log(`| ${seeds} seeds x ${trials} trials (TPE) | ${b.mean.toFixed(2)} ± ${b.sd.toFixed(2)} | ${t.mean.toFixed(2)} ± ${t.sd.toFixed(2)} | ${d.mean.toFixed(2)} ± ${d.sd.toFixed(2)} |`);
console.log(JSON.stringify({ seeds, trials, baseline: b, tuned: t, improvement: d, rows }));
