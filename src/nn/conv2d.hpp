#pragma once
#include "backend/buffer.hpp"
#include "backend/common/conv_kernels.hpp"
#include "nn/layer.hpp"

namespace hesscov::nn {

/// 2-D cross-correlation (PyTorch's Conv2d, groups = dilation = 1) on NCHW-flattened rows:
///   y[n, o, oh, ow] = b[o] + sum_{c, ki, kj} W[o, c, ki, kj] x[n, c, oh*s - p + ki, ow*s - p + kj]
/// with zero padding p and stride s on both axes; out_h = (in_h + 2p - kernel_h) / s + 1.
/// Blocks: "weight" [out_c, in_c, kh, kw], then "bias" [out_c] when present, initialised
/// U(-1/sqrt(in_c kh kw), +) like PyTorch.
///
/// Implementation: im2col into a scratch matrix, then one GEMM per sample (the weight times the
/// sample's [in_c kh kw x out_h out_w] patch matrix writes the sample's NCHW output row directly);
/// col2im (a gather, no atomics) for the input gradient. Samples are processed in chunks whose
/// patch matrices fit the scratch budget. The scratch lives in the layer (resized on demand), so
/// a Conv2d object is **not thread-safe**: two passes on the same layer must not run
/// concurrently. The backend given to the passes must outlive the layer (a Model holds its
/// backend longer than its layers).
class Conv2d final : public Layer {
 public:
  Conv2d(index in_channels, index in_h, index in_w, index out_channels, index kernel_h,
         index kernel_w, index stride, index padding, bool bias);
  std::string kind() const override { return "conv2d"; }
  index in_features() const override { return geometry_.in_features(); }
  index out_features() const override { return out_channels_ * geometry_.spatial(); }
  std::vector<ParamSpec> param_specs() const override;
  [[nodiscard]] index out_channels() const { return out_channels_; }
  [[nodiscard]] index out_h() const { return geometry_.out_h; }
  [[nodiscard]] index out_w() const { return geometry_.out_w; }

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
  /// y_n (+)= weight * im2col(x_n) for every sample (beta 0 overwrites, 1 accumulates).
  void convolve(const backend::Backend& be, const double* weight, const double* x, double* y,
                double beta, index samples) const;
  /// dx_n (+)= col2im(weight^T dy_n): the transposed convolution.
  void convolve_transpose(const backend::Backend& be, const double* weight, const double* dy,
                          double* dx, bool accumulate, index samples) const;
  /// Weight gradient dy_n im2col(x_n)^T, summed or per sample as `grads` says (weight only).
  void weight_gradient(const backend::Backend& be, const double* x, const double* dy,
                       const GradTarget& grads, index samples) const;
  /// Samples per chunk and the scratch (patch matrices of one chunk) on `be`'s side.
  [[nodiscard]] index chunk_size(index samples) const;
  double* scratch(const backend::Backend& be, index samples) const;

  backend::kernels::ConvGeometry geometry_;
  index out_channels_;
  bool bias_;
  mutable backend::Buffer<double> scratch_;
};

}  // namespace hesscov::nn
