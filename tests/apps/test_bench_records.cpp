// The benchmark records (`hesscov bench <suite> --record PATH`, bench/record.hpp) at a tiny size on
// 1 and 2 ranks: every suite writes a well-formed HDF5 record and its JSON twin (format, machine,
// build, ranks, precision; every row with every field, timings positive, ranks and sizes as run),
// and the roofline's work counts equal hand counts: GEMM FLOPs 2mnk and GEMM bytes
// 8(mk + kn + mn), + 8mn where C is accumulated (beta = 1), of every GEMM of the gradient of a
// small MLP and of the Study 1 CNN, listed here layer by layer from the shapes.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "io/h5_file.hpp"
#include "support/subprocess.hpp"

namespace hesscov::testing {
namespace {

namespace fs = std::filesystem;

class BenchRecords : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = fs::temp_directory_path() / ("hesscov_bench_records_" + std::to_string(::getpid()));
    fs::create_directories(dir_);
  }
  static void TearDownTestSuite() { fs::remove_all(dir_); }

  /// Runs `hesscov bench <arguments> --record <dir>/<name>.h5` on `ranks` ranks; the record's path.
  static std::string record(const std::string& name, const std::string& arguments, int ranks) {
    const std::string path = (dir_ / (name + "_np" + std::to_string(ranks) + ".h5")).string();
    const auto result = run_shell("OPENBLAS_NUM_THREADS=1 " +
                                  hesscov_command("bench " + arguments + " --record " + path,
                                                  ranks == 1 ? "" : std::string(HESSCOV_MPIEXEC) + " -np " + std::to_string(ranks) + " "));
    EXPECT_EQ(result.status, 0) << result.output;
    return path;
  }

  static inline fs::path dir_;
};

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

/// The root fields every record carries, and its JSON twin's.
void expect_envelope(const std::string& path, const std::string& suite, int ranks) {
  SCOPED_TRACE(path);
  const io::H5File file = io::H5File::open_read(path);
  EXPECT_EQ(file.read_string("format"), "hesscov-bench-1");
  EXPECT_EQ(file.read_int("schema_version"), 1);
  EXPECT_EQ(file.read_string("suite"), suite);
  EXPECT_EQ(file.read_int("ranks"), ranks);
  EXPECT_EQ(file.read_string("precision"), "fp64");
  EXPECT_GE(file.read_int("gpus"), 0);
  EXPECT_GT(file.read_int("cores"), 0);
  EXPECT_GE(file.read_int("blas_threads"), 1);
  for (const char* text : {"software", "hostname", "cpu", "created", "command"}) EXPECT_FALSE(file.read_string(text).empty()) << text;
  EXPECT_NE(file.read_string("software").find("hesscov"), std::string::npos);
  EXPECT_NE(file.read_string("command").find("hesscov bench " + suite), std::string::npos);
  EXPECT_TRUE(file.has_dataset("row_names"));
  const std::string json = slurp(path.substr(0, path.size() - 3) + ".json");
  EXPECT_EQ(json.rfind("{\"suite\":\"" + suite + "\"", 0), 0u) << json;
  EXPECT_NE(json.find("\"format\":\"hesscov-bench-1\""), std::string::npos);
  EXPECT_NE(json.find("\"ranks\":" + std::to_string(ranks)), std::string::npos);
  EXPECT_NE(json.find("\"rows\":[{\"name\":"), std::string::npos);
}

/// Row `row` holds each of `fields` as a positive number.
void expect_positive(const io::H5File& file, const std::string& row, const std::vector<std::string>& fields) {
  for (const auto& field : fields) EXPECT_GT(file.read_double("rows/" + row + "@" + field), 0.0) << row << "@" << field;
}

TEST_F(BenchRecords, EverySuiteWritesAWellFormedRecordOnOneAndTwoRanks) {
  for (const int ranks : {1, 2}) {
    SCOPED_TRACE(std::to_string(ranks) + " rank(s)");
    const std::string products = record("products", "products --model mlp:20,10,3 --samples 200 --repeat 2 --block 2", ranks);
    expect_envelope(products, "products", ranks);
    const io::H5File p = io::H5File::open_read(products);
    EXPECT_EQ(p.read_int("samples"), 200);
    EXPECT_EQ(p.read_int("params"), 230);
    EXPECT_GT(p.read_double("peak_gflops"), 0.0);
    EXPECT_GT(p.read_double("bandwidth_gbs"), 0.0);
    for (const char* row : {"grad", "hvp", "ggn", "cv", "jv", "hvp_block_2"})
      expect_positive(p, row, {"best_s", "median_s", "flops", "bytes", "gflops_per_s", "intensity", "bound_gflops",
                               "fraction_of_bound"});
    for (const char* row : {"grad", "hvp", "ggn"}) expect_positive(p, row, {"compute_s", "communication_s"});
    EXPECT_EQ(p.read_int("rows/hvp_block_2@vectors"), 2);
    EXPECT_DOUBLE_EQ(p.read_double("rows/hvp_block_2@flops"), 2.0 * p.read_double("rows/hvp@flops"));

    const std::string eig = record("eig", "eig --n 300 --nev 10,20 --decay 1.5", ranks);
    expect_envelope(eig, "eig", ranks);
    const io::H5File e = io::H5File::open_read(eig);
    for (const char* row : {"krylovschur_nev10", "krylovschur_nev20"}) {
      expect_positive(e, row, {"solve_s", "products", "peak_rss_bytes", "iterations"});
      EXPECT_EQ(e.read_string(std::string("rows/") + row + "@solver"), "krylovschur");
      EXPECT_LT(e.read_double(std::string("rows/") + row + "@max_relative_error"), 1e-9);
    }
    EXPECT_EQ(e.read_int("rows/krylovschur_nev20@converged"), 20);

    const std::string scaling = record("scaling", "scaling --model mlp:20,10,3 --samples 200 --repeat 2", ranks);
    expect_envelope(scaling, "scaling", ranks);
    const io::H5File s = io::H5File::open_read(scaling);
    EXPECT_EQ(s.read_string("mode"), "strong");
    for (int r = 1; r <= ranks; r *= 2)
      for (const std::string product : {"grad", "hvp"}) {
        const std::string row = product + "_r" + std::to_string(r);
        expect_positive(s, row, {"best_s", "median_s", "speedup", "efficiency"});
        EXPECT_EQ(s.read_int("rows/" + row + "@ranks"), r);
        EXPECT_EQ(s.read_int("rows/" + row + "@samples"), 200);
        const double t1 = s.read_double("rows/" + product + "_r1@best_s"), tr = s.read_double("rows/" + row + "@best_s");
        EXPECT_NEAR(s.read_double("rows/" + row + "@efficiency"), t1 / (r * tr), 1e-12);
      }

    const std::string io = record("io", "io --n 500 --nev 20 --steps 300 --k 7 --chunk 100 --repeat 2 --dir " +
                                            (dir_ / "io").string(), ranks);
    expect_envelope(io, "io", ranks);
    const io::H5File w = io::H5File::open_read(io);
    for (const std::string dataset : {"eigenvectors", "trajectory", "trajectory_one_writer"}) {
      const std::string row = dataset + "_r" + std::to_string(ranks);
      expect_positive(w, row, {"best_s", "median_s", "gbytes_per_s", "bytes"});
      EXPECT_EQ(w.read_int("rows/" + row + "@ranks"), ranks);
    }
    EXPECT_EQ(w.read_double("rows/eigenvectors_r1@bytes"), 8.0 * 20 * 500);
    EXPECT_EQ(w.read_double("rows/trajectory_r1@bytes"), 8.0 * 300 * 7);
    EXPECT_TRUE(fs::is_empty(dir_ / "io")) << "the written files are removed";
  }
  // One archive of them all: an external link per record, which h5py and HDF5 follow.
  const auto collected = run_shell(hesscov_command("bench collect " + dir_.string()));
  ASSERT_EQ(collected.status, 0) << collected.output;
  const io::H5File all = io::H5File::open_read((dir_ / "records.h5").string());
  EXPECT_EQ(all.read_string("format"), "hesscov-bench-collection-1");
  EXPECT_GE(all.read_int("records"), 8);  // and any record another test wrote there
  for (const std::string suite : {"products", "eig", "scaling", "io"})
    for (const int ranks : {1, 2})
      EXPECT_EQ(all.read_string("records/" + suite + "_np" + std::to_string(ranks) + "@suite"), suite);
  const auto bad = run_shell(hesscov_command("bench collect " + (dir_ / "missing").string()));
  EXPECT_EQ(bad.status, 2) << bad.output;
  EXPECT_NE(bad.output.find("is not a folder"), std::string::npos) << bad.output;
}

/// One GEMM C[m x n] (+)= A[m x k] B[k x n]: 2mnk FLOPs; 8(mk + kn + mn) bytes, + 8mn when C is read (accumulated).
struct Gemm {
  double m, n, k;
  bool accumulate = false;
};

double flops(const std::vector<Gemm>& gemms) {
  double sum = 0.0;
  for (const auto& g : gemms) sum += 2.0 * g.m * g.n * g.k;
  return sum;
}

double bytes(const std::vector<Gemm>& gemms) {
  double sum = 0.0;
  for (const auto& g : gemms) sum += 8.0 * (g.m * g.k + g.k * g.n + g.m * g.n * (g.accumulate ? 2.0 : 1.0));
  return sum;
}

/// The gradient's GEMMs of a Linear layer in -> out over a batch of `samples`: forward y = x Wᵀ,
/// the weight gradient accumulated into dW += dyᵀ x, and (but for the first layer) dx = dy W.
void linear_gradient(std::vector<Gemm>& gemms, double samples, double in, double out, bool first) {
  gemms.push_back({samples, out, in});
  gemms.push_back({out, in, samples, true});
  if (!first) gemms.push_back({samples, in, out});
}

/// The same for a 3 x 3 convolution (padding 1) of one sample, by im2col: patch = in x 9 rows,
/// spatial = h x w columns: forward W[out x patch] col, dW += dy colᵀ, dcol = Wᵀ dy.
void conv_gradient(std::vector<Gemm>& gemms, double in, double out, double spatial, bool first) {
  const double patch = 9.0 * in;
  gemms.push_back({out, spatial, patch});
  gemms.push_back({out, patch, spatial, true});
  if (!first) gemms.push_back({patch, spatial, out});
}

/// The gradient row's flops and bytes from a products record's JSON twin.
std::pair<double, double> gradient_work(const std::string& record_path) {
  const io::H5File file = io::H5File::open_read(record_path);
  return {file.read_double("rows/grad@flops"), file.read_double("rows/grad@bytes")};
}

TEST_F(BenchRecords, RooflineWorkCountsEqualHandCountsForAnMlpAndTheCnn) {
  // MLP 20-10-3 over one batch of 200 samples.
  std::vector<Gemm> mlp;
  linear_gradient(mlp, 200, 20, 10, true);
  linear_gradient(mlp, 200, 10, 3, false);
  const auto [mlp_flops, mlp_bytes] =
      gradient_work(record("mlp_counts", "products --model mlp:20,10,3 --samples 200 --repeat 1 --block 0 "
                                         "--peak-gflops 10 --peak-gbs 10", 1));
  EXPECT_EQ(mlp_flops, flops(mlp));
  EXPECT_EQ(mlp_bytes, bytes(mlp));
  EXPECT_EQ(mlp_bytes, 164160.0);  // by hand: 49600 + 21040 + 21280 + 21040 + 51200
  // The Study 1 CNN [32, M, 64, M, 128], adaptive 1, hidden [64], 10 classes on 1 x 4 x 4 inputs,
  // 3 samples in one batch: conv1 1->32 on 4x4, pool to 2x2, conv2 32->64, pool to 1x1, conv3
  // 64->128 on 1x1 (per sample), then fc1 128->64 and fc2 64->10 (batched).
  std::vector<Gemm> cnn;
  for (int sample = 0; sample < 3; ++sample) {
    conv_gradient(cnn, 1, 32, 16, true);
    conv_gradient(cnn, 32, 64, 4, false);
    conv_gradient(cnn, 64, 128, 1, false);
  }
  linear_gradient(cnn, 3, 128, 64, false);
  linear_gradient(cnn, 3, 64, 10, false);
  const auto [cnn_flops, cnn_bytes] =
      gradient_work(record("cnn_counts", "products --model cnn:1,4,4 --samples 3 --repeat 1 --block 0 "
                                         "--peak-gflops 10 --peak-gbs 10", 1));
  EXPECT_EQ(cnn_flops, flops(cnn));
  EXPECT_EQ(cnn_bytes, bytes(cnn));
  EXPECT_EQ(cnn_flops, 2868480.0);
}

TEST_F(BenchRecords, BadOptionsOfTheNewSuitesAreUsageErrors) {
  const auto too_many = run_shell(hesscov_command("bench scaling --ranks 1,4"));
  EXPECT_EQ(too_many.status, 2) << too_many.output;
  EXPECT_NE(too_many.output.find("--ranks: 4 ranks asked, the run has 1"), std::string::npos) << too_many.output;
  const auto product = run_shell(hesscov_command("bench scaling --products jv"));
  EXPECT_EQ(product.status, 2) << product.output;
  EXPECT_NE(product.output.find("--products"), std::string::npos) << product.output;
  const auto peaks = run_shell(hesscov_command("bench products --peak-gflops 10"));
  EXPECT_EQ(peaks.status, 2) << peaks.output;
  EXPECT_NE(peaks.output.find("--peak-gbs"), std::string::npos) << peaks.output;
  const auto blocks = run_shell(hesscov_command("bench products --block 4,x"));
  EXPECT_EQ(blocks.status, 2) << blocks.output;
  EXPECT_NE(blocks.output.find("--block"), std::string::npos) << blocks.output;
  const auto nev = run_shell(hesscov_command("bench eig --n 10 --nev 5,20"));
  EXPECT_EQ(nev.status, 2) << nev.output;
  EXPECT_NE(nev.output.find("--nev"), std::string::npos) << nev.output;
}

}  // namespace
}  // namespace hesscov::testing
