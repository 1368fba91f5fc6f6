#include "comm/communicator.hpp"

#include <algorithm>
#include <climits>
#include <utility>

#include "core/error.hpp"

namespace hesscov::comm {

Communicator::Communicator(MPI_Comm comm, bool owned) : comm_(comm), owned_(owned) {
  HC_MPI(MPI_Comm_rank(comm_, &rank_));
  HC_MPI(MPI_Comm_size(comm_, &size_));
}

Communicator Communicator::borrow(MPI_Comm comm) { return Communicator(comm, false); }

Communicator::Communicator(Communicator&& other) noexcept
    : comm_(std::exchange(other.comm_, MPI_COMM_NULL)), owned_(std::exchange(other.owned_, false)),
      rank_(other.rank_), size_(other.size_) {}

Communicator& Communicator::operator=(Communicator&& other) noexcept {
  if (this != &other) {
    Communicator old(std::move(*this));
    comm_ = std::exchange(other.comm_, MPI_COMM_NULL);
    owned_ = std::exchange(other.owned_, false);
    rank_ = other.rank_;
    size_ = other.size_;
  }
  return *this;
}

Communicator::~Communicator() {
  if (owned_ && comm_ != MPI_COMM_NULL) MPI_Comm_free(&comm_);  // destructors never throw
}

Communicator Communicator::split(int color, int key) const {
  MPI_Comm part = MPI_COMM_NULL;
  HC_MPI(MPI_Comm_split(comm_, color, key, &part));
  return Communicator(part, true);
}

void Communicator::allreduce_sum(double* values, index count) const {
  // MPI counts are int: reduce in chunks so vectors beyond 2^31 entries work too.
  for (index done = 0; done < count;) {
    const index chunk = std::min<index>(count - done, INT_MAX);
    HC_MPI(MPI_Allreduce(MPI_IN_PLACE, values + done, static_cast<int>(chunk), MPI_DOUBLE, MPI_SUM,
                         comm_));
    done += chunk;
  }
}

double Communicator::allreduce_sum(double value) const {
  allreduce_sum(&value, 1);
  return value;
}

index Communicator::allreduce_sum(index value) const {
  long long total = 0, local = value;
  HC_MPI(MPI_Allreduce(&local, &total, 1, MPI_LONG_LONG, MPI_SUM, comm_));
  return static_cast<index>(total);
}

void Communicator::barrier() const { HC_MPI(MPI_Barrier(comm_)); }

Range block_partition(index count, int rank, int size) {
  const index base = count / size, extra = count % size;
  const index begin = rank * base + std::min<index>(rank, extra);
  return {begin, begin + base + (rank < extra ? 1 : 0)};
}

}  // namespace hesscov::comm
