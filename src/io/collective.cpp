#include "io/collective.hpp"

#include <exception>

#include "core/error.hpp"

namespace hesscov::io {
namespace {

void broadcast_string(MPI_Comm comm, int root, std::string& text) {
  unsigned long long size = text.size();
  HC_MPI(MPI_Bcast(&size, 1, MPI_UNSIGNED_LONG_LONG, root, comm));
  text.resize(size);
  if (size > 0) HC_MPI(MPI_Bcast(text.data(), static_cast<int>(size), MPI_CHAR, root, comm));
}

}  // namespace

std::string broadcast_from_rank0(MPI_Comm comm, std::string text) {
  broadcast_string(comm, 0, text);
  return text;
}

void agree_or_throw(MPI_Comm comm, const std::string& file, const std::string& failure) {
  // The lowest failing rank speaks for all: one MIN-reduction finds it, two broadcasts carry its words.
  int rank = 0, size = 1;
  HC_MPI(MPI_Comm_rank(comm, &rank));
  HC_MPI(MPI_Comm_size(comm, &size));
  int mine = failure.empty() ? size : rank, first = size;
  HC_MPI(MPI_Allreduce(&mine, &first, 1, MPI_INT, MPI_MIN, comm));
  if (first == size) return;
  std::string failed_file = file, message = failure;
  broadcast_string(comm, first, failed_file);
  broadcast_string(comm, first, message);
  throw core::IoError(failed_file, message);
}

void on_rank0(MPI_Comm comm, const std::string& file, const std::function<void()>& work) {
  int rank = 0;
  HC_MPI(MPI_Comm_rank(comm, &rank));
  std::string failed_file = file, failure;
  if (rank == 0) {
    try {
      work();
    } catch (const core::IoError& error) {
      failed_file = error.file();
      // IoError's message starts with "<file>: "; keep only the detail so it is not named twice.
      const std::string text = error.what(), prefix = error.file() + ": ";
      failure = text.rfind(prefix, 0) == 0 ? text.substr(prefix.size()) : text;
    } catch (const std::exception& error) {
      failure = *error.what() != '\0' ? error.what() : "failed without a message";
    }
  }
  agree_or_throw(comm, failed_file, failure);
}

}  // namespace hesscov::io
