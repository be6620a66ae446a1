// The data-selection and cleaning flags that train and tune share, and their translation to
// the data layer's options.
import type { Command } from 'commander';
import type { ImputeStrategy, PrepareOptions, Task, UnseenPolicy } from '../data/index.js';
import { GroveError } from '../errors.js';
import { choiceOption, listOption } from './options.js';

export interface DataFlags {
  target?: string;
  features?: string[];
  drop?: string[];
  oneHot?: boolean;
  unseenCategory?: UnseenPolicy;
  impute?: ImputeStrategy;
  dropMissingRows?: boolean;
  task?: Task;
  /** undefined unless --stratify or --no-stratify is given (the data layer's default: on for classification) */
  stratify?: boolean;
}

export function addDataOptions(cmd: Command): Command {
  return cmd
    .option('--target <column>', "column to predict (default 'target'; 'diagnosis' for breast-cancer; 'y' for friedman1 and classes:)")
    .option(
      '--task <task>',
      'classification or regression (default: inferred from the target: text, true/false, two integer values, or up to 20 integer values each for 20+ rows on average, are classes)',
      choiceOption('--task', ['classification', 'regression'] as const),
    )
    .option('--stratify', 'classification: keep each class in the same share in every part of the split (default)')
    .option('--no-stratify', 'classification: split the rows at random, ignoring the classes')
    .option('--features <a,b,c>', 'feature columns, in this order (default: every other column)', listOption)
    .option('--drop <x,y>', 'columns to leave out of the features', listOption)
    .option('--one-hot', 'one engine column per category (default: ordinal codes)')
    .option('--unseen-category <policy>', 'a category unseen in training, at prediction: error (default) or fallback', choiceOption('--unseen-category', ['error', 'fallback'] as const))
    .option('--impute <strategy>', 'fill missing feature values: median, mean or most-frequent (fitted on the training rows)', choiceOption('--impute', ['median', 'mean', 'most-frequent'] as const))
    .option('--drop-missing-rows', 'drop rows with a missing feature value instead of failing');
}

export function dataOptionsFrom(f: DataFlags): PrepareOptions {
  if (f.impute && f.dropMissingRows) {
    throw new GroveError('INVALID_OPTION', '--impute and --drop-missing-rows exclude each other: give one', { option: '--impute' });
  }
  return {
    target: f.target,
    features: f.features,
    drop: f.drop,
    oneHot: f.oneHot,
    unseenCategory: f.unseenCategory,
    impute: f.impute,
    dropMissingRows: f.dropMissingRows,
    task: f.task,
    stratify: f.stratify,
  };
}
