#pragma once
// The degenerate-valley toys of SCIENCE.md "Study 3" as a model that every product of the engine
// (gradient, H v, GGN v, J v, per-sample products, C v) and every command runs unchanged:
//   L(t) = ½ λ1(t3, t4) t1² + ½ λ2(t3, t4) t2²,   t = (t1, t2, t3, t4),
//   toy 1: λ1 = 2|t3 + t4|,               λ2 = 2|t3 + 2 t4|   (L = |t3+t4| t1² + |t3+2t4| t2²),
//   toy 2: λ1 = 8 − 4 exp(−(t3² + t4²)),  λ2 = 2 exp(−(t3 − t4)²).
//
// Construction (two layers, exact): the Layer interface hands backward_params only x and dy, so a
// single layer cannot apply a Jacobian J_theta that depends on theta (here ∂z/∂t does). The model
// is therefore
//   "toy"    (ValleyPoint):     u_n = start + θ for every sample n (block "toy.theta" [4]; J_θ = I),
//   "valley" (ValleyResiduals): z_n = (√λ1(u3, u4) u1, √λ2(u3, u4) u2), no parameters,
// and the mse loss against zero targets, ½‖z‖² = L. All of the curvature sits in the parameter-
// free layer's input passes (backward_input, r_forward, r_backward_curvature), which do receive
// the point u. The input x is ignored, so every sample has the same loss, gradient and Hessian.
//
// Parameters: Model::initial_parameters can only draw U(−b, b), so the block holds the
// displacement θ = t − start from `start` (model.toy.start) and starts at exactly 0 (init_bound 0:
// the stream "init/toy.theta" is drawn but U(0, 0) = 0; the seed does not matter). The point is
// t = start + θ; derivatives in θ and in t are the same.
//
// Host only: the passes dereference the buffers on the host. On a backend with device memory
// every pass, and make_toy_valley, throws core::NotCompiled (never a silent fallback).
#include <array>
#include <memory>
#include <string>

#include "nn/model.hpp"

namespace hesscov::nn {

/// Which of the two Study 3 toys.
enum class ValleyToy { one, two };

/// "toy_valley_1" / "toy_valley_2" (the model.type choice and the residual layer's kind).
[[nodiscard]] std::string valley_toy_name(ValleyToy toy);

/// The factor a = √λ of one stiff coordinate at (t3, t4), with its first and second partial
/// derivatives in (t3, t4).
struct ValleyRoot {
  double value = 0.0;                      ///< √λ
  double d3 = 0.0, d4 = 0.0;               ///< ∂√λ/∂t3, ∂√λ/∂t4
  double d33 = 0.0, d34 = 0.0, d44 = 0.0;  ///< second partials
};

/// {√λ1, √λ2} of `toy` at (t3, t4) (closed forms: docs/algorithms.md, "The valley toys").
/// Toy 1 on a kink (t3 + t4 = 0 for √λ1, t3 + 2 t4 = 0 for √λ2, exactly): value 0 and every
/// derivative 0, i.e. sign(0) = 0 — the engine then returns the average of the two one-sided
/// derivatives of L (gradient and Hessian entries) and drops the δ-function part of ∂²L/∂t3,4².
/// Near a kink the derivatives grow like |t3 + t4|^(-1/2) and ^(-3/2). Local, host.
[[nodiscard]] std::array<ValleyRoot, 2> valley_roots(ValleyToy toy, double t3, double t4);

/// u_n = start + θ for every row n: in_features (ignored) -> 4, one block "theta" [4], init 0.
/// Affine in θ and independent of x: J_x = 0, J_θ = I, no second-order terms. Host only.
class ValleyPoint final : public Layer {
 public:
  /// `in_features` >= 1 (the data's, ignored); `start` finite (core::Error otherwise).
  ValleyPoint(index in_features, std::array<double, 4> start);
  std::string kind() const override { return "toy_point"; }
  index in_features() const override { return in_features_; }
  index out_features() const override { return 4; }
  std::vector<ParamSpec> param_specs() const override { return {{"theta", {4}, 0.0}}; }
  [[nodiscard]] const std::array<double, 4>& start() const noexcept { return start_; }

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
  index in_features_;
  std::array<double, 4> start_;
};

/// z = (a u1, b u2), a = √λ1(u3, u4), b = √λ2(u3, u4): 4 -> 2, no parameters. With
/// J = [[a, 0, a3 u1, a4 u1], [0, b, b3 u2, b4 u2]] (a3 = ∂a/∂u3, ...):
///   backward_input  dx = Jᵀ dy,
///   r_forward       Rz = J Ru,
///   r_backward_curvature  R(dx) += Σ_i dy_i (∂²z_i/∂u²) Ru, with the non-zero second partials
///     ∂²z1/∂u1∂u3 = a3, ∂²z1/∂u1∂u4 = a4, ∂²z1/∂u3² = a33 u1, ∂²z1/∂u3∂u4 = a34 u1,
///     ∂²z1/∂u4² = a44 u1, and the same for z2 with b and u2.
/// Host only.
class ValleyResiduals final : public Layer {
 public:
  explicit ValleyResiduals(ValleyToy toy) : toy_(toy) {}
  std::string kind() const override { return valley_toy_name(toy_); }
  index in_features() const override { return 4; }
  index out_features() const override { return 2; }
  [[nodiscard]] ValleyToy toy() const noexcept { return toy_; }

  void forward(const backend::Backend& be, const ConstBlocks& params, const double* x, double* y,
               index samples) const override;
  void backward_input(const backend::Backend& be, const ConstBlocks& params, const double* x,
                      const double* y, const double* dy, double* dx, index samples) const override;
  void r_forward(const backend::Backend& be, const ConstBlocks& params,
                 const ConstBlocks& directions, const double* x, const double* rx, const double* y,
                 double* ry, index samples) const override;
  void r_backward_curvature(const backend::Backend& be, const ConstBlocks& params,
                            const ConstBlocks& directions, const double* x, const double* rx,
                            const double* y, const double* dy, double* rdx,
                            const GradTarget& rgrads, index samples) const override;

 private:
  ValleyToy toy_;
};

/// What make_toy_valley builds.
struct ToyValleySpec {
  ValleyToy toy = ValleyToy::one;
  std::array<double, 4> start{0.0, 0.0, 1.0, 1.0};  ///< (t1, t2, t3, t4) at θ = 0
};

/// Layers "toy" (ValleyPoint, block "toy.theta" [4]) and "valley" (ValleyResiduals) with the mse
/// loss: inputs [samples x in_features] (ignored), zero targets [samples x 2]. core::NotCompiled
/// when `backend` has device memory; core::Error for a non-finite start or in_features < 1.
std::unique_ptr<Model> make_toy_valley(std::shared_ptr<const backend::Backend> backend, const ToyValleySpec& spec,
                                       index in_features);

}  // namespace hesscov::nn
