import type { EngineParams } from '../engine-params.js';
import type { BinnedFeatures } from './binning.js';
import { BuilderBase, type Pending, type Split } from './builder-base.js';
import { midpoint } from './binning.js';
import { improvement, impurity, isPure, leafValue, nodeStats, proxy, type NodeStats } from './criterion.js';
import type { DatasetView } from './dataset.js';
import type { SortedFeatures } from './presort.js';

/**
 * The pure-TS twin of native/engine/tree_builder.cpp, with the squared-error criterion of
 * ./criterion.ts (the mirror of native/engine/criterion.h). It does that file's arithmetic — the same
 * random draws, the same summation order, the same tie rules — so both backends grow identical
 * trees; the native file arranges memory differently (rows in node order) for speed. Change one,
 * change the other. What does not depend on the criterion (draws, growth order, partition,
 * histogram pool) is in ./builder-base.ts, shared with the classifier twin; the scans and the
 * histogram build stay here, specialised.
 */

export type { TreeArrays } from './builder-base.js';

export class TreeBuilder extends BuilderBase<NodeStats> {
  private readonly wy: Float64Array;
  private readonly smallHist = new Float64Array(3 * 256);

  constructor(data: DatasetView, p: EngineParams, bins: BinnedFeatures | null, sorted: SortedFeatures | null) {
    super(data, p, bins, sorted);
    this.wy = new Float64Array(data.rows);
  }

  protected afterDraw(): void {
    const y = this.data.y!;
    const n = this.data.rows;
    for (let i = 0; i < n; i++) this.wy[i] = this.weight[i] * y[i];
  }

  protected histStride(): number {
    return 3;
  }

  protected statsOf(start: number, end: number): NodeStats {
    const y = this.data.y!;
    return nodeStats(this.idx, start, end, this.weight, this.wy, y);
  }

  protected impurityOf(s: NodeStats): number {
    return impurity(s);
  }

  protected pushValue(value: number[], s: NodeStats): void {
    value.push(leafValue(s));
  }

  protected isPure(s: NodeStats): boolean {
    return isPure(s);
  }

  protected improvementOf(s: NodeStats, nodeImpurity: number, ls: NodeStats, rs: NodeStats): number {
    return improvement(s, nodeImpurity, ls, rs, this.rootW);
  }

  protected scanExact(f: number, node: Pending<NodeStats>, best: Split): boolean {
    if (!this.sortNode(f, node)) return false;
    const m = node.end - node.start;
    const xs = this.xs;
    const tmp = this.tmp;
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
  protected scanSmallNode(f: number, node: Pending<NodeStats>, best: Split): boolean {
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

  protected scanHistogram(f: number, node: Pending<NodeStats>, best: Split): boolean {
    const bins = this.bins!;
    return this.scanCells(f, this.histPool[node.hist], 3 * bins.histOffset[f], bins.edges[f].length + 1, node, best);
  }

  /** Offers the split after each non-empty bin of feature f's cells h[off, off + 3 * nb). */
  private scanCells(f: number, h: Float64Array, off: number, nb: number, node: Pending<NodeStats>, best: Split): boolean {
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

  protected buildHist(h: number, start: number, end: number): void {
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
}
