// A horizontal bar chart (importances) in HTML, so labels stay legible at any width: one
// labelled bar per item, largest first.
import { h } from '../dom.js';
import { fmtNum } from '../format.js';

export interface Bar {
  label: string;
  value: number;
}

export function barChart(bars: Bar[], label: string, max = 30): HTMLElement {
  const shown = bars.slice(0, max);
  const top = Math.max(...shown.map((b) => b.value), 1e-12);
  const rows = shown.map((b) =>
    h(
      'div',
      { class: 'bar-row', title: `${b.label}: ${fmtNum(b.value)}` },
      h('span', { class: 'bar-label' }, b.label),
      h('span', { class: 'bar-track' }, h('span', { class: 'bar pt', style: `width:${Math.max(0.5, (100 * Math.max(0, b.value)) / top).toFixed(2)}%` })),
      h('span', { class: 'bar-value' }, fmtNum(b.value, 3)),
    ),
  );
  const more = bars.length > shown.length ? h('p', { class: 'muted' }, `${bars.length - shown.length} more not shown`) : null;
  return h('div', { class: 'chart-box bars', role: 'img', 'aria-label': label, 'data-points': shown.length }, rows, more);
}
