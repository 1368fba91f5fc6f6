#include "nn/toy_valley.hpp"

#include <cmath>

#include "core/error.hpp"

namespace hesscov::nn {

namespace {

/// The passes dereference their buffers on the host; a device backend is refused, never emulated.
void require_host(const backend::Backend& be, const std::string& kind) {
  if (be.is_device()) throw core::NotCompiled("the " + kind + " layer on the device backend " + be.name());
}

/// √(2|s|) with d/ds = sign(s)/a and d²/ds² = −1/a³ (from a² = 2|s|); sign(0) = 0 and every
/// derivative 0 exactly on the kink s = 0. `c3`, `c4` are ∂s/∂t3, ∂s/∂t4.
ValleyRoot abs_root(double s, double c3, double c4) {
  ValleyRoot root;
  root.value = std::sqrt(2.0 * std::abs(s));
  if (s == 0.0) return root;
  const double first = (s > 0.0 ? 1.0 : -1.0) / root.value;
  const double second = -1.0 / (root.value * root.value * root.value);
  root.d3 = first * c3, root.d4 = first * c4;
  root.d33 = second * c3 * c3, root.d34 = second * c3 * c4, root.d44 = second * c4 * c4;
  return root;
}

/// √λ1 for toy 2: λ1 = 8 − 4E, E = exp(−(t3² + t4²)), ∇λ1 = 8E (t3, t4),
/// ∇²λ1 = 8E [[1 − 2t3², −2t3t4], [−2t3t4, 1 − 2t4²]]; for a = √λ,
/// ∇a = ∇λ/(2a), ∇²a = ∇²λ/(2a) − ∇λ∇λᵀ/(4a³). λ1 ∈ [4, 8): never singular.
ValleyRoot bowl_root(double t3, double t4) {
  const double e = std::exp(-(t3 * t3 + t4 * t4));
  const double lambda = 8.0 - 4.0 * e;
  const double g3 = 8.0 * e * t3, g4 = 8.0 * e * t4;
  const double h33 = 8.0 * e * (1.0 - 2.0 * t3 * t3), h34 = -16.0 * e * t3 * t4, h44 = 8.0 * e * (1.0 - 2.0 * t4 * t4);
  ValleyRoot root;
  root.value = std::sqrt(lambda);
  const double half = 0.5 / root.value, quarter = 0.25 / (root.value * lambda);
  root.d3 = g3 * half, root.d4 = g4 * half;
  root.d33 = h33 * half - g3 * g3 * quarter;
  root.d34 = h34 * half - g3 * g4 * quarter;
  root.d44 = h44 * half - g4 * g4 * quarter;
  return root;
}

/// √λ2 for toy 2: b = √2 exp(−d²/2), d = t3 − t4, so ∂b/∂d = −d b, ∂²b/∂d² = (d² − 1) b and
/// ∂d/∂t3 = 1, ∂d/∂t4 = −1.
ValleyRoot ridge_root(double t3, double t4) {
  const double d = t3 - t4;
  ValleyRoot root;
  root.value = std::sqrt(2.0) * std::exp(-0.5 * d * d);
  const double first = -d * root.value, second = (d * d - 1.0) * root.value;
  root.d3 = first, root.d4 = -first;
  root.d33 = second, root.d34 = -second, root.d44 = second;
  return root;
}

}  // namespace

std::string valley_toy_name(ValleyToy toy) { return toy == ValleyToy::one ? "toy_valley_1" : "toy_valley_2"; }

std::array<ValleyRoot, 2> valley_roots(ValleyToy toy, double t3, double t4) {
  if (toy == ValleyToy::one) return {abs_root(t3 + t4, 1.0, 1.0), abs_root(t3 + 2.0 * t4, 1.0, 2.0)};
  return {bowl_root(t3, t4), ridge_root(t3, t4)};
}

// ---- ValleyPoint -------------------------------------------------------------------------------

ValleyPoint::ValleyPoint(index in_features, std::array<double, 4> start) : in_features_(in_features), start_(start) {
  HC_CHECK(in_features >= 1, core::Error, "the valley toy needs inputs with at least one feature (they are ignored)");
  for (double value : start_)
    HC_CHECK(std::isfinite(value), core::Error, "the valley toy's start point must be finite");
}

void ValleyPoint::forward(const backend::Backend& be, const ConstBlocks& params, const double*, double* y,
                          index samples) const {
  require_host(be, kind());
  for (index n = 0; n < samples; ++n)
    for (index j = 0; j < 4; ++j) y[n * 4 + j] = start_[static_cast<size_t>(j)] + params[0][j];
}

void ValleyPoint::backward_input(const backend::Backend& be, const ConstBlocks&, const double*, const double*,
                                 const double*, double* dx, index samples) const {
  require_host(be, kind());
  for (index i = 0; i < samples * in_features_; ++i) dx[i] = 0.0;  // the point does not depend on x
}

void ValleyPoint::backward_params(const backend::Backend& be, const double*, const double* dy,
                                  const GradTarget& grads, index samples) const {
  require_host(be, kind());
  double* theta = grads.block[0];
  if (theta == nullptr) return;
  for (index n = 0; n < samples; ++n) {
    double* row = theta + n * grads.sample_stride;  // stride 0: every sample into the same sum
    for (index j = 0; j < 4; ++j) row[j] += dy[n * 4 + j];
  }
}

void ValleyPoint::r_forward(const backend::Backend& be, const ConstBlocks&, const ConstBlocks& directions,
                            const double*, const double*, const double*, double* ry, index samples) const {
  require_host(be, kind());
  const double* v = directions[0];
  for (index n = 0; n < samples; ++n)
    for (index j = 0; j < 4; ++j) ry[n * 4 + j] = v == nullptr ? 0.0 : v[j];
}

void ValleyPoint::r_backward_curvature(const backend::Backend& be, const ConstBlocks&, const ConstBlocks&,
                                       const double*, const double*, const double*, const double*, double*,
                                       const GradTarget&, index) const {
  // u = start + θ is affine in θ and does not depend on x: no second-order terms.
  require_host(be, kind());
}

// ---- ValleyResiduals ---------------------------------------------------------------------------

void ValleyResiduals::forward(const backend::Backend& be, const ConstBlocks&, const double* x, double* y,
                              index samples) const {
  require_host(be, kind());
  for (index n = 0; n < samples; ++n) {
    const double* u = x + n * 4;
    const auto [a, b] = valley_roots(toy_, u[2], u[3]);
    y[n * 2] = a.value * u[0];
    y[n * 2 + 1] = b.value * u[1];
  }
}

void ValleyResiduals::backward_input(const backend::Backend& be, const ConstBlocks&, const double* x, const double*,
                                     const double* dy, double* dx, index samples) const {
  require_host(be, kind());
  for (index n = 0; n < samples; ++n) {
    const double* u = x + n * 4;
    const double dz1 = dy[n * 2], dz2 = dy[n * 2 + 1];
    const auto [a, b] = valley_roots(toy_, u[2], u[3]);
    double* out = dx + n * 4;
    out[0] = a.value * dz1;
    out[1] = b.value * dz2;
    out[2] = a.d3 * u[0] * dz1 + b.d3 * u[1] * dz2;
    out[3] = a.d4 * u[0] * dz1 + b.d4 * u[1] * dz2;
  }
}

void ValleyResiduals::r_forward(const backend::Backend& be, const ConstBlocks&, const ConstBlocks&, const double* x,
                                const double* rx, const double*, double* ry, index samples) const {
  require_host(be, kind());
  for (index n = 0; n < samples; ++n) {
    if (rx == nullptr) {
      ry[n * 2] = ry[n * 2 + 1] = 0.0;
      continue;
    }
    const double* u = x + n * 4;
    const double* r = rx + n * 4;
    const auto [a, b] = valley_roots(toy_, u[2], u[3]);
    ry[n * 2] = a.value * r[0] + u[0] * (a.d3 * r[2] + a.d4 * r[3]);
    ry[n * 2 + 1] = b.value * r[1] + u[1] * (b.d3 * r[2] + b.d4 * r[3]);
  }
}

void ValleyResiduals::r_backward_curvature(const backend::Backend& be, const ConstBlocks&, const ConstBlocks&,
                                           const double* x, const double* rx, const double*, const double* dy,
                                           double* rdx, const GradTarget&, index samples) const {
  require_host(be, kind());
  if (rdx == nullptr || rx == nullptr) return;  // no parameters of its own; R(u) = 0 adds nothing
  for (index n = 0; n < samples; ++n) {
    const double* u = x + n * 4;
    const double* r = rx + n * 4;
    const double dz1 = dy[n * 2], dz2 = dy[n * 2 + 1];
    const auto [a, b] = valley_roots(toy_, u[2], u[3]);
    double* out = rdx + n * 4;
    out[0] += dz1 * (a.d3 * r[2] + a.d4 * r[3]);
    out[1] += dz2 * (b.d3 * r[2] + b.d4 * r[3]);
    out[2] += dz1 * (a.d3 * r[0] + u[0] * (a.d33 * r[2] + a.d34 * r[3])) +
              dz2 * (b.d3 * r[1] + u[1] * (b.d33 * r[2] + b.d34 * r[3]));
    out[3] += dz1 * (a.d4 * r[0] + u[0] * (a.d34 * r[2] + a.d44 * r[3])) +
              dz2 * (b.d4 * r[1] + u[1] * (b.d34 * r[2] + b.d44 * r[3]));
  }
}

std::unique_ptr<Model> make_toy_valley(std::shared_ptr<const backend::Backend> backend, const ToyValleySpec& spec,
                                       index in_features) {
  HC_CHECK(backend != nullptr, core::Error, "make_toy_valley needs a backend");
  require_host(*backend, valley_toy_name(spec.toy));
  std::vector<std::unique_ptr<Layer>> layers;
  layers.push_back(std::make_unique<ValleyPoint>(in_features, spec.start));
  layers.push_back(std::make_unique<ValleyResiduals>(spec.toy));
  return std::make_unique<Model>(std::move(backend), std::move(layers), std::vector<std::string>{"toy", "valley"},
                                 make_loss("mse"));
}

}  // namespace hesscov::nn
