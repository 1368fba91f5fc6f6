// `hesscov eig` end to end: SLEPc against the dense LAPACK path, extension from saved
// eigenvectors, the HDF5 layout, and 1 vs 2 ranks (parallel HDF5 writes).
#include <gtest/gtest.h>
#include <unistd.h>

#include <array>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "io/h5_file.hpp"
#include "support/subprocess.hpp"

namespace {

namespace fs = std::filesystem;

class EigCli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("hesscov_eig_" + std::to_string(::getpid()));
    fs::create_directories(dir_);
    config_ = (dir_ / "eig.yaml").string();
    std::ofstream(config_) << "data:\n  name: synthetic\n  synthetic: {count: 200, features: 20, classes: 5}\n"
                              "model:\n  mlp: [20, 8, 5]\n  activation: tanh\n"
                              "eig:\n  blocks: [fc2.weight, fc1.weight]\n  nev: 6\n  which: both\n";
  }
  void TearDown() override { fs::remove_all(dir_); }

  int run(const std::string& launcher, const std::string& overrides) {
    const auto result = hesscov::testing::run_shell(hesscov::testing::hesscov_command("eig " + config_ + " " + overrides, launcher));
    output_ = result.output;
    return result.status;
  }
  std::vector<double> values(const std::string& file, const std::string& end) {
    return hesscov::io::H5File::open_read(file).read_vector("eig/hessian/" + end + "/values");
  }
  std::string out(const std::string& name) const { return (dir_ / name).string(); }

  fs::path dir_;
  std::string config_, output_;
};

void expect_close(const std::vector<double>& a, const std::vector<double>& b, double scale) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) EXPECT_NEAR(a[i], b[i], 1e-8 * scale) << i;
}

TEST_F(EigCli, SlepcDenseExtensionAndRankCountsAgree) {
  ASSERT_EQ(run("", "eig.output=" + out("slepc.h5")), 0) << output_;
  // The solve's time split from PETSc's event log is reported.
  EXPECT_NE(output_.find("EPSSolve"), std::string::npos) << output_;
  EXPECT_NE(output_.find("basis work"), std::string::npos) << output_;
  ASSERT_EQ(run("", "eig.method=dense eig.nev=12 eig.output=" + out("dense.h5")), 0) << output_;
  // PETSc options pass through: a Lanczos solver with explicit restarts instead of Krylov-Schur.
  ASSERT_EQ(run("", "-eps_type lanczos -eps_lanczos_reorthog full eig.which=largest eig.output=" + out("lanczos.h5") + " -eps_view"), 0) << output_;
  EXPECT_NE(output_.find("type: lanczos"), std::string::npos) << output_;
  const auto dense_top = values(out("dense.h5"), "largest"), dense_bottom = values(out("dense.h5"), "smallest");
  const double scale = std::max(std::abs(dense_top[0]), std::abs(dense_bottom[0]));
  expect_close(values(out("slepc.h5"), "largest"), {dense_top.begin(), dense_top.begin() + 6}, scale);
  expect_close(values(out("slepc.h5"), "smallest"), {dense_bottom.begin(), dense_bottom.begin() + 6}, scale);
  expect_close(values(out("lanczos.h5"), "largest"), {dense_top.begin(), dense_top.begin() + 6}, scale);

  const hesscov::io::H5File file = hesscov::io::H5File::open_read(out("slepc.h5"));
  const auto vectors = file.read_matrix("eig/hessian/largest/vectors");
  EXPECT_EQ(vectors.rows, 6);
  EXPECT_EQ(vectors.cols, 5 * 8 + 8 * 20);  // the blocks' sizes
  for (std::int64_t r = 0; r < vectors.rows; ++r) {
    double norm = 0.0;
    for (std::int64_t c = 0; c < vectors.cols; ++c) norm += std::pow(vectors.values[static_cast<size_t>(r * vectors.cols + c)], 2);
    EXPECT_NEAR(norm, 1.0, 1e-12);
  }
  EXPECT_EQ(file.read_string("format"), "hesscov-eig-1");

  // The next 6 beyond the first 6 (deflation by the saved eigenvectors) are dense eigenvalues 7-12.
  ASSERT_EQ(run("", "eig.which=largest eig.extend_from=" + out("slepc.h5") + " eig.output=" + out("next.h5")), 0)
      << output_;
  expect_close(values(out("next.h5"), "largest"), {dense_top.begin() + 6, dense_top.end()}, scale);

  ASSERT_EQ(run(std::string(HESSCOV_MPIEXEC) + " -np 2 ", "eig.output=" + out("two.h5")), 0) << output_;
  expect_close(values(out("two.h5"), "largest"), values(out("slepc.h5"), "largest"), scale * 1e-2);
  const auto two = hesscov::io::H5File::open_read(out("two.h5")).read_matrix("eig/hessian/largest/vectors");
  for (std::int64_t r = 0; r < two.rows; ++r) {  // the same vectors up to sign
    double overlap = 0.0;
    for (std::int64_t c = 0; c < two.cols; ++c)
      overlap += two.values[static_cast<size_t>(r * two.cols + c)] * vectors.values[static_cast<size_t>(r * two.cols + c)];
    EXPECT_NEAR(std::abs(overlap), 1.0, 1e-8) << "eigenvector " << r;
  }
}

TEST_F(EigCli, BadBlockAndForeignExtensionFileAreNamed) {
  EXPECT_EQ(run("", "'eig.blocks=[fc9.weight]' eig.output=" + out("x.h5")), 1);
  EXPECT_NE(output_.find("eig.blocks"), std::string::npos) << output_;
  EXPECT_NE(output_.find("fc9.weight"), std::string::npos) << output_;
  std::ofstream(out("foreign.h5")) << "not hdf5";
  EXPECT_EQ(run("", "eig.extend_from=" + out("foreign.h5") + " eig.output=" + out("y.h5")), 1);
  EXPECT_NE(output_.find(out("foreign.h5")), std::string::npos) << output_;
}

}  // namespace
