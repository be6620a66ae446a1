import type { EngineParams } from '../engine-params.js';
import { SPLIT_EXACT } from '../engine-params.js';
import { GroveError } from '../../errors.js';
import { Rng } from '../../rng.js';
import type { BinnedFeatures } from './binning.js';
import { midpoint } from './binning.js';
import { classImprovement, classWeightOf, ENTROPY, GINI, isPureClasses, pushClassValues, type ClassCriterion, type ClassStats } from './class-criterion.js';
import type { DatasetView } from './dataset.js';
import type { SortedFeatures } from './presort.js';
import type { TreeArrays } from './tree-builder.js';

const EPSILON = Number.EPSILON; // scikit-learn's EPSILON (DBL_EPSILON)

interface Pending {
  start: number;
  end: number;
  depth: number;
  parent: number;
  isLeft: boolean;
  stats: ClassStats;
  hist: number;
}

interface Split {
  feature: number;
  threshold: number;
  bin: number;
  proxy: number;
}

/**
 * The pure-TS twin of native/engine/tree_builder.cpp for classifiers (TreeBuilder<Gini> and
 * TreeBuilder<Entropy>), with the criteria of ./class-criterion.ts. The random draws, the order
 * features are tried and splits offered, the tie rules and the stopping rules are those of the
 * squared-error twin (./tree-builder.ts), which stays a class of its own so that its scans keep
 * their two-number sums; here a node and a candidate's left side are class draw counts, and a
 * node keeps K values, its class-weighted class frequencies.
 *
 * Counts are whole numbers (bootstrap draws) held in doubles, exact in any order: histograms
 * (K + 1 cells a bin: rows, then draws per class), their subtraction and the small-node sums all
 * give the counts the native engine gets. The doubles that depend on order (weights,
 * impurities, proxies, values) are computed from counts by the criterion's loops over classes.
 */
export class ClassTreeBuilder {
  private readonly k: number;
  private readonly crit: ClassCriterion;
  /** class index of each row */
  private readonly cls: Int32Array;
  private readonly weight: Float64Array;
  /** this tree's class weights */
  private readonly cw: Float64Array;
  private readonly idx: Uint32Array;
  private m = 0;
  private readonly tmp: Uint32Array;
  private readonly keys: Uint32Array;
  private readonly xs: Float64Array;
  private readonly features: Uint32Array;
  /** a candidate's left side: draws per class */
  private readonly left: Float64Array;
  /** small-node scans: rows per bin, then each bin's first slot in `tmp` */
  private readonly binRows = new Int32Array(256);
  private readonly binAt = new Int32Array(257);
  private rootW = 0;
  private readonly histPool: Float64Array[] = [];
  private readonly histFree: number[] = [];

  constructor(
    private readonly data: DatasetView,
    private readonly p: EngineParams,
    private readonly bins: BinnedFeatures | null,
    private readonly sorted: SortedFeatures | null,
  ) {
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
    this.weight = new Float64Array(n);
    this.idx = new Uint32Array(n);
    this.tmp = new Uint32Array(n);
    this.keys = new Uint32Array(n);
    this.xs = new Float64Array(n);
    this.features = new Uint32Array(data.cols);
    this.left = new Float64Array(k);
  }

  private x(row: number, f: number): number {
    return this.data.x[row * this.data.rowStride + f * this.data.colStride];
  }

  private drawSample(rng: Rng, inbag: Uint8Array): void {
    const n = this.data.rows;
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
      if (this.weight[i] > 0) {
        this.idx[this.m++] = i;
        inbag[i] = 1;
      }
    }
    if (this.p.balanced_subsample) this.balanceWeights();
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

  private statsOf(start: number, end: number): ClassStats {
    const cnt = new Float64Array(this.k);
    for (let j = start; j < end; j++) {
      const row = this.idx[j];
      cnt[this.cls[row]] += this.weight[row];
    }
    return { n: end - start, w: classWeightOf(cnt, this.cw), cnt };
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
      const nodeImpurity = this.crit.impurity(s.cnt, this.cw, s.w);
      const id = out.feature.length;
      out.feature.push(-1);
      out.left.push(-1);
      out.right.push(-1);
      out.nSamples.push(s.n);
      out.threshold.push(0);
      pushClassValues(out.value, s, this.cw);
      out.weightedN.push(s.w);
      out.impurity.push(nodeImpurity);
      if (node.parent >= 0) (node.isLeft ? out.left : out.right)[node.parent] = id;

      let leaf = (p.max_depth >= 0 && node.depth >= p.max_depth) || s.n < p.min_samples_split || s.n < 2 * p.min_samples_leaf || isPureClasses(s.cnt) || nodeImpurity <= EPSILON;
      const best: Split = { feature: -1, threshold: 0, bin: -1, proxy: -Infinity };
      if (!leaf) leaf = !this.findSplit(rng, node, best);
      if (leaf) {
        this.releaseHist(node.hist);
        continue;
      }
      const mid = this.partition(node, best);
      const ls = this.statsOf(node.start, mid);
      const rs = this.statsOf(mid, node.end);
      if (classImprovement(this.crit, s, nodeImpurity, ls, rs, this.cw, this.rootW) + EPSILON < p.min_impurity_decrease) {
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
      const score = this.crit.proxy(L, cnt, this.cw);
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
   * A node below hist_min_rows has no histogram: its rows are put in bin order (a counting
   * sort into `tmp`) and each non-empty bin's draws are added to the left side before its
   * split is offered. The counts are those a histogram of this node would hold, with O(rows +
   * bins) work and no K x 256 cells (K may be large: past 32 classes no node has a histogram).
   */
  private scanSmallNode(f: number, node: Pending, best: Split): boolean {
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
      const score = this.crit.proxy(L, s.cnt, this.cw);
      if (score > best.proxy) {
        best.feature = f;
        best.threshold = bins.edges[f][b];
        best.bin = b;
        best.proxy = score;
      }
    }
    return true;
  }

  /** Offers the split after each non-empty bin of feature f's histogram cells (K + 1 a bin: rows, then draws per class). */
  private scanHistogram(f: number, node: Pending, best: Split): boolean {
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
      const score = this.crit.proxy(L, s.cnt, this.cw);
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
    this.histPool.push(new Float64Array((this.k + 1) * this.bins!.histOffset[this.data.cols]));
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

  private subtractHist(parent: number, child: number): void {
    const a = this.histPool[parent];
    const b = this.histPool[child];
    for (let i = 0; i < a.length; i++) a[i] -= b[i];
  }
}
