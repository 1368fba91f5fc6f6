#pragma once
// The non-GEMM parts of a dense layer: bias broadcast, bias gradient, and per-sample parameter
// gradients (outer products kept per sample instead of summed by a GEMM).
#include "backend/types.hpp"

namespace hesscov::backend::kernels {

/// y[row, j] += bias[j] for row-major y with `cols` columns; i runs over all rows*cols entries.
struct AddRowVector {
  const double* bias;
  index cols;
  double* y;
  HC_HOST_DEVICE void operator()(index i) const { y[i] += bias[i % cols]; }
};

/// out[j] += alpha * sum_row dy[row, j]; j runs over the `cols` columns.
struct ColumnSum {
  const double* dy;
  index rows;
  index cols;
  double alpha;
  double* out;
  HC_HOST_DEVICE void operator()(index j) const {
    double sum = 0.0;
    for (index row = 0; row < rows; ++row) sum += dy[row * cols + j];
    out[j] += alpha * sum;
  }
};

/// out[n * stride + a * in + b] += dy[n, a] * x[n, b]: each sample's own weight gradient dy_n x_n^T
/// (out x in, row-major) written to row n of a [samples x stride] matrix. i runs over
/// samples * out_features * in_features.
struct PerSampleOuter {
  const double* dy;
  const double* x;
  index out_features;
  index in_features;
  double* out;
  index stride;
  HC_HOST_DEVICE void operator()(index i) const {
    const index block = out_features * in_features;
    const index n = i / block;
    const index r = i % block;
    out[n * stride + r] += dy[n * out_features + r / in_features] * x[n * in_features + r % in_features];
  }
};

/// out[n * stride + j] += dy[n, j]: each sample's own bias gradient. i runs over samples * features.
struct PerSampleRows {
  const double* dy;
  index features;
  double* out;
  index stride;
  HC_HOST_DEVICE void operator()(index i) const {
    out[(i / features) * stride + i % features] += dy[i];
  }
};

}  // namespace hesscov::backend::kernels
