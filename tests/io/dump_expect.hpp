#pragma once
// Test helper: compares two Dumps object by object, so that a failure names the path that differs.
#include <gtest/gtest.h>

#include <cmath>
#include <typeinfo>

#include "core/error.hpp"
#include "h5_dump.hpp"

namespace hesscov::testing {

inline std::vector<std::string> keys_of(const std::map<std::string, Values>& entries) {
  std::vector<std::string> keys;
  for (const auto& [key, value] : entries) keys.push_back(key);
  return keys;
}

/// Same groups, datasets and attributes (nothing missing, nothing extra), each exactly equal.
/// fp64 values are compared bit for bit (so -0.0 differs from 0.0).
inline void expect_same_dump(const Dump& actual, const Dump& expected) {
  EXPECT_EQ(actual.groups, expected.groups);
  EXPECT_EQ(keys_of(actual.datasets), keys_of(expected.datasets));
  EXPECT_EQ(keys_of(actual.attributes), keys_of(expected.attributes));
  const auto same = [](const Values& a, const Values& b) {
    if (!(a == b)) return false;
    for (size_t at = 0; at < a.numbers.size(); ++at)
      if (std::signbit(a.numbers[at]) != std::signbit(b.numbers[at])) return false;
    return true;
  };
  for (const auto& [path, values] : expected.datasets)
    if (actual.datasets.contains(path)) EXPECT_TRUE(same(actual.datasets.at(path), values)) << "dataset " << path;
  for (const auto& [key, values] : expected.attributes)
    if (actual.attributes.contains(key)) EXPECT_TRUE(same(actual.attributes.at(key), values)) << "attribute " << key;
}

/// Runs f, expects an exception of exactly type E, and returns its message ("" when none came).
template <class E, class F>
std::string error_message(F&& f) {
  try {
    f();
  } catch (const core::Error& error) {
    EXPECT_EQ(typeid(error), typeid(E)) << error.what();
    return error.what();
  }
  ADD_FAILURE() << "no exception";
  return "";
}

}  // namespace hesscov::testing
