#include "sweep/stop_signal.hpp"

#include <mpi.h>

#include "core/error.hpp"

namespace hesscov::sweep {
namespace {

// A signal handler may only store into a lock-free atomic or a volatile sig_atomic_t.
volatile std::sig_atomic_t signalled = 0;

extern "C" void on_stop_signal(int number) {
  if (signalled == 0) signalled = number;
}

}  // namespace

void install_stop_handlers() {
  struct sigaction action {};
  action.sa_handler = on_stop_signal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;  // system calls in MPI and HDF5 continue instead of failing with EINTR
  for (const int number : {SIGTERM, SIGUSR1, SIGINT})
    HC_CHECK(sigaction(number, &action, nullptr) == 0, core::Error,
             "cannot install the handler for signal " + std::to_string(number));
}

bool stop_signalled() noexcept { return signalled != 0; }

void request_stop() noexcept {
  if (signalled == 0) signalled = SIGUSR1;
}

int stop_signal_number() noexcept { return signalled; }

bool stop_agreed(const comm::Communicator& comm) {
  int local = stop_signalled() ? 1 : 0, any = 0;
  HC_MPI(MPI_Allreduce(&local, &any, 1, MPI_INT, MPI_MAX, comm.get()));
  return any != 0;
}

}  // namespace hesscov::sweep
