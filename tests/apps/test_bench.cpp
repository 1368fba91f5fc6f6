// `hesscov bench products` end to end, run as a subprocess: the JSON report of a tiny MLP carries
// every key with a positive number and the hand-counted GEMM FLOPs, and bad options are usage
// errors that name the option.
#include <gtest/gtest.h>

#include "support/subprocess.hpp"

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace {

using BenchResult = hesscov::testing::CommandResult;

BenchResult run_hesscov(const std::string& arguments) {
  return hesscov::testing::run_shell(hesscov::testing::hesscov_command(arguments));
}

using hesscov::testing::contains;

/// The number after "key": in a flat JSON object, or -1 when the key is missing or not a number.
double json_number(const std::string& json, const std::string& key) {
  const std::string tag = "\"" + key + "\":";
  const auto at = json.find(tag);
  if (at == std::string::npos) return -1.0;
  const char* start = json.c_str() + at + tag.size();
  char* end = nullptr;
  const double value = std::strtod(start, &end);
  return end == start ? -1.0 : value;
}

TEST(Bench, ProductsJsonHasEveryKeyWithAPositiveNumber) {
  const BenchResult r = run_hesscov("bench products --model mlp:20,10,3 --samples 200 --repeat 2 --block 2 --peak-gflops 10 --peak-gbs 10 --json");
  ASSERT_EQ(r.status, 0) << r.output;
  ASSERT_FALSE(r.output.empty());
  EXPECT_EQ(r.output.front(), '{') << r.output;
  EXPECT_EQ(r.output.back(), '\n') << r.output;
  EXPECT_EQ(r.output.find('\n'), r.output.size() - 1) << "stdout must hold only the JSON line: " << r.output;
  EXPECT_EQ(r.output[r.output.size() - 2], '}') << r.output;
  EXPECT_TRUE(contains(r.output, "\"model\":\"mlp:20,10,3\"")) << r.output;
  std::vector<std::string> keys{"params", "samples", "batch", "ranks", "threads", "repeat", "hvp_over_grad",
                                "cv_over_grad"};
  for (const std::string product : {"grad", "hvp", "ggn", "cv", "jv"})
    for (const std::string suffix : {"_s", "_median_s", "_flops", "_gflops_per_s"}) keys.push_back(product + suffix);
  for (const auto& key : keys) EXPECT_GT(json_number(r.output, key), 0.0) << key << " in " << r.output;
  EXPECT_EQ(json_number(r.output, "samples"), 200.0);
  EXPECT_EQ(json_number(r.output, "params"), 230.0);  // 20*10 + 10*3, no bias
}

TEST(Bench, FlopCountsMatchTheHandCountForAnMlp) {
  // N = 200, P = 230, first layer |W1| = 200 (docs/performance.md): gradient and J v
  // 6NP - 2N|W1|, H v 16NP - 10N|W1|, GGN v 10NP - 4N|W1|, centered C v 18NP - 6N|W1|.
  const BenchResult r = run_hesscov("bench products --model mlp:20,10,3 --samples 200 --repeat 1 --block 0 --peak-gflops 10 --peak-gbs 10 --json");
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_EQ(json_number(r.output, "grad_flops"), 196000.0) << r.output;
  EXPECT_EQ(json_number(r.output, "jv_flops"), 196000.0) << r.output;
  EXPECT_EQ(json_number(r.output, "hvp_flops"), 336000.0) << r.output;
  EXPECT_EQ(json_number(r.output, "ggn_flops"), 300000.0) << r.output;
  EXPECT_EQ(json_number(r.output, "cv_flops"), 588000.0) << r.output;
}

TEST(Bench, TableNamesEveryProduct) {
  const BenchResult r = run_hesscov("bench products --model mlp:20,10,3 --samples 100 --batch 30 --repeat 1 --block 0 --peak-gflops 10 --peak-gbs 10");
  ASSERT_EQ(r.status, 0) << r.output;
  for (const char* label : {"gradient", "H v", "GGN v", "C v", "J v", "GFLOP/s", "batches of 30"})
    EXPECT_TRUE(contains(r.output, label)) << label << " missing in:\n" << r.output;
}

TEST(Bench, BadSampleCountIsAUsageErrorNamingTheOption) {
  const BenchResult r = run_hesscov("bench products --model mlp:20,10,3 --samples -5 --json");
  EXPECT_EQ(r.status, 2) << r.output;
  EXPECT_TRUE(contains(r.output, "--samples")) << r.output;
  EXPECT_TRUE(contains(r.output, "positive integer")) << r.output;
}

TEST(Bench, BadModelAndUnknownOptionAreUsageErrors) {
  const BenchResult model = run_hesscov("bench products --model resnet:3,32,32");
  EXPECT_EQ(model.status, 2) << model.output;
  EXPECT_TRUE(contains(model.output, "--model")) << model.output;
  EXPECT_TRUE(contains(model.output, "mlp:W0,W1")) << model.output;
  const BenchResult unknown = run_hesscov("bench products --sample 10");
  EXPECT_EQ(unknown.status, 2) << unknown.output;
  EXPECT_TRUE(contains(unknown.output, "unknown option '--sample'")) << unknown.output;
  const BenchResult missing = run_hesscov("bench products --repeat");
  EXPECT_EQ(missing.status, 2) << missing.output;
  EXPECT_TRUE(contains(missing.output, "--repeat expects a value")) << missing.output;
}

TEST(Bench, HelpExplainsTheOptions) {
  const BenchResult r = run_hesscov("bench --help");
  EXPECT_EQ(r.status, 0) << r.output;
  for (const char* option : {"products", "--model", "--samples", "--batch", "--repeat", "--device", "--json", "eig",
                             "--nev", "--decay", "--mpd"})
    EXPECT_TRUE(contains(r.output, option)) << option;
}

// The solver-cost benchmark on a diagonal operator: the eigenvalues are known exactly
// (lambda_i = i^-decay), so the report's error column is checked against that closed form by the
// command itself and here against the tolerance; the event-log split must add up.
TEST(Bench, EigFindsTheExactPowerLawEigenvaluesAndSplitsTheSolveTime) {
  const BenchResult r = run_hesscov("bench eig --n 600 --nev 40 --decay 1.5 --json");
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_EQ(json_number(r.output, "converged"), 40.0) << r.output;
  EXPECT_LT(json_number(r.output, "max_relative_error"), 1e-9) << r.output;
  EXPECT_LT(json_number(r.output, "orthogonality_loss"), 1e-12) << r.output;
  EXPECT_GE(json_number(r.output, "products"), 40.0) << r.output;
  const double solve = json_number(r.output, "solve_s"), products = json_number(r.output, "products_s"),
               basis = json_number(r.output, "basis_s"), projected = json_number(r.output, "projected_s");
  EXPECT_GT(solve, 0.0) << r.output;
  EXPECT_NEAR(products + basis + projected, solve, 1e-3) << r.output;
  EXPECT_GE(products, 0.0);
  EXPECT_GE(projected, 0.0);
}

TEST(Bench, EigPassesSlepcOptionsThrough) {
  // -eps_type lanczos must reach SLEPc (the report names the solver actually used); the word after
  // a PETSc option is its value, not a bench option.
  const BenchResult r = run_hesscov("bench eig --n 400 --nev 10 --json -eps_type lanczos -eps_lanczos_reorthog full");
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_TRUE(contains(r.output, "\"solver\":\"lanczos\"")) << r.output;
  EXPECT_LT(json_number(r.output, "max_relative_error"), 1e-9) << r.output;
}

TEST(Bench, EigBadOptionsAreUsageErrors) {
  const BenchResult too_many = run_hesscov("bench eig --n 10 --nev 20");
  EXPECT_EQ(too_many.status, 2) << too_many.output;
  EXPECT_TRUE(contains(too_many.output, "--nev")) << too_many.output;
  const BenchResult decay = run_hesscov("bench eig --decay -1");
  EXPECT_EQ(decay.status, 2) << decay.output;
  EXPECT_TRUE(contains(decay.output, "--decay expects a positive number")) << decay.output;
  const BenchResult unknown = run_hesscov("bench lanczos");
  EXPECT_EQ(unknown.status, 2) << unknown.output;
  EXPECT_TRUE(contains(unknown.output, "'products', 'eig', 'scaling', 'io' or 'collect'")) << unknown.output;
}

}  // namespace
