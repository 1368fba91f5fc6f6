#include "nn/pooling.hpp"

#include "backend/for_each.hpp"
#include "core/error.hpp"

namespace hesscov::nn {

namespace kernels = backend::kernels;

namespace {

/// Fixed windows kernel x kernel: checks the sizes and derives out = (in - kernel) / stride + 1.
kernels::PoolGeometry fixed_windows(const std::string& kind, index channels, index height,
                                    index width, index kernel, index stride) {
  HC_CHECK(channels > 0 && height > 0 && width > 0 && kernel > 0 && stride > 0,
           core::DimensionMismatch, kind + " needs positive sizes, kernel and stride");
  HC_CHECK(kernel <= height && kernel <= width, core::DimensionMismatch,
           kind + " window " + std::to_string(kernel) + " does not fit the input " +
               std::to_string(height) + "x" + std::to_string(width));
  return {channels, height, width, (height - kernel) / stride + 1, (width - kernel) / stride + 1,
          kernel, stride, false};
}

void check_direction(const double* rx, const std::string& kind) {
  HC_CHECK(rx != nullptr, core::StateError, kind + " r_forward called with a zero input");
}

}  // namespace

Pool2d::Pool2d(kernels::PoolGeometry geometry) : geometry_(geometry) {}

MaxPool2d::MaxPool2d(index channels, index height, index width, index kernel, index stride)
    : Pool2d(fixed_windows("maxpool2d", channels, height, width, kernel, stride)) {}

void MaxPool2d::forward(const backend::Backend& be, const ConstBlocks&, const double* x, double* y,
                        index samples) const {
  backend::for_each(be, samples * out_features(), kernels::MaxPoolGather{geometry_, x, x, y});
}

void MaxPool2d::backward_input(const backend::Backend& be, const ConstBlocks&, const double* x,
                               const double*, const double* dy, double* dx, index samples) const {
  backend::for_each(be, samples * in_features(), kernels::MaxPoolBackward{geometry_, x, dy, dx});
}

void MaxPool2d::r_forward(const backend::Backend& be, const ConstBlocks&, const ConstBlocks&,
                          const double* x, const double* rx, const double*, double* ry,
                          index samples) const {
  check_direction(rx, kind());
  backend::for_each(be, samples * out_features(), kernels::MaxPoolGather{geometry_, x, rx, ry});
}

AvgPool2d::AvgPool2d(index channels, index height, index width, index kernel, index stride)
    : Pool2d(fixed_windows("avgpool2d", channels, height, width, kernel, stride)) {}

void AvgPool2d::forward(const backend::Backend& be, const ConstBlocks&, const double* x, double* y,
                        index samples) const {
  backend::for_each(be, samples * out_features(), kernels::AvgPoolForward{geometry_, x, y});
}

void AvgPool2d::backward_input(const backend::Backend& be, const ConstBlocks&, const double*,
                               const double*, const double* dy, double* dx, index samples) const {
  backend::for_each(be, samples * in_features(), kernels::AvgPoolBackward{geometry_, dy, dx});
}

void AvgPool2d::r_forward(const backend::Backend& be, const ConstBlocks&, const ConstBlocks&,
                          const double*, const double* rx, const double*, double* ry,
                          index samples) const {
  check_direction(rx, kind());
  backend::for_each(be, samples * out_features(), kernels::AvgPoolForward{geometry_, rx, ry});
}

AdaptiveAvgPool2d::AdaptiveAvgPool2d(index channels, index height, index width, index out_h,
                                     index out_w)
    : AvgPool2d(kernels::PoolGeometry{channels, height, width, out_h, out_w, 0, 0, true}) {
  HC_CHECK(channels > 0 && out_h > 0 && out_w > 0 && height >= out_h && width >= out_w,
           core::DimensionMismatch,
           "adaptive_avgpool2d cannot pool " + std::to_string(height) + "x" +
               std::to_string(width) + " to " + std::to_string(out_h) + "x" +
               std::to_string(out_w));
}

Flatten::Flatten(index features) : features_(features) {
  HC_CHECK(features > 0, core::DimensionMismatch, "flatten needs a positive feature count");
}

void Flatten::forward(const backend::Backend& be, const ConstBlocks&, const double* x, double* y,
                      index samples) const {
  be.copy(y, x, static_cast<std::size_t>(samples * features_) * sizeof(double));
}

void Flatten::backward_input(const backend::Backend& be, const ConstBlocks&, const double*,
                             const double*, const double* dy, double* dx, index samples) const {
  be.copy(dx, dy, static_cast<std::size_t>(samples * features_) * sizeof(double));
}

void Flatten::r_forward(const backend::Backend& be, const ConstBlocks&, const ConstBlocks&,
                        const double*, const double* rx, const double*, double* ry,
                        index samples) const {
  check_direction(rx, kind());
  be.copy(ry, rx, static_cast<std::size_t>(samples * features_) * sizeof(double));
}

}  // namespace hesscov::nn
