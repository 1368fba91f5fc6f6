// `hesscov track` end to end on a small tanh MLP (5-6-3 with biases, 57 parameters, label-smoothing
// cross-entropy, 60 synthetic samples), at 1 and 2 ranks. At every measure point along the short
// training run the archive's numbers are compared with the dense Hessian of the recorded
// parameters, assembled here column by column from the same data set rebuilt from the config:
// the Hutch++ trace (fewer products than parameters, so not exact) within 3 of its reported
// standard errors of tr H; the top and most negative eigenvalues and the negative sum against
// LAPACK; the log pseudo-determinant from the top-k against the dense sum over the same
// eigenvalues, and against the sum over the whole spectrum where the archive marks it complete;
// the cosine tr(HC)/(|H|_F |C|_F) within 4 jackknife standard errors of the dense one, C from
// explicit per-sample gradients. 1 and 2 ranks agree to round-off.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "io/h5_file.hpp"
#include "spectral/eigen_solver.hpp"
#include "support/configured.hpp"
#include "support/reference.hpp"
#include "support/subprocess.hpp"

namespace hesscov::testing {
namespace {

namespace fs = std::filesystem;

std::string config_text(const std::string& output) {
  return "seed: 4\n"
         "data:\n  name: synthetic\n  synthetic: {count: 60, features: 5, classes: 3, task: classification, seed: 2}\n"
         "model:\n  type: mlp\n  mlp: [5, 6, 3]\n  bias: true\n  activation: tanh\n  label_smoothing: 0.1\n"
         "train:\n  epochs: 20\n  batch_size: 10\n  lr: 0.5\n  eval_every: 10\n"
         "measure:\n  log_points: 4\n"
         "eig:\n  nev: 12\n"
         "track:\n  trace_products: 30\n  negative: 4\n  thresholds: [0.001, 0.01, 0.1]\n  slq_probes: 4\n"
         "  slq_steps: 20\n  cosine_probes: 30\n  output: " + output + "\n";
}

class TrackCli : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = fs::temp_directory_path() / ("hesscov_track_" + std::to_string(::getpid()));
    fs::create_directories(dir_);
    for (const int ranks : {1, 2}) {
      const std::string out = (dir_ / ("track" + std::to_string(ranks))).string();
      const std::string config = out + ".yaml";
      std::ofstream(config) << config_text(out);
      const auto result = run_shell("OPENBLAS_NUM_THREADS=1 " +
                                    hesscov_command("track " + config, ranks == 1 ? "" : std::string(HESSCOV_MPIEXEC) + " -np 2 "));
      outputs_[ranks - 1] = result.output;
      statuses_[ranks - 1] = result.status;
    }
  }
  static void TearDownTestSuite() { fs::remove_all(dir_); }

  /// The one run archive under track<ranks>/runs.
  static std::string archive(int ranks) {
    for (const auto& entry : fs::directory_iterator(dir_ / ("track" + std::to_string(ranks)) / "runs"))
      if (entry.path().extension() == ".h5") return entry.path().string();
    return "";
  }

  static inline fs::path dir_;
  static inline std::string outputs_[2];
  static inline int statuses_[2] = {-1, -1};
};

/// Measure points recorded in the archive: the groups /checkpoints/step_<k> with a track group.
std::vector<std::string> track_points(const io::H5File& file) {
  std::vector<std::string> points;
  for (index step = 0; step <= 120; ++step) {
    const std::string group = "checkpoints/step_" + std::to_string(step);
    if (file.has_dataset(group + "/track/trace")) points.push_back(group);
  }
  return points;
}

TEST_F(TrackCli, EveryPointAgreesWithTheDenseHessian) {
  ASSERT_EQ(statuses_[0], 0) << outputs_[0];
  const Configured ref(config_text("unused"));
  HostProblem problem(*ref.model, ref.data);
  const auto all = nn::ParamSubset::all(ref.model->layout());
  const index n = all.size();
  ASSERT_EQ(n, 57);
  const io::H5File file = io::H5File::open_read(archive(1));
  const auto points = track_points(file);
  ASSERT_GE(points.size(), 3u) << outputs_[0];
  for (const std::string& point : points) {
    SCOPED_TRACE(point);
    const Vector params = file.read_vector(point + "/params");
    const Dense h = assemble([&](const Vector& e) { return problem.curvature(params, all, nn::Curvature::hessian, e); }, n);
    double trace = 0.0;
    for (index i = 0; i < n; ++i) trace += h(i, i);
    const auto dense = spectral::dense_symmetric_eigen(h.values, n, false);  // ascending
    // Trace by Hutch++.
    const double value = file.read_double(point + "/track/trace@value");
    const double error = file.read_double(point + "/track/trace@standard_error");
    EXPECT_GT(error, 0.0);
    EXPECT_LE(std::abs(value - trace), 3.0 * error) << value << " vs " << trace << " +- " << error;
    // Both ends of the spectrum.
    const auto top = file.read_vector(point + "/track/eig/hessian/largest/values");
    ASSERT_EQ(top.size(), 12u);
    for (size_t i = 0; i < top.size(); ++i)
      EXPECT_NEAR(top[i], dense.values[static_cast<size_t>(n) - 1 - i], 1e-7 * std::abs(dense.values.back())) << i;
    const auto bottom = file.read_vector(point + "/track/eig/hessian/smallest/values");
    ASSERT_EQ(bottom.size(), 4u);
    double negative_sum = 0.0;
    for (size_t i = 0; i < bottom.size(); ++i) {
      EXPECT_NEAR(bottom[i], dense.values[i], 1e-7 * std::abs(dense.values.back())) << i;
      negative_sum += std::min(dense.values[i], 0.0);
    }
    EXPECT_NEAR(file.read_double(point + "/track@negative_sum"), negative_sum, 1e-7);
    // The log pseudo-determinant from the top 12.
    const auto thresholds = file.read_vector(point + "/track/logdet/thresholds");
    const auto from_top = file.read_vector(point + "/track/logdet/from_top");
    const auto complete = file.read_vector(point + "/track/logdet/top_complete");
    ASSERT_EQ(thresholds.size(), 3u);
    for (size_t t = 0; t < thresholds.size(); ++t) {
      double over_top = 0.0, over_all = 0.0;
      for (index i = 0; i < n; ++i) {
        const double lambda = dense.values[static_cast<size_t>(i)];
        if (lambda <= thresholds[t]) continue;
        over_all += std::log(lambda);
        if (i >= n - 12) over_top += std::log(lambda);
      }
      EXPECT_NEAR(from_top[t], over_top, 1e-6) << "threshold " << thresholds[t];
      const bool covered = dense.values[static_cast<size_t>(n) - 12] <= thresholds[t];
      EXPECT_EQ(complete[t], covered ? 1.0 : 0.0) << "threshold " << thresholds[t];
      if (covered) EXPECT_NEAR(from_top[t], over_all, 1e-6) << "threshold " << thresholds[t];
    }
    // The cosine of H and C, C = (1/N) Σ (g_n − ḡ)(g_n − ḡ)ᵀ (its scale cancels).
    Dense c(n, n);
    Vector mean(static_cast<size_t>(n), 0.0);
    std::vector<Vector> gradients;
    for (index s = 0; s < ref.data.samples; ++s) gradients.push_back(problem.sample_gradient(params, all, s));
    for (const Vector& g : gradients)
      for (index i = 0; i < n; ++i) mean[static_cast<size_t>(i)] += g[static_cast<size_t>(i)] / static_cast<double>(ref.data.samples);
    for (const Vector& g : gradients)
      for (index i = 0; i < n; ++i)
        for (index j = 0; j < n; ++j)
          c(i, j) += (g[static_cast<size_t>(i)] - mean[static_cast<size_t>(i)]) * (g[static_cast<size_t>(j)] - mean[static_cast<size_t>(j)]);
    double hc = 0.0;
    for (size_t i = 0; i < h.values.size(); ++i) hc += h.values[i] * c.values[i];
    const double cosine = hc / (h.frobenius() * c.frobenius());
    const double estimate = file.read_double(point + "/track/cosine@value");
    const double cosine_error = file.read_double(point + "/track/cosine@standard_error");
    EXPECT_GT(cosine_error, 0.0);
    EXPECT_LE(std::abs(estimate - cosine), 4.0 * cosine_error) << estimate << " vs " << cosine << " +- " << cosine_error;
  }
}

TEST_F(TrackCli, OneAndTwoRanksAgree) {
  ASSERT_EQ(statuses_[0], 0) << outputs_[0];
  ASSERT_EQ(statuses_[1], 0) << outputs_[1];
  const io::H5File one = io::H5File::open_read(archive(1)), two = io::H5File::open_read(archive(2));
  const auto points = track_points(one);
  ASSERT_EQ(points, track_points(two));
  for (const std::string& point : points) {
    for (const char* name : {"/track/trace@value", "/track/trace@standard_error", "/track/cosine@value", "/track@negative_sum"}) {
      const double a = one.read_double(point + name), b = two.read_double(point + name);
      EXPECT_NEAR(a, b, 1e-8 * (1.0 + std::abs(a))) << point << name;
    }
    const auto a = one.read_vector(point + "/track/logdet/from_slq"), b = two.read_vector(point + "/track/logdet/from_slq");
    for (size_t i = 0; i < a.size(); ++i) EXPECT_NEAR(a[i], b[i], 1e-8 * (1.0 + std::abs(a[i]))) << point;
  }
}

}  // namespace
}  // namespace hesscov::testing
