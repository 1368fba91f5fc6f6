#pragma once
#include "nn/layer.hpp"

namespace hesscov::nn {

enum class ActivationKind { relu, tanh, identity };

/// Parses "relu" | "tanh" | "identity"; throws core::Error naming the value otherwise.
ActivationKind parse_activation(const std::string& name);
std::string to_string(ActivationKind kind);

/// Elementwise y = sigma(x) on `features` features, no parameters. Its Jacobian is diagonal, so the
/// backward pass and the R-forward pass apply the same kernel; only tanh has a second-order term.
class Activation final : public Layer {
 public:
  Activation(ActivationKind kind, index features);
  std::string kind() const override { return to_string(kind_); }
  index in_features() const override { return features_; }
  index out_features() const override { return features_; }

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
  /// out = sigma'(x) * in, from the stored x and y.
  void apply_jacobian(const backend::Backend& be, const double* x, const double* y,
                      const double* in, double* out, index samples) const;

  ActivationKind kind_;
  index features_;
};

}  // namespace hesscov::nn
