// An SVG chart frame: a responsive viewBox, margins, axes with ticks and labels.
import { s } from '../dom.js';
import { fmtNum } from '../format.js';
import type { Scale } from './scale.js';

export interface Frame {
  svg: SVGSVGElement;
  width: number;
  height: number;
  left: number;
  right: number;
  top: number;
  bottom: number;
}

export function frame(width: number, height: number, margin: { l: number; r: number; t: number; b: number }, label: string): Frame {
  const svg = s('svg', { viewBox: `0 0 ${width} ${height}`, class: 'chart', role: 'img', 'aria-label': label, preserveAspectRatio: 'xMidYMid meet' });
  return { svg, width, height, left: margin.l, right: width - margin.r, top: margin.t, bottom: height - margin.b };
}

export function xAxis(f: Frame, x: Scale, label: string, labels?: (v: number) => string): void {
  const g = s('g', { class: 'axis' });
  g.appendChild(s('line', { x1: f.left, x2: f.right, y1: f.bottom, y2: f.bottom }));
  for (const t of x.ticks(Math.max(2, Math.floor((f.right - f.left) / 70)))) {
    const px = x(t);
    g.appendChild(s('line', { x1: px, x2: px, y1: f.bottom, y2: f.bottom + 4 }));
    g.appendChild(s('text', { x: px, y: f.bottom + 16, 'text-anchor': 'middle' }, labels ? labels(t) : fmtNum(t, 3)));
  }
  g.appendChild(s('text', { x: (f.left + f.right) / 2, y: f.height - 4, 'text-anchor': 'middle', class: 'axis-label' }, label));
  f.svg.appendChild(g);
}

export function yAxis(f: Frame, y: Scale, label: string, grid = true): void {
  const g = s('g', { class: 'axis' });
  g.appendChild(s('line', { x1: f.left, x2: f.left, y1: f.top, y2: f.bottom }));
  for (const t of y.ticks(Math.max(2, Math.floor((f.bottom - f.top) / 40)))) {
    const py = y(t);
    if (grid) g.appendChild(s('line', { x1: f.left, x2: f.right, y1: py, y2: py, class: 'grid' }));
    g.appendChild(s('text', { x: f.left - 6, y: py + 4, 'text-anchor': 'end' }, fmtNum(t, 3)));
  }
  g.appendChild(s('text', { x: 12, y: (f.top + f.bottom) / 2, 'text-anchor': 'middle', class: 'axis-label', transform: `rotate(-90 12 ${(f.top + f.bottom) / 2})` }, label));
  f.svg.appendChild(g);
}
