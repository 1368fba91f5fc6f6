#pragma once
// Test fixture shared by the spec and expansion tests: a fresh folder per test holding base.yaml,
// the job schema, and helpers to write spec files into the folder.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "apps/eig_stage.hpp"
#include "apps/run_setup.hpp"
#include "core/schema.hpp"

namespace hesscov::testing {

class SpecFolder : public ::testing::Test {
 protected:
  /// `prefix` names the folder; `base` is the text of base.yaml.
  SpecFolder(std::string prefix, std::string base) : prefix_(std::move(prefix)), base_(std::move(base)) {}

  void SetUp() override {
    const auto* test = ::testing::UnitTest::GetInstance()->current_test_info();
    root_ = std::filesystem::temp_directory_path() /
            (prefix_ + std::string(test->name()) + "_" + std::to_string(::getpid()));
    std::filesystem::remove_all(root_);
    std::filesystem::create_directories(root_);
    write("base.yaml", base_);
    schema_ = apps::job_schema();
    apps::add_align_keys(schema_);
  }
  void TearDown() override { std::filesystem::remove_all(root_); }

  /// Writes `text` to `name` inside the folder (creating sub-folders); returns its path.
  std::string write(const std::string& name, const std::string& text) const {
    const std::filesystem::path path = root_ / name;
    std::filesystem::create_directories(path.parent_path());
    std::ofstream(path) << text;
    return path.string();
  }
  /// A valid base and output, to which a case adds its own keys.
  [[nodiscard]] std::string head() const { return "base: base.yaml\noutput: " + (root_ / "out").string() + "\n"; }

  std::filesystem::path root_;
  core::Schema schema_;

 private:
  std::string prefix_, base_;
};

}  // namespace hesscov::testing
