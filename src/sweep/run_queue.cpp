#include "sweep/run_queue.hpp"

#include <cstdio>

#include "core/error.hpp"

namespace hesscov::sweep {

RunQueue::RunQueue(const comm::Communicator& world, index count) : world_(world), count_(count) {
  const MPI_Aint bytes = world.rank() == 0 ? static_cast<MPI_Aint>(sizeof(long long)) : 0;
  HC_MPI(MPI_Win_allocate(bytes, sizeof(long long), MPI_INFO_NULL, world.get(), &counter_, &window_));
  if (world.rank() == 0) {
    HC_MPI(MPI_Win_lock(MPI_LOCK_EXCLUSIVE, 0, 0, window_));
    *counter_ = 0;
    HC_MPI(MPI_Win_unlock(0, window_));
  }
  world.barrier();  // nobody takes a position before the counter is zero
}

RunQueue::~RunQueue() {
  if (window_ != MPI_WIN_NULL && MPI_Win_free(&window_) != MPI_SUCCESS)
    std::fprintf(stderr, "hesscov: MPI_Win_free of the run queue failed\n");  // destructors never throw
}

index RunQueue::next(const comm::Communicator& group) {
  long long position = 0;
  if (group.rank() == 0) {
    const long long one = 1;
    HC_MPI(MPI_Win_lock(MPI_LOCK_SHARED, 0, 0, window_));
    HC_MPI(MPI_Fetch_and_op(&one, &position, MPI_LONG_LONG, 0, 0, MPI_SUM, window_));
    HC_MPI(MPI_Win_unlock(0, window_));
  }
  HC_MPI(MPI_Bcast(&position, 1, MPI_LONG_LONG, 0, group.get()));
  return std::min<index>(static_cast<index>(position), count_);
}

}  // namespace hesscov::sweep
