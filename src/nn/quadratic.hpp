#pragma once
// The exact quadratic "network" of Study 4 (SCIENCE.md): a loss with a chosen Hessian spectrum and
// chosen gradient-noise variances that every product of the engine runs unchanged.
#include <memory>
#include <vector>

#include "backend/buffer.hpp"
#include "nn/model.hpp"

namespace hesscov::nn {

/// Residuals of a parameter vector theta in R^P against an input x in R^P:
///   z_i = sqrt(lambda_i) theta_i - sigma_i x_i,   sigma_i = sqrt(c_i / lambda_i)  (0 when c_i = 0).
/// With the mse loss against zero targets the per-sample loss is
///   l_n(theta) = 1/2 sum_i (sqrt(lambda_i) theta_i - sigma_i x_ni)^2,
/// so H_n = diag(lambda) for every sample, g_ni = sqrt(lambda_i) z_ni, and with x_ni ~ N(0, 1) the
/// gradient-noise variance along i is lambda_i sigma_i^2 = c_i. One block, "theta" [P],
/// initialised to zero (init_bound 0: Model::initial_parameters draws U(0, 0) from the stream
/// "init/<name>.theta", i.e. exact zeros). The layer is affine in (theta, x) jointly, so it has no
/// second-order R-backward terms and its Hessian equals its Gauss-Newton matrix.
///
/// Implementation: only the listed backend kernels (backend/common/kernel_list.hpp), so it runs on
/// every backend. The per-column factors sqrt(lambda) and -sigma are broadcast to [rows x P]
/// matrices in a scratch owned by the layer (resized on demand, like Conv2d's), so a Quadratic
/// object is **not thread-safe**, and the backend given to the passes must outlive the layer.
class Quadratic final : public Layer {
 public:
  /// `spectrum` lambda (each >= 0) and `noise` c (each >= 0, and 0 where lambda_i = 0), both of
  /// length P >= 1. core::DimensionMismatch for lengths, core::Error for values.
  Quadratic(std::vector<double> spectrum, std::vector<double> noise);
  std::string kind() const override { return "quadratic"; }
  index in_features() const override { return size(); }
  index out_features() const override { return size(); }
  std::vector<ParamSpec> param_specs() const override;

  [[nodiscard]] index size() const { return static_cast<index>(spectrum_.size()); }
  [[nodiscard]] const std::vector<double>& spectrum() const noexcept { return spectrum_; }
  [[nodiscard]] const std::vector<double>& noise() const noexcept { return noise_; }
  /// sqrt(lambda_i) and sigma_i (host).
  [[nodiscard]] const std::vector<double>& scales() const noexcept { return scales_; }
  [[nodiscard]] const std::vector<double>& sigmas() const noexcept { return sigmas_; }

  void forward(const backend::Backend& be, const ConstBlocks& params, const double* x, double* y,
               index samples) const override;
  void backward_input(const backend::Backend& be, const ConstBlocks& params, const double* x,
                      const double* y, const double* dy, double* dx, index samples) const override;
  void backward_params(const backend::Backend& be, const double* x, const double* dy,
                       const GradTarget& grads, index samples) const override;
  void r_forward(const backend::Backend& be, const ConstBlocks& params,
                 const ConstBlocks& directions, const double* x, const double* rx, const double* y,
                 double* ry, index samples) const override;
  void r_backward_curvature(const backend::Backend& be, const ConstBlocks& params,
                            const ConstBlocks& directions, const double* x, const double* rx,
                            const double* y, const double* dy, double* rdx,
                            const GradTarget& rgrads, index samples) const override;

 private:
  /// The factors on `be`'s side, broadcast to at least `samples` rows.
  struct Scratch {
    const backend::Backend* owner = nullptr;
    index rows = 0;
    backend::Buffer<double> scale, neg_sigma;            ///< [P]: sqrt(lambda), -sigma
    backend::Buffer<double> scale_rows, neg_sigma_rows;  ///< [rows x P], every row the vector
    backend::Buffer<double> work_rows;                   ///< [rows x P]
    backend::Buffer<double> work;                        ///< [P]
  };
  Scratch& scratch(const backend::Backend& be, index samples) const;
  /// out[n, i] = -sigma_i in[n, i] (overwritten).
  void scale_by_neg_sigma(const backend::Backend& be, Scratch& s, const double* in, double* out,
                          index samples) const;
  /// out[n, i] += sqrt(lambda_i) theta_i for every row n.
  void add_scaled_row(const backend::Backend& be, Scratch& s, const double* theta, double* out,
                      index samples) const;

  std::vector<double> spectrum_, noise_, scales_, sigmas_;
  mutable Scratch scratch_;
};

/// What make_quadratic builds.
struct QuadraticSpec {
  std::vector<double> spectrum;  ///< lambda_1..lambda_P, the Hessian's diagonal
  std::vector<double> noise;     ///< c_1..c_P, the per-sample gradient variance along each axis
};

/// One Quadratic layer "quad" (block "quad.theta" [P]) and the mse loss: the model expects inputs
/// [samples x P] (N(0, 1) for the stated noise) and zero targets [samples x P]. Errors as the
/// Quadratic constructor.
std::unique_ptr<Model> make_quadratic(std::shared_ptr<const backend::Backend> backend, const QuadraticSpec& spec);

}  // namespace hesscov::nn
