// Structural mutations of a model file that keep its checksum valid, so that what a loader meets
// is the validator, not the checksum: huge and zero counts, out-of-range, backward (cyclic),
// shared (DAG) or self children, NaN and infinite thresholds and values, bad feature indices,
// broken tree offsets, header counts that disagree with the arrays, truncation, header damage.
// Format 2 (model-file-v2.ts) has its own: node-kind bits that do not form full binary trees, tree
// sizes, threshold ranks past their table, unsorted or NaN tables, feature indices past
// n_features, layout counts against the section sizes, truncated or damaged stats sections.
// Classifier seeds (format 2) add theirs: n_classes against classes and the leaf values, classes
// unsorted, repeated or of mixed kinds, the task changed or removed, odd class frequencies.
// Every mutation is a pure function of (seed bytes, rng), so a run is reproducible from its seed.
import type { FlatForest } from '../../src/forest/flat-forest.js';
import { ARRAYS, CHECKSUM, PREFIX, rawForest, seal, sections, v2CodeSpans, v2Parts, v2Sections, type V2Parts, writeModel, writeV2 } from './model-layout.js';

/** mulberry32: small, seeded, the fuzzer's own (independent of the engine's RNG). */
export class FuzzRng {
  #s: number;
  constructor(seed: number) {
    this.#s = seed >>> 0;
  }
  next(): number {
    let t = (this.#s = (this.#s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)];
  }
}

const HUGE_INTS = [-1, -2, 0x7fffffff, -0x80000000, 0x40000000, 65535, 65536];
const BAD_DOUBLES = [NaN, Infinity, -Infinity, -0, 1e308, -1e308, 5e-324];
const BAD_COUNTS: unknown[] = [0, -1, 1.5, 0x7fffffff, 0x80000000, 2 ** 53, 1e300, '12', null, true, [], {}];

interface Working {
  header: Record<string, unknown>;
  forest: FlatForest;
}

function copyForest(f: FlatForest): FlatForest {
  const out = { nFeatures: f.nFeatures } as Record<string, unknown>;
  for (const a of ARRAYS) out[a.key] = f[a.key].slice();
  return out as unknown as FlatForest;
}

/** A node id local to some tree, and that tree. */
function someNode(f: FlatForest, rng: FuzzRng): { tree: number; base: number; size: number; local: number } {
  const trees = f.treeOffsets.length - 1;
  const tree = rng.int(trees);
  // an earlier mutation may have broken the offsets: stay inside the arrays (an offset of 2^32 - 1
  // made the parent search below walk 4 billion nodes)
  const n = f.feature.length;
  const base = Math.min(f.treeOffsets[tree] ?? 0, n - 1);
  const size = Math.max(1, Math.min((f.treeOffsets[tree + 1] ?? n) - base, n - base));
  return { tree, base, size, local: rng.int(size) };
}

// Mutations of the decoded arrays and header: the file is rewritten and resealed afterwards.
const STRUCTURAL: Record<string, (w: Working, rng: FuzzRng) => void> = {
  child(w, rng) {
    const f = w.forest;
    const { base, size, local } = someNode(f, rng);
    const side = rng.pick(['left', 'right'] as const);
    const parentOf = (() => {
      for (let i = 0; i < size; i++) if (f.left[base + i] === local || f.right[base + i] === local) return i;
      return 0;
    })();
    const other = side === 'left' ? f.right[base + local] : f.left[base + local];
    f[side][base + local] = rng.pick([
      local, // itself
      parentOf, // its parent: a cycle
      other, // the same node as the other child
      size, // one past the tree
      rng.int(Math.max(1, size)), // any node of the tree (often a DAG or backwards)
      rng.pick(HUGE_INTS),
    ]);
  },
  feature(w, rng) {
    const { base, local } = someNode(w.forest, rng);
    w.forest.feature[base + local] = rng.pick([-1, -2, w.forest.nFeatures, w.forest.nFeatures - 1, ...HUGE_INTS]);
  },
  leafToSplit(w, rng) {
    // a leaf that claims a feature but keeps its -1 children, or children that point anywhere
    const f = w.forest;
    const { base, size, local } = someNode(f, rng);
    f.feature[base + local] = rng.int(f.nFeatures);
    if (rng.next() < 0.5) {
      f.left[base + local] = rng.int(Math.max(1, size));
      f.right[base + local] = rng.int(Math.max(1, size));
    }
  },
  splitToLeaf(w, rng) {
    // a split made a leaf: its subtree stays in the arrays but no walk reaches it
    const f = w.forest;
    const { base, local } = someNode(f, rng);
    f.feature[base + local] = -1;
    f.left[base + local] = -1;
    f.right[base + local] = -1;
  },
  threshold(w, rng) {
    const { base, local } = someNode(w.forest, rng);
    w.forest.threshold[base + local] = rng.pick(BAD_DOUBLES);
  },
  value(w, rng) {
    const { base, local } = someNode(w.forest, rng);
    w.forest[rng.pick(['value', 'weightedN', 'impurity'] as const)][base + local] = rng.pick(BAD_DOUBLES);
  },
  nSamples(w, rng) {
    const { base, local } = someNode(w.forest, rng);
    w.forest.nSamples[base + local] = rng.pick(HUGE_INTS);
  },
  treeOffsets(w, rng) {
    const o = w.forest.treeOffsets;
    const t = rng.int(o.length);
    const n = w.forest.feature.length;
    o[t] = rng.pick([0, n, n + 1, n + 1000, o[Math.max(0, t - 1)], 0xffffffff, 0x80000000, rng.int(n + 1)]);
  },
  headerCount(w, rng) {
    const key = rng.pick(['n_trees', 'n_nodes', 'n_features']);
    w.header[key] = rng.pick(BAD_COUNTS);
  },
  nFeatures(w, rng) {
    // fewer or more features, the names kept consistent: splits on a feature beyond the count
    const n = Math.max(1, w.forest.nFeatures + rng.pick([-9, -3, -1, 1, 5]));
    w.forest.nFeatures = n;
    w.header.n_features = n;
    w.header.feature_names = Array.from({ length: n }, (_, j) => `f${j}`);
  },
  featureNames(w, rng) {
    // (an earlier mutation may have replaced the list already)
    const names = Array.isArray(w.header.feature_names) ? (w.header.feature_names as unknown[]) : ['x0'];
    w.header.feature_names = rng.pick<unknown>([names.slice(1), [...names, 'extra'], 'x0', null, names.map(() => 7)]);
  },
  dropNodes(w, rng) {
    // a consistent but shorter forest: the header and offsets say N - k nodes, the arrays hold them
    const f = w.forest;
    const n = f.feature.length;
    const keep = Math.max(1, n - 1 - rng.int(Math.max(1, Math.floor(n / 2))));
    for (const a of ARRAYS) if (a.key !== 'treeOffsets') (f as unknown as Record<string, unknown>)[a.key] = f[a.key].slice(0, keep);
    f.treeOffsets[f.treeOffsets.length - 1] = keep;
    w.header.n_nodes = keep;
  },
  dropTree(w, rng) {
    // the header claims one tree fewer or more than the offsets hold
    const t = w.forest.treeOffsets.length - 1;
    w.header.n_trees = Math.max(1, t + rng.pick([-1, 1]));
  },
  mismatchedLength(w, rng) {
    // one array longer or shorter than the header's n_nodes
    const f = w.forest as unknown as Record<string, Int32Array | Float64Array>;
    const a = rng.pick(ARRAYS.filter((x) => x.key !== 'treeOffsets'));
    const arr = f[a.key];
    const grown = new (arr.constructor as new (n: number) => Int32Array | Float64Array)(Math.max(0, arr.length + rng.pick([-1, 1, 3])));
    grown.set(arr.subarray(0, grown.length));
    f[a.key] = grown;
  },
};

// Mutations of the bytes themselves, resealed at the (possibly new) end.
const BYTES: Record<string, (buf: Buffer, rng: FuzzRng) => Buffer> = {
  truncate(buf, rng) {
    const cut = rng.pick([rng.int(PREFIX + CHECKSUM), rng.int(buf.length), buf.length - CHECKSUM - 1 - rng.int(16)]);
    return seal(Buffer.from(buf.subarray(0, Math.max(0, cut))));
  },
  extend(buf, rng) {
    return seal(Buffer.concat([buf, Buffer.alloc(1 + rng.int(64))]));
  },
  headerLength(buf, rng) {
    const b = Buffer.from(buf);
    b.writeUInt32LE(rng.pick([0, 1, 0xffffffff, 64 * 1024 * 1024 + 1, b.readUInt32LE(12) + rng.pick([-1, 1, 8])]) >>> 0, 12);
    return seal(b);
  },
  headerByte(buf, rng) {
    const b = Buffer.from(buf);
    const at = PREFIX + rng.int(b.readUInt32LE(12));
    b[at] = rng.pick([0, 0x22, 0x7b, 0x7d, 0xff, 0xc3, b[at] ^ (1 << rng.int(8))]);
    return seal(b);
  },
  version(buf, rng) {
    const b = Buffer.from(buf);
    b.writeUInt32LE(rng.pick([0, 2, 3, 0xffffffff]), 8);
    return seal(b);
  },
  arrayBytes(buf, rng) {
    // raw bit flips anywhere in the arrays (any element, any type)
    const b = Buffer.from(buf);
    const s = sections(b);
    const from = s.offsets.treeOffsets;
    for (let k = 1 + rng.int(4); k > 0; k--) {
      const at = from + rng.int(s.end - from);
      b[at] ^= 1 << rng.int(8);
    }
    return seal(b);
  },
};

export const MUTATIONS = [...Object.keys(STRUCTURAL), ...Object.keys(BYTES)];

// ---- format 2 ---------------------------------------------------------------------------------

interface V2Working {
  parts: V2Parts;
  nodes: number;
  features: number;
  featureBytes: number;
  /** doubles a leaf: the seed's n_classes for a classifier, else 1 */
  width: number;
  statsChecksum: 'valid' | 'wrong';
}

// (an earlier layoutGone may have replaced it: mutate a throwaway then)
const layoutOf = (w: V2Working): Record<string, unknown> => {
  const l = w.parts.header.layout;
  return typeof l === 'object' && l !== null ? (l as Record<string, unknown>) : {};
};
const bit = (b: Buffer, i: number) => (b[i >> 3] >> (i & 7)) & 1;
const flip = (b: Buffer, i: number) => {
  b[i >> 3] ^= 1 << (i & 7);
};

const V2: Record<string, (w: V2Working, rng: FuzzRng) => void> = {
  kindFlip(w, rng) {
    // one more or one fewer split than the header's n_leaves allows
    if (w.nodes > 0) flip(w.parts.kinds, rng.int(w.nodes));
  },
  kindSwap(w, rng) {
    // a split and a leaf trade places: the count holds, the shape (usually) is no full binary tree
    const ones: number[] = [];
    const zeros: number[] = [];
    for (let i = 0; i < w.nodes; i++) (bit(w.parts.kinds, i) ? ones : zeros).push(i);
    if (!ones.length || !zeros.length) return;
    flip(w.parts.kinds, rng.pick(ones));
    flip(w.parts.kinds, rng.pick(zeros));
  },
  kindPadding(w, rng) {
    const spare = w.parts.kinds.length * 8 - w.nodes;
    if (spare > 0) flip(w.parts.kinds, w.nodes + rng.int(spare));
  },
  treeSize(w, rng) {
    const b = w.parts.treeSizes;
    if (b.length < 4) return;
    const t = rng.int(b.length / 4);
    const size = b.readUInt32LE(4 * t);
    b.writeUInt32LE(rng.pick([0, size + 1, size + 2, Math.max(0, size - 2), w.nodes + 2, 0xffffffff, 0x80000001]) >>> 0, 4 * t);
  },
  treeSizeShift(w, rng) {
    // the sizes still add up to n_nodes, but the trees' borders move by two nodes
    const b = w.parts.treeSizes;
    const trees = b.length / 4;
    if (trees < 2) return;
    const t = rng.int(trees - 1);
    const d = rng.pick([2, -2]);
    const a = b.readUInt32LE(4 * t) + d;
    const c = b.readUInt32LE(4 * t + 4) - d;
    // (an earlier treeSize may have left 0xffffffff: no u32 past it)
    if (a < 1 || c < 1 || a > 0xffffffff || c > 0xffffffff) return;
    b.writeUInt32LE(a, 4 * t);
    b.writeUInt32LE(c, 4 * t + 4);
  },
  splitFeature(w, rng) {
    const fb = w.featureBytes;
    const n = w.parts.splitFeatures.length / fb;
    if (n < 1) return;
    const at = fb * rng.int(n);
    const max = fb === 1 ? 255 : fb === 2 ? 65535 : 0xffffffff;
    const v = rng.pick([w.features, w.features + 1, max, Math.min(max, w.features + 1000)]);
    if (fb === 1) w.parts.splitFeatures[at] = Math.min(255, v);
    else if (fb === 2) w.parts.splitFeatures.writeUInt16LE(Math.min(65535, v), at);
    else w.parts.splitFeatures.writeUInt32LE(v >>> 0, at);
  },
  rank(w, rng) {
    const spans = v2CodeSpans(w.parts, w.featureBytes).filter((c) => c.width < 8);
    if (!spans.length) return;
    const c = rng.pick(spans);
    const size = w.parts.tableSizes.readUInt32LE(4 * c.feature);
    const v = rng.pick([size, size + 1, c.width === 1 ? 255 : 65535]);
    if (c.width === 1) w.parts.codes[c.at] = Math.min(255, v);
    else w.parts.codes.writeUInt16LE(Math.min(65535, v), c.at);
  },
  rawThreshold(w, rng) {
    const spans = v2CodeSpans(w.parts, w.featureBytes).filter((c) => c.width === 8);
    if (spans.length) w.parts.codes.writeDoubleLE(rng.pick(BAD_DOUBLES), rng.pick(spans).at);
  },
  tableOrder(w, rng) {
    // two entries of a feature's table swapped, made equal, or NaN
    const t = w.parts.tables;
    const n = t.length / 8;
    if (n < 1) return;
    const i = rng.int(n);
    const how = rng.int(3);
    if (how === 0 && i + 1 < n) {
      const a = t.readDoubleLE(8 * i);
      t.writeDoubleLE(t.readDoubleLE(8 * i + 8), 8 * i);
      t.writeDoubleLE(a, 8 * i + 8);
    } else if (how === 1 && i + 1 < n) t.writeDoubleLE(t.readDoubleLE(8 * i), 8 * i + 8);
    else t.writeDoubleLE(rng.pick([NaN, Infinity, -Infinity]), 8 * i);
  },
  tableSize(w, rng) {
    const b = w.parts.tableSizes;
    if (b.length < 4) return;
    const j = rng.int(b.length / 4);
    const size = b.readUInt32LE(4 * j);
    const v = rng.pick([0, size + 1, Math.max(0, size - 1), 0xffffffff, 65537, 256, 257]) >>> 0;
    b.writeUInt32LE(v, 4 * j);
    // keeping the header's entry count in step pushes the damage further, to the codes
    const l = layoutOf(w);
    if (rng.next() < 0.5 && size !== 0xffffffff && v !== 0xffffffff) l.threshold_table_entries = (l.threshold_table_entries as number) - size + v;
  },
  leafValue(w, rng) {
    const n = w.parts.leaves.length / 8;
    if (n >= 1) w.parts.leaves.writeDoubleLE(rng.pick(BAD_DOUBLES), 8 * rng.int(n));
  },
  layoutCount(w, rng) {
    const l = layoutOf(w);
    const key = rng.pick(['n_leaves', 'feature_bytes', 'threshold_table_entries', 'threshold_code_bytes', 'stats', 'weighted_n']);
    if (key === 'stats') l.stats = rng.pick<unknown>([!l.stats, 1, null]);
    else if (key === 'weighted_n') l.weighted_n = rng.pick<unknown>([l.weighted_n === 'u32' ? 'f64' : 'u32', 'f32', null]);
    else l[key] = rng.pick<unknown>([(l[key] as number) + 1, (l[key] as number) - 1, (l[key] as number) + 8, ...BAD_COUNTS]);
  },
  layoutGone(w, rng) {
    w.parts.header.layout = rng.pick<unknown>([undefined, null, 7, [], {}]);
  },
  headerCount(w, rng) {
    const key = rng.pick(['n_trees', 'n_nodes', 'n_features']);
    const n = Number(w.parts.header[key]);
    w.parts.header[key] = rng.pick<unknown>([n + 1, n + 2, ...BAD_COUNTS]);
  },
  statsTruncate(w, rng) {
    const st = w.parts.stats;
    if (st) w.parts.stats = st.subarray(0, rng.int(st.length));
  },
  statsChecksum(w) {
    w.statsChecksum = 'wrong';
  },
  statsDropped(w) {
    // the header promises a stats section the file lacks, or lacks one the file has
    if (w.parts.stats) w.parts.stats = null;
    else w.parts.stats = Buffer.alloc(8 * w.nodes);
  },
  statsValues(w, rng) {
    const st = w.parts.stats;
    if (!st || st.length < 8) return;
    const at = 8 * rng.int(Math.floor(st.length / 8));
    if (rng.next() < 0.5) st.writeDoubleLE(rng.pick(BAD_DOUBLES), at);
    else st.writeUInt32LE(rng.pick([0xffffffff, 0x80000000]), at);
  },
  bodyBits(w, rng) {
    // raw bit flips in any section
    const part = rng.pick(['treeSizes', 'tableSizes', 'tables', 'kinds', 'splitFeatures', 'codes', 'leaves'] as const);
    const b = w.parts[part];
    for (let k = 1 + rng.int(3); k > 0 && b.length; k--) b[rng.int(b.length)] ^= 1 << rng.int(8);
  },
};

// A classifier's header and leaves (K class frequencies a leaf, K a split in the stats section):
// n_classes against the classes list and the leaf values, classes unsorted, repeated or of mixed
// kinds, the task changed or removed, non-finite or odd frequencies.
type Classes = (string | number | boolean | null)[];
const classesOf = (w: V2Working): Classes => (Array.isArray(w.parts.header.classes) ? (w.parts.header.classes as Classes).slice() : ['a', 'b']);
/** A label past the last one (sorted order kept): a number one more, a string with a suffix. */
const nextLabel = (c: Classes): string | number | boolean => {
  const last = c[c.length - 1];
  return typeof last === 'number' ? last + 1 : typeof last === 'string' ? `${last}~` : 'z';
};

const CLASSIFIER: Record<string, (w: V2Working, rng: FuzzRng) => void> = {
  nClasses(w, rng) {
    const k = Number(w.parts.header.n_classes);
    w.parts.header.n_classes = rng.pick<unknown>([k + 1, k - 1, 0, 1, 65537, 2.5, `${k}`, null, undefined, -k]);
  },
  classes(w, rng) {
    const c = classesOf(w);
    const how = rng.int(9);
    if (how === 0)
      c.reverse(); // unsorted
    else if (how === 1)
      c[1] = c[0]; // a duplicate
    else if (how === 2)
      c[rng.int(c.length)] = typeof c[0] === 'number' ? 'x' : 3; // mixed kinds
    else if (how === 3) c[rng.int(c.length)] = true;
    else if (how === 4)
      c[rng.int(c.length)] = null; // a missing label (or NaN, which JSON writes as null)
    else if (how === 5)
      c.pop(); // one fewer than n_classes
    else if (how === 6)
      c.push(nextLabel(c)); // one more
    else if (how === 7) c.splice(0, c.length);
    w.parts.header.classes = how === 8 ? rng.pick<unknown>([null, 'a,b', 2, { 0: 'a', 1: 'b' }, [c]]) : c;
  },
  classCount(w, rng) {
    // classes and n_classes agree on K ± 1; the leaf values may follow (K ± 1 a leaf) or not
    const c = classesOf(w);
    const grow = rng.next() < 0.5;
    if (grow) c.push(nextLabel(c));
    else c.pop();
    const k = c.length;
    w.parts.header.classes = c;
    w.parts.header.n_classes = k;
    if (rng.next() < 0.5 || w.width < 2) return;
    // rewrite the leaves K' values a leaf (a new class gets 0, or a value); the stats section would
    // need K' a split too: the header drops it or keeps the old one
    const old = w.width;
    const leaves = w.parts.leaves.length / 8 / old;
    const out = Buffer.alloc(8 * k * leaves);
    for (let i = 0; i < leaves; i++) for (let j = 0; j < k; j++) out.writeDoubleLE(j < old ? w.parts.leaves.readDoubleLE(8 * (i * old + j)) : rng.pick([0, 1, 0.5]), 8 * (i * k + j));
    w.parts.leaves = out;
    w.width = k;
    if (rng.next() < 0.5) {
      w.parts.stats = null;
      layoutOf(w).stats = false;
    }
  },
  leafFrequency(w, rng) {
    // one class frequency of one leaf: non-finite, negative, above 1, or zero (no sum is checked)
    const n = w.parts.leaves.length / 8;
    if (n >= 1) w.parts.leaves.writeDoubleLE(rng.pick([...BAD_DOUBLES, -0.5, 2, 0, 1]), 8 * rng.int(n));
  },
  task(w, rng) {
    const h = w.parts.header;
    const how = rng.int(5);
    if (how === 0) delete h.task;
    else if (how === 1) h.task = 'regression';
    else if (how === 2) h.task = rng.pick<unknown>(['Classification', 'classifier', null, 1, '']);
    else {
      // a regressor's header (no task, no n_classes, no classes): the leaves still hold K values each
      delete h.n_classes;
      delete h.classes;
      if (how === 3) delete h.task;
      else h.task = 'regression';
    }
  },
};

// the byte mutations that make sense whatever the format (arrayBytes aims at format 1's arrays)
const V2_BYTES = ['truncate', 'extend', 'headerLength', 'headerByte', 'version'];
export const V2_MUTATIONS = [...Object.keys(V2), ...V2_BYTES];
// a classifier seed draws its own mutations twice as often as any other
export const CLASSIFIER_MUTATIONS = [...V2_MUTATIONS, ...Object.keys(CLASSIFIER), ...Object.keys(CLASSIFIER)];

function mutateV2(seed: Buffer, rng: FuzzRng): { bytes: Buffer; applied: string[] } {
  const applied: string[] = [];
  const steps = 1 + (rng.next() < 0.3 ? rng.int(3) : 0);
  const s = v2Sections(seed);
  const parts = v2Parts(seed);
  parts.header = structuredClone(parts.header);
  const w: V2Working = { parts, nodes: s.nodes, features: s.features, featureBytes: s.layout.feature_bytes, width: s.width, statsChecksum: 'valid' };
  const byteOps: string[] = [];
  const names = s.header.task === 'classification' ? CLASSIFIER_MUTATIONS : V2_MUTATIONS;
  for (let i = 0; i < steps; i++) {
    const name = rng.pick(names);
    applied.push(name);
    try {
      if (name in V2) V2[name](w, rng);
      else if (name in CLASSIFIER) CLASSIFIER[name](w, rng);
      else byteOps.push(name);
    } catch {
      // an earlier mutation left values this one cannot write back (a Buffer range): the input
      // goes on with what was done so far, marked; the stream stays the same
      applied[applied.length - 1] = `${name} (failed)`;
    }
  }
  let bytes = writeV2(w.parts, w.statsChecksum);
  for (const name of byteOps) {
    try {
      bytes = BYTES[name](bytes, rng);
    } catch {
      // no layout left to aim at: skip
    }
  }
  return { bytes, applied };
}

/** One to three mutations of a valid seed file; returns the bytes and what was done. */
export function mutate(seed: Buffer, rng: FuzzRng): { bytes: Buffer; applied: string[] } {
  if (seed.readUInt32LE(8) === 2) return mutateV2(seed, rng);
  const applied: string[] = [];
  const steps = 1 + (rng.next() < 0.3 ? rng.int(3) : 0);
  const s = sections(seed);
  const w: Working = { header: structuredClone(s.header), forest: copyForest(rawForest(seed)) };
  let structural = false;
  const byteOps: string[] = [];
  for (let i = 0; i < steps; i++) {
    const name = rng.pick(MUTATIONS);
    applied.push(name);
    if (name in STRUCTURAL) {
      STRUCTURAL[name](w, rng);
      structural = true;
    } else byteOps.push(name);
  }
  let bytes = structural ? writeModel(w.header, w.forest) : Buffer.from(seed);
  // byte mutations come last, on the rewritten file
  for (const name of byteOps) {
    try {
      bytes = BYTES[name](bytes, rng);
    } catch {
      // an earlier mutation left no layout to aim at (truncated, header length damaged): skip
    }
  }
  return { bytes, applied };
}
