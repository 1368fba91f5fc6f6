// `hesscov align` end to end on a small synthetic problem: the archive holds every quantity of
// Study 1, the eigenvalues equal the dense LAPACK path of `hesscov eig`, the recorded statistics
// equal what the test recomputes from the recorded matrices, 1 and 2 ranks agree, and bad
// settings are named.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>

#include "io/h5_file.hpp"
#include "support/subprocess.hpp"

namespace {

namespace fs = std::filesystem;
using hesscov::io::H5File;

class AlignCli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("hesscov_align_" + std::to_string(::getpid()));
    fs::create_directories(dir_);
    config_ = (dir_ / "align.yaml").string();
    std::ofstream(config_) << "seed: 3\n"
                              "data:\n  name: synthetic\n  synthetic: {count: 240, features: 12, classes: 4}\n"
                              "model:\n  mlp: [12, 10, 8, 4]\n  activation: relu\n  bias: false\n"
                              "train:\n  epochs: 5\n  batch_size: 20\n  lr: 0.1\n  output: " << (dir_ / "train").string() << "\n"
                              "eig:\n  blocks: [fc2.weight]\n  nev: 16\n  batch_size: 50\n"
                              "align:\n  batch_size: 35\n  chunk: 5\n  baselines: 2\n  per_sample: 30\n"
                              "  suppression: true\n  bands: [1, 4]\n";
  }
  void TearDown() override { fs::remove_all(dir_); }

  int run(const std::string& command, const std::string& overrides, const std::string& launcher = "") {
    const auto result = hesscov::testing::run_shell(
        hesscov::testing::hesscov_command(command + " " + config_ + " " + overrides, launcher));
    output_ = result.output;
    return result.status;
  }
  std::string out(const std::string& name) const { return (dir_ / name).string(); }

  fs::path dir_;
  std::string config_, output_;
};

/// The step group of an align file, from the log line "step S: top k Hessian eigenpairs ...".
std::string step_group(const std::string& output) {
  const auto colon = output.find(": top ");
  const auto at = output.rfind("step ", colon);
  return "align/step_" + output.substr(at + 5, colon - at - 5);
}

double least_squares_slope(const std::vector<double>& x, const std::vector<double>& y) {
  double sx = 0, sy = 0, sxx = 0, sxy = 0, n = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    if (x[i] <= 0 || y[i] <= 0) continue;
    const double lx = std::log(x[i]), ly = std::log(y[i]);
    sx += lx, sy += ly, sxx += lx * lx, sxy += lx * ly, n += 1;
  }
  return (n * sxy - sx * sy) / (n * sxx - sx * sx);
}

double mean_offdiagonal_abs(const H5File::Matrix& m) {
  double sum = 0;
  for (std::int64_t i = 0; i < m.rows; ++i)
    for (std::int64_t j = 0; j < m.cols; ++j)
      if (i != j) sum += std::abs(m.values[static_cast<size_t>(i * m.cols + j)]);
  return sum / static_cast<double>(m.rows * (m.rows - 1));
}

TEST_F(AlignCli, ArchiveHoldsEveryQuantityConsistentWithItsMatrices) {
  ASSERT_EQ(run("align", "align.output=" + out("one.h5")), 0) << output_;
  EXPECT_NE(output_.find("gamma_AWD"), std::string::npos) << output_;
  EXPECT_NE(output_.find("suppression:"), std::string::npos) << output_;
  const std::string g = step_group(output_);
  const H5File file = H5File::open_read(out("one.h5"));
  EXPECT_EQ(file.read_string("format"), "hesscov-align-1");

  // The eigenvalues are the dense path's (LAPACK on the assembled block Hessian).
  ASSERT_EQ(run("eig", "eig.method=dense eig.output=" + out("dense.h5")), 0) << output_;
  const auto dense = H5File::open_read(out("dense.h5")).read_vector("eig/hessian/largest/values");
  const auto lambda = file.read_vector(g + "/lambda");
  ASSERT_EQ(lambda.size(), 16u);
  for (size_t i = 0; i < lambda.size(); ++i) EXPECT_NEAR(lambda[i], dense[i], 1e-8 * std::abs(dense[0])) << i;

  const auto c = file.read_matrix(g + "/covariance/matrix");
  const auto rho = file.read_matrix(g + "/covariance/correlation");
  const auto diagonal = file.read_vector(g + "/covariance/diagonal");
  ASSERT_EQ(c.rows, 16);
  for (std::int64_t i = 0; i < c.rows; ++i) {
    EXPECT_GT(diagonal[static_cast<size_t>(i)], 0.0);
    EXPECT_DOUBLE_EQ(diagonal[static_cast<size_t>(i)], c.values[static_cast<size_t>(i * 17)]);
    EXPECT_NEAR(rho.values[static_cast<size_t>(i * 17)], 1.0, 1e-14);
    for (std::int64_t j = 0; j < c.cols; ++j)
      EXPECT_NEAR(rho.values[static_cast<size_t>(i * 16 + j)],
                  c.values[static_cast<size_t>(i * 16 + j)] / std::sqrt(diagonal[static_cast<size_t>(i)] * diagonal[static_cast<size_t>(j)]),
                  1e-13);
  }
  EXPECT_NEAR(file.read_double(g + "/covariance@m"), mean_offdiagonal_abs(rho), 1e-14);
  EXPECT_NEAR(file.read_double(g + "/covariance@gamma"), least_squares_slope(lambda, diagonal), 1e-10);
  const double k_eff = file.read_double(g + "/covariance@k_eff");
  EXPECT_NEAR(k_eff, std::pow(file.read_double(g + "/covariance@trace"), 2) /
                         file.read_double(g + "/covariance@trace_squared"), 1e-12 * k_eff);
  EXPECT_NEAR(file.read_double(g + "/covariance@null_expected"), std::sqrt(2.0 / (M_PI * k_eff)), 1e-14);
  EXPECT_EQ(file.read_vector(g + "/covariance/band_edges"), (std::vector<double>{0, 1, 4, 16}));

  for (const char* draw : {"/baseline/draw_0", "/baseline/draw_1"}) {
    const auto baseline = file.read_matrix(g + draw + "/correlation");
    EXPECT_NEAR(file.read_double(g + draw + "@m"), mean_offdiagonal_abs(baseline), 1e-14) << draw;
  }
  EXPECT_NE(file.read_double(g + "/baseline/draw_0@m"), file.read_double(g + "/baseline/draw_1@m"));
  const auto awd = file.read_vector(g + "/awd/diagonal");
  EXPECT_NEAR(file.read_double(g + "/awd@gamma"), least_squares_slope(lambda, awd), 1e-10);
  const auto leading = file.read_vector(g + "/per_sample/leading");
  EXPECT_EQ(leading.size(), 30u);
  EXPECT_EQ(file.read_matrix(g + "/per_sample/alignment").cols, 16);
  EXPECT_EQ(file.read_vector(g + "/suppression/original_spectrum").size(), 80u);  // the 10 x 8 block
  EXPECT_EQ(file.read_matrix(g + "/eig/hessian/largest/vectors").rows, 16);

  // Two ranks: the same training, eigenpairs and statistics up to round-off.
  ASSERT_EQ(run("align", "align.output=" + out("two.h5"), std::string(HESSCOV_MPIEXEC) + " -np 2 "), 0) << output_;
  const H5File two = H5File::open_read(out("two.h5"));
  const auto lambda2 = two.read_vector(g + "/lambda");
  for (size_t i = 0; i < lambda.size(); ++i) EXPECT_NEAR(lambda2[i], lambda[i], 1e-9 * lambda[0]) << i;
  const auto diagonal2 = two.read_vector(g + "/covariance/diagonal");
  for (size_t i = 0; i < diagonal.size(); ++i) EXPECT_NEAR(diagonal2[i], diagonal[i], 1e-8 * diagonal[i]) << i;
  EXPECT_NEAR(two.read_double(g + "/covariance@gamma"), file.read_double(g + "/covariance@gamma"), 1e-8);
  EXPECT_NEAR(two.read_double(g + "/baseline/draw_0@m"), file.read_double(g + "/baseline/draw_0@m"), 1e-10);
  EXPECT_NEAR(two.read_double(g + "/awd@gamma"), file.read_double(g + "/awd@gamma"), 1e-8);
}

TEST_F(AlignCli, BadSettingsAreNamed) {
  EXPECT_EQ(run("align", "eig.operator=ggn align.output=" + out("x.h5")), 1);
  EXPECT_NE(output_.find("eig.operator"), std::string::npos) << output_;
  EXPECT_EQ(run("align", "align.minibatch=1000 train.epochs=0 align.output=" + out("x.h5")), 1);
  EXPECT_NE(output_.find("align.minibatch"), std::string::npos) << output_;
  EXPECT_EQ(run("align", "align.chunk=0 align.output=" + out("x.h5")), 1);
  EXPECT_NE(output_.find("align.chunk"), std::string::npos) << output_;
}

}  // namespace
