// A tree as parallel arrays indexed by node id. Root is node 0; nodes are numbered in
// depth-first order (left subtree first), so children always come after their parent.
//
//   feature[i]    split feature, or -1 for a leaf
//   threshold[i]  a row goes left when x[feature] <= threshold (0 for a leaf)
//   left[i]       left child id, or -1 for a leaf
//   right[i]      right child id, or -1 for a leaf
//   value[i]      weighted mean of the target over the node's in-bag rows (the prediction at a leaf);
//                 a classifier of K classes keeps K values per node, value[i * K + c]: the
//                 node's class-weighted frequency of class c
//   n_samples[i]  distinct in-bag rows in the node
//   weighted_n[i] in-bag weight (bootstrap draws) in the node; a classifier's is class-weighted
//   impurity[i]   weighted variance of the target in the node (a classifier: Gini or entropy),
//                 for importances
//
// A forest concatenates its trees' arrays; tree t owns nodes [offsets[t], offsets[t+1]) and
// its child ids are local to the tree. The same layout is used by the model file, the addon's
// typed arrays and the TS twin.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

namespace grove {

struct FlatTree {
  // weighted_n counts bootstrap draws, a whole number: 4 bytes a node while a forest is being
  // grown (the typed arrays and the model file hold it as a double). A classifier's weight is
  // class-weighted, not whole: it goes to weighted_w instead, and value holds K values a node.
  std::vector<int32_t> feature, left, right, n_samples, weighted_n;
  std::vector<double> threshold, value, impurity, weighted_w;

  int32_t size() const { return static_cast<int32_t>(feature.size()); }

  // n nodes; a classifier's (n_classes > 0) weights and n * n_classes values
  void reserve(size_t n, int32_t n_classes = 0) {
    for (auto* v : {&feature, &left, &right, &n_samples}) v->reserve(n);
    for (auto* v : {&threshold, &impurity}) v->reserve(n);
    if (n_classes > 0) {
      weighted_w.reserve(n);
      value.reserve(n * static_cast<size_t>(n_classes));
    } else {
      weighted_n.reserve(n);
      value.reserve(n);
    }
  }

  int32_t add_leaf(double v, int32_t n, double w, double imp) {
    feature.push_back(-1);
    left.push_back(-1);
    right.push_back(-1);
    n_samples.push_back(n);
    threshold.push_back(0.0);
    value.push_back(v);
    weighted_n.push_back(static_cast<int32_t>(w));
    impurity.push_back(imp);
    return size() - 1;
  }

  // A classifier's leaf: the caller appends its K values to `value`.
  int32_t add_class_leaf(int32_t n, double w, double imp) {
    feature.push_back(-1);
    left.push_back(-1);
    right.push_back(-1);
    n_samples.push_back(n);
    threshold.push_back(0.0);
    weighted_w.push_back(w);
    impurity.push_back(imp);
    return size() - 1;
  }

  // the node's weight, whichever array holds it
  double weight(int32_t i) const { return weighted_w.empty() ? weighted_n[i] : weighted_w[i]; }
};

// A forest's concatenated arrays, owned: what a fit hands over (the addon gives each array to
// JavaScript as is). Arrays are allocated uninitialised, so pages become resident only as trees
// are copied in and freed.
struct ConcatenatedForest {
  size_t n_trees = 0, n_nodes = 0;
  int32_t n_classes = 0;  // value holds n_nodes * max(1, n_classes) entries
  std::unique_ptr<uint32_t[]> offsets;  // n_trees + 1 entries
  std::unique_ptr<int32_t[]> feature, left, right, n_samples;
  std::unique_ptr<double[]> threshold, value, weighted_n, impurity;
};

// A forest's concatenated arrays owned by someone else (JavaScript typed arrays, a file):
// read-only, validated before use (validate.h).
struct FlatForestView {
  int32_t n_features = 0;
  int32_t n_classes = 0;  // 0: a regressor (one value a node); K: value holds n_nodes * K entries
  const uint32_t* offsets = nullptr;  // n_trees + 1 entries
  size_t n_offsets = 0;
  const int32_t *feature = nullptr, *left = nullptr, *right = nullptr, *n_samples = nullptr;
  const double *threshold = nullptr, *value = nullptr, *weighted_n = nullptr, *impurity = nullptr;
  size_t n_nodes = 0;

  int32_t n_trees() const { return static_cast<int32_t>(n_offsets) - 1; }
  size_t values_per_node() const { return n_classes > 0 ? static_cast<size_t>(n_classes) : 1; }
};

}  // namespace grove
