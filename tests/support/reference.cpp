#include "support/reference.hpp"

#include <cmath>

#include "core/error.hpp"
#include "core/rng.hpp"

namespace hesscov::testing {

Vector Dense::times(const Vector& v) const {
  Vector out(static_cast<size_t>(rows), 0.0);
  for (index i = 0; i < rows; ++i)
    for (index j = 0; j < cols; ++j) out[static_cast<size_t>(i)] += (*this)(i, j) * v[static_cast<size_t>(j)];
  return out;
}

double Dense::frobenius() const { return norm(values); }

double Dense::max_asymmetry() const {
  double worst = 0.0;
  for (index i = 0; i < rows; ++i)
    for (index j = 0; j < i; ++j) worst = std::max(worst, std::abs((*this)(i, j) - (*this)(j, i)));
  return worst;
}

Vector random_vector(index size, std::uint64_t seed, double scale) {
  const core::CounterRng rng(seed, "test/vector");
  Vector v(static_cast<size_t>(size));
  for (index i = 0; i < size; ++i) v[static_cast<size_t>(i)] = scale * rng.normal(static_cast<std::uint64_t>(i));
  return v;
}

SyntheticData synthetic_data(index samples, index features, index classes, const std::string& loss,
                             std::uint64_t seed) {
  SyntheticData data;
  data.samples = samples;
  data.inputs = random_vector(samples * features, seed);
  const core::CounterRng labels(seed, "test/labels");
  if (loss == "mse") {
    data.targets = random_vector(samples * classes, seed + 1);
    return data;
  }
  data.targets.assign(static_cast<size_t>(samples * classes), 0.0);
  for (index n = 0; n < samples; ++n)
    data.targets[static_cast<size_t>(n * classes + static_cast<index>(labels.bits(static_cast<std::uint64_t>(n)) % static_cast<std::uint64_t>(classes)))] = 1.0;
  return data;
}

HostProblem::HostProblem(const nn::Model& model, const SyntheticData& data)
    : model_(model), data_(data), workspace_(model, data.samples) {}

nn::Batch HostProblem::batch(index first, index count) const {
  return {data_.inputs.data() + first * model_.in_features(),
          data_.targets.data() + first * model_.out_features(), count};
}

double HostProblem::loss(const Vector& params) {
  Vector losses(static_cast<size_t>(data_.samples));
  model_.per_sample_losses(workspace_, params.data(), batch(0, data_.samples), losses.data());
  double sum = 0.0;
  for (double value : losses) sum += value;
  return sum / static_cast<double>(data_.samples);
}

double HostProblem::sample_loss(const Vector& params, index sample) {
  double value = 0.0;
  model_.per_sample_losses(workspace_, params.data(), batch(sample, 1), &value);
  return value;
}

Vector HostProblem::gradient(const Vector& params, const nn::ParamSubset& subset) {
  Vector out(static_cast<size_t>(subset.size()), 0.0);
  model_.gradient(workspace_, params.data(), batch(0, data_.samples), subset, nullptr,
                  1.0 / static_cast<double>(data_.samples), out.data());
  return out;
}

Vector HostProblem::sample_gradient(const Vector& params, const nn::ParamSubset& subset, index sample) {
  Vector out(static_cast<size_t>(subset.size()), 0.0);
  model_.gradient(workspace_, params.data(), batch(sample, 1), subset, nullptr, 1.0, out.data());
  return out;
}

Vector HostProblem::curvature(const Vector& params, const nn::ParamSubset& subset,
                              nn::Curvature kind, const Vector& v) {
  Vector out(static_cast<size_t>(subset.size()), 0.0);
  model_.curvature_product(workspace_, params.data(), batch(0, data_.samples), subset, kind,
                           v.data(), 1.0 / static_cast<double>(data_.samples), out.data());
  return out;
}

namespace {

/// Full-vector index of subset coordinate j.
index full_index(const nn::ParamLayout& layout, const nn::ParamSubset& subset, index j) {
  for (size_t b = 0; b < layout.blocks().size(); ++b) {
    const index offset = subset.offset_of(static_cast<index>(b));
    if (offset >= 0 && j >= offset && j < offset + layout.blocks()[b].size)
      return layout.blocks()[b].offset + (j - offset);
  }
  throw core::Error("coordinate outside the subset");
}

}  // namespace

Vector fd_gradient(const std::function<double(const Vector&)>& f, const Vector& params,
                   const nn::ParamLayout& layout, const nn::ParamSubset& subset, double h) {
  Vector out(static_cast<size_t>(subset.size()));
  for (index j = 0; j < subset.size(); ++j) {
    Vector plus = params, minus = params;
    const auto i = static_cast<size_t>(full_index(layout, subset, j));
    plus[i] += h;
    minus[i] -= h;
    out[static_cast<size_t>(j)] = (f(plus) - f(minus)) / (2.0 * h);
  }
  return out;
}

Dense fd_jacobian(const std::function<Vector(const Vector&)>& g, const Vector& params,
                  const nn::ParamLayout& layout, const nn::ParamSubset& subset, double h) {
  Dense out(subset.size(), subset.size());
  for (index j = 0; j < subset.size(); ++j) {
    Vector plus = params, minus = params;
    const auto i = static_cast<size_t>(full_index(layout, subset, j));
    plus[i] += h;
    minus[i] -= h;
    const Vector gp = g(plus), gm = g(minus);
    for (index r = 0; r < subset.size(); ++r)
      out(r, j) = (gp[static_cast<size_t>(r)] - gm[static_cast<size_t>(r)]) / (2.0 * h);
  }
  return out;
}

Dense assemble(const std::function<Vector(const Vector&)>& op, index size) {
  Dense out(size, size);
  for (index j = 0; j < size; ++j) {
    Vector unit(static_cast<size_t>(size), 0.0);
    unit[static_cast<size_t>(j)] = 1.0;
    const Vector column = op(unit);
    for (index r = 0; r < size; ++r) out(r, j) = column[static_cast<size_t>(r)];
  }
  return out;
}

double norm(const Vector& v) { return std::sqrt(dot(v, v)); }

double dot(const Vector& a, const Vector& b) {
  double sum = 0.0;
  for (size_t i = 0; i < a.size(); ++i) sum += a[i] * b[i];
  return sum;
}

double relative_error(const Vector& a, const Vector& b) {
  Vector diff(a.size());
  for (size_t i = 0; i < a.size(); ++i) diff[i] = a[i] - b[i];
  return norm(diff) / std::max(norm(b), 1e-300);
}

}  // namespace hesscov::testing
