#pragma once
#include "nn/layer.hpp"

namespace hesscov::nn {

/// y = x W^T + b with W [out x in] (row-major, PyTorch's layout) and an optional bias b [out].
/// Blocks: "weight", then "bias" when present. Initialised U(-1/sqrt(in), 1/sqrt(in)) like PyTorch.
class Linear final : public Layer {
 public:
  Linear(index in_features, index out_features, bool bias);
  std::string kind() const override { return "linear"; }
  index in_features() const override { return in_; }
  index out_features() const override { return out_; }
  std::vector<ParamSpec> param_specs() const override;

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
  index in_, out_;
  bool bias_;
};

}  // namespace hesscov::nn
