// glog, the entropy criterion's natural log, is the same function in C++ (native/engine/criterion.h)
// and TS (src/forest/js/glog.ts): the header is compiled here and both are compared bit for bit
// on many values, as test/rng.test.ts does for the generator. Both are also close to the true
// logarithm (Math.log as the reference).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { glog } from '../../src/forest/js/glog.js';
import { Rng } from '../../src/rng.js';

const ENGINE = resolve(import.meta.dirname, '../../native/engine');

// Reads 64-bit patterns (hex), prints glog of each as a 64-bit pattern (hex), one a line.
const PROGRAM = `
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include "criterion.h"
int main() {
  uint64_t bits;
  while (std::scanf("%" SCNx64, &bits) == 1) {
    double x;
    std::memcpy(&x, &bits, sizeof x);
    const double r = grove::glog(x);
    std::memcpy(&bits, &r, sizeof bits);
    std::printf("%016" PRIx64 "\\n", bits);
  }
}
`;

const f64 = new Float64Array(1);
const u64 = new BigUint64Array(f64.buffer);

function bitsOf(x: number): string {
  f64[0] = x;
  return u64[0].toString(16).padStart(16, '0');
}

function fromBits(b: bigint): number {
  u64[0] = b;
  return f64[0];
}

const nextUp = (x: number): number => fromBits(BigInt('0x' + bitsOf(x)) + 1n);
const nextDown = (x: number): number => fromBits(BigInt('0x' + bitsOf(x)) - 1n);

/** ~12,000 positive normal doubles: what entropy takes (class frequencies in (0, 1]) and much wider. */
function values(): number[] {
  const rng = new Rng(2024, 1);
  // 1, powers of 2, and sqrt(2) (where m is halved), its neighbours and its halves
  const xs: number[] = [1, 0.5, 0.25, 2, Math.SQRT2, Math.SQRT1_2, nextUp(Math.SQRT2), nextDown(Math.SQRT2), nextUp(Math.SQRT1_2), nextDown(Math.SQRT1_2)];
  xs.push(2 ** -1022, 2 ** -1000, 2 ** 1023, Number.MAX_VALUE, Number.EPSILON, 1 - Number.EPSILON / 2, 1 + Number.EPSILON, 1e-300, 1e300);
  // class frequencies as nodes have them: a / b for small counts
  for (let b = 1; b <= 60; b++) for (let a = 1; a <= b; a++) xs.push(a / b);
  // uniform in (0, 1], close to 1 on both sides, and around sqrt(2) (where m is halved)
  for (let i = 0; i < 3000; i++) xs.push(1 - rng.nextDouble());
  for (let i = 0; i < 1500; i++) xs.push(1 + (rng.nextDouble() - 0.5) * 1e-6);
  for (let i = 0; i < 1000; i++) xs.push(Math.SQRT2 * (1 + (rng.nextDouble() - 0.5) * 1e-9) * 2 ** (rng.below(40) - 20));
  // log-uniform over the whole normal range, and random bit patterns of positive normal doubles
  for (let i = 0; i < 2000; i++) xs.push(2 ** (rng.nextDouble() * 2040 - 1020));
  for (let i = 0; i < 2000; i++) {
    const exponent = BigInt(1 + rng.below(2046));
    const mantissa = (BigInt(rng.next()) << 20n) | BigInt(rng.next() >>> 12);
    xs.push(fromBits((exponent << 52n) | mantissa));
  }
  return xs.filter((x) => x > 0 && Number.isFinite(x) && x >= 2 ** -1022);
}

/** The distance in ulps between a and b (adjacent doubles are 1 apart). */
function ulps(a: number, b: number): number {
  f64[0] = a;
  const ia = BigInt.asIntN(64, u64[0]);
  f64[0] = b;
  const ib = BigInt.asIntN(64, u64[0]);
  // map the sign-magnitude order onto integers
  const key = (i: bigint) => (i < 0n ? -(i & 0x7fffffffffffffffn) : i);
  const d = key(ia) - key(ib);
  return Number(d < 0n ? -d : d);
}

const haveCompiler = spawnSync('g++', ['--version']).status === 0;
const skip = haveCompiler ? false : 'g++ is not installed';

test('the TS glog equals the C++ glog bit for bit', { skip }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'grove-glog-'));
  try {
    writeFileSync(join(dir, 'glog.cpp'), PROGRAM);
    // the engine's floating-point flags (CMakeLists.txt): no FMA contraction, no fast-math
    execFileSync('g++', ['-O2', '-std=c++17', '-ffp-contract=off', '-I', ENGINE, join(dir, 'glog.cpp'), '-o', join(dir, 'glog')]);
    const xs = values();
    assert.ok(xs.length > 10_000, `${xs.length} values`);
    const input = xs.map(bitsOf).join('\n') + '\n';
    const cpp = execFileSync(join(dir, 'glog'), { input, encoding: 'utf8', maxBuffer: 1 << 24 })
      .trim()
      .split('\n');
    assert.equal(cpp.length, xs.length);
    xs.forEach((x, i) => {
      const ts = bitsOf(glog(x));
      if (ts !== cpp[i]) assert.fail(`glog(${x}) [${bitsOf(x)}]: TS ${glog(x)} (${ts}), C++ ${fromBits(BigInt('0x' + cpp[i]))} (${cpp[i]})`);
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('glog is within 3 ulp of Math.log, and within 1 ulp for nearly all values', () => {
  // The series is evaluated in doubles: s = (m - 1) / (m + 1) rounds, and e * ln2 + 2sq cancels
  // for m near 1/sqrt(2) with e = -1. Its worst error, against the exact logarithm, is about
  // 2.5 ulp (near x = 1 and x = 0.68); Math.log's own error adds up to half an ulp.
  const xs = values();
  let within1 = 0;
  let worst = 0;
  for (const x of xs) {
    const d = x === 1 ? (glog(x) === 0 ? 0 : Infinity) : ulps(glog(x), Math.log(x));
    if (d > worst) worst = d;
    if (d <= 1) within1++;
    assert.ok(d <= 3, `glog(${x}) = ${glog(x)}, Math.log ${Math.log(x)}: ${d} ulp apart`);
  }
  assert.ok(within1 / xs.length > 0.99, `only ${within1} of ${xs.length} within 1 ulp (worst ${worst})`);
  assert.equal(glog(1), 0);
  assert.equal(glog(2), Math.LN2);
  assert.equal(glog(0.5), -Math.LN2);
  // the built-in constants the twin uses are the doubles of the C++ literals 0.6931471805599453,
  // 1.4142135623730951 and 1.4426950408889634
  assert.equal(bitsOf(Math.LN2), '3fe62e42fefa39ef');
  assert.equal(bitsOf(Math.SQRT2), '3ff6a09e667f3bcd');
  assert.equal(bitsOf(Math.LOG2E), '3ff71547652b82fe');
});

test('glog rejects what it is not defined for: zero, negatives, subnormals, infinities, NaN', () => {
  for (const x of [0, -0, -1, 2 ** -1074, 2 ** -1023, Infinity, -Infinity, NaN]) {
    assert.throws(() => glog(x), RangeError, `glog(${x})`);
  }
});
