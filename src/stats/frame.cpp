#include "stats/frame.hpp"

#include <cblas.h>
#include <mpi.h>

#include <algorithm>
#include <cmath>
#include <string>

#include "core/error.hpp"
#include "core/rng.hpp"

extern "C" void dpotrf_(const char* uplo, const int* n, double* a, const int* lda, int* info);

namespace hesscov::stats {
namespace {

/// F^T F summed over ranks (k x k, column-major; only the upper triangle is meaningful).
std::vector<double> gram(const comm::Communicator& comm, const Frame& frame) {
  const auto k = frame.columns;
  std::vector<double> g(static_cast<size_t>(k * k), 0.0);
  if (frame.row_count > 0)
    cblas_dsyrk(CblasColMajor, CblasUpper, CblasTrans, static_cast<int>(k), static_cast<int>(frame.row_count), 1.0,
                frame.local.data(), static_cast<int>(frame.row_count), 0.0, g.data(), static_cast<int>(k));
  comm.allreduce_sum(g.data(), k * k);
  return g;
}

/// F <- F R^{-1} with R^T R = F^T F: one pass of Cholesky QR. Every rank factors the same reduced
/// Gram matrix, so all hold the same R.
void cholesky_qr_pass(const comm::Communicator& comm, Frame& frame) {
  auto r = gram(comm, frame);
  const int k = static_cast<int>(frame.columns);
  int info = 0;
  dpotrf_("U", &k, r.data(), &k, &info);
  HC_CHECK(info == 0, core::Error,
           "orthonormalising a random frame: Cholesky QR failed (info " + std::to_string(info) +
               "); k = " + std::to_string(k) + " must be well below the dimension " + std::to_string(frame.rows));
  if (frame.row_count > 0)
    cblas_dtrsm(CblasColMajor, CblasRight, CblasUpper, CblasNoTrans, CblasNonUnit, static_cast<int>(frame.row_count), k,
                1.0, r.data(), k, frame.local.data(), static_cast<int>(frame.row_count));
}

}  // namespace

Frame empty_frame(index rows, index columns, index row_begin, index row_count) {
  HC_CHECK(row_begin >= 0 && row_count >= 0 && row_begin + row_count <= rows, core::DimensionMismatch,
           "frame rows [" + std::to_string(row_begin) + ", " + std::to_string(row_begin + row_count) +
               ") outside a dimension of " + std::to_string(rows));
  return {rows, columns, row_begin, row_count, std::vector<double>(static_cast<size_t>(row_count * columns), 0.0)};
}

Frame haar_frame(const comm::Communicator& comm, index rows, index columns, std::uint64_t seed, std::uint64_t draw) {
  HC_CHECK(columns > 0 && columns <= rows, core::DimensionMismatch,
           "a random frame needs 0 < k <= P (k = " + std::to_string(columns) + ", P = " + std::to_string(rows) + ")");
  const auto part = comm::block_partition(rows, comm.rank(), comm.size());
  Frame frame = empty_frame(rows, columns, part.begin, part.size());
  const core::CounterRng rng(seed, "align/haar/" + std::to_string(draw));
  for (index j = 0; j < columns; ++j)
    for (index i = 0; i < frame.row_count; ++i)
      frame.local[static_cast<size_t>(j * frame.row_count + i)] =
          rng.normal(static_cast<std::uint64_t>(j) * static_cast<std::uint64_t>(rows) +
                     static_cast<std::uint64_t>(frame.row_begin + i));
  cholesky_qr_pass(comm, frame);
  cholesky_qr_pass(comm, frame);
  return frame;
}

std::vector<double> gather_columns(const comm::Communicator& comm, const Frame& frame, index first, index count) {
  HC_CHECK(first >= 0 && count >= 0 && first + count <= frame.columns, core::DimensionMismatch,
           "gathering frame columns [" + std::to_string(first) + ", " + std::to_string(first + count) + ") of " +
               std::to_string(frame.columns));
  const int size = comm.size();
  std::vector<int> counts(static_cast<size_t>(size)), offsets(static_cast<size_t>(size));
  const int mine = static_cast<int>(frame.row_count), mine_begin = static_cast<int>(frame.row_begin);
  HC_MPI(MPI_Allgather(&mine, 1, MPI_INT, counts.data(), 1, MPI_INT, comm.get()));
  HC_MPI(MPI_Allgather(&mine_begin, 1, MPI_INT, offsets.data(), 1, MPI_INT, comm.get()));
  std::vector<double> columns(static_cast<size_t>(frame.rows * count));
  for (index j = 0; j < count; ++j)
    HC_MPI(MPI_Allgatherv(frame.column(first + j), mine, MPI_DOUBLE, columns.data() + j * frame.rows, counts.data(),
                          offsets.data(), MPI_DOUBLE, comm.get()));
  return columns;
}

std::vector<double> project(const comm::Communicator& comm, const Frame& frame, const std::vector<const double*>& vectors) {
  const auto count = static_cast<index>(vectors.size()), k = frame.columns, rows = frame.row_count;
  std::vector<double> mine(static_cast<size_t>(rows * count));  // this rank's rows of each x, column-major
  for (index j = 0; j < count; ++j)
    std::copy(vectors[static_cast<size_t>(j)] + frame.row_begin, vectors[static_cast<size_t>(j)] + frame.row_begin + rows,
              mine.begin() + j * rows);
  // Column j of the k x count result is F^T x_j: column-major k x count is row-major count x k.
  std::vector<double> projected(static_cast<size_t>(k * count), 0.0);
  if (rows > 0 && count > 0 && k > 0)
    cblas_dgemm(CblasColMajor, CblasTrans, CblasNoTrans, static_cast<int>(k), static_cast<int>(count),
                static_cast<int>(rows), 1.0, frame.local.data(), static_cast<int>(rows), mine.data(),
                static_cast<int>(rows), 0.0, projected.data(), static_cast<int>(k));
  comm.allreduce_sum(projected.data(), k * count);
  return projected;
}

double orthonormality_loss(const comm::Communicator& comm, const Frame& frame) {
  const auto g = gram(comm, frame);
  double worst = 0.0;
  for (index j = 0; j < frame.columns; ++j)
    for (index i = 0; i <= j; ++i)
      worst = std::max(worst, std::abs(g[static_cast<size_t>(j * frame.columns + i)] - (i == j ? 1.0 : 0.0)));
  return worst;
}

}  // namespace hesscov::stats
