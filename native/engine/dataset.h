// A read-only view of a feature matrix and its target. The engine never owns or copies the
// caller's data: x(i, j) = x[i * row_stride + j * col_stride] covers row- and column-major.
#pragma once
#include <cstdint>

namespace grove {

struct Dataset {
  const double* x = nullptr;
  const double* y = nullptr;  // null when only predicting
  int64_t rows = 0;
  int32_t cols = 0;
  int64_t row_stride = 0;
  int64_t col_stride = 0;

  double at(int64_t i, int32_t j) const { return x[i * row_stride + j * col_stride]; }

  static Dataset row_major(const double* x, int64_t rows, int32_t cols) {
    return Dataset{x, nullptr, rows, cols, cols, 1};
  }
  static Dataset col_major(const double* x, int64_t rows, int32_t cols) {
    return Dataset{x, nullptr, rows, cols, 1, rows};
  }
};

}  // namespace grove
