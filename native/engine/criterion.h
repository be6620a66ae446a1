// Split criteria as policy types (scikit-learn's Criterion seam, resolved at compile time):
// TreeBuilder<Criterion> is compiled once per criterion, so the scans call these functions
// inline, never through a pointer. A criterion says what a node keeps (Stats), what one side of
// a candidate split accumulates (Side), how a split is scored (proxy: a cheap quantity with the
// same arg-max as the impurity decrease), a node's impurity, its leaf value and the improvement
// min_impurity_decrease is compared with. The TS twin mirrors each function in
// src/forest/js/criterion.ts with the same operations in the same order: change both.
//
// A classification criterion (Gini, entropy) is one more struct of this shape whose Stats and
// Side hold weighted class counts instead of sums of y.
#pragma once
#include <cstdint>

namespace grove {

struct SquaredError {
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

  // The first row of a node: starts its range of y.
  static void start(Stats& s, double y) { s.ymin = s.ymax = y; }

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

  // The weighted mean: the leaf's prediction.
  static double value(const Stats& s) { return s.sy / s.w; }

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

}  // namespace grove
