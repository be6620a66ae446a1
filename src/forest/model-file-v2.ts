// Model file version 2: what prediction needs, compactly (about 6 bytes a node for a hist
// forest), then the statistics only importances and the UI need, as a separate section a
// loader may skip.
//
// Nodes are stored tree by tree in preorder (a node, its left subtree, its right subtree), so
// a node's kind (split or leaf) is all the structure there is: the left child of a split is
// the next node, its right child the node after its left subtree. After the header, in order
// (T trees, N nodes, I splits, L = N - I leaves, F features; little-endian, no padding):
//
//   tree_sizes        u32[T]    nodes per tree
//   table_sizes       u32[F]    distinct thresholds of feature f, or 0xFFFFFFFF: its
//                               thresholds are stored raw (f64) in threshold_codes
//   threshold_tables  f64[E]    per feature, its distinct thresholds in increasing order
//   node_kinds        bits[N]   1 = split, 0 = leaf; bit i of byte i>>3 (lsb first)
//   split_features    uint[I]   feature index, 1, 2 or 4 bytes (layout.feature_bytes)
//   threshold_codes             per split: a u8 rank (table of <= 256), a u16 rank (<= 65536)
//                               or a raw f64 (0xFFFFFFFF), by the split's feature
//   leaf_values       f64[L]    (a classifier: f64[L x K], K class frequencies a leaf)
//   sha256            32 bytes  of every byte of the file before it
//   -- stats section, when layout.stats (skippable: nothing in predict reads it) --
//   n_samples         u32[N]
//   weighted_n        u32[N] or f64[N] (layout.weighted_n)
//   impurity          f64[N]
//   split_values      f64[I]   the mean target at each split node (a classifier: f64[I x K],
//                              the class frequencies)
//   sha256            32 bytes  of the stats section
//
// A histogram forest's thresholds are bin edges (<= 255 a feature), so its splits cost 2-3
// bytes and its leaves 8. Loading rebuilds the flat arrays (flat-forest.ts) and checks every
// count, index and value on the way: the structure is a full binary tree by construction.
import { valueWidth, type FlatForest } from './flat-forest.js';
import { MODEL_CHUNK_BYTES, type ChunkWriter, type ModelParser, type ParseContext } from './model-stream.js';

export interface V2Layout {
  n_leaves: number;
  feature_bytes: 1 | 2 | 4;
  threshold_table_entries: number;
  threshold_code_bytes: number;
  stats: boolean;
  weighted_n: 'u32' | 'f64';
}

const RAW = 0xffffffff;

const featureBytes = (nFeatures: number): 1 | 2 | 4 => (nFeatures <= 256 ? 1 : nFeatures <= 65536 ? 2 : 4);
const codeWidth = (tableSize: number) => (tableSize === RAW ? 8 : tableSize <= 256 ? 1 : 2);

/** Byte size of a version-2 file, from its prefix+header length and layout (`width`: values a node, K for a classifier). */
export function v2FileBytes(prefixAndHeader: number, trees: number, nodes: number, features: number, l: V2Layout, width = 1): number {
  const splits = nodes - l.n_leaves;
  const core = prefixAndHeader + 4 * trees + 4 * features + 8 * l.threshold_table_entries + Math.ceil(nodes / 8) + l.feature_bytes * splits + l.threshold_code_bytes + 8 * width * l.n_leaves + 32;
  const stats = l.stats ? 4 * nodes + (l.weighted_n === 'u32' ? 4 : 8) * nodes + 8 * nodes + 8 * width * splits + 32 : 0;
  return core + stats;
}

/** Checks a header's layout against its counts, before anything is allocated. */
export function checkV2Layout(raw: unknown, trees: number, nodes: number, features: number, bad: (why: string) => never): V2Layout {
  if (typeof raw !== 'object' || raw === null) return bad('the header lacks the version-2 layout');
  const l = raw as Record<string, unknown>;
  const int = (k: string, lo: number, hi: number) => {
    const v = l[k];
    if (!Number.isInteger(v) || (v as number) < lo || (v as number) > hi) bad(`layout.${k} must be an integer in [${lo}, ${hi}] (got ${String(v)})`);
    return v as number;
  };
  // a full binary tree has one more leaf than splits: T trees, N nodes -> (N + T) / 2 leaves
  if ((nodes + trees) % 2 !== 0) bad(`${nodes} nodes cannot form ${trees} full binary trees`);
  const leaves = int('n_leaves', (nodes + trees) / 2, (nodes + trees) / 2);
  const fb = int('feature_bytes', 1, 4);
  if (fb !== featureBytes(features)) bad(`layout.feature_bytes ${fb} does not match ${features} features`);
  const splitCount = nodes - leaves;
  const entries = int('threshold_table_entries', 0, Math.min(splitCount, features * 65536));
  int('threshold_code_bytes', splitCount, 8 * splitCount);
  if (typeof l.stats !== 'boolean') bad('layout.stats must be true or false');
  if (l.weighted_n !== 'u32' && l.weighted_n !== 'f64') bad('layout.weighted_n must be "u32" or "f64"');
  return { n_leaves: leaves, feature_bytes: fb as 1 | 2 | 4, threshold_table_entries: entries, threshold_code_bytes: l.threshold_code_bytes as number, stats: l.stats, weighted_n: l.weighted_n };
}

/** What the writer works out before the first byte: preorder, threshold tables, code widths. */
export interface V2Plan {
  layout: V2Layout;
  /** preorder position -> node index, or null when the trees already are in preorder (the builders' order) */
  order: Int32Array | null;
  tableSizes: Uint32Array;
  tableStarts: Uint32Array;
  tables: Float64Array;
}

export function planV2(f: FlatForest, stats: boolean): V2Plan {
  const nodes = f.feature.length;
  const order = preorder(f);
  let splits = 0;
  const uses = new Float64Array(f.nFeatures);
  for (let k = 0; k < nodes; k++) {
    if (f.feature[k] < 0) continue;
    splits++;
    uses[f.feature[k]]++;
  }
  // thresholds grouped by feature, sorted, then each group made unique in place
  const starts = new Uint32Array(f.nFeatures + 1);
  for (let j = 0; j < f.nFeatures; j++) starts[j + 1] = starts[j] + uses[j];
  const grouped = new Float64Array(splits);
  const fillAt = starts.slice(0, f.nFeatures);
  // -0 and 0 send every row the same way; one canonical zero keeps the tables unique
  for (let k = 0; k < nodes; k++) if (f.feature[k] >= 0) grouped[fillAt[f.feature[k]]++] = f.threshold[k] === 0 ? 0 : f.threshold[k];
  const tableSizes = new Uint32Array(f.nFeatures);
  let entries = 0;
  let codeBytes = 0;
  for (let j = 0; j < f.nFeatures; j++) {
    const g = grouped.subarray(starts[j], starts[j + 1]);
    g.sort();
    let d = 0;
    for (let i = 0; i < g.length; i++) if (i === 0 || g[i] !== g[d - 1]) g[d++] = g[i];
    const u = g.length;
    // a table pays for itself when ranks plus the table are smaller than raw doubles
    const size = d <= 256 && u + 8 * d < 8 * u ? d : d <= 65536 && 2 * u + 8 * d < 8 * u ? d : RAW;
    tableSizes[j] = size;
    if (size !== RAW) entries += d;
    codeBytes += u * codeWidth(size);
  }
  const weightedInt = f.weightedN.every((w) => Number.isInteger(w) && w >= 0 && w <= 0xffffffff);
  return {
    layout: {
      n_leaves: nodes - splits,
      feature_bytes: featureBytes(f.nFeatures),
      threshold_table_entries: entries,
      threshold_code_bytes: codeBytes,
      stats,
      weighted_n: weightedInt ? 'u32' : 'f64',
    },
    order,
    tableSizes,
    tableStarts: starts,
    tables: grouped,
  };
}

/** Null when every tree's nodes are numbered in preorder already; else the preorder of all nodes. */
function preorder(f: FlatForest): Int32Array | null {
  const trees = f.treeOffsets.length - 1;
  const walk = (t: number, visit: (k: number, j: number) => boolean): boolean => {
    const base = f.treeOffsets[t];
    const stack: number[] = [0];
    let j = base;
    while (stack.length) {
      const i = stack.pop()!;
      if (!visit(base + i, j++)) return false;
      if (f.feature[base + i] >= 0) stack.push(f.right[base + i], f.left[base + i]);
    }
    return true;
  };
  let identity = true;
  for (let t = 0; t < trees && identity; t++) identity = walk(t, (k, j) => k === j);
  if (identity) return null;
  const order = new Int32Array(f.feature.length);
  for (let t = 0; t < trees; t++)
    walk(t, (k, j) => {
      order[j] = k;
      return true;
    });
  return order;
}

/** Writes everything after the header (the writer has the prefix and header). */
export function* writeV2Body(w: ChunkWriter, f: FlatForest, p: V2Plan): Generator<Buffer> {
  const nodes = f.feature.length;
  const trees = f.treeOffsets.length - 1;
  const at = p.order ? (j: number) => p.order![j] : (j: number) => j;
  for (let t = 0; t < trees; t++) w.u32(f.treeOffsets[t + 1] - f.treeOffsets[t]);
  w.array(p.tableSizes);
  for (let j = 0; j < f.nFeatures; j++) if (p.tableSizes[j] !== RAW) w.array(p.tables.subarray(p.tableStarts[j], p.tableStarts[j] + p.tableSizes[j]));
  yield* w.drain();
  const step = 1 << 16;
  for (let j0 = 0; j0 < nodes; j0 += step) {
    const j1 = Math.min(nodes, j0 + step);
    for (let j = j0; j < j1; j += 8) {
      let byte = 0;
      for (let b = 0; b < 8 && j + b < j1; b++) if (f.feature[at(j + b)] >= 0) byte |= 1 << b;
      w.u8(byte);
    }
    yield* w.drain();
  }
  const fb = p.layout.feature_bytes;
  const feats = fb === 1 ? new Uint8Array(step) : fb === 2 ? new Uint16Array(step) : new Uint32Array(step);
  yield* gather(
    w,
    nodes,
    feats,
    (j) => f.feature[at(j)],
    (j) => f.feature[at(j)] >= 0,
  );
  for (let j0 = 0; j0 < nodes; j0 += step) {
    for (let j = j0, j1 = Math.min(nodes, j0 + step); j < j1; j++) {
      const k = at(j);
      const feat = f.feature[k];
      if (feat < 0) continue;
      const size = p.tableSizes[feat];
      const thr = f.threshold[k] === 0 ? 0 : f.threshold[k];
      if (size === RAW) {
        w.f64(thr);
        continue;
      }
      const rank = search(p.tables, p.tableStarts[feat], size, thr);
      if (size <= 256) w.u8(rank);
      else w.u16(rank);
    }
    yield* w.drain();
  }
  const doubles = new Float64Array(step);
  const width = valueWidth(f);
  if (width === 1) {
    yield* gather(
      w,
      nodes,
      doubles,
      (j) => f.value[at(j)],
      (j) => f.feature[at(j)] < 0,
    );
  } else yield* gatherWide(w, nodes, doubles, f.value, width, at, (j) => f.feature[at(j)] < 0);
  w.digest();
  if (!p.layout.stats) return;
  const ints = new Uint32Array(step);
  const all = () => true;
  yield* gather(w, nodes, ints, (j) => f.nSamples[at(j)] >>> 0, all);
  if (p.layout.weighted_n === 'u32') yield* gather(w, nodes, ints, (j) => f.weightedN[at(j)], all);
  else yield* gather(w, nodes, doubles, (j) => f.weightedN[at(j)], all);
  yield* gather(w, nodes, doubles, (j) => f.impurity[at(j)], all);
  if (width === 1) {
    yield* gather(
      w,
      nodes,
      doubles,
      (j) => f.value[at(j)],
      (j) => f.feature[at(j)] >= 0,
    );
  } else yield* gatherWide(w, nodes, doubles, f.value, width, at, (j) => f.feature[at(j)] >= 0);
  w.digest();
}

/** gather for `width` values a node (a classifier's K class frequencies): value[node * width ..] for every kept preorder position. */
function* gatherWide(w: ChunkWriter, nodes: number, stage: Float64Array, value: Float64Array, width: number, at: (j: number) => number, keep: (j: number) => boolean): Generator<Buffer> {
  let n = 0;
  for (let j = 0; j < nodes; j++) {
    if (!keep(j)) continue;
    if (n + width > stage.length) {
      w.array(stage.subarray(0, n));
      n = 0;
      yield* w.drain();
    }
    const k = at(j) * width;
    stage.set(value.subarray(k, k + width), n);
    n += width;
  }
  w.array(stage.subarray(0, n));
  yield* w.drain();
}

/** Writes pick(j) for every preorder position j that keeps(j), staged `stage.length` values at a time. */
function* gather(w: ChunkWriter, nodes: number, stage: Uint8Array | Uint16Array | Uint32Array | Float64Array, pick: (j: number) => number, keep: (j: number) => boolean): Generator<Buffer> {
  let n = 0;
  for (let j = 0; j < nodes; j++) {
    if (!keep(j)) continue;
    stage[n++] = pick(j);
    if (n === stage.length) {
      w.array(stage);
      n = 0;
      yield* w.drain();
    }
  }
  w.array(stage.subarray(0, n));
  yield* w.drain();
}

/** Index of `v` within table[start, start + size) (it is there: the table was built from these values). */
function search(table: Float64Array, start: number, size: number, v: number): number {
  let lo = start;
  let hi = start + size - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (table[mid] < v) lo = mid + 1;
    else hi = mid;
  }
  return lo - start;
}

/** Reads everything after a version-2 header; `stats: false` stops before the stats section. */
export function* readV2Body(ctx: ParseContext, nFeatures: number, trees: number, nodes: number, l: V2Layout, wantStats: boolean, nClasses = 0): ModelParser<{ forest: FlatForest; hasStats: boolean }> {
  const bad = ctx.bad;
  const width = valueWidth({ nClasses });
  const splits = nodes - l.n_leaves;
  const treeOf = (k: number) => {
    let t = 0;
    while (t + 1 < trees && treeOffsets[t + 1] <= k) t++;
    return `tree ${t} node ${k - treeOffsets[t]}`;
  };

  const sizes = new Uint32Array(trees);
  yield* ctx.fill(sizes, 0, trees, 'tree sizes');
  const treeOffsets = new Uint32Array(trees + 1);
  let maxSize = 0;
  for (let t = 0; t < trees; t++) {
    if (sizes[t] === 0 || sizes[t] % 2 === 0) bad(`tree ${t} has ${sizes[t]} nodes (a full binary tree has an odd count)`);
    const end = treeOffsets[t] + sizes[t];
    if (end > nodes) bad(`tree sizes add up to more than the ${nodes} nodes in the header`);
    treeOffsets[t + 1] = end;
    maxSize = Math.max(maxSize, sizes[t]);
  }
  if (treeOffsets[trees] !== nodes) bad(`tree sizes add up to ${treeOffsets[trees]}, not the ${nodes} nodes in the header`);

  const tableSizes = new Uint32Array(nFeatures);
  yield* ctx.fill(tableSizes, 0, nFeatures, 'threshold table sizes');
  const tableStarts = new Float64Array(nFeatures);
  let entries = 0;
  for (let j = 0; j < nFeatures; j++) {
    const s = tableSizes[j];
    if (s === RAW) continue;
    if (s > 65536) bad(`feature ${j}: threshold table of ${s} entries (at most 65536)`);
    tableStarts[j] = entries;
    entries += s;
  }
  if (entries !== l.threshold_table_entries) bad(`threshold tables hold ${entries} entries, the header says ${l.threshold_table_entries}`);
  const tables = new Float64Array(entries);
  yield* ctx.fill(tables, 0, entries, 'threshold tables');
  for (let j = 0; j < nFeatures; j++) {
    if (tableSizes[j] === RAW) continue;
    for (let i = tableStarts[j], end = i + tableSizes[j]; i < end; i++) {
      if (Number.isNaN(tables[i])) bad(`feature ${j}: threshold table entry ${i - tableStarts[j]} is NaN`);
      if (i > tableStarts[j] && !(tables[i] > tables[i - 1])) bad(`feature ${j}: threshold table is not strictly increasing`);
    }
  }

  const feature = new Int32Array(nodes);
  const left = new Int32Array(nodes).fill(-1);
  const right = new Int32Array(nodes).fill(-1);
  let k = 0;
  let counted = 0;
  yield* ctx.blocks(Math.ceil(nodes / 8), 'node kinds', (b) => {
    for (let i = 0; i < b.length; i++) {
      const byte = b[i];
      for (let bit = 0; bit < 8; bit++, k++) {
        const split = (byte >> bit) & 1;
        if (k >= nodes) {
          if (split) bad('node kinds: bits set past the last node');
          continue;
        }
        feature[k] = split ? 0 : -1;
        counted += split;
      }
    }
  });
  if (counted !== splits) bad(`node kinds mark ${counted} splits, the header says ${splits}`);
  // preorder: a split's left child is the next node; a leaf ends a left subtree, so the next
  // node is the right child of the innermost split still waiting for one
  const waiting = new Int32Array(maxSize);
  for (let t = 0; t < trees; t++) {
    const base = treeOffsets[t];
    const size = sizes[t];
    let depth = 0;
    for (let i = 0; i < size; i++) {
      const node = base + i;
      if (i > 0) {
        const prev = node - 1;
        if (feature[prev] >= 0) left[prev] = i;
        else if (depth === 0) bad(`tree ${t} node ${i}: past the end of the tree (node kinds do not form a tree)`);
        else right[base + waiting[--depth]] = i;
      }
      if (feature[node] >= 0) waiting[depth++] = i;
    }
    if (depth !== 0 || feature[base + size - 1] >= 0) bad(`tree ${t}: ends with ${depth} split(s) missing a child (node kinds do not form a tree)`);
  }

  const fb = l.feature_bytes;
  k = 0;
  const nextSplit = () => {
    while (feature[k] < 0) k++;
    return k++;
  };
  yield* ctx.blocks(fb * splits, 'split features', (b) => {
    for (let i = 0; i < b.length; i += fb) {
      const v = fb === 1 ? b[i] : fb === 2 ? b.readUInt16LE(i) : b.readUInt32LE(i);
      const node = nextSplit();
      if (v >= nFeatures) bad(`${treeOf(node)}: feature ${v} out of range (the model has ${nFeatures})`);
      feature[node] = v;
    }
  });

  let codeBytes = 0;
  for (let n = 0; n < nodes; n++) if (feature[n] >= 0) codeBytes += codeWidth(tableSizes[feature[n]]);
  if (codeBytes !== l.threshold_code_bytes) bad(`threshold codes take ${codeBytes} bytes, the header says ${l.threshold_code_bytes}`);
  const threshold = new Float64Array(nodes);
  k = 0;
  for (let done = 0; done < codeBytes; ) {
    // a block ends on a code boundary: at most a MiB of whole codes
    let n = 0;
    let probe = k;
    while (done + n < codeBytes) {
      while (feature[probe] < 0) probe++;
      const w = codeWidth(tableSizes[feature[probe]]);
      if (n + w > MODEL_CHUNK_BYTES) break;
      n += w;
      probe++;
    }
    const b = yield* ctx.take(n, 'threshold codes');
    for (let i = 0; i < n; ) {
      const node = nextSplit();
      const f = feature[node];
      const size = tableSizes[f];
      if (size === RAW) {
        const v = b.readDoubleLE(i);
        if (Number.isNaN(v)) bad(`${treeOf(node)}: threshold is NaN`);
        threshold[node] = v;
        i += 8;
        continue;
      }
      const wide = size > 256;
      const rank = wide ? b.readUInt16LE(i) : b[i];
      i += wide ? 2 : 1;
      if (rank >= size) bad(`${treeOf(node)}: threshold rank ${rank} past feature ${f}'s table of ${size}`);
      threshold[node] = tables[tableStarts[f] + rank];
    }
    done += n;
  }

  const value = new Float64Array(nodes * width);
  k = 0;
  const nextLeaf = () => {
    while (feature[k] >= 0) k++;
    return k++;
  };
  // a classifier's K values a node may straddle two blocks: `c` counts the node's values read so far
  let node = -1;
  let c = width;
  yield* ctx.blocks(8 * width * l.n_leaves, 'leaf values', (b) => {
    for (let i = 0; i < b.length; i += 8) {
      if (c === width) {
        node = nextLeaf();
        c = 0;
      }
      const v = b.readDoubleLE(i);
      if (!Number.isFinite(v)) bad(`${treeOf(node)}: leaf value is not finite`);
      value[node * width + c++] = v;
    }
  });
  yield* ctx.checkDigest('model');

  const forest: FlatForest = {
    nFeatures,
    nClasses,
    treeOffsets,
    feature,
    left,
    right,
    nSamples: new Int32Array(nodes),
    threshold,
    value,
    weightedN: new Float64Array(nodes),
    impurity: new Float64Array(nodes),
  };
  if (!l.stats) return { forest, hasStats: false };
  if (!wantStats) {
    ctx.stoppedEarly = true;
    return { forest, hasStats: false };
  }
  yield* ctx.fill(forest.nSamples, 0, nodes, 'n_samples');
  if (l.weighted_n === 'f64') yield* ctx.fill(forest.weightedN, 0, nodes, 'weighted_n');
  else {
    k = 0;
    yield* ctx.blocks(4 * nodes, 'weighted_n', (b) => {
      for (let i = 0; i < b.length; i += 4) forest.weightedN[k++] = b.readUInt32LE(i);
    });
  }
  yield* ctx.fill(forest.impurity, 0, nodes, 'impurity');
  k = 0;
  c = width;
  yield* ctx.blocks(8 * width * splits, 'split values', (b) => {
    for (let i = 0; i < b.length; i += 8) {
      if (c === width) {
        node = nextSplit();
        c = 0;
      }
      value[node * width + c++] = b.readDoubleLE(i);
    }
  });
  yield* ctx.checkDigest('stats');
  return { forest, hasStats: true };
}
