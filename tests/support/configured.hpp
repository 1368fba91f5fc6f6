#pragma once
// A model and its training set built the way a run builds them (core::Config with the job schema
// and the align keys -> data::load_dataset -> nn::make_model on the CPU backend), with the data as
// the host references need it: inputs, and the targets every product sees (label-smoothed per
// model.label_smoothing). Tests rebuild a command's problem from its config with it.
#include <gtest/gtest.h>

#include <memory>
#include <typeinfo>
#include <string>

#include "apps/eig_stage.hpp"
#include "apps/run_setup.hpp"
#include "backend/backend.hpp"
#include "core/config.hpp"
#include "data/data_config.hpp"
#include "nn/model_config.hpp"
#include "support/reference.hpp"

namespace hesscov::testing {

inline core::Schema configured_schema() {
  core::Schema schema = apps::job_schema();
  apps::add_align_keys(schema);
  return schema;
}

struct Configured {
  explicit Configured(const std::string& yaml, const std::string& file = "configured.yaml")
      : schema(configured_schema()),
        config(core::Config::load_string(yaml, schema, file)),
        dataset(data::load_dataset(config)),
        model(nn::make_model(backend::make_cpu_backend(), config,
                             {dataset.channels, dataset.height, dataset.width}, dataset.num_classes)) {
    data.inputs = dataset.inputs;
    data.targets = apps::loss_targets(config, dataset);
    data.samples = dataset.count;
  }
  core::Schema schema;  // before config, which refers to it
  core::Config config;
  data::Dataset dataset;
  std::unique_ptr<nn::Model> model;
  SyntheticData data;
};

/// The ConfigError that loading `yaml`, its data and its model raises: exactly that type, with a
/// message naming the key; returns the key.
inline std::string config_error_key(const std::string& yaml) {
  try {
    Configured configured(yaml);
    ADD_FAILURE() << "no error for " << yaml;
  } catch (const core::Error& error) {
    EXPECT_EQ(typeid(error), typeid(core::ConfigError)) << error.what();
    if (const auto* config_error = dynamic_cast<const core::ConfigError*>(&error)) {
      EXPECT_NE(std::string(error.what()).find(config_error->key()), std::string::npos) << error.what();
      return config_error->key();
    }
  }
  return "";
}

}  // namespace hesscov::testing
