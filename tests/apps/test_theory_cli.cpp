// `hesscov theory` end to end: the three required commands print one JSON object with exactly the
// documented keys and the right values (against hand formulas, SCIENCE.md's values and a
// fixed-point iteration of the Stein equation, not against the library alone), the other
// subcommands answer, bad command lines exit 2 naming the option, domain errors exit 1 naming the
// value, and --help documents every subcommand and option.
#include <gtest/gtest.h>

#include <cctype>
#include <cmath>
#include <cstdlib>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "stats/theory_trace_drift.hpp"
#include "support/subprocess.hpp"

namespace {

using hesscov::testing::contains;

// A minimal JSON reader for the oracle's output: objects, arrays, numbers, true/false/null.
struct Json {
  enum class Kind { null, boolean, number, array, object } kind = Kind::null;
  bool flag = false;
  double number = 0.0;
  std::vector<Json> items;
  std::map<std::string, Json> fields;
  std::vector<std::string> order;  // keys in the order printed
};

class JsonReader {
 public:
  explicit JsonReader(const std::string& text) : text_(text) {}
  Json document() {
    Json value = parse();
    skip();
    if (at_ != text_.size()) fail("trailing characters");
    return value;
  }

 private:
  void skip() {
    while (at_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[at_]))) ++at_;
  }
  void fail(const std::string& why) { throw std::runtime_error("JSON " + why + " at " + std::to_string(at_) + ": " + text_); }
  void expect(char c) {
    skip();
    if (at_ >= text_.size() || text_[at_] != c) fail(std::string("expected '") + c + "'");
    ++at_;
  }
  bool word(const std::string& w) {
    if (text_.compare(at_, w.size(), w) != 0) return false;
    at_ += w.size();
    return true;
  }
  Json parse() {
    skip();
    Json value;
    if (at_ >= text_.size()) fail("unexpected end");
    const char c = text_[at_];
    if (c == '{') {
      value.kind = Json::Kind::object;
      ++at_;
      skip();
      if (text_[at_] == '}') return ++at_, value;
      for (;;) {
        expect('"');
        const size_t end = text_.find('"', at_);
        const std::string key = text_.substr(at_, end - at_);
        at_ = end + 1;
        expect(':');
        if (value.fields.count(key)) fail("duplicate key " + key);
        value.fields[key] = parse();
        value.order.push_back(key);
        skip();
        if (text_[at_] == ',') { ++at_; continue; }
        expect('}');
        return value;
      }
    }
    if (c == '[') {
      value.kind = Json::Kind::array;
      ++at_;
      skip();
      if (text_[at_] == ']') return ++at_, value;
      for (;;) {
        value.items.push_back(parse());
        skip();
        if (text_[at_] == ',') { ++at_; continue; }
        expect(']');
        return value;
      }
    }
    if (word("null")) return value;
    if (word("true")) return value.kind = Json::Kind::boolean, value.flag = true, value;
    if (word("false")) return value.kind = Json::Kind::boolean, value;
    char* stop = nullptr;
    value.number = std::strtod(text_.c_str() + at_, &stop);
    if (stop == text_.c_str() + at_) fail("not a value");
    at_ = static_cast<size_t>(stop - text_.c_str());
    value.kind = Json::Kind::number;
    return value;
  }
  const std::string& text_;
  size_t at_ = 0;
};

struct Outcome {
  int status;
  std::string output;
};

Outcome theory(const std::string& arguments) {
  const auto result = hesscov::testing::run_shell(hesscov::testing::hesscov_command("theory " + arguments));
  return {result.status, result.output};
}

// stdout alone (a setting without a stationary state adds a note on stderr).
Json theory_json(const std::string& arguments) {
  const auto result = hesscov::testing::run_shell(
      "(" + hesscov::testing::hesscov_command("theory " + arguments + " --json") + " 2>/dev/null)");
  EXPECT_EQ(result.status, 0) << result.output;
  return JsonReader(result.output).document();
}

void expect_keys(const Json& object, const std::vector<std::string>& keys) {
  ASSERT_EQ(object.kind, Json::Kind::object);
  EXPECT_EQ(object.order, keys);
}

double relative(double value, double reference) { return std::abs(value - reference) / std::abs(reference); }

TEST(TheoryCli, EpochVarianceJson) {
  const Json out = theory_json("epoch-variance --eta 0.1 --beta 0.9 --M 50 --lambda 0.6 --sigma2 1");
  expect_keys(out, {"sigma2_theta", "sigma2_v", "tau", "lambda_cross", "tau_sgd"});
  EXPECT_LT(relative(out.fields.at("sigma2_theta").number, 0.79875843615), 1e-9);
  EXPECT_NEAR(out.fields.at("tau").number,
              2.0 * out.fields.at("sigma2_theta").number / out.fields.at("sigma2_v").number, 1e-12);
  EXPECT_NEAR(out.fields.at("lambda_cross").number, 0.06, 1e-15);
  EXPECT_NEAR(out.fields.at("tau_sgd").number, 50.0 / 3.0 * 1.9 / 0.1, 1e-12);
  const Json other = theory_json("epoch-variance --eta 0.1 --beta 0.9 --M 50 --lambda 0.06 --sigma2 1");
  EXPECT_LT(relative(other.fields.at("sigma2_theta").number, 3.7299848703), 1e-9);
  EXPECT_LT(relative(other.fields.at("sigma2_v").number, 0.046564327432), 1e-9);
  EXPECT_LT(relative(other.fields.at("tau").number, 160.2078276), 1e-9);
  // 17 significant digits: the printed value has full precision.
  const Outcome text = theory("epoch-variance --eta 0.1 --beta 0.9 --M 50 --lambda 0.6 --json");
  EXPECT_TRUE(contains(text.output, "\"sigma2_theta\": 0.798758436147")) << text.output;
}

TEST(TheoryCli, EpochVarianceWithReplacement) {
  const Json out = theory_json("epoch-variance --eta 0.1 --beta 0.9 --M 50 --lambda 0.6 --sigma2 2 --replacement");
  expect_keys(out, {"sigma2_theta", "sigma2_v", "tau", "lambda_cross", "tau_sgd"});
  const double eta = 0.1, beta = 0.9, x = 0.06, s2 = 2.0;
  EXPECT_LT(relative(out.fields.at("sigma2_theta").number,
                     eta * eta * s2 * (1 + beta) / ((1 - beta) * (2 * (1 + beta) - x) * x)), 1e-14);
  EXPECT_LT(relative(out.fields.at("sigma2_v").number, 2 * eta * eta * s2 / ((1 - beta) * (2 * (1 + beta) - x))), 1e-14);
  EXPECT_LT(relative(out.fields.at("tau").number, (1 + beta) / x), 1e-14);
}

TEST(TheoryCli, LinregStationaryJson) {
  const Json out = theory_json("linreg-stationary --A 1,0.5 --eta 0.5 --S 8 --mu 0 --sigma2 1");
  expect_keys(out, {"sigma_diag", "trace_A_sigma", "L_train", "L_test", "noise_diag", "stable"});
  EXPECT_TRUE(out.fields.at("stable").flag);
  // By hand: g_i = 2 − (1 + 1/S)η a_i, t = Σ η a_i/g_i, Σ_ii = ησ²/(g_i(S − t)).
  const double a[2] = {1.0, 0.5}, eta = 0.5, s = 8.0;
  double g[2], t = 0.0;
  for (int i = 0; i < 2; ++i) g[i] = 2.0 - (1.0 + 1.0 / s) * eta * a[i], t += eta * a[i] / g[i];
  ASSERT_EQ(out.fields.at("sigma_diag").items.size(), 2U);
  for (int i = 0; i < 2; ++i) {
    const double sigma = eta / (g[i] * (s - t));
    EXPECT_LT(relative(out.fields.at("sigma_diag").items[i].number, sigma), 1e-14);
    EXPECT_LT(relative(out.fields.at("noise_diag").items[i].number, (a[i] * a[i] * sigma + a[i] * s / (s - t)) / s), 1e-14);
  }
  EXPECT_LT(relative(out.fields.at("trace_A_sigma").number, t / (s - t)), 1e-14);
  EXPECT_LT(relative(out.fields.at("L_train").number, s / (2.0 * (s - t))), 1e-14);
  EXPECT_LT(relative(out.fields.at("L_test").number, t / (2.0 * (s - t))), 1e-14);
  // SCIENCE.md's 1-D check.
  const Json one = theory_json("linreg-stationary --A 1 --eta 0.5 --S 4 --mu 0 --sigma2 1");
  EXPECT_NEAR(one.fields.at("sigma_diag").items[0].number, 0.1, 1e-15);
  // No stationary state: "stable": false, null numbers, exit 0.
  const Json unstable = theory_json("linreg-stationary --A 1,1,1,1,1,1,1,1,1,1 --eta 0.5 --S 1");
  EXPECT_FALSE(unstable.fields.at("stable").flag);
  EXPECT_EQ(unstable.fields.at("L_train").kind, Json::Kind::null);
}

// Σ_aug by iterating X ← AXAᵀ + BCBᵀ to convergence on the assembled 4×4 A (ρ(A) ≈ 0.71 here).
std::vector<double> iterated_stein(const double h[4], const double c[4], double eta, double mu) {
  double a[4][4] = {{1 - eta * h[0], -eta * h[1], -eta * mu, 0}, {-eta * h[2], 1 - eta * h[3], 0, -eta * mu},
                    {h[0], h[1], mu, 0},                       {h[2], h[3], 0, mu}};
  double b[4][2] = {{-eta, 0}, {0, -eta}, {1, 0}, {0, 1}}, q[4][4] = {}, x[4][4] = {};
  for (int i = 0; i < 4; ++i)
    for (int j = 0; j < 4; ++j)
      for (int k = 0; k < 2; ++k)
        for (int l = 0; l < 2; ++l) q[i][j] += b[i][k] * c[k * 2 + l] * b[j][l];
  for (int iteration = 0; iteration < 2000; ++iteration) {
    double next[4][4] = {};
    for (int i = 0; i < 4; ++i)
      for (int j = 0; j < 4; ++j) {
        next[i][j] = q[i][j];
        for (int k = 0; k < 4; ++k)
          for (int l = 0; l < 4; ++l) next[i][j] += a[i][k] * x[k][l] * a[j][l];
      }
    for (int i = 0; i < 4; ++i)
      for (int j = 0; j < 4; ++j) x[i][j] = next[i][j];
  }
  return {x[0][0], x[0][1], x[1][0], x[1][1]};
}

TEST(TheoryCli, QuadraticStationaryJson) {
  const Json out = theory_json("quadratic-stationary --H \"1,0;0,0.1\" --C \"1,0.5;0.5,1\" --eta 1 --mu 0.5");
  expect_keys(out, {"sigma", "sigma_continuous", "L_train", "stable"});
  EXPECT_TRUE(out.fields.at("stable").flag);
  const double h[4] = {1, 0, 0, 0.1}, c[4] = {1, 0.5, 0.5, 1};
  const std::vector<double> reference = iterated_stein(h, c, 1.0, 0.5);
  const auto& sigma = out.fields.at("sigma").items;
  ASSERT_EQ(sigma.size(), 2U);
  for (int i = 0; i < 2; ++i) {
    ASSERT_EQ(sigma[i].items.size(), 2U);
    for (int j = 0; j < 2; ++j) EXPECT_NEAR(sigma[i].items[j].number, reference[i * 2 + j], 1e-12);
  }
  // Diagonal: the commuting form η c_ii/((1−μ) h_i (2 − η h_i/(1+μ))); continuous: ηC_ij/((1−μ)(h_i + h_j)).
  EXPECT_NEAR(sigma[0].items[0].number, 1.0 / (0.5 * (2.0 - 1.0 / 1.5)), 1e-14);
  EXPECT_NEAR(sigma[1].items[1].number, 1.0 / (0.5 * 0.1 * (2.0 - 0.1 / 1.5)), 1e-12);
  const auto& continuous = out.fields.at("sigma_continuous").items;
  EXPECT_NEAR(continuous[0].items[0].number, 1.0, 1e-14);
  EXPECT_NEAR(continuous[0].items[1].number, 0.5 / (0.5 * 1.1), 1e-14);
  EXPECT_NEAR(continuous[1].items[1].number, 10.0, 1e-12);
  EXPECT_NEAR(out.fields.at("L_train").number, 0.5 * (reference[0] + 0.1 * reference[3]), 1e-12);
  // Unstable (η h = 3 ≥ 2(1+μ) = 3): stable false, sigma null, the continuous answer still given.
  const Json unstable = theory_json("quadratic-stationary --H \"1,0;0,0.1\" --C \"1,0.5;0.5,1\" --eta 3 --mu 0.5");
  EXPECT_FALSE(unstable.fields.at("stable").flag);
  EXPECT_EQ(unstable.fields.at("sigma").kind, Json::Kind::null);
  EXPECT_EQ(unstable.fields.at("sigma_continuous").kind, Json::Kind::array);
}

TEST(TheoryCli, OtherSubcommands) {
  const Json epoch = theory_json("epoch-autocorrelation --N 6 --S 2 --values 3,-1,4,-1,-5,0");
  EXPECT_NEAR(epoch.fields.at("variance").number, 52.0 / 15.0, 1e-14);
  EXPECT_NEAR(epoch.fields.at("R").items[1].number, -52.0 / 45.0, 1e-14);
  EXPECT_NEAR(epoch.fields.at("R").items[2].number, -26.0 / 45.0, 1e-14);
  EXPECT_EQ(epoch.fields.at("R").items[3].number, 0.0);
  EXPECT_NEAR(epoch.fields.at("sum_rho").number, -0.5, 1e-15);
  const Json batch = theory_json("minibatch-covariance --N 10 --S 4");
  EXPECT_NEAR(batch.fields.at("with_replacement").number, 0.25, 1e-16);
  EXPECT_NEAR(batch.fields.at("without_replacement").number, 6.0 / 36.0, 1e-16);
  const Json drift = theory_json("trace-drift --eta 0.1 --kappa 1");
  EXPECT_NEAR(drift.fields.at("drift").number, -0.02 * (5.0 / 1.6 + 8.0 / 1.4), 1e-15);
  EXPECT_NEAR(drift.fields.at("drift_leading_order").number, -0.13, 1e-15);
  const Json toy2 = theory_json("trace-drift --toy 2 --eta 0.05 --power 0 --t3 1 --t4 -1");
  const auto general = hesscov::stats::theory::valley_drift(2, 0.05, 1.0, 0.0, 1.0, -1.0);
  EXPECT_DOUBLE_EQ(toy2.fields.at("log_det_drift").number, general.log_det_rate);
  EXPECT_DOUBLE_EQ(toy2.fields.at("drift").number, general.trace_rate);
  const Json data = theory_json("linreg-dataset --X \"1,0;0,1;1,1;2,-1\" --y 1,2,2,1 --eta 0.2 --S 2");
  EXPECT_TRUE(data.fields.at("stable").flag);
  EXPECT_EQ(data.fields.at("sigma").items.size(), 2U);
  // Without --json: a table naming the quantities.
  const Outcome table = theory("epoch-variance --eta 0.1 --beta 0.9 --M 50 --lambda 0.6");
  EXPECT_EQ(table.status, 0);
  EXPECT_TRUE(contains(table.output, "sigma2_theta")) << table.output;
  EXPECT_FALSE(contains(table.output, "{")) << table.output;
}

TEST(TheoryCli, BadCommandLinesExitTwoNamingTheOption) {
  const struct {
    std::string arguments, named;
  } cases[] = {
      {"epoch-variance --eta 0.1 --M 50 --lambda 0.6 --bogus 3", "--bogus"},
      {"epoch-variance --eta abc --M 50 --lambda 0.6", "--eta"},
      {"epoch-variance --eta 0.1 --M 5.5 --lambda 0.6", "--M"},
      {"epoch-variance --eta 0.1 --M 50", "--lambda"},
      {"epoch-variance --eta 0.1 --M 50 --lambda", "--lambda"},
      {"epoch-variance --eta 0.1 --eta 0.2 --M 50 --lambda 0.6", "--eta"},
      {"epoch-variance --eta 0.1 --M 50 --lambda 0.6 --json=yes", "--json"},
      {"linreg-stationary --A 1,x --eta 0.5 --S 4", "--A"},
      {"quadratic-stationary --H \"1,0;0\" --C \"1,0;0,1\" --eta 1", "--H"},
      {"quadratic-stationary --H \"1,0;0,1\" --C \"1\" --eta 1", "--C"},
      {"epoch-variance stray --eta 0.1", "stray"},
      {"no-such-name", "no-such-name"},
  };
  for (const auto& c : cases) {
    const Outcome run = theory(c.arguments);
    EXPECT_EQ(run.status, 2) << c.arguments << "\n" << run.output;
    EXPECT_TRUE(contains(run.output, c.named)) << c.arguments << "\n" << run.output;
  }
  EXPECT_EQ(theory("").status, 2);
}

TEST(TheoryCli, DomainErrorsExitOneNamingTheValue) {
  const Outcome unstable = theory("epoch-variance --eta 0.1 --beta 0.9 --M 50 --lambda 40");
  EXPECT_EQ(unstable.status, 1) << unstable.output;
  EXPECT_TRUE(contains(unstable.output, "eta*lambda")) << unstable.output;
  const Outcome momentum = theory("epoch-variance --eta 0.1 --beta 1 --M 50 --lambda 0.6");
  EXPECT_EQ(momentum.status, 1);
  EXPECT_TRUE(contains(momentum.output, "beta")) << momentum.output;
  const Outcome batches = theory("epoch-autocorrelation --N 10 --S 3");
  EXPECT_EQ(batches.status, 1);
  EXPECT_TRUE(contains(batches.output, "not a multiple")) << batches.output;
}

TEST(TheoryCli, HelpListsSubcommandsAndOptions) {
  const Outcome general = theory("--help");
  EXPECT_EQ(general.status, 0);
  for (const char* name : {"epoch-autocorrelation", "minibatch-covariance", "epoch-variance", "linreg-stationary",
                           "linreg-dataset", "quadratic-stationary", "trace-drift"})
    EXPECT_TRUE(contains(general.output, name)) << name;
  const Outcome one = theory("epoch-variance --help");
  EXPECT_EQ(one.status, 0);
  for (const char* option : {"--eta", "--beta", "--M", "--lambda", "--sigma2", "--replacement", "--json"})
    EXPECT_TRUE(contains(one.output, option)) << option;
  const Outcome quadratic = theory("quadratic-stationary --help");
  for (const char* option : {"--H", "--C", "--eta", "--eta-matrix", "--mu"}) EXPECT_TRUE(contains(quadratic.output, option));
  const auto top = hesscov::testing::run_shell(hesscov::testing::hesscov_command("--help"));
  EXPECT_TRUE(contains(top.output, "theory")) << top.output;
}

}  // namespace
