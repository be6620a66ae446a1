/**
 * The squared-error criterion of the pure-TS twin: the mirror of `SquaredError` in
 * native/engine/criterion.h, each function with the same operations in the same order, so both
 * engines compute the same doubles. Change both.
 *
 * The builder imports these functions by name: each call site sees one function, which V8
 * inlines into the scan loops (calls through a criterion object in the inner loops made the
 * twin's histogram path 4-12% slower). The left side of a candidate split is two numbers here
 * (wl, syl) rather than the C++ `Side` struct, so the scans allocate nothing. A second criterion
 * (Gini, entropy) is a module of the same functions over class counts, with a builder
 * specialised for it, never a switch inside a scan.
 */

/** Weighted sums over a node's in-bag rows, accumulated in the node's row order. */
export interface NodeStats {
  /** distinct rows */
  n: number;
  /** sum of weights (bootstrap draws) */
  w: number;
  /** sum of w * y */
  sy: number;
  /** sum of (w * y) * y */
  syy: number;
  ymin: number;
  ymax: number;
}

/**
 * The stats of the rows idx[start, end), each drawn weight[row] times, wy[row] = weight[row] *
 * y[row]: C++'s start() then add() per row. The loop lives here, with the object it fills (a
 * per-row call into a helper that mutates a stats object made the histogram twin ~7-18% slower).
 */
export function nodeStats(idx: Uint32Array, start: number, end: number, weight: Float64Array, wy: Float64Array, y: Float64Array): NodeStats {
  const s: NodeStats = { n: end - start, w: 0, sy: 0, syy: 0, ymin: y[idx[start]], ymax: y[idx[start]] };
  for (let k = start; k < end; k++) {
    const row = idx[k];
    const v = y[row];
    s.w += weight[row];
    s.sy += wy[row];
    s.syy += wy[row] * v;
    if (v < s.ymin) s.ymin = v;
    if (v > s.ymax) s.ymax = v;
  }
  return s;
}

/** The weighted mean: the leaf's prediction. */
export function leafValue(s: NodeStats): number {
  return s.sy / s.w;
}

/** Weighted variance. */
export function impurity(s: NodeStats): number {
  return s.syy / s.w - (s.sy / s.w) * (s.sy / s.w);
}

/** Every row has the same y: no split can help. */
export function isPure(s: NodeStats): boolean {
  return s.ymin === s.ymax;
}

/**
 * The score of a split whose left side holds weight wl and sum of w * y syl: the sum over both
 * sides of (sum w*y)^2 / w, the variance decrease up to terms fixed by the node.
 */
export function proxy(wl: number, syl: number, node: NodeStats): number {
  const wr = node.w - wl;
  const syr = node.sy - syl;
  return (syl * syl) / wl + (syr * syr) / wr;
}

/** scikit-learn's weighted impurity decrease of a split, relative to the root's weight. */
export function improvement(node: NodeStats, nodeImpurity: number, left: NodeStats, right: NodeStats, rootW: number): number {
  return (node.w / rootW) * (nodeImpurity - (right.w / node.w) * impurity(right) - (left.w / node.w) * impurity(left));
}
