// Split criteria as policy types (scikit-learn's Criterion seam, resolved at compile time):
// TreeBuilder<Criterion> is compiled once per criterion, so the scans call these functions
// inline, never through a pointer. A criterion says what a node keeps (Stats), what one side of
// a candidate split accumulates (Side), what a histogram cell holds (Cell), how a split is scored
// (proxy: a cheap quantity with the same arg-max as the impurity decrease), a node's impurity,
// its leaf value(s) and the improvement min_impurity_decrease is compared with. The builder holds
// one criterion object (squared error's is empty; a classifier's knows K and the tree's class
// weights). The TS twin mirrors each function with the same operations in the same order
// (src/forest/js/criterion.ts, class-criterion.ts, glog.ts): change both.
//
// Classification (Gini, entropy): y is a class index, Stats and Side hold class draws (whole
// numbers in doubles, so their sums do not depend on the order rows are added in), weighted by
// the class weights cw[c] only when a score is computed.
#pragma once
#include <cfloat>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <vector>

#include "flat_tree.h"
#include "params.h"

namespace grove {

struct SquaredError {
  static constexpr bool kClasses = false;
  explicit SquaredError(const ForestParams&) {}

  // Weighted sums over a node's in-bag rows, accumulated in the node's row order.
  struct Stats {
    int64_t n = 0;      // distinct rows
    double w = 0.0;     // sum of weights (bootstrap draws)
    double sy = 0.0;    // sum of w * y
    double syy = 0.0;   // sum of (w * y) * y
    double ymin = 0.0;
    double ymax = 0.0;
  };

  // The left side of a candidate split, rows or bins added in order.
  struct Side {
    double w = 0.0;   // draws
    double sy = 0.0;  // sum of w * y
  };

  Stats stats() const { return Stats(); }
  Side side() const { return Side(); }

  // The first row of a node: starts its range of y.
  static void start(Stats& s, double y) { s.ymin = s.ymax = y; }
  // After the node's last row (nothing left to do).
  static void finish(Stats&) {}

  // One in-bag row drawn w times, wy = w * y.
  static void add(Stats& s, int32_t w, double wy, double y) {
    s.w += static_cast<double>(w);
    s.sy += wy;
    s.syy += wy * y;
    if (y < s.ymin) s.ymin = y;
    if (y > s.ymax) s.ymax = y;
  }

  // A row or a bin's totals (w draws, wy their sum of w * y) moved to the left side.
  static void add(Side& side, double w, double wy) {
    side.w += w;
    side.sy += wy;
  }

  // A row drawn w times moved to the left side (exact scans).
  static void add_row(Side& side, double w, double y) { add(side, w, w * y); }

  // Histogram cells: a bin's rows << 32 | draws in one integer (one add for both, and whole
  // numbers sum exactly, as the twin's doubles do) and its sum of w * y. One cell per bin.
  struct Cell {
    uint64_t counts;
    double wy;
  };
  static constexpr size_t cell_stride() { return 1; }
  static uint64_t cell_counts(const Cell* c) { return c->counts; }
  static void cell_add(Cell* c, uint64_t counts, int32_t /*w*/, double wy, double /*y*/) {
    c->counts += counts;
    c->wy += wy;
  }
  static void cell_subtract(Cell* a, const Cell* b, size_t cells) {
    for (size_t i = 0; i < cells; ++i) {
      a[i].counts -= b[i].counts;
      a[i].wy -= b[i].wy;
    }
  }
  static void add_cell(Side& side, const Cell* c) {
    add(side, static_cast<double>(c->counts & 0xFFFFFFFFu), c->wy);
  }

  // The weighted mean: the leaf's prediction.
  static double value(const Stats& s) { return s.sy / s.w; }

  static int32_t add_node(FlatTree& out, const Stats& s, double impurity) {
    return out.add_leaf(value(s), static_cast<int32_t>(s.n), s.w, impurity);
  }

  // Weighted variance.
  static double impurity(const Stats& s) { return s.syy / s.w - (s.sy / s.w) * (s.sy / s.w); }

  // Every row has the same y: no split can help.
  static bool pure(const Stats& s) { return s.ymin == s.ymax; }

  // sum over both sides of (sum w*y)^2 / w: the variance decrease up to terms fixed by the node.
  static double proxy(const Side& left, const Stats& node) {
    const double wr = node.w - left.w, syr = node.sy - left.sy;
    return left.sy * left.sy / left.w + syr * syr / wr;
  }

  // scikit-learn's weighted impurity decrease of a split, relative to the root's weight.
  static double improvement(const Stats& node, double node_impurity, const Stats& left, const Stats& right,
                            double root_w) {
    return (node.w / root_w) *
           (node_impurity - (right.w / node.w) * impurity(right) - (left.w / node.w) * impurity(left));
  }
};

constexpr double kLn2 = 0.6931471805599453;
constexpr double kLog2E = 1.4426950408889634;
constexpr double kSqrt2 = 1.4142135623730951;

// The natural logarithm of a positive, finite, normal x by our own arithmetic, never std::log:
// V8's Math.log and glibc's log may differ by an ulp, and the TS twin (src/forest/js/glog.ts)
// must get the same entropy to the bit. x = m * 2^e with m in (sqrt(2)/2, sqrt(2)], then
// log(m) = 2 atanh(s), s = (m - 1) / (m + 1), by its odd series to s^23 (|s| < 0.172: the next
// term is below 1e-20 of the result).
inline double glog(double x) {
  uint64_t bits;
  std::memcpy(&bits, &x, sizeof bits);
  const int32_t biased = static_cast<int32_t>((bits >> 52) & 0x7FF);
  if (!(x > 0.0) || biased == 0 || biased == 0x7FF) throw std::domain_error("glog needs a positive, finite, normal number");
  int32_t e = biased - 1023;
  bits = (bits & 0x000FFFFFFFFFFFFFull) | (uint64_t{1023} << 52);
  double m;
  std::memcpy(&m, &bits, sizeof m);
  if (m > kSqrt2) {
    m = m / 2.0;
    e = e + 1;
  }
  const double s = (m - 1.0) / (m + 1.0);
  const double z = s * s;
  double q = 1.0 / 23.0;
  q = q * z + 1.0 / 21.0;
  q = q * z + 1.0 / 19.0;
  q = q * z + 1.0 / 17.0;
  q = q * z + 1.0 / 15.0;
  q = q * z + 1.0 / 13.0;
  q = q * z + 1.0 / 11.0;
  q = q * z + 1.0 / 9.0;
  q = q * z + 1.0 / 7.0;
  q = q * z + 1.0 / 5.0;
  q = q * z + 1.0 / 3.0;
  q = q * z + 1.0;
  return static_cast<double>(e) * kLn2 + 2.0 * s * q;
}

// What Gini and entropy share: class draws per node and per side, class weights, leaf values.
// Impurity supplies impurity(cw, counts, w) and proxy(left, node).
template <typename Impurity>
class ClassCriterion {
 public:
  static constexpr bool kClasses = true;

  explicit ClassCriterion(const ForestParams& p)
      : k_(static_cast<size_t>(p.n_classes)), balanced_(p.balanced_subsample), cw_(k_, 1.0), side_(k_, 0.0) {
    if (!balanced_ && p.class_weight != nullptr) cw_.assign(p.class_weight, p.class_weight + k_);
  }

  // n distinct rows, cnt[c] draws of class c, w = sum of cw[c] * cnt[c] in class order
  struct Stats {
    int64_t n = 0;
    double w = 0.0;
    std::vector<double> cnt;
  };
  // the left side's class draws: the criterion's one scratch array (one side is scanned at a time)
  struct Side {
    double* cnt = nullptr;
  };

  size_t n_classes() const { return k_; }
  const double* weights() const { return cw_.data(); }

  // balanced_subsample: the tree's weights from its draws per class (D draws in all):
  // cw[c] = D / (Kp * Dc), Kp the classes drawn at least once, 0 for a class never drawn.
  // Without it the weights stay those given.
  void start_tree(const std::vector<double>& class_draws) {
    if (!balanced_) return;
    double d = 0.0;
    double kp = 0.0;
    for (size_t c = 0; c < k_; ++c) {
      d += class_draws[c];
      kp += class_draws[c] > 0.0 ? 1.0 : 0.0;
    }
    for (size_t c = 0; c < k_; ++c) cw_[c] = class_draws[c] > 0.0 ? d / (kp * class_draws[c]) : 0.0;
  }

  Stats stats() const {
    Stats s;
    s.cnt.assign(k_, 0.0);
    return s;
  }
  Side side() {
    std::fill(side_.begin(), side_.end(), 0.0);
    return Side{side_.data()};
  }

  static void start(Stats&, double) {}
  static void add(Stats& s, int32_t w, double /*wy*/, double y) { s.cnt[static_cast<size_t>(y)] += static_cast<double>(w); }
  void finish(Stats& s) const {
    double w = 0.0;
    for (size_t c = 0; c < k_; ++c) w += cw_[c] * s.cnt[c];
    s.w = w;
  }
  static void add_row(Side& side, double w, double y) { side.cnt[static_cast<size_t>(y)] += w; }

  // Histogram cells: per bin, the rows << 32 | draws word, then the K class draws.
  using Cell = uint64_t;
  size_t cell_stride() const { return 1 + k_; }
  static uint64_t cell_counts(const Cell* c) { return c[0]; }
  static void cell_add(Cell* c, uint64_t counts, int32_t w, double /*wy*/, double y) {
    c[0] += counts;
    c[1 + static_cast<size_t>(y)] += static_cast<uint64_t>(w);
  }
  static void cell_subtract(Cell* a, const Cell* b, size_t words) {
    for (size_t i = 0; i < words; ++i) a[i] -= b[i];
  }
  void add_cell(Side& side, const Cell* c) const {
    for (size_t k = 0; k < k_; ++k) side.cnt[k] += static_cast<double>(c[1 + k]);
  }

  double impurity(const Stats& s) const { return Impurity::impurity(cw_.data(), s.cnt.data(), k_, s.w); }

  // at most one class present
  bool pure(const Stats& s) const {
    int32_t present = 0;
    for (size_t c = 0; c < k_; ++c) present += s.cnt[c] > 0.0;
    return present <= 1;
  }

  double proxy(const Side& left, const Stats& node) const { return Impurity::proxy(cw_.data(), left.cnt, node.cnt.data(), k_); }

  double improvement(const Stats& node, double node_impurity, const Stats& left, const Stats& right, double root_w) const {
    return (node.w / root_w) *
           (node_impurity - (right.w / node.w) * impurity(right) - (left.w / node.w) * impurity(left));
  }

  // value[c] = cw[c] * cnt[c] / w, K values for every node
  int32_t add_node(FlatTree& out, const Stats& s, double impurity) const {
    const int32_t id = out.add_class_leaf(static_cast<int32_t>(s.n), s.w, impurity);
    for (size_t c = 0; c < k_; ++c) out.value.push_back((cw_[c] * s.cnt[c]) / s.w);
    return id;
  }

 private:
  size_t k_;
  bool balanced_;
  std::vector<double> cw_;
  std::vector<double> side_;
};

struct GiniImpurity {
  // 1 - sum (cw[c] cnt[c])^2 / w^2
  static double impurity(const double* cw, const double* cnt, size_t k, double w) {
    double sq = 0.0;
    for (size_t c = 0; c < k; ++c) {
      const double wc = cw[c] * cnt[c];
      sq += wc * wc;
    }
    return 1.0 - sq / (w * w);
  }
  // sum over both sides of (sum of squared class weights) / side weight
  static double proxy(const double* cw, const double* left, const double* node, size_t k) {
    double wl = 0.0, wr = 0.0, sql = 0.0, sqr = 0.0;
    for (size_t c = 0; c < k; ++c) {
      const double l = cw[c] * left[c];
      const double r = cw[c] * (node[c] - left[c]);
      wl += l;
      wr += r;
      sql += l * l;
      sqr += r * r;
    }
    return sql / wl + sqr / wr;
  }
};

struct EntropyImpurity {
  // -sum p log2 p over the classes present, p = cw[c] cnt[c] / w
  static double entropy(const double* cw, const double* cnt, size_t k, double w) {
    double h = 0.0;
    for (size_t c = 0; c < k; ++c) {
      const double wc = cw[c] * cnt[c];
      if (wc > 0.0) {
        const double p = wc / w;
        h -= p * (glog(p) * kLog2E);
      }
    }
    return h;
  }
  static double impurity(const double* cw, const double* cnt, size_t k, double w) { return entropy(cw, cnt, k, w); }
  // -(wl Hl + wr Hr): the weighted children's entropy, negated
  static double proxy(const double* cw, const double* left, const double* node, size_t k) {
    double wl = 0.0, wr = 0.0;
    for (size_t c = 0; c < k; ++c) {
      wl += cw[c] * left[c];
      wr += cw[c] * (node[c] - left[c]);
    }
    double hl = 0.0, hr = 0.0;
    for (size_t c = 0; c < k; ++c) {
      const double l = cw[c] * left[c];
      const double r = cw[c] * (node[c] - left[c]);
      if (l > 0.0) {
        const double p = l / wl;
        hl -= p * (glog(p) * kLog2E);
      }
      if (r > 0.0) {
        const double p = r / wr;
        hr -= p * (glog(p) * kLog2E);
      }
    }
    return -(wl * hl + wr * hr);
  }
};

using Gini = ClassCriterion<GiniImpurity>;
using Entropy = ClassCriterion<EntropyImpurity>;

}  // namespace grove
