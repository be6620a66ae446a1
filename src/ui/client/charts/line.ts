// Line and scatter charts on uPlot (canvas: fast for long histories and many series).
// Series with different x values are aligned on the union of their xs, gaps spanned.
import uPlot from 'uplot';
import { h } from '../dom.js';
import { fmtNum } from '../format.js';
import { seriesColor } from './color.js';

export interface LineSeries {
  label: string;
  x: number[];
  y: (number | null)[];
  color?: string;
  /** draw points only (a scatter) */
  pointsOnly?: boolean;
  /** a step line (best-so-far) */
  stepped?: boolean;
  width?: number;
}

export interface LineOptions {
  xLabel: string;
  yLabel: string;
  height?: number;
  /** the legend is hidden past this many series */
  legendMax?: number;
  /** x ticks on whole numbers only */
  integerX?: boolean;
}

function align(series: LineSeries[]): uPlot.AlignedData {
  const xs = [...new Set(series.flatMap((s) => s.x))].sort((a, b) => a - b);
  const index = new Map(xs.map((x, i) => [x, i]));
  const ys = series.map((s) => {
    const col: (number | null)[] = new Array(xs.length).fill(null);
    s.x.forEach((x, i) => {
      col[index.get(x)!] = s.y[i];
    });
    return col;
  });
  return [xs, ...ys] as uPlot.AlignedData;
}

export function lineChart(series: LineSeries[], options: LineOptions): HTMLElement {
  const box = h('div', { class: 'chart-box line', 'data-points': series.reduce((n, s) => n + s.y.filter((v) => v !== null).length, 0) });
  const height = options.height ?? 260;
  const stepped = uPlot.paths.stepped!({ align: 1 });
  const opts: uPlot.Options = {
    width: 600,
    height,
    legend: { show: series.length <= (options.legendMax ?? 12) },
    cursor: { drag: { x: true, y: false } },
    scales: { x: { time: false } },
    axes: [
      {
        label: options.xLabel,
        stroke: '#555',
        grid: { stroke: '#eee' },
        values: (_u, vals) => vals.map((v) => fmtNum(v, 3)),
        ...(options.integerX ? { incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000] } : {}),
      },
      { label: options.yLabel, stroke: '#555', grid: { stroke: '#eee' }, size: 60, values: (_u, vals) => vals.map((v) => fmtNum(v, 3)) },
    ],
    series: [
      { label: options.xLabel, value: (_u, v) => (v === null ? '—' : fmtNum(v)) },
      ...series.map((s, i): uPlot.Series => {
        const color = s.color ?? seriesColor(i);
        return {
          label: s.label,
          stroke: color,
          width: s.width ?? (s.pointsOnly ? 0 : 1.5),
          spanGaps: true,
          value: (_u, v) => (v === null ? '—' : fmtNum(v)),
          paths: s.pointsOnly ? () => null : s.stepped ? stepped : undefined,
          points: s.pointsOnly ? { show: true, size: 6, fill: color, stroke: color } : { show: !s.stepped && s.x.length < 60 },
        };
      }),
    ],
  };
  const data = align(series);
  // uPlot needs the width of the box: draw once it is in the page, and follow its size
  const plot = new uPlot(opts, data, box);
  const fit = () => {
    const w = Math.max(240, box.clientWidth);
    if (Math.abs(w - plot.width) > 2) plot.setSize({ width: w, height });
  };
  new ResizeObserver(fit).observe(box);
  requestAnimationFrame(fit);
  return box;
}
