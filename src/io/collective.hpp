#pragma once
// Agreement on failure across the ranks of a communicator (STYLE.md: a failure on one rank never
// leaves the other ranks hanging). File-system work that only one rank may do (mkdir, rename,
// remove) runs on rank 0, and every rank learns its outcome before going on.
#include <mpi.h>

#include <functional>
#include <string>

namespace hesscov::io {

/// Rank 0's `text` on every rank (the others' argument is ignored). Collective.
std::string broadcast_from_rank0(MPI_Comm comm, std::string text);

/// Every rank passes `failure` ("" when its own part succeeded) and the file it concerns. When any
/// rank failed, every rank throws core::IoError(file, failure) of the lowest failing rank. Collective.
void agree_or_throw(MPI_Comm comm, const std::string& file, const std::string& failure);

/// Runs `work` on rank 0 only, then agree_or_throw(): an exception from `work` (an IoError keeps
/// its own file; any other exception is reported against `file`) is rethrown as an IoError on every
/// rank. Collective.
void on_rank0(MPI_Comm comm, const std::string& file, const std::function<void()>& work);

}  // namespace hesscov::io
