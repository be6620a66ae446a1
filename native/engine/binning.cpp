#include "binning.h"

#include <algorithm>

#include "parallel.h"

namespace grove {

std::vector<double> quantile_edges(std::vector<double>& values, int32_t max_bins) {
  std::sort(values.begin(), values.end());
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
  b.rows = data.rows;
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
  parallel_for(blocks, threads, [&](int64_t block) {
    const int64_t end = std::min(data.rows, (block + 1) * block_rows);
    for (int64_t i = block * block_rows; i < end; ++i) {
      uint8_t* out = b.codes.data() + static_cast<size_t>(i) * stride;
      for (int32_t f = 0; f < data.cols; ++f) {
        const std::vector<double>& e = b.edges[f];
        // first edge >= x, i.e. the bin whose upper edge x does not exceed
        out[f] = static_cast<uint8_t>(std::lower_bound(e.begin(), e.end(), data.at(i, f)) - e.begin());
      }
    }
  });
  b.hist_offset.assign(data.cols + 1, 0);
  for (int32_t f = 0; f < data.cols; ++f) b.hist_offset[f + 1] = b.hist_offset[f] + b.n_bins(f);
  return b;
}

}  // namespace grove
