// Parallel coordinates: one vertical axis per hyperparameter and one for the objective; each
// finished trial is a line across them, coloured by how good its objective is.
import { h, s } from '../dom.js';
import { fmtNum } from '../format.js';
import type { SpaceEntry, TrialJson } from '../../api-types.js';
import { goodness } from './color.js';
import { paramAxis } from './param-axis.js';

export function parallelCoordinates(trials: TrialJson[], names: string[], space: Record<string, SpaceEntry> | null, objective: string, higherIsBetter: boolean): HTMLElement {
  const done = trials.filter((t) => t.value !== null);
  const axes = names.map((n) =>
    paramAxis(
      n,
      done.map((t) => t.params[n] ?? 'None'),
      space?.[n],
    ),
  );
  const values = done.map((t) => t.value!);
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  const goodT = (v: number) => (hi === lo ? 0 : higherIsBetter ? (hi - v) / (hi - lo) : (v - lo) / (hi - lo));
  const width = 900;
  const height = 320;
  const top = 36;
  const bottom = height - 28;
  const left = 60;
  const right = width - 70;
  const cols = axes.length + 1;
  const xAt = (i: number) => left + ((right - left) * i) / Math.max(1, cols - 1);
  const yAt = (p: number) => bottom - p * (bottom - top);
  const svg = s('svg', { viewBox: `0 0 ${width} ${height}`, class: 'chart parallel', role: 'img', 'aria-label': 'parallel coordinates' });
  // worst first, so the best lines are drawn on top
  const order = done.map((_, i) => i).sort((a, b) => goodT(values[b]) - goodT(values[a]));
  const lines = s('g', { class: 'lines' });
  for (const i of order) {
    const t = done[i];
    const pts = axes.map((a, k) => [xAt(k), yAt(a.pos(t.params[a.name] ?? 'None'))]);
    pts.push([xAt(axes.length), yAt(hi === lo ? 0.5 : (values[i] - lo) / (hi - lo))]);
    const d = pts
      .filter((p) => Number.isFinite(p[1]))
      .map((p, k) => `${k ? 'L' : 'M'}${p[0].toFixed(1)},${p[1].toFixed(1)}`)
      .join('');
    lines.appendChild(s('path', { d, class: 'pt', stroke: goodness(goodT(values[i])) }, s('title', null, `trial ${t.number}: ${objective} ${fmtNum(values[i])}`)));
  }
  svg.appendChild(lines);
  const axisG = (i: number, name: string, ticks: { at: number; label: string }[]) => {
    const g = s('g', { class: 'axis' });
    const x = xAt(i);
    g.appendChild(s('line', { x1: x, x2: x, y1: top, y2: bottom }));
    g.appendChild(s('text', { x, y: top - 14, 'text-anchor': 'middle', class: 'axis-label' }, name));
    for (const t of ticks) {
      g.appendChild(s('line', { x1: x - 3, x2: x + 3, y1: yAt(t.at), y2: yAt(t.at) }));
      g.appendChild(s('text', { x: x + 6, y: yAt(t.at) + 4, class: 'tick' }, t.label));
    }
    svg.appendChild(g);
  };
  axes.forEach((a, i) => {
    axisG(i, a.name, a.ticks());
  });
  axisG(
    axes.length,
    objective,
    [0, 0.5, 1].map((p) => ({ at: p, label: fmtNum(lo + p * (hi - lo), 3) })),
  );
  return h('div', { class: 'chart-box', 'data-points': done.length }, svg);
}
