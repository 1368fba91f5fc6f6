#pragma once
// Expectations shared by the tests: an error of a given type whose message names something.
#include <gtest/gtest.h>

#include <string>
#include <typeinfo>

#include "core/error.hpp"

namespace hesscov::testing {

/// Runs f, expects an exception of exactly type E whose message contains `word`.
template <class E, class F>
void expect_error_naming(F&& f, const std::string& word) {
  try {
    f();
    ADD_FAILURE() << "no exception, expected one naming " << word;
  } catch (const core::Error& error) {
    EXPECT_EQ(typeid(error), typeid(E)) << error.what();
    EXPECT_NE(std::string(error.what()).find(word), std::string::npos) << error.what();
  }
}

}  // namespace hesscov::testing
