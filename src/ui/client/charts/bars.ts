// A horizontal bar chart (importances): one labelled bar per item, largest first.
import { h, s } from '../dom.js';
import { fmtNum } from '../format.js';

export interface Bar {
  label: string;
  value: number;
}

export function barChart(bars: Bar[], label: string, max = 30): HTMLElement {
  const shown = bars.slice(0, max);
  const rowH = 22;
  const labelW = Math.min(220, 10 + 7 * Math.max(4, ...shown.map((b) => b.label.length)));
  const width = 640;
  const height = rowH * shown.length + 10;
  const top = Math.max(...shown.map((b) => b.value), 1e-12);
  const svg = s('svg', { viewBox: `0 0 ${width} ${height}`, class: 'chart bars', role: 'img', 'aria-label': label });
  shown.forEach((b, i) => {
    const y = 5 + i * rowH;
    const w = Math.max(1, ((width - labelW - 70) * Math.max(0, b.value)) / top);
    svg.appendChild(s('text', { x: labelW - 8, y: y + 15, 'text-anchor': 'end' }, b.label));
    svg.appendChild(s('rect', { x: labelW, y: y + 3, width: w, height: rowH - 6, class: 'bar pt' }, s('title', null, `${b.label}: ${fmtNum(b.value)}`)));
    svg.appendChild(s('text', { x: labelW + w + 6, y: y + 15, class: 'value' }, fmtNum(b.value, 3)));
  });
  const more = bars.length > shown.length ? h('p', { class: 'muted' }, `${bars.length - shown.length} more not shown`) : null;
  return h('div', { class: 'chart-box', 'data-points': shown.length }, svg, more);
}
