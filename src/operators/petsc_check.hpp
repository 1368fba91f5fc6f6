#pragma once
// Every PETSc/SLEPc call goes through HC_PETSC: a non-zero PetscErrorCode becomes a PetscFailure
// carrying PETSc's own message and the call that failed.
#include <petscsys.h>

#include <source_location>
#include <string>

#include "core/error.hpp"

namespace hesscov::operators {

class PetscFailure : public core::Error {
 public:
  using core::Error::Error;
};

inline void check_petsc(PetscErrorCode code, const char* call,
                        std::source_location where = std::source_location::current()) {
  if (code == 0) return;
  const char* text = nullptr;
  PetscErrorMessage(code, &text, nullptr);
  throw PetscFailure(std::string(call) + " failed with PETSc error " + std::to_string(int(code)) +
                       (text != nullptr ? std::string(": ") + text : std::string()),
                   where);
}

}  // namespace hesscov::operators

#define HC_PETSC(call) ::hesscov::operators::check_petsc((call), #call)
