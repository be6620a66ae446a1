// Prediction from a validated forest: the flat arrays packed into one node struct per node for
// cache-friendly traversal. Rows are scored in blocks (parallel over blocks); within a row the
// trees are summed in order, so results do not depend on the thread count.
#pragma once
#include <cstdint>
#include <vector>

#include "dataset.h"
#include "flat_tree.h"

namespace grove {

class Predictor {
 public:
  // Validates the forest first (throws std::invalid_argument).
  explicit Predictor(const FlatForest& forest);

  int32_t n_features() const { return n_features_; }
  int32_t n_trees() const { return static_cast<int32_t>(roots_.size()); }

  // out[i] for every row of data; data.cols must equal n_features().
  void predict(const Dataset& data, double* out, int32_t threads) const;

 private:
  struct Node {
    double threshold_or_value;
    int32_t feature;  // -1 for a leaf
    int32_t left;     // absolute ids into nodes_
    int32_t right;
    int32_t pad;
  };
  std::vector<Node> nodes_;
  std::vector<int32_t> roots_;
  int32_t n_features_ = 0;
};

}  // namespace grove
