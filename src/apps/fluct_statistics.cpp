#include "apps/fluct_statistics.hpp"

#include <mpi.h>

#include <cmath>
#include <limits>

#include "stats/fluctuation.hpp"
#include "stats/theory_epoch.hpp"

namespace hesscov::apps {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

/// Every rank's directions of a per-direction array (`width` values each) concatenated in direction
/// order on every rank. Collective.
std::vector<double> gather_directions(const comm::Communicator& comm, const std::vector<double>& mine, index width) {
  std::vector<int> counts(static_cast<size_t>(comm.size())), offsets(static_cast<size_t>(comm.size()), 0);
  const int count = static_cast<int>(mine.size());
  HC_MPI(MPI_Allgather(&count, 1, MPI_INT, counts.data(), 1, MPI_INT, comm.get()));
  for (size_t r = 1; r < counts.size(); ++r) offsets[r] = offsets[r - 1] + counts[r - 1];
  std::vector<double> all(static_cast<size_t>(offsets.back() + counts.back()));
  HC_MPI(MPI_Allgatherv(mine.data(), count, MPI_DOUBLE, all.data(), counts.data(), offsets.data(), MPI_DOUBLE,
                        comm.get()));
  HC_CHECK(width == 0 || all.size() % static_cast<size_t>(width) == 0, core::DimensionMismatch,
           "gathered rows of the wrong width");
  return all;
}

stats::IndexRange fit_range(const core::Config& config, const std::string& key) {
  const auto range = config.get_int_list(key);
  if (range.empty()) return {};
  if (range.size() != 2) throw config.error(key, "[first, count] (0-based first direction; count -1: to the end) or []");
  return {range[0], range[1]};
}

stats::FluctuationOptions statistics_options(const core::Config& config, const WindowPlan& window) {
  stats::FluctuationOptions options;
  options.steps_per_epoch = window.steps_per_epoch;
  options.max_lag = config.get_int("fluct.max_lag") > 0 ? config.get_int("fluct.max_lag") : -1;
  options.theta_fit = fit_range(config, "fluct.fit_theta");
  options.velocity_fit = fit_range(config, "fluct.fit_velocity");
  options.tau_fit = fit_range(config, "fluct.fit_tau");
  options.crossover.n_fast = config.get_int("fluct.fast");
  const bool fraction = config.get_string("fluct.flat_rule") == "fraction";
  options.crossover.flat_rule = fraction ? stats::FlatRule::kBelowFraction : stats::FlatRule::kLastCount;
  options.crossover.n_flat = config.get_int("fluct.flat_count");
  options.crossover.flat_fraction = config.get_double("fluct.flat_fraction");
  return options;
}

/// Every rank's directions, then the across-direction summaries on every rank (the same numbers).
stats::FluctuationStats gathered_statistics(const RecordedColumns& columns, const std::vector<double>& lambda,
                                            bool autocorrelate, const stats::FluctuationOptions& options,
                                            const comm::Communicator& comm) {
  const std::vector<double> local_lambda(lambda.begin() + columns.begin, lambda.begin() + columns.begin + columns.count);
  stats::FluctuationInput input{columns.steps, columns.count, local_lambda, columns.theta, columns.velocity, {}};
  if (autocorrelate) input.noise = columns.noise;
  auto stats = columns.count > 0 ? stats::direction_statistics(input, options) : stats::FluctuationStats{};
  for (auto* values : {&stats.sigma2_theta_endpoint, &stats.sigma2_theta_lsq, &stats.sigma2_v, &stats.tau_endpoint,
                       &stats.tau_lsq, &stats.white_fraction})
    *values = gather_directions(comm, *values, 1);
  stats.directions = static_cast<index>(lambda.size());
  stats.steps = columns.steps;
  stats.steps_per_epoch = options.steps_per_epoch;
  stats.has_noise = autocorrelate;
  if (autocorrelate) {
    const index lags = options.max_lag > 0 ? options.max_lag + 1
                                           : std::min(3 * options.steps_per_epoch, columns.steps - 1) + 1;
    stats.noise.rho = gather_directions(comm, stats.noise.rho, lags);
    stats.noise.max_lag = lags - 1;
    stats.noise.directions = stats.directions;
  }
  stats::summarize_statistics(stats, lambda, options);
  return stats;
}

void write_fit(io::ParallelH5File& file, const std::string& group, const std::string& prefix,
               const stats::PowerLawResult& result) {
  file.write_attribute(group, prefix, result.fit.exponent);
  file.write_attribute(group, prefix + "_standard_error", result.fit.standard_error);
  file.write_attribute(group, prefix + "_intercept", result.fit.intercept);
  file.write_attribute(group, prefix + "_r_squared", result.fit.r_squared);
  file.write_attribute(group, prefix + "_points", static_cast<std::int64_t>(result.fit.used));
  file.write_attribute(group, prefix + "_failure", result.failure);
}

/// The oracle along every direction: curvature λ_i + weight decay (the L2 term is in the update),
/// the measured noise variance σ²_i, the window's η, β and M; NaN where the recursion has no
/// stationary state.
struct Predictions {
  std::vector<double> sigma2_theta, sigma2_v, tau;
};

Predictions oracle(const std::vector<double>& lambda, const std::vector<double>& noise_variance,
                   const WindowPlan& window, const core::Config& config) {
  const double beta = config.get_double("train.momentum"), decay = config.get_double("train.weight_decay");
  const bool epoch = config.get_string("train.sampling") == "epoch";
  Predictions p;
  for (size_t i = 0; i < lambda.size(); ++i) {
    const double curvature = lambda[i] + decay;
    stats::theory::Fluctuations f{kNaN, kNaN, kNaN};
    if (stats::theory::is_stationary(window.learning_rate, beta, curvature) && std::isfinite(noise_variance[i])) {
      const stats::theory::EpochSetting setting{window.learning_rate, beta, window.steps_per_epoch, curvature,
                                                noise_variance[i]};
      f = epoch ? stats::theory::epoch_fluctuations(setting) : stats::theory::replacement_fluctuations(setting);
    }
    p.sigma2_theta.push_back(f.sigma2_theta);
    p.sigma2_v.push_back(f.sigma2_v);
    p.tau.push_back(f.tau);
  }
  return p;
}

void write_noise(io::ParallelH5File& file, const std::string& g, const stats::FluctuationStats& stats,
                 const RecordedColumns& columns) {
  const index lags = stats.noise.max_lag + 1;
  file.create_matrix(g + "/rho", stats.directions, lags, 64);
  const std::vector<double> mine(stats.noise.rho.begin() + columns.begin * lags,
                                 stats.noise.rho.begin() + (columns.begin + columns.count) * lags);
  file.write_block(g + "/rho", columns.begin, columns.count, 0, lags, mine);  // each rank its directions' rows
  file.write_replicated(g + "/rho_mean", stats.noise.mean);
  file.write_replicated(g + "/rho_band", stats.noise.band);
  file.write_replicated(g + "/white_fraction", stats.white_fraction);
  file.write_attribute(g, "max_lag", static_cast<std::int64_t>(stats.noise.max_lag));
  file.write_attribute(g, "white_fraction_mean", stats.white_fraction_mean);
  file.write_attribute(g, "white_fraction_band", stats.white_fraction_band);
  file.write_attribute(g, "noise_directions", static_cast<std::int64_t>(stats.noise.valid_directions));
}

void write_crossover(io::ParallelH5File& file, const std::string& g, const stats::Crossover& c) {
  file.write_attribute(g, "lambda_cross", c.lambda_cross);
  file.write_attribute(g, "tau_sgd", c.tau_sgd);
  file.write_attribute(g, "crossover_failure", c.reason);
  file.write_attribute(g, "flat_first", static_cast<std::int64_t>(c.flat_first));
  file.write_attribute(g, "flat_count", static_cast<std::int64_t>(c.flat_count));
  write_fit(file, g, "fast_line", c.fast_line);
}

}  // namespace

void add_fluct_statistics_keys(core::Schema& schema) {
  schema.add_int("fluct.max_lag", 0, "largest lag of the noise autocorrelation (0: min(3M, T-1))", {.min = 0});
  schema.add_int_list("fluct.fit_theta", {}, "directions [first, count] of the sigma2_theta ~ lambda fit ([]: all)");
  schema.add_int_list("fluct.fit_velocity", {}, "directions [first, count] of the sigma2_v ~ lambda fit ([]: all)");
  schema.add_int_list("fluct.fit_tau", {}, "directions [first, count] of the tau ~ lambda fit ([]: all)");
  schema.add_int("fluct.fast", 20, "top directions of the crossover's tau line (SCIENCE.md: 20)", {.min = 3});
  schema.add_choice("fluct.flat_rule", "count", {"count", "fraction"},
                    "flat directions: the last fluct.flat_count, or those below fluct.flat_fraction * lambda_1");
  schema.add_int("fluct.flat_count", 100, "flat directions of the count rule", {.min = 1});
  schema.add_double("fluct.flat_fraction", 0.01, "threshold of the fraction rule", {.min = 0.0, .max = 1.0, .min_exclusive = true});
}

Headline write_fluctuation_statistics(io::ParallelH5File& file, const std::string& group, const RecordedColumns& columns,
                                      const std::vector<double>& lambda, const WindowPlan& window,
                                      const core::Config& config, const comm::Communicator& comm,
                                      const core::Logger& log) {
  const bool noise = window.stride > 0, autocorrelate = window.stride == 1 && columns.steps > window.steps_per_epoch;
  const auto options = statistics_options(config, window);
  auto stats = gathered_statistics(columns, lambda, autocorrelate, options, comm);
  const std::string g = group + "/stats";
  file.create_groups(g);
  file.write_replicated(g + "/sigma2_theta_endpoint", stats.sigma2_theta_endpoint);
  file.write_replicated(g + "/sigma2_theta", stats.sigma2_theta_lsq);
  file.write_replicated(g + "/sigma2_v", stats.sigma2_v);
  file.write_replicated(g + "/tau_endpoint", stats.tau_endpoint);
  file.write_replicated(g + "/tau", stats.tau_lsq);
  write_fit(file, g, "theta_fit", stats.theta_fit);
  write_fit(file, g, "velocity_fit", stats.velocity_fit);
  write_fit(file, g, "tau_fit", stats.tau_fit);
  write_crossover(file, g, stats.crossover);
  if (autocorrelate) write_noise(file, g, stats, columns);
  Headline headline{{"fluct.lambda_cross", stats.crossover.lambda_cross}, {"fluct.tau_sgd", stats.crossover.tau_sgd},
                    {"fluct.theta_exponent", stats.theta_fit.fit.exponent},
                    {"fluct.tau_exponent", stats.tau_fit.fit.exponent},
                    {"fluct.white_fraction", autocorrelate ? stats.white_fraction_mean : kNaN}};
  const double beta = config.get_double("train.momentum");
  const double lambda_cross = stats::theory::crossover_curvature(window.learning_rate, beta, window.steps_per_epoch);
  const double tau_sgd = stats::theory::sgd_correlation_time(beta, window.steps_per_epoch);
  file.write_attribute(g, "lambda_cross_theory", lambda_cross);
  file.write_attribute(g, "tau_sgd_theory", tau_sgd);
  headline.insert(headline.end(), {{"fluct.lambda_cross_theory", lambda_cross}, {"fluct.tau_sgd_theory", tau_sgd}});
  if (noise) {
    const auto variance = gather_directions(
        comm, columns.count > 0 ? stats::noise_variance(columns.noise, columns.noise_rows, columns.count) : std::vector<double>{}, 1);
    const Predictions p = oracle(lambda, variance, window, config);
    file.write_replicated(g + "/noise_variance", variance);
    file.write_replicated(g + "/sigma2_theta_theory", p.sigma2_theta);
    file.write_replicated(g + "/sigma2_v_theory", p.sigma2_v);
    file.write_replicated(g + "/tau_theory", p.tau);
  }
  char line[256];
  std::snprintf(line, sizeof line, "fluctuations of %lld directions over %lld steps: lambda_cross %.4g (theory %.4g), "
                "tau_SGD %.4g (theory %.4g), white fraction %.3f",
                static_cast<long long>(stats.directions), static_cast<long long>(stats.steps),
                stats.crossover.lambda_cross, lambda_cross, stats.crossover.tau_sgd, tau_sgd,
                autocorrelate ? stats.white_fraction_mean : kNaN);
  log.info(line);
  return headline;
}

}  // namespace hesscov::apps
