// `hesscov theory <name> [--options] [--json]`: the closed forms of SCIENCE.md evaluated by the
// oracle in stats/theory_*.hpp (docs/theory.md). No MPI, no PETSc, no files: options in, numbers
// out. Options are parsed strictly: an unknown, repeated or malformed option is a usage error
// (exit 2, naming the option); a value outside a formula's domain is an error (exit 1, naming the
// value); a setting without a stationary state prints "stable": false where the output has that
// field. With --json one JSON object on one line, numbers with 17 significant digits (null for
// quantities that do not exist); without it a readable table.
#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <set>
#include <string>
#include <variant>
#include <vector>

#include "apps/commands.hpp"
#include "core/error.hpp"
#include "stats/theory_epoch.hpp"
#include "stats/theory_linreg.hpp"
#include "stats/theory_noise.hpp"
#include "stats/theory_quadratic.hpp"
#include "stats/theory_trace_drift.hpp"

namespace hesscov::apps {
namespace {

namespace theory = stats::theory;
using Rows = std::vector<std::vector<double>>;

struct UsageError {
  std::string message;
};

struct OptionHelp {
  std::string name;   ///< "--eta"
  std::string value;  ///< "X" (a valued option), "" (a flag)
  std::string help;
};

/// The parsed command line of one subcommand: --name value, --name=value, flags.
class Options {
 public:
  Options(const std::vector<std::string>& words, const std::vector<OptionHelp>& spec) {
    for (size_t i = 0; i < words.size(); ++i) {
      std::string name = words[i], value;
      const size_t equals = name.find('=');
      const bool inline_value = name.rfind("--", 0) == 0 && equals != std::string::npos;
      if (inline_value) value = name.substr(equals + 1), name = name.substr(0, equals);
      const OptionHelp* option = nullptr;
      for (const auto& candidate : spec)
        if (candidate.name == name) option = &candidate;
      if (option == nullptr) throw UsageError{(name.rfind("-", 0) == 0 ? "unknown option '" : "unexpected argument '") + name + "'"};
      if (values_.count(name) > 0 || flags_.count(name) > 0) throw UsageError{"option " + name + " given twice"};
      if (option->value.empty()) {
        if (inline_value) throw UsageError{"option " + name + " takes no value, got '" + words[i] + "'"};
        flags_.insert(name);
        continue;
      }
      if (!inline_value) {
        if (i + 1 >= words.size()) throw UsageError{"option " + name + " expects a value (" + option->value + ")"};
        value = words[++i];
      }
      values_[name] = value;
    }
  }

  bool has(const std::string& name) const { return values_.count(name) > 0 || flags_.count(name) > 0; }

  const std::string& text(const std::string& name) const {
    const auto found = values_.find(name);
    if (found == values_.end()) throw UsageError{"option " + name + " is required"};
    return found->second;
  }

  double real(const std::string& name) const { return parse_real(name, text(name)); }
  double real(const std::string& name, double fallback) const { return has(name) ? real(name) : fallback; }

  index integer(const std::string& name) const {
    const std::string& word = text(name);
    index value = 0;
    const auto [stop, error] = std::from_chars(word.data(), word.data() + word.size(), value);
    if (error != std::errc() || stop != word.data() + word.size() || value < 1)
      throw UsageError{"option " + name + " expects a positive integer, got '" + word + "'"};
    return value;
  }
  index integer(const std::string& name, index fallback) const { return has(name) ? integer(name) : fallback; }

  /// "1,0.5,2": a list of numbers.
  std::vector<double> list(const std::string& name) const {
    std::vector<double> values;
    for (const std::string& entry : split(text(name), ',')) values.push_back(parse_real(name, entry));
    return values;
  }

  /// "1,0;0,0.1": a matrix by rows (rows separated by ';', entries by ','), all rows equally long.
  Rows matrix(const std::string& name) const {
    Rows rows;
    for (const std::string& row : split(text(name), ';')) {
      rows.emplace_back();
      for (const std::string& entry : split(row, ',')) rows.back().push_back(parse_real(name, entry));
      if (rows.back().size() != rows.front().size())
        throw UsageError{"option " + name + ": row " + std::to_string(rows.size()) + " has " +
                         std::to_string(rows.back().size()) + " entries, row 1 has " + std::to_string(rows.front().size())};
    }
    return rows;
  }

  /// A square matrix, flattened row-major; its size in `dim`.
  std::vector<double> square(const std::string& name, index& dim) const {
    const Rows rows = matrix(name);
    if (rows.size() != rows.front().size())
      throw UsageError{"option " + name + " must be a square matrix, got " + std::to_string(rows.size()) + "x" +
                       std::to_string(rows.front().size())};
    dim = static_cast<index>(rows.size());
    std::vector<double> flat;
    for (const auto& row : rows) flat.insert(flat.end(), row.begin(), row.end());
    return flat;
  }

 private:
  static std::vector<std::string> split(const std::string& text, char separator) {
    std::vector<std::string> parts{""};
    for (char c : text) {
      if (c == separator) parts.emplace_back();
      else if (c != ' ') parts.back() += c;
    }
    return parts;
  }

  static double parse_real(const std::string& name, const std::string& word) {
    char* stop = nullptr;
    const double value = std::strtod(word.c_str(), &stop);
    if (word.empty() || *stop != '\0' || !std::isfinite(value))
      throw UsageError{"option " + name + " expects a number, got '" + word + "'"};
    return value;
  }

  std::map<std::string, std::string> values_;
  std::set<std::string> flags_;
};

/// One output field: a number (NaN prints as null), a flag, a list or a matrix.
using Value = std::variant<double, bool, std::vector<double>, Rows>;
using Report = std::vector<std::pair<std::string, Value>>;

std::string number(double value) {
  if (!std::isfinite(value)) return "null";
  char buffer[40];
  std::snprintf(buffer, sizeof buffer, "%.17g", value);
  return buffer;
}

std::string list_text(const std::vector<double>& values, const char* open, const char* separator, const char* close) {
  std::string out = open;
  for (size_t i = 0; i < values.size(); ++i) out += (i ? separator : "") + number(values[i]);
  return out + close;
}

void print_report(const Report& report, bool json) {
  std::string out = json ? "{" : "";
  size_t width = 0;
  for (const auto& field : report) width = std::max(width, field.first.size() + 2);
  for (size_t i = 0; i < report.size(); ++i) {
    const auto& [key, value] = report[i];
    std::string shown;
    if (const auto* scalar = std::get_if<double>(&value)) shown = number(*scalar);
    else if (const auto* flag = std::get_if<bool>(&value)) shown = *flag ? "true" : "false";
    else if (const auto* values = std::get_if<std::vector<double>>(&value))
      shown = json ? list_text(*values, "[", ", ", "]") : list_text(*values, "", "  ", "");
    else {
      const Rows& rows = std::get<Rows>(value);
      if (rows.empty()) shown = "null";
      for (size_t r = 0; r < rows.size(); ++r)
        shown += json ? (r ? ", " : "[") + list_text(rows[r], "[", ", ", "]") + (r + 1 == rows.size() ? "]" : "")
                      : (r ? "\n" + std::string(width, ' ') : "") + list_text(rows[r], "", "  ", "");
    }
    if (json) out += (i ? ", \"" : "\"") + key + "\": " + shown;
    else out += key + std::string(width - key.size(), ' ') + shown + "\n";
  }
  std::fputs((json ? out + "}\n" : out).c_str(), stdout);
}

Rows to_rows(const std::vector<double>& flat, index dim) {
  Rows rows(static_cast<size_t>(dim));
  for (index i = 0; i < dim; ++i) rows[static_cast<size_t>(i)].assign(flat.begin() + i * dim, flat.begin() + (i + 1) * dim);
  return rows;
}

/// Scalar per-sample values: C₀ = (1/(N−1)) Σ (x − x̄)², M₀ = (N−1)/N · C₀.
double sample_c0(const std::vector<double>& values, index num_samples) {
  if (static_cast<index>(values.size()) != num_samples)
    throw UsageError{"option --values has " + std::to_string(values.size()) + " entries but --N is " + std::to_string(num_samples)};
  if (num_samples < 2) throw UsageError{"option --values needs N >= 2 values"};
  const double m0 = theory::centered_second_moment(values, num_samples, 1).front();
  return m0 * static_cast<double>(num_samples) / static_cast<double>(num_samples - 1);
}

Report epoch_autocorrelation(const Options& o) {
  const index n = o.integer("--N"), s = o.integer("--S"), m = theory::batches_per_epoch(n, s);
  if (o.has("--values") && o.has("--C0")) throw UsageError{"options --values and --C0 exclude each other"};
  const double c0 = o.has("--values") ? sample_c0(o.list("--values"), n) : o.real("--C0", 1.0);
  const index max_lag = o.has("--lags") ? o.integer("--lags") : m;
  const double variance = theory::epoch_noise_factor(n, s) * c0;
  std::vector<double> lags, rho = theory::epoch_noise_autocorrelation(m, max_lag), covariance;
  double sum = 0.0;
  for (index h = 0; h <= max_lag; ++h) {
    lags.push_back(static_cast<double>(h));
    covariance.push_back(variance * rho[static_cast<size_t>(h)]);
  }
  for (index h = 1; h <= m; ++h) sum += theory::epoch_noise_correlation(m, h);
  return {{"M", static_cast<double>(m)}, {"noise_factor", theory::epoch_noise_factor(n, s)}, {"C0", c0},
          {"variance", variance},        {"lags", lags},  {"rho", rho},  {"R", covariance},  {"sum_rho", sum}};
}

Report minibatch_covariance(const Options& o) {
  const index n = o.integer("--N"), s = o.integer("--S");
  if (o.has("--values") && o.has("--M0")) throw UsageError{"options --values and --M0 exclude each other"};
  const double m0 = o.has("--values") ? sample_c0(o.list("--values"), n) * static_cast<double>(n - 1) / static_cast<double>(n)
                                      : o.real("--M0", 1.0);
  const double with = theory::minibatch_factor(n, s, theory::Sampling::with_replacement);
  const double without = theory::minibatch_factor(n, s, theory::Sampling::without_replacement);
  return {{"with_replacement", with},
          {"without_replacement", without},
          {"epoch_factor", theory::epoch_noise_factor(n, s)},
          {"M0", m0},
          {"C0", m0 * static_cast<double>(n) / static_cast<double>(n - 1)},
          {"variance_with_replacement", with * m0},
          {"variance_without_replacement", without * m0}};
}

Report epoch_variance(const Options& o) {
  std::string form = o.has("--form") ? o.text("--form") : "exact";
  if (o.has("--replacement")) {
    if (o.has("--form") && form != "replacement") throw UsageError{"option --replacement contradicts --form " + form};
    form = "replacement";
  }
  // The λ-free forms do not need --lambda.
  const bool flat = form == "flat-limit" || form == "small-curvature";
  const theory::EpochSetting setting{o.real("--eta"), o.real("--beta", 0.0), o.integer("--M"),
                                     flat ? o.real("--lambda", 0.0) : o.real("--lambda"), o.real("--sigma2", 1.0)};
  theory::Fluctuations f;
  if (form == "exact") f = theory::epoch_fluctuations(setting);
  else if (form == "replacement" || form == "large-curvature") f = theory::replacement_fluctuations(setting);
  else if (form == "flat-limit") f = theory::flat_limit_fluctuations(setting);
  else if (form == "small-curvature") f = theory::small_curvature_asymptote(setting);
  else throw UsageError{"option --form expects exact, replacement, large-curvature, flat-limit or small-curvature, got '" + form + "'"};
  return {{"sigma2_theta", f.sigma2_theta}, {"sigma2_v", f.sigma2_v}, {"tau", f.tau},
          {"lambda_cross", theory::crossover_curvature(setting.eta, setting.beta, setting.batches)},
          {"tau_sgd", theory::sgd_correlation_time(setting.beta, setting.batches)}};
}

Report linreg_stationary(const Options& o) {
  const auto r = theory::linreg_gaussian_stationary(o.list("--A"), o.real("--eta"), o.integer("--S"), o.real("--mu", 0.0),
                                                    o.real("--sigma2", 1.0));
  if (!r.stable) std::fprintf(stderr, "hesscov theory linreg-stationary: no stationary state (needs every g_i > 0 and t < S; t = %s)\n", number(r.t).c_str());
  return {{"sigma_diag", r.sigma_diag}, {"trace_A_sigma", r.trace_a_sigma}, {"L_train", r.train_loss},
          {"L_test", r.test_loss},       {"noise_diag", r.noise_diag},       {"stable", r.stable}};
}

Report linreg_dataset(const Options& o) {
  const Rows rows = o.matrix("--X");
  const std::vector<double> targets = o.list("--y");
  if (targets.size() != rows.size())
    throw UsageError{"option --y has " + std::to_string(targets.size()) + " entries but --X has " + std::to_string(rows.size()) + " rows"};
  std::vector<double> inputs;
  for (const auto& row : rows) inputs.insert(inputs.end(), row.begin(), row.end());
  const std::string sampling = o.has("--sampling") ? o.text("--sampling") : "with";
  if (sampling != "with" && sampling != "without") throw UsageError{"option --sampling expects with or without, got '" + sampling + "'"};
  const auto n = static_cast<index>(rows.size()), d = static_cast<index>(rows.front().size());
  const auto r = theory::linreg_dataset_stationary(
      inputs, targets, n, d, o.real("--eta"), o.integer("--S"), o.real("--mu", 0.0),
      sampling == "with" ? theory::Sampling::with_replacement : theory::Sampling::without_replacement);
  if (!r.stable) std::fprintf(stderr, "hesscov theory linreg-dataset: no stationary state (noise feedback radius %s)\n", number(r.radius).c_str());
  return {{"sigma", r.stable ? to_rows(r.sigma, d) : Rows{}}, {"trace_H_sigma", r.trace_h_sigma}, {"L_min", r.min_loss},
          {"L_train", r.train_loss}, {"noise", r.stable ? to_rows(r.noise, d) : Rows{}}, {"minimizer", r.minimizer},
          {"stable", r.stable}};
}

Report quadratic_stationary(const Options& o) {
  index dim = 0, noise_dim = 0, eta_dim = 0;
  const std::vector<double> hessian = o.square("--H", dim), noise = o.square("--C", noise_dim);
  if (noise_dim != dim) throw UsageError{"option --C is " + std::to_string(noise_dim) + "x" + std::to_string(noise_dim) + " but --H is " + std::to_string(dim) + "x" + std::to_string(dim)};
  if (o.has("--eta") == o.has("--eta-matrix")) throw UsageError{"give exactly one of --eta and --eta-matrix"};
  const double mu = o.real("--mu", 0.0);
  std::vector<double> eta_matrix;
  if (o.has("--eta-matrix")) {
    eta_matrix = o.square("--eta-matrix", eta_dim);
    if (eta_dim != dim) throw UsageError{"option --eta-matrix must be " + std::to_string(dim) + "x" + std::to_string(dim)};
  }
  const auto problem = o.has("--eta") ? theory::QuadraticStationary(hessian, dim, o.real("--eta"), mu)
                                      : theory::QuadraticStationary(hessian, dim, eta_matrix, mu);
  Rows sigma, continuous;
  double loss = std::nan("");
  if (problem.stable()) {
    const auto covariance = problem.solve(noise);
    sigma = to_rows(covariance.ww, dim);
    loss = theory::quadratic_excess_loss(hessian, covariance.ww, dim);
  } else {
    std::fprintf(stderr, "hesscov theory quadratic-stationary: no stationary state (spectral radius of A = %s)\n",
                 number(problem.spectral_radius()).c_str());
  }
  if (problem.scaled_curvatures().front() > 0.0) continuous = to_rows(problem.continuous(noise), dim);
  return {{"sigma", sigma}, {"sigma_continuous", continuous}, {"L_train", loss}, {"stable", problem.stable()}};
}

Report trace_drift(const Options& o) {
  const index toy = o.integer("--toy", 1);
  if (toy > 2) throw UsageError{"option --toy expects 1 or 2, got '" + std::to_string(toy) + "'"};
  const auto d = theory::valley_drift(static_cast<int>(toy), o.real("--eta"), o.real("--kappa", 1.0), o.real("--power", 1.0),
                                      o.real("--t3", 1.0), o.real("--t4", 1.0));
  return {{"lambda1", d.lambda1}, {"lambda2", d.lambda2}, {"trace", d.trace}, {"log_det", d.log_det},
          {"var_t1", d.variance1}, {"var_t2", d.variance2}, {"drift", d.trace_rate},
          {"drift_leading_order", d.trace_rate_leading}, {"log_det_drift", d.log_det_rate},
          {"log_det_drift_leading_order", d.log_det_rate_leading}};
}

struct Subcommand {
  std::string name, summary;
  std::vector<OptionHelp> options;
  Report (*run)(const Options&);
};

const std::vector<Subcommand>& subcommands() {
  const OptionHelp json{"--json", "", "print one JSON object instead of a table"};
  const OptionHelp values{"--values", "X1,...,XN", "per-sample values (scalar gradients along one direction)"};
  static const std::vector<Subcommand> all{
      {"epoch-autocorrelation", "noise autocorrelation of epoch sampling, rho(h) and R(h) (Study 2)",
       {{"--N", "N", "training samples (required)"}, {"--S", "S", "batch size, dividing N (required)"},
        {"--lags", "L", "largest lag printed (default M = N/S)"},
        {"--C0", "C0", "per-sample covariance (1/(N-1)) sum (g - mean)^2 (default 1)"}, values, json},
       epoch_autocorrelation},
      {"minibatch-covariance", "exact minibatch-noise factors for finite N, with and without replacement",
       {{"--N", "N", "training samples (required)"}, {"--S", "S", "batch size (required)"},
        {"--M0", "M0", "centred per-sample second moment (1/N) sum (g - mean)^2 (default 1)"}, values, json},
       minibatch_covariance},
      {"epoch-variance", "stationary var theta, var v and tau along one direction (Study 2)",
       {{"--eta", "ETA", "learning rate (required)"}, {"--beta", "BETA", "momentum, 0 <= beta < 1 (default 0)"},
        {"--M", "M", "batches per epoch (required)"}, {"--lambda", "LAMBDA", "curvature, 0 < eta*lambda < 2(1+beta) (required but for the lambda-free forms)"},
        {"--sigma2", "S2", "per-step noise variance along the direction (default 1)"},
        {"--replacement", "", "uncorrelated (with-replacement) noise; same as --form replacement"},
        {"--form", "F", "exact (default), replacement, large-curvature, flat-limit (lambda -> 0), small-curvature"}, json},
       epoch_variance},
      {"linreg-stationary", "linear regression with label noise, Gaussian x, fresh samples (Study 4)",
       {{"--A", "A1,...,Ad", "eigenvalues of the input covariance A (required)"}, {"--eta", "ETA", "learning rate (required)"},
        {"--S", "S", "batch size (required)"}, {"--mu", "MU", "momentum (default 0)"},
        {"--sigma2", "S2", "label-noise variance (default 1)"}, json},
       linreg_stationary},
      {"linreg-dataset", "linear regression on a fixed data set, minibatches drawn each step (Study 4)",
       {{"--X", "ROWS", "inputs by rows, e.g. \"1,0;0,1;1,1\" (required)"}, {"--y", "Y1,...,YN", "targets (required)"},
        {"--eta", "ETA", "learning rate (required)"}, {"--S", "S", "batch size (required)"}, {"--mu", "MU", "momentum (default 0)"},
        {"--sampling", "with|without", "each batch with replacement (default) or a uniform S-subset"}, json},
       linreg_dataset},
      {"quadratic-stationary", "stationary covariance of SGD with momentum on a quadratic (Study 4)",
       {{"--H", "ROWS", "Hessian by rows, e.g. \"1,0;0,0.1\" (required)"}, {"--C", "ROWS", "noise covariance by rows (required)"},
        {"--eta", "ETA", "scalar learning rate"}, {"--eta-matrix", "ROWS", "symmetric positive definite learning-rate matrix"},
        {"--mu", "MU", "momentum, 0 <= mu < 1 (default 0)"}, json},
       quadratic_stationary},
      {"trace-drift", "trace and log-det drift of noisy GD in the valley toys (Study 3)",
       {{"--eta", "ETA", "learning rate (required)"}, {"--toy", "1|2", "toy_valley_1 or toy_valley_2 (default 1)"},
        {"--kappa", "KAPPA", "noise scale, xi ~ N(0, kappa diag(l1^p, l2^p, 0, 0)) (default 1)"},
        {"--power", "P", "noise power p: 1 SGD-like (C = kappa H), 0 isotropic (default 1)"},
        {"--t3", "T3", "valley point t3 (default 1)"}, {"--t4", "T4", "valley point t4 (default 1)"}, json},
       trace_drift},
  };
  return all;
}

std::string general_help() {
  std::string text = "usage: hesscov theory <name> [--options] [--json]\n\nclosed forms of SCIENCE.md (docs/theory.md):\n";
  for (const auto& command : subcommands()) {
    char line[160];
    std::snprintf(line, sizeof line, "  %-22s %s\n", command.name.c_str(), command.summary.c_str());
    text += line;
  }
  return text + "\nhesscov theory <name> --help lists the options of one.\n";
}

std::string command_help(const Subcommand& command) {
  std::string text = "usage: hesscov theory " + command.name + " [options]\n" + command.summary + "\n\n";
  for (const auto& option : command.options) {
    char line[200];
    std::snprintf(line, sizeof line, "  %-24s %s\n", (option.name + " " + option.value).c_str(), option.help.c_str());
    text += line;
  }
  return text;
}

}  // namespace

int theory_job(const std::vector<std::string>& args) {
  if (args.empty() || args[0] == "--help" || args[0] == "-h") {
    std::fputs(general_help().c_str(), args.empty() ? stderr : stdout);
    return args.empty() ? 2 : 0;
  }
  const Subcommand* command = nullptr;
  for (const auto& candidate : subcommands())
    if (candidate.name == args[0]) command = &candidate;
  if (command == nullptr) {
    std::fprintf(stderr, "hesscov theory: unknown name '%s'\n\n%s", args[0].c_str(), general_help().c_str());
    return 2;
  }
  const std::vector<std::string> words(args.begin() + 1, args.end());
  for (const auto& word : words)
    if (word == "--help" || word == "-h") {
      std::fputs(command_help(*command).c_str(), stdout);
      return 0;
    }
  try {
    const Options options(words, command->options);
    print_report(command->run(options), options.has("--json"));
    return 0;
  } catch (const UsageError& error) {
    std::fprintf(stderr, "hesscov theory %s: %s (see hesscov theory %s --help)\n", command->name.c_str(),
                 error.message.c_str(), command->name.c_str());
    return 2;
  } catch (const std::exception& error) {
    std::fprintf(stderr, "hesscov theory %s: error: %s\n", command->name.c_str(), error.what());
    return 1;
  }
}

}  // namespace hesscov::apps
