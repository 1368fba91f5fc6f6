// Stochastic trace (Hutchinson, Hutch++) and spectral density (SLQ) of PETSc matrices at 1, 2 and
// 3 ranks: exact traces, estimates within four standard errors of them at fixed seeds, Hutch++
// beating Hutchinson on a power-law spectrum, normalised quadrature rules and densities, moments
// against tr(A^p)/n, full Lanczos recovering the spectrum, and every result equal to the one a
// single-process copy of the same matrix gives on each rank.
#include <gtest/gtest.h>
#include <mpi.h>
#include <petscmat.h>
// petscblaslapack.h needs petscsys.h (through petscmat.h) first.
#include <petscblaslapack.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <string>

#include "core/rng.hpp"
#include "operators/petsc_check.hpp"
#include "operators/petsc_handles.hpp"
#include "spectral/slq.hpp"
#include "spectral/trace.hpp"
#include "support/reference.hpp"

namespace hesscov::testing {
namespace {

using operators::PetscMat;
using spectral::exact_trace;
using spectral::hutch_plus_plus;
using spectral::hutchinson;
using spectral::slq;
using spectral::tridiagonal_quadrature;

// mpi_main.cc initialises MPI only. PETSc is initialised once for the executable, and finalised
// only if this environment initialised it (another test file may have done so first).
class PetscEnvironment : public ::testing::Environment {
 public:
  void SetUp() override {
    PetscBool initialized = PETSC_FALSE;
    HC_PETSC(PetscInitialized(&initialized));
    if (initialized == PETSC_TRUE) return;
    HC_PETSC(PetscInitializeNoArguments());
    owned_ = true;
  }
  void TearDown() override {
    PetscBool finalized = PETSC_TRUE;
    if (owned_ && PetscFinalized(&finalized) == 0 && finalized == PETSC_FALSE) PetscFinalize();
  }

 private:
  bool owned_ = false;
};
[[maybe_unused]] ::testing::Environment* const kPetscEnvironment =
    ::testing::AddGlobalTestEnvironment(new PetscEnvironment);

constexpr index kPowerLawSize = 500, kWignerSize = 120;

/// lambda_i = 1/(i+1), negated at i = 4, 41, 222 (a few negative-curvature directions).
Vector power_law_spectrum(index n) {
  Vector eigvals(static_cast<size_t>(n));
  for (index i = 0; i < n; ++i)
    eigvals[static_cast<size_t>(i)] = (i == 4 || i == 41 || i == 222 ? -1.0 : 1.0) / double(i + 1);
  return eigvals;
}

/// Wigner matrix (G + G^T) / sqrt(2n), G standard normal: spectrum ~ semicircle on [-2, 2].
const Dense& wigner() {
  static const Dense matrix = [] {
    const core::CounterRng rng(7, "test/wigner");
    Dense a(kWignerSize, kWignerSize);
    const double scale = 1.0 / std::sqrt(2.0 * double(kWignerSize));
    for (index i = 0; i < kWignerSize; ++i)
      for (index j = 0; j <= i; ++j)
        a(i, j) = a(j, i) = scale * (rng.normal(std::uint64_t(i * kWignerSize + j)) +
                                     rng.normal(std::uint64_t(j * kWignerSize + i)));
    return a;
  }();
  return matrix;
}

/// R^T diag(power law) R with R a random orthogonal matrix (Gram-Schmidt twice on Gaussian rows):
/// the power-law spectrum with Hutchinson's variance 2 (||A||_F^2 - sum A_ii^2) near its maximum.
const Dense& rotated_power_law() {
  static const Dense matrix = [] {
    const index n = kPowerLawSize;
    const core::CounterRng rng(11, "test/rotation");
    Dense rows(n, n);
    for (index j = 0; j < n; ++j) {
      double* r = &rows(j, 0);
      for (index k = 0; k < n; ++k) r[k] = rng.normal(std::uint64_t(j * n + k));
      for (int pass = 0; pass < 2; ++pass)
        for (index l = 0; l < j; ++l) {
          const double* q = &rows(l, 0);
          double c = 0.0;
          for (index k = 0; k < n; ++k) c += q[k] * r[k];
          for (index k = 0; k < n; ++k) r[k] -= c * q[k];
        }
      double norm = 0.0;
      for (index k = 0; k < n; ++k) norm += r[k] * r[k];
      for (index k = 0; k < n; ++k) r[k] /= std::sqrt(norm);
    }
    const Vector eigvals = power_law_spectrum(n);
    Dense a(n, n);
    for (index j = 0; j < n; ++j)
      for (index i = 0; i < n; ++i) {
        const double scaled = eigvals[static_cast<size_t>(j)] * rows(j, i);
        for (index k = 0; k < n; ++k) a(i, k) += scaled * rows(j, k);
      }
    for (index i = 0; i < n; ++i)
      for (index k = 0; k < i; ++k) a(i, k) = a(k, i) = 0.5 * (a(i, k) + a(k, i));
    return a;
  }();
  return matrix;
}

PetscMat diagonal_matrix(MPI_Comm comm, const Vector& diagonal) {
  const auto n = PetscInt(diagonal.size());
  PetscMat a;
  HC_PETSC(MatCreate(comm, a.out()));
  HC_PETSC(MatSetSizes(a.get(), PETSC_DECIDE, PETSC_DECIDE, n, n));
  HC_PETSC(MatSetType(a.get(), MATMPIAIJ));
  HC_PETSC(MatMPIAIJSetPreallocation(a.get(), 1, nullptr, 0, nullptr));
  PetscInt begin = 0, end = 0;
  HC_PETSC(MatGetOwnershipRange(a.get(), &begin, &end));
  for (PetscInt i = begin; i < end; ++i)
    HC_PETSC(MatSetValue(a.get(), i, i, diagonal[static_cast<size_t>(i)], INSERT_VALUES));
  HC_PETSC(MatAssemblyBegin(a.get(), MAT_FINAL_ASSEMBLY));
  HC_PETSC(MatAssemblyEnd(a.get(), MAT_FINAL_ASSEMBLY));
  return a;
}

PetscMat dense_matrix(MPI_Comm comm, const Dense& host) {
  PetscMat a;
  HC_PETSC(MatCreateDense(comm, PETSC_DECIDE, PETSC_DECIDE, host.rows, host.cols, nullptr, a.out()));
  std::vector<PetscInt> columns(static_cast<size_t>(host.cols));
  for (index j = 0; j < host.cols; ++j) columns[static_cast<size_t>(j)] = PetscInt(j);
  PetscInt begin = 0, end = 0;
  HC_PETSC(MatGetOwnershipRange(a.get(), &begin, &end));
  for (PetscInt i = begin; i < end; ++i)
    HC_PETSC(MatSetValues(a.get(), 1, &i, PetscInt(host.cols), columns.data(),
                          &host.values[static_cast<size_t>(i * host.cols)], INSERT_VALUES));
  HC_PETSC(MatAssemblyBegin(a.get(), MAT_FINAL_ASSEMBLY));
  HC_PETSC(MatAssemblyEnd(a.get(), MAT_FINAL_ASSEMBLY));
  return a;
}

/// A MATSHELL with only MatMult, forwarding to `inner` and counting products: what the Hessian
/// operators look like to the estimators.
struct ShellContext {
  Mat inner = nullptr;
  index products = 0;
};
PetscErrorCode shell_mult(Mat shell, Vec x, Vec y) {
  ShellContext* context = nullptr;
  PetscCall(MatShellGetContext(shell, &context));
  ++context->products;
  return MatMult(context->inner, x, y);
}
PetscMat shell_of(ShellContext& context) {
  PetscInt rows = 0, cols = 0, global_rows = 0, global_cols = 0;
  HC_PETSC(MatGetLocalSize(context.inner, &rows, &cols));
  HC_PETSC(MatGetSize(context.inner, &global_rows, &global_cols));
  PetscMat shell;
  HC_PETSC(MatCreateShell(PetscObjectComm(PetscObject(context.inner)), rows, cols, global_rows,
                          global_cols, &context, shell.out()));
  HC_PETSC(MatShellSetOperation(shell.get(), MATOP_MULT, reinterpret_cast<void (*)(void)>(shell_mult)));
  return shell;
}

double sum(const Vector& values) {
  double total = 0.0;
  for (double v : values) total += v;
  return total;
}
double diagonal_sum(const Dense& a) {
  double total = 0.0;
  for (index i = 0; i < a.rows; ++i) total += a(i, i);
  return total;
}
Dense square(const Dense& a) {
  Dense product(a.rows, a.cols);
  for (index i = 0; i < a.rows; ++i)
    for (index l = 0; l < a.cols; ++l)
      for (index k = 0; k < a.cols; ++k) product(i, k) += a(i, l) * a(l, k);
  return product;
}
/// Variance of z^T B z for a Rademacher z: 2 (||B||_F^2 - sum_i B_ii^2).
double rademacher_variance(const Dense& b) {
  double off_diagonal = 0.0;
  for (index i = 0; i < b.rows; ++i)
    for (index k = 0; k < b.cols; ++k)
      if (i != k) off_diagonal += b(i, k) * b(i, k);
  return 2.0 * off_diagonal;
}

template <class ErrorType>
void expect_error_naming(const std::function<void()>& call, const std::string& name) {
  try {
    call();
    ADD_FAILURE() << "no error for " << name;
  } catch (const ErrorType& error) {
    EXPECT_NE(std::string(error.what()).find(name), std::string::npos) << error.what();
  }
}

TEST(TraceEstimation, RejectsNonSquareOperatorsAndEmptyCounts) {
  PetscMat wide;
  HC_PETSC(MatCreateDense(MPI_COMM_WORLD, PETSC_DECIDE, PETSC_DECIDE, 5, 7, nullptr, wide.out()));
  HC_PETSC(MatAssemblyBegin(wide.get(), MAT_FINAL_ASSEMBLY));
  HC_PETSC(MatAssemblyEnd(wide.get(), MAT_FINAL_ASSEMBLY));
  expect_error_naming<core::DimensionMismatch>([&] { (void)hutchinson(wide.get(), 4, 1); }, "5 x 7");
  expect_error_naming<core::DimensionMismatch>([&] { (void)hutch_plus_plus(wide.get(), 9, 1); }, "5 x 7");
  expect_error_naming<core::DimensionMismatch>([&] { (void)exact_trace(wide.get()); }, "5 x 7");
  expect_error_naming<core::DimensionMismatch>([&] { (void)slq(wide.get(), 2, 3, 1); }, "5 x 7");
  const PetscMat a = diagonal_matrix(MPI_COMM_WORLD, power_law_spectrum(20));
  expect_error_naming<core::Error>([&] { (void)hutchinson(a.get(), 0, 1); }, "probes");
  expect_error_naming<core::Error>([&] { (void)hutch_plus_plus(a.get(), 2, 1); }, "matvecs");
  expect_error_naming<core::Error>([&] { (void)slq(a.get(), 0, 3, 1); }, "probes");
  expect_error_naming<core::Error>([&] { (void)slq(a.get(), 2, 0, 1); }, "lanczos_steps");
  const auto density = slq(a.get(), 2, 3, 1);
  expect_error_naming<core::Error>([&] { (void)density.density({0.0}, 0.0); }, "sigma");
  expect_error_naming<core::DimensionMismatch>([&] { (void)tridiagonal_quadrature({1.0}, {1.0}); }, "1 and 1");
}

TEST(TraceEstimation, ExactTraceIsExact) {
  const Vector eigvals = power_law_spectrum(kPowerLawSize);
  const PetscMat diagonal = diagonal_matrix(MPI_COMM_WORLD, eigvals);
  EXPECT_NEAR(exact_trace(diagonal.get()), sum(eigvals), 1e-12);
  const PetscMat dense = dense_matrix(MPI_COMM_WORLD, wigner());
  EXPECT_NEAR(exact_trace(dense.get()), diagonal_sum(wigner()), 1e-12);
  // A shell with MatMult only: n products e_i^T A e_i.
  ShellContext context{diagonal.get(), 0};
  const PetscMat shell = shell_of(context);
  EXPECT_NEAR(exact_trace(shell.get()), sum(eigvals), 1e-12);
  EXPECT_EQ(context.products, kPowerLawSize);
}

TEST(TraceEstimation, HutchinsonIsExactOnDiagonalsAndWithinFourStandardErrors) {
  const Vector eigvals = power_law_spectrum(kPowerLawSize);
  const PetscMat diagonal = diagonal_matrix(MPI_COMM_WORLD, eigvals);
  // z_i^2 = 1: every Rademacher sample of a diagonal matrix is its trace.
  const auto exact = hutchinson(diagonal.get(), 30, 3);
  EXPECT_NEAR(exact.value, sum(eigvals), 1e-12);
  EXPECT_LT(exact.standard_error, 1e-12);
  EXPECT_EQ(exact.products, 30);

  const PetscMat dense = dense_matrix(MPI_COMM_WORLD, wigner());
  const auto estimate = hutchinson(dense.get(), 200, 3);
  EXPECT_LE(std::abs(estimate.value - diagonal_sum(wigner())), 4.0 * estimate.standard_error);
  // The sample standard error agrees with the exact one (its own relative error is ~7% here).
  const double expected_error = std::sqrt(rademacher_variance(wigner()) / 200.0);
  EXPECT_GT(estimate.standard_error, 0.75 * expected_error);
  EXPECT_LT(estimate.standard_error, 1.33 * expected_error);

  const PetscMat rotated = dense_matrix(MPI_COMM_WORLD, rotated_power_law());
  const auto rotated_estimate = hutchinson(rotated.get(), 99, 3);
  EXPECT_LE(std::abs(rotated_estimate.value - sum(eigvals)), 4.0 * rotated_estimate.standard_error);
}

TEST(TraceEstimation, HutchPlusPlusIsWithinFourStandardErrors) {
  const Vector eigvals = power_law_spectrum(kPowerLawSize);
  const std::vector<std::pair<PetscMat, double>> cases = [&] {
    std::vector<std::pair<PetscMat, double>> list;
    list.emplace_back(diagonal_matrix(MPI_COMM_WORLD, eigvals), sum(eigvals));
    list.emplace_back(dense_matrix(MPI_COMM_WORLD, wigner()), diagonal_sum(wigner()));
    list.emplace_back(dense_matrix(MPI_COMM_WORLD, rotated_power_law()), sum(eigvals));
    return list;
  }();
  for (const auto& [matrix, trace] : cases) {
    const auto estimate = hutch_plus_plus(matrix.get(), 99, 5);
    EXPECT_LE(std::abs(estimate.value - trace), 4.0 * estimate.standard_error);
    EXPECT_GT(estimate.standard_error, 0.0);
    EXPECT_EQ(estimate.products, 99);
  }
}

TEST(TraceEstimation, HutchPlusPlusIsExactForALowRankOperator) {
  Vector eigvals(kPowerLawSize, 0.0);
  for (index i : {3, 70, 71, 250, 499}) eigvals[static_cast<size_t>(i)] = double(i) - 100.0;
  const PetscMat a = diagonal_matrix(MPI_COMM_WORLD, eigvals);
  // 20 sketch columns, rank 5: Q keeps 5 columns, so 20 + 5 + 20 products; the residual
  // operator (I - QQ^T) A (I - QQ^T) vanishes.
  const auto estimate = hutch_plus_plus(a.get(), 60, 9);
  EXPECT_EQ(estimate.products, 45);
  EXPECT_NEAR(estimate.value, sum(eigvals), 1e-10);
  EXPECT_LT(estimate.standard_error, 1e-10);
}

// Power law 1/i (n = 500, three signs flipped, randomly rotated), 99 products each, seeds 1..10.
// Measured (the same to 4 digits at 1, 2 and 3 ranks): Hutchinson mean standard error 0.161, RMS
// error 0.115; Hutch++ mean standard error 0.0440, RMS error 0.0342. Expected: Hutchinson
// sqrt(2 (||A||_F^2 - sum A_ii^2) / 99) <= sqrt(2 * 1.64 / 99) = 0.18; Hutch++ removes the top 33
// directions, leaving ||.||_F^2 ~ sum_{i>33} i^-2 = 0.030 for 33 probes: sqrt(2 * 0.030 / 33) = 0.043.
TEST(TraceEstimation, HutchPlusPlusBeatsHutchinsonOnAPowerLaw) {
  const PetscMat a = dense_matrix(MPI_COMM_WORLD, rotated_power_law());
  const double trace = sum(power_law_spectrum(kPowerLawSize));
  constexpr int kSeeds = 10;
  double hutchinson_error = 0.0, hutchinson_se = 0.0, plus_error = 0.0, plus_se = 0.0;
  for (int seed = 1; seed <= kSeeds; ++seed) {
    const auto plain = hutchinson(a.get(), 99, std::uint64_t(seed));
    const auto plus = hutch_plus_plus(a.get(), 99, std::uint64_t(seed));
    hutchinson_error += (plain.value - trace) * (plain.value - trace) / kSeeds;
    plus_error += (plus.value - trace) * (plus.value - trace) / kSeeds;
    hutchinson_se += plain.standard_error / kSeeds;
    plus_se += plus.standard_error / kSeeds;
  }
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  if (rank == 0)
    std::printf("power law, 99 products: Hutchinson SE %.4g RMS error %.4g; "
                "Hutch++ SE %.4g RMS error %.4g\n",
                hutchinson_se, std::sqrt(hutchinson_error), plus_se, std::sqrt(plus_error));
  EXPECT_LT(plus_se, 0.5 * hutchinson_se);
  EXPECT_LT(std::sqrt(plus_error), 0.5 * std::sqrt(hutchinson_error));
}

/// |value - reference| <= tolerance * max(1, |reference|): relative, absolute near zero.
void expect_relative(double value, double reference, double tolerance) {
  EXPECT_NEAR(value, reference, tolerance * std::max(1.0, std::abs(reference)));
}

TEST(TraceEstimation, ResultsDoNotDependOnTheRankCount) {
  for (int which = 0; which < 2; ++which) {
    auto build = [&](MPI_Comm comm) {
      return which == 0 ? diagonal_matrix(comm, power_law_spectrum(kPowerLawSize))
                        : dense_matrix(comm, wigner());
    };
    const PetscMat world = build(MPI_COMM_WORLD), self = build(MPI_COMM_SELF);
    expect_relative(exact_trace(world.get()), exact_trace(self.get()), 1e-12);
    for (auto estimator : {&hutchinson, &hutch_plus_plus}) {
      const auto distributed = estimator(world.get(), 30, 13), local = estimator(self.get(), 30, 13);
      expect_relative(distributed.value, local.value, 1e-12);
      expect_relative(distributed.standard_error, local.standard_error, 1e-12);
      EXPECT_EQ(distributed.products, local.products);
    }
    const auto distributed = slq(world.get(), 4, 25, 13), local = slq(self.get(), 4, 25, 13);
    ASSERT_EQ(distributed.probes(), local.probes());
    for (index p = 0; p < local.probes(); ++p) {
      const auto& rule = distributed.rules[static_cast<size_t>(p)];
      const auto& reference = local.rules[static_cast<size_t>(p)];
      ASSERT_EQ(rule.nodes.size(), reference.nodes.size());
      for (size_t k = 0; k < rule.nodes.size(); ++k) {
        expect_relative(rule.nodes[k], reference.nodes[k], 1e-12);
        expect_relative(rule.weights[k], reference.weights[k], 1e-12);
      }
    }
  }
}

TEST(Slq, GaussRulesOfTinyTridiagonals) {
  const auto rule = tridiagonal_quadrature({0.0, 0.0}, {1.0});
  ASSERT_EQ(rule.nodes.size(), 2U);
  EXPECT_NEAR(rule.nodes[0], -1.0, 1e-15);
  EXPECT_NEAR(rule.nodes[1], 1.0, 1e-15);
  EXPECT_NEAR(rule.weights[0], 0.5, 1e-15);
  EXPECT_NEAR(rule.weights[1], 0.5, 1e-15);
  const auto single = tridiagonal_quadrature({2.5}, {});
  EXPECT_EQ(single.nodes, Vector{2.5});
  EXPECT_EQ(single.weights, Vector{1.0});
}

TEST(Slq, WeightsAndDensityAreNormalised) {
  const PetscMat a = dense_matrix(MPI_COMM_WORLD, wigner());
  const auto result = slq(a.get(), 8, 30, 21);
  ASSERT_EQ(result.probes(), 8);
  EXPECT_EQ(result.products, 8 * 30);
  double low = 0.0, high = 0.0;
  for (const auto& rule : result.rules) {
    ASSERT_EQ(rule.nodes.size(), 30U);
    EXPECT_NEAR(sum(rule.weights), 1.0, 1e-12);
    for (double w : rule.weights) EXPECT_GE(w, 0.0);
    EXPECT_TRUE(std::is_sorted(rule.nodes.begin(), rule.nodes.end()));
    low = std::min(low, rule.nodes.front());
    high = std::max(high, rule.nodes.back());
  }
  const double sigma = 0.05;
  Vector grid;
  for (double x = low - 12 * sigma; x <= high + 12 * sigma; x += sigma / 10) grid.push_back(x);
  const Vector density = result.density(grid, sigma);
  double integral = 0.0;  // trapezoid rule
  for (size_t g = 1; g < grid.size(); ++g)
    integral += 0.5 * (density[g] + density[g - 1]) * (grid[g] - grid[g - 1]);
  EXPECT_NEAR(integral, 1.0, 1e-6);
  EXPECT_NEAR(result.moment(0), 1.0, 1e-12);
}

TEST(Slq, MomentsEstimateNormalisedTraces) {
  // Diagonal: v^T A^p v = tr(A^p)/n for every Rademacher probe, and the 10-node rule is exact
  // for p <= 19, so the moments are exact.
  const Vector eigvals = power_law_spectrum(kPowerLawSize);
  const PetscMat diagonal = diagonal_matrix(MPI_COMM_WORLD, eigvals);
  const auto exact = slq(diagonal.get(), 3, 10, 4);
  double squares = 0.0;
  for (double l : eigvals) squares += l * l;
  EXPECT_NEAR(exact.moment(1), sum(eigvals) / kPowerLawSize, 1e-14);
  EXPECT_NEAR(exact.moment(2), squares / kPowerLawSize, 1e-14);

  // Wigner: Hutchinson's error, standard deviation sqrt(Var(z^T A^p z) / probes) / n.
  const PetscMat dense = dense_matrix(MPI_COMM_WORLD, wigner());
  const index probes = 40;
  const auto estimate = slq(dense.get(), probes, 20, 4);
  const Dense a2 = square(wigner());
  const double n = kWignerSize;
  EXPECT_NEAR(estimate.moment(1), diagonal_sum(wigner()) / n,
              4.0 * std::sqrt(rademacher_variance(wigner()) / double(probes)) / n);
  EXPECT_NEAR(estimate.moment(2), diagonal_sum(a2) / n,
              4.0 * std::sqrt(rademacher_variance(a2) / double(probes)) / n);
}

TEST(Slq, FullLanczosRecoversTheSpectrum) {
  Vector eigvals = power_law_spectrum(60);
  const PetscMat diagonal = diagonal_matrix(MPI_COMM_WORLD, eigvals);
  std::sort(eigvals.begin(), eigvals.end());
  const auto diagonal_rules = slq(diagonal.get(), 2, 60, 8);
  for (const auto& rule : diagonal_rules.rules) {
    ASSERT_EQ(rule.nodes.size(), eigvals.size());
    for (size_t k = 0; k < eigvals.size(); ++k) EXPECT_NEAR(rule.nodes[k], eigvals[k], 1e-12);
  }

  Dense host = wigner();  // dsyev overwrites its input
  PetscBLASInt n = PetscBLASInt(kWignerSize), lwork = 3 * n, info = 0;
  Vector reference(static_cast<size_t>(n)), work(static_cast<size_t>(lwork));
  LAPACKsyev_("N", "U", &n, host.values.data(), &n, reference.data(), work.data(), &lwork, &info);
  ASSERT_EQ(info, 0);
  const PetscMat dense = dense_matrix(MPI_COMM_WORLD, wigner());
  const auto dense_rules = slq(dense.get(), 1, kWignerSize, 8);
  const auto& rule = dense_rules.rules.front();
  ASSERT_EQ(rule.nodes.size(), reference.size());
  for (size_t k = 0; k < reference.size(); ++k) EXPECT_NEAR(rule.nodes[k], reference[k], 1e-12);
}

}  // namespace
}  // namespace hesscov::testing
