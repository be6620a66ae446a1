// Per-tree random streams. xoshiro128** needs only 32-bit operations, so the pure-TS twin
// (src/rng.ts, which also drives data splits and the tuning samplers) reproduces it bit for bit with Math.imul.
#pragma once
#include <cstdint>

namespace grove {

inline uint32_t fmix32(uint32_t x) {
  x ^= x >> 16;
  x *= 0x85ebca6bu;
  x ^= x >> 13;
  x *= 0xc2b2ae35u;
  x ^= x >> 16;
  return x;
}

inline uint32_t rotl32(uint32_t x, int k) { return (x << k) | (x >> (32 - k)); }

class Rng {
 public:
  // The stream of tree `tree` in a forest seeded with `seed`: a function of (seed, tree) only.
  Rng(uint32_t seed, uint32_t tree) {
    uint32_t a = fmix32(seed ^ 0x243F6A88u);
    uint32_t b = fmix32(tree ^ 0x85A308D3u);
    uint32_t c = a + b * 0x9E3779B1u;
    for (uint32_t k = 0; k < 4; ++k) s_[k] = fmix32(c + (k + 1) * 0x9E3779B9u);
    if ((s_[0] | s_[1] | s_[2] | s_[3]) == 0) s_[0] = 1;
  }

  uint32_t next() {
    const uint32_t result = rotl32(s_[1] * 5u, 7) * 9u;
    const uint32_t t = s_[1] << 9;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl32(s_[3], 11);
    return result;
  }

  // floor(next() * n / 2^32): uniform enough for n << 2^32 and exact in the TS twin.
  uint32_t below(uint32_t n) { return static_cast<uint32_t>((static_cast<uint64_t>(next()) * n) >> 32); }

 private:
  uint32_t s_[4];
};

}  // namespace grove
