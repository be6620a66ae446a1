// Hyperparameters the engine receives, already resolved by the caller (TypeScript
// validates and resolves defaults, max_features -> mtry, and "auto" split mode).
#pragma once
#include <cstddef>
#include <cstdint>

namespace grove {

enum class SplitMode : int32_t { Exact = 0, Histogram = 1 };

// What a split minimises: squared error (regression) or, over n_classes classes, Gini or entropy.
enum class Criterion : int32_t { SquaredError = 0, Gini = 1, Entropy = 2 };

constexpr int32_t kMaxClasses = 65536;

struct ForestParams {
  int32_t n_estimators = 100;
  int32_t first_tree = 0;            // index of the first tree grown by this call (warm start)
  int32_t max_depth = -1;            // -1: unlimited
  int32_t min_samples_split = 2;     // distinct rows a node needs to be split
  int32_t min_samples_leaf = 1;      // distinct rows each child must keep
  int32_t mtry = 1;                  // non-constant features examined per node
  bool bootstrap = true;
  double max_samples = 1.0;          // bootstrap draws = max(1, floor(max_samples * n + 0.5))
  double min_impurity_decrease = 0.0;
  uint32_t seed = 0;
  int32_t threads = 1;
  SplitMode split_mode = SplitMode::Exact;
  int32_t max_bins = 256;            // histogram mode, <= 256 (codes are uint8)
  int32_t hist_min_rows = 512;       // histogram mode: smaller nodes sum their bins without a histogram
  bool compute_oob = true;
  Criterion criterion = Criterion::SquaredError;
  // 0 for regression; K in [2, kMaxClasses] for classification, where y holds class indices
  // 0..K-1 (as doubles) and every node keeps K values (its class frequencies)
  int32_t n_classes = 0;
  // K positive finite weights, or null (all 1); ignored with balanced_subsample. Not owned.
  const double* class_weight = nullptr;
  size_t class_weight_size = 0;
  // weights recomputed per tree from its bootstrap draws: D / (classes drawn * draws of the class)
  bool balanced_subsample = false;
  // Set to non-zero by another thread to stop the fit before its next tree (may be null).
  const volatile int32_t* cancel = nullptr;
};

}  // namespace grove
