// Every default of the data layer in one place.

/** Cell texts read as "missing" (compared case-insensitively, after trimming spaces). */
export const MISSING_TOKENS: ReadonlySet<string> = new Set(['', 'na', 'n/a', 'nan', 'null']);

/** How many offending rows an error or note lists before it says "...". */
export const MAX_ROWS_LISTED = 5;

/** How many top values `describe` reports for categorical and boolean columns. */
export const TOP_VALUES = 3;

/** The built-in Friedman #1 dataset: default size and seed of `friedman1`. */
export const FRIEDMAN_DEFAULT_ROWS = 1000;
export const FRIEDMAN_DEFAULT_SEED = 0;

/** The random stream of splits ("SPLT"), apart from the tree streams that share the seed. */
export const SPLIT_STREAM = 0x53504c54;

/** Default target column of a file when none is given. */
export const DEFAULT_TARGET = 'target';

/** Version of the Preprocessing record stored in model files. */
export const PREPROCESSING_VERSION = 1;
