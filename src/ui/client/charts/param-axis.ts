// One hyperparameter as an axis: numbers on a linear (or log, when the space says so) range,
// anything else (choices like "sqrt" or None) as evenly spaced categories.
import { fmtNum } from '../format.js';
import type { SpaceEntry } from '../../api-types.js';

export interface ParamAxis {
  name: string;
  categorical: boolean;
  /** 0..1 along the axis; NaN when the value cannot be placed */
  pos(value: string): number;
  ticks(): { at: number; label: string }[];
}

const asText = (v: unknown) => (v === null ? 'None' : String(v));

export function paramAxis(name: string, values: string[], space?: SpaceEntry): ParamAxis {
  const numeric = values.length > 0 && values.every((v) => v.trim() !== '' && Number.isFinite(Number(v)));
  if (numeric && !space?.choice && !space?.grid) {
    const nums = values.map(Number);
    let lo = Math.min(...nums, ...(space?.int ?? space?.float ?? []));
    let hi = Math.max(...nums, ...(space?.int ?? space?.float ?? []));
    const log = !!space?.log && lo > 0;
    const f = (v: number) => (log ? Math.log10(v) : v);
    if (lo === hi) [lo, hi] = [lo - 1, hi + 1];
    const span = f(hi) - f(lo);
    return {
      name,
      categorical: false,
      pos: (v) => (f(Number(v)) - f(lo)) / span,
      ticks: () => [0, 0.5, 1].map((t) => ({ at: t, label: fmtNum(log ? 10 ** (f(lo) + t * span) : lo + t * (hi - lo), 3) })),
    };
  }
  // categories: the space's order when known (then values seen but not in it)
  const fromSpace = (space?.choice ?? space?.grid ?? []).map(asText);
  const cats = [...new Set([...fromSpace.filter((c) => values.includes(c)), ...[...new Set(values)].sort(sortMixed)])];
  const n = cats.length;
  const index = new Map(cats.map((c, i) => [c, i]));
  const pos = (v: string) => (index.has(v) ? (n === 1 ? 0.5 : index.get(v)! / (n - 1)) : NaN);
  return {
    name,
    categorical: true,
    pos,
    ticks: () => {
      const every = Math.ceil(n / 8);
      return cats.filter((_, i) => i % every === 0 || i === n - 1).map((c) => ({ at: pos(c), label: c }));
    },
  };
}

/** numbers in numeric order, then words */
function sortMixed(a: string, b: string): number {
  const x = Number(a);
  const y = Number(b);
  const nx = Number.isFinite(x);
  const ny = Number.isFinite(y);
  if (nx && ny) return x - y;
  if (nx !== ny) return nx ? 1 : -1;
  return a < b ? -1 : a > b ? 1 : 0;
}
