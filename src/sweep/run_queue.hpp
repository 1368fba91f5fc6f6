#pragma once
// Dynamic hand-out of a sweep's runs to communicator groups: a shared counter on world rank 0,
// read and incremented with one atomic MPI_Fetch_and_op by each group's leader, so a group that
// finishes early takes the next run and no rank is spent as a dispatcher.
#include <mpi.h>

#include "backend/types.hpp"
#include "comm/communicator.hpp"

namespace hesscov::sweep {

class RunQueue {
 public:
  /// A queue of the positions 0 .. count-1. Collective over `world` (creates the MPI window);
  /// `world` must outlive the queue.
  RunQueue(const comm::Communicator& world, index count);
  RunQueue(const RunQueue&) = delete;
  RunQueue& operator=(const RunQueue&) = delete;
  /// Frees the window: collective over `world`, so every rank must leave its loop first.
  ~RunQueue();

  /// The next position for `group` (`count` when none is left): its rank 0 takes one from the
  /// counter, the others receive it. Collective over `group`.
  [[nodiscard]] index next(const comm::Communicator& group);

  /// The number of positions. Local.
  [[nodiscard]] index count() const noexcept { return count_; }

 private:
  const comm::Communicator& world_;
  index count_;
  long long* counter_ = nullptr;  ///< the window's memory (on world rank 0; empty elsewhere)
  MPI_Win window_ = MPI_WIN_NULL;
};

}  // namespace hesscov::sweep
