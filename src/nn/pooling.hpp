#pragma once
// Parameter-free spatial layers on NCHW-flattened rows [samples x channels*h*w]. All are linear
// (average pooling, flatten) or piecewise linear (max pooling) in their input, so their
// second-order R-backward terms vanish and r_backward_curvature does nothing.
#include "backend/common/conv_kernels.hpp"
#include "nn/layer.hpp"

namespace hesscov::nn {

/// Shared plumbing of the pooling layers: the window geometry and the feature counts.
class Pool2d : public Layer {
 public:
  index in_features() const override { return geometry_.in_features(); }
  index out_features() const override { return geometry_.out_features(); }
  [[nodiscard]] index out_h() const { return geometry_.out_h; }
  [[nodiscard]] index out_w() const { return geometry_.out_w; }
  void r_backward_curvature(const backend::Backend&, const ConstBlocks&, const ConstBlocks&,
                            const double*, const double*, const double*, const double*, double*,
                            const GradTarget&, index) const override {}

 protected:
  explicit Pool2d(backend::kernels::PoolGeometry geometry);
  backend::kernels::PoolGeometry geometry_;
};

/// y[n, c, oh, ow] = max of x over rows [oh*stride, oh*stride + kernel) and the same columns (no
/// padding; out = (in - kernel) / stride + 1). The argmax is recomputed from the stored x in every
/// pass (ties go to the first index in row-major window order): backward routes dy to it,
/// R-forward picks Rx at it. The kink set has measure zero; no second-order term.
class MaxPool2d final : public Pool2d {
 public:
  MaxPool2d(index channels, index height, index width, index kernel, index stride);
  std::string kind() const override { return "maxpool2d"; }
  void forward(const backend::Backend& be, const ConstBlocks& params, const double* x, double* y,
               index samples) const override;
  void backward_input(const backend::Backend& be, const ConstBlocks& params, const double* x,
                      const double* y, const double* dy, double* dx, index samples) const override;
  void r_forward(const backend::Backend& be, const ConstBlocks& params,
                 const ConstBlocks& directions, const double* x, const double* rx, const double* y,
                 double* ry, index samples) const override;
};

/// Mean over fixed windows kernel x kernel with the given stride (PyTorch's AvgPool2d, no
/// padding; out = (in - kernel) / stride + 1). Linear: R-forward is the forward pass on Rx.
class AvgPool2d : public Pool2d {
 public:
  AvgPool2d(index channels, index height, index width, index kernel, index stride);
  std::string kind() const override { return "avgpool2d"; }
  void forward(const backend::Backend& be, const ConstBlocks& params, const double* x, double* y,
               index samples) const override;
  void backward_input(const backend::Backend& be, const ConstBlocks& params, const double* x,
                      const double* y, const double* dy, double* dx, index samples) const override;
  void r_forward(const backend::Backend& be, const ConstBlocks& params,
                 const ConstBlocks& directions, const double* x, const double* rx, const double* y,
                 double* ry, index samples) const override;

 protected:
  explicit AvgPool2d(backend::kernels::PoolGeometry geometry) : Pool2d(geometry) {}
};

/// Average pooling to out_h x out_w over PyTorch's AdaptiveAvgPool2d windows: output row i
/// averages input rows [floor(i H / out_h), ceil((i + 1) H / out_h)), likewise columns
/// (windows may overlap and differ in size). Needs H >= out_h and W >= out_w.
class AdaptiveAvgPool2d final : public AvgPool2d {
 public:
  AdaptiveAvgPool2d(index channels, index height, index width, index out_h, index out_w);
  std::string kind() const override { return "adaptive_avgpool2d"; }
};

/// Identity on the flat NCHW layout: marks where the spatial part of a network ends (kind
/// "flatten"); the dense layers after it read the same row as channels*h*w features.
class Flatten final : public Layer {
 public:
  explicit Flatten(index features);
  std::string kind() const override { return "flatten"; }
  index in_features() const override { return features_; }
  index out_features() const override { return features_; }
  void forward(const backend::Backend& be, const ConstBlocks& params, const double* x, double* y,
               index samples) const override;
  void backward_input(const backend::Backend& be, const ConstBlocks& params, const double* x,
                      const double* y, const double* dy, double* dx, index samples) const override;
  void r_forward(const backend::Backend& be, const ConstBlocks& params,
                 const ConstBlocks& directions, const double* x, const double* rx, const double* y,
                 double* ry, index samples) const override;
  void r_backward_curvature(const backend::Backend&, const ConstBlocks&, const ConstBlocks&,
                            const double*, const double*, const double*, const double*, double*,
                            const GradTarget&, index) const override {}

 private:
  index features_;
};

}  // namespace hesscov::nn
