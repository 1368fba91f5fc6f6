#include "spectral/solve_timings.hpp"

#include <slepcbv.h>
#include <slepcds.h>
#include <slepceps.h>

#include <array>

#include "operators/petsc_check.hpp"

namespace hesscov::spectral {
namespace {

constexpr std::array kEvents{"EPSSolve", "MatMult", "BVOrthogonalizeV", "BVOrthogonalize",
                             "DSSolve",  "DSVectors", "DSOther"};

}  // namespace

EventSnapshot::EventSnapshot() {
  PetscBool active = PETSC_FALSE;
  HC_PETSC(PetscLogIsActive(&active));
  if (!active) HC_PETSC(PetscLogDefaultBegin());
  // SLEPc registers its events when a package is first used: register them all up front so every
  // name resolves even before the first solve.
  HC_PETSC(MatInitializePackage());
  HC_PETSC(BVInitializePackage());
  HC_PETSC(DSInitializePackage());
  HC_PETSC(EPSInitializePackage());
  for (const char* name : kEvents) {
    PetscLogEvent event = 0;
    HC_PETSC(PetscLogEventGetId(name, &event));
    PetscEventPerfInfo info{};
    HC_PETSC(PetscLogEventGetPerfInfo(PETSC_DETERMINE, event, &info));
    events_[name] = {info.time, static_cast<long long>(info.count)};
  }
}

SolveTimings EventSnapshot::since(const EventSnapshot& earlier) const {
  auto delta = [&](const char* name) {
    const auto now = events_.find(name);
    if (now == events_.end()) return Totals{};
    const auto before = earlier.events_.find(name);
    if (before == earlier.events_.end()) return now->second;
    return Totals{now->second.seconds - before->second.seconds, now->second.calls - before->second.calls};
  };
  SolveTimings timings;
  timings.solve = delta("EPSSolve").seconds;
  timings.products = delta("MatMult").seconds;
  timings.product_calls = delta("MatMult").calls;
  timings.orthogonalize_columns = delta("BVOrthogonalizeV").seconds;
  timings.orthogonalize_blocks = delta("BVOrthogonalize").seconds;
  timings.projected = delta("DSSolve").seconds + delta("DSVectors").seconds + delta("DSOther").seconds;
  timings.basis = timings.solve - timings.products - timings.projected;
  return timings;
}

}  // namespace hesscov::spectral
