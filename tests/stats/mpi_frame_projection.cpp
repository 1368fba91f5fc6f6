// stats::project: F^T x for replicated vectors against a frame sharded by rows, at 1, 2 and 3
// ranks, against explicit dot products with the gathered frame; empty shards (more ranks than
// rows) and no vectors work.
#include <gtest/gtest.h>
#include <mpi.h>

#include <cmath>

#include "comm/communicator.hpp"
#include "stats/frame.hpp"
#include "support/reference.hpp"

namespace hesscov::stats {
namespace {

TEST(FrameProjection, EqualsDotProductsWithTheGatheredFrame) {
  const auto world = comm::Communicator::borrow(MPI_COMM_WORLD);
  for (const index rows : {2, 37}) {
    const index k = std::min<index>(rows, 5);
    const Frame frame = haar_frame(world, rows, k, 11, 3);  // rows split over the ranks, some maybe empty
    const auto gathered = gather_columns(world, frame, 0, k);  // column-major [rows x k] on every rank
    std::vector<testing::Vector> xs;
    for (std::uint64_t v = 0; v < 3; ++v) xs.push_back(testing::random_vector(rows, 100 + v));
    const auto projected = project(world, frame, {xs[0].data(), xs[1].data(), xs[2].data()});
    ASSERT_EQ(projected.size(), static_cast<size_t>(3 * k));
    for (index v = 0; v < 3; ++v)
      for (index j = 0; j < k; ++j) {
        double dot = 0.0;
        for (index i = 0; i < rows; ++i) dot += gathered[j * rows + i] * xs[v][i];
        EXPECT_NEAR(projected[v * k + j], dot, 1e-13) << "rows " << rows << " vector " << v << " column " << j;
      }
    EXPECT_TRUE(project(world, frame, {}).empty());
  }
}

}  // namespace
}  // namespace hesscov::stats
