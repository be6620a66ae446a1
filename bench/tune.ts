// Tuning benchmark rows (issue 5): prints one JSON line (progress on stderr).
//  1. the same 10-trial random search with 3-fold inner CV: `grove tune` vs scikit-learn +
//     joblib (RandomizedSearchCV), whole commands, medians of --reps runs, interleaved;
//  2. 100 TPE trials on Diabetes: wall time, CPU use (user+sys over wall x cpus) of the whole
//     command and the trial phase's busy share, from the trials recorded in the store;
//  3. overhead per trial outside the fit (duration_s - fit_s of each trial), median.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openStore } from '../src/track/tracking-uri.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const grove = join(root, 'bin', 'grove.js');
const args = process.argv.slice(2);
const quick = process.env.BENCH_QUICK === '1';
const reps = Number(args[args.indexOf('--reps') + 1] || (quick ? 1 : 3));
const bigTrials = quick ? 20 : 100;
const cpus = availableParallelism();
const python = '/usr/bin/python3';

function timed(cmd: string, argv: string[]): { wallS: number; userS: number; sysS: number; stdout: string } {
  const r = spawnSync('/usr/bin/time', ['-f', '%e %U %S', cmd, ...argv], { encoding: 'utf8', maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`${cmd} ${argv.join(' ')}: ${r.stderr}`);
  const [wallS, userS, sysS] = r.stderr.trim().split('\n').pop()!.split(' ').map(Number);
  return { wallS, userS, sysS, stdout: r.stdout };
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const haveSklearn = existsSync(python) && spawnSync(python, ['-c', 'import sklearn, scipy']).status === 0;

// 1. random search, 3-fold CV
const grovePs: number[] = [];
const sklearnPs: number[] = [];
const groveRmse: number[] = [];
const sklearnRmse: number[] = [];
for (let r = 0; r < reps; r++) {
  const dir = mkdtempSync(join(tmpdir(), 'grove-bench-tune-'));
  process.stderr.write(`tune bench: random search rep ${r + 1}/${reps}\n`);
  const g = timed(process.execPath, [
    grove,
    'tune',
    'diabetes',
    '--trials',
    '10',
    '--sampler',
    'random',
    '--cv',
    '3',
    '--seed',
    String(r),
    '--no-promote',
    '--json',
    '--tracking-uri',
    join(dir, 'g.db'),
  ]);
  grovePs.push(g.wallS);
  groveRmse.push(JSON.parse(g.stdout).test_rmse);
  if (haveSklearn) {
    const s = timed(python, [join(root, 'bench', 'runners', 'sklearn_search.py'), join(root, 'data', 'diabetes.csv'), String(r), String(cpus)]);
    sklearnPs.push(s.wallS);
    sklearnRmse.push(JSON.parse(s.stdout).test_rmse);
  }
}

// 2. and 3. 100 TPE trials
process.stderr.write(`tune bench: ${bigTrials} TPE trials\n`);
const dir = mkdtempSync(join(tmpdir(), 'grove-bench-tune-'));
const db = join(dir, 'g.db');
const big = timed(process.execPath, [grove, 'tune', 'diabetes', '--trials', String(bigTrials), '--no-promote', '--json', '--tracking-uri', db]);
const out = JSON.parse(big.stdout);
const store = await openStore(db);
const trials = (await store.searchRuns({ parentRunId: out.study_id, limit: Infinity })).filter((t) => t.tags['grove.type'] === 'trial');
await store.close();
const start = Math.min(...trials.map((t) => t.startTime));
const end = Math.max(...trials.map((t) => t.endTime ?? t.startTime));
const fitTotal = trials.reduce((a, t) => a + (t.metrics.fit_s ?? 0) * Number(t.tags['grove.threads'] ?? 1), 0);
const overheadMs = trials.map((t) => ((t.metrics.duration_s ?? 0) - (t.metrics.fit_s ?? 0)) * 1000);

const result = {
  machine: { cpus },
  random_search_cv3: {
    reps,
    grove_wall_s: median(grovePs),
    sklearn_wall_s: haveSklearn ? median(sklearnPs) : null,
    speedup: haveSklearn ? median(sklearnPs) / median(grovePs) : null,
    grove_test_rmse: median(groveRmse),
    sklearn_test_rmse: haveSklearn ? median(sklearnRmse) : null,
    grove_runs_s: grovePs,
    sklearn_runs_s: sklearnPs,
  },
  tpe: {
    trials: bigTrials,
    wall_s: big.wallS,
    cpu_use_whole_command: (big.userS + big.sysS) / (big.wallS * cpus),
    trial_phase_s: (end - start) / 1000,
    fit_busy_share_in_trial_phase: fitTotal / (((end - start) / 1000) * cpus),
    trials_finished: out.trials_finished,
    test_rmse: out.test_rmse,
    baseline_test_rmse: out.baseline_test_rmse,
  },
  overhead_per_trial_ms: { median: median(overheadMs), p90: [...overheadMs].sort((a, b) => a - b)[Math.floor(overheadMs.length * 0.9)] },
};
console.log(JSON.stringify(result));
