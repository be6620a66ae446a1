// A binary classifier's ROC curve in SVG: true positive rate against false positive rate, the
// chance diagonal dashed, the area under the curve in the title.
import { h, s } from '../dom.js';
import { fmtNum } from '../format.js';
import type { RocCurveJson } from '../../api-types.js';
import { linear } from './scale.js';

export function rocTitle(roc: RocCurveJson): string {
  const positive = roc.positive_label === null ? '' : `, positive class ${String(roc.positive_label)}`;
  return `ROC curve (AUC ${roc.auc === null ? '—' : fmtNum(roc.auc, 4)}${positive})`;
}

export function rocChart(roc: RocCurveJson): HTMLElement {
  const width = 360;
  const height = 320;
  const L = 48;
  const R = width - 12;
  const T = 12;
  const B = height - 40;
  const x = linear(0, 1, L, R);
  const y = linear(0, 1, B, T);
  const svg = s('svg', { viewBox: `0 0 ${width} ${height}`, class: 'chart roc', role: 'img', 'aria-label': rocTitle(roc) });
  const g = s('g', { class: 'axis' });
  for (const t of [0, 0.25, 0.5, 0.75, 1]) {
    g.appendChild(s('line', { x1: x(t), x2: x(t), y1: T, y2: B, class: 'grid' }));
    g.appendChild(s('line', { x1: L, x2: R, y1: y(t), y2: y(t), class: 'grid' }));
    g.appendChild(s('text', { x: x(t), y: B + 14, 'text-anchor': 'middle' }, String(t)));
    g.appendChild(s('text', { x: L - 6, y: y(t) + 4, 'text-anchor': 'end' }, String(t)));
  }
  g.appendChild(s('line', { x1: L, x2: R, y1: B, y2: B }));
  g.appendChild(s('line', { x1: L, x2: L, y1: T, y2: B }));
  g.appendChild(s('text', { x: (L + R) / 2, y: height - 6, 'text-anchor': 'middle', class: 'axis-label' }, 'false positive rate'));
  g.appendChild(s('text', { x: 12, y: (T + B) / 2, 'text-anchor': 'middle', class: 'axis-label', transform: `rotate(-90 12 ${(T + B) / 2})` }, 'true positive rate'));
  svg.appendChild(g);
  svg.appendChild(s('line', { x1: x(0), y1: y(0), x2: x(1), y2: y(1), class: 'chance' }));
  const d = roc.fpr.map((f, i) => `${i === 0 ? 'M' : 'L'}${x(f).toFixed(2)},${y(roc.tpr[i]).toFixed(2)}`).join('');
  svg.appendChild(s('path', { d, class: 'roc-line' }, s('title', null, rocTitle(roc))));
  return h('div', { class: 'chart-box roc-box', 'data-points': roc.fpr.length }, svg);
}
