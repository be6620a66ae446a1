import { Rng } from '../rng.js';

/**
 * A hypercube classification problem in the manner of Guyon's design for the NIPS 2003
 * feature-selection challenge (the idea behind scikit-learn's make_classification; this is our
 * own code): each class owns 2 clusters whose centres are distinct vertices of a hypercube with
 * side 2 * CLASS_SEP in the informative dimensions; a row is its centre plus a Gaussian point
 * stretched by a random matrix of its cluster. Then come linear combinations of the informative
 * features (redundant) and pure N(0, 1) noise features; 1% of the labels are redrawn at random.
 *
 * For k <= 128 classes: 8 informative + 4 redundant + 8 noise = 20 features (x0..x19); more
 * classes get more informative dimensions (enough vertices: ceil(log2(2k))). Labels are the
 * integers 0..k-1, drawn uniformly. Everything comes from one seeded stream (src/rng.ts), so the
 * same (rows, k, seed) gives the same data on every machine.
 */
export interface ClassificationData {
  featureNames: string[];
  /** Column-major, rows x cols: feature j is x.subarray(j * rows, (j + 1) * rows). */
  x: Float64Array;
  /** Class indices 0..k-1 as doubles (the labels are these integers). */
  y: Float64Array;
  rows: number;
  cols: number;
  k: number;
}

export const CLASSES_DEFAULT_ROWS = 1000;
export const CLASSES_DEFAULT_K = 2;
export const CLASSES_DEFAULT_SEED = 0;
export const CLASSES_MAX_K = 1000;

const CLUSTERS_PER_CLASS = 2;
const CLASS_SEP = 1.0;
const REDUNDANT = 4;
const NOISE = 8;
const FLIP = 0.01;

export function classificationData(rows: number, k = CLASSES_DEFAULT_K, seed = CLASSES_DEFAULT_SEED): ClassificationData {
  const rng = new Rng(seed >>> 0, 0x434c5353); // a stream of its own: "CLSS"
  const clusters = k * CLUSTERS_PER_CLASS;
  const d = Math.max(8, Math.ceil(Math.log2(clusters)));
  const cols = d + REDUNDANT + NOISE;

  // distinct vertices: the first `clusters` of a shuffled list of vertex numbers (bit j = sign of dimension j)
  const vertices = new Int32Array(2 ** d);
  for (let v = 0; v < vertices.length; v++) vertices[v] = v;
  for (let i = 0; i < clusters; i++) {
    const j = i + rng.below(vertices.length - i);
    const t = vertices[i];
    vertices[i] = vertices[j];
    vertices[j] = t;
  }
  const centre = new Float64Array(clusters * d);
  const stretch = new Float64Array(clusters * d * d); // per cluster, d x d row-major, uniform [-1, 1)
  for (let c = 0; c < clusters; c++) {
    for (let j = 0; j < d; j++) centre[c * d + j] = (vertices[c] >> j) & 1 ? CLASS_SEP : -CLASS_SEP;
    for (let e = 0; e < d * d; e++) stretch[c * d * d + e] = 2 * rng.nextDouble() - 1;
  }
  const mix = new Float64Array(d * REDUNDANT); // d x REDUNDANT, uniform [-1, 1)
  for (let e = 0; e < mix.length; e++) mix[e] = 2 * rng.nextDouble() - 1;

  // Box-Muller gives two normals per pair of uniforms: keep the second (Rng.nextNormal drops it)
  let spare = Number.NaN;
  const normal = (): number => {
    if (spare === spare) {
      const s = spare;
      spare = Number.NaN;
      return s;
    }
    let u = rng.nextDouble();
    while (u === 0) u = rng.nextDouble();
    const r = Math.sqrt(-2 * Math.log(u));
    const angle = 2 * Math.PI * rng.nextDouble();
    spare = r * Math.sin(angle);
    return r * Math.cos(angle);
  };
  const x = new Float64Array(rows * cols);
  const y = new Float64Array(rows);
  const z = new Float64Array(d);
  const p = new Float64Array(d);
  for (let i = 0; i < rows; i++) {
    const label = rng.below(k);
    const c = label * CLUSTERS_PER_CLASS + rng.below(CLUSTERS_PER_CLASS);
    for (let j = 0; j < d; j++) z[j] = normal();
    const a = c * d * d;
    for (let j = 0; j < d; j++) {
      // the point z times the cluster's matrix, plus its centre
      let s = centre[c * d + j];
      for (let t = 0; t < d; t++) s += z[t] * stretch[a + t * d + j];
      p[j] = s;
      x[j * rows + i] = s;
    }
    for (let r = 0; r < REDUNDANT; r++) {
      let s = 0;
      for (let j = 0; j < d; j++) s += p[j] * mix[j * REDUNDANT + r];
      x[(d + r) * rows + i] = s;
    }
    for (let q = 0; q < NOISE; q++) x[(d + REDUNDANT + q) * rows + i] = normal();
    y[i] = rng.nextDouble() < FLIP ? rng.below(k) : label;
  }
  return { featureNames: Array.from({ length: cols }, (_, j) => `x${j}`), x, y, rows, cols, k };
}
