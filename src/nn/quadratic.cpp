#include "nn/quadratic.hpp"

#include <cmath>

#include "backend/common/linear_kernels.hpp"
#include "backend/common/vector_kernels.hpp"
#include "backend/for_each.hpp"
#include "core/error.hpp"

namespace hesscov::nn {

namespace kernels = backend::kernels;

namespace {

/// out[i] += u[i] * v[i] for i < count. The per-sample outer product of 1 x 1 blocks (one
/// "sample" per element, stride 1) is exactly the elementwise product, and it is a listed kernel,
/// so this runs on every backend.
void add_product(const backend::Backend& be, index count, const double* u, const double* v, double* out) {
  backend::for_each(be, count, kernels::PerSampleOuter{u, v, 1, 1, out, 1});
}

/// A buffer on `be`'s side that does not own the backend (the caller's backend outlives the layer;
/// the aliasing constructor as in Conv2d).
backend::Buffer<double> buffer_on(const backend::Backend& be, index count) {
  return backend::Buffer<double>(
      std::shared_ptr<const backend::Backend>(std::shared_ptr<const backend::Backend>(), &be), count);
}

std::string entry(const char* name, size_t i, double value) {
  return std::string(name) + "[" + std::to_string(i) + "] = " + std::to_string(value);
}

}  // namespace

Quadratic::Quadratic(std::vector<double> spectrum, std::vector<double> noise)
    : spectrum_(std::move(spectrum)), noise_(std::move(noise)) {
  HC_CHECK(!spectrum_.empty(), core::DimensionMismatch, "a quadratic model needs at least one eigenvalue");
  HC_CHECK(noise_.size() == spectrum_.size(), core::DimensionMismatch,
           "a quadratic model needs one noise variance per eigenvalue (" + std::to_string(spectrum_.size()) +
               " eigenvalues, " + std::to_string(noise_.size()) + " variances)");
  for (size_t i = 0; i < spectrum_.size(); ++i) {
    const double lambda = spectrum_[i], c = noise_[i];
    HC_CHECK(std::isfinite(lambda) && lambda >= 0.0, core::Error,
             "quadratic eigenvalue " + entry("lambda", i, lambda) + " is not a finite number >= 0");
    HC_CHECK(std::isfinite(c) && c >= 0.0, core::Error,
             "quadratic noise variance " + entry("c", i, c) + " is not a finite number >= 0");
    HC_CHECK(lambda > 0.0 || c == 0.0, core::Error,
             "quadratic noise variance " + entry("c", i, c) +
                 " must be 0 where the eigenvalue is 0: the gradient along a flat direction has no noise");
    scales_.push_back(std::sqrt(lambda));
    sigmas_.push_back(c == 0.0 ? 0.0 : std::sqrt(c / lambda));
  }
}

std::vector<ParamSpec> Quadratic::param_specs() const { return {{"theta", {size()}, 0.0}}; }

Quadratic::Scratch& Quadratic::scratch(const backend::Backend& be, index samples) const {
  Scratch& s = scratch_;
  const index p = size();
  if (s.owner != &be) {
    s = Scratch();  // free everything held on another backend first
    s.scale = buffer_on(be, p);
    s.scale.from_host(scales_);
    std::vector<double> neg_sigma(sigmas_.size());
    for (size_t i = 0; i < sigmas_.size(); ++i) neg_sigma[i] = -sigmas_[i];
    s.neg_sigma = buffer_on(be, p);
    s.neg_sigma.from_host(neg_sigma);
    s.work = buffer_on(be, p);
    s.owner = &be;
  }
  if (s.rows < samples) {
    // Free the old rows before allocating the new ones.
    s.scale_rows = backend::Buffer<double>();
    s.neg_sigma_rows = backend::Buffer<double>();
    s.work_rows = backend::Buffer<double>();
    s.scale_rows = buffer_on(be, samples * p);
    s.neg_sigma_rows = buffer_on(be, samples * p);
    s.work_rows = buffer_on(be, samples * p);
    for (auto* rows : {&s.scale_rows, &s.neg_sigma_rows})
      backend::for_each(be, samples * p, kernels::Fill{rows->data(), 0.0});
    backend::for_each(be, samples * p, kernels::AddRowVector{s.scale.data(), p, s.scale_rows.data()});
    backend::for_each(be, samples * p, kernels::AddRowVector{s.neg_sigma.data(), p, s.neg_sigma_rows.data()});
    s.rows = samples;
  }
  return s;
}

void Quadratic::scale_by_neg_sigma(const backend::Backend& be, Scratch& s, const double* in, double* out,
                                   index samples) const {
  const index count = samples * size();
  backend::for_each(be, count, kernels::Fill{out, 0.0});
  add_product(be, count, s.neg_sigma_rows.data(), in, out);
}

void Quadratic::add_scaled_row(const backend::Backend& be, Scratch& s, const double* theta, double* out,
                               index samples) const {
  const index p = size();
  backend::for_each(be, p, kernels::Fill{s.work.data(), 0.0});
  add_product(be, p, s.scale.data(), theta, s.work.data());
  backend::for_each(be, samples * p, kernels::AddRowVector{s.work.data(), p, out});
}

void Quadratic::forward(const backend::Backend& be, const ConstBlocks& params, const double* x, double* y,
                        index samples) const {
  Scratch& s = scratch(be, samples);
  scale_by_neg_sigma(be, s, x, y, samples);
  add_scaled_row(be, s, params[0], y, samples);
}

void Quadratic::backward_input(const backend::Backend& be, const ConstBlocks&, const double*, const double*,
                               const double* dy, double* dx, index samples) const {
  scale_by_neg_sigma(be, scratch(be, samples), dy, dx, samples);
}

void Quadratic::backward_params(const backend::Backend& be, const double*, const double* dy,
                                const GradTarget& grads, index samples) const {
  double* theta = grads.block[0];
  if (theta == nullptr) return;
  Scratch& s = scratch(be, samples);
  const index p = size();
  if (grads.sample_stride == 0) {
    // dtheta_i += sqrt(lambda_i) sum_n dy[n, i]
    backend::for_each(be, p, kernels::Fill{s.work.data(), 0.0});
    backend::for_each(be, p, kernels::ColumnSum{dy, samples, p, 1.0, s.work.data()});
    add_product(be, p, s.scale.data(), s.work.data(), theta);
    return;
  }
  // Row n of the [samples x stride] target += sqrt(lambda) (.) dy_n.
  backend::for_each(be, samples * p, kernels::Fill{s.work_rows.data(), 0.0});
  add_product(be, samples * p, s.scale_rows.data(), dy, s.work_rows.data());
  backend::for_each(be, samples * p, kernels::PerSampleRows{s.work_rows.data(), p, theta, grads.sample_stride});
}

void Quadratic::r_forward(const backend::Backend& be, const ConstBlocks&, const ConstBlocks& directions,
                          const double*, const double* rx, const double*, double* ry, index samples) const {
  Scratch& s = scratch(be, samples);
  if (rx != nullptr) {
    scale_by_neg_sigma(be, s, rx, ry, samples);
  } else {
    backend::for_each(be, samples * size(), kernels::Fill{ry, 0.0});
  }
  if (directions[0] != nullptr) add_scaled_row(be, s, directions[0], ry, samples);
}

void Quadratic::r_backward_curvature(const backend::Backend&, const ConstBlocks&, const ConstBlocks&,
                                     const double*, const double*, const double*, const double*, double*,
                                     const GradTarget&, index) const {
  // z is affine in (theta, x) jointly, with no product of the two: d^2 z / d theta^2,
  // d^2 z / d theta dx and d^2 z / dx^2 all vanish, so R-backward adds nothing.
}

std::unique_ptr<Model> make_quadratic(std::shared_ptr<const backend::Backend> backend, const QuadraticSpec& spec) {
  std::vector<std::unique_ptr<Layer>> layers;
  layers.push_back(std::make_unique<Quadratic>(spec.spectrum, spec.noise));
  return std::make_unique<Model>(std::move(backend), std::move(layers), std::vector<std::string>{"quad"},
                                 make_loss("mse"));
}

}  // namespace hesscov::nn
