// Slice plots: for each hyperparameter, the objective of every finished trial against that
// parameter's value (categories are jittered a little so equal values stay visible).
import { h, s } from '../dom.js';
import { fmtNum } from '../format.js';
import type { SpaceEntry, TrialJson } from '../../api-types.js';
import { extent, linear } from './scale.js';
import { paramAxis } from './param-axis.js';

export function slicePlots(trials: TrialJson[], names: string[], space: Record<string, SpaceEntry> | null, objective: string): HTMLElement {
  const done = trials.filter((t) => t.value !== null);
  const [lo, hi] = extent(done.map((t) => t.value!));
  const n = Math.max(1, ...done.map((t) => t.number));
  const grid = h('div', { class: 'slices', 'data-points': done.length * names.length });
  for (const name of names) {
    const axis = paramAxis(
      name,
      done.map((t) => t.params[name] ?? 'None'),
      space?.[name],
    );
    const width = 300;
    const height = 200;
    const L = 52;
    const R = width - 10;
    const T = 10;
    const B = height - 36;
    const y = linear(lo, hi, B, T);
    const svg = s('svg', { viewBox: `0 0 ${width} ${height}`, class: 'chart slice', role: 'img', 'aria-label': `slice ${name}` });
    const g = s('g', { class: 'axis' });
    g.appendChild(s('line', { x1: L, x2: R, y1: B, y2: B }));
    g.appendChild(s('line', { x1: L, x2: L, y1: T, y2: B }));
    for (const t of y.ticks(4)) {
      g.appendChild(s('line', { x1: L, x2: R, y1: y(t), y2: y(t), class: 'grid' }));
      g.appendChild(s('text', { x: L - 5, y: y(t) + 4, 'text-anchor': 'end' }, fmtNum(t, 3)));
    }
    const xAt = (p: number) => L + 8 + p * (R - L - 16);
    for (const t of axis.ticks()) g.appendChild(s('text', { x: xAt(t.at), y: B + 14, 'text-anchor': 'middle' }, t.label));
    g.appendChild(s('text', { x: (L + R) / 2, y: height - 4, 'text-anchor': 'middle', class: 'axis-label' }, name));
    svg.appendChild(g);
    for (const t of done) {
      const p = axis.pos(t.params[name] ?? 'None');
      if (!Number.isFinite(p)) continue;
      const jitter = axis.categorical ? (((t.number * 0.6180339) % 1) - 0.5) * 0.04 : 0;
      // later trials darker: the sampler's drift shows
      const shade = 0.25 + 0.75 * (t.number / n);
      svg.appendChild(
        s(
          'circle',
          { cx: xAt(p + jitter), cy: y(t.value!), r: 3.5, class: 'pt', 'fill-opacity': shade.toFixed(2) },
          s('title', null, `trial ${t.number}: ${name} = ${t.params[name] ?? 'None'}, ${objective} ${fmtNum(t.value)}`),
        ),
      );
    }
    grid.appendChild(h('figure', null, svg));
  }
  return grid;
}
