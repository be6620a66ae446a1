#include "tree_builder.h"

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <limits>
#include <numeric>

namespace grove {

namespace {
constexpr double kEpsilon = DBL_EPSILON;  // scikit-learn's EPSILON for leaf and improvement tests
constexpr uint32_t kLocalMask = 0xFFFFFF;  // sorted-codes keys: bin << 24 | position in node
// small-node scan: per-bin totals over the node's code range when it spans at most this many bins
// per row, else a sort of the rows by bin (measured at 100k rows: the cheaper side of each)
constexpr int64_t kDenseRangePerRow = 16;
}  // namespace

TreeBuilder::TreeBuilder(const Dataset& data, const ForestParams& params, const BinnedFeatures* bins,
                         const SortedFeatures* sorted)
    : data_(data), p_(params), bins_(bins), sorted_(sorted) {
  const size_t n = static_cast<size_t>(data.rows);
  draws_.assign(n, 0);
  samples_.reserve(n);
  spill_.resize(n);
  if (params.split_mode == SplitMode::Exact) {
    keys_.resize(n);
    tmp_.resize(n);
    xs_.resize(n);
  }
  features_.resize(data.cols);
}

void TreeBuilder::draw_sample(Rng& rng, std::vector<uint8_t>& inbag) {
  const int64_t n = data_.rows;
  if (p_.bootstrap) {
    std::fill(draws_.begin(), draws_.end(), 0);
    const int64_t draws = std::max<int64_t>(1, static_cast<int64_t>(std::floor(p_.max_samples * static_cast<double>(n) + 0.5)));
    for (int64_t d = 0; d < draws; ++d) ++draws_[rng.below(static_cast<uint32_t>(n))];
  } else {
    std::fill(draws_.begin(), draws_.end(), 1);
  }
  samples_.clear();
  inbag.assign(static_cast<size_t>(n), 0);
  for (int64_t i = 0; i < n; ++i) {
    if (draws_[i] > 0) {
      samples_.push_back(Sample{static_cast<uint32_t>(i), draws_[i], static_cast<double>(draws_[i]) * data_.y[i]});
      inbag[i] = 1;
    }
  }
}

NodeStats TreeBuilder::stats_of(int64_t start, int64_t end) const {
  NodeStats s;
  s.n = end - start;
  s.ymin = s.ymax = data_.y[samples_[start].row];
  for (int64_t k = start; k < end; ++k) {
    const Sample& r = samples_[k];
    const double y = data_.y[r.row];
    s.w += static_cast<double>(r.w);
    s.sy += r.wy;
    s.syy += r.wy * y;
    if (y < s.ymin) s.ymin = y;
    if (y > s.ymax) s.ymax = y;
  }
  return s;
}

void TreeBuilder::build(uint32_t tree_index, FlatTree& out, std::vector<uint8_t>& inbag) {
  Rng rng(p_.seed, tree_index);
  draw_sample(rng, inbag);
  std::iota(features_.begin(), features_.end(), 0u);
  out = FlatTree();
  out.reserve(last_size_ + last_size_ / 8 + 16);  // trees of one forest have similar sizes

  const int64_t m = static_cast<int64_t>(samples_.size());
  const bool histogram = p_.split_mode == SplitMode::Histogram;
  std::vector<Pending> stack;
  Pending root{0, m, 0, -1, false, stats_of(0, m), -1};
  root_w_ = root.stats.w;
  if (histogram && m >= p_.hist_min_rows) {
    root.hist = acquire_hist();
    build_hist(root.hist, 0, m);
  }
  stack.push_back(root);

  while (!stack.empty()) {
    const Pending node = stack.back();
    stack.pop_back();
    const NodeStats& s = node.stats;
    const double impurity = s.impurity();
    const int32_t id = out.add_leaf(s.mean(), static_cast<int32_t>(s.n), s.w, impurity);
    if (node.parent >= 0) (node.is_left ? out.left : out.right)[node.parent] = id;

    bool leaf = (p_.max_depth >= 0 && node.depth >= p_.max_depth) || s.n < p_.min_samples_split ||
                s.n < 2 * static_cast<int64_t>(p_.min_samples_leaf) || s.ymin == s.ymax || impurity <= kEpsilon;
    SplitCandidate best;
    if (!leaf) leaf = !find_split(rng, node, best);
    if (leaf) {
      release_hist(node.hist);
      continue;
    }
    const int64_t mid = partition(node, best);
    const NodeStats ls = stats_of(node.start, mid);
    const NodeStats rs = stats_of(mid, node.end);
    const double improvement =
        (s.w / root_w_) * (impurity - (rs.w / s.w) * rs.impurity() - (ls.w / s.w) * ls.impurity());
    if (improvement + kEpsilon < p_.min_impurity_decrease) {
      release_hist(node.hist);
      continue;
    }
    out.feature[id] = best.feature;
    out.threshold[id] = best.threshold;

    // Children's histograms: the smaller child's is built, the larger's is the parent's minus it.
    int32_t lh = -1, rh = -1;
    if (node.hist >= 0) {
      const bool left_smaller = ls.n <= rs.n;
      const int64_t small_n = left_smaller ? ls.n : rs.n;
      const int64_t large_n = left_smaller ? rs.n : ls.n;
      if (large_n >= p_.hist_min_rows) {
        int32_t small = acquire_hist();
        if (left_smaller) build_hist(small, node.start, mid);
        else build_hist(small, mid, node.end);
        subtract_hist(node.hist, small);
        if (small_n < p_.hist_min_rows) {
          release_hist(small);
          small = -1;
        }
        lh = left_smaller ? small : node.hist;
        rh = left_smaller ? node.hist : small;
      } else {
        release_hist(node.hist);
      }
    }
    stack.push_back(Pending{mid, node.end, node.depth + 1, id, false, rs, rh});
    stack.push_back(Pending{node.start, mid, node.depth + 1, id, true, ls, lh});
  }
  last_size_ = static_cast<size_t>(out.size());
}

bool TreeBuilder::find_split(Rng& rng, const Pending& node, SplitCandidate& best) {
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

bool TreeBuilder::scan_exact(int32_t f, const Pending& node, SplitCandidate& best) {
  const int64_t m = node.end - node.start;
  const size_t n = static_cast<size_t>(data_.rows);
  const uint32_t* rank = sorted_->rank.data() + static_cast<size_t>(f) * n;
  const uint32_t* order = sorted_->order.data() + static_cast<size_t>(f) * n;
  for (int64_t k = 0; k < m; ++k) keys_[k] = rank[samples_[node.start + k].row];
  std::sort(keys_.begin(), keys_.begin() + m);
  for (int64_t k = 0; k < m; ++k) {
    const uint32_t row = order[keys_[k]];
    tmp_[k] = row;
    xs_[k] = data_.at(row, f);
  }
  if (!(xs_[m - 1] > xs_[0])) return false;
  const NodeStats& s = node.stats;
  const int64_t msl = p_.min_samples_leaf;
  double wl = 0.0, syl = 0.0;
  for (int64_t k = 0; k + 1 < m; ++k) {
    const uint32_t row = tmp_[k];
    const double w = static_cast<double>(draws_[row]);
    wl += w;
    syl += w * data_.y[row];
    const int64_t nl = k + 1;
    if (nl < msl) continue;
    if (m - nl < msl) break;
    if (!(xs_[k + 1] > xs_[k])) continue;
    const double wr = s.w - wl, syr = s.sy - syl;
    const double proxy = syl * syl / wl + syr * syr / wr;
    if (proxy > best.proxy) {
      best.feature = f;
      best.threshold = midpoint(xs_[k], xs_[k + 1]);
      best.bin = -1;
      best.proxy = proxy;
    }
  }
  return true;
}

bool TreeBuilder::scan_small_node(int32_t f, const Pending& node, SplitCandidate& best) {
  // A node below hist_min_rows has no histogram. Its bins' totals are summed here in row order,
  // then offered in bin order: the same arithmetic as a histogram built for this node.
  const int64_t m = node.end - node.start;
  const size_t stride = static_cast<size_t>(data_.cols);
  const uint8_t* codes = bins_->codes.data() + f;
  const Sample* rows = samples_.data() + node.start;
  uint32_t lo = 255, hi = 0;
  for (int64_t k = 0; k < m; ++k) {
    const uint32_t c = codes[rows[k].row * stride];
    lo = std::min(lo, c);
    hi = std::max(hi, c);
  }
  if (lo == hi) return false;
  const NodeStats& s = node.stats;
  double wl = 0.0, syl = 0.0;
  int64_t nl = 0;
  const int64_t range = static_cast<int64_t>(hi - lo) + 1;
  if (range <= kDenseRangePerRow * m) {
    // Few bins for the rows: totals per bin over [lo, hi].
    std::fill(bin_, bin_ + range, BinTotals{0, 0.0});
    for (int64_t k = 0; k < m; ++k) {
      BinTotals& t = bin_[codes[rows[k].row * stride] - lo];
      t.counts += kOneRow | static_cast<uint32_t>(rows[k].w);
      t.wy += rows[k].wy;
    }
    // The non-empty bins first, without a branch: skipping empty ones one by one mispredicts.
    int32_t filled[256];
    int64_t d = 0;
    for (int64_t j = 0; j + 1 < range; ++j) {
      filled[d] = static_cast<int32_t>(j);
      d += bin_[j].counts != 0;
    }
    for (int64_t i = 0; i < d; ++i) {
      const int32_t j = filled[i];
      offer_bin(f, static_cast<int32_t>(lo) + j, draws_of(bin_[j].counts), bin_[j].wy, rows_of(bin_[j].counts), s, wl, syl, nl, best);
      if (s.n - nl < p_.min_samples_leaf) break;
    }
    return true;
  }
  // Many bins for few rows: sort the rows by bin (positions ascend within a bin).
  if (keys_.size() < static_cast<size_t>(m)) keys_.resize(static_cast<size_t>(m));
  for (int64_t k = 0; k < m; ++k) keys_[k] = (static_cast<uint32_t>(codes[rows[k].row * stride]) << 24) | static_cast<uint32_t>(k);
  std::sort(keys_.begin(), keys_.begin() + m);
  int64_t k = 0;
  while (k < m) {
    const uint32_t b = keys_[k] >> 24;
    double bw = 0.0, bwy = 0.0;
    int64_t bn = 0;
    for (; k < m && (keys_[k] >> 24) == b; ++k) {
      const Sample& r = rows[keys_[k] & kLocalMask];
      bw += static_cast<double>(r.w);
      bwy += r.wy;
      ++bn;
    }
    if (k == m) break;  // the last bin: nothing would go right
    offer_bin(f, static_cast<int32_t>(b), bw, bwy, bn, s, wl, syl, nl, best);
    if (s.n - nl < p_.min_samples_leaf) break;
  }
  return true;
}

void TreeBuilder::offer_bin(int32_t f, int32_t b, double bw, double bwy, int64_t bn, const NodeStats& s, double& wl,
                            double& syl, int64_t& nl, SplitCandidate& best) const {
  wl += bw;
  syl += bwy;
  nl += bn;
  if (nl < p_.min_samples_leaf || s.n - nl < p_.min_samples_leaf) return;
  const double wr = s.w - wl, syr = s.sy - syl;
  const double proxy = syl * syl / wl + syr * syr / wr;
  if (proxy > best.proxy) {
    best.feature = f;
    best.threshold = bins_->edges[f][b];
    best.bin = b;
    best.proxy = proxy;
  }
}

bool TreeBuilder::scan_histogram(int32_t f, const Pending& node, SplitCandidate& best) {
  const BinTotals* h = hist_pool_[node.hist].data() + bins_->hist_offset[f];
  const int32_t nb = bins_->n_bins(f);
  int32_t nonempty = 0;
  for (int32_t b = 0; b < nb && nonempty < 2; ++b) nonempty += h[b].counts != 0;
  if (nonempty < 2) return false;
  const NodeStats& s = node.stats;
  double wl = 0.0, syl = 0.0;
  int64_t nl = 0;
  for (int32_t b = 0; b + 1 < nb; ++b) {
    if (h[b].counts == 0) continue;
    offer_bin(f, b, draws_of(h[b].counts), h[b].wy, rows_of(h[b].counts), s, wl, syl, nl, best);
    if (s.n - nl < p_.min_samples_leaf) break;
  }
  return true;
}

int64_t TreeBuilder::partition(const Pending& node, const SplitCandidate& split) {
  // Stable: left rows keep their order, then right rows keep theirs (the TS twin does the same).
  int64_t nl = 0, nr = 0;
  const int32_t f = split.feature;
  Sample* rows = samples_.data();
  const uint8_t* codes = bins_ != nullptr && !bins_->codes.empty() ? bins_->codes.data() + f : nullptr;
  const size_t stride = static_cast<size_t>(data_.cols);
  const uint32_t bin = static_cast<uint32_t>(split.bin);
  const bool exact = p_.split_mode == SplitMode::Exact;
  for (int64_t k = node.start; k < node.end; ++k) {
    const Sample r = rows[k];
    const bool left = exact ? data_.at(r.row, f) <= split.threshold : codes[r.row * stride] <= bin;
    // both writes, one advance: no branch to mispredict on a coin-flip split
    rows[node.start + nl] = r;
    spill_[nr] = r;
    nl += left;
    nr += !left;
  }
  std::copy(spill_.begin(), spill_.begin() + nr, samples_.begin() + node.start + nl);
  return node.start + nl;
}

int32_t TreeBuilder::acquire_hist() {
  if (!hist_free_.empty()) {
    const int32_t h = hist_free_.back();
    hist_free_.pop_back();
    return h;
  }
  hist_pool_.emplace_back(static_cast<size_t>(bins_->total_bins()), BinTotals{0, 0.0});
  return static_cast<int32_t>(hist_pool_.size()) - 1;
}

void TreeBuilder::release_hist(int32_t h) {
  if (h >= 0) hist_free_.push_back(h);
}

void TreeBuilder::build_hist(int32_t h, int64_t start, int64_t end) {
  std::vector<BinTotals>& buf = hist_pool_[h];
  std::fill(buf.begin(), buf.end(), BinTotals{0, 0.0});
  const int32_t p = data_.cols;
  const int32_t* offset = bins_->hist_offset.data();
  const uint8_t* codes = bins_->codes.data();
  BinTotals* cells = buf.data();
  // Row by row, all features at once: one row's codes are one read. Each cell still receives
  // its rows in node order, so the sums are those of a feature-by-feature pass.
  for (int64_t k = start; k < end; ++k) {
    const Sample& r = samples_[k];
    const uint8_t* c = codes + static_cast<size_t>(r.row) * static_cast<size_t>(p);
    const uint64_t counts = kOneRow | static_cast<uint32_t>(r.w);
    for (int32_t f = 0; f < p; ++f) {
      BinTotals& cell = cells[offset[f] + c[f]];
      cell.counts += counts;
      cell.wy += r.wy;
    }
  }
}

void TreeBuilder::subtract_hist(int32_t parent, int32_t child) {
  std::vector<BinTotals>& a = hist_pool_[parent];
  const std::vector<BinTotals>& b = hist_pool_[child];
  for (size_t i = 0; i < a.size(); ++i) {
    a[i].counts -= b[i].counts;
    a[i].wy -= b[i].wy;
  }
}

}  // namespace grove
