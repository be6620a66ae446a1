// Prediction from a validated forest (a regressor's mean, or a classifier's K class probabilities
// per row: each the mean over the trees of the leaf's class frequency). The flat arrays are repacked in depth-first order, so a
// left child always follows its parent and needs no index. A leaf points to itself and never
// goes left: a walk is then a fixed number of branch-free steps (the depth by which 90% of the
// training rows reached their leaf; the rest finish one by one), and several rows walk one tree
// side by side so their memory loads overlap. Rows are scored in blocks
// (parallel over blocks); every row sums its trees in index order, so results do not depend on
// block size or thread count.
//
// Nodes are 8 bytes when every feature has at most 65,534 distinct thresholds in the forest
// (always so in histogram mode): a node holds the rank of its threshold among its feature's
// thresholds, and each block of rows is first turned into ranks (x <= t exactly when the rank of
// x, the number of thresholds below x, is at most t's). Otherwise 16-byte nodes compare doubles.
// Both reach the same leaves.
#pragma once
#include <cstdint>
#include <vector>

#include "dataset.h"
#include "flat_tree.h"

namespace grove {

class Predictor {
 public:
  // Validates the forest first (throws std::invalid_argument). Trees are packed on `threads`.
  explicit Predictor(const FlatForestView& forest, int32_t threads = 1);
  // Trees the engine just grew: already valid.
  Predictor(const std::vector<FlatTree>& trees, int32_t n_features, int32_t threads = 1, int32_t n_classes = 0);

  int32_t n_features() const { return n_features_; }
  int32_t n_trees() const { return static_cast<int32_t>(roots_.size()); }
  int32_t n_classes() const { return n_classes_; }
  // values per row: 1, or K for a classifier
  int32_t n_outputs() const { return static_cast<int32_t>(k_); }

  // out[i * n_outputs() + c] for every row of data; data.cols must equal n_features().
  void predict(const Dataset& data, double* out, int32_t threads) const;

 private:
  struct Node {
    double threshold;  // NaN for a leaf
    int32_t feature;   // 0 for a leaf (any valid column: the NaN comparison decides)
    int32_t right;     // absolute id of the right child (a leaf: itself); the left child is id + 1
  };
  // left when the row's rank for `feature` is below `below` (rank of the threshold + 1); 0 for a leaf
  struct RankNode {
    uint16_t feature;
    uint16_t below;
    int32_t right;
  };
  static constexpr uint16_t kNaNRank = 0xFFFF;  // NaN goes right, as NaN <= t is false

  // One tree's arrays, wherever they live.
  struct TreeView {
    const int32_t *feature, *left, *right;
    const double *threshold, *value;
    const int32_t* n_samples;  // training rows per node: how many rows reach each leaf depth
    int32_t size;
  };
  // Packs the trees in parallel: each tree's nodes and leaf values go to ranges known up front
  // (its node offset, its leaf offset), so the result is the same for any thread count.
  void pack(const std::vector<TreeView>& trees, int32_t threads);
  // The distinct thresholds of each feature (trees split over threads, then merged by feature);
  // then rank nodes if every feature's fit.
  void collect_thresholds(const std::vector<TreeView>& trees, int32_t threads);
  uint16_t rank_of(int32_t feature, double x) const;
  // the place of leaf `id` among the leaves: its values are leaf_values_[place * k_, + k_)
  size_t leaf_place(int64_t id) const;
  // adds leaf `id`'s value(s) to a row's sum(s)
  template <bool Classes>
  void add_leaf(int64_t id, double* sum) const;

  // Writes tree t's nodes from id `base` and its leaf values from `leaf_base`; is_leaf marks leaves.
  void pack_tree(const TreeView& tree, int32_t t, int32_t base, int32_t leaf_base, uint8_t* is_leaf);

  // sum is indexed by the row's place in the block (times k_)
  void score_block(const Dataset& data, int64_t begin, int64_t end, double* sum) const;
  template <bool Classes, typename NodeT, typename RowOf, typename GoesLeft>
  void walk_trees(const NodeT* nodes, int64_t begin, int64_t end, double* sum, RowOf row_of, GoesLeft goes_left) const;
  template <typename NodeT, typename RowOf, typename GoesLeft>
  void walk_all(const NodeT* nodes, int64_t begin, int64_t end, double* sum, RowOf row_of, GoesLeft goes_left) const;

  std::vector<Node> nodes_;                      // by node id, when ranks do not fit
  std::vector<RankNode> ranked_;                 // by node id, when every feature's thresholds fit
  std::vector<std::vector<double>> thresholds_;  // per feature, sorted, distinct; empty: double nodes
  // leaf values for leaves only (half the nodes; k_ values each): a bit per node says which are
  // leaves, and a count per 64 nodes finds a leaf's place
  std::vector<double> leaf_values_;
  std::vector<uint64_t> leaf_bits_;
  std::vector<uint32_t> leaves_before_;
  std::vector<int32_t> roots_;
  // steps by which most training rows reached their leaf: every lane takes these, then the few
  // rows still inside the tree finish one by one
  std::vector<int32_t> common_depth_;
  int32_t n_features_ = 0;
  int32_t n_classes_ = 0;
  size_t k_ = 1;
};

}  // namespace grove
