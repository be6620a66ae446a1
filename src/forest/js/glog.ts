/**
 * grove's own natural logarithm, the mirror of `glog` in native/engine/criterion.h: the entropy
 * criterion needs the same doubles on both engines, and Math.log (V8) and std::log (glibc) may
 * differ by an ulp. Both are this sequence of IEEE operations, so both round the same way.
 *
 * x = m * 2^e with m in [1, 2), moved to [sqrt(2)/2, sqrt(2)] (m / 2 and e + 1, exact); then
 * log(m) = 2 * atanh(s) with s = (m - 1) / (m + 1), |s| <= 0.1716, as the odd series
 * 2 * s * (1 + z/3 + z^2/5 + ... + z^11/23), z = s * s, in Horner form; plus e * ln 2.
 * Within 2 ulp of the true logarithm (a test checks it against Math.log and the C++ header
 * bit for bit). x must be a positive, finite, normal double (entropy only takes logs of
 * probabilities in (0, 1]).
 */

// the doubles the C++ writes as 0.6931471805599453 and 1.4142135623730951 (a test checks)
const LN2 = Math.LN2;
const SQRT2 = Math.SQRT2;

// the series' coefficients 1/(2j+1), each computed by division (as the C++ writes 1.0 / 23.0)
const C23 = 1 / 23;
const C21 = 1 / 21;
const C19 = 1 / 19;
const C17 = 1 / 17;
const C15 = 1 / 15;
const C13 = 1 / 13;
const C11 = 1 / 11;
const C9 = 1 / 9;
const C7 = 1 / 7;
const C5 = 1 / 5;
const C3 = 1 / 3;

// one scratch double seen as two 32-bit words; HI is the word holding sign and exponent
const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);
const HI = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 1 : 0;

export function glog(x: number): number {
  f64[0] = x;
  const hi = u32[HI];
  const biased = (hi >>> 20) & 0x7ff;
  if (!(x > 0) || biased === 0 || biased === 0x7ff) throw new RangeError(`glog: ${x} is not a positive, finite, normal double`);
  let e = biased - 1023;
  u32[HI] = (hi & 0x800fffff) | 0x3ff00000; // exponent bits set to 1023: m in [1, 2)
  let m = f64[0];
  if (m > SQRT2) {
    m = m / 2;
    e = e + 1;
  }
  const s = (m - 1) / (m + 1);
  const z = s * s;
  let q = C23;
  q = q * z + C21;
  q = q * z + C19;
  q = q * z + C17;
  q = q * z + C15;
  q = q * z + C13;
  q = q * z + C11;
  q = q * z + C9;
  q = q * z + C7;
  q = q * z + C5;
  q = q * z + C3;
  q = q * z + 1;
  return e * LN2 + 2 * s * q;
}
