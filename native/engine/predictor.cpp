#include "predictor.h"

#include <algorithm>
#include <stdexcept>

#include "parallel.h"
#include "validate.h"

namespace grove {

Predictor::Predictor(const FlatForest& f) {
  validate_forest(f);
  n_features_ = f.n_features;
  nodes_.resize(f.feature.size());
  for (int32_t t = 0; t < f.n_trees(); ++t) {
    const int32_t base = static_cast<int32_t>(f.offsets[t]);
    const int32_t end = static_cast<int32_t>(f.offsets[t + 1]);
    roots_.push_back(base);
    for (int32_t i = base; i < end; ++i) {
      Node& n = nodes_[i];
      n.feature = f.feature[i];
      n.pad = 0;
      if (n.feature < 0) {
        n.threshold_or_value = f.value[i];
        n.left = n.right = -1;
      } else {
        n.threshold_or_value = f.threshold[i];
        n.left = base + f.left[i];
        n.right = base + f.right[i];
      }
    }
  }
}

void Predictor::predict(const Dataset& data, double* out, int32_t threads) const {
  if (data.cols != n_features_) {
    throw std::invalid_argument("predict: the model has " + std::to_string(n_features_) +
                                " features, the input has " + std::to_string(data.cols));
  }
  // Tree-outer inside a block keeps each tree in cache across the block's rows; every row still
  // sums its trees in index order, so results do not depend on the block size or thread count.
  const int64_t block = 2048;
  const int64_t blocks = (data.rows + block - 1) / block;
  const Node* nodes = nodes_.data();
  const double trees = static_cast<double>(roots_.size());
  // A single block stays on the calling thread: a team start costs more than it saves.
  const int32_t team = blocks < 2 ? 1 : threads;
  parallel_for(blocks, team, [&](int64_t bi) {
    const int64_t begin = bi * block;
    const int64_t end = std::min(data.rows, begin + block);
    std::vector<double> acc(static_cast<size_t>(end - begin), 0.0);
    for (int32_t root : roots_) {
      for (int64_t i = begin; i < end; ++i) {
        const Node* n = nodes + root;
        while (n->feature >= 0) {
          n = nodes + (data.at(i, n->feature) <= n->threshold_or_value ? n->left : n->right);
        }
        acc[i - begin] += n->threshold_or_value;
      }
    }
    for (int64_t i = begin; i < end; ++i) out[i] = acc[i - begin] / trees;
  });
}

}  // namespace grove
