import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { classificationArtifacts, classificationMetrics, confusionMatrix, rocAuc, rocCurve, thinRocCurve } from '../../src/forest/classification-metrics.js';
import { Rng } from '../../src/rng.js';

const close = (a: number | null, b: number, tol = 1e-12) => {
  assert.ok(a !== null && Math.abs(a - b) <= tol, `${a} != ${b}`);
};

/** rows x 2 probabilities from P(class 1). */
const binary = (p1: number[]) => Float64Array.from(p1.flatMap((p) => [1 - p, p]));

test('binary: accuracy, balanced accuracy, log loss, AUC and macro F1 by hand', () => {
  // y = 0 0 1 1, P(1) = .1 .4 .35 .8 -> predicted 0 0 0 1
  // confusion: true 0 -> [2, 0], true 1 -> [1, 1]
  // accuracy 3/4; balanced (2/2 + 1/2) / 2 = .75
  // log loss -(ln .9 + ln .6 + ln .35 + ln .8) / 4
  // AUC: positive scores .35, .8 vs negatives .1, .4: pairs won 1 + 0 + 1 + 1 = 3 of 4 = .75
  // F1 class 0: tp 2 fp 1 fn 0 -> 4/5; class 1: tp 1 fp 0 fn 1 -> 2/3; macro (4/5 + 2/3) / 2
  const m = classificationMetrics([0, 0, 1, 1], binary([0.1, 0.4, 0.35, 0.8]), 2);
  close(m.accuracy, 0.75);
  close(m.balanced_accuracy, 0.75);
  close(m.log_loss, -(Math.log(0.9) + Math.log(0.6) + Math.log(0.35) + Math.log(0.8)) / 4);
  close(m.roc_auc, 0.75);
  close(m.f1_macro, (4 / 5 + 2 / 3) / 2);
});

test('binary AUC counts tied scores as half a pair, and the ROC curve steps through the tie', () => {
  // positives score .5 and .8, negatives .5 and .2: pairs (.5,.5) = 1/2, (.5,.2) = 1, (.8,.5) = 1, (.8,.2) = 1 -> 3.5 / 4
  const y = [0, 1, 0, 1];
  const s = [0.5, 0.5, 0.2, 0.8];
  close(rocAuc(y, binary(s), 2), 0.875);
  // thresholds Infinity, .8, .5, .2: (0,0) (0,1/2) (1/2,1) (1,1); trapezoids 0 + .375 + .5 = .875
  const c = rocCurve(y, s);
  assert.deepEqual(c, { fpr: [0, 0, 0.5, 1], tpr: [0, 0.5, 1, 1], thresholds: [Infinity, 0.8, 0.5, 0.2] });
});

test('multi-class: macro one-vs-rest AUC, balanced accuracy and macro F1 by hand', () => {
  const y = [0, 1, 2, 0, 1, 2];
  const proba = Float64Array.from([0.6, 0.3, 0.1, 0.2, 0.5, 0.3, 0.1, 0.3, 0.6, 0.3, 0.4, 0.3, 0.5, 0.2, 0.3, 0.2, 0.2, 0.6]);
  // class 0: positives .6 .3 vs negatives .2 .1 .5 .2 -> 4 + 3 = 7 of 8
  // class 1: positives .5 .2 vs negatives .3 .3 .4 .2 -> 4 + 0.5 (the tie at .2) = 4.5 of 8
  // class 2: positives .6 .6 vs negatives .1 .3 .3 .3 -> 8 of 8
  // macro (7/8 + 4.5/8 + 1) / 3 = .8125
  // predicted 0 1 2 1 0 2: confusion [[1,1,0],[1,1,0],[0,0,2]]
  const m = classificationMetrics(y, proba, 3);
  close(m.roc_auc, 0.8125);
  close(m.accuracy, 4 / 6);
  close(m.balanced_accuracy, (0.5 + 0.5 + 1) / 3);
  close(m.f1_macro, (0.5 + 0.5 + 1) / 3);
  assert.deepEqual(confusionMatrix(y, [0, 1, 2, 1, 0, 2], 3), [
    [1, 1, 0],
    [1, 1, 0],
    [0, 0, 2],
  ]);
});

test('macro F1 counts a class never predicted as 0 and skips a class neither true nor predicted', () => {
  // K = 4, y = 0 1 2 2, predicted 0 1 1 1; class 3 appears nowhere
  // F1: class 0 -> 1; class 1: tp 1 fp 2 fn 0 -> 2/4; class 2: tp 0 -> 0; macro over 3 classes = 1.5 / 3
  const onehot = (c: number) => [0, 1, 2, 3].map((j) => (j === c ? 0.7 : 0.1));
  const proba = Float64Array.from([0, 1, 1, 1].flatMap(onehot));
  const m = classificationMetrics([0, 1, 2, 2], proba, 4);
  close(m.f1_macro, 0.5);
  // balanced accuracy over the 3 classes present in y: (1 + 1 + 0) / 3
  close(m.balanced_accuracy, 2 / 3);
  assert.equal(m.roc_auc, null); // class 3 has no row: one-vs-rest AUC undefined
});

test('log loss clips a zero probability of the true class to 1e-15', () => {
  // both rows give their true class probability 0: each costs -ln(1e-15) = 34.538...
  const m = classificationMetrics([1, 0], Float64Array.from([1, 0, 0, 1]), 2);
  close(m.log_loss, -Math.log(1e-15), 1e-9);
  assert.equal(m.roc_auc, 0); // the positive scores below the negative
});

test('AUC is null when y holds one class; bad inputs are clear errors', () => {
  assert.equal(rocAuc([1, 1], binary([0.3, 0.6]), 2), null);
  assert.throws(() => classificationMetrics([0, 2], binary([0.3, 0.6]), 2), /row 2 has class index 2/);
  assert.throws(() => classificationMetrics([0, 1], Float64Array.from([0.5, 0.5]), 2), /need 4 probabilities, got 2/);
  assert.throws(() => rocCurve([1, 1], [0.2, 0.3]), /both positive and negative/);
});

test('thinning keeps the ends and the area, at most 201 points', () => {
  const rng = new Rng(5, 1);
  const n = 5000;
  const y: number[] = [];
  const s: number[] = [];
  for (let i = 0; i < n; i++) {
    const c = rng.below(2);
    y.push(c);
    s.push(Math.round((rng.nextDouble() + c * 0.5) * 1000) / 1000);
  }
  const full = rocCurve(y, s);
  const thin = thinRocCurve(full);
  assert.ok(full.fpr.length > 201);
  assert.ok(thin.fpr.length <= 201);
  assert.deepEqual([thin.fpr[0], thin.tpr[0], thin.fpr.at(-1), thin.tpr.at(-1)], [0, 0, 1, 1]);
  const area = (c: { fpr: number[]; tpr: number[] }) => c.fpr.slice(1).reduce((a, x, i) => a + ((x - c.fpr[i]) * (c.tpr[i + 1] + c.tpr[i])) / 2, 0);
  close(area(full), rocAuc(y, binary(s), 2)!, 1e-9);
  close(area(thin), area(full), 2e-3);
  // a straight run of points collapses to its ends
  assert.deepEqual(thinRocCurve({ fpr: [0, 0, 0, 0.5, 1], tpr: [0, 0.25, 0.5, 1, 1], thresholds: [Infinity, 0.9, 0.8, 0.5, 0.1] }).fpr, [0, 0, 0.5, 1]);
});

test('artifacts: confusion matrix with labels, ROC curve for two classes only', () => {
  const a = classificationArtifacts([0, 0, 1, 1], binary([0.1, 0.4, 0.35, 0.8]), ['benign', 'malignant']);
  const cm = JSON.parse(new TextDecoder().decode(a['confusion_matrix.json']));
  assert.deepEqual(cm, {
    labels: ['benign', 'malignant'],
    matrix: [
      [2, 0],
      [1, 1],
    ],
  });
  const roc = JSON.parse(new TextDecoder().decode(a['roc_curve.json']));
  assert.equal(roc.positive_label, 'malignant');
  assert.equal(roc.auc, 0.75);
  assert.equal(roc.thresholds[0], null); // Infinity in JSON
  assert.deepEqual(roc.fpr, [0, 0, 0.5, 0.5, 1]);
  assert.deepEqual(roc.tpr, [0, 0.5, 0.5, 1, 1]);
  const three = classificationArtifacts([0, 1, 2], Float64Array.from([1, 0, 0, 0, 1, 0, 0, 0, 1]), [1, 2, 3]);
  assert.deepEqual(Object.keys(three), ['confusion_matrix.json']);
});

const python = '/usr/bin/python3';
const hasSklearn = existsSync(python) && spawnSync(python, ['-c', 'import sklearn'], { encoding: 'utf8' }).status === 0;

test('agrees with scikit-learn on random multi-class and binary data', { skip: hasSklearn ? false : 'python3-sklearn not installed' }, () => {
  const rng = new Rng(11, 3);
  const cases: { k: number; y: number[]; proba: number[] }[] = [];
  for (const k of [2, 4]) {
    const n = 300;
    const y: number[] = [];
    const proba: number[] = [];
    for (let i = 0; i < n; i++) {
      const c = rng.below(k);
      y.push(c);
      // coarse scores (many ties), never 0: the clip does not come into play
      const w = Array.from({ length: k }, (_, j) => 1 + Math.floor(rng.nextDouble() * 5) + (j === c ? 2 : 0));
      const sum = w.reduce((a, b) => a + b, 0);
      for (const v of w) proba.push(v / sum);
    }
    cases.push({ k, y, proba });
  }
  const script = `
import json, sys
import numpy as np
from sklearn import metrics
out = []
for c in json.load(sys.stdin):
    y = np.array(c['y']); p = np.array(c['proba']).reshape(-1, c['k']); pred = p.argmax(axis=1)
    auc = metrics.roc_auc_score(y, p[:, 1]) if c['k'] == 2 else metrics.roc_auc_score(y, p, multi_class='ovr', average='macro')
    out.append({'accuracy': metrics.accuracy_score(y, pred), 'balanced_accuracy': metrics.balanced_accuracy_score(y, pred),
                'log_loss': metrics.log_loss(y, p, labels=list(range(c['k']))), 'roc_auc': auc,
                'f1_macro': metrics.f1_score(y, pred, average='macro'),
                'cm': metrics.confusion_matrix(y, pred, labels=list(range(c['k']))).tolist()})
print(json.dumps(out))
`;
  const r = spawnSync(python, ['-c', script], { input: JSON.stringify(cases), encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const expected = JSON.parse(r.stdout) as Record<string, number & number[][]>[];
  cases.forEach((c, i) => {
    const m = classificationMetrics(c.y, Float64Array.from(c.proba), c.k);
    for (const key of ['accuracy', 'balanced_accuracy', 'log_loss', 'roc_auc', 'f1_macro'] as const) close(m[key], expected[i][key], 1e-9);
    const pred = c.y.map((_, row) => {
      const p = c.proba.slice(row * c.k, row * c.k + c.k);
      return p.indexOf(Math.max(...p));
    });
    assert.deepEqual(confusionMatrix(c.y, pred, c.k), expected[i].cm);
  });
});
