// A confusion matrix as a heatmap table: rows are the true classes, columns the predicted ones,
// each cell shaded by its share of the row (so the diagonal reads as per-class recall whatever
// the class sizes). Many classes drop the numbers (hover still tells); too many are not drawn.
import { h } from '../dom.js';
import { fmtNum } from '../format.js';
import type { ConfusionMatrixJson } from '../../api-types.js';

/** past this many classes the cells carry no numbers */
const NUMBERS_MAX = 30;
/** past this many classes the matrix is not drawn (the artifact can be downloaded) */
const DRAW_MAX = 200;

function pct(share: number): string {
  return `${(100 * share).toFixed(share >= 0.1 || share === 0 ? 0 : 1)}%`;
}

export function confusionMatrixTable(cm: ConfusionMatrixJson): HTMLElement {
  const k = cm.labels.length;
  const labels = cm.labels.map(String);
  if (k > DRAW_MAX) return h('p', { class: 'muted', id: 'confusion-matrix' }, `${fmtNum(k)} classes: too many to draw here; download confusion_matrix.json below.`);
  const numbers = k <= NUMBERS_MAX;
  const rowTotals = cm.matrix.map((row) => row.reduce((a, b) => a + b, 0));
  const total = rowTotals.reduce((a, b) => a + b, 0);
  const correct = cm.matrix.reduce((a, row, i) => a + row[i], 0);
  const head = h(
    'tr',
    null,
    h('th', { class: 'corner', scope: 'col' }, 'true \\ predicted'),
    labels.map((l) => h('th', { class: 'num', scope: 'col', title: l }, l)),
    h('th', { class: 'num', scope: 'col', title: 'share of the true class predicted right' }, 'recall'),
  );
  const rows = cm.matrix.map((row, i) =>
    h(
      'tr',
      null,
      h('th', { scope: 'row', title: labels[i] }, labels[i]),
      row.map((n, j) => {
        const share = rowTotals[i] > 0 ? n / rowTotals[i] : 0;
        return h(
          'td',
          {
            class: `num cm-cell${i === j ? ' diag' : ''}${share > 0.55 ? ' dark' : ''}`,
            style: `background: rgba(43, 140, 190, ${(0.06 + 0.94 * share).toFixed(3)})`,
            title: `true ${labels[i]}, predicted ${labels[j]}: ${fmtNum(n)} (${pct(share)} of ${labels[i]})`,
            'data-count': n,
          },
          numbers ? fmtNum(n) : '',
        );
      }),
      h('td', { class: 'num muted' }, rowTotals[i] > 0 ? pct(row[i] / rowTotals[i]) : '—'),
    ),
  );
  return h(
    'div',
    { class: 'scroll' },
    h('table', { class: `grid confusion${numbers ? '' : ' dense'}`, id: 'confusion-matrix', 'data-classes': k }, h('thead', null, head), h('tbody', null, rows)),
    h('p', { class: 'muted' }, `${fmtNum(total)} rows, ${fmtNum(correct)} on the diagonal (accuracy ${total > 0 ? pct(correct / total) : '—'}); shading: share of the true class.`),
  );
}
