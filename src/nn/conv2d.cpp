#include "nn/conv2d.hpp"

#include <algorithm>
#include <cmath>

#include "backend/common/vector_kernels.hpp"
#include "backend/for_each.hpp"
#include "core/error.hpp"

namespace hesscov::nn {

using backend::Transpose;
namespace kernels = backend::kernels;

namespace {
/// Upper bound on the scratch (patch matrices of one chunk of samples), in doubles: 32 MiB. A
/// single sample's patch matrix may exceed it; then chunks hold one sample.
constexpr index kScratchBudget = index{1} << 22;
}  // namespace

Conv2d::Conv2d(index in_channels, index in_h, index in_w, index out_channels, index kernel_h,
               index kernel_w, index stride, index padding, bool bias)
    : geometry_{in_channels, in_h, in_w, kernel_h, kernel_w, stride, padding, 0, 0},
      out_channels_(out_channels), bias_(bias) {
  HC_CHECK(in_channels > 0 && in_h > 0 && in_w > 0 && out_channels > 0 && kernel_h > 0 &&
               kernel_w > 0 && stride > 0 && padding >= 0,
           core::DimensionMismatch, "conv2d needs positive sizes, stride and a padding >= 0");
  HC_CHECK(in_h + 2 * padding >= kernel_h && in_w + 2 * padding >= kernel_w,
           core::DimensionMismatch,
           "conv2d kernel " + std::to_string(kernel_h) + "x" + std::to_string(kernel_w) +
               " does not fit the padded input " + std::to_string(in_h + 2 * padding) + "x" +
               std::to_string(in_w + 2 * padding));
  geometry_.out_h = (in_h + 2 * padding - kernel_h) / stride + 1;
  geometry_.out_w = (in_w + 2 * padding - kernel_w) / stride + 1;
}

std::vector<ParamSpec> Conv2d::param_specs() const {
  const double bound = 1.0 / std::sqrt(static_cast<double>(geometry_.patch()));
  std::vector<ParamSpec> specs{
      {"weight", {out_channels_, geometry_.in_channels, geometry_.kernel_h, geometry_.kernel_w}, bound}};
  if (bias_) specs.push_back({"bias", {out_channels_}, bound});
  return specs;
}

index Conv2d::chunk_size(index samples) const {
  const index per_sample = geometry_.patch() * geometry_.spatial();
  return std::clamp<index>(kScratchBudget / per_sample, 1, std::max<index>(samples, 1));
}

double* Conv2d::scratch(const backend::Backend& be, index samples) const {
  const index needed = chunk_size(samples) * geometry_.patch() * geometry_.spatial();
  if (scratch_.data() == nullptr || &scratch_.backend() != &be || scratch_.size() < needed) {
    scratch_ = backend::Buffer<double>();  // free the old scratch before allocating the new one
    // Non-owning handle (aliasing constructor): the caller's backend outlives the layer.
    scratch_ = backend::Buffer<double>(std::shared_ptr<const backend::Backend>(
                                           std::shared_ptr<const backend::Backend>(), &be),
                                       needed);
  }
  return scratch_.data();
}

void Conv2d::convolve(const backend::Backend& be, const double* weight, const double* x, double* y,
                      double beta, index samples) const {
  const index patch = geometry_.patch(), spatial = geometry_.spatial();
  const index chunk = chunk_size(samples);
  double* col = scratch(be, samples);
  for (index first = 0; first < samples; first += chunk) {
    const index count = std::min(chunk, samples - first);
    backend::for_each(be, count * patch * geometry_.out_h,
                      kernels::Im2Col{geometry_, x + first * in_features(), col});
    for (index n = 0; n < count; ++n)
      be.gemm(Transpose::no, Transpose::no, out_channels_, spatial, patch, 1.0, weight, patch,
              col + n * patch * spatial, spatial, beta, y + (first + n) * out_features(), spatial);
  }
}

void Conv2d::convolve_transpose(const backend::Backend& be, const double* weight, const double* dy,
                                double* dx, bool accumulate, index samples) const {
  const index patch = geometry_.patch(), spatial = geometry_.spatial();
  const index chunk = chunk_size(samples);
  double* col = scratch(be, samples);
  for (index first = 0; first < samples; first += chunk) {
    const index count = std::min(chunk, samples - first);
    for (index n = 0; n < count; ++n)
      be.gemm(Transpose::yes, Transpose::no, patch, spatial, out_channels_, 1.0, weight, patch,
              dy + (first + n) * out_features(), spatial, 0.0, col + n * patch * spatial, spatial);
    backend::for_each(be, count * in_features(),
                      kernels::Col2Im{geometry_, col, dx + first * in_features(), accumulate});
  }
}

void Conv2d::weight_gradient(const backend::Backend& be, const double* x, const double* dy,
                             const GradTarget& grads, index samples) const {
  const index patch = geometry_.patch(), spatial = geometry_.spatial();
  const index chunk = chunk_size(samples);
  double* col = scratch(be, samples);
  for (index first = 0; first < samples; first += chunk) {
    const index count = std::min(chunk, samples - first);
    backend::for_each(be, count * patch * geometry_.out_h,
                      kernels::Im2Col{geometry_, x + first * in_features(), col});
    for (index n = 0; n < count; ++n) {
      double* target = grads.block[0] + (first + n) * grads.sample_stride;  // stride 0: summed
      be.gemm(Transpose::no, Transpose::yes, out_channels_, patch, spatial, 1.0,
              dy + (first + n) * out_features(), spatial, col + n * patch * spatial, spatial, 1.0,
              target, patch);
    }
  }
}

void Conv2d::forward(const backend::Backend& be, const ConstBlocks& params, const double* x,
                     double* y, index samples) const {
  convolve(be, params[0], x, y, 0.0, samples);
  if (bias_)
    backend::for_each(be, samples * out_features(),
                      kernels::AddChannelBias{params[1], out_channels_, geometry_.spatial(), y});
}

void Conv2d::backward_input(const backend::Backend& be, const ConstBlocks& params, const double*,
                            const double*, const double* dy, double* dx, index samples) const {
  convolve_transpose(be, params[0], dy, dx, false, samples);
}

void Conv2d::backward_params(const backend::Backend& be, const double* x, const double* dy,
                             const GradTarget& grads, index samples) const {
  if (grads.block[0] != nullptr) weight_gradient(be, x, dy, grads, samples);
  double* bias = bias_ ? grads.block[1] : nullptr;
  if (bias == nullptr) return;
  if (grads.sample_stride == 0)
    backend::for_each(be, out_channels_,
                      kernels::ChannelSum{dy, samples, out_channels_, geometry_.spatial(), bias});
  else
    backend::for_each(be, samples * out_channels_,
                      kernels::PerSampleChannelSum{dy, out_channels_, geometry_.spatial(), bias,
                                                   grads.sample_stride});
}

void Conv2d::r_forward(const backend::Backend& be, const ConstBlocks& params,
                       const ConstBlocks& directions, const double* x, const double* rx,
                       const double*, double* ry, index samples) const {
  double beta = 0.0;  // the first term present overwrites ry, the others accumulate
  if (rx != nullptr) {
    convolve(be, params[0], rx, ry, beta, samples);
    beta = 1.0;
  }
  if (directions[0] != nullptr) {
    convolve(be, directions[0], x, ry, beta, samples);
    beta = 1.0;
  }
  if (beta == 0.0) backend::for_each(be, samples * out_features(), kernels::Fill{ry, 0.0});
  if (bias_ && directions[1] != nullptr)
    backend::for_each(be, samples * out_features(),
                      kernels::AddChannelBias{directions[1], out_channels_, geometry_.spatial(), ry});
}

void Conv2d::r_backward_curvature(const backend::Backend& be, const ConstBlocks&,
                                  const ConstBlocks& directions, const double*, const double* rx,
                                  const double*, const double* dy, double* rdx,
                                  const GradTarget& rgrads, index samples) const {
  // Like Linear, the layer is bilinear in (x, W): R(J_x)^T dy is the transposed convolution of dy
  // with V_W, and R(J_W)^T dy correlates Rx with dy; the bias enters linearly.
  if (rdx != nullptr && directions[0] != nullptr)
    convolve_transpose(be, directions[0], dy, rdx, true, samples);
  if (rx != nullptr && rgrads.block[0] != nullptr) weight_gradient(be, rx, dy, rgrads, samples);
}

}  // namespace hesscov::nn
