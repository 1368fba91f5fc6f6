// Designed noise on the quadratic model, whose Hessian diag(lambda) has the coordinate axes as
// eigenvectors: every draw equals sum_i sqrt(c(lambda_i)) zeta_i e_i up to the eigenvectors' signs,
// with zeta_i from the documented counter stream (so the same on 1, 2 and 3 ranks), c(lambda) =
// scale lambda^power above the threshold and 0 below; the injected noise's sample covariance over
// many steps is diag(c).
#include <gtest/gtest.h>
#include <mpi.h>

#include <cmath>

#include "apps/designed_noise.hpp"
#include "apps/eig_stage.hpp"
#include "core/rng.hpp"
#include "support/slepc_environment.hpp"

namespace hesscov::apps {
namespace {

const auto* const kSlepc = ::testing::AddGlobalTestEnvironment(new testing::SlepcEnvironment);

constexpr const char* kConfig =
    "seed: 9\n"
    "data:\n  name: synthetic\n  synthetic: {count: 12, features: 4, task: quadratic}\n"
    "model:\n  type: quadratic\n  loss: mse\n  quadratic: {spectrum: [4.0, 2.0, 1.0, 0.5], noise: [1, 1, 1, 1]}\n"
    "eig:\n  nev: 4\n"
    "train:\n  noise: {kind: designed, scale: 0.3, power: 1.5, threshold: 0.75, refresh: 1000}\n";

TEST(DesignedNoise, DrawsAreTheDocumentedGaussianInTheEigenbasis) {
  const auto world = comm::Communicator::borrow(MPI_COMM_WORLD);
  const core::Logger quiet(1);
  core::Schema schema = job_schema();
  add_align_keys(schema);
  const RunSetup run = prepare_run(core::Config::load_string(kConfig, schema), world, quiet);
  DesignedNoise noise(run, world, quiet);
  const std::vector<double> lambda{4.0, 2.0, 1.0, 0.5}, params(4, 0.0);
  std::vector<double> c(4);
  for (size_t i = 0; i < 4; ++i) c[i] = lambda[i] > 0.75 ? 0.3 * std::pow(lambda[i], 1.5) : 0.0;
  const core::CounterRng rng(9, "designed_noise");
  std::vector<double> second(4, 0.0);
  const index steps = 20000;
  for (index step = 0; step < steps; ++step) {
    std::vector<double> gradient(4, 0.0);
    noise(step, params, gradient);
    if (step == 0) {
      ASSERT_EQ(noise.eigenvalues().size(), 4u);
      for (size_t i = 0; i < 4; ++i) EXPECT_NEAR(noise.eigenvalues()[i], lambda[i], 1e-10);
    }
    // The eigenvalues are distinct and descending: direction i is axis i, up to a sign.
    for (size_t i = 0; i < 4; ++i) {
      const double expected = std::sqrt(c[i]) * rng.normal(static_cast<std::uint64_t>(step * 4 + static_cast<index>(i)));
      ASSERT_NEAR(std::abs(gradient[i]), std::abs(expected), 1e-9) << "step " << step << " direction " << i;
      second[i] += gradient[i] * gradient[i] / static_cast<double>(steps);
    }
  }
  // Sample second moment against diag(c): relative standard error sqrt(2 / steps) = 1%.
  for (size_t i = 0; i < 3; ++i) EXPECT_NEAR(second[i] / c[i], 1.0, 0.05) << i;
  EXPECT_LT(second[3], 1e-24);  // below the threshold: no noise (but the round-off of the other axes)
}

}  // namespace
}  // namespace hesscov::apps
