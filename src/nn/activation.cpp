#include "nn/activation.hpp"

#include "backend/common/activation_kernels.hpp"
#include "backend/for_each.hpp"
#include "core/error.hpp"

namespace hesscov::nn {

namespace kernels = backend::kernels;

ActivationKind parse_activation(const std::string& name) {
  if (name == "relu") return ActivationKind::relu;
  if (name == "tanh") return ActivationKind::tanh;
  if (name == "identity") return ActivationKind::identity;
  throw core::Error("unknown activation '" + name + "': expected relu, tanh or identity");
}

std::string to_string(ActivationKind kind) {
  switch (kind) {
    case ActivationKind::relu: return "relu";
    case ActivationKind::tanh: return "tanh";
    case ActivationKind::identity: return "identity";
  }
  return "?";
}

Activation::Activation(ActivationKind kind, index features) : kind_(kind), features_(features) {
  HC_CHECK(features > 0, core::DimensionMismatch, "activation needs a positive feature count");
}

void Activation::forward(const backend::Backend& be, const ConstBlocks&, const double* x,
                         double* y, index samples) const {
  const index n = samples * features_;
  switch (kind_) {
    case ActivationKind::relu: backend::for_each(be, n, kernels::ReluForward{x, y}); break;
    case ActivationKind::tanh: backend::for_each(be, n, kernels::TanhForward{x, y}); break;
    case ActivationKind::identity:
      be.copy(y, x, static_cast<std::size_t>(n) * sizeof(double));
      break;
  }
}

void Activation::apply_jacobian(const backend::Backend& be, const double* x, const double* y,
                                const double* in, double* out, index samples) const {
  const index n = samples * features_;
  switch (kind_) {
    case ActivationKind::relu: backend::for_each(be, n, kernels::ReluJacobian{x, in, out}); break;
    case ActivationKind::tanh: backend::for_each(be, n, kernels::TanhJacobian{y, in, out}); break;
    case ActivationKind::identity:
      be.copy(out, in, static_cast<std::size_t>(n) * sizeof(double));
      break;
  }
}

void Activation::backward_input(const backend::Backend& be, const ConstBlocks&, const double* x,
                                const double* y, const double* dy, double* dx,
                                index samples) const {
  apply_jacobian(be, x, y, dy, dx, samples);
}

void Activation::r_forward(const backend::Backend& be, const ConstBlocks&, const ConstBlocks&,
                           const double* x, const double* rx, const double* y, double* ry,
                           index samples) const {
  HC_CHECK(rx != nullptr, core::StateError, "activation r_forward called with a zero input");
  apply_jacobian(be, x, y, rx, ry, samples);
}

void Activation::r_backward_curvature(const backend::Backend& be, const ConstBlocks&,
                                      const ConstBlocks&, const double*, const double* rx,
                                      const double* y, const double* dy, double* rdx,
                                      const GradTarget&, index samples) const {
  // relu'' = 0 almost everywhere and identity'' = 0: only tanh has a second-order term.
  if (kind_ != ActivationKind::tanh || rx == nullptr || rdx == nullptr) return;
  backend::for_each(be, samples * features_, kernels::TanhCurvature{y, rx, dy, rdx});
}

}  // namespace hesscov::nn
