#pragma once
// Elementwise vector kernels, written once for host and device (see backend/for_each.hpp).
#include "backend/types.hpp"

namespace hesscov::backend::kernels {

/// y[i] = value.
struct Fill {
  double* y;
  double value;
  HC_HOST_DEVICE void operator()(index i) const { y[i] = value; }
};

/// y[i] += alpha * x[i].
struct Axpy {
  double alpha;
  const double* x;
  double* y;
  HC_HOST_DEVICE void operator()(index i) const { y[i] += alpha * x[i]; }
};

/// y[i] *= alpha.
struct Scale {
  double alpha;
  double* y;
  HC_HOST_DEVICE void operator()(index i) const { y[i] *= alpha; }
};

/// out[row] = sum_j a[row, j] * b[row, j] for row-major [rows x cols] a and b (one row per call).
struct RowDot {
  const double* a;
  const double* b;
  index cols;
  double* out;
  HC_HOST_DEVICE void operator()(index row) const {
    double sum = 0.0;
    for (index j = 0; j < cols; ++j) sum += a[row * cols + j] * b[row * cols + j];
    out[row] = sum;
  }
};

/// out[row] = 1 when the largest entry of z's row sits where the largest entry of t's row does
/// (first maximum on ties), else 0: per-sample accuracy against one-hot or soft targets.
struct RowArgmaxMatch {
  const double* z;
  const double* t;
  index cols;
  double* out;
  HC_HOST_DEVICE void operator()(index row) const {
    index best_z = 0, best_t = 0;
    for (index j = 1; j < cols; ++j) {
      if (z[row * cols + j] > z[row * cols + best_z]) best_z = j;
      if (t[row * cols + j] > t[row * cols + best_t]) best_t = j;
    }
    out[row] = best_z == best_t ? 1.0 : 0.0;
  }
};

}  // namespace hesscov::backend::kernels
