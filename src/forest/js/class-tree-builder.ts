import type { EngineParams } from '../engine-params.js';
import { GroveError } from '../../errors.js';
import type { BinnedFeatures } from './binning.js';
import { midpoint } from './binning.js';
import { BuilderBase, offerSplit, type Pending, type Split } from './builder-base.js';
import { classImprovement, classWeightOf, ENTROPY, GINI, isPureClasses, pushClassValues, type ClassCriterion, type ClassStats } from './class-criterion.js';
import type { DatasetView } from './dataset.js';
import type { SortedFeatures } from './presort.js';

/**
 * The pure-TS twin of native/engine/tree_builder.cpp for classifiers (TreeBuilder<Gini> and
 * TreeBuilder<Entropy>), with the criteria of ./class-criterion.ts. The random draws, the order
 * features are tried and splits offered, the tie rules and the stopping rules are those of the
 * squared-error twin (./tree-builder.ts), both from ./builder-base.ts; each keeps its own scans,
 * so the squared-error ones keep their two-number sums. Here a node and a candidate's left side
 * are class draw counts, and a node keeps K values, its class-weighted class frequencies.
 *
 * Counts are whole numbers (bootstrap draws) held in doubles, exact in any order: histograms
 * (K + 1 cells a bin: rows, then draws per class), their subtraction and the small-node sums all
 * give the counts the native engine gets. The doubles that depend on order (weights,
 * impurities, proxies, values) are computed from counts by the criterion's loops over classes.
 */
export class ClassTreeBuilder extends BuilderBase<ClassStats> {
  private readonly k: number;
  private readonly crit: ClassCriterion;
  /** class index of each row */
  private readonly cls: Int32Array;
  /** this tree's class weights */
  private readonly cw: Float64Array;
  /** a candidate's left side: draws per class */
  private readonly left: Float64Array;
  /** small-node scans: rows per bin, then each bin's first slot in `tmp` */
  private readonly binRows = new Int32Array(256);
  private readonly binAt = new Int32Array(257);

  constructor(data: DatasetView, p: EngineParams, bins: BinnedFeatures | null, sorted: SortedFeatures | null) {
    super(data, p, bins, sorted);
    const n = data.rows;
    const k = p.n_classes;
    if (!Number.isInteger(k) || k < 2) throw new GroveError('INVALID_OPTION', `n_classes ${k}: a classifier needs at least 2 classes`, { option: 'n_classes' });
    this.k = k;
    this.crit = p.criterion === 2 ? ENTROPY : GINI;
    const y = data.y!;
    this.cls = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      const c = y[i];
      if (!(Number.isInteger(c) && c >= 0 && c < k)) {
        throw new GroveError('INVALID_DATA', `target row ${i + 1}: class index ${c} is not an integer in [0, ${k})`, { row: i + 1 });
      }
      this.cls[i] = c;
    }
    const cw = p.class_weight;
    if (cw !== null && cw.length !== k) throw new GroveError('INVALID_OPTION', `class_weight has ${cw.length} weights for ${k} classes`, { option: 'class_weight' });
    this.cw = cw === null ? new Float64Array(k).fill(1.0) : Float64Array.from(cw);
    this.left = new Float64Array(k);
  }

  protected afterDraw(): void {
    if (this.p.balanced_subsample) this.balanceWeights();
  }

  protected histStride(): number {
    return this.k + 1;
  }

  /** balanced_subsample: cw[c] = D / (Kp * Dc) over this tree's draws (0 for a class never drawn). */
  private balanceWeights(): void {
    const k = this.k;
    const dc = new Float64Array(k);
    let d = 0.0;
    for (let i = 0; i < this.data.rows; i++) {
      dc[this.cls[i]] += this.weight[i];
      d += this.weight[i];
    }
    let kp = 0;
    for (let c = 0; c < k; c++) if (dc[c] > 0) kp++;
    for (let c = 0; c < k; c++) this.cw[c] = dc[c] > 0 ? d / (kp * dc[c]) : 0.0;
  }

  protected statsOf(start: number, end: number): ClassStats {
    const cnt = new Float64Array(this.k);
    for (let j = start; j < end; j++) {
      const row = this.idx[j];
      cnt[this.cls[row]] += this.weight[row];
    }
    return { n: end - start, w: classWeightOf(cnt, this.cw), cnt };
  }

  protected impurityOf(s: ClassStats): number {
    return this.crit.impurity(s.cnt, this.cw, s.w);
  }

  protected pushValue(value: number[], s: ClassStats): void {
    pushClassValues(value, s, this.cw);
  }

  protected isPure(s: ClassStats): boolean {
    return isPureClasses(s.cnt);
  }

  protected improvementOf(s: ClassStats, nodeImpurity: number, ls: ClassStats, rs: ClassStats): number {
    return classImprovement(this.crit, s, nodeImpurity, ls, rs, this.cw, this.rootW);
  }

  protected scanExact(f: number, node: Pending<ClassStats>, best: Split): boolean {
    if (!this.sortNode(f, node)) return false;
    const m = node.end - node.start;
    const xs = this.xs;
    const tmp = this.tmp;
    const cnt = node.stats.cnt;
    const L = this.left;
    L.fill(0);
    const msl = this.p.min_samples_leaf;
    for (let k = 0; k + 1 < m; k++) {
      const row = tmp[k];
      L[this.cls[row]] += this.weight[row];
      const nl = k + 1;
      if (nl < msl) continue;
      if (m - nl < msl) break;
      if (!(xs[k + 1] > xs[k])) continue;
      offerSplit(best, f, midpoint(xs[k], xs[k + 1]), -1, this.crit.proxy(L, cnt, this.cw));
    }
    return true;
  }

  /**
   * A node below hist_min_rows has no histogram: its rows are put in bin order (a counting
   * sort into `tmp`) and each non-empty bin's draws are added to the left side before its
   * split is offered. The counts are those a histogram of this node would hold, with O(rows +
   * bins) work and no K x 256 cells (K may be large: past 32 classes no node has a histogram).
   */
  protected scanSmallNode(f: number, node: Pending<ClassStats>, best: Split): boolean {
    const bins = this.bins!;
    const nb = bins.edges[f].length + 1;
    const codes = bins.codes;
    const base = f * this.data.rows;
    const binRows = this.binRows;
    binRows.fill(0, 0, nb);
    let nonempty = 0;
    for (let k = node.start; k < node.end; k++) {
      const b = codes[base + this.idx[k]];
      if (binRows[b]++ === 0) nonempty++;
    }
    if (nonempty < 2) return false;
    const at = this.binAt;
    at[0] = 0;
    for (let b = 0; b < nb; b++) at[b + 1] = at[b] + binRows[b];
    const tmp = this.tmp;
    for (let k = node.start; k < node.end; k++) {
      const row = this.idx[k];
      tmp[at[codes[base + row]]++] = row;
    }
    // at[b] is now the end of bin b's rows
    const s = node.stats;
    const L = this.left;
    L.fill(0);
    const msl = this.p.min_samples_leaf;
    let nl = 0;
    let from = 0;
    for (let b = 0; b + 1 < nb; b++) {
      const rows = binRows[b];
      if (rows === 0) continue;
      for (let j = from; j < from + rows; j++) {
        const row = tmp[j];
        L[this.cls[row]] += this.weight[row];
      }
      from += rows;
      nl += rows;
      if (nl < msl) continue;
      if (s.n - nl < msl) break;
      offerSplit(best, f, bins.edges[f][b], b, this.crit.proxy(L, s.cnt, this.cw));
    }
    return true;
  }

  /** Offers the split after each non-empty bin of feature f's histogram cells (K + 1 a bin: rows, then draws per class). */
  protected scanHistogram(f: number, node: Pending<ClassStats>, best: Split): boolean {
    const bins = this.bins!;
    const stride = this.k + 1;
    const h = this.histPool[node.hist];
    const off = stride * bins.histOffset[f];
    const nb = bins.edges[f].length + 1;
    let nonempty = 0;
    for (let b = 0; b < nb && nonempty < 2; b++) if (h[off + stride * b] > 0) nonempty++;
    if (nonempty < 2) return false;
    const edges = bins.edges[f];
    const s = node.stats;
    const k = this.k;
    const L = this.left;
    L.fill(0);
    const msl = this.p.min_samples_leaf;
    let nl = 0;
    for (let b = 0; b + 1 < nb; b++) {
      const cell = off + stride * b;
      const rows = h[cell];
      if (rows === 0) continue;
      for (let c = 0; c < k; c++) L[c] += h[cell + 1 + c];
      nl += rows;
      if (nl < msl) continue;
      if (s.n - nl < msl) break;
      offerSplit(best, f, edges[b], b, this.crit.proxy(L, s.cnt, this.cw));
    }
    return true;
  }

  protected buildHist(h: number, start: number, end: number): void {
    const buf = this.histPool[h];
    buf.fill(0);
    const bins = this.bins!;
    const n = this.data.rows;
    const stride = this.k + 1;
    for (let f = 0; f < this.data.cols; f++) {
      const base = f * n;
      const cells = stride * bins.histOffset[f];
      for (let k = start; k < end; k++) {
        const row = this.idx[k];
        const c = cells + stride * bins.codes[base + row];
        buf[c] += 1.0;
        buf[c + 1 + this.cls[row]] += this.weight[row];
      }
    }
  }
}
