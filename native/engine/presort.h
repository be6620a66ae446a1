// Exact mode: every feature sorted once per dataset. rank[f][i] is row i's position in the
// order of feature f (ties broken by row index), order[f][r] the row at position r. Ranks are
// unique, so sorting a node's ranks gives one well-defined order in C++ and in the TS twin.
#pragma once
#include <cstdint>
#include <vector>

#include "dataset.h"

namespace grove {

struct SortedFeatures {
  std::vector<uint32_t> rank;   // column-major: rank[f * rows + i]
  std::vector<uint32_t> order;  // column-major: order[f * rows + r]
};

SortedFeatures presort_features(const Dataset& data, int32_t threads);

}  // namespace grove
