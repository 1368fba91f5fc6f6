#pragma once
// A k-frame of P-dimensional vectors (the top Hessian eigenvectors, or a random orthonormal
// baseline) distributed over the ranks of a run like PETSc distributes a Vec: each rank owns a
// contiguous band of rows of every vector. The frame is never replicated whole; callers gather a
// few columns at a time (DESIGN.md "Distribution").
#include <cstdint>
#include <vector>

#include "backend/types.hpp"
#include "comm/communicator.hpp"

namespace hesscov::stats {

struct Frame {
  index rows = 0;        ///< P, the vectors' dimension
  index columns = 0;     ///< k, the number of vectors
  index row_begin = 0;   ///< first row owned by this rank
  index row_count = 0;   ///< rows owned by this rank
  std::vector<double> local;  ///< this rank's rows, column-major [row_count x columns]
  [[nodiscard]] const double* column(index j) const { return local.data() + j * row_count; }
};

/// A frame with this rank's rows [row_begin, row_begin + row_count) of P and k zero columns.
Frame empty_frame(index rows, index columns, index row_begin, index row_count);

/// A Haar-random orthonormal k-frame in R^P: Gaussian entries drawn from the counter stream
/// "align/haar/<draw>" of `seed` by global (row, column) — the same matrix for any number of ranks
/// — orthonormalised by two passes of Cholesky QR (a Gaussian P x k matrix with k << P is well
/// conditioned, so two passes reach orthonormality to round-off). Collective.
Frame haar_frame(const comm::Communicator& comm, index rows, index columns, std::uint64_t seed, std::uint64_t draw);

/// Columns [first, first + count) of the frame on every rank, column-major [rows x count].
/// Collective.
std::vector<double> gather_columns(const comm::Communicator& comm, const Frame& frame, index first, index count);

/// F^T x for each of the replicated vectors x (length `rows`, the same on every rank), as the rows
/// of a row-major [vectors x columns] matrix on every rank: one local GEMM over this rank's rows
/// and one allreduce; the frame is never gathered. Collective.
std::vector<double> project(const comm::Communicator& comm, const Frame& frame, const std::vector<const double*>& vectors);

/// max |F^T F - I| over the frame (collective): the orthonormality of a frame.
double orthonormality_loss(const comm::Communicator& comm, const Frame& frame);

}  // namespace hesscov::stats
