// The data-selection and cleaning flags that train and tune share, and their translation to
// the data layer's options.
import type { Command } from 'commander';
import type { ImputeStrategy, PrepareOptions, UnseenPolicy } from '../data/index.js';
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
}

export function addDataOptions(cmd: Command): Command {
  return cmd
    .option('--target <column>', "column to predict (default 'target'; 'y' for friedman1)")
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
  };
}
