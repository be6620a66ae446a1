import type { EngineParams } from '../engine-params.js';
import { SPLIT_EXACT } from '../engine-params.js';
import type { BinnedFeatures } from './binning.js';
import { midpoint } from './binning.js';
import { improvement, impurity, isPure, leafValue, nodeStats, proxy, type NodeStats } from './criterion.js';
import type { DatasetView } from './dataset.js';
import type { SortedFeatures } from './presort.js';
import { Rng } from '../../rng.js';

/**
 * The pure-TS twin of native/engine/tree_builder.cpp, with the squared-error criterion of
 * ./criterion.ts (the mirror of native/engine/criterion.h). It does that file's arithmetic — the same
 * random draws, the same summation order, the same tie rules — so both backends grow identical
 * trees; the native file arranges memory differently (rows in node order) for speed. Change one,
 * change the other.
 */

const EPSILON = Number.EPSILON; // scikit-learn's EPSILON (DBL_EPSILON)

interface Pending {
  start: number;
  end: number;
  depth: number;
  parent: number;
  isLeft: boolean;
  stats: NodeStats;
  hist: number;
}

interface Split {
  feature: number;
  threshold: number;
  bin: number;
  proxy: number;
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

export class TreeBuilder {
  private readonly weight: Float64Array;
  private readonly wy: Float64Array;
  private idx: Uint32Array;
  private m = 0;
  private readonly tmp: Uint32Array;
  private readonly keys: Uint32Array;
  private readonly xs: Float64Array;
  private readonly features: Uint32Array;
  private rootW = 0;
  private readonly histPool: Float64Array[] = [];
  private readonly histFree: number[] = [];
  private readonly smallHist = new Float64Array(3 * 256);

  constructor(
    private readonly data: DatasetView,
    private readonly p: EngineParams,
    private readonly bins: BinnedFeatures | null,
    private readonly sorted: SortedFeatures | null,
  ) {
    const n = data.rows;
    this.weight = new Float64Array(n);
    this.wy = new Float64Array(n);
    this.idx = new Uint32Array(n);
    this.tmp = new Uint32Array(n);
    this.keys = new Uint32Array(n);
    this.xs = new Float64Array(n);
    this.features = new Uint32Array(data.cols);
  }

  private x(row: number, f: number): number {
    return this.data.x[row * this.data.rowStride + f * this.data.colStride];
  }

  private drawSample(rng: Rng, inbag: Uint8Array): void {
    const n = this.data.rows;
    const y = this.data.y!;
    this.weight.fill(0);
    if (this.p.bootstrap) {
      const draws = Math.max(1, Math.floor(this.p.max_samples * n + 0.5));
      for (let d = 0; d < draws; d++) this.weight[rng.below(n)] += 1.0;
    } else {
      this.weight.fill(1.0);
    }
    this.m = 0;
    inbag.fill(0);
    for (let i = 0; i < n; i++) {
      this.wy[i] = this.weight[i] * y[i];
      if (this.weight[i] > 0) {
        this.idx[this.m++] = i;
        inbag[i] = 1;
      }
    }
  }

  private statsOf(start: number, end: number): NodeStats {
    const y = this.data.y!;
    return nodeStats(this.idx, start, end, this.weight, this.wy, y);
  }

  build(treeIndex: number, inbag: Uint8Array): TreeArrays {
    const p = this.p;
    const rng = new Rng(p.seed >>> 0, treeIndex >>> 0);
    this.drawSample(rng, inbag);
    for (let j = 0; j < this.features.length; j++) this.features[j] = j;
    const out: TreeArrays = { feature: [], left: [], right: [], nSamples: [], threshold: [], value: [], weightedN: [], impurity: [] };

    const m = this.m;
    const histogram = p.split_mode !== SPLIT_EXACT;
    const stack: Pending[] = [];
    const root: Pending = { start: 0, end: m, depth: 0, parent: -1, isLeft: false, stats: this.statsOf(0, m), hist: -1 };
    this.rootW = root.stats.w;
    if (histogram && m >= p.hist_min_rows) {
      root.hist = this.acquireHist();
      this.buildHist(root.hist, 0, m);
    }
    stack.push(root);

    while (stack.length > 0) {
      const node = stack.pop()!;
      const s = node.stats;
      const nodeImpurity = impurity(s);
      const id = out.feature.length;
      out.feature.push(-1);
      out.left.push(-1);
      out.right.push(-1);
      out.nSamples.push(s.n);
      out.threshold.push(0);
      out.value.push(leafValue(s));
      out.weightedN.push(s.w);
      out.impurity.push(nodeImpurity);
      if (node.parent >= 0) (node.isLeft ? out.left : out.right)[node.parent] = id;

      let leaf = (p.max_depth >= 0 && node.depth >= p.max_depth) || s.n < p.min_samples_split || s.n < 2 * p.min_samples_leaf || isPure(s) || nodeImpurity <= EPSILON;
      const best: Split = { feature: -1, threshold: 0, bin: -1, proxy: -Infinity };
      if (!leaf) leaf = !this.findSplit(rng, node, best);
      if (leaf) {
        this.releaseHist(node.hist);
        continue;
      }
      const mid = this.partition(node, best);
      const ls = this.statsOf(node.start, mid);
      const rs = this.statsOf(mid, node.end);
      if (improvement(s, nodeImpurity, ls, rs, this.rootW) + EPSILON < p.min_impurity_decrease) {
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

  private findSplit(rng: Rng, node: Pending, best: Split): boolean {
    const p = this.data.cols;
    let visited = 0;
    for (let k = 0; k < p && visited < this.p.mtry; k++) {
      const j = k + rng.below(p - k);
      const t = this.features[k];
      this.features[k] = this.features[j];
      this.features[j] = t;
      const f = this.features[k];
      let varies: boolean;
      if (this.p.split_mode === SPLIT_EXACT) varies = this.scanExact(f, node, best);
      else if (node.hist >= 0) varies = this.scanHistogram(f, node, best);
      else varies = this.scanSmallNode(f, node, best);
      if (varies) visited++;
    }
    return best.feature >= 0;
  }

  private scanExact(f: number, node: Pending, best: Split): boolean {
    const m = node.end - node.start;
    const n = this.data.rows;
    const sorted = this.sorted!;
    const keys = this.keys.subarray(0, m);
    for (let k = 0; k < m; k++) keys[k] = sorted.rank[f * n + this.idx[node.start + k]];
    keys.sort();
    const xs = this.xs;
    const tmp = this.tmp;
    for (let k = 0; k < m; k++) {
      const row = sorted.order[f * n + keys[k]];
      tmp[k] = row;
      xs[k] = this.x(row, f);
    }
    if (!(xs[m - 1] > xs[0])) return false;
    const s = node.stats;
    const msl = this.p.min_samples_leaf;
    let wl = 0;
    let syl = 0;
    for (let k = 0; k + 1 < m; k++) {
      const row = tmp[k];
      wl += this.weight[row];
      syl += this.wy[row];
      const nl = k + 1;
      if (nl < msl) continue;
      if (m - nl < msl) break;
      if (!(xs[k + 1] > xs[k])) continue;
      const score = proxy(wl, syl, s);
      if (score > best.proxy) {
        best.feature = f;
        best.threshold = midpoint(xs[k], xs[k + 1]);
        best.bin = -1;
        best.proxy = score;
      }
    }
    return true;
  }

  /**
   * A node below hist_min_rows has no histogram: its bins' totals are summed in row order, then
   * scanned in bin order, the same arithmetic as a histogram built for this node. (The native
   * engine touches only the bins present, found through a bitmap; it sums the same way.)
   */
  private scanSmallNode(f: number, node: Pending, best: Split): boolean {
    const bins = this.bins!;
    const nb = bins.edges[f].length + 1;
    const h = this.smallHist;
    h.fill(0, 0, 3 * nb);
    const base = f * this.data.rows;
    for (let k = node.start; k < node.end; k++) {
      const row = this.idx[k];
      const c = 3 * bins.codes[base + row];
      h[c] += this.weight[row];
      h[c + 1] += this.wy[row];
      h[c + 2] += 1;
    }
    return this.scanCells(f, h, 0, nb, node, best);
  }

  private scanHistogram(f: number, node: Pending, best: Split): boolean {
    const bins = this.bins!;
    return this.scanCells(f, this.histPool[node.hist], 3 * bins.histOffset[f], bins.edges[f].length + 1, node, best);
  }

  /** Offers the split after each non-empty bin of feature f's cells h[off, off + 3 * nb). */
  private scanCells(f: number, h: Float64Array, off: number, nb: number, node: Pending, best: Split): boolean {
    let nonempty = 0;
    for (let b = 0; b < nb && nonempty < 2; b++) if (h[off + 3 * b + 2] > 0) nonempty++;
    if (nonempty < 2) return false;
    const edges = this.bins!.edges[f];
    const s = node.stats;
    const msl = this.p.min_samples_leaf;
    let wl = 0;
    let syl = 0;
    let nl = 0;
    for (let b = 0; b + 1 < nb; b++) {
      const rows = h[off + 3 * b + 2];
      if (rows === 0) continue;
      wl += h[off + 3 * b];
      syl += h[off + 3 * b + 1];
      nl += rows;
      if (nl < msl) continue;
      if (s.n - nl < msl) break;
      const score = proxy(wl, syl, s);
      if (score > best.proxy) {
        best.feature = f;
        best.threshold = edges[b];
        best.bin = b;
        best.proxy = score;
      }
    }
    return true;
  }

  private partition(node: Pending, split: Split): number {
    let nl = 0;
    let nr = 0;
    const f = split.feature;
    const idx = this.idx;
    if (this.p.split_mode === SPLIT_EXACT) {
      for (let k = node.start; k < node.end; k++) {
        const row = idx[k];
        if (this.x(row, f) <= split.threshold) idx[node.start + nl++] = row;
        else this.tmp[nr++] = row;
      }
    } else {
      const codes = this.bins!.codes;
      const base = f * this.data.rows;
      for (let k = node.start; k < node.end; k++) {
        const row = idx[k];
        if (codes[base + row] <= split.bin) idx[node.start + nl++] = row;
        else this.tmp[nr++] = row;
      }
    }
    idx.set(this.tmp.subarray(0, nr), node.start + nl);
    return node.start + nl;
  }

  private acquireHist(): number {
    const h = this.histFree.pop();
    if (h !== undefined) return h;
    this.histPool.push(new Float64Array(3 * this.bins!.histOffset[this.data.cols]));
    return this.histPool.length - 1;
  }

  private releaseHist(h: number): void {
    if (h >= 0) this.histFree.push(h);
  }

  private buildHist(h: number, start: number, end: number): void {
    const buf = this.histPool[h];
    buf.fill(0);
    const bins = this.bins!;
    const n = this.data.rows;
    for (let f = 0; f < this.data.cols; f++) {
      const base = f * n;
      const cells = 3 * bins.histOffset[f];
      for (let k = start; k < end; k++) {
        const row = this.idx[k];
        const c = cells + 3 * bins.codes[base + row];
        buf[c] += this.weight[row];
        buf[c + 1] += this.wy[row];
        buf[c + 2] += 1.0;
      }
    }
  }

  private subtractHist(parent: number, child: number): void {
    const a = this.histPool[parent];
    const b = this.histPool[child];
    for (let i = 0; i < a.length; i++) a[i] -= b[i];
  }
}
