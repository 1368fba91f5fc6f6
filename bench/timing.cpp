#include "bench/timing.hpp"

#include <mpi.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "core/error.hpp"

namespace hesscov::bench {

Timing time_collective(const comm::Communicator& comm, const CountingBackend* counter, index repeat,
                       const std::function<double()>& run) {
  if (counter != nullptr) (void)counter->take();
  double checksum = run();
  Timing timing;
  if (counter != nullptr) {
    const WorkCount local = counter->take();
    double work[2] = {local.flops, local.bytes};
    comm.allreduce_sum(work, 2);
    timing.work = {work[0], work[1]};
  }
  std::vector<double> seconds;
  for (index r = 0; r < repeat; ++r) {
    comm.barrier();
    const double start = MPI_Wtime();
    checksum += run();
    double elapsed = MPI_Wtime() - start;
    HC_MPI(MPI_Allreduce(MPI_IN_PLACE, &elapsed, 1, MPI_DOUBLE, MPI_MAX, comm.get()));
    seconds.push_back(elapsed);
  }
  std::sort(seconds.begin(), seconds.end());
  const size_t middle = seconds.size() / 2;
  timing.best = seconds.front();
  timing.median = seconds.size() % 2 == 1 ? seconds[middle] : 0.5 * (seconds[middle - 1] + seconds[middle]);
  HC_CHECK(!std::isnan(checksum), core::Error, "a benchmarked operation returned NaN");
  if (counter != nullptr) (void)counter->take();
  return timing;
}

}  // namespace hesscov::bench
