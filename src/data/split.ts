// Seeded splits over row positions. One permutation from a stream of its own ("SPLT"), so the
// same (n, fractions, seed) gives the same parts on every machine and never shares draws with
// the trees that use the same seed.
import { GroveError, invalidOption } from '../errors.js';
import { Rng } from '../rng.js';
import { SPLIT_STREAM } from '../constants.js';

export interface SplitFractions {
  validation?: number;
  test?: number;
}

export interface SplitParts {
  train: Int32Array;
  validation: Int32Array;
  test: Int32Array;
}

/** A permutation of 0..n-1 (Fisher-Yates). */
export function permutation(n: number, seed: number): Int32Array {
  const p = new Int32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  const rng = new Rng(seed >>> 0, SPLIT_STREAM);
  for (let i = n - 1; i > 0; i--) {
    const j = rng.below(i + 1);
    const t = p[i];
    p[i] = p[j];
    p[j] = t;
  }
  return p;
}

/** Positions 0..n-1 split into train / validation / test; each part sorted ascending. */
export function splitRows(n: number, fractions: SplitFractions, seed = 0): SplitParts {
  const v = checkFraction('validation', fractions.validation ?? 0);
  const t = checkFraction('test', fractions.test ?? 0);
  if (v + t >= 1) throw invalidOption('validation + test', v + t, 'fractions must leave rows for training (sum below 1)');
  checkSeed(seed);
  const nTest = t > 0 ? Math.max(1, Math.round(n * t)) : 0;
  const nVal = v > 0 ? Math.max(1, Math.round(n * v)) : 0;
  const nTrain = n - nTest - nVal;
  if (nTrain < 2) {
    throw new GroveError('INVALID_DATA', `only ${n} usable rows: a ${v} validation and ${t} test split leaves ${Math.max(0, nTrain)} for training (need at least 2)`);
  }
  const p = permutation(n, seed);
  return {
    test: sorted(p.subarray(0, nTest)),
    validation: sorted(p.subarray(nTest, nTest + nVal)),
    train: sorted(p.subarray(nTest + nVal)),
  };
}

/** k folds: fold f's validation part is a contiguous slice of one permutation, sizes differ by at most 1. */
export function kFold(n: number, k: number, seed = 0): { train: Int32Array; validation: Int32Array }[] {
  if (!Number.isInteger(k) || k < 2) throw invalidOption('folds', k, 'must be an integer >= 2');
  if (k > n) throw new GroveError('INVALID_DATA', `cannot make ${k} folds from ${n} usable rows`, { option: 'folds' });
  checkSeed(seed);
  const p = permutation(n, seed);
  const folds: { train: Int32Array; validation: Int32Array }[] = [];
  for (let f = 0; f < k; f++) {
    const start = Math.floor((f * n) / k);
    const end = Math.floor(((f + 1) * n) / k);
    const train = new Int32Array(n - (end - start));
    train.set(p.subarray(0, start));
    train.set(p.subarray(end), start);
    folds.push({ train: sorted(train), validation: sorted(p.slice(start, end)) });
  }
  return folds;
}

/**
 * A split that keeps each class in the same fractions in every part (stratified). `y` holds the
 * class (0..k-1) of each position 0..n-1. The part sizes are those of splitRows; each part's
 * rows of class c are about its share of the class, rounded by largest remainder (ties to the
 * lower class), and every class keeps at least one training row. Within a class, which rows go
 * where follows one seeded permutation of all positions, so the same (y, fractions, seed) gives
 * the same parts on every machine.
 */
export function stratifiedSplitRows(y: ArrayLike<number>, k: number, fractions: SplitFractions, seed = 0): SplitParts {
  const n = y.length;
  const v = checkFraction('validation', fractions.validation ?? 0);
  const t = checkFraction('test', fractions.test ?? 0);
  if (v + t >= 1) throw invalidOption('validation + test', v + t, 'fractions must leave rows for training (sum below 1)');
  checkSeed(seed);
  const counts = classCounts(y, k);
  const nTest = t > 0 ? Math.max(1, Math.round(n * t)) : 0;
  const nVal = v > 0 ? Math.max(1, Math.round(n * v)) : 0;
  const present = counts.filter((c) => c > 0).length;
  if (n - nTest - nVal < Math.max(2, present)) {
    throw new GroveError(
      'INVALID_DATA',
      `only ${n} usable rows: a ${v} validation and ${t} test split leaves ${Math.max(0, n - nTest - nVal)} for training, fewer than the ${present} classes (each needs a training row)`,
    );
  }
  const testOf = allocate(
    counts,
    nTest,
    counts.map((c) => Math.max(0, c - 1)),
  );
  const valOf = allocate(
    counts,
    nVal,
    counts.map((c, i) => Math.max(0, c - 1 - testOf[i])),
  );
  const p = permutation(n, seed);
  const test = new Int32Array(nTest);
  const validation = new Int32Array(nVal);
  const train = new Int32Array(n - nTest - nVal);
  let a = 0;
  let b = 0;
  let r = 0;
  for (let i = 0; i < n; i++) {
    const pos = p[i];
    const c = y[pos];
    if (testOf[c] > 0) {
      testOf[c]--;
      test[a++] = pos;
    } else if (valOf[c] > 0) {
      valOf[c]--;
      validation[b++] = pos;
    } else train[r++] = pos;
  }
  return { test: sorted(test), validation: sorted(validation), train: sorted(train) };
}

/**
 * Stratified k folds: the positions of each class, in the order of one seeded permutation, are
 * dealt to the folds in turn (the classes one after the other, the deal continuing), so fold
 * sizes differ by at most 1 and so do each class's rows per fold.
 */
export function stratifiedKFold(y: ArrayLike<number>, k: number, folds: number, seed = 0): { train: Int32Array; validation: Int32Array }[] {
  const n = y.length;
  if (!Number.isInteger(folds) || folds < 2) throw invalidOption('folds', folds, 'must be an integer >= 2');
  if (folds > n) throw new GroveError('INVALID_DATA', `cannot make ${folds} folds from ${n} usable rows`, { option: 'folds' });
  checkSeed(seed);
  const counts = classCounts(y, k);
  const start = new Int32Array(k + 1);
  for (let c = 0; c < k; c++) start[c + 1] = start[c] + counts[c];
  const byClass = new Int32Array(n);
  const next = start.slice(0, k);
  const p = permutation(n, seed);
  for (let i = 0; i < n; i++) byClass[next[y[p[i]]]++] = p[i];
  const fold = new Int32Array(n);
  for (let j = 0; j < n; j++) fold[byClass[j]] = j % folds;
  const out: { train: Int32Array; validation: Int32Array }[] = [];
  for (let f = 0; f < folds; f++) {
    const size = Math.floor(n / folds) + (f < n % folds ? 1 : 0);
    const validation = new Int32Array(size);
    const train = new Int32Array(n - size);
    let a = 0;
    let b = 0;
    for (let pos = 0; pos < n; pos++) {
      if (fold[pos] === f) validation[a++] = pos;
      else train[b++] = pos;
    }
    out.push({ train, validation });
  }
  return out;
}

function classCounts(y: ArrayLike<number>, k: number): number[] {
  const counts = new Array<number>(k).fill(0);
  for (let i = 0; i < y.length; i++) {
    const c = y[i];
    if (!(Number.isInteger(c) && c >= 0 && c < k)) throw new GroveError('INTERNAL', `stratified split: position ${i} has class ${c}, expected 0..${k - 1}`);
    counts[c]++;
  }
  return counts;
}

/** `total` spread over the classes in proportion to `counts` (largest remainder, ties to the lower class), each at most its cap. */
function allocate(counts: number[], total: number, caps: number[]): number[] {
  const n = counts.reduce((s, c) => s + c, 0);
  const quota = counts.map((c) => (c * total) / n);
  const out = quota.map((q, i) => Math.min(caps[i], Math.floor(q)));
  let left = total - out.reduce((s, c) => s + c, 0);
  const order = quota.map((_, i) => i).sort((a, b) => quota[b] - Math.floor(quota[b]) - (quota[a] - Math.floor(quota[a])) || a - b);
  while (left > 0) {
    let placed = false;
    for (const i of order) {
      if (left === 0) break;
      if (out[i] < caps[i]) {
        out[i]++;
        left--;
        placed = true;
      }
    }
    if (!placed) throw new GroveError('INTERNAL', 'stratified split: the parts do not fit the classes');
  }
  return out;
}

function sorted(a: Int32Array): Int32Array {
  return Int32Array.from(a).sort();
}

function checkFraction(name: string, f: number): number {
  if (typeof f !== 'number' || !(f >= 0 && f < 1)) throw invalidOption(name, f, 'must be a fraction in [0, 1)');
  return f;
}

function checkSeed(seed: number): void {
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) throw invalidOption('seed', seed, 'must be an integer in [0, 2^32)');
}
