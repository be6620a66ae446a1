// Scale-out of one shared study (issue 9): prints one JSON line (progress on stderr).
//  1. Trials per second with 1, 2 and 4 worker processes on one study of small fits (Friedman #1,
//     2,000 rows, a fixed small space, random sampler, no promotion), on PostgreSQL (a fresh
//     schema per measurement, dropped afterwards) and on SQLite (a fresh file in a temp dir).
//     Worker #1 is `grove tune --cpus 1 --concurrency 1`, which creates the study; the others are
//     `grove worker --cpus 1`, started as soon as grove tune reports the study on stderr (so no
//     worker meets a study still being written, nor waits out its wait-for-study poll). Wall
//     time runs from the first spawn to the last exit (process start, data preparation, joining,
//     the trials, the one refit and the others waiting for it); trials/s = trials / wall time.
//     The trial phase (first trial's start to last trial's end, as recorded in the store) is
//     reported beside it: that is where the queue has to scale. Medians of --reps repetitions,
//     the worker counts and stores interleaved within each.
//  2. Claim-and-report overhead per trial, the TrialQueue API called directly (no fit, no run
//     created): claim a new trial with a fixed config, report it finished; each pair timed. The
//     caller follows the study like a worker does (src/tune/queue-view.ts): it keeps the
//     highest seq it has seen and claims only the rows changed since. Measured on a study that
//     already has 100 trials and one that has 10,000 (filled through the same claim + report loop).
//     Target: < 10 ms median on both stores, flat from 100 to 10,000 trials.
//
//   node --import tsx bench/scale-out.ts [--quick] [--reps N] [--only throughput|overhead]
//   BENCH_QUICK=1 (set by npm run bench -- --quick) is the same as --quick: 1 repetition,
//   20 trials, a 1,000-trial fill.
// The server: GROVE_BENCH_POSTGRES_URL (default postgres://postgres@127.0.0.1:5432/test).
// The CLI runs compiled (dist/) as installed users run it: when dist/ is missing or older than
// src/, this script runs `tsc -p tsconfig.json` first, into a new directory swapped in for dist/
// (GROVE_BENCH_NO_BUILD=1 skips that, and the CLI then runs the sources through tsx; the JSON
// says which).
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import type { Store } from '../src/track/store.js';
import type { ClaimDecision, StudyRow, TrialRow, WorkerIdentity } from '../src/track/trial-queue.js';
import { openStore } from '../src/track/tracking-uri.js';
import { newRunId } from '../src/track/validate.js';
import { cliMode, ensureCompiled } from './lib/compiled-cli.js';
import { QUIET_WAIT_S, QUIET_WAIT_TOTAL_S } from './lib/config.js';
import { waitForQuiet } from './lib/quiet.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const grove = join(root, 'bin', 'grove.js');
const args = process.argv.slice(2);
const quick = process.env.BENCH_QUICK === '1' || args.includes('--quick');
const repsArg = args.indexOf('--reps');
const reps = repsArg >= 0 ? Number(args[repsArg + 1]) : quick ? 1 : 3;
if (!Number.isInteger(reps) || reps < 1) throw new Error(`--reps ${args[repsArg + 1]}: must be an integer >= 1`);
const onlyArg = args.indexOf('--only');
const only = onlyArg >= 0 ? args[onlyArg + 1] : 'all';
if (!['all', 'throughput', 'overhead'].includes(only)) throw new Error(`--only ${only}: throughput or overhead`);

const PG_URL = process.env.GROVE_BENCH_POSTGRES_URL || 'postgres://postgres@127.0.0.1:5432/test';
const DATA = 'friedman1:2000:1';
/** about 40 ms a trial on one core */
const SPACE = {
  n_estimators: { int: [40, 80] },
  max_depth: { choice: [6, 8, 10] },
  min_samples_leaf: { int: [1, 5] },
  max_features: { choice: ['sqrt', 0.5] },
};
const TRIALS = quick ? 20 : 50;
const WORKERS = [1, 2, 4];
const SMALL_STUDY = 100;
const LARGE_STUDY = quick ? 1_000 : 10_000;
const WARMUP_CLAIMS = 20;
const MEASURED_CLAIMS = 200;
const TARGET_MEDIAN_MS = 10;
/** "flat": the median at the large study within this factor of the small one's */
const FLAT_FACTOR = 1.5;

const log = (s: string) => process.stderr.write(`scale-out: ${s}\n`);
const prefix = `grove_bench_so_${randomBytes(4).toString('hex')}`;
const admin = new pg.Pool({ connectionString: PG_URL, max: 1 });
const schemas: string[] = [];
const dirs: string[] = [];
const workDir = mkdtempSync(join(tmpdir(), 'grove-bench-scale-'));
dirs.push(workDir);

type Backend = 'postgres' | 'sqlite';
const BACKENDS: Backend[] = ['postgres', 'sqlite'];

/** A fresh, empty store location: a new schema or a new SQLite file. */
function freshUri(backend: Backend, name: string): string {
  if (backend === 'sqlite') {
    const dir = mkdtempSync(join(workDir, `${name}-`));
    return join(dir, 'grove.db');
  }
  const schema = `${prefix}_${name}`.replace(/[^a-z0-9_]/g, '_');
  schemas.push(schema);
  return `${PG_URL}${PG_URL.includes('?') ? '&' : '?'}schema=${schema}`;
}

async function dropLocation(backend: Backend, uri: string): Promise<void> {
  if (backend === 'sqlite') {
    rmSync(join(uri, '..'), { recursive: true, force: true });
    return;
  }
  const schema = new URL(uri).searchParams.get('schema')!;
  await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  schemas.splice(schemas.indexOf(schema), 1);
}

/** This machine is shared: wait (bounded, as bench/run.ts does before a fit) for idle cores, and record what was seen. */
let quietBudgetS = quick ? QUIET_WAIT_S : QUIET_WAIT_TOTAL_S;
async function quiet(): Promise<number | null> {
  const q = await waitForQuiet(0.3, Math.min(QUIET_WAIT_S, quietBudgetS));
  quietBudgetS = Math.max(0, quietBudgetS - q.waitedS);
  return q.busy === null ? null : round(q.busy, 2);
}

const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
const median = (xs: number[]) => {
  const v = sorted(xs);
  const m = v.length >> 1;
  return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
};
const p90 = (xs: number[]) => sorted(xs)[Math.min(xs.length - 1, Math.floor(xs.length * 0.9))];
const round = (x: number, digits = 3) => Math.round(x * 10 ** digits) / 10 ** digits;

// ---- 1. trials per second with N worker processes ----

interface Proc {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs bin/grove.js; `onStderr` sees its stderr so far after each chunk. */
function run(argv: string[], onStderr?: (stderr: string) => void): Promise<Proc> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [grove, ...argv], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
      onStderr?.(stderr);
    });
    child.on('error', (e) => resolve({ code: -1, stdout, stderr: stderr + String(e) }));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

interface ScaleSample {
  wallS: number;
  /** first spawn to the first trial's start */
  startupS: number;
  trialPhaseS: number;
  /** the last trial's end to the last exit: the refit, and the wait for it */
  tailS: number;
  /** finished trials per process, worker #1 (grove tune) first */
  perProcess: number[];
  /** mean run time of a trial (its run's start to end: the fit plus its records) */
  meanTrialS: number;
  /** cores busy with other work just before the start */
  busyBefore: number | null;
}

async function scaleOnce(backend: Backend, workers: number, rep: number, spaceFile: string): Promise<ScaleSample> {
  const uri = freshUri(backend, `w${workers}_r${rep}`);
  const study = 'scale-out';
  try {
    const busyBefore = await quiet();
    const tune = ['tune', DATA, '--trials', String(TRIALS), '--space', spaceFile, '--sampler', 'random', '--no-promote', '--cpus', '1', '--concurrency', '1'];
    const t0 = performance.now();
    const t0Ms = Date.now();
    // the other workers start once grove tune says the study is there: its run, params and queue
    let announced!: () => void;
    const studyReady = new Promise<void>((r) => (announced = r));
    const first = run([...tune, '--seed', String(rep), '--study', study, '--json', '--tracking-uri', uri], (err) => {
      if (/^grove: study /m.test(err)) announced();
    });
    void first.then(() => announced());
    await studyReady;
    const procs = [first];
    for (let i = 1; i < workers; i++) procs.push(run(['worker', '--study', study, '--cpus', '1', '--json', '--tracking-uri', uri]));
    const done = await Promise.all(procs);
    const wallS = (performance.now() - t0) / 1000;
    done.forEach((p, i) => {
      if (p.code !== 0) throw new Error(`${i === 0 ? 'grove tune' : `grove worker #${i + 1}`} on ${backend} exited ${p.code}: ${p.stderr.trim().split('\n').slice(-5).join(' | ')}`);
    });
    const outs = done.map((p) => JSON.parse(p.stdout) as { study_id: string; worker_id: string; trials_finished_here: number });
    const store = await openStore(uri, { create: false });
    try {
      const trials = (await store.searchRuns({ parentRunId: outs[0].study_id, limit: Infinity })).filter((t) => t.tags['grove.type'] === 'trial');
      const finished = trials.filter((t) => t.status === 'FINISHED');
      if (finished.length !== TRIALS) throw new Error(`${backend}, ${workers} workers: ${finished.length} trials finished, expected ${TRIALS}`);
      const start = Math.min(...trials.map((t) => t.startTime));
      const end = Math.max(...trials.map((t) => t.endTime ?? t.startTime));
      const perProcess = outs.map((o) => finished.filter((t) => t.tags['grove.worker_id'] === o.worker_id).length);
      const meanTrialS = finished.reduce((a, t) => a + (t.endTime! - t.startTime), 0) / finished.length / 1000;
      return { wallS, meanTrialS, startupS: (start - t0Ms) / 1000, trialPhaseS: (end - start) / 1000, tailS: wallS - (end - t0Ms) / 1000, perProcess, busyBefore };
    } finally {
      await store.close();
    }
  } finally {
    await dropLocation(backend, uri);
  }
}

async function throughput() {
  const spaceFile = join(workDir, 'space.json');
  writeFileSync(spaceFile, JSON.stringify(SPACE));
  const samples = new Map<string, ScaleSample[]>();
  for (let rep = 0; rep < reps; rep++) {
    for (const workers of WORKERS) {
      for (const backend of BACKENDS) {
        const s = await scaleOnce(backend, workers, rep, spaceFile);
        log(
          `rep ${rep + 1}/${reps} ${backend} ${workers} worker(s): ${s.wallS.toFixed(2)} s wall = startup ${s.startupS.toFixed(2)} + trials ${s.trialPhaseS.toFixed(2)} + refit and exit ${s.tailS.toFixed(2)}; ${Math.round(s.meanTrialS * 1000)} ms a trial; trials per process ${s.perProcess.join('/')}; ${s.busyBefore ?? '?'} cores busy before`,
        );
        const key = `${backend}/${workers}`;
        samples.set(key, [...(samples.get(key) ?? []), s]);
      }
    }
  }
  const all = [...samples.values()].flat();
  const out: Record<string, Record<string, unknown>> = {};
  for (const backend of BACKENDS) {
    const one = median(samples.get(`${backend}/1`)!.map((s) => s.wallS));
    const onePhase = median(samples.get(`${backend}/1`)!.map((s) => s.trialPhaseS));
    const rows: Record<string, unknown> = {};
    for (const workers of WORKERS) {
      const ss = samples.get(`${backend}/${workers}`)!;
      const wall = median(ss.map((s) => s.wallS));
      const phase = median(ss.map((s) => s.trialPhaseS));
      rows[`workers_${workers}`] = {
        wall_s: round(wall, 2),
        trials_per_s: round(TRIALS / wall, 1),
        speedup_vs_1: round(one / wall, 2),
        startup_s: round(median(ss.map((s) => s.startupS)), 2),
        trial_phase_s: round(phase, 2),
        trial_phase_trials_per_s: round(TRIALS / phase, 1),
        trial_phase_speedup_vs_1: round(onePhase / phase, 2),
        tail_s: round(median(ss.map((s) => s.tailS)), 2),
        mean_trial_ms: Math.round(median(ss.map((s) => s.meanTrialS)) * 1000),
        runs_wall_s: ss.map((s) => round(s.wallS, 2)),
        trials_per_process: ss.map((s) => s.perProcess),
        busy_cores_before: ss.map((s) => s.busyBefore),
      };
    }
    out[backend] = rows;
  }
  return {
    data: DATA,
    trials: TRIALS,
    space: SPACE,
    sampler: 'random',
    reps,
    processes:
      'worker #1 grove tune --cpus 1 --concurrency 1 (creates the study), the rest grove worker --cpus 1, started as soon as grove tune reports the study (its run, params and queue exist); wall = grove tune spawn to last exit',
    noisy_samples: `${all.filter((s) => s.busyBefore !== null && s.busyBefore >= 0.3).length} of ${all.length} started while other processes kept >= 0.3 cores busy`,
    breakdown: 'wall = startup_s (spawn to the first trial) + trial_phase_s (first trial start to last trial end, from the store) + tail_s (the refit, and the other processes waiting for it)',
    ...out,
  };
}

// ---- 2. claim + report overhead through the queue API ----

const CONFIG = JSON.stringify({ n_estimators: 50, max_depth: 8, min_samples_leaf: 2, max_features: 'sqrt' });

/** A worker's side of the queue: it follows the study through the seq of the changes it is handed. */
class Follower {
  seq = 0;
  changesSeen = 0;
  constructor(
    private readonly store: Store,
    private readonly studyId: string,
    readonly worker: WorkerIdentity,
  ) {}

  private readonly decide = (changes: TrialRow[], s: StudyRow): ClaimDecision => {
    this.follow(changes);
    return { kind: 'new', number: s.nextNumber, config: CONFIG };
  };

  private follow(changes: readonly TrialRow[]): void {
    for (const c of changes) if (c.seq > this.seq) this.seq = c.seq;
  }

  /** one trial: claim, report; returns [claim ms, report ms] */
  async trial(value: number): Promise<[number, number]> {
    const runId = newRunId();
    const t0 = performance.now();
    const claimed = await this.store.trials.claim(this.studyId, { worker: this.worker, sinceSeq: this.seq, runId, decide: this.decide });
    const t1 = performance.now();
    if (!claimed.trial) throw new Error(`claim returned no trial (decision ${claimed.decision})`);
    this.changesSeen += claimed.changes.length;
    this.follow(claimed.changes);
    const ok = await this.store.trials.report(this.studyId, this.worker.workerId, claimed.trial.number, claimed.trial.attempt, { state: 'finished', value });
    const t2 = performance.now();
    if (!ok) throw new Error(`report of trial ${claimed.trial.number} was refused`);
    return [t1 - t0, t2 - t1];
  }
}

async function overheadAt(backend: Backend, size: number) {
  const uri = freshUri(backend, `q${size}`);
  const store = await openStore(uri);
  try {
    const exp = await store.getOrCreateExperiment('bench');
    const run = await store.createRun({ experimentId: exp.experimentId, runName: 'queue-bench', tags: { 'grove.type': 'study' } });
    await store.trials.openStudy(run.runId, { target: 1_000_000_000, graceMs: 600_000, maxAttempts: 3 });
    const worker: WorkerIdentity = { workerId: `bench:${process.pid}:${randomBytes(3).toString('hex')}`, host: 'bench', pid: process.pid };
    await store.trials.joinStudy(run.runId, worker);
    const f = new Follower(store, run.runId, worker);
    const t0 = performance.now();
    for (let i = 0; i < size; i++) {
      await f.trial(Math.sin(i));
      if (size >= 5_000 && (i + 1) % 2_500 === 0) log(`${backend}: filled ${i + 1}/${size} trials`);
    }
    const fillS = (performance.now() - t0) / 1000;
    const busyBefore = await quiet();
    for (let i = 0; i < WARMUP_CLAIMS; i++) await f.trial(0.5);
    const claims: number[] = [];
    const reports: number[] = [];
    const pairs: number[] = [];
    const seen = f.changesSeen;
    for (let i = 0; i < MEASURED_CLAIMS; i++) {
      const [c, r] = await f.trial(Math.cos(i));
      claims.push(c);
      reports.push(r);
      pairs.push(c + r);
    }
    return {
      trials_before: size,
      pair_median_ms: round(median(pairs)),
      pair_p90_ms: round(p90(pairs)),
      claim_median_ms: round(median(claims)),
      report_median_ms: round(median(reports)),
      changes_per_claim: round((f.changesSeen - seen) / MEASURED_CLAIMS, 2),
      fill_trials_per_s: Math.round(size / fillS),
      busy_cores_before: busyBefore,
    };
  } finally {
    await store.close();
    await dropLocation(backend, uri);
  }
}

async function queueOverhead() {
  const out: Record<string, unknown> = {};
  let met = true;
  for (const backend of BACKENDS) {
    log(`${backend}: claim + report at ${SMALL_STUDY} trials`);
    const small = await overheadAt(backend, SMALL_STUDY);
    log(`${backend}: claim + report at ${LARGE_STUDY} trials`);
    const large = await overheadAt(backend, LARGE_STUDY);
    const growth = large.pair_median_ms / small.pair_median_ms;
    const flat = growth <= FLAT_FACTOR;
    const fast = small.pair_median_ms < TARGET_MEDIAN_MS && large.pair_median_ms < TARGET_MEDIAN_MS;
    met &&= flat && fast;
    log(`${backend}: median ${small.pair_median_ms} ms at ${SMALL_STUDY}, ${large.pair_median_ms} ms at ${LARGE_STUDY}`);
    out[backend] = { [`at_${SMALL_STUDY}`]: small, [`at_${LARGE_STUDY}`]: large, growth_ratio: round(growth, 2), flat, under_target: fast };
  }
  return {
    claims_measured: MEASURED_CLAIMS,
    warmup_claims: WARMUP_CLAIMS,
    follows_seq: true,
    target: `pair median < ${TARGET_MEDIAN_MS} ms on both stores, ${LARGE_STUDY} trials within ${FLAT_FACTOR}x of ${SMALL_STUDY}`,
    met,
    ...out,
  };
}

// ---- main ----

try {
  ensureCompiled(log);
  const cli = cliMode();
  log(`CLI: ${cli}; ${quick ? 'quick: ' : ''}${reps} rep(s), ${TRIALS} trials, workers ${WORKERS.join(',')}`);
  const scale = only === 'overhead' ? { skipped: '--only overhead' } : await throughput();
  const overhead = only === 'throughput' ? { skipped: '--only throughput' } : await queueOverhead();
  const cliAfter = cliMode();
  const result = {
    bench: 'scale-out',
    machine: { cpus: availableParallelism() },
    quick,
    cli: cli === cliAfter ? cli : `${cli}, then ${cliAfter} (src/ changed during the run)`,
    throughput: scale,
    queue_overhead: overhead,
  };
  console.log(JSON.stringify(result));
} finally {
  for (const schema of [...schemas]) await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => undefined);
  await admin.end();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
}
