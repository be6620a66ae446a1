#include "presort.h"

#include <algorithm>
#include <numeric>

#include "parallel.h"

namespace grove {

SortedFeatures presort_features(const Dataset& data, int32_t threads) {
  SortedFeatures s;
  const size_t n = static_cast<size_t>(data.rows);
  s.rank.resize(n * data.cols);
  s.order.resize(n * data.cols);
  parallel_for(data.cols, threads, [&](int64_t f) {
    const int32_t fi = static_cast<int32_t>(f);
    uint32_t* order = s.order.data() + static_cast<size_t>(fi) * n;
    uint32_t* rank = s.rank.data() + static_cast<size_t>(fi) * n;
    std::iota(order, order + n, 0u);
    std::sort(order, order + n, [&](uint32_t a, uint32_t b) {
      const double xa = data.at(a, fi), xb = data.at(b, fi);
      return xa < xb || (xa == xb && a < b);
    });
    for (size_t r = 0; r < n; ++r) rank[order[r]] = static_cast<uint32_t>(r);
  });
  return s;
}

}  // namespace grove
