#pragma once
// SLEPc (and PETSc) initialised once around every test of an MPI test executable that solves
// eigenproblems; include it in one file per executable.
#include <gtest/gtest.h>
#include <slepcsys.h>

#include "operators/petsc_check.hpp"

namespace hesscov::testing {

class SlepcEnvironment : public ::testing::Environment {
 public:
  void SetUp() override { HC_PETSC(SlepcInitializeNoArguments()); }
  void TearDown() override { HC_PETSC(SlepcFinalize()); }
};

}  // namespace hesscov::testing
