// The config database: defaults, nested values, overrides, and every error path naming the file,
// the key, the value and what was expected.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "core/config.hpp"

namespace hesscov::core {
namespace {

Schema example_schema() {
  Schema schema;
  schema.add_int("seed", 0, "root seed", {.min = 0});
  schema.add_double("train.lr", 0.1, "learning rate", {.min = 0.0, .min_exclusive = true});
  schema.add_bool("model.bias", false, "linear layers have a bias");
  schema.add_string("data.path", "/usr/share/datasets/fashion-mnist", "folder of the IDX files");
  schema.add_choice("model.activation", "relu", {"relu", "tanh", "identity"}, "hidden activation");
  schema.add_int_list("model.mlp", {784, 50, 50, 10}, "layer widths", {.min = 1, .min_length = 2});
  schema.add_double_list("train.decay", {0.5}, "decay factors", {.min = 0.0, .max = 1.0});
  schema.add_string_list("probe.blocks", {"fc2.weight"}, "blocks");
  return schema;
}

/// Runs `load` and returns the ConfigError it throws (fails the test if none).
template <class Load>
ConfigError config_error(Load load) {
  try {
    load();
  } catch (const ConfigError& error) {
    return error;
  }
  ADD_FAILURE() << "no ConfigError thrown";
  return ConfigError("", "", "", "");
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

TEST(Config, DefaultsFillEveryKey) {
  const Schema schema = example_schema();
  const Config config = Config::defaults(schema);
  EXPECT_EQ(config.get_int("seed"), 0);
  EXPECT_DOUBLE_EQ(config.get_double("train.lr"), 0.1);
  EXPECT_FALSE(config.get_bool("model.bias"));
  EXPECT_EQ(config.get_string("model.activation"), "relu");
  EXPECT_EQ(config.get_int_list("model.mlp"), (std::vector<std::int64_t>{784, 50, 50, 10}));
  EXPECT_EQ(config.get_string_list("probe.blocks"), (std::vector<std::string>{"fc2.weight"}));
  EXPECT_FALSE(config.is_set("seed"));
}

TEST(Config, NestedFileValuesAndOverrides) {
  const Schema schema = example_schema();
  Config config = Config::load_string(
      "seed: 7\nmodel:\n  mlp: [10, 3]\n  bias: true\n  activation: tanh\ntrain:\n  lr: 0.02\n", schema, "a.yaml");
  EXPECT_EQ(config.get_int("seed"), 7);
  EXPECT_TRUE(config.get_bool("model.bias"));
  EXPECT_EQ(config.get_string("model.activation"), "tanh");
  EXPECT_EQ(config.get_int_list("model.mlp"), (std::vector<std::int64_t>{10, 3}));
  EXPECT_TRUE(config.is_set("model.mlp"));
  config.set_override("train.lr=0.05");
  config.set_override("model.mlp=[5, 4, 3]");
  config.set_override("data.path=/tmp/x");
  EXPECT_DOUBLE_EQ(config.get_double("train.lr"), 0.05);
  EXPECT_EQ(config.get_int_list("model.mlp"), (std::vector<std::int64_t>{5, 4, 3}));
  EXPECT_EQ(config.get_string("data.path"), "/tmp/x");
}

TEST(Config, EffectiveYamlRoundTrips) {
  const Schema schema = example_schema();
  const Config original = Config::load_string("seed: 3\nmodel:\n  mlp: [4, 2]\n", schema);
  const Config again = Config::load_string(original.to_yaml(), schema);
  EXPECT_EQ(again.get_int("seed"), 3);
  EXPECT_EQ(again.get_int_list("model.mlp"), (std::vector<std::int64_t>{4, 2}));
  EXPECT_EQ(again.get_string("data.path"), "/usr/share/datasets/fashion-mnist");
  EXPECT_DOUBLE_EQ(again.get_double("train.lr"), 0.1);
}

TEST(Config, MisspeltKeySuggestsTheClosestKey) {
  const Schema schema = example_schema();
  const auto error = config_error([&] { Config::load_string("model:\n  mpl: [4, 2]\n", schema, "typo.yaml"); });
  EXPECT_EQ(error.file(), "typo.yaml");
  EXPECT_EQ(error.key(), "model.mpl");
  EXPECT_TRUE(contains(error.what(), "did you mean 'model.mlp'")) << error.what();
  const auto lr = config_error([&] { Config::load_string("train:\n  lrr: 0.1\n", schema); });
  EXPECT_TRUE(contains(lr.what(), "'train.lr'")) << lr.what();
  const auto far = config_error([&] { Config::load_string("zzzzzzzz: 1\n", schema); });
  EXPECT_FALSE(contains(far.what(), "did you mean")) << far.what();
  EXPECT_TRUE(contains(far.what(), "zzzzzzzz")) << far.what();
}

TEST(Config, WrongTypesNameKeyAndValue) {
  const Schema schema = example_schema();
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"seed: abc\n", "seed"},          {"seed: 1.5\n", "seed"},
      {"model:\n  bias: yes\n", "model.bias"}, {"train:\n  lr: [1]\n", "train.lr"},
      {"model:\n  mlp: 5\n", "model.mlp"},     {"model:\n  mlp: {a: 1}\n", "model.mlp"},
      {"model: 3\n", "model"},          {"train:\n  lr: .nan\n", "train.lr"},
      {"seed: 99999999999999999999999\n", "seed"}};
  for (const auto& [text, key] : cases) {
    const auto error = config_error([&] { Config::load_string(text, schema, "t.yaml"); });
    EXPECT_EQ(error.key(), key) << text;
    EXPECT_TRUE(contains(error.what(), "expected")) << error.what();
  }
  const auto error = config_error([&] { Config::load_string("seed: abc\n", schema, "t.yaml"); });
  EXPECT_EQ(std::string(error.what()), "t.yaml: key 'seed' = 'abc': expected an integer");
}

TEST(Config, RangesLengthsAndChoices) {
  const Schema schema = example_schema();
  auto error = config_error([&] { Config::load_string("seed: -1\n", schema); });
  EXPECT_TRUE(contains(error.what(), ">= 0")) << error.what();
  error = config_error([&] { Config::load_string("train:\n  lr: 0\n", schema); });
  EXPECT_TRUE(contains(error.what(), "> 0")) << error.what();
  error = config_error([&] { Config::load_string("model:\n  mlp: [784]\n", schema); });
  EXPECT_TRUE(contains(error.what(), "at least 2")) << error.what();
  error = config_error([&] { Config::load_string("model:\n  mlp: [784, 0, 10]\n", schema); });
  EXPECT_EQ(error.key(), "model.mlp[1]");
  EXPECT_EQ(error.value(), "0");
  error = config_error([&] { Config::load_string("model:\n  mlp: [784, x, 10]\n", schema); });
  EXPECT_EQ(error.key(), "model.mlp[1]");
  error = config_error([&] { Config::load_string("train:\n  decay: [0.5, 1.5]\n", schema); });
  EXPECT_EQ(error.key(), "train.decay[1]");
  error = config_error([&] { Config::load_string("model:\n  activation: sigmoid\n", schema); });
  EXPECT_TRUE(contains(error.what(), "sigmoid")) << error.what();
  EXPECT_TRUE(contains(error.what(), "relu, tanh, identity")) << error.what();
}

TEST(Config, OverridesAreValidatedAndNameTheCommandLine) {
  const Schema schema = example_schema();
  Config config = Config::defaults(schema);
  auto error = config_error([&] { config.set_override("train.lrr=0.1"); });
  EXPECT_EQ(error.file(), "<command line>");
  EXPECT_TRUE(contains(error.what(), "'train.lr'")) << error.what();
  error = config_error([&] { config.set_override("seed=x"); });
  EXPECT_EQ(error.key(), "seed");
  error = config_error([&] { config.set_override("no_equals_sign"); });
  EXPECT_TRUE(contains(error.what(), "key=value")) << error.what();
}

TEST(Config, RequiredKeysMustBePresent) {
  Schema schema = example_schema();
  schema.add_required_string("run.name", "name of the run");
  const auto error = config_error([&] { Config::load_string("seed: 1\n", schema, "r.yaml"); });
  EXPECT_EQ(error.key(), "run.name");
  EXPECT_TRUE(contains(error.what(), "required")) << error.what();
  EXPECT_EQ(Config::load_string("run:\n  name: x\n", schema).get_string("run.name"), "x");
}

TEST(Config, MissingFileAndSyntaxErrorsNameTheFile) {
  const Schema schema = example_schema();
  try {
    Config::load_file("/nonexistent/c.yaml", schema);
    FAIL();
  } catch (const IoError& error) {
    EXPECT_TRUE(contains(error.what(), "/nonexistent/c.yaml"));
  }
  const auto path = std::filesystem::temp_directory_path() / "hesscov_bad_syntax.yaml";
  std::ofstream(path) << "model:\n  mlp: [1, 2\n";
  try {
    Config::load_file(path.string(), schema);
    FAIL();
  } catch (const IoError& error) {
    EXPECT_TRUE(contains(error.what(), path.string()));
    EXPECT_TRUE(contains(error.what(), "line")) << error.what();
  }
  std::filesystem::remove(path);
}

TEST(Config, GettersRejectUndeclaredKeysAndWrongTypes) {
  const Schema schema = example_schema();
  const Config config = Config::defaults(schema);
  EXPECT_THROW((void)config.get_int("nope"), Error);
  EXPECT_THROW((void)config.get_int("train.lr"), Error);
  EXPECT_NO_THROW((void)config.get_string("model.activation"));  // a choice reads as a string
}

TEST(Config, SemanticErrorCarriesFileKeyAndValue) {
  const Schema schema = example_schema();
  const Config config = Config::load_string("model:\n  mlp: [100, 10]\n", schema, "m.yaml");
  const ConfigError error = config.error("model.mlp", "784 inputs first");
  EXPECT_EQ(std::string(error.what()), "m.yaml: key 'model.mlp' = '[100, 10]': expected 784 inputs first");
}

TEST(Config, CanonicalTextIsSortedTypedAndComplete) {
  const Schema schema = example_schema();
  const Config config = Config::load_string("train:\n  lr: 1e-1\nmodel:\n  mlp: [784,   50]\n", schema);
  EXPECT_EQ(config.canonical_text({}),
            "data.path=/usr/share/datasets/fashion-mnist\n"
            "model.activation=relu\n"
            "model.bias=false\n"
            "model.mlp=[784,50]\n"
            "probe.blocks=[fc2.weight]\n"
            "seed=0\n"
            "train.decay=[0.5]\n"
            "train.lr=0.1\n");
  EXPECT_EQ(config.canonical_text({"data.path", "probe.blocks", "train.decay", "model.activation"}),
            "model.bias=false\nmodel.mlp=[784,50]\nseed=0\ntrain.lr=0.1\n");
}

TEST(Config, CanonicalTextIgnoresHowValuesWereWritten) {
  const Schema schema = example_schema();
  const std::string a = Config::load_string("seed: 7\ntrain: {lr: 0.1, decay: [0.5, 1]}\nmodel: {mlp: [784, 50]}\n",
                                            schema).canonical_text({});
  const std::string b = Config::load_string("model:\n  mlp: [784,50]\ntrain:\n  decay: [5e-1, 1.0]\n  lr: 0.10\nseed: +7\n",
                                            schema).canonical_text({});
  EXPECT_EQ(a, b);
  EXPECT_TRUE(contains(a, "train.decay=[0.5,1]\n")) << a;
  const std::string c = Config::load_string("seed: 7\ntrain: {lr: 0.1000001, decay: [0.5, 1]}\nmodel: {mlp: [784, 50]}\n",
                                            schema).canonical_text({});
  EXPECT_NE(a, c);
  EXPECT_TRUE(contains(c, "train.lr=0.1000001\n")) << c;
}

TEST(Config, CanonicalTextQuotesUnsafeStrings) {
  const Schema schema = example_schema();
  Config config = Config::defaults(schema);
  config.set_override("data.path", "\"a b,c\"");
  EXPECT_TRUE(contains(config.canonical_text({}), "data.path=\"a b,c\"\n")) << config.canonical_text({});
  config.set_value("data.path", YAML::Node(std::string("say \"x\"\\\n\x01")), "t.yaml");
  EXPECT_TRUE(contains(config.canonical_text({}), "data.path=\"say \\\"x\\\"\\\\\\n\\x01\"\n"))
      << config.canonical_text({});
  config.set_value("data.path", YAML::Node(std::string()), "t.yaml");
  EXPECT_TRUE(contains(config.canonical_text({}), "data.path=\"\"\n")) << config.canonical_text({});
  config.set_override("probe.blocks=[fc1.weight, \"a]b\"]");
  EXPECT_TRUE(contains(config.canonical_text({}), "probe.blocks=[fc1.weight,\"a]b\"]\n")) << config.canonical_text({});
  config.set_override("train.lr=1e-10");
  EXPECT_TRUE(contains(config.canonical_text({}), "train.lr=1e-10\n")) << config.canonical_text({});
}

TEST(Config, LoadNodePrefixesEveryKeyItNames) {
  const Schema schema = example_schema();
  const Config config = Config::load_node(YAML::Load("train: {lr: 0.5}\nseed: 4\n"), schema, "s.yaml", "base.");
  EXPECT_DOUBLE_EQ(config.get_double("train.lr"), 0.5);
  EXPECT_EQ(config.file(), "s.yaml");
  auto error = config_error([&] { Config::load_node(YAML::Load("model:\n  mpl: [4, 2]\n"), schema, "s.yaml", "base."); });
  EXPECT_EQ(error.file(), "s.yaml");
  EXPECT_EQ(error.key(), "base.model.mpl");
  EXPECT_TRUE(contains(error.what(), "did you mean 'model.mlp'")) << error.what();
  error = config_error([&] { Config::load_node(YAML::Load("model: {mlp: [4, x]}"), schema, "s.yaml", "base."); });
  EXPECT_EQ(error.key(), "base.model.mlp[1]");
  error = config_error([&] { Config::load_node(YAML::Load("[1, 2]"), schema, "s.yaml", "base."); });
  EXPECT_EQ(error.key(), "base");
}

TEST(Config, SetValueNamesTheGivenLocation) {
  const Schema schema = example_schema();
  Config config = Config::defaults(schema);
  config.set_value("model.mlp", YAML::Load("[10, 3]"), "s.yaml", "grid.model.mlp[0]");
  EXPECT_EQ(config.get_int_list("model.mlp"), (std::vector<std::int64_t>{10, 3}));
  EXPECT_TRUE(config.is_set("model.mlp"));
  auto error = config_error([&] { config.set_value("train.lr", YAML::Node("fast"), "s.yaml", "grid.train.lr[1]"); });
  EXPECT_EQ(std::string(error.what()), "s.yaml: key 'grid.train.lr[1]' = 'fast': expected a number");
  error = config_error([&] { config.set_value("model.mlp", YAML::Load("[10, 0]"), "s.yaml", "set.model.mlp"); });
  EXPECT_EQ(error.key(), "set.model.mlp[1]");
  error = config_error([&] { config.set_value("train.lrr", YAML::Node(1), "s.yaml", "set.train.lrr"); });
  EXPECT_EQ(error.key(), "set.train.lrr");
  EXPECT_TRUE(contains(error.what(), "did you mean 'train.lr'")) << error.what();
  error = config_error([&] { config.set_value("seed", YAML::Node(-1), "s.yaml"); });
  EXPECT_EQ(error.key(), "seed");
  EXPECT_EQ(error.file(), "s.yaml");
}

TEST(Schema, HelpListsEveryKey) {
  const Schema schema = example_schema();
  const std::string help = schema.help();
  for (const auto& key : schema.keys()) EXPECT_TRUE(contains(help, key.path)) << key.path;
  EXPECT_TRUE(contains(help, "one of relu, tanh, identity"));
}

}  // namespace
}  // namespace hesscov::core
