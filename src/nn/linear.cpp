#include "nn/linear.hpp"

#include <cmath>

#include "backend/common/linear_kernels.hpp"
#include "backend/common/vector_kernels.hpp"
#include "backend/for_each.hpp"
#include "core/error.hpp"

namespace hesscov::nn {

using backend::Transpose;
namespace kernels = backend::kernels;

Linear::Linear(index in_features, index out_features, bool bias)
    : in_(in_features), out_(out_features), bias_(bias) {
  HC_CHECK(in_ > 0 && out_ > 0, core::DimensionMismatch,
           "linear layer needs positive sizes, got " + std::to_string(in_) + " -> " +
               std::to_string(out_));
}

std::vector<ParamSpec> Linear::param_specs() const {
  const double bound = 1.0 / std::sqrt(static_cast<double>(in_));
  std::vector<ParamSpec> specs{{"weight", {out_, in_}, bound}};
  if (bias_) specs.push_back({"bias", {out_}, bound});
  return specs;
}

void Linear::forward(const backend::Backend& be, const ConstBlocks& params, const double* x,
                     double* y, index samples) const {
  be.gemm(Transpose::no, Transpose::yes, samples, out_, in_, 1.0, x, in_, params[0], in_, 0.0, y,
          out_);
  if (bias_) backend::for_each(be, samples * out_, kernels::AddRowVector{params[1], out_, y});
}

void Linear::backward_input(const backend::Backend& be, const ConstBlocks& params, const double*,
                            const double*, const double* dy, double* dx, index samples) const {
  be.gemm(Transpose::no, Transpose::no, samples, in_, out_, 1.0, dy, out_, params[0], in_, 0.0, dx,
          in_);
}

void Linear::backward_params(const backend::Backend& be, const double* x, const double* dy,
                             const GradTarget& grads, index samples) const {
  double* weight = grads.block[0];
  double* bias = bias_ ? grads.block[1] : nullptr;
  if (grads.sample_stride == 0) {
    if (weight != nullptr)
      be.gemm(Transpose::yes, Transpose::no, out_, in_, samples, 1.0, dy, out_, x, in_, 1.0,
              weight, in_);
    if (bias != nullptr) backend::for_each(be, out_, kernels::ColumnSum{dy, samples, out_, 1.0, bias});
    return;
  }
  if (weight != nullptr)
    backend::for_each(be, samples * out_ * in_,
                      kernels::PerSampleOuter{dy, x, out_, in_, weight, grads.sample_stride});
  if (bias != nullptr)
    backend::for_each(be, samples * out_,
                      kernels::PerSampleRows{dy, out_, bias, grads.sample_stride});
}

void Linear::r_forward(const backend::Backend& be, const ConstBlocks& params,
                       const ConstBlocks& directions, const double* x, const double* rx,
                       const double*, double* ry, index samples) const {
  double beta = 0.0;  // the first term present overwrites ry, the others accumulate
  if (rx != nullptr) {
    be.gemm(Transpose::no, Transpose::yes, samples, out_, in_, 1.0, rx, in_, params[0], in_, beta,
            ry, out_);
    beta = 1.0;
  }
  if (directions[0] != nullptr) {
    be.gemm(Transpose::no, Transpose::yes, samples, out_, in_, 1.0, x, in_, directions[0], in_,
            beta, ry, out_);
    beta = 1.0;
  }
  if (beta == 0.0) backend::for_each(be, samples * out_, kernels::Fill{ry, 0.0});
  if (bias_ && directions[1] != nullptr)
    backend::for_each(be, samples * out_, kernels::AddRowVector{directions[1], out_, ry});
}

void Linear::r_backward_curvature(const backend::Backend& be, const ConstBlocks&,
                                  const ConstBlocks& directions, const double*, const double* rx,
                                  const double*, const double* dy, double* rdx,
                                  const GradTarget& rgrads, index samples) const {
  // The layer is bilinear in (x, W): R(J_x)^T dy = dy V_W and R(J_W)^T dy = dy^T Rx; the bias
  // enters linearly and contributes nothing.
  if (rdx != nullptr && directions[0] != nullptr)
    be.gemm(Transpose::no, Transpose::no, samples, in_, out_, 1.0, dy, out_, directions[0], in_, 1.0,
            rdx, in_);
  if (rx != nullptr && rgrads.block[0] != nullptr) {
    GradTarget weight_only = rgrads;
    weight_only.block[1] = nullptr;
    backward_params(be, rx, dy, weight_only, samples);
  }
}

}  // namespace hesscov::nn
