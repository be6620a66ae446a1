// `grove tune [data]`: tune a random forest in parallel, track every trial, refit the best,
// register it and promote it. Flags only: the work is src/tune/tune.ts.
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { STUDY_QUEUE_DEFAULTS, TUNE_DEFAULTS } from '../constants.js';
import { GroveError } from '../errors.js';
import type { SchedulerKind } from '../tune/scheduler.js';
import type { SamplerKind } from '../tune/samplers/index.js';
import { parseSpace, type SearchSpace } from '../tune/space.js';
import { dataStem, defaultStudyName, type StudyDraft } from '../tune/study-config.js';
import { ALL_METRICS, type MetricName, type Task } from '../tune/trial-task.js';
import { SHIP_DATA_MAX_BYTES } from '../tune/ship-data.js';
import { runTune } from '../tune/tune.js';
import { addDataOptions, dataOptionsFrom, type DataFlags } from './data-options.js';
import { choiceOption, floatOption, intOption } from './options.js';
import { runStudyCommand } from './study-output.js';
import { addTrackingUriOption, openTrackingStore, type TrackingFlags } from './tracking-store.js';

interface TuneFlags extends TrackingFlags, DataFlags {
  trials?: number;
  space?: string;
  sampler: SamplerKind;
  scheduler: SchedulerKind;
  cv?: number;
  valFrac: number;
  testFrac: number;
  eval?: 'val' | 'cv' | 'oob';
  metric?: MetricName;
  task?: Task;
  stratify?: boolean;
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
  grace: number;
  maxAttempts: number;
  shipData?: boolean;
  json?: boolean;
}

export function register(program: Command): void {
  const cmd = program
    .command('tune')
    .description('tune a random forest: parallel trials, every trial tracked, the best refitted, registered and promoted')
    .argument('[data]', "CSV, TSV, .csv.gz, JSON or Arrow file, or a built-in: 'diabetes', 'friedman1[:rows[:seed]]', 'breast-cancer', 'classes:<rows>[:<k>[:<seed>]]' (not needed with --resume)");
  // --task and --stratify/--no-stratify come with the shared data options
  addDataOptions(cmd)
    .option('--trials <n>', `trials that must finish (default ${TUNE_DEFAULTS.trials}; failed ones are replaced)`, intOption('--trials', 1))
    .option('--space <file>', 'search space as JSON (default: the built-in space; see README)')
    .option('--sampler <s>', 'tpe (default), random or grid', choiceOption('--sampler', ['tpe', 'random', 'grid'] as const), TUNE_DEFAULTS.sampler)
    .option('--scheduler <s>', 'fifo (default) or asha (successive halving over trees)', choiceOption('--scheduler', ['fifo', 'asha'] as const), TUNE_DEFAULTS.scheduler)
    .option('--cv <k>', 'k-fold cross-validation instead of a validation split', intOption('--cv', 2))
    .option(
      '--val-frac <f>',
      'validation share of the non-test rows',
      floatOption('--val-frac', (n) => (n > 0 && n < 1 ? null : 'must be in (0, 1)')),
      TUNE_DEFAULTS.valFraction,
    )
    .option(
      '--test-frac <f>',
      'test share held out from tuning',
      floatOption('--test-frac', (n) => (n > 0 && n < 1 ? null : 'must be in (0, 1)')),
      TUNE_DEFAULTS.testFraction,
    )
    .option('--eval <e>', 'val (default), cv (with --cv) or oob (out-of-bag)', choiceOption('--eval', ['val', 'cv', 'oob'] as const))
    .option('--metric <m>', 'regression: rmse (default), mae or r2; classification: log_loss (default), accuracy, balanced_accuracy, roc_auc or f1_macro', choiceOption('--metric', ALL_METRICS))
    .option('--cpus <n>', 'cores to use (default: all)', intOption('--cpus', 1))
    .option('--concurrency <n>', 'trials in flight (default: chosen from data size)', intOption('--concurrency', 1))
    .option('--threads-per-trial <n>', 'threads per trial (default: chosen from data size)', intOption('--threads-per-trial', 1))
    .option(
      '--trial-timeout <s>',
      'seconds after which a trial is stopped and recorded FAILED',
      floatOption('--trial-timeout', (n) => (n > 0 ? null : 'must be > 0')),
    )
    .option('--seed <n>', 'seed of the sampler, the splits and the forests', intOption('--seed', 0), TUNE_DEFAULTS.seed)
    .option('--experiment <name>', 'experiment to record the study under', TUNE_DEFAULTS.experiment)
    .option('--study <name>', 'study name (default: from the data and the time)')
    .option('--register <model-name>', 'registered model for the refitted best (default: from the data name)')
    .option('--no-promote', 'do not move the production alias')
    .option('--resume <study>', 'continue an interrupted study (its name or run id) to its trial count')
    .option('--backend <b>', 'native (default) or js', choiceOption('--backend', ['native', 'js'] as const), 'native')
    .option(
      '--grace <s>',
      'shared studies: a trial whose worker sent no heartbeat for this long is run again',
      floatOption('--grace', (n) => (n > 0 ? null : 'must be > 0')),
      STUDY_QUEUE_DEFAULTS.graceS,
    )
    .option('--max-attempts <n>', 'shared studies: runs of one trial at most when its workers keep getting lost', intOption('--max-attempts', 1), STUDY_QUEUE_DEFAULTS.maxAttempts)
    .option('--ship-data', `store the data file in the tracking store, for workers without a copy (files up to ${SHIP_DATA_MAX_BYTES / 2 ** 20} MiB)`)
    .option('--json', 'print one JSON object on stdout');
  addTrackingUriOption(cmd)
    .addHelpText(
      'after',
      '\nOther processes and machines can work on the same study: grove worker --study <name> (see grove worker --help).\n\nExamples:\n  grove tune diabetes\n  grove tune houses.csv --target price --trials 100 --scheduler asha\n  grove tune diabetes --trials 10 --sampler random --cv 3\n  grove tune breast-cancer --metric roc_auc\n  grove tune --resume diabetes-20261127-081530',
    )
    .action(async (data: string | undefined, flags: TuneFlags, command: Command) => {
      await tune(data, flags, command);
    });
}

async function tune(data: string | undefined, flags: TuneFlags, command: Command): Promise<void> {
  const execution = { cpus: flags.cpus, concurrency: flags.concurrency, threadsPerTrial: flags.threadsPerTrial };
  let request: Parameters<typeof runTune>[1];
  if (flags.resume !== undefined) {
    const given = ['target', 'task', 'stratify', 'space', 'grace', 'maxAttempts', 'shipData', 'sampler', 'scheduler', 'cv', 'eval', 'metric', 'study', 'register', 'seed'].filter(
      (k) => command.getOptionValueSource(k) === 'cli',
    );
    if (data !== undefined || given.length > 0) {
      throw new GroveError('INVALID_OPTION', `--resume continues a study with its own recorded settings; drop ${data !== undefined ? 'the data argument' : `--${given[0]}`}`, { option: '--resume' });
    }
    request = { kind: 'resume', ref: flags.resume, trials: flags.trials };
  } else {
    if (data === undefined) throw new GroveError('INVALID_OPTION', 'name the data to tune on (a file or diabetes), or --resume a study', { option: 'data' });
    request = { kind: 'new', config: buildConfig(data, flags) };
  }

  await runStudyCommand(
    (hooks) => runTune((create) => openTrackingStore(flags, { create }), request, execution, hooks),
    flags.json === true,
    (r) => `continue it with: grove tune --resume ${r.study.config.studyName}`,
  );
}

function buildConfig(data: string, f: TuneFlags): StudyDraft {
  const evaluation = f.eval ?? (f.cv !== undefined ? 'cv' : 'val');
  if (evaluation === 'cv' && f.cv === undefined) throw new GroveError('INVALID_OPTION', '--eval cv needs --cv <k> (the number of folds)', { option: '--eval' });
  if (f.cv !== undefined && evaluation !== 'cv') throw new GroveError('INVALID_OPTION', `--cv ${f.cv} conflicts with --eval ${evaluation}`, { option: '--cv' });
  // no --space: the default space of the study's task, chosen once the data is prepared
  let space: SearchSpace | undefined;
  if (f.space) {
    let json: unknown;
    try {
      json = JSON.parse(readFileSync(f.space, 'utf8'));
    } catch (err) {
      throw new GroveError('INVALID_FILE', `--space ${f.space}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`, { file: f.space });
    }
    space = parseSpace(json, f.space);
  }
  return {
    data,
    ...dataOptionsFrom(f),
    trials: f.trials ?? TUNE_DEFAULTS.trials,
    space,
    spaceSource: f.space,
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
    graceS: f.grace,
    maxAttempts: f.maxAttempts,
    shipData: f.shipData === true,
  };
}
