// The built-in datasets: `diabetes` and `breast-cancer` (bundled CSVs), `friedman1[:rows[:seed]]`
// and `classes:<rows>[:<k>[:<seed>]]` (generated).
import { fileURLToPath } from 'node:url';
import { table } from 'arquero';
import { GroveError } from '../errors.js';
import { FRIEDMAN_DEFAULT_ROWS, FRIEDMAN_DEFAULT_SEED } from '../constants.js';
import { friedman1 } from './friedman.js';
import { CLASSES_DEFAULT_K, CLASSES_DEFAULT_ROWS, CLASSES_DEFAULT_SEED, CLASSES_MAX_K, classificationData } from './classification-generator.js';
import type { Column } from './column.js';
import type { LoadedData } from './loaded.js';

export const BUILTIN_NAMES = ['diabetes', 'breast-cancer', 'friedman1', 'classes'] as const;

/** How messages list the built-ins. */
export const BUILTIN_HELP = 'diabetes, breast-cancer, friedman1[:rows[:seed]], classes:<rows>[:<k>[:<seed>]]';

/** Two levels below the package root both as src/data/*.ts and as dist/data/*.js. */
export function diabetesPath(): string {
  return fileURLToPath(new URL('../../data/diabetes.csv', import.meta.url));
}

/** The Wisconsin diagnostic breast-cancer table (569 x 30, target `diagnosis`: benign / malignant). */
export function breastCancerPath(): string {
  return fileURLToPath(new URL('../../data/breast-cancer.csv', import.meta.url));
}

export function isBuiltin(spec: string): boolean {
  return spec === 'diabetes' || spec === 'breast-cancer' || spec === 'friedman1' || spec.startsWith('friedman1:') || spec === 'classes' || spec.startsWith('classes:');
}

/** `friedman1`, `friedman1:5000`, `friedman1:5000:7`: rows x0..x9 and target y. */
export function loadFriedman(spec: string): LoadedData {
  const parts = spec.split(':');
  const rows = specPart(parts, 1, FRIEDMAN_DEFAULT_ROWS);
  const seed = specPart(parts, 2, FRIEDMAN_DEFAULT_SEED);
  if (parts.length > 3 || !Number.isInteger(rows) || rows < 2 || rows > 1e8 || !Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
    throw new GroveError('INVALID_OPTION', `data "${spec}": expected friedman1[:rows[:seed]] with 2 <= rows <= 100000000 and 0 <= seed < 2^32 (e.g. friedman1:5000:7)`, {
      option: 'data',
      value: spec,
    });
  }
  const g = friedman1(rows, seed);
  const columns: Column[] = g.featureNames.map((name, j) => {
    const values = new Float64Array(rows);
    for (let i = 0; i < rows; i++) values[i] = g.x[i * g.cols + j];
    return { name, kind: 'numeric', values };
  });
  return generated(spec, columns, g.y);
}

/** `classes:5000`, `classes:5000:10`, `classes:5000:10:7`: rows x0..x19 and integer labels y in 0..k-1. */
export function loadClasses(spec: string): LoadedData {
  const parts = spec.split(':');
  const rows = specPart(parts, 1, CLASSES_DEFAULT_ROWS);
  const k = specPart(parts, 2, CLASSES_DEFAULT_K);
  const seed = specPart(parts, 3, CLASSES_DEFAULT_SEED);
  if (parts.length > 4 || !Number.isInteger(rows) || rows < 2 || rows > 1e8 || !Number.isInteger(k) || k < 2 || k > CLASSES_MAX_K || !Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
    throw new GroveError(
      'INVALID_OPTION',
      `data "${spec}": expected classes:<rows>[:<k>[:<seed>]] with 2 <= rows <= 100000000, 2 <= k <= ${CLASSES_MAX_K} classes and 0 <= seed < 2^32 (e.g. classes:100000:10:7)`,
      { option: 'data', value: spec },
    );
  }
  const g = classificationData(rows, k, seed);
  const columns: Column[] = g.featureNames.map((name, j) => ({ name, kind: 'numeric', values: g.x.subarray(j * rows, (j + 1) * rows) }));
  return { ...generated(spec, columns, g.y), defaultTask: 'classification' };
}

/** Field i of a generated dataset's spec (`name:rows:...`), or the default when absent or empty. */
function specPart(parts: string[], i: number, fallback: number): number {
  return parts[i] === undefined || parts[i] === '' ? fallback : Number(parts[i]);
}

/** A generated dataset: its feature columns, then target `y`. */
function generated(spec: string, features: Column[], y: Float64Array): LoadedData {
  const columns: Column[] = [...features, { name: 'y', kind: 'numeric', values: y }];
  const data: Record<string, Float64Array> = {};
  for (const c of columns) data[c.name] = c.values as Float64Array;
  return {
    table: table(
      data,
      columns.map((c) => c.name),
    ),
    columns,
    source: spec,
    format: 'builtin',
    defaultTarget: 'y',
    notes: [],
  };
}
