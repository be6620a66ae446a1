// Prediction from a validated forest. The flat arrays are repacked into 16-byte nodes in
// depth-first order, so a left child always follows its parent and needs no index: four nodes
// per cache line. A leaf points to itself and compares against NaN (always false, so it "goes
// right" to itself): a walk is then a fixed number of branch-free steps (the tree's depth), and
// several rows walk one tree side by side so their memory loads overlap. Rows are scored in
// blocks (parallel over blocks); every row sums its trees in index order, so results do not
// depend on block size or thread count.
#pragma once
#include <cstdint>
#include <vector>

#include "dataset.h"
#include "flat_tree.h"

namespace grove {

class Predictor {
 public:
  // Validates the forest first (throws std::invalid_argument).
  explicit Predictor(const FlatForestView& forest);
  // Trees the engine just grew: already valid.
  Predictor(const std::vector<FlatTree>& trees, int32_t n_features);

  int32_t n_features() const { return n_features_; }
  int32_t n_trees() const { return static_cast<int32_t>(roots_.size()); }

  // out[i] for every row of data; data.cols must equal n_features().
  void predict(const Dataset& data, double* out, int32_t threads) const;

  // Out-of-bag sums per row: only trees whose in-bag bit for the row is clear count (bits of
  // tree t start at inbag + t * words); count[i] says how many did.
  void predict_oob(const Dataset& data, const uint64_t* inbag, size_t words, double* sum, int32_t* count,
                   int32_t threads) const;

 private:
  struct Node {
    double threshold;  // NaN for a leaf
    int32_t feature;   // 0 for a leaf (any valid column: the NaN comparison decides)
    int32_t right;     // absolute id of the right child (a leaf: itself); the left child is id + 1
  };

  void pack_tree(const int32_t* feature, const int32_t* left, const int32_t* right, const double* threshold,
                 const double* value, int32_t size);

  template <bool kOob>
  void score_block(const Dataset& data, int64_t begin, int64_t end, const uint64_t* inbag, size_t words,
                   double* sum, int32_t* count) const;

  std::vector<Node> nodes_;
  std::vector<double> leaf_value_;  // by node id; meaningful for leaves
  std::vector<int32_t> roots_;
  std::vector<int32_t> depth_;      // steps that take any row of tree t to its leaf
  int32_t n_features_ = 0;
};

}  // namespace grove
