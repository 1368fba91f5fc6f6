#pragma once
// The run's communicator (STYLE.md: owned objects, never MPI_COMM_WORLD below apps/sweep).
#include <mpi.h>

#include "backend/types.hpp"

namespace hesscov::comm {

/// Wraps an MPI communicator. Built from an existing communicator without owning it (the world
/// communicator from main), or owning one it split off, which it frees on destruction.
class Communicator {
 public:
  /// Non-owning view of `comm` (which must outlive this object).
  static Communicator borrow(MPI_Comm comm);
  Communicator(const Communicator&) = delete;
  Communicator& operator=(const Communicator&) = delete;
  Communicator(Communicator&& other) noexcept;
  Communicator& operator=(Communicator&& other) noexcept;
  ~Communicator();

  /// A new communicator of the ranks with the same `color`, ordered by `key` (collective).
  [[nodiscard]] Communicator split(int color, int key) const;

  [[nodiscard]] int rank() const noexcept { return rank_; }
  [[nodiscard]] int size() const noexcept { return size_; }
  [[nodiscard]] MPI_Comm get() const noexcept { return comm_; }

  /// In-place sum over ranks of `count` host doubles (collective). Every rank gets the same bits:
  /// MPI's reduction order is fixed for a given communicator size.
  void allreduce_sum(double* values, index count) const;
  /// Sum over ranks of one value (collective).
  [[nodiscard]] double allreduce_sum(double value) const;
  [[nodiscard]] index allreduce_sum(index value) const;
  void barrier() const;

 private:
  Communicator(MPI_Comm comm, bool owned);
  MPI_Comm comm_ = MPI_COMM_NULL;
  bool owned_ = false;
  int rank_ = 0, size_ = 1;
};

/// [begin, end) of the part of `count` items that `rank` of `size` holds: contiguous, in rank
/// order, sizes differing by at most one (the first count % size ranks get one more).
struct Range {
  index begin = 0, end = 0;
  [[nodiscard]] index size() const noexcept { return end - begin; }
};
Range block_partition(index count, int rank, int size);

}  // namespace hesscov::comm
