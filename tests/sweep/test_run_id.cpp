// Run ids: FNV-1a known answers, and ids that follow the resolved values, not how they were written.
#include <gtest/gtest.h>

#include "apps/eig_stage.hpp"
#include "apps/run_setup.hpp"
#include "core/config.hpp"
#include "sweep/run_id.hpp"

namespace hesscov::sweep {
namespace {

core::Schema full_schema() {
  core::Schema schema = apps::job_schema();
  apps::add_align_keys(schema);
  return schema;
}

TEST(RunId, Fnv1aKnownAnswers) {
  // Published 64-bit FNV-1a test vectors (Fowler/Noll/Vo reference code).
  EXPECT_EQ(fnv1a_64(""), 0xcbf29ce484222325ULL);
  EXPECT_EQ(fnv1a_64("a"), 0xaf63dc4c8601ec8cULL);
  EXPECT_EQ(fnv1a_64("foobar"), 0x85944171f73967e8ULL);
}

TEST(RunId, HexIsSixteenLowercaseDigits) {
  EXPECT_EQ(hex16(0), "0000000000000000");
  EXPECT_EQ(hex16(0x1ULL), "0000000000000001");
  EXPECT_EQ(hex16(0xABCDEF0123456789ULL), "abcdef0123456789");
  // Golden ids: these must never change, or archives written earlier lose their names.
  EXPECT_EQ(run_id_of_text("seed=1\n"), "0afea67c08db1dd4");
  EXPECT_EQ(run_id_of_text("seed=0\ntrain.lr=0.1\n"), "c20a7c2d545f3f0f");
}

TEST(RunId, SmallSchemaIdIsTheHashOfItsCanonicalText) {
  core::Schema schema;
  schema.add_int("seed", 0, "seed");
  schema.add_double("train.lr", 0.5, "lr");
  schema.add_string("train.output", "results/run", "where checkpoints go");
  const core::Config config = core::Config::load_string("train: {lr: 1e-1}\n", schema);
  EXPECT_EQ(run_canonical_text(config), "seed=0\ntrain.lr=0.1\n");
  EXPECT_EQ(run_id(config), "c20a7c2d545f3f0f");
}

TEST(RunId, ExcludedKeysAreTheDocumentedOnes) {
  const std::set<std::string> expected = {"train.output",     "train.resume",   "eig.output",  "eig.checkpoint",
                                          "align.output",     "align.checkpoints", "eig.batch_size",
                                          "align.batch_size", "align.chunk",    "probe.batch_size"};
  EXPECT_EQ(run_id_excluded_keys(), expected);
  const core::Schema schema = full_schema();
  for (const auto& key : expected) EXPECT_NE(schema.find(key), nullptr) << key << " is not a job config key";
  const std::string text = run_canonical_text(core::Config::defaults(schema));
  for (const auto& key : expected) EXPECT_EQ(text.find("\n" + key + "="), std::string::npos) << key;
  EXPECT_NE(text.find("\ntrain.lr="), std::string::npos);
}

TEST(RunId, StableAcrossFormattingAndKeyOrder) {
  const core::Schema schema = full_schema();
  const core::Config a = core::Config::load_string(
      "seed: 3\ntrain:\n  lr: 0.1\n  epochs: 5\nmodel:\n  mlp: [784, 50, 10]\n", schema, "a.yaml");
  const core::Config b = core::Config::load_string(
      "model: {mlp: [784,50,10]}\ntrain.epochs: 5\ntrain: {lr: 1e-1}\nseed: 3\n", schema, "b.yaml");
  EXPECT_EQ(run_id(a), run_id(b));
  EXPECT_EQ(run_canonical_text(a), run_canonical_text(b));
  EXPECT_EQ(run_id(a).size(), 16U);
  EXPECT_EQ(run_id(a).find_first_not_of("0123456789abcdef"), std::string::npos) << run_id(a);
  EXPECT_EQ(run_id(a), hex16(fnv1a_64(run_canonical_text(a))));
}

TEST(RunId, FollowsResultValuesOnly) {
  const core::Schema schema = full_schema();
  const std::string base = "seed: 3\ntrain:\n  lr: 0.1\n";
  const std::string id = run_id(core::Config::load_string(base, schema));
  for (const std::string& changed : {"train.lr=0.2", "seed=4", "model.loss=mse", "model.mlp=[784, 50, 50, 3]",
                                     "eig.nev=21", "align.suppression=true", "data.path=/tmp/other"}) {
    core::Config config = core::Config::load_string(base, schema);
    config.set_override(changed);
    EXPECT_NE(run_id(config), id) << changed;
  }
  for (const std::string& excluded : {"train.output=elsewhere", "eig.batch_size=7", "align.chunk=3",
                                      "probe.batch_size=9", "align.output=x.h5", "train.resume=r.h5",
                                      "align.checkpoints=[a.h5]", "eig.checkpoint=c.h5"}) {
    core::Config config = core::Config::load_string(base, schema);
    config.set_override(excluded);
    EXPECT_EQ(run_id(config), id) << excluded;
  }
}

}  // namespace
}  // namespace hesscov::sweep
