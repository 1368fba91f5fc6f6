// The Study 3 valley toys trained the way a run trains them (config -> prepare_run -> trainer with
// designed noise in the coordinate basis), at 1, 2 and 3 ranks, against the theory oracle
// (stats/theory_trace_drift.hpp):
//   toy 1, SGD-like noise κ = 1 from (0, 0, 1, 1), η = 0.005: every step lowers T = λ1 + λ2 (or
//     keeps it), and the mean ΔT per step over many seeds, once t1, t2 are stationary, is the
//     finite-η drift within 3 standard errors (across 400 seeds);
//   toy 2 from (0, 0, 0.5, −0.5), long runs (3000 steps, η = 0.05, κ = 1 or c = 1): SGD-like noise ends with a lower trace and a higher
//     determinant λ1 λ2 than it started, isotropic noise on the stiff coordinates with a higher
//     trace and a lower determinant — the signs the oracle gives at the start.
// T and log det are the closed forms at (t3, t4) (the Hessian's on the valley floor below the point).
#include <gtest/gtest.h>
#include <mpi.h>

#include <cmath>

#include "apps/run_setup.hpp"
#include "stats/theory_trace_drift.hpp"
#include "train/train_config.hpp"

namespace hesscov::apps {
namespace {

struct Trajectory {
  std::vector<double> t3, t4;  ///< after each step, the start first
};

/// One noisy gradient-descent run of `steps` steps (batch = all 4 samples, so the gradient is exact
/// and the only noise is the designed one).
Trajectory run_toy(const std::string& model, const std::string& noise, double eta, index steps, index seed) {
  const auto world = comm::Communicator::borrow(MPI_COMM_WORLD);
  const core::Logger quiet(1);
  const std::string yaml = "seed: " + std::to_string(seed) +
                           "\ndata: {name: synthetic, synthetic: {task: quadratic, count: 4, features: 2}}\n"
                           "model: {" + model + ", loss: mse}\n"
                           "train: {epochs: " + std::to_string(steps) + ", batch_size: 4, lr: " + std::to_string(eta) +
                           ", eval_every: " + std::to_string(steps) + ", noise: {kind: designed, basis: coordinates, "
                           "threshold: 1e-6, " + noise + "}}\n";
  static const core::Schema schema = job_schema();  // a Config refers to its schema
  const RunSetup run = prepare_run(core::Config::load_string(yaml, schema, "toy.yaml"), world, quiet);
  auto settings = train::train_settings(run.config, run.dataset.count, run.seed);
  settings.checkpoint_dir.clear();
  const auto start = run.config.get_double_list("model.toy.start");
  Trajectory path{{start[2]}, {start[3]}};
  settings.on_step = [&](index, const std::vector<double>&, const std::vector<double>&, const std::vector<double>& next) {
    path.t3.push_back(start[2] + next[2]);
    path.t4.push_back(start[3] + next[3]);
  };
  train::Trainer trainer = make_trainer(run, world, quiet, std::move(settings));
  const auto end = trainer.run(starting_point(run, quiet), run.config.to_yaml());
  EXPECT_EQ(end.status, "completed");
  EXPECT_EQ(path.t3.size(), static_cast<size_t>(steps + 1));
  return path;
}

TEST(ToyValleyTraining, ToyOneSgdNoiseLowersTheTraceAtTheFiniteEtaRate) {
  const double eta = 0.005, kappa = 1.0;
  // t1, t2 relax in 1/(2ηλ) <= 25 steps: after 300 steps their variance is stationary to 1e-5.
  const index burn_in = 300, window = 400, seeds = 400;
  const auto theory = stats::theory::valley_trace_drift(eta, kappa);
  double sum = 0.0, sum_sq = 0.0;
  index increases = 0;
  for (index seed = 1; seed <= seeds; ++seed) {
    const Trajectory path = run_toy("type: toy_valley_1, toy: {start: [0, 0, 1, 1]}", "scale: 1, power: 1, refresh: 1",
                                    eta, burn_in + window, seed);
    std::vector<double> trace(path.t3.size());
    for (size_t k = 0; k < trace.size(); ++k) trace[k] = stats::theory::valley_trace(path.t3[k], path.t4[k]);
    for (size_t k = 1; k < trace.size(); ++k) increases += trace[k] > trace[k - 1] ? 1 : 0;
    const double rate = (trace.back() - trace[static_cast<size_t>(burn_in)]) / static_cast<double>(window);
    sum += rate, sum_sq += rate * rate;
  }
  EXPECT_EQ(increases, 0) << "steps with ΔT > 0";
  const double n = static_cast<double>(seeds), mean = sum / n;
  const double standard_error = std::sqrt((sum_sq / n - mean * mean) / (n - 1.0));
  RecordProperty("mean_over_finite_eta", std::to_string(mean / theory.finite_eta));
  RecordProperty("relative_standard_error", std::to_string(standard_error / std::abs(theory.finite_eta)));
  EXPECT_NEAR(mean, theory.finite_eta, 3.0 * standard_error);
  // The check has teeth: the error bar is a small part of the drift.
  EXPECT_LT(standard_error, 0.1 * std::abs(theory.finite_eta));
}

TEST(ToyValleyTraining, ToyTwoSgdNoiseLowersTraceRaisesDeterminantIsotropicTheReverse) {
  const double eta = 0.05;
  const index steps = 3000;
  const auto start_sgd = stats::theory::valley_drift(2, eta, 1.0, 1.0, 0.5, -0.5);
  const auto start_iso = stats::theory::valley_drift(2, eta, 1.0, 0.0, 0.5, -0.5);
  ASSERT_LT(start_sgd.trace_rate, 0.0);
  ASSERT_GT(start_sgd.log_det_rate, 0.0);
  ASSERT_GT(start_iso.trace_rate, 0.0);
  ASSERT_LT(start_iso.log_det_rate, 0.0);
  for (index seed : {1, 2, 3}) {
    for (const bool sgd : {true, false}) {
      const Trajectory path = run_toy("type: toy_valley_2, toy: {start: [0, 0, 0.5, -0.5]}",
                                      sgd ? "scale: 1, power: 1, refresh: 1" : "scale: 1, power: 0, refresh: 1", eta,
                                      steps, seed);
      const auto end = stats::theory::valley_drift(2, eta, 1.0, 1.0, path.t3.back(), path.t4.back());
      const double trace_change = end.trace - start_sgd.trace, log_det_change = end.log_det - start_sgd.log_det;
      RecordProperty((sgd ? "sgd_seed" : "iso_seed") + std::to_string(seed),
                     "dT " + std::to_string(trace_change) + " dlogdet " + std::to_string(log_det_change));
      if (sgd) {
        EXPECT_LT(trace_change, -0.1) << "seed " << seed;
        EXPECT_GT(log_det_change, 0.1) << "seed " << seed;
      } else {
        EXPECT_GT(trace_change, 0.1) << "seed " << seed;
        EXPECT_LT(log_det_change, -0.1) << "seed " << seed;
      }
    }
  }
}

}  // namespace
}  // namespace hesscov::apps
