#include "predictor.h"

#include <algorithm>
#include <bitset>
#include <limits>
#include <utility>
#include <stdexcept>
#include <string>

#include "parallel.h"
#include "validate.h"

namespace grove {

namespace {
// Rows per block: each thread takes one block of up to kMaxBlock rows and walks every tree over
// it, so a tree comes from memory once per block rather than once per 2,048 rows (at 1M rows a
// tree is megabytes: predicting 200k rows took 2.1 s in blocks of 2,048, 1.2 s in one block a
// thread). The caps bound a block's ranks (2 bytes a value, at most 8 MB) and row list.
constexpr int64_t kBlock = 2048;
constexpr int64_t kMaxBlock = int64_t{1} << 18;
constexpr int64_t kMaxBlockRankBytes = int64_t{8} << 20;

int64_t block_rows(int64_t rows, int32_t threads, int32_t cols) {
  const int64_t per_thread = (rows + threads - 1) / std::max(1, threads);
  const int64_t cap = std::max(kBlock, std::min(kMaxBlock, kMaxBlockRankBytes / (2 * std::max(1, cols))));
  return std::min(cap, std::max(kBlock, per_thread));
}
constexpr int kLanes = 8;         // rows walking one tree together
}  // namespace

Predictor::Predictor(const FlatForestView& f) {
  validate_forest(f);
  n_features_ = f.n_features;
  for (int32_t t = 0; t < f.n_trees(); ++t) {
    const size_t base = f.offsets[t];
    collect_thresholds(f.feature + base, f.threshold + base, static_cast<int32_t>(f.offsets[t + 1] - base));
  }
  choose_nodes(f.n_nodes);
  for (int32_t t = 0; t < f.n_trees(); ++t) {
    const size_t base = f.offsets[t];
    const int32_t size = static_cast<int32_t>(f.offsets[t + 1] - base);
    pack_tree(f.feature + base, f.left + base, f.right + base, f.threshold + base, f.value + base, size);
  }
}

Predictor::Predictor(const std::vector<FlatTree>& trees, int32_t n_features) {
  n_features_ = n_features;
  size_t total = 0;
  for (const FlatTree& t : trees) {
    total += t.feature.size();
    collect_thresholds(t.feature.data(), t.threshold.data(), t.size());
  }
  choose_nodes(total);
  for (const FlatTree& t : trees) {
    pack_tree(t.feature.data(), t.left.data(), t.right.data(), t.threshold.data(), t.value.data(), t.size());
  }
}

void Predictor::collect_thresholds(const int32_t* feature, const double* threshold, int32_t size) {
  if (thresholds_.empty()) thresholds_.assign(static_cast<size_t>(n_features_), {});
  for (int32_t i = 0; i < size; ++i) {
    if (feature[i] < 0) continue;
    std::vector<double>& t = thresholds_[static_cast<size_t>(feature[i])];
    t.push_back(threshold[i]);
    // keep each list near its distinct size (histogram mode: at most 255 per feature)
    if (t.size() >= 4096 && (t.size() & (t.size() - 1)) == 0) {
      std::sort(t.begin(), t.end());
      t.erase(std::unique(t.begin(), t.end()), t.end());
    }
  }
}

void Predictor::choose_nodes(size_t n_nodes) {
  bool fits = n_features_ <= 0xFFFF && !thresholds_.empty();
  for (auto& t : thresholds_) {
    std::sort(t.begin(), t.end());
    t.erase(std::unique(t.begin(), t.end()), t.end());
    t.shrink_to_fit();
    if (t.size() >= kNaNRank) fits = false;  // ranks would not fit in 16 bits: double nodes
  }
  if (!fits) std::vector<std::vector<double>>().swap(thresholds_);
  if (fits) ranked_.reserve(n_nodes);
  else nodes_.reserve(n_nodes);
  leaf_bits_.reserve((n_nodes + 63) / 64);
}

void Predictor::mark_leaf(int32_t id, double value) {
  const size_t word = static_cast<size_t>(id) >> 6;
  while (leaf_bits_.size() <= word) {
    leaves_before_.push_back(static_cast<uint32_t>(leaf_values_.size()));
    leaf_bits_.push_back(0);
  }
  leaf_bits_[word] |= uint64_t{1} << (id & 63);
  leaf_values_.push_back(value);
}

double Predictor::leaf_value(int64_t id) const {
  // node ids are dense and leaves are numbered in id order: the leaves before `id` in its
  // 64-node word, plus those before the word
  const size_t word = static_cast<size_t>(id) >> 6;
  const uint64_t below = leaf_bits_[word] & ((uint64_t{1} << (id & 63)) - 1);
  return leaf_values_[leaves_before_[word] + static_cast<uint32_t>(std::bitset<64>(below).count())];
}

uint16_t Predictor::rank_of(int32_t feature, double x) const {
  if (x != x) return kNaNRank;
  const std::vector<double>& t = thresholds_[static_cast<size_t>(feature)];
  return static_cast<uint16_t>(std::lower_bound(t.begin(), t.end(), x) - t.begin());
}

void Predictor::pack_tree(const int32_t* feature, const int32_t* left, const int32_t* right, const double* threshold,
                          const double* value, int32_t size) {
  // Depth-first, left first: whatever order the arrays used, left children end up adjacent.
  constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
  const bool ranks = !thresholds_.empty();
  const auto count = [&] { return static_cast<int32_t>(ranks ? ranked_.size() : nodes_.size()); };
  roots_.push_back(count());
  std::vector<std::pair<int32_t, int32_t>> stack(1, {0, 0});  // (local id, depth)
  std::vector<std::pair<int32_t, int32_t>> patch;              // (packed parent, local right child)
  std::vector<int32_t> packed_of(static_cast<size_t>(size), -1);
  int32_t depth = 0;
  while (!stack.empty()) {
    const auto [local, d] = stack.back();
    stack.pop_back();
    const int32_t id = count();
    packed_of[local] = id;
    if (feature[local] < 0) {
      if (ranks) ranked_.push_back(RankNode{0, 0, id});
      else nodes_.push_back(Node{kNaN, 0, id});
      mark_leaf(id, value[local]);
      depth = std::max(depth, d);
    } else {
      patch.emplace_back(id, right[local]);
      if (ranks) {
        const std::vector<double>& t = thresholds_[static_cast<size_t>(feature[local])];
        const auto rank = std::lower_bound(t.begin(), t.end(), threshold[local]) - t.begin();
        ranked_.push_back(RankNode{static_cast<uint16_t>(feature[local]), static_cast<uint16_t>(rank + 1), -1});
      } else {
        nodes_.push_back(Node{threshold[local], feature[local], -1});
      }
      stack.emplace_back(right[local], d + 1);
      stack.emplace_back(left[local], d + 1);
    }
  }
  for (const auto& [parent, right_local] : patch) {
    if (ranks) ranked_[parent].right = packed_of[right_local];
    else nodes_[parent].right = packed_of[right_local];
  }
  depth_.push_back(depth);
}

// Every tree over one block's rows: kLanes rows walk a tree side by side for the tree's depth in
// steps (leaves point at themselves), then each adds its leaf value. `row_of` turns a row of the
// block into what `goes_left` reads (a row index, or a pointer to the row's ranks).
template <bool kOob, typename NodeT, typename RowOf, typename GoesLeft>
void Predictor::walk_trees(const NodeT* nodes, int64_t begin, int64_t end, const uint64_t* inbag, size_t words,
                           double* sum, int32_t* count, RowOf row_of, GoesLeft goes_left) const {
  using RowView = decltype(row_of(int64_t{0}));
  // the rows this tree scores, relative to the block: all of it, or (OOB) those it did not draw
  std::vector<int64_t> rows(static_cast<size_t>(end - begin));
  for (size_t t = 0; t < roots_.size(); ++t) {
    const NodeT* root = nodes + roots_[t];
    const int32_t depth = depth_[t];
    size_t m = 0;
    if (kOob) {
      const uint64_t* bits = inbag + words * t;
      for (int64_t i = begin; i < end; ++i) {
        if (!(bits[i >> 6] & (uint64_t{1} << (i & 63)))) rows[m++] = i - begin;
      }
    } else {
      for (int64_t i = begin; i < end; ++i) rows[m++] = i - begin;
    }
    size_t r = 0;
    for (; r + kLanes <= m; r += kLanes) {
      const NodeT* at[kLanes];
      RowView view[kLanes];
      for (int k = 0; k < kLanes; ++k) {
        at[k] = root;
        view[k] = row_of(rows[r + k]);
      }
      for (int32_t s = 0; s < depth; ++s) {
        for (int k = 0; k < kLanes; ++k) {
          const NodeT* n = at[k];
          at[k] = goes_left(view[k], n) ? n + 1 : nodes + n->right;
        }
      }
      for (int k = 0; k < kLanes; ++k) {
        sum[rows[r + k]] += leaf_value(at[k] - nodes);
        if (kOob) ++count[rows[r + k]];
      }
    }
    for (; r < m; ++r) {  // the last rows, one at a time
      const NodeT* n = root;
      const RowView view = row_of(rows[r]);
      for (int32_t s = 0; s < depth; ++s) n = goes_left(view, n) ? n + 1 : nodes + n->right;
      sum[rows[r]] += leaf_value(n - nodes);
      if (kOob) ++count[rows[r]];
    }
  }
}

template <bool kOob>
void Predictor::score_block(const Dataset& data, int64_t begin, int64_t end, const uint64_t* inbag, size_t words,
                            double* sum, int32_t* count) const {
  if (ranked_.empty()) {
    walk_trees<kOob>(
        nodes_.data(), begin, end, inbag, words, sum, count, [begin](int64_t local) { return begin + local; },
        [&data](int64_t row, const Node* n) { return data.at(row, n->feature) <= n->threshold; });
    return;
  }
  const int64_t p = n_features_;
  // the block's rows as ranks, row-major: a row's ranks share a cache line or two
  std::vector<uint16_t> ranks(static_cast<size_t>((end - begin) * p));
  for (int64_t i = begin; i < end; ++i) {
    for (int32_t j = 0; j < n_features_; ++j) ranks[static_cast<size_t>((i - begin) * p + j)] = rank_of(j, data.at(i, j));
  }
  const uint16_t* base = ranks.data();
  walk_trees<kOob>(
      ranked_.data(), begin, end, inbag, words, sum, count, [base, p](int64_t local) { return base + local * p; },
      [](const uint16_t* row_ranks, const RankNode* n) { return row_ranks[n->feature] < n->below; });
}

void Predictor::predict(const Dataset& data, double* out, int32_t threads) const {
  if (data.cols != n_features_) {
    throw std::invalid_argument("predict: the model has " + std::to_string(n_features_) + " features, the input has " +
                                std::to_string(data.cols));
  }
  const int64_t block = block_rows(data.rows, threads, data.cols);
  const int64_t blocks = (data.rows + block - 1) / block;
  const double trees = static_cast<double>(roots_.size());
  // A single block stays on the calling thread: a team start costs more than it saves.
  parallel_for(blocks, blocks < 2 ? 1 : threads, [&](int64_t bi) {
    const int64_t begin = bi * block;
    const int64_t end = std::min(data.rows, begin + block);
    std::vector<double> sum(static_cast<size_t>(end - begin), 0.0);
    score_block<false>(data, begin, end, nullptr, 0, sum.data(), nullptr);
    for (int64_t i = begin; i < end; ++i) out[i] = sum[i - begin] / trees;
  });
}

void Predictor::predict_oob(const Dataset& data, const uint64_t* inbag, size_t words, double* sum, int32_t* count,
                            int32_t threads) const {
  const int64_t block = block_rows(data.rows, threads, data.cols);
  const int64_t blocks = (data.rows + block - 1) / block;
  parallel_for(blocks, threads, [&](int64_t bi) {
    const int64_t begin = bi * block;
    const int64_t end = std::min(data.rows, begin + block);
    std::fill(sum + begin, sum + end, 0.0);
    std::fill(count + begin, count + end, 0);
    score_block<true>(data, begin, end, inbag, words, sum + begin, count + begin);
  });
}

}  // namespace grove
