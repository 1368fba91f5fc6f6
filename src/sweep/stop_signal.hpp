#pragma once
// Preemption: Slurm sends SIGTERM (or the signal of --signal=USR1@T) some time before it kills a
// job. The handler only records that a stop was asked for; the work checks the request at safe
// points (after an SGD step, inside an eigensolve's iteration, between analyses), where every rank
// of a run agrees on it collectively, writes what it must and returns.
#include <csignal>

#include "comm/communicator.hpp"

namespace hesscov::sweep {

/// Installs the stop handler for SIGTERM, SIGUSR1 and SIGINT, replacing earlier handlers (PETSc's
/// among them, which would abort). Process-wide; call once, after PetscInitialize. Local.
void install_stop_handlers();

/// True once one of those signals reached this process. Local, async-signal-safe to set.
bool stop_signalled() noexcept;

/// Records a stop request as the handler would (for tests and for `--stop-after` style limits).
void request_stop() noexcept;

/// True when the signal reached any rank of `comm`: the decision every rank of a run takes at the
/// same step. Collective (one small allreduce).
bool stop_agreed(const comm::Communicator& comm);

/// The number of the first signal that arrived (0: none), for the log.
int stop_signal_number() noexcept;

}  // namespace hesscov::sweep
