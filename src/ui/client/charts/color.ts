// A sequential colour scale for "how good is this trial": t = 0 best (deep blue-green) to
// t = 1 worst (warm orange), through a light middle that stays visible on white.
const STOPS: [number, number, number][] = [
  [8, 88, 158],
  [43, 140, 190],
  [123, 204, 196],
  [253, 174, 97],
  [215, 48, 39],
];

export function goodness(t: number): string {
  const x = Math.min(1, Math.max(0, Number.isFinite(t) ? t : 1)) * (STOPS.length - 1);
  const i = Math.min(STOPS.length - 2, Math.floor(x));
  const f = x - i;
  const c = STOPS[i].map((a, k) => Math.round(a + (STOPS[i + 1][k] - a) * f));
  return `rgb(${c[0]}, ${c[1]}, ${c[2]})`;
}

/** Distinct colours for series (runs in compare, metrics in a run). */
const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf', '#7f7f7f', '#bcbd22'];

export function seriesColor(i: number): string {
  if (i < PALETTE.length) return PALETTE[i];
  // beyond the palette: spread hues by the golden angle
  return `hsl(${Math.round((i * 137.508) % 360)}, 60%, 45%)`;
}
