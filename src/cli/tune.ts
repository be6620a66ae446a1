// `grove tune [data]`: tune a random forest in parallel, track every trial, refit the best,
// register it and promote it. Flags only: the work is src/tune/tune.ts.
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { TUNE_DEFAULTS } from '../constants.js';
import { GroveError } from '../errors.js';
import type { SchedulerKind } from '../tune/scheduler.js';
import type { SamplerKind } from '../tune/samplers/index.js';
import { defaultSpace, parseSpace, spaceToJson, type SearchSpace } from '../tune/space.js';
import { dataStem, defaultStudyName, type StudyConfig } from '../tune/study-config.js';
import type { Progress } from '../tune/study.js';
import type { MetricName } from '../tune/trial-task.js';
import { runTune, type TuneResult } from '../tune/tune.js';
import { addDataOptions, dataOptionsFrom, type DataFlags } from './data-options.js';
import { choiceOption, floatOption, intOption } from './options.js';
import { formatTable, note, printJson } from './output.js';
import { addTrackingUriOption, openTrackingStore, type TrackingFlags } from './tracking-uri.js';

interface TuneFlags extends TrackingFlags, DataFlags {
  trials?: number;
  space?: string;
  sampler: SamplerKind;
  scheduler: SchedulerKind;
  cv?: number;
  valFrac: number;
  testFrac: number;
  eval?: 'val' | 'cv' | 'oob';
  metric: MetricName;
  cpus?: number;
  concurrency?: number;
  threadsPerTrial?: number;
  trialTimeout?: number;
  seed: number;
  experiment: string;
  study?: string;
  register?: string;
  promote: boolean;
  resume?: string;
  backend: 'native' | 'js';
  json?: boolean;
}

export function register(program: Command): void {
  const cmd = program
    .command('tune')
    .description('tune a random forest: parallel trials, every trial tracked, the best refitted, registered and promoted')
    .argument('[data]', "CSV, TSV, .csv.gz, JSON or Arrow file, or a built-in: 'diabetes', 'friedman1[:rows[:seed]]' (not needed with --resume)");
  addDataOptions(cmd)
    .option('--trials <n>', `trials that must finish (default ${TUNE_DEFAULTS.trials}; failed ones are replaced)`, intOption('--trials', 1))
    .option('--space <file>', 'search space as JSON (default: the built-in space; see README)')
    .option('--sampler <s>', 'tpe (default), random or grid', choiceOption('--sampler', ['tpe', 'random', 'grid'] as const), TUNE_DEFAULTS.sampler)
    .option('--scheduler <s>', 'fifo (default) or asha (successive halving over trees)', choiceOption('--scheduler', ['fifo', 'asha'] as const), TUNE_DEFAULTS.scheduler)
    .option('--cv <k>', 'k-fold cross-validation instead of a validation split', intOption('--cv', 2))
    .option('--val-frac <f>', 'validation share of the non-test rows', floatOption('--val-frac', (n) => (n > 0 && n < 1 ? null : 'must be in (0, 1)')), TUNE_DEFAULTS.valFraction)
    .option('--test-frac <f>', 'test share held out from tuning', floatOption('--test-frac', (n) => (n > 0 && n < 1 ? null : 'must be in (0, 1)')), TUNE_DEFAULTS.testFraction)
    .option('--eval <e>', 'val (default), cv (with --cv) or oob (out-of-bag)', choiceOption('--eval', ['val', 'cv', 'oob'] as const))
    .option('--metric <m>', 'rmse (default), mae or r2', choiceOption('--metric', ['rmse', 'mae', 'r2'] as const), TUNE_DEFAULTS.metric)
    .option('--cpus <n>', 'cores to use (default: all)', intOption('--cpus', 1))
    .option('--concurrency <n>', 'trials in flight (default: chosen from data size)', intOption('--concurrency', 1))
    .option('--threads-per-trial <n>', 'threads per trial (default: chosen from data size)', intOption('--threads-per-trial', 1))
    .option('--trial-timeout <s>', 'seconds after which a trial is stopped and recorded FAILED', floatOption('--trial-timeout', (n) => (n > 0 ? null : 'must be > 0')))
    .option('--seed <n>', 'seed of the sampler, the splits and the forests', intOption('--seed', 0), TUNE_DEFAULTS.seed)
    .option('--experiment <name>', 'experiment to record the study under', TUNE_DEFAULTS.experiment)
    .option('--study <name>', 'study name (default: from the data and the time)')
    .option('--register <model-name>', 'registered model for the refitted best (default: from the data name)')
    .option('--no-promote', 'do not move the production alias')
    .option('--resume <study>', 'continue an interrupted study (its name or run id) to its trial count')
    .option('--backend <b>', 'native (default) or js', choiceOption('--backend', ['native', 'js'] as const), 'native')
    .option('--json', 'print one JSON object on stdout');
  addTrackingUriOption(cmd)
    .addHelpText(
      'after',
      '\nExamples:\n  grove tune diabetes\n  grove tune houses.csv --target price --trials 100 --scheduler asha\n  grove tune diabetes --trials 10 --sampler random --cv 3\n  grove tune --resume diabetes-20261127-081530',
    )
    .action(async (data: string | undefined, flags: TuneFlags, command: Command) => {
      await tune(data, flags, command);
    });
}

async function tune(data: string | undefined, flags: TuneFlags, command: Command): Promise<void> {
  const execution = { cpus: flags.cpus, concurrency: flags.concurrency, threadsPerTrial: flags.threadsPerTrial };
  let request: Parameters<typeof runTune>[1];
  if (flags.resume !== undefined) {
    const given = ['target', 'space', 'sampler', 'scheduler', 'cv', 'eval', 'metric', 'study', 'register', 'seed'].filter((k) => command.getOptionValueSource(k) === 'cli');
    if (data !== undefined || given.length > 0) {
      throw new GroveError('INVALID_OPTION', `--resume continues a study with its own recorded settings; drop ${data !== undefined ? 'the data argument' : `--${given[0]}`}`, { option: '--resume' });
    }
    request = { kind: 'resume', ref: flags.resume, trials: flags.trials };
  } else {
    if (data === undefined) throw new GroveError('INVALID_OPTION', 'name the data to tune on (a file or diabetes), or --resume a study', { option: 'data' });
    request = { kind: 'new', config: buildConfig(data, flags) };
  }

  const controller = new AbortController();
  let interrupts = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    interrupts++;
    if (interrupts > 1) process.exit(130);
    note(`\ngrove: ${signal}: stopping; trials in flight are recorded KILLED (press Ctrl-C again to quit at once)`);
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const bar = progressPrinter(flags.json === true);
  try {
    const result = await runTune((create) => openTrackingStore(flags, { create }), request, execution, {
        signal: controller.signal,
        faults: faultsFromEnv(),
        onStart: (b) => note(`grove: ${b.concurrency} trial${b.concurrency === 1 ? '' : 's'} in flight x ${b.threadsPerTrial} thread${b.threadsPerTrial === 1 ? '' : 's'} on ${b.cpus} cpus (${b.reason})`),
        onProgress: bar.update,
        onPhase: (m) => {
          bar.clear();
          note(`grove: ${m}`);
        },
      });
    bar.clear();
    for (const n of result.notes) note(`grove: ${n}`);
    report(result, flags.json === true);
    if (result.outcome.interrupted) {
      note(`grove: study stopped after ${result.outcome.finished} finished trials; continue it with: grove tune --resume ${result.study.config.studyName}`);
      process.exitCode = 130;
    }
  } finally {
    bar.clear();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

function buildConfig(data: string, f: TuneFlags): StudyConfig {
  const evaluation = f.eval ?? (f.cv !== undefined ? 'cv' : 'val');
  if (evaluation === 'cv' && f.cv === undefined) throw new GroveError('INVALID_OPTION', '--eval cv needs --cv <k> (the number of folds)', { option: '--eval' });
  if (f.cv !== undefined && evaluation !== 'cv') throw new GroveError('INVALID_OPTION', `--cv ${f.cv} conflicts with --eval ${evaluation}`, { option: '--cv' });
  let space: SearchSpace;
  if (f.space) {
    let json: unknown;
    try {
      json = JSON.parse(readFileSync(f.space, 'utf8'));
    } catch (err) {
      throw new GroveError('INVALID_FILE', `--space ${f.space}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`, { file: f.space });
    }
    space = parseSpace(json, f.space);
  } else {
    space = defaultSpace();
  }
  return {
    data,
    ...dataOptionsFrom(f),
    trials: f.trials ?? TUNE_DEFAULTS.trials,
    space,
    sampler: f.sampler,
    scheduler: f.scheduler,
    evaluation,
    folds: f.cv ?? 5,
    valFraction: f.valFrac,
    testFraction: f.testFrac,
    metric: f.metric,
    seed: f.seed,
    trialTimeoutS: f.trialTimeout ?? null,
    experiment: f.experiment,
    studyName: f.study ?? defaultStudyName(data),
    register: f.register ?? dataStem(data),
    promote: f.promote,
    backend: f.backend,
  };
}

/** GROVE_TUNE_FAULTS="2:throw,4:exit": a testing hook that makes those trials fail. */
function faultsFromEnv(): Map<number, string> | undefined {
  const spec = process.env.GROVE_TUNE_FAULTS;
  if (!spec) return undefined;
  return new Map(spec.split(',').map((p) => p.split(':')).map(([n, kind]) => [Number(n), kind] as [number, string]));
}

/** A live line on a terminal; one line per ended trial otherwise. */
function progressPrinter(quietStdout: boolean) {
  const tty = process.stderr.isTTY === true;
  let shown = false;
  let lastLogged = -1;
  return {
    update(p: Progress) {
      const best = p.best === null ? '-' : fmt(p.best);
      const eta = p.etaS === null ? '' : ` | ETA ${p.etaS < 1 ? '<1' : Math.round(p.etaS)}s`;
      if (tty) {
        const width = 24;
        const filled = Math.round((width * p.finished) / p.target);
        process.stderr.write(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${p.finished}/${p.target} done, ${p.running} running, ${p.failed} failed | best ${best}${eta}   `);
        shown = true;
      } else if (p.last && p.last.number !== lastLogged) {
        lastLogged = p.last.number;
        const what = p.last.state === 'finished' ? `${p.last.pruned ? 'pruned' : 'finished'}: ${fmt(p.last.value!)}` : `${p.last.state}: ${p.last.error}`;
        process.stderr.write(`grove: trial ${p.last.number} ${what} (${p.last.durationS.toFixed(2)} s) | ${p.finished}/${p.target} done, best ${best}\n`);
      }
      void quietStdout;
    },
    clear() {
      if (shown) process.stderr.write('\r\x1b[K');
      shown = false;
    },
  };
}

function report(r: TuneResult, json: boolean): void {
  const c = r.study.config;
  const key = `best_val_${c.metric}`;
  const out = {
    study_id: r.study.run.runId,
    study_name: c.studyName,
    experiment: c.experiment,
    interrupted: r.outcome.interrupted,
    trials_finished: r.top.length,
    trials_failed: r.outcome.failed,
    trials_killed: r.outcome.killed,
    trials_pruned: r.outcome.pruned,
    concurrency: r.outcome.budget.concurrency,
    threads_per_trial: r.outcome.budget.threadsPerTrial,
    best_trial: r.best?.number ?? null,
    best_params: r.best?.config ?? null,
    [key]: r.best?.value ?? null,
    best_val_rmse: c.metric === 'rmse' ? (r.best?.value ?? null) : undefined,
    test_rmse: r.refit?.test.rmse ?? null,
    test_mae: r.refit?.test.mae ?? null,
    test_r2: r.refit?.test.r2 ?? null,
    baseline_test_rmse: r.refit?.baseline.rmse ?? null,
    model_uri: r.refit?.modelUri ?? null,
    version: r.refit?.version ?? null,
    promoted: r.refit?.promotion.promoted ?? false,
    promotion: r.refit?.promotion.reason ?? null,
    champion_version: r.refit?.promotion.championVersion ?? null,
    champion_test_rmse: c.metric === 'rmse' ? (r.refit?.promotion.championTest ?? null) : null,
    space: spaceToJson(c.space),
  };
  if (json) {
    printJson(out);
    return;
  }
  const lines: string[] = [];
  const top = r.top.slice(0, 5);
  if (top.length > 0) {
    const keys = Object.keys(top[0].config);
    lines.push(`top trials (validation ${c.metric}):`);
    lines.push(formatTable(['trial', `val_${c.metric}`, ...keys], top.map((t) => [t.number, fmt(t.value), ...keys.map((k) => String(t.config[k]))])).trimEnd());
  }
  if (r.refit && r.best) {
    const { test, baseline, promotion } = r.refit;
    const gain = ((baseline.rmse - test.rmse) / baseline.rmse) * 100;
    lines.push('');
    lines.push(`best params       ${JSON.stringify(r.best.config)}`);
    lines.push(`validation ${c.metric.padEnd(6)} ${fmt(r.best.value)} (trial ${r.best.number})`);
    lines.push(`test RMSE         ${fmt(test.rmse)}  (R² ${fmt(test.r2)})`);
    lines.push(`baseline RMSE     ${fmt(baseline.rmse)}  (default hyperparameters, same split)`);
    lines.push(`improvement       ${gain >= 0 ? '' : '-'}${Math.abs(gain).toFixed(1)}% ${gain >= 0 ? 'lower' : 'higher'} test RMSE than the baseline`);
    lines.push(`model             ${r.refit.modelUri}`);
    lines.push(`alias production  ${promotion.promoted ? `moved to version ${r.refit.version}` : 'not moved'}: ${promotion.reason}`);
  }
  lines.push(`study             ${c.studyName} (${r.study.run.runId}): ${r.top.length} finished, ${r.outcome.failed} failed, ${r.outcome.pruned} pruned`);
  process.stdout.write(lines.join('\n') + '\n');
}

function fmt(v: number): string {
  return Number(v.toPrecision(6)).toString();
}
