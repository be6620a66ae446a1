// Grows one tree depth-first. The seams follow scikit-learn's: node statistics and split scores
// (the Criterion policy, criterion.h), split search per feature (splitter, exact or histogram),
// and the growth loop (builder). The pure-TS twin in src/forest/js/tree-builder.ts does the same
// arithmetic: same draws, same summation order, same tie rules. Only the memory layout differs
// (here rows, codes and out-of-bag rows are kept in node order, in two buffers).
#pragma once
#include <cstddef>
#include <cstdint>
#include <limits>
#include <vector>

#include "binning.h"
#include "criterion.h"
#include "dataset.h"
#include "flat_tree.h"
#include "params.h"
#include "presort.h"
#include "rng.h"

namespace grove {

struct SplitCandidate {
  int32_t feature = -1;
  double threshold = 0.0;
  int32_t bin = -1;  // histogram mode: rows with code <= bin go left; -1: x <= threshold
  double proxy = 0.0;
};

// A tree's out-of-bag rows, leaf by leaf, and the leaf (node id in the tree) each one reached.
struct OobLeaves {
  std::vector<uint32_t> rows;
  std::vector<int32_t> leaves;
};

// Compiled once per criterion (tree_builder.cpp instantiates each): the criterion is chosen once
// per fit, outside every loop.
template <typename Criterion>
class TreeBuilder {
 public:
  using NodeStats = typename Criterion::Stats;
  using Cell = typename Criterion::Cell;

  // bins is required in histogram mode, sorted in exact mode; both outlive the builder.
  TreeBuilder(const Dataset& data, const ForestParams& params, const BinnedFeatures* bins,
              const SortedFeatures* sorted);

  // Grows tree `tree_index` into `out`. With `oob`, the rows it did not draw go down the splits
  // as the tree grows (x <= threshold, as a prediction would send them), and each gets its leaf.
  void build(uint32_t tree_index, FlatTree& out, OobLeaves* oob = nullptr);

 private:
  struct Pending {
    int64_t start, end;
    int32_t depth;
    int32_t parent;
    bool is_left;
    NodeStats stats;
    int32_t hist;  // index of this node's histogram buffer, or -1
    int32_t buf;   // which of the two row buffers holds the node's rows
    int64_t ostart, oend;  // its out-of-bag rows: oob_[buf][ostart, oend)
  };

  // A node's in-bag rows live in samples_[buf][start, end), in ascending row order (the partition
  // is stable), with what the scans read next to the row id; in histogram mode codes_[buf] holds
  // their bin codes in the same order. Scans, histograms and partitions walk memory in order
  // instead of gathering by row. A partition writes the children into the other buffer (no copy
  // back); the ranges of pending nodes never overlap, so nothing live is overwritten.
  struct Sample {
    uint32_t row;
    int32_t w;   // bootstrap draws
    double wy;   // w * y
    double y;
  };

  // Draws the tree's bootstrap sample (and, with balanced_subsample, sets its class weights).
  void draw_sample(Rng& rng);
  // Lists the rows the tree did not draw in oob_[0] (with their codes in histogram mode), in
  // row order; returns how many.
  int64_t list_out_of_bag();
  // Row `row`'s bin codes into slot `slot` of a code buffer.
  void copy_codes(int64_t row, std::vector<uint8_t>& to, int64_t slot) const;
  NodeStats stats_of(int32_t buf, int64_t start, int64_t end) const;
  bool find_split(Rng& rng, const Pending& node, SplitCandidate& best);
  // Each returns false when the feature is constant in the node.
  bool scan_exact(int32_t f, const Pending& node, SplitCandidate& best);
  bool scan_small_node(int32_t f, const Pending& node, SplitCandidate& best);
  bool scan_small_node_classes(int32_t f, const Pending& node, SplitCandidate& best);
  bool scan_histogram(int32_t f, const Pending& node, SplitCandidate& best);
  // One feature's bins offered in order: the left side's totals so far and the best split seen.
  struct BinScan {
    explicit BinScan(typename Criterion::Side side) : left(side) {}
    typename Criterion::Side left;
    int64_t nl = 0;
    double proxy = -std::numeric_limits<double>::infinity();
    int32_t bin = -1;
  };
  // Offers the split after bin b, whose bn rows the left side has just received; false once
  // too few rows are left for the right side (no later bin can be offered).
  bool offer_bin(BinScan& scan, int32_t b, int64_t bn, const NodeStats& s) const;
  // The feature's best split replaces `best` when strictly better.
  void take_best(const BinScan& scan, int32_t f, SplitCandidate& best) const;
  // Writes rows [start, end) of buffer `buf` (in-bag Samples or out-of-bag row ids), with their
  // codes in histogram mode, into the other buffer, left child first; returns the first right
  // position.
  template <typename Row>
  int64_t partition(int32_t buf, int64_t start, int64_t end, std::vector<Row> (&rows)[2],
                    std::vector<uint8_t> (&codes)[2], const SplitCandidate& split);
  static uint32_t row_id(const Sample& s) { return s.row; }
  static uint32_t row_id(uint32_t row) { return row; }
  // The partition's core: marks positions [0, m) with goes_left(k), counts the left ones, then calls
  // place(k, dst) once per position with its place in [start, start + m): left ones first, each
  // side in its order, without a branch. Returns the first right place.
  template <typename GoesLeft, typename Place>
  int64_t split_stable(int64_t start, int64_t m, GoesLeft goes_left, Place place);

  int32_t acquire_hist();
  void release_hist(int32_t h);
  void build_hist(int32_t h, int32_t buf, int64_t start, int64_t end);
  void subtract_hist(int32_t parent, int32_t child);  // parent -= child

  const Dataset& data_;
  const ForestParams& p_;
  Criterion crit_;
  int64_t hist_min_rows_;  // p_.hist_min_rows, or never when a histogram would be too big
  const BinnedFeatures* bins_;
  const SortedFeatures* sorted_;

  std::vector<int32_t> draws_;    // per row: bootstrap draws (0 = out of bag)
  std::vector<Sample> samples_[2];
  std::vector<uint8_t> codes_[2];  // histogram mode: code_stride_ bytes per row, feature f at +f
  size_t code_stride_ = 0;         // cols rounded up to whole 8-byte words
  int64_t m_ = 0;                  // in-bag rows of the tree being grown
  std::vector<uint8_t> go_left_;   // partition: 1 where the node's row goes left
  std::vector<uint32_t> oob_[2];   // out-of-bag rows in node order, when asked for
  // histogram mode: their bin codes in the same order and layout as codes_ (looking codes up by
  // row id missed the cache on every row once the codes outgrew it; bench/ENGINE.md)
  std::vector<uint8_t> oob_codes_[2];
  std::vector<uint32_t> keys_;    // exact mode: the node's rows' ranks
  std::vector<uint32_t> tmp_;     // exact mode: the node's rows by value
  std::vector<double> xs_;        // exact mode: the node's values, sorted
  std::vector<uint32_t> features_;
  std::vector<double> class_draws_;  // balanced_subsample: the tree's draws per class
  std::vector<uint32_t> bucket_;     // classification, small-node scans: the node's rows by bin
  double root_w_ = 0.0;
  size_t last_size_ = 0;

  // A bin's totals are the criterion's Cell (cell_stride() of them a bin); the first word of a
  // bin is rows << 32 | draws.
  static constexpr uint64_t kOneRow = uint64_t{1} << 32;
  static int64_t rows_of(uint64_t counts) { return static_cast<int64_t>(counts >> 32); }

  // small-node scan (squared error): per-bin totals, all zero between scans
  Cell bin_[256] = {};
  // small-node scan (classes): rows per bin (all zero between scans) and where the bin's next
  // row goes in bucket_
  uint32_t bin_rows_[256] = {};
  int64_t bin_at_[256] = {};

  // histograms: cell_stride() cells per bin, all features, one buffer per live node
  std::vector<std::vector<Cell>> hist_pool_;
  std::vector<int32_t> hist_free_;
};

}  // namespace grove
