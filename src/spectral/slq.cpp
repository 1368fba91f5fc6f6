// Stochastic Lanczos quadrature on PETSc Mats (slq.hpp).
#include "spectral/slq.hpp"

#include <petscblaslapack.h>

#include <algorithm>
#include <cmath>
#include <numbers>
#include <string>
#include <utility>

#include "core/error.hpp"
#include "core/rng.hpp"
#include "operators/petsc_check.hpp"
#include "operators/petsc_handles.hpp"
#include "spectral/trace.hpp"

namespace hesscov::spectral {
namespace {

using operators::PetscVec;

// beta_j below this fraction of the largest ||A v_i|| seen means A v_j lies in the Krylov space
// to round-off: further vectors would be noise, and the rule is already exact for the probe.
constexpr double kBreakdownTolerance = 1e-12;

/// The Lanczos tridiagonal of one probe: diagonal alpha, off-diagonal beta (one entry fewer).
struct Tridiagonal {
  std::vector<double> alpha, beta;
};

/// Lanczos with full reorthogonalisation from the unit vector `start` (consumed: it becomes the
/// first basis vector). Collective.
Tridiagonal lanczos(Mat A, PetscVec start, index steps, index& products) {
  Tridiagonal tridiagonal;
  std::vector<PetscVec> owners;
  std::vector<Vec> basis;
  PetscVec next = std::move(start);
  double operator_scale = 0.0;  // max_j ||A v_j||, a lower bound of ||A||
  for (index j = 0; j < steps; ++j) {
    basis.push_back(next.get());
    owners.push_back(std::move(next));
    PetscVec image;
    HC_PETSC(MatCreateVecs(A, image.out(), nullptr));
    HC_PETSC(MatMult(A, basis.back(), image.get()));
    ++products;
    PetscScalar alpha = 0.0;
    HC_PETSC(VecDot(basis.back(), image.get(), &alpha));
    tridiagonal.alpha.push_back(double(alpha));
    if (j + 1 == steps) break;
    // Removing every basis direction also removes alpha_j v_j and beta_{j-1} v_{j-1}: the
    // three-term recurrence and the full reorthogonalisation in one step.
    const auto norms = orthogonalize(basis, image.get());
    operator_scale = std::max(operator_scale, norms.norm_before);
    if (norms.norm_after <= kBreakdownTolerance * operator_scale) break;
    tridiagonal.beta.push_back(norms.norm_after);
    HC_PETSC(VecScale(image.get(), 1.0 / norms.norm_after));
    next = std::move(image);
  }
  return tridiagonal;
}

void check_positive(index value, const char* name) {
  HC_CHECK(value >= 1, core::Error,
           std::string("slq: ") + name + " must be >= 1, got " + std::to_string(value));
}

}  // namespace

QuadratureRule tridiagonal_quadrature(std::vector<double> alpha, std::vector<double> beta) {
  HC_CHECK(!alpha.empty() && beta.size() + 1 == alpha.size(), core::DimensionMismatch,
           "tridiagonal_quadrature: need m >= 1 diagonal and m - 1 off-diagonal entries, got " +
               std::to_string(alpha.size()) + " and " + std::to_string(beta.size()));
  PetscBLASInt size = 0;
  HC_PETSC(PetscBLASIntCast(PetscInt(alpha.size()), &size));
  std::vector<PetscReal> eigenvectors(alpha.size() * alpha.size());
  std::vector<PetscReal> work(std::max<std::size_t>(1, 2 * alpha.size() - 2));
  beta.push_back(0.0);  // dsteqr's e has n - 1 entries; keep the pointer valid at n = 1
  PetscBLASInt info = 0;
  // compz = 'I': eigenvectors of T itself; eigenvalues come back in ascending order.
  LAPACKREALsteqr_("I", &size, alpha.data(), beta.data(), eigenvectors.data(), &size, work.data(),
                   &info);
  HC_CHECK(info == 0, core::Error,
           "tridiagonal_quadrature: LAPACK dsteqr failed with info " + std::to_string(info));
  QuadratureRule rule;
  rule.nodes = std::move(alpha);
  rule.weights.resize(rule.nodes.size());
  for (std::size_t k = 0; k < rule.nodes.size(); ++k) {
    const double first = eigenvectors[k * rule.nodes.size()];  // column-major: Z(0, k)
    rule.weights[k] = first * first;
  }
  return rule;
}

std::vector<double> SpectralDensity::density(const std::vector<double>& grid, double sigma) const {
  HC_CHECK(sigma > 0.0, core::Error,
           "SpectralDensity::density: sigma must be > 0, got " + std::to_string(sigma));
  HC_CHECK(!rules.empty(), core::StateError, "SpectralDensity::density: no probes");
  const double normalisation = 1.0 / (sigma * std::sqrt(2.0 * std::numbers::pi) * double(probes()));
  std::vector<double> values(grid.size(), 0.0);
  for (std::size_t g = 0; g < grid.size(); ++g) {
    double sum = 0.0;
    for (const auto& rule : rules)
      for (std::size_t k = 0; k < rule.nodes.size(); ++k) {
        const double z = (grid[g] - rule.nodes[k]) / sigma;
        sum += rule.weights[k] * std::exp(-0.5 * z * z);
      }
    values[g] = sum * normalisation;
  }
  return values;
}

double SpectralDensity::moment(int p) const {
  HC_CHECK(p >= 0, core::Error, "SpectralDensity::moment: p must be >= 0, got " + std::to_string(p));
  HC_CHECK(!rules.empty(), core::StateError, "SpectralDensity::moment: no probes");
  double sum = 0.0;
  for (const auto& rule : rules)
    for (std::size_t k = 0; k < rule.nodes.size(); ++k)
      sum += rule.weights[k] * std::pow(rule.nodes[k], p);
  return sum / double(probes());
}

SpectralDensity slq(Mat A, index probes, index lanczos_steps, std::uint64_t seed) {
  check_positive(probes, "probes");
  check_positive(lanczos_steps, "lanczos_steps");
  PetscInt rows = 0, cols = 0;
  HC_PETSC(MatGetSize(A, &rows, &cols));
  HC_CHECK(rows == cols, core::DimensionMismatch,
           "slq needs a square operator, got " + std::to_string(rows) + " x " + std::to_string(cols));
  SpectralDensity result;
  result.dimension = index(rows);
  const index steps = std::min(lanczos_steps, result.dimension);
  const core::CounterRng rng(seed, "slq");
  for (index j = 0; j < probes; ++j) {
    PetscVec start;
    HC_PETSC(MatCreateVecs(A, start.out(), nullptr));
    fill_rademacher(start.get(), rng, j);
    HC_PETSC(VecScale(start.get(), 1.0 / std::sqrt(double(result.dimension))));
    auto tridiagonal = lanczos(A, std::move(start), steps, result.products);
    result.rules.push_back(
        tridiagonal_quadrature(std::move(tridiagonal.alpha), std::move(tridiagonal.beta)));
  }
  return result;
}

std::pair<double, double> SpectralDensity::log_determinant_above(double threshold) const {
  HC_CHECK(threshold > 0.0, core::Error, "the log pseudo-determinant needs a threshold > 0");
  HC_CHECK(!rules.empty(), core::Error, "the spectral density has no probes");
  std::vector<double> per_probe;
  for (const auto& rule : rules) {
    double sum = 0.0;
    for (size_t k = 0; k < rule.nodes.size(); ++k)
      if (rule.nodes[k] > threshold) sum += rule.weights[k] * std::log(rule.nodes[k]);
    per_probe.push_back(static_cast<double>(dimension) * sum);
  }
  double mean = 0.0;
  for (const double x : per_probe) mean += x / static_cast<double>(per_probe.size());
  if (per_probe.size() < 2) return {mean, std::nan("")};
  double sum = 0.0;
  for (const double x : per_probe) sum += (x - mean) * (x - mean);
  return {mean, std::sqrt(sum / static_cast<double>(per_probe.size() - 1) / static_cast<double>(per_probe.size()))};
}

}  // namespace hesscov::spectral
