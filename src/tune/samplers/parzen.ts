/**
 * The two density estimators TPE needs (Bergstra et al. 2011, section 4): a mixture of
 * truncated Gaussians for a numeric dimension and smoothed category frequencies for a
 * categorical one. Both include a prior so an estimator fitted on one point still covers
 * the whole range.
 */
import type { Rng } from '../../rng.js';

const LOG_SQRT_2PI = 0.5 * Math.log(2 * Math.PI);

/** Standard normal CDF via erfc (Numerical Recipes' Chebyshev fit, |error| < 1.2e-7). */
export function normalCdf(z: number): number {
  const x = -z / Math.SQRT2;
  const t = 1 / (1 + 0.5 * Math.abs(x));
  const y =
    t *
    Math.exp(
      -x * x - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  const erfc = x >= 0 ? y : 2 - y;
  return 0.5 * erfc;
}

/** First index of sorted `xs` whose value is >= x (or > x when `strict`). */
function bound(xs: readonly number[], x: number, strict: boolean): number {
  let a = 0;
  let b = xs.length;
  while (a < b) {
    const m = (a + b) >> 1;
    if (xs[m] < x || (strict && xs[m] === x)) a = m + 1;
    else b = m;
  }
  return a;
}

/** A mixture of Gaussians truncated to [lo, hi]: one per observation plus a broad prior. */
export class NumericParzen {
  private readonly mus: number[] = [];
  private readonly sigmas: number[] = [];
  /** log of each component's mass inside [lo, hi], to renormalise the truncated kernels. */
  private readonly logMass: number[] = [];
  /** Per component: log weight - log(sigma sqrt(2 pi)) - log mass, the x-independent part. */
  private readonly offsets: number[];

  constructor(
    points: readonly number[],
    private readonly lo: number,
    private readonly hi: number,
  ) {
    const width = hi - lo;
    const prior = (lo + hi) / 2;
    // Each point's bandwidth is the larger gap to its nearest different neighbours (the prior's
    // centre and the bounds count as neighbours; repeated values, common for ints, share one),
    // clipped so that neither a crowd nor a lone point degenerates.
    const minSigma = width / Math.min(100, 1 + points.length);
    const values = [...points, prior].sort((a, b) => a - b);
    const below = (p: number) => {
      const i = bound(values, p, false) - 1;
      return i >= 0 ? values[i] : lo;
    };
    const above = (p: number) => {
      const i = bound(values, p, true);
      return i < values.length ? values[i] : hi;
    };
    const sigma = points.map((p) => Math.min(width, Math.max(minSigma, p - below(p), above(p) - p)));
    const add = (mu: number, s: number) => {
      this.mus.push(mu);
      this.sigmas.push(s);
      this.logMass.push(Math.log(Math.max(1e-300, normalCdf((hi - mu) / s) - normalCdf((lo - mu) / s))));
    };
    for (let j = 0; j < points.length; j++) add(points[j], sigma[j]);
    add(prior, width);
    const logW = -Math.log(this.mus.length); // the prior weighs as much as one observation
    this.offsets = this.mus.map((_, i) => logW - LOG_SQRT_2PI - Math.log(this.sigmas[i]) - this.logMass[i]);
  }

  logPdf(x: number): number {
    // Online log-sum-exp: one pass, no allocation (this runs candidates x observations times).
    let m = -Infinity;
    let sum = 0;
    for (let i = 0; i < this.mus.length; i++) {
      const z = (x - this.mus[i]) / this.sigmas[i];
      const t = this.offsets[i] - 0.5 * z * z;
      if (t <= m) sum += Math.exp(t - m);
      else {
        sum = sum * Math.exp(m - t) + 1;
        m = t;
      }
    }
    return m + Math.log(sum);
  }

  sample(rng: Rng): number {
    const i = Math.min(this.mus.length - 1, Math.floor(rng.nextDouble() * this.mus.length)); // equal weights
    const mu = this.mus[i];
    const sigma = this.sigmas[i];
    // Rejection: mu is inside [lo, hi] and sigma <= hi - lo, so a draw lands inside often.
    for (let tries = 0; tries < 64; tries++) {
      const x = mu + sigma * rng.nextNormal();
      if (x >= this.lo && x <= this.hi) return x;
    }
    return Math.min(this.hi, Math.max(this.lo, mu));
  }
}

/** Category frequencies with one pseudo-count per category (the uniform prior). */
export class CategoricalParzen {
  private readonly logP: number[];
  private readonly cumulative: number[];

  constructor(indices: readonly number[], categories: number) {
    const counts = new Array<number>(categories).fill(1);
    for (const i of indices) counts[i] += 1;
    const total = categories + indices.length;
    this.logP = counts.map((c) => Math.log(c / total));
    let acc = 0;
    this.cumulative = counts.map((c) => (acc += c / total));
  }

  logPdf(index: number): number {
    return this.logP[index];
  }

  sample(rng: Rng): number {
    const u = rng.nextDouble();
    const i = this.cumulative.findIndex((c) => u < c);
    return i === -1 ? this.cumulative.length - 1 : i;
  }
}
