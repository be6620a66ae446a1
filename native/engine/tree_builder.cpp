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
constexpr int64_t kCountingSortMin = 64;   // below, std::sort on the keys is cheaper
}  // namespace

TreeBuilder::TreeBuilder(const Dataset& data, const ForestParams& params, const BinnedFeatures* bins,
                         const SortedFeatures* sorted)
    : data_(data), p_(params), bins_(bins), sorted_(sorted) {
  const size_t n = static_cast<size_t>(data.rows);
  weight_.assign(n, 0.0);
  wy_.assign(n, 0.0);
  idx_.reserve(n);
  tmp_.resize(n);
  keys_.resize(n);
  xs_.resize(n);
  features_.resize(data.cols);
}

void TreeBuilder::draw_sample(Rng& rng, std::vector<uint8_t>& inbag) {
  const int64_t n = data_.rows;
  std::fill(weight_.begin(), weight_.end(), 0.0);
  if (p_.bootstrap) {
    const int64_t draws = std::max<int64_t>(1, static_cast<int64_t>(std::floor(p_.max_samples * static_cast<double>(n) + 0.5)));
    for (int64_t d = 0; d < draws; ++d) weight_[rng.below(static_cast<uint32_t>(n))] += 1.0;
  } else {
    std::fill(weight_.begin(), weight_.end(), 1.0);
  }
  idx_.clear();
  inbag.assign(static_cast<size_t>(n), 0);
  for (int64_t i = 0; i < n; ++i) {
    wy_[i] = weight_[i] * data_.y[i];
    if (weight_[i] > 0.0) {
      idx_.push_back(static_cast<uint32_t>(i));
      inbag[i] = 1;
    }
  }
}

NodeStats TreeBuilder::stats_of(int64_t start, int64_t end) const {
  NodeStats s;
  s.n = end - start;
  s.ymin = s.ymax = data_.y[idx_[start]];
  for (int64_t k = start; k < end; ++k) {
    const uint32_t row = idx_[k];
    const double y = data_.y[row];
    s.w += weight_[row];
    s.sy += wy_[row];
    s.syy += wy_[row] * y;
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

  const int64_t m = static_cast<int64_t>(idx_.size());
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
    else varies = scan_sorted_codes(f, node, best);
    if (varies) ++visited;
  }
  return best.feature >= 0;
}

bool TreeBuilder::scan_exact(int32_t f, const Pending& node, SplitCandidate& best) {
  const int64_t m = node.end - node.start;
  const size_t n = static_cast<size_t>(data_.rows);
  const uint32_t* rank = sorted_->rank.data() + static_cast<size_t>(f) * n;
  const uint32_t* order = sorted_->order.data() + static_cast<size_t>(f) * n;
  for (int64_t k = 0; k < m; ++k) keys_[k] = rank[idx_[node.start + k]];
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
    wl += weight_[row];
    syl += wy_[row];
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

bool TreeBuilder::scan_sorted_codes(int32_t f, const Pending& node, SplitCandidate& best) {
  const int64_t m = node.end - node.start;
  const uint8_t* codes = bins_->codes.data() + static_cast<size_t>(f) * static_cast<size_t>(data_.rows);
  // Keys bin << 24 | position, in ascending order. A counting sort by bin gives the same order
  // as sorting the keys (positions ascend within a bin), in O(m + bins) instead of O(m log m).
  if (m < kCountingSortMin) {
    for (int64_t k = 0; k < m; ++k) {
      keys_[k] = (static_cast<uint32_t>(codes[idx_[node.start + k]]) << 24) | static_cast<uint32_t>(k);
    }
    std::sort(keys_.begin(), keys_.begin() + m);
  } else {
    uint32_t start[257] = {0};
    for (int64_t k = 0; k < m; ++k) ++start[codes[idx_[node.start + k]] + 1];
    for (int b = 0; b < 256; ++b) start[b + 1] += start[b];
    for (int64_t k = 0; k < m; ++k) {
      const uint32_t b = codes[idx_[node.start + k]];
      keys_[start[b]++] = (b << 24) | static_cast<uint32_t>(k);
    }
  }
  if ((keys_[0] >> 24) == (keys_[m - 1] >> 24)) return false;
  const std::vector<double>& edges = bins_->edges[f];
  const NodeStats& s = node.stats;
  const int64_t msl = p_.min_samples_leaf;
  double wl = 0.0, syl = 0.0;
  for (int64_t k = 0; k + 1 < m; ++k) {
    const uint32_t row = idx_[node.start + (keys_[k] & kLocalMask)];
    wl += weight_[row];
    syl += wy_[row];
    const int64_t nl = k + 1;
    if (nl < msl) continue;
    if (m - nl < msl) break;
    const uint32_t b = keys_[k] >> 24;
    if ((keys_[k + 1] >> 24) == b) continue;
    const double wr = s.w - wl, syr = s.sy - syl;
    const double proxy = syl * syl / wl + syr * syr / wr;
    if (proxy > best.proxy) {
      best.feature = f;
      best.threshold = edges[b];
      best.bin = static_cast<int32_t>(b);
      best.proxy = proxy;
    }
  }
  return true;
}

bool TreeBuilder::scan_histogram(int32_t f, const Pending& node, SplitCandidate& best) {
  const double* h = hist_pool_[node.hist].data() + 3 * static_cast<size_t>(bins_->hist_offset[f]);
  const int32_t nb = bins_->n_bins(f);
  int32_t nonempty = 0;
  for (int32_t b = 0; b < nb && nonempty < 2; ++b) nonempty += h[3 * b + 2] > 0.0;
  if (nonempty < 2) return false;
  const std::vector<double>& edges = bins_->edges[f];
  const NodeStats& s = node.stats;
  const int64_t msl = p_.min_samples_leaf;
  double wl = 0.0, syl = 0.0;
  int64_t nl = 0;
  for (int32_t b = 0; b + 1 < nb; ++b) {
    const double rows = h[3 * b + 2];
    if (rows == 0.0) continue;
    wl += h[3 * b];
    syl += h[3 * b + 1];
    nl += static_cast<int64_t>(rows);
    if (nl < msl) continue;
    if (s.n - nl < msl) break;
    const double wr = s.w - wl, syr = s.sy - syl;
    const double proxy = syl * syl / wl + syr * syr / wr;
    if (proxy > best.proxy) {
      best.feature = f;
      best.threshold = edges[b];
      best.bin = b;
      best.proxy = proxy;
    }
  }
  return true;
}

int64_t TreeBuilder::partition(const Pending& node, const SplitCandidate& split) {
  // Stable: left rows keep their order, then right rows keep theirs (the TS twin does the same).
  int64_t nl = 0, nr = 0;
  const int32_t f = split.feature;
  if (p_.split_mode == SplitMode::Exact) {
    for (int64_t k = node.start; k < node.end; ++k) {
      const uint32_t row = idx_[k];
      if (data_.at(row, f) <= split.threshold) idx_[node.start + nl++] = row;
      else tmp_[nr++] = row;
    }
  } else {
    const uint8_t* codes = bins_->codes.data() + static_cast<size_t>(f) * static_cast<size_t>(data_.rows);
    const uint32_t bin = static_cast<uint32_t>(split.bin);
    for (int64_t k = node.start; k < node.end; ++k) {
      const uint32_t row = idx_[k];
      if (codes[row] <= bin) idx_[node.start + nl++] = row;
      else tmp_[nr++] = row;
    }
  }
  std::copy(tmp_.begin(), tmp_.begin() + nr, idx_.begin() + node.start + nl);
  return node.start + nl;
}

int32_t TreeBuilder::acquire_hist() {
  if (!hist_free_.empty()) {
    const int32_t h = hist_free_.back();
    hist_free_.pop_back();
    return h;
  }
  hist_pool_.emplace_back(3 * static_cast<size_t>(bins_->total_bins()), 0.0);
  return static_cast<int32_t>(hist_pool_.size()) - 1;
}

void TreeBuilder::release_hist(int32_t h) {
  if (h >= 0) hist_free_.push_back(h);
}

void TreeBuilder::build_hist(int32_t h, int64_t start, int64_t end) {
  std::vector<double>& buf = hist_pool_[h];
  std::fill(buf.begin(), buf.end(), 0.0);
  const size_t n = static_cast<size_t>(data_.rows);
  for (int32_t f = 0; f < data_.cols; ++f) {
    const uint8_t* codes = bins_->codes.data() + static_cast<size_t>(f) * n;
    double* cells = buf.data() + 3 * static_cast<size_t>(bins_->hist_offset[f]);
    for (int64_t k = start; k < end; ++k) {
      const uint32_t row = idx_[k];
      double* c = cells + 3 * static_cast<size_t>(codes[row]);
      c[0] += weight_[row];
      c[1] += wy_[row];
      c[2] += 1.0;
    }
  }
}

void TreeBuilder::subtract_hist(int32_t parent, int32_t child) {
  std::vector<double>& a = hist_pool_[parent];
  const std::vector<double>& b = hist_pool_[child];
  for (size_t i = 0; i < a.size(); ++i) a[i] -= b[i];
}

}  // namespace grove
