#pragma once
// Per-sample losses on network outputs z (row-major [samples x classes]) against targets t of the
// same shape, with their gradient and Hessian-vector product in z. One call handles one sample
// (row); rows are independent. A row's weight is scale * (weights ? weights[row] : 1), so the same
// kernel gives the mean-loss gradient (scale = 1/N), J^T w (weights = w) and per-sample terms.
//
// Softmax is recomputed from z inside each kernel instead of being stored: classes are few, and
// this keeps the kernels free of scratch memory on either backend.
#include <math.h>

#include "backend/types.hpp"

namespace hesscov::backend::kernels {

struct RowSoftmax {
  double max = 0.0;
  double sum = 0.0;  // sum_k exp(z_k - max)
  HC_HOST_DEVICE RowSoftmax(const double* z, index classes) {
    max = z[0];
    for (index k = 1; k < classes; ++k) max = z[k] > max ? z[k] : max;
    for (index k = 0; k < classes; ++k) sum += exp(z[k] - max);
  }
  HC_HOST_DEVICE double probability(double z_k) const { return exp(z_k - max) / sum; }
  HC_HOST_DEVICE double log_sum_exp() const { return max + log(sum); }
};

HC_HOST_DEVICE inline double row_weight(const double* weights, double scale, index row) {
  return weights != nullptr ? scale * weights[row] : scale;
}

/// Cross-entropy of softmax(z) against a target distribution t (one-hot or smoothed):
/// l = sum_k t_k (logsumexp(z) - z_k); grad = (sum t) p - t; Hess = (sum t)(diag p - p p^T).
struct CrossEntropy {
  HC_HOST_DEVICE static double loss(const double* z, const double* t, index classes) {
    const RowSoftmax s(z, classes);
    double value = 0.0;
    for (index k = 0; k < classes; ++k) value += t[k] * (s.log_sum_exp() - z[k]);
    return value;
  }
  HC_HOST_DEVICE static void gradient(const double* z, const double* t, index classes, double w,
                                      double* out) {
    const RowSoftmax s(z, classes);
    double mass = 0.0;
    for (index k = 0; k < classes; ++k) mass += t[k];
    for (index k = 0; k < classes; ++k) out[k] = w * (mass * s.probability(z[k]) - t[k]);
  }
  HC_HOST_DEVICE static void hessian(const double* z, const double* t, const double* r, index classes,
                                     double w, bool /*gauss_newton*/, double* out) {
    // Convex in z: the Gauss-Newton part is the whole Hessian.
    const RowSoftmax s(z, classes);
    double mass = 0.0, pr = 0.0;
    for (index k = 0; k < classes; ++k) {
      mass += t[k];
      pr += s.probability(z[k]) * r[k];
    }
    for (index k = 0; k < classes; ++k) out[k] = w * mass * s.probability(z[k]) * (r[k] - pr);
  }
};

/// Squared error l = 1/2 ||z - t||^2 (the 1/2 makes the per-sample Hessian the identity).
struct SquaredError {
  HC_HOST_DEVICE static double loss(const double* z, const double* t, index classes) {
    double value = 0.0;
    for (index k = 0; k < classes; ++k) value += 0.5 * (z[k] - t[k]) * (z[k] - t[k]);
    return value;
  }
  HC_HOST_DEVICE static void gradient(const double* z, const double* t, index classes, double w,
                                      double* out) {
    for (index k = 0; k < classes; ++k) out[k] = w * (z[k] - t[k]);
  }
  HC_HOST_DEVICE static void hessian(const double*, const double*, const double* r, index classes,
                                     double w, bool, double* out) {
    for (index k = 0; k < classes; ++k) out[k] = w * r[k];
  }
};

/// Squared error after a softmax, l = 1/2 ||s - t||^2 with s = softmax(z). With J = diag(s) - s s^T
/// (symmetric) and e = s - t: grad = J e; Hess r = J J r + [diag(Rs) e - Rs (s.e) - s (Rs.e)] with
/// Rs = J r. The bracket is the softmax's own curvature: the Gauss-Newton variant drops it, which
/// keeps the GGN positive semi-definite (the split sits between softmax and squared error).
struct SoftmaxSquaredError {
  HC_HOST_DEVICE static double loss(const double* z, const double* t, index classes) {
    const RowSoftmax s(z, classes);
    double value = 0.0;
    for (index k = 0; k < classes; ++k) {
      const double e = s.probability(z[k]) - t[k];
      value += 0.5 * e * e;
    }
    return value;
  }
  HC_HOST_DEVICE static void gradient(const double* z, const double* t, index classes, double w,
                                      double* out) {
    const RowSoftmax s(z, classes);
    double se = 0.0;
    for (index k = 0; k < classes; ++k) {
      const double p = s.probability(z[k]);
      se += p * (p - t[k]);
    }
    for (index k = 0; k < classes; ++k) {
      const double p = s.probability(z[k]);
      out[k] = w * p * ((p - t[k]) - se);
    }
  }
  HC_HOST_DEVICE static void hessian(const double* z, const double* t, const double* r, index classes,
                                     double w, bool gauss_newton, double* out) {
    const RowSoftmax s(z, classes);
    double sr = 0.0;
    for (index k = 0; k < classes; ++k) sr += s.probability(z[k]) * r[k];
    double s_rs = 0.0, se = 0.0, rs_e = 0.0;  // s.Rs, s.e, Rs.e
    for (index k = 0; k < classes; ++k) {
      const double p = s.probability(z[k]);
      const double rs = p * (r[k] - sr);
      s_rs += p * rs;
      se += p * (p - t[k]);
      rs_e += rs * (p - t[k]);
    }
    for (index k = 0; k < classes; ++k) {
      const double p = s.probability(z[k]);
      const double rs = p * (r[k] - sr);
      double value = p * (rs - s_rs);  // (J Rs)_k
      if (!gauss_newton) value += rs * (p - t[k]) - rs * se - p * rs_e;
      out[k] = w * value;
    }
  }
};

/// Per-sample losses (unweighted): out[row] = Loss::loss(z_row, t_row).
template <class Loss>
struct LossValue {
  const double* z;
  const double* t;
  index classes;
  double* out;
  HC_HOST_DEVICE void operator()(index row) const {
    out[row] = Loss::loss(z + row * classes, t + row * classes, classes);
  }
};

/// out_row = w_row * dl/dz.
template <class Loss>
struct LossGradient {
  const double* z;
  const double* t;
  index classes;
  const double* weights;
  double scale;
  double* out;
  HC_HOST_DEVICE void operator()(index row) const {
    Loss::gradient(z + row * classes, t + row * classes, classes, row_weight(weights, scale, row),
                   out + row * classes);
  }
};

/// out_row = w_row * (d^2 l/dz^2) r_row (or its Gauss-Newton part).
template <class Loss>
struct LossHessian {
  const double* z;
  const double* t;
  const double* r;
  index classes;
  const double* weights;
  double scale;
  bool gauss_newton;
  double* out;
  HC_HOST_DEVICE void operator()(index row) const {
    const index o = row * classes;
    Loss::hessian(z + o, t + o, r + o, classes, row_weight(weights, scale, row), gauss_newton,
                  out + o);
  }
};

}  // namespace hesscov::backend::kernels
