#include "predictor.h"

#include <algorithm>
#include <utility>
#include <stdexcept>
#include <string>

#include "parallel.h"
#include "validate.h"

namespace grove {

namespace {
constexpr int64_t kBlock = 2048;  // rows per block: a tree stays in cache across them
constexpr int kLanes = 8;         // rows walking one tree together
}  // namespace

Predictor::Predictor(const FlatForestView& f) {
  validate_forest(f);
  n_features_ = f.n_features;
  nodes_.reserve(f.n_nodes);
  for (int32_t t = 0; t < f.n_trees(); ++t) {
    const size_t base = f.offsets[t];
    const int32_t size = static_cast<int32_t>(f.offsets[t + 1] - base);
    pack_tree(f.feature + base, f.left + base, f.right + base, f.threshold + base, f.value + base, size);
  }
}

Predictor::Predictor(const std::vector<FlatTree>& trees, int32_t n_features) {
  n_features_ = n_features;
  size_t total = 0;
  for (const FlatTree& t : trees) total += t.feature.size();
  nodes_.reserve(total);
  for (const FlatTree& t : trees) {
    pack_tree(t.feature.data(), t.left.data(), t.right.data(), t.threshold.data(), t.value.data(), t.size());
  }
}

void Predictor::pack_tree(const int32_t* feature, const int32_t* left, const int32_t* right, const double* threshold,
                          const double* value, int32_t size) {
  // Depth-first, left first: whatever order the arrays used, left children end up adjacent.
  roots_.push_back(static_cast<int32_t>(nodes_.size()));
  std::vector<int32_t> stack(1, 0);
  std::vector<std::pair<int32_t, int32_t>> patch;  // (packed parent, local right child)
  std::vector<int32_t> packed_of(static_cast<size_t>(size), -1);
  while (!stack.empty()) {
    const int32_t local = stack.back();
    stack.pop_back();
    packed_of[local] = static_cast<int32_t>(nodes_.size());
    if (feature[local] < 0) {
      nodes_.push_back(Node{value[local], -1, -1});
    } else {
      patch.emplace_back(static_cast<int32_t>(nodes_.size()), right[local]);
      nodes_.push_back(Node{threshold[local], feature[local], -1});
      stack.push_back(right[local]);
      stack.push_back(left[local]);
    }
  }
  for (const auto& [parent, right_local] : patch) nodes_[parent].right = packed_of[right_local];
}

template <bool kOob>
void Predictor::score_block(const Dataset& data, int64_t begin, int64_t end, const uint64_t* inbag, size_t words,
                            double* sum, int32_t* count) const {
  const Node* nodes = nodes_.data();
  for (size_t t = 0; t < roots_.size(); ++t) {
    const Node* root = nodes + roots_[t];
    const uint64_t* bits = kOob ? inbag + words * t : nullptr;
    for (int64_t i0 = begin; i0 < end; i0 += kLanes) {
      const int lanes = static_cast<int>(std::min<int64_t>(kLanes, end - i0));
      const Node* at[kLanes];
      for (int k = 0; k < lanes; ++k) at[k] = root;
      // Advance every unfinished row one level per pass; the loads of different rows overlap.
      bool moving = true;
      while (moving) {
        moving = false;
        for (int k = 0; k < lanes; ++k) {
          const Node* n = at[k];
          if (n->feature >= 0) {
            const bool left = data.at(i0 + k, n->feature) <= n->threshold_or_value;
            at[k] = left ? n + 1 : nodes + n->right;
            moving = true;
          }
        }
      }
      for (int k = 0; k < lanes; ++k) {
        const int64_t i = i0 + k;
        if (kOob && (bits[i >> 6] & (uint64_t{1} << (i & 63)))) continue;
        sum[i - begin] += at[k]->threshold_or_value;
        if (kOob) ++count[i - begin];
      }
    }
  }
}

void Predictor::predict(const Dataset& data, double* out, int32_t threads) const {
  if (data.cols != n_features_) {
    throw std::invalid_argument("predict: the model has " + std::to_string(n_features_) + " features, the input has " +
                                std::to_string(data.cols));
  }
  const int64_t blocks = (data.rows + kBlock - 1) / kBlock;
  const double trees = static_cast<double>(roots_.size());
  // A single block stays on the calling thread: a team start costs more than it saves.
  parallel_for(blocks, blocks < 2 ? 1 : threads, [&](int64_t bi) {
    const int64_t begin = bi * kBlock;
    const int64_t end = std::min(data.rows, begin + kBlock);
    std::vector<double> sum(static_cast<size_t>(end - begin), 0.0);
    score_block<false>(data, begin, end, nullptr, 0, sum.data(), nullptr);
    for (int64_t i = begin; i < end; ++i) out[i] = sum[i - begin] / trees;
  });
}

void Predictor::predict_oob(const Dataset& data, const uint64_t* inbag, size_t words, double* sum, int32_t* count,
                            int32_t threads) const {
  const int64_t blocks = (data.rows + kBlock - 1) / kBlock;
  parallel_for(blocks, threads, [&](int64_t bi) {
    const int64_t begin = bi * kBlock;
    const int64_t end = std::min(data.rows, begin + kBlock);
    std::fill(sum + begin, sum + end, 0.0);
    std::fill(count + begin, count + end, 0);
    score_block<true>(data, begin, end, inbag, words, sum + begin, count + begin);
  });
}

}  // namespace grove
