#pragma once
// Timing one collective operation the way every bench suite does: one warm-up (caches, BLAS
// threads, and the work count), then `repeat` timed runs, each after a barrier, the slowest rank's
// time counting; best and median reported.
#include <functional>

#include "bench/counting_backend.hpp"
#include "comm/communicator.hpp"

namespace hesscov::bench {

struct Timing {
  double best = 0.0, median = 0.0;  ///< seconds, slowest rank
  WorkCount work;                   ///< of one run, summed over the ranks (zero without a counter)
};

/// Times `run` (which returns a value whose NaN would mean a broken operation, not a slow one:
/// core::Error). `counter` may be null. Collective over `comm`.
Timing time_collective(const comm::Communicator& comm, const CountingBackend* counter, index repeat,
                       const std::function<double()>& run);

}  // namespace hesscov::bench
