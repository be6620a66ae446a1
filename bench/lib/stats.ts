// Small statistics for the benchmark: medians, means and the growth exponent of fit time.

export function median(values: number[]): number | null {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return null;
  const m = v.length >> 1;
  return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
}

export function mean(values: number[]): number | null {
  const v = values.filter((x) => Number.isFinite(x));
  return v.length === 0 ? null : v.reduce((a, b) => a + b, 0) / v.length;
}

/** Exponent k in time ~ rows^k between two sizes. */
export function growthExponent(t1: number, n1: number, t2: number, n2: number): number {
  return Math.log(t2 / t1) / Math.log(n2 / n1);
}

/** The exponent n log n itself shows between the same two sizes (slightly above 1). */
export function nLogNExponent(n1: number, n2: number): number {
  return Math.log((n2 * Math.log(n2)) / (n1 * Math.log(n1))) / Math.log(n2 / n1);
}

/** Extrapolates a fit time from n1 to n2 rows: n log n, or n^power for a known-quadratic peer. */
export function extrapolate(t1: number, n1: number, n2: number, power: 'nlogn' | number): number {
  if (power === 'nlogn') return (t1 * (n2 * Math.log(n2))) / (n1 * Math.log(n1));
  return t1 * (n2 / n1) ** power;
}
