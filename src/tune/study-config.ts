// Everything needed to run — and later resume — a study, as stored on the study run.
import { basename } from 'node:path';
import { STUDY_QUEUE_DEFAULTS, TUNE_DEFAULTS } from '../constants.js';
import type { ImputeStrategy, UnseenPolicy } from '../data/index.js';
import { GroveError, invalidOption } from '../errors.js';
import type { SchedulerKind } from './scheduler.js';
import type { SamplerKind } from './samplers/index.js';
import { checkSpaceForTask, defaultSpace, parseSpace, spaceToJson, type SearchSpace } from './space.js';
import { ALL_METRICS, defaultMetric, TASK_METRICS, taskOfMetric, type EvaluationKind, type MetricName, type Task } from './trial-task.js';

export interface StudyConfig {
  data: string;
  target?: string;
  features?: readonly string[];
  drop?: readonly string[];
  oneHot?: boolean;
  impute?: ImputeStrategy;
  dropMissingRows?: boolean;
  unseenCategory?: UnseenPolicy;
  /** the study's task: given with --task, else inferred from the target when the data is first
   *  prepared, then recorded (so a resumed study and every worker prepare the data the same way) */
  task?: Task;
  /** stratified splits (default: on for classification) */
  stratify?: boolean;
  trials: number;
  space: SearchSpace;
  sampler: SamplerKind;
  scheduler: SchedulerKind;
  evaluation: EvaluationKind;
  /** cross-validation folds (evaluation 'cv') */
  folds: number;
  valFraction: number;
  testFraction: number;
  metric: MetricName;
  seed: number;
  trialTimeoutS: number | null;
  experiment: string;
  studyName: string;
  register: string;
  promote: boolean;
  backend: 'native' | 'js';
  /** shared studies: a running trial without a heartbeat for this long is run again */
  graceS: number;
  /** shared studies: runs of one trial number at most (the first and its re-runs) */
  maxAttempts: number;
  /** the data file's bytes are stored in the study (--ship-data) */
  shipData?: boolean;
}

/**
 * A study as the command line describes it, before its data is prepared: the metric and the
 * space default by the task, which the data decides (resolveStudyConfig).
 */
export type StudyDraft = Omit<StudyConfig, 'metric' | 'space'> & { metric?: MetricName; space?: SearchSpace; spaceSource?: string };

/** The draft with the task the prepared data has: its default metric and space, both checked against the task. */
export function resolveStudyConfig(draft: StudyDraft, task: Task): StudyConfig {
  const { spaceSource, ...rest } = draft;
  const metric = draft.metric ?? defaultMetric(task);
  checkMetricForTask(metric, task);
  const space = draft.space ?? defaultSpace(task);
  checkSpaceForTask(space, task, spaceSource);
  const config: StudyConfig = { ...rest, task, metric, space };
  checkStudyConfig(config);
  return config;
}

/** A regression metric on a classification study (or the other way round) names --metric and what fits. */
export function checkMetricForTask(metric: MetricName, task: Task): void {
  if (!ALL_METRICS.includes(metric)) throw invalidOption('--metric', metric, `must be one of ${ALL_METRICS.join(', ')}`);
  if (taskOfMetric(metric) !== task) {
    throw invalidOption('--metric', metric, `is a ${taskOfMetric(metric)} metric, but this study is a ${task}; use one of ${TASK_METRICS[task].join(', ')} (default ${defaultMetric(task)})`);
  }
}

/** A study name from the data and the time: diabetes-20261127-081530. */
export function defaultStudyName(data: string, now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return `${dataStem(data)}-${stamp}`;
}

/** A registered-model name from the data: diabetes, friedman1, houses (from houses.csv.gz). */
export function dataStem(data: string): string {
  const base = basename(data)
    .replace(/:.*$/, '')
    .replace(/(\.(csv|tsv|json|arrow|feather|gz))+$/i, '');
  const clean = base.replace(/[^A-Za-z0-9_.-]+/g, '-').replace(/^-+|-+$/g, '');
  return clean.length > 0 ? clean : 'model';
}

export function checkStudyConfig(c: StudyDraft): void {
  if (!Number.isInteger(c.trials) || c.trials < 1) throw invalidOption('--trials', c.trials, 'must be an integer >= 1');
  if (c.evaluation === 'cv' && (!Number.isInteger(c.folds) || c.folds < 2)) throw invalidOption('--cv', c.folds, 'must be an integer >= 2 (folds)');
  if (!(c.valFraction > 0 && c.valFraction < 1)) throw invalidOption('--val-frac', c.valFraction, 'must be in (0, 1)');
  if (!(c.testFraction > 0 && c.testFraction < 1)) throw invalidOption('--test-frac', c.testFraction, 'must be in (0, 1)');
  if (c.evaluation === 'val' && c.valFraction + c.testFraction >= 0.9) {
    throw invalidOption('--val-frac', c.valFraction, `plus --test-frac ${c.testFraction} leaves too little to train on`);
  }
  if (!(c.graceS > 0)) throw invalidOption('--grace', c.graceS, 'must be a positive number of seconds');
  if (!Number.isInteger(c.maxAttempts) || c.maxAttempts < 1) throw invalidOption('--max-attempts', c.maxAttempts, 'must be an integer >= 1');
  if (c.trialTimeoutS !== null && !(c.trialTimeoutS > 0)) throw invalidOption('--trial-timeout', c.trialTimeoutS, 'must be a positive number of seconds');
  if (c.evaluation === 'oob' && c.space?.bootstrap && JSON.stringify(c.space.bootstrap).includes('false')) {
    throw invalidOption('--eval', 'oob', 'needs bootstrap: the search space may turn it off');
  }
}

/** The study run's params: the whole config as JSON (for resume) plus readable single keys. */
export function studyParams(c: StudyConfig): Record<string, string | number | boolean | null> {
  return {
    study_config: JSON.stringify({ ...c, space: spaceToJson(c.space) }),
    data: c.data,
    target: c.target ?? null,
    n_trials: c.trials,
    sampler: c.sampler,
    scheduler: c.scheduler,
    evaluation: c.evaluation === 'cv' ? `cv${c.folds}` : c.evaluation,
    metric: c.metric,
    task: c.task ?? 'regression',
    seed: c.seed,
    test_frac: c.testFraction,
    register: c.register,
    space: JSON.stringify(spaceToJson(c.space)),
  };
}

export function studyConfigFromParams(params: Record<string, string>, studyRef: string): StudyConfig {
  const raw = params.study_config;
  if (!raw) throw new GroveError('INVALID_OPTION', `run ${studyRef} is not a grove study (it has no study_config param)`, { option: '--resume' });
  const parsed = JSON.parse(raw) as StudyConfig & { space: unknown };
  return { ...defaultsFor(parsed), ...parsed, space: parseSpace(parsed.space, `study ${studyRef}`) };
}

function defaultsFor(c: Partial<StudyConfig>): Partial<StudyConfig> {
  return {
    sampler: TUNE_DEFAULTS.sampler,
    scheduler: TUNE_DEFAULTS.scheduler,
    metric: TUNE_DEFAULTS.metric,
    folds: 5,
    valFraction: TUNE_DEFAULTS.valFraction,
    testFraction: TUNE_DEFAULTS.testFraction,
    trialTimeoutS: null,
    promote: true,
    backend: 'native',
    graceS: STUDY_QUEUE_DEFAULTS.graceS,
    maxAttempts: STUDY_QUEUE_DEFAULTS.maxAttempts,
    ...c,
  };
}
