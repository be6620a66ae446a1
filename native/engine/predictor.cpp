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
// tree is megabytes; figures in bench/ENGINE.md). The caps bound a block's ranks (2 bytes a
// value, at most 8 MB) and sums.
constexpr int64_t kBlock = 2048;
constexpr int64_t kMaxBlock = int64_t{1} << 18;
constexpr int64_t kMaxBlockRankBytes = int64_t{8} << 20;
// A classifier's block holds K sums a row: at most 16 MB of them (1,000 classes: 2,048 rows),
// never fewer rows than the lanes that walk a tree together.
constexpr int64_t kMaxBlockSumBytes = int64_t{16} << 20;

int64_t block_rows(int64_t rows, int32_t threads, int32_t cols, int64_t k) {
  const int64_t t = std::max(1, threads);
  const int64_t per_thread = (rows + t - 1) / t;
  int64_t cap = std::max(kBlock, std::min(kMaxBlock, kMaxBlockRankBytes / (2 * std::max(1, cols))));
  int64_t least = kBlock;
  if (k > 1) {
    cap = std::max<int64_t>(8, std::min(cap, kMaxBlockSumBytes / (8 * k)));
    least = std::min(least, cap);
  }
  if (per_thread <= cap) return std::max(least, per_thread);
  // Above the cap, a whole number of equal blocks per thread: 800k rows in capped blocks were
  // 3 full blocks and a sliver, so one of 2 threads walked twice the rows of the other.
  const int64_t blocks = ((rows + cap - 1) / cap + t - 1) / t * t;
  return (rows + blocks - 1) / blocks;
}
// A tree's common depth: where kCommon / kCommonOf of its training rows have reached their leaf.
// Trees are much deeper than where most rows end (a few rows reach the deepest leaves): lanes stop
// at the common depth and the rest finish one by one (bench/ENGINE.md has the figures).
constexpr int64_t kCommon = 9, kCommonOf = 10;
constexpr int kLanes = 8;         // rows walking one tree together
}  // namespace

Predictor::Predictor(const FlatForestView& f, int32_t threads) {
  validate_forest(f);
  n_features_ = f.n_features;
  n_classes_ = f.n_classes;
  k_ = f.values_per_node();
  std::vector<TreeView> trees(static_cast<size_t>(f.n_trees()));
  for (int32_t t = 0; t < f.n_trees(); ++t) {
    const size_t base = f.offsets[t];
    trees[t] = TreeView{f.feature + base, f.left + base, f.right + base, f.threshold + base, f.value + base * k_,
                        f.n_samples + base, static_cast<int32_t>(f.offsets[t + 1] - base)};
  }
  pack(trees, threads);
}

Predictor::Predictor(const std::vector<FlatTree>& trees, int32_t n_features, int32_t threads, int32_t n_classes) {
  n_features_ = n_features;
  n_classes_ = n_classes;
  k_ = n_classes > 0 ? static_cast<size_t>(n_classes) : 1;
  std::vector<TreeView> views;
  views.reserve(trees.size());
  for (const FlatTree& t : trees) {
    views.push_back(TreeView{t.feature.data(), t.left.data(), t.right.data(), t.threshold.data(), t.value.data(),
                             t.n_samples.data(), t.size()});
  }
  pack(views, threads);
}

void Predictor::collect_thresholds(const std::vector<TreeView>& trees, int32_t threads) {
  const size_t p = static_cast<size_t>(n_features_);
  const int64_t n_trees = static_cast<int64_t>(trees.size());
  const int64_t chunks = std::max<int64_t>(1, std::min<int64_t>(threads, n_trees));
  std::vector<std::vector<std::vector<double>>> found(static_cast<size_t>(chunks), std::vector<std::vector<double>>(p));
  const auto dedupe = [](std::vector<double>& t) {
    std::sort(t.begin(), t.end());
    t.erase(std::unique(t.begin(), t.end()), t.end());
  };
  parallel_for(chunks, threads, [&](int64_t c) {
    std::vector<std::vector<double>>& mine = found[c];
    for (int64_t t = c * n_trees / chunks; t < (c + 1) * n_trees / chunks; ++t) {
      const TreeView& tree = trees[t];
      for (int32_t i = 0; i < tree.size; ++i) {
        if (tree.feature[i] < 0) continue;
        std::vector<double>& list = mine[static_cast<size_t>(tree.feature[i])];
        list.push_back(tree.threshold[i]);
        // keep each list near its distinct size (histogram mode: at most 255 per feature)
        if (list.size() >= 4096 && (list.size() & (list.size() - 1)) == 0) dedupe(list);
      }
    }
  });
  thresholds_.assign(p, {});
  parallel_for(static_cast<int64_t>(p), threads, [&](int64_t j) {
    std::vector<double>& all = thresholds_[j];
    for (auto& chunk : found) all.insert(all.end(), chunk[j].begin(), chunk[j].end());
    dedupe(all);
    all.shrink_to_fit();
  });
  bool fits = n_features_ <= 0xFFFF && p > 0;
  for (const auto& t : thresholds_) {
    if (t.size() >= kNaNRank) fits = false;  // ranks would not fit in 16 bits: double nodes
  }
  if (!fits) std::vector<std::vector<double>>().swap(thresholds_);
}

void Predictor::pack(const std::vector<TreeView>& trees, int32_t threads) {
  collect_thresholds(trees, threads);
  const size_t n_trees = trees.size();
  std::vector<int32_t> base(n_trees + 1, 0), leaf_base(n_trees + 1, 0);
  for (size_t t = 0; t < n_trees; ++t) {
    int32_t leaves = 0;
    for (int32_t i = 0; i < trees[t].size; ++i) leaves += trees[t].feature[i] < 0;
    base[t + 1] = base[t] + trees[t].size;
    leaf_base[t + 1] = leaf_base[t] + leaves;
  }
  const size_t n_nodes = static_cast<size_t>(base[n_trees]);
  if (!thresholds_.empty()) ranked_.resize(n_nodes);
  else nodes_.resize(n_nodes);
  leaf_values_.resize(static_cast<size_t>(leaf_base[n_trees]) * k_);
  roots_.assign(n_trees, 0);
  common_depth_.assign(n_trees, 0);
  std::vector<uint8_t> is_leaf(n_nodes, 0);
  parallel_for(static_cast<int64_t>(n_trees), threads, [&](int64_t t) {
    pack_tree(trees[t], static_cast<int32_t>(t), base[t], leaf_base[t], is_leaf.data());
  });
  // leaves are numbered in id order: a bit per node, and the leaves before each 64-node word
  leaf_bits_.assign((n_nodes + 63) / 64, 0);
  leaves_before_.assign(leaf_bits_.size(), 0);
  uint32_t leaves = 0;
  for (size_t word = 0; word < leaf_bits_.size(); ++word) {
    leaves_before_[word] = leaves;
    uint64_t bits = 0;
    const size_t end = std::min(n_nodes, 64 * word + 64);
    for (size_t id = 64 * word; id < end; ++id) bits |= static_cast<uint64_t>(is_leaf[id]) << (id & 63);
    leaf_bits_[word] = bits;
    leaves += static_cast<uint32_t>(std::bitset<64>(bits).count());
  }
}

size_t Predictor::leaf_place(int64_t id) const {
  // node ids are dense and leaves are numbered in id order: the leaves before `id` in its
  // 64-node word, plus those before the word
  const size_t word = static_cast<size_t>(id) >> 6;
  const uint64_t below = leaf_bits_[word] & ((uint64_t{1} << (id & 63)) - 1);
  return leaves_before_[word] + static_cast<uint32_t>(std::bitset<64>(below).count());
}

template <bool Classes>
void Predictor::add_leaf(int64_t id, double* sum) const {
  if constexpr (!Classes) {
    *sum += leaf_values_[leaf_place(id)];
  } else {
    const double* v = leaf_values_.data() + leaf_place(id) * k_;
    for (size_t c = 0; c < k_; ++c) sum[c] += v[c];
  }
}

uint16_t Predictor::rank_of(int32_t feature, double x) const {
  if (x != x) return kNaNRank;
  const std::vector<double>& t = thresholds_[static_cast<size_t>(feature)];
  return static_cast<uint16_t>(std::lower_bound(t.begin(), t.end(), x) - t.begin());
}

void Predictor::pack_tree(const TreeView& tree, int32_t t, int32_t base, int32_t leaf_base, uint8_t* is_leaf) {
  // Depth-first, left first: whatever order the arrays used, left children end up adjacent.
  constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
  const bool ranks = !thresholds_.empty();
  std::vector<std::pair<int32_t, int32_t>> stack(1, {0, 0});  // (local id, depth)
  std::vector<std::pair<int32_t, int32_t>> patch;              // (packed parent, local right child)
  std::vector<int32_t> packed_of(static_cast<size_t>(tree.size), -1);
  std::vector<int64_t> rows_at_depth;  // training rows whose leaf is at each depth
  int32_t id = base, leaf = leaf_base;
  while (!stack.empty()) {
    const auto [local, d] = stack.back();
    stack.pop_back();
    packed_of[local] = id;
    if (tree.feature[local] < 0) {
      if (ranks) ranked_[id] = RankNode{0, 0, id};
      else nodes_[id] = Node{kNaN, 0, id};
      is_leaf[id] = 1;
      std::copy_n(tree.value + static_cast<size_t>(local) * k_, k_, leaf_values_.data() + static_cast<size_t>(leaf) * k_);
      ++leaf;
      if (rows_at_depth.size() <= static_cast<size_t>(d)) rows_at_depth.resize(static_cast<size_t>(d) + 1, 0);
      rows_at_depth[d] += std::max<int64_t>(1, tree.n_samples[local]);
    } else {
      patch.emplace_back(id, tree.right[local]);
      const int32_t f = tree.feature[local];
      if (ranks) {
        const std::vector<double>& th = thresholds_[static_cast<size_t>(f)];
        const auto rank = std::lower_bound(th.begin(), th.end(), tree.threshold[local]) - th.begin();
        ranked_[id] = RankNode{static_cast<uint16_t>(f), static_cast<uint16_t>(rank + 1), -1};
      } else {
        nodes_[id] = Node{tree.threshold[local], f, -1};
      }
      stack.emplace_back(tree.right[local], d + 1);
      stack.emplace_back(tree.left[local], d + 1);
    }
    ++id;
  }
  for (const auto& [parent, right_local] : patch) {
    if (ranks) ranked_[parent].right = packed_of[right_local];
    else nodes_[parent].right = packed_of[right_local];
  }
  roots_[t] = base;
  // the deepest leaf is at rows_at_depth.size() - 1
  const int32_t depth = static_cast<int32_t>(rows_at_depth.size()) - 1;
  int64_t total = 0, reached = 0;
  for (int64_t r : rows_at_depth) total += r;
  int32_t common = 0;
  while (common < depth && (reached += rows_at_depth[common]) * kCommonOf < total * kCommon) ++common;
  common_depth_[t] = common;
}

// Every tree over one block's rows: kLanes rows walk a tree side by side in branch-free steps
// (leaves point at themselves) for the tree's common depth, the few rows still inside it finish
// one by one, and each adds its leaf value (a classifier: its K values to the row's K sums).
// `row_of` turns a row of the block into what `goes_left` reads (a row index, or a pointer to
// the row's ranks).
template <bool Classes, typename NodeT, typename RowOf, typename GoesLeft>
void Predictor::walk_trees(const NodeT* nodes, int64_t begin, int64_t end, double* sum, RowOf row_of,
                           GoesLeft goes_left) const {
  using RowView = decltype(row_of(int64_t{0}));
  const int64_t m = end - begin;
  const int64_t k = Classes ? static_cast<int64_t>(k_) : 1;
  // from node n to its leaf, one step at a time (a leaf points at itself)
  const auto leaf_of = [&](const NodeT* n, const RowView& view) {
    while (nodes + n->right != n) n = goes_left(view, n) ? n + 1 : nodes + n->right;
    return n - nodes;
  };
  for (size_t t = 0; t < roots_.size(); ++t) {
    const int32_t root = roots_[t];
    const int32_t common = common_depth_[t];
    int64_t r = 0;
    for (; r + kLanes <= m; r += kLanes) {
      int32_t at[kLanes];
      RowView view[kLanes];
      for (int k = 0; k < kLanes; ++k) {
        at[k] = root;
        view[k] = row_of(r + k);
      }
      for (int32_t s = 0; s < common; ++s) {
        for (int k = 0; k < kLanes; ++k) {
          const NodeT* n = nodes + at[k];
          // the next id by masks, not a conditional: left or right is a coin flip per lane, and
          // the compiler turned `?:` into branches that mispredicted about half the time
          const int32_t left = -static_cast<int32_t>(goes_left(view[k], n));
          at[k] = ((at[k] + 1) & left) | (n->right & ~left);
        }
      }
      for (int l = 0; l < kLanes; ++l) add_leaf<Classes>(leaf_of(nodes + at[l], view[l]), sum + (r + l) * k);
    }
    for (; r < m; ++r) add_leaf<Classes>(leaf_of(nodes + root, row_of(r)), sum + r * k);  // the last rows, one at a time
  }
}

template <typename NodeT, typename RowOf, typename GoesLeft>
void Predictor::walk_all(const NodeT* nodes, int64_t begin, int64_t end, double* sum, RowOf row_of, GoesLeft goes_left) const {
  if (k_ == 1) walk_trees<false>(nodes, begin, end, sum, row_of, goes_left);
  else walk_trees<true>(nodes, begin, end, sum, row_of, goes_left);
}

void Predictor::score_block(const Dataset& data, int64_t begin, int64_t end, double* sum) const {
  if (ranked_.empty()) {
    walk_all(
        nodes_.data(), begin, end, sum, [begin](int64_t local) { return begin + local; },
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
  walk_all(
      ranked_.data(), begin, end, sum, [base, p](int64_t local) { return base + local * p; },
      [](const uint16_t* row_ranks, const RankNode* n) { return row_ranks[n->feature] < n->below; });
}

void Predictor::predict(const Dataset& data, double* out, int32_t threads) const {
  if (data.cols != n_features_) {
    throw std::invalid_argument("predict: the model has " + std::to_string(n_features_) + " features, the input has " +
                                std::to_string(data.cols));
  }
  const int64_t k = static_cast<int64_t>(k_);
  const int64_t block = block_rows(data.rows, threads, data.cols, k);
  const int64_t blocks = (data.rows + block - 1) / block;
  const double trees = static_cast<double>(roots_.size());
  // A single block stays on the calling thread: a team start costs more than it saves.
  parallel_for(blocks, blocks < 2 ? 1 : threads, [&](int64_t bi) {
    const int64_t begin = bi * block;
    const int64_t end = std::min(data.rows, begin + block);
    std::vector<double> sum(static_cast<size_t>((end - begin) * k), 0.0);
    score_block(data, begin, end, sum.data());
    for (int64_t i = begin * k; i < end * k; ++i) out[i] = sum[i - begin * k] / trees;
  });
}

}  // namespace grove
