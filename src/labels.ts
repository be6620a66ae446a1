import { GroveError } from './errors.js';

/**
 * Class labels of a classification target, shared by the data layer (encoding, stratified
 * splits), the classifier (its `classes`, kept in the model header) and serving (labels back).
 * A label is a string, a finite number or a boolean; one target holds one kind of label.
 */
export type Label = string | number | boolean;

export type LabelKind = 'string' | 'number' | 'boolean';

export function labelKind(label: Label): LabelKind {
  return typeof label as LabelKind;
}

function checkLabel(label: unknown, at: string): Label {
  if (typeof label === 'string' || typeof label === 'boolean') return label;
  if (typeof label === 'number' && Number.isFinite(label)) return label;
  if (label === null || label === undefined || (typeof label === 'number' && Number.isNaN(label))) {
    throw new GroveError('INVALID_DATA', `${at}: the class label is missing`);
  }
  throw new GroveError('INVALID_DATA', `${at}: ${String(label)} is not a class label (expected a string, a finite number or a boolean)`);
}

/** Ascending: numbers by value, strings by UTF-16 code units (JavaScript's `<`), false before true. */
export function compareLabels(a: Label, b: Label): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The distinct labels of `y`, sorted (scikit-learn's `classes_`). Throws on a missing label or
 * a target mixing kinds (naming the first row of the second kind), so `row N` in messages
 * counts from 1.
 */
export function sortedClasses(y: ArrayLike<unknown>, what = 'target'): Label[] {
  const seen = new Set<Label>();
  let kind: LabelKind | null = null;
  for (let i = 0; i < y.length; i++) {
    const label = checkLabel(y[i], `${what} row ${i + 1}`);
    const k = labelKind(label);
    if (kind === null) kind = k;
    else if (k !== kind) {
      throw new GroveError('INVALID_DATA', `${what} row ${i + 1}: ${JSON.stringify(label)} is a ${k}, earlier labels are ${kind}s (one target holds one kind of label)`);
    }
    seen.add(label);
  }
  return [...seen].sort(compareLabels);
}

/** Checks a `classes` list read from a model header or given by a caller: distinct, sorted, one kind. */
export function checkClasses(classes: unknown, what = 'classes'): Label[] {
  if (!Array.isArray(classes) || classes.length < 2) {
    throw new GroveError('INVALID_DATA', `${what} must list at least 2 class labels`);
  }
  const sorted = sortedClasses(classes, what);
  if (sorted.length !== classes.length || sorted.some((c, i) => c !== classes[i])) {
    throw new GroveError('INVALID_DATA', `${what} must be distinct and sorted ascending`);
  }
  return sorted;
}

/** Label -> class index. */
export function classIndex(classes: readonly Label[]): Map<Label, number> {
  return new Map(classes.map((c, i) => [c, i]));
}

/**
 * Labels to class indices (as the engines take them: doubles 0..K-1). A label not among
 * `classes`, or a missing one, is an error naming its row (from 1) and `what`.
 */
export function encodeLabels(y: ArrayLike<unknown>, classes: readonly Label[], what = 'target'): Float64Array {
  const index = classIndex(classes);
  const out = new Float64Array(y.length);
  for (let i = 0; i < y.length; i++) {
    const label = checkLabel(y[i], `${what} row ${i + 1}`);
    const k = index.get(label);
    if (k === undefined) {
      throw new GroveError('INVALID_DATA', `${what} row ${i + 1}: class ${JSON.stringify(label)} was not seen in training (classes: ${classes.map((c) => JSON.stringify(c)).join(', ')})`);
    }
    out[i] = k;
  }
  return out;
}

/** Class indices back to labels. */
export function decodeLabels(indices: ArrayLike<number>, classes: readonly Label[]): Label[] {
  const out = new Array<Label>(indices.length);
  for (let i = 0; i < indices.length; i++) out[i] = classes[indices[i]];
  return out;
}

/** Per row, the index of the largest probability (ties to the lowest index), from rows x K probabilities. */
export function argmaxRows(proba: ArrayLike<number>, k: number): Int32Array {
  const rows = Math.floor(proba.length / k);
  const out = new Int32Array(rows);
  for (let i = 0; i < rows; i++) {
    let best = 0;
    let bestP = proba[i * k];
    for (let c = 1; c < k; c++) {
      const p = proba[i * k + c];
      if (p > bestP) {
        best = c;
        bestP = p;
      }
    }
    out[i] = best;
  }
  return out;
}
