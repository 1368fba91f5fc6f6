// The sweep's run queue and stop signal at 1, 2 and 3 ranks: groups of ranks taking positions from
// the shared counter hand out every position exactly once, and a stop request on one rank is seen
// by every rank of its communicator.
//
// ORDER MATTERS in this file. The stop flag of sweep/stop_signal.hpp is process-global and cannot
// be reset, so the StopSignal tests run in declaration order (GoogleTest's order within a file; do
// not run this executable with --gtest_shuffle, and keep any other mpi_*.cpp of tests/sweep free
// of stop-signal tests): first with no rank signalled, then a raised SIGUSR1 on world rank 0, then
// request_stop() on the last rank, checked over the ranks that rank 0's signal did not reach.
// Each later test checks the state the earlier ones left, so a broken order fails loudly.
#include <gtest/gtest.h>
#include <mpi.h>

#include <algorithm>
#include <csignal>
#include <numeric>
#include <vector>

#include "comm/communicator.hpp"
#include "sweep/run_queue.hpp"
#include "sweep/stop_signal.hpp"

namespace hesscov::sweep {
namespace {

/// How the world is cut into groups: each returns this rank's group colour.
enum class Layout { world, singles, one_and_rest };

int colour(Layout layout, int rank) {
  switch (layout) {
    case Layout::world: return 0;
    case Layout::singles: return rank;                  // 1 rank each
    case Layout::one_and_rest: return rank == 0 ? 0 : 1;  // {0} and {1, ..} (2 ranks at size 3)
  }
  return 0;
}

const char* name(Layout layout) {
  switch (layout) {
    case Layout::world: return "world";
    case Layout::singles: return "singles";
    case Layout::one_and_rest: return "one_and_rest";
  }
  return "?";
}

/// Every position this group took, in the order it took them, then `count` twice more.
std::vector<index> drain(RunQueue& queue, const comm::Communicator& group, std::vector<index>& past_end) {
  std::vector<index> taken;
  for (index position = queue.next(group); position < queue.count(); position = queue.next(group))
    taken.push_back(position);
  past_end = {queue.next(group), queue.next(group)};  // once empty, the queue stays empty
  return taken;
}

TEST(RunQueue, GroupsTakeEveryPositionExactlyOnce) {
  const auto world = comm::Communicator::borrow(MPI_COMM_WORLD);
  for (const Layout layout : {Layout::world, Layout::singles, Layout::one_and_rest}) {
    const comm::Communicator group = world.split(colour(layout, world.rank()), world.rank());
    for (const index count : {0, 1, 7, 50}) {
      RunQueue queue(world, count);
      EXPECT_EQ(queue.count(), count);
      std::vector<index> past_end;
      const std::vector<index> taken = drain(queue, group, past_end);
      SCOPED_TRACE(std::string(name(layout)) + ", count " + std::to_string(count));
      EXPECT_EQ(past_end, (std::vector<index>{count, count}));
      EXPECT_TRUE(std::is_sorted(taken.begin(), taken.end())) << "one counter: a group's positions ascend";

      // Every rank of a group sees its leader's positions.
      long long size = static_cast<long long>(taken.size());
      MPI_Bcast(&size, 1, MPI_LONG_LONG, 0, group.get());
      ASSERT_EQ(static_cast<long long>(taken.size()), size);
      std::vector<long long> leader(taken.begin(), taken.end());
      MPI_Bcast(leader.data(), static_cast<int>(size), MPI_LONG_LONG, 0, group.get());
      EXPECT_EQ(std::vector<long long>(taken.begin(), taken.end()), leader);

      // Over all groups (each counted once, by its leader): 0 .. count-1, each exactly once.
      const std::vector<long long> mine = group.rank() == 0 ? leader : std::vector<long long>{};
      int my_count = static_cast<int>(mine.size());
      std::vector<int> counts(static_cast<size_t>(world.size()));
      MPI_Allgather(&my_count, 1, MPI_INT, counts.data(), 1, MPI_INT, world.get());
      std::vector<int> offsets(counts.size(), 0);
      std::partial_sum(counts.begin(), counts.end() - 1, offsets.begin() + 1);
      std::vector<long long> all(static_cast<size_t>(offsets.back() + counts.back()));
      MPI_Allgatherv(mine.data(), my_count, MPI_LONG_LONG, all.data(), counts.data(), offsets.data(), MPI_LONG_LONG,
                     world.get());
      std::sort(all.begin(), all.end());
      std::vector<long long> expected(static_cast<size_t>(count));
      std::iota(expected.begin(), expected.end(), 0LL);
      EXPECT_EQ(all, expected);
    }
  }
}

TEST(RunQueue, TwoQueuesCountApart) {
  const auto world = comm::Communicator::borrow(MPI_COMM_WORLD);
  const comm::Communicator self = world.split(world.rank(), 0);
  RunQueue first(world, 2 * world.size()), second(world, 3);
  // Every rank takes one from the first queue: the second is untouched by it.
  const index a = first.next(self);
  EXPECT_LT(a, first.count());
  std::vector<index> past;
  const auto taken = drain(second, self, past);
  std::vector<long long> mine(taken.begin(), taken.end());
  int my_count = static_cast<int>(mine.size()), total = 0;
  MPI_Allreduce(&my_count, &total, 1, MPI_INT, MPI_SUM, world.get());
  EXPECT_EQ(total, 3);
  world.barrier();  // both windows are freed collectively at the end of the scope
}

// ---- stop signal: process-global state, the tests below run in this order (see the top) ----

TEST(StopSignal, A_NoRankSignalledMeansNoStop) {
  const auto world = comm::Communicator::borrow(MPI_COMM_WORLD);
  EXPECT_FALSE(stop_signalled());
  EXPECT_EQ(stop_signal_number(), 0);
  EXPECT_FALSE(stop_agreed(world));
}

TEST(StopSignal, B_RaisedSignalIsRecordedByTheHandlerAndAgreedByAll) {
  const auto world = comm::Communicator::borrow(MPI_COMM_WORLD);
  ASSERT_FALSE(stop_signalled()) << "StopSignal.A must run first and leave no signal";
  install_stop_handlers();
  for (const int number : {SIGTERM, SIGUSR1, SIGINT}) {
    struct sigaction current {};
    ASSERT_EQ(sigaction(number, nullptr, &current), 0);
    EXPECT_NE(current.sa_handler, SIG_DFL) << "signal " << number;
    EXPECT_NE(current.sa_handler, SIG_IGN) << "signal " << number;
    EXPECT_NE(current.sa_flags & SA_RESTART, 0) << "signal " << number;
  }
  if (world.rank() == 0) {
    ASSERT_EQ(std::raise(SIGUSR1), 0);
    EXPECT_TRUE(stop_signalled());
    EXPECT_EQ(stop_signal_number(), SIGUSR1);
    // Later signals are caught too (the process lives on) and the first one stays on record.
    ASSERT_EQ(std::raise(SIGTERM), 0);
    ASSERT_EQ(std::raise(SIGINT), 0);
    EXPECT_EQ(stop_signal_number(), SIGUSR1);
  } else {
    EXPECT_FALSE(stop_signalled()) << "the signal went to rank 0 only";
    EXPECT_EQ(stop_signal_number(), 0);
  }
  EXPECT_TRUE(stop_agreed(world));
}

TEST(StopSignal, C_RequestOnTheLastRankIsAgreedByEveryRankOfItsCommunicator) {
  const auto world = comm::Communicator::borrow(MPI_COMM_WORLD);
  const int last = world.size() - 1;
  ASSERT_EQ(stop_signalled(), world.rank() == 0) << "StopSignal.B must run first, signalling rank 0 only";
  // The ranks rank 0's signal did not reach (none at 1 rank).
  const comm::Communicator rest = world.split(world.rank() == 0 ? 0 : 1, world.rank());
  if (world.rank() != 0) EXPECT_FALSE(stop_agreed(rest));
  world.barrier();  // every rank of `rest` has agreed "no stop" before the request
  if (world.rank() == last) {
    request_stop();
    EXPECT_TRUE(stop_signalled());
    EXPECT_EQ(stop_signal_number(), SIGUSR1);  // what request_stop records (rank 0 at 1 rank: its first signal)
  }
  if (world.rank() != 0) {
    EXPECT_TRUE(stop_agreed(rest));
    if (world.rank() != last) EXPECT_FALSE(stop_signalled()) << "only the last rank asked";
  } else {
    EXPECT_TRUE(stop_agreed(rest));  // rank 0 alone: its own signal
  }
  EXPECT_TRUE(stop_agreed(world));
}

}  // namespace
}  // namespace hesscov::sweep
