#pragma once
// Losses on the network output z [samples x classes] against targets t of the same shape (one-hot
// rows for classification). The mean training loss is L = (1/N) sum_n l(z_n, t_n).
#include <memory>
#include <string>
#include <vector>

#include "backend/backend.hpp"

namespace hesscov::nn {

class Loss {
 public:
  virtual ~Loss() = default;
  /// "cross_entropy", "mse" or "softmax_mse".
  [[nodiscard]] virtual std::string name() const = 0;
  /// out[n] = l(z_n, t_n), unweighted.
  virtual void values(const backend::Backend& be, const double* z, const double* t, index samples,
                      index classes, double* out) const = 0;
  /// out_n = w_n dl/dz (z_n), w_n = scale * (weights ? weights[n] : 1). Overwrites out.
  virtual void gradient(const backend::Backend& be, const double* z, const double* t,
                        index samples, index classes, const double* weights, double scale,
                        double* out) const = 0;
  /// out_n = w_n (d^2 l/dz^2) r_n; with gauss_newton the PSD Gauss-Newton part only (identical for
  /// cross_entropy and mse, which are convex in z). Overwrites out.
  virtual void hessian(const backend::Backend& be, const double* z, const double* t,
                       const double* r, index samples, index classes, const double* weights,
                       double scale, bool gauss_newton, double* out) const = 0;
};

/// "cross_entropy": softmax cross-entropy; "mse": 1/2 ||z - t||^2; "softmax_mse":
/// 1/2 ||softmax(z) - t||^2. Throws core::Error naming the value otherwise.
std::unique_ptr<Loss> make_loss(const std::string& name);

/// Label smoothing (SCIENCE.md Study 3): each row of one-hot targets [rows x classes] becomes
/// (1 - epsilon) t + epsilon / classes, a distribution the cross-entropy kernel takes as it is.
/// 0 <= epsilon < 1 (core::Error otherwise); epsilon = 0 leaves the targets unchanged. Local.
void smooth_targets(std::vector<double>& targets, index classes, double epsilon);

}  // namespace hesscov::nn
