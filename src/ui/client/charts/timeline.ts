// The trials of a study on a time axis, one row per worker, and below them the number of
// cores busy over time (the sum of grove.threads of the trials in flight).
import { h, s } from '../dom.js';
import { fmtNum, fmtSeconds } from '../format.js';
import type { TrialJson } from '../../api-types.js';
import { linear } from './scale.js';

function stateOf(t: TrialJson): string {
  if (t.status === 'RUNNING') return 'running';
  if (t.status !== 'FINISHED') return 'failed';
  return t.pruned ? 'pruned' : 'finished';
}

export function timeline(trials: TrialJson[], now = Date.now()): HTMLElement {
  const workers = [...new Set(trials.map((t) => t.worker))].sort();
  const t0 = Math.min(...trials.map((t) => t.start_time));
  const t1 = Math.max(...trials.map((t) => t.end_time ?? now), t0 + 1);
  const width = 900;
  const rowH = 18;
  const L = 150;
  const R = width - 16;
  const busyH = 90;
  const rowsH = workers.length * rowH;
  const height = rowsH + busyH + 50;
  const x = linear(0, (t1 - t0) / 1000, L, R);
  const svg = s('svg', { viewBox: `0 0 ${width} ${height}`, class: 'chart timeline', role: 'img', 'aria-label': 'trials per worker over time' });
  workers.forEach((w, i) => {
    const y = 4 + i * rowH;
    if (i % 2 === 0) svg.appendChild(s('rect', { x: L, y, width: R - L, height: rowH, class: 'band' }));
    svg.appendChild(s('text', { x: L - 6, y: y + 13, 'text-anchor': 'end', class: 'tick' }, w.length > 22 ? `…${w.slice(-21)}` : w));
  });
  const row = new Map(workers.map((w, i) => [w, i]));
  for (const t of trials) {
    const a = x((t.start_time - t0) / 1000);
    const b = x(((t.end_time ?? now) - t0) / 1000);
    const y = 4 + row.get(t.worker)! * rowH + 2;
    const state = stateOf(t);
    const tip = `trial ${t.number} (${state}) on ${t.worker}, ${t.threads} thread${t.threads === 1 ? '' : 's'}: ${fmtSeconds(((t.end_time ?? now) - t.start_time) / 1000)}${t.value !== null ? `, value ${fmtNum(t.value)}` : ''}`;
    svg.appendChild(s('rect', { x: a, y, width: Math.max(1, b - a), height: rowH - 4, class: `trial pt ${state}` }, s('title', null, tip)));
  }
  // busy cores: a step function from start (+threads) and end (-threads) events
  const events: [number, number][] = [];
  for (const t of trials) {
    events.push([t.start_time, t.threads]);
    events.push([t.end_time ?? now, -t.threads]);
  }
  events.sort((p, q) => p[0] - q[0] || p[1] - q[1]);
  let busy = 0;
  let peak = 0;
  let area = 0;
  let last = t0;
  const steps: [number, number][] = [[t0, 0]];
  for (const [time, d] of events) {
    area += busy * (time - last);
    last = time;
    busy += d;
    peak = Math.max(peak, busy);
    steps.push([time, busy]);
  }
  const top = rowsH + 20;
  const bottom = top + busyH;
  const y = linear(0, Math.max(1, peak), bottom, top);
  let d = `M${x(0)},${y(0)}`;
  let prev = 0;
  for (const [time, b] of steps) {
    const px = x((time - t0) / 1000);
    d += `L${px.toFixed(1)},${y(prev).toFixed(1)}L${px.toFixed(1)},${y(b).toFixed(1)}`;
    prev = b;
  }
  d += `L${x((t1 - t0) / 1000)},${y(0)}Z`;
  const g = s('g', { class: 'axis' });
  for (const t of y.ticks(Math.min(4, Math.max(1, peak)))) {
    if (!Number.isInteger(t)) continue;
    g.appendChild(s('line', { x1: L, x2: R, y1: y(t), y2: y(t), class: 'grid' }));
    g.appendChild(s('text', { x: L - 6, y: y(t) + 4, 'text-anchor': 'end' }, String(t)));
  }
  g.appendChild(s('text', { x: L - 40, y: (top + bottom) / 2, 'text-anchor': 'end', class: 'axis-label' }, 'cores busy'));
  for (const t of x.ticks(8)) g.appendChild(s('text', { x: x(t), y: bottom + 16, 'text-anchor': 'middle' }, fmtSeconds(t)));
  g.appendChild(s('line', { x1: L, x2: R, y1: bottom, y2: bottom }));
  svg.appendChild(g);
  svg.appendChild(s('path', { d, class: 'busy' }));
  const mean = area / Math.max(1, t1 - t0);
  const summary = h(
    'p',
    { class: 'muted' },
    `${workers.length} worker${workers.length === 1 ? '' : 's'}; on average ${fmtNum(mean, 3)} of ${peak} core${peak === 1 ? '' : 's'} busy (${fmtNum((100 * mean) / Math.max(1, peak), 3)}%) over ${fmtSeconds((t1 - t0) / 1000)}.`,
  );
  const legend = h(
    'p',
    { class: 'legend' },
    ['finished', 'pruned', 'failed', 'running'].map((k) => h('span', { class: `key ${k}` }, k)),
  );
  return h('div', { class: 'chart-box', 'data-points': trials.length }, svg, legend, summary);
}
