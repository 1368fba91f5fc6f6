#pragma once
// A layer maps a batch of inputs x [samples x in_features] to outputs y [samples x out_features]
// (row-major, on the backend's side) and provides the four passes of Pearlmutter's R-operator:
//   forward           y  = f(x; theta)
//   backward          dx = J_x^T dy,            dtheta += J_theta^T dy
//   r_forward         Ry = J_x Rx + J_theta v
//   r_backward        R(dx) = J_x^T R(dy) + [(R J_x)^T dy],  R(dtheta) = J_theta^T R(dy) + [(R J_theta)^T dy]
// R-backward's first terms are the backward pass applied to R(dy); a layer implements only the
// bracketed second-order terms in r_backward_curvature(). The Gauss-Newton product skips them.
#include <array>
#include <string>
#include <vector>

#include "backend/backend.hpp"

namespace hesscov::nn {

/// At most two parameter blocks per layer (weight, bias).
inline constexpr int kMaxBlocks = 2;
/// Pointers to a layer's blocks on the backend side; nullptr means "zero" (a direction or gradient
/// block outside the chosen ParamSubset).
using ConstBlocks = std::array<const double*, kMaxBlocks>;

/// Where parameter gradients go. sample_stride == 0: summed over samples into block[k]
/// (sample weights are already inside dy). sample_stride > 0: sample n's own gradient goes to
/// block[k] + n * sample_stride (rows of a [samples x stride] matrix). Always accumulated (+=).
struct GradTarget {
  std::array<double*, kMaxBlocks> block{};
  index sample_stride = 0;
  [[nodiscard]] bool any() const { return block[0] != nullptr || block[1] != nullptr; }
};

/// One parameter block a layer declares: name suffix, shape, and the half-width of the uniform
/// initialisation U(-bound, bound).
struct ParamSpec {
  std::string name;
  std::vector<index> shape;
  double init_bound = 0.0;
};

class Layer {
 public:
  virtual ~Layer() = default;
  [[nodiscard]] virtual std::string kind() const = 0;
  [[nodiscard]] virtual index in_features() const = 0;
  [[nodiscard]] virtual index out_features() const = 0;
  [[nodiscard]] virtual std::vector<ParamSpec> param_specs() const { return {}; }

  virtual void forward(const backend::Backend& be, const ConstBlocks& params, const double* x,
                       double* y, index samples) const = 0;
  /// dx = J_x^T dy (overwritten). y is the stored forward output.
  virtual void backward_input(const backend::Backend& be, const ConstBlocks& params,
                              const double* x, const double* y, const double* dy, double* dx,
                              index samples) const = 0;
  /// grads += J_theta^T dy. Layers without parameters do nothing.
  virtual void backward_params(const backend::Backend& /*be*/, const double* /*x*/,
                               const double* /*dy*/, const GradTarget& /*grads*/,
                               index /*samples*/) const {}
  /// ry = J_x rx + J_theta v (overwritten); rx == nullptr or a null direction block means zero.
  virtual void r_forward(const backend::Backend& be, const ConstBlocks& params,
                         const ConstBlocks& directions, const double* x, const double* rx,
                         const double* y, double* ry, index samples) const = 0;
  /// The second-order terms of R-backward: rdx += (R J_x)^T dy when rdx != nullptr, and
  /// rgrads += (R J_theta)^T dy. rx == nullptr / null direction blocks mean zero.
  virtual void r_backward_curvature(const backend::Backend& be, const ConstBlocks& params,
                                    const ConstBlocks& directions, const double* x,
                                    const double* rx, const double* y, const double* dy,
                                    double* rdx, const GradTarget& rgrads, index samples) const = 0;
};

}  // namespace hesscov::nn
