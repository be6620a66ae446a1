import { Rng } from '../rng.js';

/**
 * Friedman #1 (Friedman 1991, "Multivariate adaptive regression splines"): x0..x9 uniform on
 * [0, 1], y = 10 sin(pi x0 x1) + 20 (x2 - 0.5)^2 + 10 x3 + 5 x4 + noise * N(0, 1); x5..x9 are
 * pure noise. Generated from a seeded stream, so the same (rows, seed, noise) gives the same
 * data on every machine.
 */
export interface GeneratedData {
  featureNames: string[];
  /** Row-major, rows x 10. */
  x: Float64Array;
  y: Float64Array;
  rows: number;
  cols: number;
}

export function friedman1(rows: number, seed = 0, noise = 1.0): GeneratedData {
  const cols = 10;
  const rng = new Rng(seed >>> 0, 0x46524431); // a stream of its own: "FRD1"
  const x = new Float64Array(rows * cols);
  const y = new Float64Array(rows);
  for (let i = 0; i < rows; i++) {
    const o = i * cols;
    for (let j = 0; j < cols; j++) x[o + j] = rng.nextDouble();
    const signal = 10 * Math.sin(Math.PI * x[o] * x[o + 1]) + 20 * (x[o + 2] - 0.5) ** 2 + 10 * x[o + 3] + 5 * x[o + 4];
    y[i] = signal + noise * rng.nextNormal();
  }
  return { featureNames: Array.from({ length: cols }, (_, j) => `x${j}`), x, y, rows, cols };
}
