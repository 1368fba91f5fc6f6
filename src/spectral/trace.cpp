// Hutchinson, Hutch++ and the exact trace on PETSc Mats (trace.hpp).
#include "spectral/trace.hpp"

#include <cmath>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "core/error.hpp"
#include "operators/petsc_check.hpp"
#include "operators/petsc_handles.hpp"

namespace hesscov::spectral {
namespace {

using operators::PetscVec;

// A Gram-Schmidt pass that shrinks the norm by more than this factor left rounding errors of the
// removed part comparable to what remains, so another pass follows (Daniel et al. 1976).
constexpr double kReorthogonalizeFactor = 0.5;
constexpr int kMaxPasses = 4;
// A sketch column whose norm falls below this fraction of its norm before orthogonalisation lies
// in span(Q) to round-off; normalising it would add noise, not a direction.
constexpr double kDropTolerance = 1e-12;

/// Global size of the square operator A; core::DimensionMismatch when it is not square.
index square_size(Mat A) {
  PetscInt rows = 0, cols = 0;
  HC_PETSC(MatGetSize(A, &rows, &cols));
  HC_CHECK(rows == cols, core::DimensionMismatch,
           "trace estimation needs a square operator, got " + std::to_string(rows) + " x " +
               std::to_string(cols));
  return index(rows);
}

/// A vector of A's column layout (the space A acts on).
PetscVec make_vector(Mat A) {
  PetscVec vec;
  HC_PETSC(MatCreateVecs(A, vec.out(), nullptr));
  return vec;
}

double dot(Vec x, Vec y) {
  PetscScalar value = 0.0;
  HC_PETSC(VecDot(x, y, &value));
  return double(value);
}

/// Mean and standard error (sample std / sqrt(count)) of host samples.
TraceEstimate sample_statistics(const std::vector<double>& samples) {
  const auto count = double(samples.size());
  double mean = 0.0;
  for (double s : samples) mean += s;
  mean /= count;
  double squares = 0.0;
  for (double s : samples) squares += (s - mean) * (s - mean);
  const double standard_error = samples.size() < 2 ? std::numeric_limits<double>::quiet_NaN()
                                                   : std::sqrt(squares / (count - 1.0) / count);
  return {mean, standard_error, index(samples.size())};
}

/// One classical Gram-Schmidt pass: v -= sum_j (q_j . v) q_j, with one reduction for all dots.
void gram_schmidt_pass(std::span<const Vec> basis, Vec v, std::vector<PetscScalar>& coefficients) {
  const auto count = PetscInt(basis.size());
  coefficients.resize(basis.size());
  HC_PETSC(VecMDot(v, count, basis.data(), coefficients.data()));
  for (auto& c : coefficients) c = -c;
  // PETSc 3.18 declares the handle array of VecMAXPY non-const; it reads it only.
  HC_PETSC(VecMAXPY(v, count, coefficients.data(), const_cast<Vec*>(basis.data())));
}

/// Q = orth(A S) for k Rademacher sketch columns: Vec owners and a raw view for VecMDot.
struct Basis {
  std::vector<PetscVec> owners;
  std::vector<Vec> vecs;
};

Basis sketch_range(Mat A, index columns, const core::CounterRng& rng, index& products) {
  Basis basis;
  PetscVec sketch = make_vector(A);
  for (index j = 0; j < columns; ++j) {
    fill_rademacher(sketch.get(), rng, j);
    PetscVec image = make_vector(A);
    HC_PETSC(MatMult(A, sketch.get(), image.get()));
    ++products;
    const auto norms = orthogonalize(basis.vecs, image.get());
    if (!(norms.norm_after > kDropTolerance * norms.norm_before)) continue;
    HC_PETSC(VecScale(image.get(), 1.0 / norms.norm_after));
    basis.vecs.push_back(image.get());
    basis.owners.push_back(std::move(image));
  }
  return basis;
}

/// sum_i e_i^T A e_i with n products; `unit` is a work vector of A's layout. The owner of entry i
/// sets it and reads (A e_i)_i from its own slice; one reduction at the end.
double trace_by_products(Mat A, Vec unit) {
  PetscVec image = make_vector(A);
  PetscInt size = 0, begin = 0, end = 0;
  HC_PETSC(VecGetSize(unit, &size));
  HC_PETSC(VecGetOwnershipRange(unit, &begin, &end));
  HC_PETSC(VecSet(unit, 0.0));
  auto set_entry = [&](PetscInt i, double value) {
    if (i < begin || i >= end) return;
    PetscScalar* entries = nullptr;
    HC_PETSC(VecGetArray(unit, &entries));
    entries[i - begin] = value;
    HC_PETSC(VecRestoreArray(unit, &entries));
  };
  double local_sum = 0.0;
  for (PetscInt i = 0; i < size; ++i) {
    set_entry(i, 1.0);
    HC_PETSC(MatMult(A, unit, image.get()));
    if (i >= begin && i < end) {
      const PetscScalar* entries = nullptr;
      HC_PETSC(VecGetArrayRead(image.get(), &entries));
      local_sum += double(entries[i - begin]);
      HC_PETSC(VecRestoreArrayRead(image.get(), &entries));
    }
    set_entry(i, 0.0);
  }
  double sum = 0.0;
  HC_MPI(MPI_Allreduce(&local_sum, &sum, 1, MPI_DOUBLE, MPI_SUM, PetscObjectComm(PetscObject(A))));
  return sum;
}

}  // namespace

void fill_rademacher(Vec probe, const core::CounterRng& rng, index column) {
  PetscInt size = 0, begin = 0, end = 0;
  HC_PETSC(VecGetSize(probe, &size));
  HC_PETSC(VecGetOwnershipRange(probe, &begin, &end));
  PetscScalar* entries = nullptr;
  HC_PETSC(VecGetArrayWrite(probe, &entries));
  const auto offset = std::uint64_t(column) * std::uint64_t(size);
  for (PetscInt i = begin; i < end; ++i)
    entries[i - begin] = (rng.bits(offset + std::uint64_t(i)) & 1U) != 0 ? 1.0 : -1.0;
  HC_PETSC(VecRestoreArrayWrite(probe, &entries));
}

OrthogonalizeResult orthogonalize(std::span<const Vec> basis, Vec v) {
  OrthogonalizeResult norms;
  PetscReal norm = 0.0;
  HC_PETSC(VecNorm(v, NORM_2, &norm));
  norms.norm_before = norms.norm_after = double(norm);
  if (basis.empty()) return norms;
  std::vector<PetscScalar> coefficients;
  double previous = norms.norm_before;
  for (int pass = 0; pass < kMaxPasses; ++pass) {
    gram_schmidt_pass(basis, v, coefficients);
    HC_PETSC(VecNorm(v, NORM_2, &norm));
    norms.norm_after = double(norm);
    if (pass >= 1 && norms.norm_after > kReorthogonalizeFactor * previous) break;
    previous = norms.norm_after;
  }
  return norms;
}

TraceEstimate hutchinson(Mat A, index probes, std::uint64_t seed) {
  square_size(A);
  HC_CHECK(probes >= 1, core::Error,
           "hutchinson: probes must be >= 1, got " + std::to_string(probes));
  const core::CounterRng rng(seed, "hutchinson");
  PetscVec probe = make_vector(A), image = make_vector(A);
  std::vector<double> samples;
  samples.reserve(std::size_t(probes));
  for (index j = 0; j < probes; ++j) {
    fill_rademacher(probe.get(), rng, j);
    HC_PETSC(MatMult(A, probe.get(), image.get()));
    samples.push_back(dot(probe.get(), image.get()));
  }
  return sample_statistics(samples);
}

TraceEstimate hutch_plus_plus(Mat A, index matvecs, std::uint64_t seed) {
  square_size(A);
  HC_CHECK(matvecs >= 3, core::Error,
           "hutch_plus_plus: matvecs must be >= 3 (one sketch, one range and one residual "
           "product), got " + std::to_string(matvecs));
  const core::CounterRng rng(seed, "hutch++");
  const index sketch_columns = matvecs / 3;
  const index residual_probes = matvecs - 2 * sketch_columns;
  index products = 0;
  const Basis basis = sketch_range(A, sketch_columns, rng, products);

  PetscVec probe = make_vector(A), image = make_vector(A);
  double range_trace = 0.0;  // tr(Q^T A Q)
  for (Vec q : basis.vecs) {
    HC_PETSC(MatMult(A, q, image.get()));
    range_trace += dot(q, image.get());
  }
  products += index(basis.vecs.size());

  std::vector<double> samples;  // g^T (I - QQ^T) A (I - QQ^T) g
  std::vector<PetscScalar> coefficients;
  for (index j = 0; j < residual_probes; ++j) {
    fill_rademacher(probe.get(), rng, sketch_columns + j);
    // One pass applies I - QQ^T exactly up to round-off: Q is orthonormal to working precision.
    if (!basis.vecs.empty()) gram_schmidt_pass(basis.vecs, probe.get(), coefficients);
    HC_PETSC(MatMult(A, probe.get(), image.get()));
    samples.push_back(dot(probe.get(), image.get()));
  }
  TraceEstimate estimate = sample_statistics(samples);
  estimate.value += range_trace;
  estimate.products = products + residual_probes;
  return estimate;
}

double exact_trace(Mat A) {
  square_size(A);
  PetscBool has_diagonal = PETSC_FALSE;
  HC_PETSC(MatHasOperation(A, MATOP_GET_DIAGONAL, &has_diagonal));
  PetscVec vec = make_vector(A);
  if (has_diagonal == PETSC_TRUE) {
    HC_PETSC(MatGetDiagonal(A, vec.get()));
    PetscScalar sum = 0.0;
    HC_PETSC(VecSum(vec.get(), &sum));
    return double(sum);
  }
  return trace_by_products(A, vec.get());
}

}  // namespace hesscov::spectral
