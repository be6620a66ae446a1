import { glog } from './glog.js';

/**
 * The classification criteria of the pure-TS twin, Gini and entropy: the mirror of `Gini` and
 * `Entropy` in native/engine/criterion.h, each function with the same operations in the same
 * order, so both engines compute the same doubles. Change both.
 *
 * A node keeps cnt[c], the bootstrap draws of class c among its in-bag rows: whole numbers held
 * in doubles, exact in any summation order. Everything weighted is computed from them and the
 * tree's class weights cw[c] with the loops below, class by class in index order. The left side
 * of a candidate split is its draws per class, L[c]; the right side is cnt[c] - L[c].
 *
 * The class builder (./class-tree-builder.ts) picks one `ClassCriterion` per tree; each scan
 * calls its proxy once per candidate split, a loop over K classes, so the call itself is not the
 * cost it is for squared error's two-number proxy (./criterion.ts).
 */

const LOG2E = Math.LOG2E; // the C++ kLog2E, 1.4426950408889634 (a test checks)

/** Class counts of a node's in-bag rows, and their class-weighted total. */
export interface ClassStats {
  /** distinct rows */
  n: number;
  /** w = sum over c of cw[c] * cnt[c]: the node's weighted_n */
  w: number;
  /** draws of class c, K entries */
  cnt: Float64Array;
}

export interface ClassCriterion {
  /** The impurity of a node (or side) with class draws cnt and class-weighted total w. */
  impurity(cnt: Float64Array, cw: Float64Array, w: number): number;
  /** The split score (larger is better) of left draws L under a node with draws cnt. */
  proxy(L: Float64Array, cnt: Float64Array, cw: Float64Array): number;
}

/** w = sum over c of cw[c] * cnt[c], in class order. */
export function classWeightOf(cnt: Float64Array, cw: Float64Array): number {
  let w = 0.0;
  for (let c = 0; c < cnt.length; c++) w += cw[c] * cnt[c];
  return w;
}

/** The node's K values, its class-weighted frequencies (cw[c] * cnt[c]) / w, appended to out. */
export function pushClassValues(out: number[], s: ClassStats, cw: Float64Array): void {
  const cnt = s.cnt;
  for (let c = 0; c < cnt.length; c++) out.push((cw[c] * cnt[c]) / s.w);
}

/** At most one class drawn: no split can help. */
export function isPureClasses(cnt: Float64Array): boolean {
  let present = 0;
  for (let c = 0; c < cnt.length; c++) if (cnt[c] > 0 && ++present > 1) return false;
  return true;
}

/** 1 - sum over c of (cw[c] * cnt[c])^2 / w^2. */
function giniImpurity(cnt: Float64Array, cw: Float64Array, w: number): number {
  let sq = 0.0;
  for (let c = 0; c < cnt.length; c++) {
    const wc = cw[c] * cnt[c];
    sq += wc * wc;
  }
  return 1.0 - sq / (w * w);
}

/** -sum over classes present of p log2 p, p = cw[c] * cnt[c] / w. */
function entropyImpurity(cnt: Float64Array, cw: Float64Array, w: number): number {
  let h = 0.0;
  for (let c = 0; c < cnt.length; c++) {
    const wc = cw[c] * cnt[c];
    if (wc > 0) {
      const p = wc / w;
      h -= p * (glog(p) * LOG2E);
    }
  }
  return h;
}

/** sum over sides of (sum of squared class weights) / side weight: the Gini decrease up to terms fixed by the node. */
function giniProxy(L: Float64Array, cnt: Float64Array, cw: Float64Array): number {
  let wl = 0.0;
  let wr = 0.0;
  let sql = 0.0;
  let sqr = 0.0;
  for (let c = 0; c < cnt.length; c++) {
    const wlc = cw[c] * L[c];
    const wrc = cw[c] * (cnt[c] - L[c]);
    wl += wlc;
    wr += wrc;
    sql += wlc * wlc;
    sqr += wrc * wrc;
  }
  return sql / wl + sqr / wr;
}

/** -(wl * H(left) + wr * H(right)): the entropy decrease up to terms fixed by the node. */
function entropyProxy(L: Float64Array, cnt: Float64Array, cw: Float64Array): number {
  const k = cnt.length;
  let wl = 0.0;
  let wr = 0.0;
  for (let c = 0; c < k; c++) {
    wl += cw[c] * L[c];
    wr += cw[c] * (cnt[c] - L[c]);
  }
  let hl = 0.0;
  let hr = 0.0;
  for (let c = 0; c < k; c++) {
    const wlc = cw[c] * L[c];
    if (wlc > 0) {
      const p = wlc / wl;
      hl -= p * (glog(p) * LOG2E);
    }
    const wrc = cw[c] * (cnt[c] - L[c]);
    if (wrc > 0) {
      const p = wrc / wr;
      hr -= p * (glog(p) * LOG2E);
    }
  }
  return -(wl * hl + wr * hr);
}

export const GINI: ClassCriterion = { impurity: giniImpurity, proxy: giniProxy };
export const ENTROPY: ClassCriterion = { impurity: entropyImpurity, proxy: entropyProxy };

/** scikit-learn's weighted impurity decrease of a split, relative to the root's weight (as squared error's). */
export function classImprovement(crit: ClassCriterion, node: ClassStats, nodeImpurity: number, left: ClassStats, right: ClassStats, cw: Float64Array, rootW: number): number {
  return (node.w / rootW) * (nodeImpurity - (right.w / node.w) * crit.impurity(right.cnt, cw, right.w) - (left.w / node.w) * crit.impurity(left.cnt, cw, left.w));
}
