#include "stats/fluctuation_crossover.hpp"

#include <cmath>
#include <string>

#include "core/error.hpp"

namespace hesscov::stats {
namespace {

using std::size_t;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

PowerLawFit nan_fit() {
  PowerLawFit fit;
  fit.exponent = fit.standard_error = fit.intercept = fit.r_squared = kNaN;
  return fit;
}

}  // namespace

void check_crossover_options(const CrossoverOptions& options) {
  HC_CHECK(options.n_fast >= 3, core::Error,
           "empirical_crossover: n_fast = " + std::to_string(options.n_fast) +
               " must be >= 3 (a line with a standard error)");
  if (options.flat_rule == FlatRule::kLastCount) {
    HC_CHECK(options.n_flat >= 1, core::Error,
             "empirical_crossover: n_flat = " + std::to_string(options.n_flat) + " must be >= 1");
  } else {
    HC_CHECK(options.flat_fraction > 0.0 && options.flat_fraction <= 1.0, core::Error,
             "empirical_crossover: flat_fraction = " + std::to_string(options.flat_fraction) +
                 " must lie in (0, 1]");
  }
}

namespace {

// The first i with λ_i < λ_{i+1} or a NaN, or −1 when the order is fine.
index first_out_of_order(const std::vector<double>& eigvals) {
  for (size_t i = 0; i < eigvals.size(); ++i) {
    if (std::isnan(eigvals[i])) return static_cast<index>(i);
    if (i + 1 < eigvals.size() && eigvals[i] < eigvals[i + 1]) return static_cast<index>(i);
  }
  return -1;
}

// Chooses the flat set [first, first + count) or says why there is none.
std::string choose_flat_set(const std::vector<double>& eigvals, const CrossoverOptions& options, Crossover& out) {
  const auto k = static_cast<index>(eigvals.size());
  if (options.flat_rule == FlatRule::kLastCount) {
    if (k < options.n_fast + options.n_flat)
      return "only " + std::to_string(k) + " directions, fewer than n_fast + n_flat = " +
             std::to_string(options.n_fast) + " + " + std::to_string(options.n_flat) +
             " (the fast and flat sets would overlap)";
    out.flat_first = k - options.n_flat;
    out.flat_count = options.n_flat;
    return {};
  }
  const double lambda_1 = eigvals.front();
  if (!(lambda_1 > 0.0)) return "lambda_1 = " + std::to_string(lambda_1) + " is not > 0, so no fraction of it";
  const double threshold = options.flat_fraction * lambda_1;
  // λ is non-increasing, so the directions below the threshold form a tail.
  index first = k;
  while (first > options.n_fast && eigvals[static_cast<size_t>(first - 1)] < threshold) --first;
  if (first == k)
    return "no flat directions: no lambda_i < flat_fraction * lambda_1 = " + std::to_string(threshold) +
           " among directions i >= n_fast = " + std::to_string(options.n_fast);
  out.flat_first = first;
  out.flat_count = k - first;
  return {};
}

}  // namespace

PowerLawResult fit_power_law_or_nan(const std::vector<double>& x, const std::vector<double>& y, IndexRange range) {
  HC_CHECK(x.size() == y.size(), core::DimensionMismatch,
           "fit_power_law_or_nan: x has " + std::to_string(x.size()) + " entries, y has " +
               std::to_string(y.size()));
  PowerLawResult result;
  try {
    result.fit = fit_power_law(x, y, range.first, range.count);
  } catch (const core::Error& error) {
    // Every remaining failure of fit_power_law depends on the data or on the window against k.
    result.fit = nan_fit();
    result.failure = error.what();
  }
  return result;
}

Crossover empirical_crossover(const std::vector<double>& eigvals, const std::vector<double>& tau,
                              const CrossoverOptions& options) {
  HC_CHECK(eigvals.size() == tau.size(), core::DimensionMismatch,
           "empirical_crossover: " + std::to_string(eigvals.size()) + " eigenvalues but " +
               std::to_string(tau.size()) + " correlation times");
  check_crossover_options(options);
  Crossover out;
  out.fast_line.fit = nan_fit();
  const auto k = static_cast<index>(eigvals.size());
  if (k < options.n_fast) {
    out.reason = "only " + std::to_string(k) + " directions, fewer than n_fast = " + std::to_string(options.n_fast);
    out.fast_line.failure = out.reason;
    return out;
  }
  if (const index bad = first_out_of_order(eigvals); bad >= 0) {
    out.reason = "eigenvalues not non-increasing (or NaN) at index " + std::to_string(bad);
    out.fast_line.failure = out.reason;
    return out;
  }

  // The plateau first: it is reported even when the line fails.
  std::string flat_failure = choose_flat_set(eigvals, options, out);
  if (flat_failure.empty()) {
    double sum = 0.0;
    index used = 0;
    for (index i = out.flat_first; i < out.flat_first + out.flat_count; ++i) {
      const double value = tau[static_cast<size_t>(i)];
      if (!std::isfinite(value)) { ++out.flat_skipped; continue; }
      sum += value;
      ++used;
    }
    if (used == 0) {
      flat_failure = "no flat direction has a finite tau (" + std::to_string(out.flat_count) + " in the flat set)";
    } else {
      out.tau_sgd = sum / static_cast<double>(used);
      if (!(out.tau_sgd > 0.0)) flat_failure = "tau_SGD = " + std::to_string(out.tau_sgd) + " is not > 0";
    }
  }

  out.fast_line = fit_power_law_or_nan(eigvals, tau, {0, options.n_fast});
  const PowerLawFit& line = out.fast_line.fit;
  std::string line_failure;
  if (!out.fast_line.ok()) {
    line_failure = "fast-direction line: " + out.fast_line.failure;
  } else if (!std::isfinite(line.exponent) || !std::isfinite(line.intercept)) {
    line_failure = "fast-direction line is not finite";
  } else if (!(line.exponent < 0.0)) {
    line_failure = "fast-direction slope " + std::to_string(line.exponent) +
                   " is not < 0: tau does not fall with lambda, so there is no crossover";
  }
  if (!line_failure.empty() && !flat_failure.empty()) {
    out.reason = line_failure + "; flat set: " + flat_failure;
  } else if (!line_failure.empty()) {
    out.reason = line_failure;
  } else if (!flat_failure.empty()) {
    out.reason = "flat set: " + flat_failure;
  } else {
    out.lambda_cross = std::exp((std::log(out.tau_sgd) - line.intercept) / line.exponent);
    if (!std::isfinite(out.lambda_cross) || !(out.lambda_cross > 0.0))
      out.reason = "lambda_cross = " + std::to_string(out.lambda_cross) + " over- or underflowed";
  }
  if (!out.reason.empty()) out.lambda_cross = kNaN;
  return out;
}

}  // namespace hesscov::stats
