// The result of loading any source: an arquero table of normalised columns plus their kinds.
import type { ColumnTable } from 'arquero';
import type { Column } from './column.js';

export type SourceFormat = 'csv' | 'tsv' | 'json' | 'arrow' | 'builtin' | 'table';

export interface LoadedData {
  /** Normalised columns (Float64Array for numeric/boolean/empty, (string | null)[] for categorical). */
  table: ColumnTable;
  /** The same columns with their kinds, in file order. */
  columns: Column[];
  /** Names the source in messages: the path as given, or the built-in name. */
  source: string;
  format: SourceFormat;
  /** The target used when none is given (`target` for diabetes, `y` for friedman1). */
  defaultTarget?: string;
  /** The task of the default target when its values alone cannot tell (`classes:` has up to 1000 integer labels). */
  defaultTask?: 'classification' | 'regression';
  notes: string[];
  /** Seconds spent reading, tokenising and typing (for the benchmark); absent for built-ins. */
  timings?: { read: number; parse: number; validate: number };
}
