#include "forest.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "binning.h"
#include "parallel.h"
#include "predictor.h"
#include "presort.h"
#include "tree_builder.h"

namespace grove {

namespace {

void require(bool ok, const std::string& message) {
  if (!ok) throw std::invalid_argument(message);
}

std::string range(int64_t lo, int64_t hi) { return "[" + std::to_string(lo) + ", " + std::to_string(hi) + "]"; }

// a double as JavaScript would print it, near enough (std::to_string prints 1e-200 as 0.000000)
std::string number(double v) {
  if (v != v) return "NaN";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

}  // namespace

void check_fit_shape(int64_t rows, int32_t cols, const ForestParams& p) {
  require(rows >= 2, "fit needs at least 2 rows, got " + std::to_string(rows));
  require(rows < 0xFFFFFFFFll, "fit supports fewer than 2^32 - 1 rows");
  require(cols >= 1, "fit needs at least 1 feature");
  require(p.n_estimators >= 1 && p.n_estimators <= (1 << 24), "n_estimators must be an integer in " + range(1, 1 << 24));
  require(p.first_tree >= 0, "first_tree must be an integer >= 0");
  require(p.mtry >= 1 && p.mtry <= cols, "mtry must be an integer in " + range(1, cols));
  require(p.max_samples > 0.0 && p.max_samples <= 1.0, "max_samples must be in (0, 1]");
  require(p.threads >= 1 && p.threads <= 1024, "threads must be an integer in " + range(1, 1024));
  require(p.max_bins >= 2 && p.max_bins <= 256, "max_bins must be an integer in " + range(2, 256));
  require(p.hist_min_rows >= 1 && p.hist_min_rows <= (1 << 24), "hist_min_rows must be an integer in " + range(1, 1 << 24));
  require(p.split_mode == SplitMode::Exact || p.split_mode == SplitMode::Histogram, "unknown split mode");
  const bool classes = p.criterion == Criterion::Gini || p.criterion == Criterion::Entropy;
  require(classes || p.criterion == Criterion::SquaredError, "criterion must be 0 (squared_error), 1 (gini) or 2 (entropy)");
  if (!classes) {
    require(p.n_classes == 0, "n_classes must be 0 with criterion squared_error, got " + std::to_string(p.n_classes));
    require(p.class_weight == nullptr && !p.balanced_subsample, "class weights need a classification criterion (gini or entropy)");
    return;
  }
  require(p.n_classes >= 2 && p.n_classes <= kMaxClasses,
          "n_classes must be an integer in " + range(2, kMaxClasses) + " with criterion gini or entropy, got " + std::to_string(p.n_classes));
  if (p.class_weight != nullptr) {
    require(p.class_weight_size == static_cast<size_t>(p.n_classes),
            "class_weight has " + std::to_string(p.class_weight_size) + " weights, expected n_classes = " + std::to_string(p.n_classes));
    for (size_t c = 0; c < p.class_weight_size; ++c) {
      const double w = p.class_weight[c];
      // a weight's ratio to the others stays far from under- and overflow (class frequencies are
      // weight / sum of weights)
      require(w >= 1e-100 && w <= 1e100, "class_weight[" + std::to_string(c) + "] must be a finite number in [1e-100, 1e100], got " + number(w));
    }
  }
}

void check_fit_target(const double* y, int64_t rows, const ForestParams& p) {
  if (p.n_classes == 0) return;
  const double k = static_cast<double>(p.n_classes);
  for (int64_t i = 0; i < rows; ++i) {
    const double v = y[i];
    if (!(v >= 0.0 && v < k && v == static_cast<double>(static_cast<int64_t>(v)))) {
      throw std::invalid_argument("y at row " + std::to_string(i) + " is " + number(v) +
                                  ": a class index must be an integer in " + range(0, p.n_classes - 1));
    }
  }
}

ConcatenatedForest concatenate(std::vector<FlatTree>& trees, int32_t threads, int32_t n_classes) {
  ConcatenatedForest f;
  f.n_classes = n_classes;
  const size_t k = n_classes > 0 ? static_cast<size_t>(n_classes) : 1;
  const size_t n_trees = f.n_trees = trees.size();
  f.offsets.reset(new uint32_t[n_trees + 1]);
  size_t n = 0;
  f.offsets[0] = 0;
  for (size_t t = 0; t < n_trees; ++t) {
    n += static_cast<size_t>(trees[t].size());
    // node ids are int32 everywhere downstream (model file, predictor, validation)
    if (n > 0x7FFFFFFFu) throw std::invalid_argument("the forest has more than 2^31 - 1 nodes");
    f.offsets[t + 1] = static_cast<uint32_t>(n);
  }
  f.n_nodes = n;
  constexpr size_t kTrimBytes = size_t{64} << 20, kSerialBytes = size_t{512} << 20;
  const size_t bytes = n * (4 * sizeof(int32_t) + (3 + k) * sizeof(double));
  const bool big = bytes >= kTrimBytes;
  for (auto* a : {&f.feature, &f.left, &f.right, &f.n_samples}) a->reset(new int32_t[n]);
  for (auto* a : {&f.threshold, &f.weighted_n, &f.impurity}) a->reset(new double[n]);
  f.value.reset(new double[n * k]);
  // Copied by all threads, except a forest of 512 MB or more, one tree at a time: two threads
  // copying and freeing at once hold more memory at their peak, where peak RSS is a target, while
  // on small forests the serial copy costs fit time (figures: bench/ENGINE.md).
  parallel_for(static_cast<int64_t>(n_trees), bytes >= kSerialBytes ? 1 : threads, [&](int64_t ti) {
    const size_t t = static_cast<size_t>(ti);
    FlatTree& tree = trees[t];
    const size_t at = f.offsets[t];
    std::copy(tree.feature.begin(), tree.feature.end(), f.feature.get() + at);
    std::copy(tree.left.begin(), tree.left.end(), f.left.get() + at);
    std::copy(tree.right.begin(), tree.right.end(), f.right.get() + at);
    std::copy(tree.n_samples.begin(), tree.n_samples.end(), f.n_samples.get() + at);
    std::copy(tree.threshold.begin(), tree.threshold.end(), f.threshold.get() + at);
    std::copy(tree.value.begin(), tree.value.end(), f.value.get() + at * k);
    if (n_classes > 0) std::copy(tree.weighted_w.begin(), tree.weighted_w.end(), f.weighted_n.get() + at);
    else std::copy(tree.weighted_n.begin(), tree.weighted_n.end(), f.weighted_n.get() + at);
    std::copy(tree.impurity.begin(), tree.impurity.end(), f.impurity.get() + at);
    tree = FlatTree();
#ifdef __GLIBC__
    // Freed tree memory stays in malloc's heap unless trimmed: without this the process holds
    // the forest twice at its peak instead of once. Below kTrimBytes the trims cost more time
    // than the memory is worth (bench/ENGINE.md).
    if (big && t % 16 == 15) malloc_trim(0);
#endif
  });
#ifdef __GLIBC__
  if (big) malloc_trim(0);
#endif
  return f;
}

namespace {

// Grows the trees with one builder per thread slot, each tree's out-of-bag leaves handed to
// add_oob. The criterion is a template parameter: chosen once per fit, inlined in the scans.
template <typename Criterion, typename AddOob>
void grow_trees(const Dataset& data, const ForestParams& params, const BinnedFeatures& bins,
                const SortedFeatures& sorted, std::vector<FlatTree>& trees, bool oob, AddOob add_oob) {
  std::vector<std::unique_ptr<TreeBuilder<Criterion>>> builders(params.threads);
  parallel_for_slots(params.n_estimators, params.threads, [&](int64_t t, int32_t slot) {
    if (params.cancel != nullptr && *params.cancel != 0) throw std::runtime_error("fit cancelled");
    if (!builders[slot]) builders[slot] = std::make_unique<TreeBuilder<Criterion>>(data, params, &bins, &sorted);
    OobLeaves leaves;
    builders[slot]->build(static_cast<uint32_t>(params.first_tree + t), trees[t], oob ? &leaves : nullptr);
    if (oob) add_oob(t, std::move(leaves));
  });
}

}  // namespace

FitResult fit_forest(const Dataset& data, const ForestParams& params) {
  // The addon checks shapes on the JavaScript thread already; this repeats them (cheap) for any
  // other caller. Parameter values (min_samples_leaf, ...) are TypeScript's to check.
  if (data.x == nullptr || data.y == nullptr) throw std::invalid_argument("fit needs x and y");
  check_fit_shape(data.rows, data.cols, params);
  check_fit_target(data.y, data.rows, params);
  const int32_t threads = params.threads;
  BinnedFeatures bins;
  SortedFeatures sorted;
  if (params.split_mode == SplitMode::Histogram) bins = bin_features(data, params.max_bins, threads);
  else sorted = presort_features(data, threads);

  const int32_t n_trees = params.n_estimators;
  const bool oob = params.bootstrap && params.compute_oob;
  std::vector<FlatTree> trees(n_trees);

  // Out-of-bag sums: each tree's leaves for the rows it did not draw are added in tree order
  // (as a walk over the finished forest would), whatever order the trees finish in. A finished
  // tree waits here until the trees before it are added (usually a tree or two: trees of one
  // forest take similar times; ~8 bytes per out-of-bag row each). Its leaves' values are read
  // from the tree itself, finished and not touched again until concatenated.
  FitResult result;
  const size_t k = params.n_classes > 0 ? static_cast<size_t>(params.n_classes) : 1;
  if (oob) {
    result.oob_sum.assign(static_cast<size_t>(data.rows) * k, 0.0);
    result.oob_count.assign(static_cast<size_t>(data.rows), 0);
  }
  std::mutex oob_lock;
  std::map<int64_t, OobLeaves> waiting;
  int64_t next_oob = 0;
  const auto add_oob = [&](int64_t t, OobLeaves&& leaves) {
    std::lock_guard<std::mutex> g(oob_lock);
    waiting.emplace(t, std::move(leaves));
    for (auto it = waiting.find(next_oob); it != waiting.end(); it = waiting.find(next_oob)) {
      const OobLeaves& l = it->second;
      const double* value = trees[static_cast<size_t>(it->first)].value.data();
      if (k == 1) {
        for (size_t i = 0; i < l.rows.size(); ++i) {
          result.oob_sum[l.rows[i]] += value[l.leaves[i]];
          ++result.oob_count[l.rows[i]];
        }
      } else {
        for (size_t i = 0; i < l.rows.size(); ++i) {
          double* sum = result.oob_sum.data() + static_cast<size_t>(l.rows[i]) * k;
          const double* leaf = value + static_cast<size_t>(l.leaves[i]) * k;
          for (size_t c = 0; c < k; ++c) sum[c] += leaf[c];
          ++result.oob_count[l.rows[i]];
        }
      }
      waiting.erase(it);
      ++next_oob;
    }
  };

  switch (params.criterion) {
    case Criterion::Gini:
      grow_trees<Gini>(data, params, bins, sorted, trees, oob, add_oob);
      break;
    case Criterion::Entropy:
      grow_trees<Entropy>(data, params, bins, sorted, trees, oob, add_oob);
      break;
    default:
      grow_trees<SquaredError>(data, params, bins, sorted, trees, oob, add_oob);
  }
#ifdef __GLIBC__
  // the builders' row buffers (~100 bytes a row each) go back to the system before the
  // predictor and the concatenated forest are allocated, instead of adding to the peak
  if (data.rows >= (int64_t{1} << 18)) malloc_trim(0);
#endif

  result.n_features = data.cols;
  result.predictor = std::make_shared<const Predictor>(trees, data.cols, threads, params.n_classes);
  result.forest = concatenate(trees, threads, params.n_classes);
  return result;
}

}  // namespace grove
