// Histogram mode: each feature is binned once per dataset into <= max_bins quantile bins.
// Bin b of feature f holds the values x with edges[f][b-1] < x <= edges[f][b]; the last bin is
// open above. An edge is the midpoint of the two distinct values it separates, so a split
// "code <= b" is the same as "x <= edges[f][b]" on new data.
#pragma once
#include <cstdint>
#include <vector>

#include "dataset.h"

namespace grove {

struct BinnedFeatures {
  int32_t cols = 0;
  // row-major: codes[i * cols + f], so one row's codes share a cache line (a histogram reads
  // every feature of the rows it visits)
  std::vector<uint8_t> codes;
  std::vector<std::vector<double>> edges;   // edges[f].size() == n_bins(f) - 1
  std::vector<int32_t> hist_offset;         // feature f's histogram cells start here; size cols + 1

  int32_t n_bins(int32_t f) const { return static_cast<int32_t>(edges[f].size()) + 1; }
  int32_t total_bins() const { return hist_offset[cols]; }
};

// The midpoint threshold between two consecutive distinct values a < b (as scikit-learn):
// never equal to b, so "x <= t" separates them.
inline double midpoint(double a, double b) {
  double t = a / 2.0 + b / 2.0;
  if (t == b || !(t - t == 0.0)) t = a;
  return t;
}

// Quantile edges of one feature from its values (sorted in place).
std::vector<double> quantile_edges(std::vector<double>& values, int32_t max_bins);

BinnedFeatures bin_features(const Dataset& data, int32_t max_bins, int32_t threads);

}  // namespace grove
