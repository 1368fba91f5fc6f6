#pragma once
// The shared case registry of the engine tests (curvlinops' pattern): every activation, loss and
// bias setting, with readable test names.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "nn/activation.hpp"

namespace hesscov::testing {

struct EngineCase {
  nn::ActivationKind activation;
  std::string loss;
  bool bias;
};

inline std::vector<EngineCase> all_engine_cases() {
  std::vector<EngineCase> cases;
  for (auto activation : {nn::ActivationKind::relu, nn::ActivationKind::tanh, nn::ActivationKind::identity})
    for (const char* loss : {"cross_entropy", "mse", "softmax_mse"})
      for (bool bias : {false, true}) cases.push_back({activation, loss, bias});
  return cases;
}

inline std::string engine_case_name(const ::testing::TestParamInfo<EngineCase>& info) {
  return nn::to_string(info.param.activation) + "_" + info.param.loss + (info.param.bias ? "_bias" : "_nobias");
}

}  // namespace hesscov::testing
