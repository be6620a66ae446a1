// src/rng.ts is the C++ generator (native/engine/rng.h) bit for bit: the twin's trees depend on
// it, and so do data splits, the Friedman generator and the tuning samplers. The C++ header is
// compiled here and both streams are compared over many seeds; a few outputs are also pinned, so
// that a change made for the engine's sake cannot silently move splits or TPE sequences.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Rng, fmix32 } from '../src/rng.js';
import { friedman1 } from '../src/data/friedman.js';

const ENGINE = resolve(import.meta.dirname, '../native/engine');

// Reads lines "seed stream n" and prints, per line, next() four times, then below(n) four times.
const PROGRAM = `
#include <cstdio>
#include "rng.h"
int main() {
  unsigned long long seed, stream, n;
  while (std::scanf("%llu %llu %llu", &seed, &stream, &n) == 3) {
    grove::Rng r(static_cast<uint32_t>(seed), static_cast<uint32_t>(stream));
    for (int i = 0; i < 4; ++i) std::printf("%u ", r.next());
    for (int i = 0; i < 4; ++i) std::printf("%u ", r.below(static_cast<uint32_t>(n)));
    std::printf("\\n");
  }
}
`;

function tsLine(seed: number, stream: number, n: number): string {
  const r = new Rng(seed, stream);
  const out: number[] = [];
  for (let i = 0; i < 4; i++) out.push(r.next());
  for (let i = 0; i < 4; i++) out.push(r.below(n));
  return out.join(' ');
}

const haveCompiler = spawnSync('g++', ['--version']).status === 0;

test('the TS stream equals the C++ stream for many seeds, streams and bounds', { skip: !haveCompiler && 'g++ is not installed' }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'grove-rng-'));
  try {
    writeFileSync(join(dir, 'rng.cpp'), PROGRAM);
    execFileSync('g++', ['-O2', '-std=c++17', '-I', ENGINE, join(dir, 'rng.cpp'), '-o', join(dir, 'rng')]);
    // seeds and streams at the edges of uint32 and spread between; bounds below and above 2^21
    // (where below() switches to its split product) up to 2^32 - 1
    const cases: [number, number, number][] = [];
    const edges = [0, 1, 2, 7, 42, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff];
    const bounds = [1, 2, 3, 10, 1000, 0x1fffff, 0x200000, 0x200001, 3_000_000, 1e9, 0xffffffff];
    let k = 0;
    for (const seed of edges) for (const stream of edges) cases.push([seed, stream, bounds[k++ % bounds.length]]);
    for (let i = 0; i < 300; i++) cases.push([fmix32(i), fmix32(i + 1000), 1 + (fmix32(i + 2000) % 0xfffffffe)]);
    const input = cases.map((c) => c.join(' ')).join('\n') + '\n';
    const cpp = execFileSync(join(dir, 'rng'), { input, encoding: 'utf8' }).trim().split('\n');
    assert.equal(cpp.length, cases.length);
    cases.forEach(([seed, stream, n], i) => {
      assert.equal(tsLine(seed, stream, n), cpp[i].trim(), `seed ${seed} stream ${stream} n ${n}`);
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the stream is pinned: known outputs of next, below, nextDouble and nextNormal', () => {
  // Taken from the C++ generator (next, below) and from this module (nextDouble, nextNormal,
  // which only TS has). A change here moves every tree, split and sampler sequence.
  assert.equal(tsLine(0, 0, 10), PINNED_0_0);
  assert.equal(tsLine(42, 7, 3_000_000), PINNED_42_7);
  const r = new Rng(123, 456);
  const doubles = [r.nextDouble(), r.nextDouble(), r.nextNormal(), r.nextNormal()];
  assert.deepEqual(doubles, PINNED_DOUBLES);
  const d = friedman1(3, 1);
  assert.deepEqual(Array.from(d.y), PINNED_FRIEDMAN_Y);
});

const PINNED_0_0 = '2245778238 2074727364 1497359723 2466702817 9 0 7 4';
const PINNED_42_7 = '4023409470 658696561 1931703101 3821947462 1199347 966962 895510 627548';
const PINNED_DOUBLES = [0.2692317014257126, 0.36489823198712024, -1.7976258977934676, -0.8140565510245904];
const PINNED_FRIEDMAN_Y = [16.29950556031227, 15.03597227973808, 10.888231632203892];
