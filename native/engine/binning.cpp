#include "binning.h"

#include <algorithm>
#include <cstring>
#include <limits>

#include "parallel.h"

namespace grove {

namespace {

// Sorts doubles (no NaN) ascending by their bits: an LSD radix sort, 11 bits a pass, passes
// where every key has the same digit skipped. The order is std::sort's, in a fraction of the
// time on large columns (figures: bench/ENGINE.md).
void radix_sort(std::vector<double>& values) {
  const size_t n = values.size();
  if (n < 4096) {
    std::sort(values.begin(), values.end());
    return;
  }
  // monotone key: negative numbers have all bits flipped, the rest only the sign bit
  std::vector<uint64_t> keys(n), tmp(n);
  for (size_t i = 0; i < n; ++i) {
    uint64_t b;
    std::memcpy(&b, &values[i], 8);
    keys[i] = b ^ ((b >> 63) != 0 ? ~uint64_t{0} : uint64_t{1} << 63);
  }
  constexpr int kBits = 11;
  constexpr size_t kBuckets = size_t{1} << kBits;
  std::vector<size_t> count(kBuckets);
  for (int shift = 0; shift < 64; shift += kBits) {
    std::fill(count.begin(), count.end(), 0);
    for (size_t i = 0; i < n; ++i) ++count[(keys[i] >> shift) & (kBuckets - 1)];
    if (count[(keys[0] >> shift) & (kBuckets - 1)] == n) continue;
    size_t sum = 0;
    for (size_t& c : count) {
      const size_t here = c;
      c = sum;
      sum += here;
    }
    for (size_t i = 0; i < n; ++i) tmp[count[(keys[i] >> shift) & (kBuckets - 1)]++] = keys[i];
    keys.swap(tmp);
  }
  for (size_t i = 0; i < n; ++i) {
    const uint64_t k = keys[i];
    const uint64_t b = k ^ ((k >> 63) != 0 ? uint64_t{1} << 63 : ~uint64_t{0});
    std::memcpy(&values[i], &b, 8);
  }
}

}  // namespace

std::vector<double> quantile_edges(std::vector<double>& values, int32_t max_bins) {
  radix_sort(values);
  const uint64_t n = values.size();
  // distinct values and their counts
  std::vector<double> distinct;
  std::vector<uint64_t> count;
  for (uint64_t i = 0; i < n; ++i) {
    if (distinct.empty() || values[i] > distinct.back()) {
      distinct.push_back(values[i]);
      count.push_back(1);
    } else {
      ++count.back();
    }
  }
  std::vector<double> edges;
  const size_t m = distinct.size();
  if (m <= static_cast<size_t>(max_bins)) {
    for (size_t j = 0; j + 1 < m; ++j) edges.push_back(midpoint(distinct[j], distinct[j + 1]));
    return edges;
  }
  // Greedy equal-frequency cuts: an edge after distinct value j once the cumulative count
  // reaches the next multiple of n / max_bins (integer arithmetic, as in the TS twin).
  uint64_t cum = 0;
  uint64_t placed = 0;
  const uint64_t bins = static_cast<uint64_t>(max_bins);
  for (size_t j = 0; j + 1 < m; ++j) {
    cum += count[j];
    if (cum * bins >= (placed + 1) * n) {
      edges.push_back(midpoint(distinct[j], distinct[j + 1]));
      if (++placed == bins - 1) break;
    }
  }
  return edges;
}

BinnedFeatures bin_features(const Dataset& data, int32_t max_bins, int32_t threads) {
  BinnedFeatures b;
  b.cols = data.cols;
  b.codes.resize(static_cast<size_t>(data.rows) * data.cols);
  b.edges.resize(data.cols);
  parallel_for(data.cols, threads, [&](int64_t f) {
    const int32_t fi = static_cast<int32_t>(f);
    std::vector<double> values(data.rows);
    // + 0.0 turns -0 into +0, so both zeros are one value (as in the TS twin)
    for (int64_t i = 0; i < data.rows; ++i) values[i] = data.at(i, fi) + 0.0;
    b.edges[fi] = quantile_edges(values, max_bins);
  });
  // Coded by blocks of rows, not by feature: threads writing interleaved bytes of one row-major
  // array would share cache lines.
  constexpr int64_t kMaxBlock = 16384;
  const int64_t blocks = std::max<int64_t>(threads, (data.rows + kMaxBlock - 1) / kMaxBlock);
  const int64_t block_rows = (data.rows + blocks - 1) / blocks;  // every thread gets rows, even below kMaxBlock
  const size_t stride = static_cast<size_t>(data.cols);
  // Each feature's edges in a row of 256 padded with +infinity (edges are finite; the search
  // reads entries 0..254): the code of x, the number of edges below it (i.e. the first edge
  // >= x), is then 8 halvings without a branch (std::lower_bound's branches mispredicted on
  // random values).
  std::vector<double> padded(stride * 256, std::numeric_limits<double>::infinity());
  for (size_t f = 0; f < stride; ++f) std::copy(b.edges[f].begin(), b.edges[f].end(), padded.begin() + f * 256);
  parallel_for(blocks, threads, [&](int64_t block) {
    const int64_t end = std::min(data.rows, (block + 1) * block_rows);
    for (int64_t i = block * block_rows; i < end; ++i) {
      uint8_t* out = b.codes.data() + static_cast<size_t>(i) * stride;
      for (int32_t f = 0; f < data.cols; ++f) {
        const double* e = padded.data() + static_cast<size_t>(f) * 256;
        const double x = data.at(i, f);
        uint32_t pos = 0;
        for (uint32_t step = 128; step > 0; step >>= 1) pos += step & (0u - static_cast<uint32_t>(e[pos + step - 1] < x));
        out[f] = static_cast<uint8_t>(pos);
      }
    }
  });
  b.hist_offset.assign(data.cols + 1, 0);
  for (int32_t f = 0; f < data.cols; ++f) b.hist_offset[f + 1] = b.hist_offset[f] + b.n_bins(f);
  return b;
}

}  // namespace grove
