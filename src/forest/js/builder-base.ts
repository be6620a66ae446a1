import type { EngineParams } from '../engine-params.js';
import { SPLIT_EXACT } from '../engine-params.js';
import { Rng } from '../../rng.js';
import type { BinnedFeatures } from './binning.js';
import type { DatasetView } from './dataset.js';
import type { SortedFeatures } from './presort.js';

/**
 * What the two pure-TS builders (./tree-builder.ts for squared error, ./class-tree-builder.ts
 * for Gini and entropy) share: the bootstrap draws, the growth order and stopping rules, the
 * order features are tried, the sort of a node's rows by a feature, the stable partition and the
 * histogram pool — the parts of native/engine/tree_builder.cpp that do not depend on the
 * criterion. A subclass supplies the node statistics and the scans. The scans stay in the
 * subclasses, each with its criterion's functions called by name (see ./criterion.ts): this
 * class calls a subclass once per node or per feature tried, never per row or per bin.
 */

export const EPSILON = Number.EPSILON; // scikit-learn's EPSILON (DBL_EPSILON)

/** The node statistics every criterion keeps. */
export interface BaseStats {
  /** distinct rows */
  n: number;
  /** the node's weighted_n */
  w: number;
}

export interface Pending<S extends BaseStats> {
  start: number;
  end: number;
  depth: number;
  parent: number;
  isLeft: boolean;
  stats: S;
  hist: number;
}

export interface Split {
  feature: number;
  threshold: number;
  bin: number;
  proxy: number;
}

/** Keeps the candidate when its proxy beats the best so far (strictly: the first of equals wins). */
export function offerSplit(best: Split, feature: number, threshold: number, bin: number, proxy: number): void {
  if (proxy > best.proxy) {
    best.feature = feature;
    best.threshold = threshold;
    best.bin = bin;
    best.proxy = proxy;
  }
}

export interface TreeArrays {
  feature: number[];
  left: number[];
  right: number[];
  nSamples: number[];
  threshold: number[];
  value: number[];
  weightedN: number[];
  impurity: number[];
}

export abstract class BuilderBase<S extends BaseStats> {
  protected readonly weight: Float64Array;
  protected readonly idx: Uint32Array;
  protected m = 0;
  protected readonly tmp: Uint32Array;
  protected readonly keys: Uint32Array;
  protected readonly xs: Float64Array;
  protected readonly features: Uint32Array;
  protected rootW = 0;
  protected readonly histPool: Float64Array[] = [];
  private readonly histFree: number[] = [];

  constructor(
    protected readonly data: DatasetView,
    protected readonly p: EngineParams,
    protected readonly bins: BinnedFeatures | null,
    protected readonly sorted: SortedFeatures | null,
  ) {
    const n = data.rows;
    this.weight = new Float64Array(n);
    this.idx = new Uint32Array(n);
    this.tmp = new Uint32Array(n);
    this.keys = new Uint32Array(n);
    this.xs = new Float64Array(n);
    this.features = new Uint32Array(data.cols);
  }

  /** Sums of the node's in-bag rows idx[start, end). */
  protected abstract statsOf(start: number, end: number): S;
  protected abstract impurityOf(s: S): number;
  /** Appends the node's value(s) to `value`. */
  protected abstract pushValue(value: number[], s: S): void;
  protected abstract isPure(s: S): boolean;
  protected abstract improvementOf(s: S, nodeImpurity: number, ls: S, rs: S): number;
  protected abstract scanExact(f: number, node: Pending<S>, best: Split): boolean;
  protected abstract scanHistogram(f: number, node: Pending<S>, best: Split): boolean;
  protected abstract scanSmallNode(f: number, node: Pending<S>, best: Split): boolean;
  /** Fills histogram h with the rows idx[start, end). */
  protected abstract buildHist(h: number, start: number, end: number): void;
  /** Doubles a histogram holds per bin. */
  protected abstract histStride(): number;
  /** Runs after the draws, before the root's statistics. */
  protected abstract afterDraw(): void;

  protected x(row: number, f: number): number {
    return this.data.x[row * this.data.rowStride + f * this.data.colStride];
  }

  private drawSample(rng: Rng, inbag: Uint8Array): void {
    const n = this.data.rows;
    const weight = this.weight;
    weight.fill(0);
    if (this.p.bootstrap) {
      const draws = Math.max(1, Math.floor(this.p.max_samples * n + 0.5));
      for (let d = 0; d < draws; d++) weight[rng.below(n)] += 1.0;
    } else {
      weight.fill(1.0);
    }
    let m = 0;
    const idx = this.idx;
    inbag.fill(0);
    for (let i = 0; i < n; i++) {
      if (weight[i] > 0) {
        idx[m++] = i;
        inbag[i] = 1;
      }
    }
    this.m = m;
    this.afterDraw();
  }

  build(treeIndex: number, inbag: Uint8Array): TreeArrays {
    const p = this.p;
    const rng = new Rng(p.seed >>> 0, treeIndex >>> 0);
    this.drawSample(rng, inbag);
    for (let j = 0; j < this.features.length; j++) this.features[j] = j;
    const out: TreeArrays = { feature: [], left: [], right: [], nSamples: [], threshold: [], value: [], weightedN: [], impurity: [] };

    const m = this.m;
    const histogram = p.split_mode !== SPLIT_EXACT;
    const stack: Pending<S>[] = [];
    const root: Pending<S> = { start: 0, end: m, depth: 0, parent: -1, isLeft: false, stats: this.statsOf(0, m), hist: -1 };
    this.rootW = root.stats.w;
    if (histogram && m >= p.hist_min_rows) {
      root.hist = this.acquireHist();
      this.buildHist(root.hist, 0, m);
    }
    stack.push(root);

    while (stack.length > 0) {
      const node = stack.pop()!;
      const s = node.stats;
      const nodeImpurity = this.impurityOf(s);
      const id = out.feature.length;
      out.feature.push(-1);
      out.left.push(-1);
      out.right.push(-1);
      out.nSamples.push(s.n);
      out.threshold.push(0);
      this.pushValue(out.value, s);
      out.weightedN.push(s.w);
      out.impurity.push(nodeImpurity);
      if (node.parent >= 0) (node.isLeft ? out.left : out.right)[node.parent] = id;

      let leaf = (p.max_depth >= 0 && node.depth >= p.max_depth) || s.n < p.min_samples_split || s.n < 2 * p.min_samples_leaf || this.isPure(s) || nodeImpurity <= EPSILON;
      const best: Split = { feature: -1, threshold: 0, bin: -1, proxy: -Infinity };
      if (!leaf) leaf = !this.findSplit(rng, node, best);
      if (leaf) {
        this.releaseHist(node.hist);
        continue;
      }
      const mid = this.partition(node, best);
      const ls = this.statsOf(node.start, mid);
      const rs = this.statsOf(mid, node.end);
      if (this.improvementOf(s, nodeImpurity, ls, rs) + EPSILON < p.min_impurity_decrease) {
        this.releaseHist(node.hist);
        continue;
      }
      out.feature[id] = best.feature;
      out.threshold[id] = best.threshold;

      let lh = -1;
      let rh = -1;
      if (node.hist >= 0) {
        const leftSmaller = ls.n <= rs.n;
        const smallN = leftSmaller ? ls.n : rs.n;
        const largeN = leftSmaller ? rs.n : ls.n;
        if (largeN >= p.hist_min_rows) {
          let small = this.acquireHist();
          if (leftSmaller) this.buildHist(small, node.start, mid);
          else this.buildHist(small, mid, node.end);
          this.subtractHist(node.hist, small);
          if (smallN < p.hist_min_rows) {
            this.releaseHist(small);
            small = -1;
          }
          lh = leftSmaller ? small : node.hist;
          rh = leftSmaller ? node.hist : small;
        } else {
          this.releaseHist(node.hist);
        }
      }
      stack.push({ start: mid, end: node.end, depth: node.depth + 1, parent: id, isLeft: false, stats: rs, hist: rh });
      stack.push({ start: node.start, end: mid, depth: node.depth + 1, parent: id, isLeft: true, stats: ls, hist: lh });
    }
    return out;
  }

  private findSplit(rng: Rng, node: Pending<S>, best: Split): boolean {
    const p = this.data.cols;
    const features = this.features;
    let visited = 0;
    for (let k = 0; k < p && visited < this.p.mtry; k++) {
      const j = k + rng.below(p - k);
      const t = features[k];
      features[k] = features[j];
      features[j] = t;
      const f = features[k];
      let varies: boolean;
      if (this.p.split_mode === SPLIT_EXACT) varies = this.scanExact(f, node, best);
      else if (node.hist >= 0) varies = this.scanHistogram(f, node, best);
      else varies = this.scanSmallNode(f, node, best);
      if (varies) visited++;
    }
    return best.feature >= 0;
  }

  /**
   * The exact scan's first half: the node's rows in feature f's order into `tmp`, their values
   * into `xs`. False when f is constant on the node.
   */
  protected sortNode(f: number, node: Pending<S>): boolean {
    const m = node.end - node.start;
    const n = this.data.rows;
    const sorted = this.sorted!;
    const idx = this.idx;
    const keys = this.keys.subarray(0, m);
    for (let k = 0; k < m; k++) keys[k] = sorted.rank[f * n + idx[node.start + k]];
    keys.sort();
    const xs = this.xs;
    const tmp = this.tmp;
    for (let k = 0; k < m; k++) {
      const row = sorted.order[f * n + keys[k]];
      tmp[k] = row;
      xs[k] = this.x(row, f);
    }
    return xs[m - 1] > xs[0];
  }

  /** Stable partition of the node's rows: those going left first, in order. Returns the split point. */
  private partition(node: Pending<S>, split: Split): number {
    let nl = 0;
    let nr = 0;
    const f = split.feature;
    const idx = this.idx;
    const tmp = this.tmp;
    if (this.p.split_mode === SPLIT_EXACT) {
      for (let k = node.start; k < node.end; k++) {
        const row = idx[k];
        if (this.x(row, f) <= split.threshold) idx[node.start + nl++] = row;
        else tmp[nr++] = row;
      }
    } else {
      const codes = this.bins!.codes;
      const base = f * this.data.rows;
      for (let k = node.start; k < node.end; k++) {
        const row = idx[k];
        if (codes[base + row] <= split.bin) idx[node.start + nl++] = row;
        else tmp[nr++] = row;
      }
    }
    idx.set(tmp.subarray(0, nr), node.start + nl);
    return node.start + nl;
  }

  private acquireHist(): number {
    const h = this.histFree.pop();
    if (h !== undefined) return h;
    this.histPool.push(new Float64Array(this.histStride() * this.bins!.histOffset[this.data.cols]));
    return this.histPool.length - 1;
  }

  private releaseHist(h: number): void {
    if (h >= 0) this.histFree.push(h);
  }

  private subtractHist(parent: number, child: number): void {
    const a = this.histPool[parent];
    const b = this.histPool[child];
    for (let i = 0; i < a.length; i++) a[i] -= b[i];
  }
}
