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
