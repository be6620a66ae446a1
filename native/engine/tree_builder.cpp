#include "tree_builder.h"

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstring>
#include <limits>
#include <numeric>

namespace grove {

#if defined(__GNUC__) || defined(__clang__)
#define GROVE_NOINLINE __attribute__((noinline))
#elif defined(_MSC_VER)
#define GROVE_NOINLINE __declspec(noinline)
#else
#define GROVE_NOINLINE
#endif

namespace {
constexpr double kEpsilon = DBL_EPSILON;  // scikit-learn's EPSILON for leaf and improvement tests

// index of the lowest set bit of a non-zero word
inline int32_t lowest_bit(uint64_t bits) {
#if defined(__GNUC__) || defined(__clang__)
  return __builtin_ctzll(bits);
#else
  int32_t i = 0;
  while (!(bits & 1)) bits >>= 1, ++i;
  return i;
#endif
}

// The bins set in a 256-bit bitmap, in increasing order, into present; returns how many.
inline int32_t bins_present(const uint64_t used[4], int32_t present[256]) {
  int32_t d = 0;
  for (int32_t word = 0; word < 4; ++word) {
    for (uint64_t bits = used[word]; bits != 0; bits &= bits - 1) present[d++] = word * 64 + lowest_bit(bits);
  }
  return d;
}

// Copies `words` 8-byte words: a row's codes are a few words, too short for a memmove call.
inline void copy_words(const uint8_t* from, uint8_t* to, size_t words) {
  for (size_t i = 0; i < words; ++i) {
    uint64_t w;
    std::memcpy(&w, from + 8 * i, 8);
    std::memcpy(to + 8 * i, &w, 8);
  }
}
}  // namespace

template <typename Criterion>
TreeBuilder<Criterion>::TreeBuilder(const Dataset& data, const ForestParams& params, const BinnedFeatures* bins,
                         const SortedFeatures* sorted)
    : data_(data), p_(params), crit_(params), hist_min_rows_(params.hist_min_rows), bins_(bins), sorted_(sorted) {
  const size_t n = static_cast<size_t>(data.rows);
  draws_.assign(n, 0);
  for (auto& v : samples_) v.resize(n);
  if (params.split_mode == SplitMode::Exact) {
    keys_.resize(n);
    tmp_.resize(n);
    xs_.resize(n);
  } else {
    code_stride_ = (static_cast<size_t>(data.cols) + 7) / 8 * 8;
    for (auto& v : codes_) v.assign(n * code_stride_, 0);
    if constexpr (Criterion::kClasses) {
      bucket_.resize(n);
      // A classifier's histogram holds K + 1 words a bin. Past 64 MB a node (many classes; the TS
      // side already turns histograms off above 32 classes) every node scans its rows instead:
      // class draws are whole numbers, so both give the same sums and the same trees.
      const double bytes = static_cast<double>(bins->total_bins()) * static_cast<double>(crit_.cell_stride()) * sizeof(Cell);
      if (bytes > 64.0 * 1024 * 1024) hist_min_rows_ = std::numeric_limits<int64_t>::max();
    }
  }
  if constexpr (Criterion::kClasses) {
    if (params.balanced_subsample) class_draws_.assign(crit_.n_classes(), 0.0);
  }
  features_.resize(data.cols);
}

template <typename Criterion>
void TreeBuilder<Criterion>::draw_sample(Rng& rng) {
  const int64_t n = data_.rows;
  if (p_.bootstrap) {
    std::fill(draws_.begin(), draws_.end(), 0);
    const int64_t draws = std::max<int64_t>(1, static_cast<int64_t>(std::floor(p_.max_samples * static_cast<double>(n) + 0.5)));
    for (int64_t d = 0; d < draws; ++d) ++draws_[rng.below(static_cast<uint32_t>(n))];
  } else {
    std::fill(draws_.begin(), draws_.end(), 1);
  }
  // Every row is written and only drawn ones advance the cursor: about a third of the rows are
  // out of bag, at random, and skipping them with a branch mispredicted.
  Sample* out = samples_[0].data();
  int64_t m = 0;
  for (int64_t i = 0; i < n; ++i) {
    const double y = data_.y[i];
    out[m] = Sample{static_cast<uint32_t>(i), draws_[i], static_cast<double>(draws_[i]) * y, y};
    if (code_stride_ > 0) copy_codes(i, codes_[0], m);
    m += draws_[i] > 0;
  }
  m_ = m;
  if constexpr (Criterion::kClasses) {
    if (!class_draws_.empty()) {
      std::fill(class_draws_.begin(), class_draws_.end(), 0.0);
      for (int64_t i = 0; i < n; ++i) class_draws_[static_cast<size_t>(data_.y[i])] += static_cast<double>(draws_[i]);
      crit_.start_tree(class_draws_);
    }
  }
}

template <typename Criterion>
int64_t TreeBuilder<Criterion>::list_out_of_bag() {
  // Written as draw_sample writes in-bag rows: every row at the cursor, which advances only past
  // out-of-bag ones (so the first buffer has one slot more than the rows it keeps).
  const size_t n_oob = static_cast<size_t>(data_.rows - m_);
  oob_[0].resize(n_oob + 1);
  oob_[1].resize(n_oob);
  if (code_stride_ > 0) {
    oob_codes_[0].resize((n_oob + 1) * code_stride_);
    oob_codes_[1].resize(n_oob * code_stride_);
  }
  int64_t o = 0;
  for (int64_t i = 0; i < data_.rows; ++i) {
    oob_[0][o] = static_cast<uint32_t>(i);
    if (code_stride_ > 0) copy_codes(i, oob_codes_[0], o);
    o += draws_[i] == 0;
  }
  return o;
}

template <typename Criterion>
void TreeBuilder<Criterion>::copy_codes(int64_t row, std::vector<uint8_t>& to, int64_t slot) const {
  const size_t p = static_cast<size_t>(data_.cols);
  std::copy_n(bins_->codes.data() + static_cast<size_t>(row) * p, p, to.data() + static_cast<size_t>(slot) * code_stride_);
}

// Not inlined: inside build (a large function) GCC kept the running sums in stack slots, not
// registers, and the regression fit lost ~8% (Friedman #1, 100k rows, hist, 1 thread).
template <typename Criterion>
GROVE_NOINLINE auto TreeBuilder<Criterion>::stats_of(int32_t buf, int64_t start, int64_t end) const -> NodeStats {
  NodeStats s = crit_.stats();
  const Sample* rows = samples_[buf].data();
  s.n = end - start;
  crit_.start(s, rows[start].y);
  for (int64_t k = start; k < end; ++k) crit_.add(s, rows[k].w, rows[k].wy, rows[k].y);
  crit_.finish(s);
  return s;
}

template <typename Criterion>
void TreeBuilder<Criterion>::build(uint32_t tree_index, FlatTree& out, OobLeaves* oob) {
  Rng rng(p_.seed, tree_index);
  draw_sample(rng);
  int64_t n_oob = 0;
  if (oob != nullptr) {
    oob->rows.clear();
    oob->leaves.clear();
    n_oob = list_out_of_bag();
    oob->rows.reserve(static_cast<size_t>(n_oob));
    oob->leaves.reserve(static_cast<size_t>(n_oob));
  }
  // a leaf goes to the out-of-bag rows that reached it (the sums add rows one by one, so the
  // order rows are listed in does not matter)
  const auto settle_oob = [&](const Pending& node, int32_t id) {
    if (oob == nullptr) return;
    const uint32_t* rows = oob_[node.buf].data();
    oob->rows.insert(oob->rows.end(), rows + node.ostart, rows + node.oend);
    oob->leaves.resize(oob->rows.size(), id);
  };
  std::iota(features_.begin(), features_.end(), 0u);
  out = FlatTree();
  // trees of one forest have similar sizes
  out.reserve(last_size_ + last_size_ / 8 + 16, Criterion::kClasses ? p_.n_classes : 0);

  const int64_t m = m_;
  const bool histogram = p_.split_mode == SplitMode::Histogram;
  std::vector<Pending> stack;
  Pending root{0, m, 0, -1, false, stats_of(0, 0, m), -1, 0, 0, n_oob};
  root_w_ = root.stats.w;
  if (histogram && m >= hist_min_rows_) {
    root.hist = acquire_hist();
    build_hist(root.hist, 0, 0, m);
  }
  stack.push_back(std::move(root));

  while (!stack.empty()) {
    const Pending node = std::move(stack.back());
    stack.pop_back();
    const NodeStats& s = node.stats;
    const double impurity = crit_.impurity(s);
    const int32_t id = crit_.add_node(out, s, impurity);
    if (node.parent >= 0) (node.is_left ? out.left : out.right)[node.parent] = id;

    bool leaf = (p_.max_depth >= 0 && node.depth >= p_.max_depth) || s.n < p_.min_samples_split ||
                s.n < 2 * static_cast<int64_t>(p_.min_samples_leaf) || crit_.pure(s) || impurity <= kEpsilon;
    SplitCandidate best;
    if (!leaf) leaf = !find_split(rng, node, best);
    if (leaf) {
      release_hist(node.hist);
      settle_oob(node, id);
      continue;
    }
    const int64_t mid = partition(node.buf, node.start, node.end, samples_, codes_, best);
    const int32_t child_buf = 1 - node.buf;
    NodeStats ls = stats_of(child_buf, node.start, mid);
    NodeStats rs = stats_of(child_buf, mid, node.end);
    const double improvement = crit_.improvement(s, impurity, ls, rs, root_w_);
    if (improvement + kEpsilon < p_.min_impurity_decrease) {
      release_hist(node.hist);
      settle_oob(node, id);
      continue;
    }
    out.feature[id] = best.feature;
    out.threshold[id] = best.threshold;
    const int64_t omid = oob != nullptr ? partition(node.buf, node.ostart, node.oend, oob_, oob_codes_, best) : 0;

    // Children's histograms: the smaller child's is built, the larger's is the parent's minus it.
    int32_t lh = -1, rh = -1;
    if (node.hist >= 0) {
      const bool left_smaller = ls.n <= rs.n;
      const int64_t small_n = left_smaller ? ls.n : rs.n;
      const int64_t large_n = left_smaller ? rs.n : ls.n;
      if (large_n >= hist_min_rows_) {
        int32_t small = acquire_hist();
        if (left_smaller) build_hist(small, child_buf, node.start, mid);
        else build_hist(small, child_buf, mid, node.end);
        subtract_hist(node.hist, small);
        if (small_n < hist_min_rows_) {
          release_hist(small);
          small = -1;
        }
        lh = left_smaller ? small : node.hist;
        rh = left_smaller ? node.hist : small;
      } else {
        release_hist(node.hist);
      }
    }
    stack.push_back(Pending{mid, node.end, node.depth + 1, id, false, std::move(rs), rh, child_buf, omid, node.oend});
    stack.push_back(Pending{node.start, mid, node.depth + 1, id, true, std::move(ls), lh, child_buf, node.ostart, omid});
  }
  last_size_ = static_cast<size_t>(out.size());
}

template <typename Criterion>
bool TreeBuilder<Criterion>::find_split(Rng& rng, const Pending& node, SplitCandidate& best) {
  const int32_t p = data_.cols;
  best = SplitCandidate();
  best.proxy = -std::numeric_limits<double>::infinity();
  int32_t visited = 0;  // non-constant features examined; constant ones do not count (as scikit-learn)
  for (int32_t k = 0; k < p && visited < p_.mtry; ++k) {
    const uint32_t j = static_cast<uint32_t>(k) + rng.below(static_cast<uint32_t>(p - k));
    std::swap(features_[k], features_[j]);
    const int32_t f = static_cast<int32_t>(features_[k]);
    bool varies;
    if (p_.split_mode == SplitMode::Exact) varies = scan_exact(f, node, best);
    else if (node.hist >= 0) varies = scan_histogram(f, node, best);
    else varies = scan_small_node(f, node, best);
    if (varies) ++visited;
  }
  return best.feature >= 0;
}

template <typename Criterion>
bool TreeBuilder<Criterion>::scan_exact(int32_t f, const Pending& node, SplitCandidate& best) {
  const int64_t m = node.end - node.start;
  const size_t n = static_cast<size_t>(data_.rows);
  const uint32_t* rank = sorted_->rank.data() + static_cast<size_t>(f) * n;
  const uint32_t* order = sorted_->order.data() + static_cast<size_t>(f) * n;
  const Sample* rows = samples_[node.buf].data() + node.start;
  for (int64_t k = 0; k < m; ++k) keys_[k] = rank[rows[k].row];
  std::sort(keys_.begin(), keys_.begin() + m);
  for (int64_t k = 0; k < m; ++k) {
    const uint32_t row = order[keys_[k]];
    tmp_[k] = row;
    xs_[k] = data_.at(row, f);
  }
  if (!(xs_[m - 1] > xs_[0])) return false;
  const NodeStats& s = node.stats;
  const int64_t msl = p_.min_samples_leaf;
  typename Criterion::Side left = crit_.side();
  double best_proxy = -std::numeric_limits<double>::infinity();
  int64_t best_k = -1;
  for (int64_t k = 0; k + 1 < m; ++k) {
    const uint32_t row = tmp_[k];
    const double w = static_cast<double>(draws_[row]);
    crit_.add_row(left, w, data_.y[row]);
    const int64_t nl = k + 1;
    if (nl < msl) continue;
    if (m - nl < msl) break;
    if (!(xs_[k + 1] > xs_[k])) continue;
    const double proxy = crit_.proxy(left, s);
    // selects, not a branch (as offer_bin): the first best of this feature
    best_k = proxy > best_proxy ? k : best_k;
    best_proxy = std::max(best_proxy, proxy);
  }
  if (best_k >= 0 && best_proxy > best.proxy) {
    best.feature = f;
    best.threshold = midpoint(xs_[best_k], xs_[best_k + 1]);
    best.bin = -1;
    best.proxy = best_proxy;
  }
  return true;
}

template <typename Criterion>
bool TreeBuilder<Criterion>::scan_small_node(int32_t f, const Pending& node, SplitCandidate& best) {
  // A node below hist_min_rows has no histogram. Its bins' totals are summed here in row order,
  // then offered in bin order: the same arithmetic as a histogram built for this node. The work
  // is O(rows + bins present), never O(256): bin_ is all zeros between calls (the bins used are
  // cleared afterwards) and a bitmap of the bins used gives them in order.
  if constexpr (Criterion::kClasses) return scan_small_node_classes(f, node, best);
  const int64_t m = node.end - node.start;
  const size_t stride = code_stride_;
  const uint8_t* codes = codes_[node.buf].data() + static_cast<size_t>(node.start) * stride + f;
  const Sample* rows = samples_[node.buf].data() + node.start;
  uint64_t used[4] = {0, 0, 0, 0};
  for (int64_t k = 0; k < m; ++k) {
    const uint32_t c = codes[static_cast<size_t>(k) * stride];
    crit_.cell_add(&bin_[c], kOneRow | static_cast<uint32_t>(rows[k].w), rows[k].w, rows[k].wy, rows[k].y);
    used[c >> 6] |= uint64_t{1} << (c & 63);
  }
  int32_t present[256];
  const int32_t d = bins_present(used, present);
  BinScan scan(crit_.side());
  // the last bin present is never offered: nothing would go right (one bin: constant feature)
  for (int32_t i = 0; i + 1 < d; ++i) {
    const Cell& t = bin_[present[i]];
    crit_.add_cell(scan.left, &t);
    if (!offer_bin(scan, present[i], rows_of(crit_.cell_counts(&t)), node.stats)) break;
  }
  take_best(scan, f, best);
  for (int32_t i = 0; i < d; ++i) bin_[present[i]] = Cell{};
  return d > 1;
}

template <typename Criterion>
bool TreeBuilder<Criterion>::scan_small_node_classes(int32_t f, const Pending& node, SplitCandidate& best) {
  // As scan_small_node, without K class counts per bin (a classifier may have thousands of
  // classes): the node's rows are bucketed by bin (a counting sort), then added to the left side
  // bin by bin. Class draws are whole numbers, so the left side's sums after each bin are those
  // of the bin's totals, whatever order its rows come in.
  const int64_t m = node.end - node.start;
  const size_t stride = code_stride_;
  const uint8_t* codes = codes_[node.buf].data() + static_cast<size_t>(node.start) * stride + f;
  const Sample* rows = samples_[node.buf].data() + node.start;
  uint64_t used[4] = {0, 0, 0, 0};
  for (int64_t k = 0; k < m; ++k) {
    const uint32_t c = codes[static_cast<size_t>(k) * stride];
    ++bin_rows_[c];
    used[c >> 6] |= uint64_t{1} << (c & 63);
  }
  int32_t present[256];
  const int32_t d = bins_present(used, present);
  if (d > 1) {
    int64_t at = 0;
    for (int32_t i = 0; i < d; ++i) {
      bin_at_[present[i]] = at;
      at += bin_rows_[present[i]];
    }
    for (int64_t k = 0; k < m; ++k) bucket_[static_cast<size_t>(bin_at_[codes[static_cast<size_t>(k) * stride]]++)] = static_cast<uint32_t>(k);
    BinScan scan(crit_.side());
    int64_t k = 0;
    for (int32_t i = 0; i + 1 < d; ++i) {
      const int64_t bn = bin_rows_[present[i]];
      for (const int64_t end = k + bn; k < end; ++k) {
        const Sample& r = rows[bucket_[static_cast<size_t>(k)]];
        crit_.add_row(scan.left, static_cast<double>(r.w), r.y);
      }
      if (!offer_bin(scan, present[i], bn, node.stats)) break;
    }
    take_best(scan, f, best);
  }
  for (int32_t i = 0; i < d; ++i) bin_rows_[present[i]] = 0;
  return d > 1;
}

template <typename Criterion>
bool TreeBuilder<Criterion>::offer_bin(BinScan& scan, int32_t b, int64_t bn, const NodeStats& s) const {
  scan.nl += bn;
  if (s.n - scan.nl < p_.min_samples_leaf) return false;
  if (scan.nl < p_.min_samples_leaf) return true;
  const double proxy = crit_.proxy(scan.left, s);
  // a new best is found a few times per scan at unpredictable places: selects, not a branch
  scan.bin = proxy > scan.proxy ? b : scan.bin;
  scan.proxy = std::max(scan.proxy, proxy);
  return true;
}

template <typename Criterion>
void TreeBuilder<Criterion>::take_best(const BinScan& scan, int32_t f, SplitCandidate& best) const {
  // strictly better than the features before: ties keep the earlier one
  if (scan.bin < 0 || !(scan.proxy > best.proxy)) return;
  best.feature = f;
  best.threshold = bins_->edges[f][scan.bin];
  best.bin = scan.bin;
  best.proxy = scan.proxy;
}

template <typename Criterion>
bool TreeBuilder<Criterion>::scan_histogram(int32_t f, const Pending& node, SplitCandidate& best) {
  const size_t st = crit_.cell_stride();
  const Cell* h = hist_pool_[node.hist].data() + static_cast<size_t>(bins_->hist_offset[f]) * st;
  const int32_t nb = bins_->n_bins(f);
  int32_t nonempty = 0;
  for (int32_t b = 0; b < nb && nonempty < 2; ++b) nonempty += crit_.cell_counts(h + b * st) != 0;
  if (nonempty < 2) return false;
  BinScan scan(crit_.side());
  for (int32_t b = 0; b + 1 < nb; ++b) {
    const Cell* cell = h + b * st;
    const uint64_t counts = crit_.cell_counts(cell);
    if (counts == 0) continue;
    crit_.add_cell(scan.left, cell);
    if (!offer_bin(scan, b, rows_of(counts), node.stats)) break;
  }
  take_best(scan, f, best);
  return true;
}

template <typename Criterion>
template <typename GoesLeft, typename Place>
int64_t TreeBuilder<Criterion>::split_stable(int64_t start, int64_t m, GoesLeft goes_left, Place place) {
  std::vector<uint8_t>& left = go_left_;
  if (left.size() < static_cast<size_t>(m)) left.resize(static_cast<size_t>(m));
  for (int64_t k = 0; k < m; ++k) left[k] = goes_left(k);
  int64_t n_left = 0;
  for (int64_t k = 0; k < m; ++k) n_left += left[k];
  // destination of each row: the next left slot or the next right slot, without a branch
  int64_t at[2] = {start + n_left, start};  // [0]: right side, [1]: left side
  for (int64_t k = 0; k < m; ++k) place(k, at[left[k]]++);
  return start + n_left;
}

template <typename Criterion>
template <typename Row>
int64_t TreeBuilder<Criterion>::partition(int32_t buf, int64_t start, int64_t end, std::vector<Row> (&rows)[2],
                               std::vector<uint8_t> (&codes)[2], const SplitCandidate& split) {
  // Stable: left rows keep their order, then right rows keep theirs (the TS twin does the same).
  // Exact mode reads x by row id (x <= threshold); histogram mode reads the codes carried along
  // with the rows (the same test, since a bin's upper edge is the threshold).
  const int32_t f = split.feature;
  const Row* from = rows[buf].data() + start;
  Row* to = rows[1 - buf].data();
  const int64_t m = end - start;
  if (p_.split_mode == SplitMode::Exact) {
    return split_stable(
        start, m, [&](int64_t k) { return data_.at(row_id(from[k]), f) <= split.threshold; },
        [&](int64_t k, int64_t dst) { to[dst] = from[k]; });
  }
  const size_t cs = code_stride_;
  const uint8_t* cf = codes[buf].data() + static_cast<size_t>(start) * cs;
  uint8_t* ct = codes[1 - buf].data();
  const uint32_t bin = static_cast<uint32_t>(split.bin);
  return split_stable(
      start, m, [&](int64_t k) { return cf[static_cast<size_t>(k) * cs + f] <= bin; },
      [&](int64_t k, int64_t dst) {
        to[dst] = from[k];
        copy_words(cf + static_cast<size_t>(k) * cs, ct + static_cast<size_t>(dst) * cs, cs / 8);
      });
}

template <typename Criterion>
int32_t TreeBuilder<Criterion>::acquire_hist() {
  if (!hist_free_.empty()) {
    const int32_t h = hist_free_.back();
    hist_free_.pop_back();
    return h;
  }
  hist_pool_.emplace_back(static_cast<size_t>(bins_->total_bins()) * crit_.cell_stride(), Cell{});
  return static_cast<int32_t>(hist_pool_.size()) - 1;
}

template <typename Criterion>
void TreeBuilder<Criterion>::release_hist(int32_t h) {
  if (h >= 0) hist_free_.push_back(h);
}

template <typename Criterion>
void TreeBuilder<Criterion>::build_hist(int32_t h, int32_t buf, int64_t start, int64_t end) {
  std::vector<Cell>& hist = hist_pool_[h];
  std::fill(hist.begin(), hist.end(), Cell{});
  const int32_t p = data_.cols;
  const int32_t* offset = bins_->hist_offset.data();
  const uint8_t* codes = codes_[buf].data();
  const Sample* rows = samples_[buf].data();
  Cell* cells = hist.data();
  const size_t st = crit_.cell_stride();
  // Row by row, all features at once: one row's codes are one read. Each cell still receives
  // its rows in node order, so the sums are those of a feature-by-feature pass.
  for (int64_t k = start; k < end; ++k) {
    const Sample& r = rows[k];
    const uint8_t* c = codes + static_cast<size_t>(k) * code_stride_;
    const uint64_t counts = kOneRow | static_cast<uint32_t>(r.w);
    for (int32_t f = 0; f < p; ++f) crit_.cell_add(cells + static_cast<size_t>(offset[f] + c[f]) * st, counts, r.w, r.wy, r.y);
  }
}

template <typename Criterion>
void TreeBuilder<Criterion>::subtract_hist(int32_t parent, int32_t child) {
  std::vector<Cell>& a = hist_pool_[parent];
  const std::vector<Cell>& b = hist_pool_[child];
  crit_.cell_subtract(a.data(), b.data(), a.size());
}

template class TreeBuilder<SquaredError>;
template class TreeBuilder<Gini>;
template class TreeBuilder<Entropy>;

}  // namespace grove
