#include "validate.h"

#include "params.h"

#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

namespace grove {

namespace {
[[noreturn]] void fail(const std::string& what) { throw std::invalid_argument("invalid forest: " + what); }
std::string at(int32_t t, int64_t i) { return "tree " + std::to_string(t) + " node " + std::to_string(i) + ": "; }
}  // namespace

void validate_forest(const FlatForestView& f) {
  const size_t n = f.n_nodes;
  if (f.n_features < 1) fail("n_features must be >= 1");
  if (f.n_classes != 0 && (f.n_classes < 2 || f.n_classes > kMaxClasses)) {
    fail("n_classes must be 0 (a regressor) or in [2, " + std::to_string(kMaxClasses) + "], got " + std::to_string(f.n_classes));
  }
  const size_t k = f.values_per_node();
  if (f.n_offsets < 2) fail("a forest needs at least one tree");
  if (f.offsets[0] != 0) fail("tree offsets must start at 0");
  if (f.offsets[f.n_offsets - 1] != n) fail("tree offsets end at " + std::to_string(f.offsets[f.n_offsets - 1]) + ", not at the node count " + std::to_string(n));
  if (n > 0x7FFFFFFFu) fail("too many nodes");
  // every tree's range inside the arrays before any node is read: with offsets 0, 5, 2 over 2
  // nodes, tree 0 would otherwise be read up to node 4 before tree 1 showed the offsets decrease
  for (size_t t = 0; t + 1 < f.n_offsets; ++t) {
    if (f.offsets[t + 1] <= f.offsets[t]) fail("tree " + std::to_string(t) + " is empty or offsets decrease");
    if (f.offsets[t + 1] > n) fail("tree " + std::to_string(t) + " ends at node " + std::to_string(f.offsets[t + 1]) + ", past the node count " + std::to_string(n));
  }
  std::vector<uint8_t> parents;
  for (size_t t = 0; t + 1 < f.n_offsets; ++t) {
    const int32_t tree = static_cast<int32_t>(t);
    const int64_t base = f.offsets[t];
    const int64_t size = static_cast<int64_t>(f.offsets[t + 1]) - base;
    // every node but the root has exactly one parent: a node shared by two parents would make
    // the "tree" a DAG whose paths a walk could multiply exponentially
    parents.assign(static_cast<size_t>(size), 0);
    for (int64_t i = 0; i < size; ++i) {
      const size_t node = static_cast<size_t>(base + i);
      const int32_t feat = f.feature[node];
      if (feat == -1) {
        if (f.left[node] != -1 || f.right[node] != -1) fail(at(tree, i) + "a leaf has children");
        for (size_t c = 0; c < k; ++c) {
          if (!std::isfinite(f.value[node * k + c])) fail(at(tree, i) + "leaf value is not finite");
        }
      } else {
        if (feat < 0 || feat >= f.n_features) fail(at(tree, i) + "feature " + std::to_string(feat) + " out of range");
        // children come after their parent: this also rules out cycles
        if (f.left[node] <= i || f.left[node] >= size) fail(at(tree, i) + "left child " + std::to_string(f.left[node]) + " out of range");
        if (f.right[node] <= i || f.right[node] >= size) fail(at(tree, i) + "right child " + std::to_string(f.right[node]) + " out of range");
        if (f.left[node] == f.right[node]) fail(at(tree, i) + "both children are the same node");
        if (++parents[f.left[node]] > 1) fail(at(tree, f.left[node]) + "has more than one parent");
        if (++parents[f.right[node]] > 1) fail(at(tree, f.right[node]) + "has more than one parent");
        if (std::isnan(f.threshold[node])) fail(at(tree, i) + "threshold is NaN");
      }
    }
    // and every node but the root has one: a node no walk reaches is not part of a tree (the
    // predictor places leaf values by counting the leaves it reaches)
    for (int64_t i = 1; i < size; ++i) {
      if (parents[static_cast<size_t>(i)] == 0) fail(at(tree, i) + "no parent (unreachable)");
    }
  }
}

}  // namespace grove
