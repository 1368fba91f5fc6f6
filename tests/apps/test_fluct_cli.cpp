// `hesscov fluct` end to end on the linear model (linear regression with Gaussian inputs of chosen
// scales), where everything has an independent answer: the Hessian is XᵀX/N (dense LAPACK on the
// data set rebuilt in the test), the recorded projections in the full eigenbasis reconstruct the
// trajectory (start, sum of velocities, end), the first full-batch gradient equals Xᵀ(Xθ − y)/N,
// and the velocity variance along each direction agrees with the exact theory of SCIENCE.md
// Study 2 (stats/theory_epoch.hpp) fed the noise variance measured from the recording — both
// recomputed here from the recorded arrays, not read from the archive's statistics. 1 and 2
// ranks agree.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "apps/eig_stage.hpp"
#include "apps/run_setup.hpp"
#include "core/config.hpp"
#include "data/data_config.hpp"
#include "io/h5_file.hpp"
#include "spectral/eigen_solver.hpp"
#include "stats/theory_epoch.hpp"
#include "support/subprocess.hpp"

namespace hesscov::testing {
namespace {

namespace fs = std::filesystem;

constexpr index kFeatures = 4, kSamples = 200, kBatch = 10;
constexpr double kRate = 0.05;

std::string config_text(const std::string& output) {
  return "seed: 3\n"
         "data:\n  name: synthetic\n"
         "  synthetic: {count: 200, features: 4, task: regression, noise: 0.5, input_scales: [2.0, 1.0, 0.5, 0.25]}\n"
         "model:\n  type: linear\n  loss: mse\n"
         "train:\n  epochs: 50\n  batch_size: 10\n  lr: 0.05\n  eval_every: 50\n"
         "eig:\n  nev: 4\n"
         "fluct:\n  epochs: 10000\n  chunk: 1000\n  output: " + output + "\n";
}

class FluctCli : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = fs::temp_directory_path() / ("hesscov_fluct_" + std::to_string(::getpid()));
    fs::create_directories(dir_);
    for (const int ranks : {1, 2}) {
      const std::string out = (dir_ / ("fluct" + std::to_string(ranks) + ".h5")).string();
      const std::string config = (dir_ / ("fluct" + std::to_string(ranks) + ".yaml")).string();
      std::ofstream(config) << config_text(out);
      const auto result = run_shell("OPENBLAS_NUM_THREADS=1 " +
                                    hesscov_command("fluct " + config, ranks == 1 ? "" : std::string(HESSCOV_MPIEXEC) + " -np 2 "));
      outputs_[ranks - 1] = result.output;
      statuses_[ranks - 1] = result.status;
    }
  }
  static void TearDownTestSuite() { fs::remove_all(dir_); }
  std::string file(int ranks) const { return (dir_ / ("fluct" + std::to_string(ranks) + ".h5")).string(); }

  static inline fs::path dir_;
  static inline std::string outputs_[2];
  static inline int statuses_[2] = {-1, -1};
};

/// The training set the command used, rebuilt from the same config (synthetic data are a pure
/// function of their seed).
data::Dataset training_set() {
  const core::Schema schema = [] {
    core::Schema s = apps::job_schema();
    apps::add_align_keys(s);
    return s;
  }();
  return data::load_dataset(core::Config::load_string(config_text("unused.h5"), schema));
}

/// Column means and variances (divisor T) of a row-major [rows x cols] matrix.
std::pair<std::vector<double>, std::vector<double>> column_moments(const io::H5File::Matrix& m) {
  std::vector<double> mean(static_cast<size_t>(m.cols), 0.0), variance(static_cast<size_t>(m.cols), 0.0);
  for (std::int64_t t = 0; t < m.rows; ++t)
    for (std::int64_t i = 0; i < m.cols; ++i) mean[i] += m.values[t * m.cols + i] / static_cast<double>(m.rows);
  for (std::int64_t t = 0; t < m.rows; ++t)
    for (std::int64_t i = 0; i < m.cols; ++i) {
      const double d = m.values[t * m.cols + i] - mean[i];
      variance[i] += d * d / static_cast<double>(m.rows);
    }
  return {mean, variance};
}

TEST_F(FluctCli, HessianEigenvaluesAreThoseOfTheInputSecondMoment) {
  ASSERT_EQ(statuses_[0], 0) << outputs_[0];
  const data::Dataset data = training_set();
  std::vector<double> moment(kFeatures * kFeatures, 0.0);  // XᵀX / N
  for (index n = 0; n < kSamples; ++n)
    for (index i = 0; i < kFeatures; ++i)
      for (index j = 0; j < kFeatures; ++j)
        moment[i * kFeatures + j] += data.inputs[n * kFeatures + i] * data.inputs[n * kFeatures + j] / kSamples;
  const auto dense = spectral::dense_symmetric_eigen(moment, kFeatures, false);
  const io::H5File archive = io::H5File::open_read(file(1));
  const auto values = archive.read_vector("fluct/eig/hessian/largest/values");
  ASSERT_EQ(values.size(), 4u);
  for (index i = 0; i < kFeatures; ++i) EXPECT_NEAR(values[i], dense.values[kFeatures - 1 - i], 1e-12 * dense.values.back());
}

TEST_F(FluctCli, ProjectionsReconstructTheTrajectoryAndTheGradient) {
  ASSERT_EQ(statuses_[0], 0) << outputs_[0];
  const io::H5File archive = io::H5File::open_read(file(1));
  const auto basis = archive.read_matrix("fluct/eig/hessian/largest/vectors");  // rows: eigenvectors
  const auto start = archive.read_vector("fluct/params_start"), end = archive.read_vector("fluct/params_end");
  const auto theta = archive.read_matrix("fluct/theta"), velocity = archive.read_matrix("fluct/velocity");
  const auto full = archive.read_matrix("fluct/full_gradient"), noise = archive.read_matrix("fluct/noise");
  const auto gradient = archive.read_matrix("fluct/gradient");
  const auto theta_start = archive.read_vector("fluct/theta_start");
  const std::int64_t steps = theta.rows, k = theta.cols;
  ASSERT_EQ(steps, 200000);
  ASSERT_EQ(k, kFeatures);
  auto reconstruct = [&](const double* projections) {  // the full basis: θ = Σ_i p_i v_i
    std::vector<double> x(kFeatures, 0.0);
    for (index i = 0; i < k; ++i)
      for (index j = 0; j < kFeatures; ++j) x[j] += projections[i] * basis.values[i * kFeatures + j];
    return x;
  };
  const auto first = reconstruct(theta_start.data()), last = reconstruct(theta.values.data() + (steps - 1) * k);
  std::vector<double> moved(k, 0.0);
  for (std::int64_t t = 0; t < steps; ++t)
    for (index i = 0; i < k; ++i) moved[i] += velocity.values[t * k + i];
  for (index j = 0; j < kFeatures; ++j) {
    EXPECT_NEAR(first[j], start[j], 1e-12);
    EXPECT_NEAR(last[j], end[j], 1e-12);
  }
  for (index i = 0; i < k; ++i)  // Σ_t V^T v_t = V^T (θ_T − θ_0)
    EXPECT_NEAR(moved[i], theta.values[(steps - 1) * k + i] - theta_start[i], 1e-9);
  for (std::int64_t t = 0; t < full.rows; t += 997)  // noise = minibatch − full, row by row
    for (index i = 0; i < k; ++i)
      EXPECT_NEAR(noise.values[t * k + i], gradient.values[t * k + i] - full.values[t * k + i], 1e-12);
  // The first full-batch gradient, from the data: ∇L = Xᵀ(Xθ − y)/N for L = (1/N)Σ ½(xᵀθ − y)².
  const data::Dataset data = training_set();
  std::vector<double> g(kFeatures, 0.0);
  for (index n = 0; n < kSamples; ++n) {
    double residual = -data.targets[n];
    for (index j = 0; j < kFeatures; ++j) residual += data.inputs[n * kFeatures + j] * start[j];
    for (index j = 0; j < kFeatures; ++j) g[j] += data.inputs[n * kFeatures + j] * residual / kSamples;
  }
  const auto first_gradient = reconstruct(full.values.data());
  for (index j = 0; j < kFeatures; ++j) EXPECT_NEAR(first_gradient[j], g[j], 1e-12);
}

TEST_F(FluctCli, VelocityVarianceAgreesWithTheExactTheory) {
  ASSERT_EQ(statuses_[0], 0) << outputs_[0];
  const io::H5File archive = io::H5File::open_read(file(1));
  const auto lambda = archive.read_vector("fluct/eig/hessian/largest/values");
  const auto [velocity_mean, velocity_variance] = column_moments(archive.read_matrix("fluct/velocity"));
  const auto [noise_mean, noise_variance] = column_moments(archive.read_matrix("fluct/noise"));
  // Sampling without replacement, M = N/S = 20 batches per epoch, no momentum.
  for (index i = 0; i < kFeatures; ++i) {
    const auto theory = stats::theory::epoch_fluctuations({kRate, 0.0, kSamples / kBatch, lambda[i], noise_variance[i]});
    EXPECT_NEAR(velocity_variance[i] / theory.sigma2_v, 1.0, 0.02) << "direction " << i << ", lambda " << lambda[i];
  }
  // The archive's own statistics say the same.
  const auto recorded = archive.read_vector("fluct/stats/sigma2_v"), predicted = archive.read_vector("fluct/stats/sigma2_v_theory");
  for (index i = 0; i < kFeatures; ++i) EXPECT_NEAR(recorded[i] / predicted[i], 1.0, 0.02) << i;
}

TEST_F(FluctCli, StationaryWindowSatisfiesTheFluctuationDissipationRelation) {
  // A stationary process keeps E|θ|² constant: ⟨θ·∇L_B⟩ = (1+μ)/(2η)⟨|Δθ|²⟩ (SCIENCE.md Study 3).
  ASSERT_EQ(statuses_[0], 0) << outputs_[0];
  const io::H5File archive = io::H5File::open_read(file(1));
  EXPECT_NEAR(archive.read_double("fluct/stationarity@ratio"), 1.0, 0.01);
  EXPECT_NEAR(archive.read_double("fluct/stationarity@ratio_subspace"), 1.0, 0.01);
  // The subspace sums from the recorded arrays: θ_k is the previous row (theta_start first).
  const auto theta = archive.read_matrix("fluct/theta"), gradient = archive.read_matrix("fluct/gradient");
  const auto velocity = archive.read_matrix("fluct/velocity");
  const auto start = archive.read_vector("fluct/theta_start");
  double left = 0.0, right = 0.0;
  for (std::int64_t t = 0; t < theta.rows; ++t)
    for (std::int64_t i = 0; i < theta.cols; ++i) {
      const double before = t == 0 ? start[i] : theta.values[(t - 1) * theta.cols + i];
      left += before * gradient.values[t * theta.cols + i];  // no weight decay, origin 0
      right += velocity.values[t * theta.cols + i] * velocity.values[t * theta.cols + i];
    }
  left /= static_cast<double>(theta.rows);
  right *= (1.0 + 0.0) / (2.0 * kRate) / static_cast<double>(theta.rows);
  EXPECT_NEAR(archive.read_double("fluct/stationarity@o_left_subspace"), left, 1e-9 * std::abs(left));
  EXPECT_NEAR(archive.read_double("fluct/stationarity@o_right_subspace"), right, 1e-9 * right);
}

TEST_F(FluctCli, TwoRanksRecordTheSameWindow) {
  ASSERT_EQ(statuses_[1], 0) << outputs_[1];
  const io::H5File one = io::H5File::open_read(file(1)), two = io::H5File::open_read(file(2));
  for (const char* name : {"fluct/theta", "fluct/velocity", "fluct/noise"}) {
    const auto a = one.read_matrix(name), b = two.read_matrix(name);
    ASSERT_EQ(a.values.size(), b.values.size()) << name;
    for (std::int64_t i = 0; i < a.cols; ++i) {  // each eigenvector is fixed up to its sign
      double dot = 0.0, worst = 0.0, scale = 0.0;
      for (std::int64_t t = 0; t < a.rows; ++t) dot += a.values[t * a.cols + i] * b.values[t * a.cols + i];
      const double sign = dot < 0.0 ? -1.0 : 1.0;
      for (std::int64_t t = 0; t < a.rows; ++t) {
        worst = std::max(worst, std::abs(a.values[t * a.cols + i] - sign * b.values[t * a.cols + i]));
        scale = std::max(scale, std::abs(a.values[t * a.cols + i]));
      }
      EXPECT_LT(worst, 1e-8 * scale) << name << " direction " << i;
    }
  }
  for (const char* name : {"fluct/stats/sigma2_theta", "fluct/stats/sigma2_v", "fluct/stats/tau"}) {
    const auto a = one.read_vector(name), b = two.read_vector(name);
    for (size_t i = 0; i < a.size(); ++i) EXPECT_NEAR(a[i], b[i], 1e-8 * std::abs(a[i])) << name << " " << i;
  }
}

}  // namespace
}  // namespace hesscov::testing
