/**
 * grove's one seeded random stream, bit for bit the same as native/engine/rng.h: xoshiro128**
 * seeded from (seed, stream) through murmur3's fmix32. Only 32-bit operations (Math.imul), so
 * JavaScript numbers reproduce the C++ uint32 arithmetic exactly.
 *
 * Its users: the twin's trees (one stream per tree, as the native engine), data splits
 * (src/data/split.ts), the Friedman generator and the tuning samplers. A change here changes all
 * of them, so test/rng.test.ts pins its outputs to the C++ generator's.
 */
export function fmix32(x: number): number {
  x ^= x >>> 16;
  x = Math.imul(x, 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  x ^= x >>> 16;
  return x >>> 0;
}

export class Rng {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  /** The stream of tree `tree` in a forest seeded with `seed` (both uint32). */
  constructor(seed: number, tree: number) {
    const a = fmix32((seed ^ 0x243f6a88) >>> 0);
    const b = fmix32((tree ^ 0x85a308d3) >>> 0);
    const c = (a + Math.imul(b, 0x9e3779b1)) >>> 0;
    this.s0 = fmix32((c + Math.imul(1, 0x9e3779b9)) >>> 0);
    this.s1 = fmix32((c + Math.imul(2, 0x9e3779b9)) >>> 0);
    this.s2 = fmix32((c + Math.imul(3, 0x9e3779b9)) >>> 0);
    this.s3 = fmix32((c + Math.imul(4, 0x9e3779b9)) >>> 0);
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
  }

  next(): number {
    const s1 = this.s1;
    const r = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0;
    const t = s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return r;
  }

  /** floor(next() * n / 2^32) for 1 <= n < 2^32, computed exactly as the C++ 64-bit product. */
  below(n: number): number {
    const r = this.next();
    if (n <= 0x200000) return Math.floor((r * n) / 4294967296); // r * n < 2^53: exact
    const hi = r >>> 16;
    const lo = r & 0xffff;
    // floor((hi * 2^16 + lo) * n / 2^32) = floor((hi * n + floor(lo * n / 2^16)) / 2^16)
    return Math.floor((hi * n + Math.floor((lo * n) / 65536)) / 65536);
  }

  /** Uniform on [0, 1) with 53 random bits (for data generation, not used by the trees). */
  nextDouble(): number {
    const a = this.next() >>> 5;
    const b = this.next() >>> 6;
    return (a * 67108864 + b) / 9007199254740992;
  }

  /** Standard normal by Box-Muller (one value per call, for data generation). */
  nextNormal(): number {
    let u = this.nextDouble();
    while (u === 0) u = this.nextDouble();
    const v = this.nextDouble();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}
