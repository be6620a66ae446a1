// Fitting a forest: bin or presort the data once, grow trees in parallel (tree t from its own
// random stream (seed, first_tree + t), so the result does not depend on the thread count).
// Out-of-bag rows go down each tree as it grows; their leaves are summed in tree order.
#pragma once
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <vector>

#include "dataset.h"
#include "flat_tree.h"
#include "params.h"
#include "predictor.h"

namespace grove {

struct FitResult {
  int32_t n_features = 0;
  // The trees in index order, concatenated (each tree was freed once copied, so the forest is
  // never held twice: peak memory).
  ConcatenatedForest forest;
  // The same trees packed for prediction, so predict after fit does not repack them.
  std::shared_ptr<const Predictor> predictor;
  // Per training row: the sum of the predictions of the trees that did not draw it, and how
  // many trees that was (a forest grown in steps adds them up). A classifier sums K class
  // frequencies per row (rows x K, row-major). Empty when bootstrap is off or OOB was not
  // requested.
  std::vector<double> oob_sum;
  std::vector<int32_t> oob_count;
};

// Concatenates the trees, freeing each once copied (on `threads` threads below 512 MB).
// fit_forest does it on its own thread, so the caller's (the Node main thread's) part is only
// to wrap the arrays. n_classes > 0: the trees hold K values and a class-weighted weight a node.
ConcatenatedForest concatenate(std::vector<FlatTree>& trees, int32_t threads, int32_t n_classes = 0);

// Shape checks: the sizes and indices the engine relies on to stay in bounds (rows, cols, and
// the parameters that size buffers or index features: n_estimators, first_tree, mtry,
// max_samples (the draw count), threads, max_bins, hist_min_rows, split_mode). Throws
// std::invalid_argument naming the bad one. Parameter values that only shape the trees
// (min_samples_*, max_depth, min_impurity_decrease) are checked once, in TypeScript
// (src/forest/params.ts); the engine stays in bounds whatever they are. Classification: the
// criterion matches n_classes (0 with squared error, 2..65,536 with Gini or entropy) and
// class_weight, when given, holds K positive finite weights.
void check_fit_shape(int64_t rows, int32_t cols, const ForestParams& params);

// A classifier's target: every y an integer class index in [0, n_classes). Throws
// std::invalid_argument naming the first bad row. Nothing to check for regression.
void check_fit_target(const double* y, int64_t rows, const ForestParams& params);

FitResult fit_forest(const Dataset& data, const ForestParams& params);

}  // namespace grove
