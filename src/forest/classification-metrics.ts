// Classification metrics under the names grove tracks them (accuracy, balanced_accuracy,
// log_loss, roc_auc, f1_macro), the confusion matrix and the binary ROC curve, with the
// conventions of scikit-learn's sklearn.metrics so that numbers compare one to one.
// y holds class indices 0..K-1 (as the data layer encodes labels); proba is rows x K, row-major.
import { GroveError } from '../errors.js';
import { argmaxRows, type Label } from '../labels.js';

export interface ClassificationMetrics {
  accuracy: number;
  /** mean recall over the classes present in y */
  balanced_accuracy: number;
  /** mean of -ln p(true class), p clipped to [1e-15, 1 - 1e-15] */
  log_loss: number;
  /** binary: class 1 against class 0; multi-class: macro one-vs-rest; null when a class is absent from y */
  roc_auc: number | null;
  /** unweighted mean of per-class F1 over the classes in y or in the predictions */
  f1_macro: number;
}

/** The clip scikit-learn's log_loss used for years (eps=1e-15): a zero probability costs ln(1e15), not Infinity. */
export const LOG_LOSS_EPS = 1e-15;

export function classificationMetrics(y: ArrayLike<number>, proba: ArrayLike<number>, k: number): ClassificationMetrics {
  const n = checkInputs(y, proba, k);
  const pred = argmaxRows(proba, k);
  const cm = confusionMatrix(y, pred, k);
  let correct = 0;
  let logLoss = 0;
  for (let i = 0; i < n; i++) {
    const c = y[i];
    if (pred[i] === c) correct++;
    const p = Math.min(Math.max(proba[i * k + c], LOG_LOSS_EPS), 1 - LOG_LOSS_EPS);
    logLoss -= Math.log(p);
  }
  return {
    accuracy: correct / n,
    balanced_accuracy: balancedAccuracy(cm),
    log_loss: logLoss / n,
    roc_auc: rocAuc(y, proba, k),
    f1_macro: f1Macro(cm),
  };
}

/** counts[t][p]: rows of true class t predicted as p (rows true, columns predicted). */
export function confusionMatrix(y: ArrayLike<number>, pred: ArrayLike<number>, k: number): number[][] {
  if (y.length !== pred.length) throw new GroveError('INVALID_DATA', `confusion matrix: ${y.length} true labels but ${pred.length} predictions`);
  const m = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  for (let i = 0; i < y.length; i++) {
    const t = y[i];
    const p = pred[i];
    if (!isIndex(t, k) || !isIndex(p, k)) throw new GroveError('INVALID_DATA', `confusion matrix: row ${i + 1} has class index ${isIndex(t, k) ? p : t}, expected 0..${k - 1}`, { row: i + 1 });
    m[t][p]++;
  }
  return m;
}

function balancedAccuracy(cm: number[][]): number {
  let sum = 0;
  let present = 0;
  for (let c = 0; c < cm.length; c++) {
    let support = 0;
    for (const v of cm[c]) support += v;
    if (support === 0) continue;
    sum += cm[c][c] / support;
    present++;
  }
  return sum / present;
}

/** scikit-learn's f1_score(average='macro') with zero_division=0: classes seen in y or predicted. */
function f1Macro(cm: number[][]): number {
  const k = cm.length;
  let sum = 0;
  let used = 0;
  for (let c = 0; c < k; c++) {
    const tp = cm[c][c];
    let fn = 0;
    let fp = 0;
    for (let j = 0; j < k; j++) {
      if (j === c) continue;
      fn += cm[c][j];
      fp += cm[j][c];
    }
    if (tp + fn + fp === 0) continue;
    sum += (2 * tp) / (2 * tp + fp + fn);
    used++;
  }
  return sum / used;
}

/**
 * Binary (K = 2): AUC of proba[:, 1] for class 1 against class 0. Multi-class: the unweighted
 * mean of the K one-vs-rest AUCs. null when a class has no row in y (the AUC is undefined).
 */
export function rocAuc(y: ArrayLike<number>, proba: ArrayLike<number>, k: number): number | null {
  const n = checkInputs(y, proba, k);
  const counts = new Array<number>(k).fill(0);
  for (let i = 0; i < n; i++) counts[y[i]]++;
  if (counts.some((c) => c === 0)) return null;
  const score = new Float64Array(n);
  const positive = new Uint8Array(n);
  const classes = k === 2 ? [1] : Array.from({ length: k }, (_, c) => c);
  let sum = 0;
  for (const c of classes) {
    for (let i = 0; i < n; i++) {
      score[i] = proba[i * k + c];
      positive[i] = y[i] === c ? 1 : 0;
    }
    sum += binaryAuc(positive, score);
  }
  return sum / classes.length;
}

/**
 * Mann-Whitney: the probability that a random positive scores above a random negative, ties
 * counting one half (the area under the ROC curve with its diagonal steps through tied scores).
 */
function binaryAuc(positive: Uint8Array, score: Float64Array): number {
  const n = score.length;
  const order = sortedByScore(score, false);
  let nPos = 0;
  for (let i = 0; i < n; i++) nPos += positive[i];
  const nNeg = n - nPos;
  // sum of the (1-based, tie-averaged) ranks of the positives, ascending by score
  let rankSum = 0;
  for (let a = 0; a < n; ) {
    let b = a;
    let pos = 0;
    while (b < n && score[order[b]] === score[order[a]]) pos += positive[order[b++]];
    rankSum += pos * ((a + 1 + b) / 2);
    a = b;
  }
  return (rankSum - (nPos * (nPos + 1)) / 2) / (nPos * nNeg);
}

export interface RocCurve {
  fpr: number[];
  tpr: number[];
  /** decreasing; thresholds[0] is Infinity (nothing predicted positive; written as null in JSON) */
  thresholds: number[];
}

/**
 * The ROC curve of a score for the positive rows (y === 1): one point per distinct score, from
 * (0, 0) at threshold Infinity to (1, 1), as scikit-learn's roc_curve(drop_intermediate=False).
 * A row is predicted positive when its score >= the threshold.
 */
export function rocCurve(y: ArrayLike<number>, score: ArrayLike<number>): RocCurve {
  const n = y.length;
  if (score.length !== n) throw new GroveError('INVALID_DATA', `ROC curve: ${n} labels but ${score.length} scores`);
  let nPos = 0;
  for (let i = 0; i < n; i++) if (y[i] === 1) nPos++;
  const nNeg = n - nPos;
  if (nPos === 0 || nNeg === 0) throw new GroveError('INVALID_DATA', `ROC curve: needs both positive and negative rows (got ${nPos} positive, ${nNeg} negative)`);
  const s = Float64Array.from(score);
  const order = sortedByScore(s, true);
  const fpr = [0];
  const tpr = [0];
  const thresholds = [Infinity];
  let tp = 0;
  let fp = 0;
  for (let a = 0; a < n; ) {
    const t = s[order[a]];
    while (a < n && s[order[a]] === t) {
      if (y[order[a]] === 1) tp++;
      else fp++;
      a++;
    }
    fpr.push(fp / nNeg);
    tpr.push(tp / nPos);
    thresholds.push(t);
  }
  return { fpr, tpr, thresholds };
}

/**
 * At most `maxPoints` points of a curve: points on a straight segment between their neighbours
 * go first (they change neither the plot nor the area), then an even pick by index that always
 * keeps both ends.
 */
export function thinRocCurve(curve: RocCurve, maxPoints = 201): RocCurve {
  const keep: number[] = [];
  const m = curve.fpr.length;
  for (let i = 0; i < m; i++) {
    if (i > 0 && i < m - 1) {
      const [x0, y0] = [curve.fpr[keep[keep.length - 1]], curve.tpr[keep[keep.length - 1]]];
      const [x1, y1, x2, y2] = [curve.fpr[i], curve.tpr[i], curve.fpr[i + 1], curve.tpr[i + 1]];
      if ((x1 - x0) * (y2 - y0) === (x2 - x0) * (y1 - y0)) continue; // collinear
    }
    keep.push(i);
  }
  let picked = keep;
  if (keep.length > maxPoints) {
    picked = [];
    for (let j = 0; j < maxPoints; j++) picked.push(keep[Math.round((j * (keep.length - 1)) / (maxPoints - 1))]);
  }
  return { fpr: picked.map((i) => curve.fpr[i]), tpr: picked.map((i) => curve.tpr[i]), thresholds: picked.map((i) => curve.thresholds[i]) };
}

/**
 * The run artifacts of a classification run, by name: `confusion_matrix.json` always,
 * `roc_curve.json` for two classes with both present in y (positive label = classes[1]).
 */
export function classificationArtifacts(y: ArrayLike<number>, proba: ArrayLike<number>, classes: readonly Label[]): Record<string, Uint8Array> {
  const k = classes.length;
  checkInputs(y, proba, k);
  const encode = (v: unknown) => new TextEncoder().encode(`${JSON.stringify(v)}\n`);
  const out: Record<string, Uint8Array> = {
    'confusion_matrix.json': encode({ labels: classes, matrix: confusionMatrix(y, argmaxRows(proba, k), k) }),
  };
  const auc = k === 2 ? rocAuc(y, proba, k) : null;
  if (auc !== null) {
    const score = new Float64Array(y.length);
    for (let i = 0; i < y.length; i++) score[i] = proba[i * 2 + 1];
    const curve = thinRocCurve(rocCurve(y, score));
    out['roc_curve.json'] = encode({ positive_label: classes[1], ...curve, auc });
  }
  return out;
}

/** Row indices sorted by score (descending or ascending), ties by row index. */
function sortedByScore(score: Float64Array, descending: boolean): Uint32Array {
  const order = new Uint32Array(score.length);
  for (let i = 0; i < order.length; i++) order[i] = i;
  return order.sort(descending ? (a, b) => score[b] - score[a] || a - b : (a, b) => score[a] - score[b] || a - b);
}

function isIndex(v: number, k: number): boolean {
  return Number.isInteger(v) && v >= 0 && v < k;
}

function checkInputs(y: ArrayLike<number>, proba: ArrayLike<number>, k: number): number {
  if (!Number.isInteger(k) || k < 2) throw new GroveError('INVALID_DATA', `classification metrics need at least 2 classes (got ${k})`);
  const n = y.length;
  if (n === 0) throw new GroveError('INVALID_DATA', 'classification metrics: no rows');
  if (proba.length !== n * k) throw new GroveError('INVALID_DATA', `classification metrics: ${n} rows x ${k} classes need ${n * k} probabilities, got ${proba.length}`);
  for (let i = 0; i < n; i++) {
    if (!isIndex(y[i], k)) throw new GroveError('INVALID_DATA', `classification metrics: row ${i + 1} has class index ${y[i]}, expected an integer in 0..${k - 1}`, { row: i + 1 });
  }
  return n;
}
