#include "io/atomic_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <iostream>

#include "core/error.hpp"
#include "io/collective.hpp"

namespace hesscov::io {
namespace {

std::string errno_text() { return std::strerror(errno); }

/// fsync of a file or folder. A folder that the file system cannot sync (EINVAL) is accepted:
/// the rename itself is still atomic there, only its durability is the file system's business.
void sync_path(const std::string& path, bool folder) {
  const int descriptor = ::open(path.c_str(), folder ? (O_RDONLY | O_DIRECTORY) : O_RDONLY);
  if (descriptor < 0) throw core::IoError(path, "cannot open for fsync: " + errno_text());
  const int status = ::fsync(descriptor);
  const int fsync_errno = errno;
  ::close(descriptor);
  if (status != 0 && !(folder && fsync_errno == EINVAL))
    throw core::IoError(path, std::string("fsync failed: ") + std::strerror(fsync_errno));
}

}  // namespace

void durable_rename(const std::string& temporary, const std::string& final_path) {
  sync_path(temporary, false);
  std::error_code error;
  std::filesystem::rename(temporary, final_path, error);
  if (error)
    throw core::IoError(final_path, "cannot rename " + temporary + " onto " + final_path + ": " + error.message());
  const auto folder = std::filesystem::absolute(final_path).parent_path();
  sync_path(folder.string(), true);
}

AtomicFile::AtomicFile(std::string final_path, ParallelH5File file)
    : final_path_(std::move(final_path)), file_(std::move(file)) {}

AtomicFile AtomicFile::create(const std::string& final_path, MPI_Comm comm) {
  on_rank0(comm, final_path, [&] {
    const auto folder = std::filesystem::path(final_path).parent_path();
    std::error_code error;
    if (!folder.empty()) std::filesystem::create_directories(folder, error);
    if (error) throw core::IoError(folder.string(), "cannot create the folder: " + error.message());
  });
  return AtomicFile(final_path, ParallelH5File::create(final_path + ".tmp", comm));
}

AtomicFile::AtomicFile(AtomicFile&& other) noexcept
    : final_path_(std::move(other.final_path_)),
      file_(std::move(other.file_)),
      pending_(std::exchange(other.pending_, false)) {}

ParallelH5File& AtomicFile::file() {
  HC_CHECK(pending_, core::StateError, final_path_ + ": the file was already committed");
  return file_;
}

void AtomicFile::commit() {
  HC_CHECK(pending_, core::StateError, final_path_ + ": the file was already committed");
  const MPI_Comm comm = file_.comm();
  std::string failure;
  try {
    file_.close();
  } catch (const core::Error& error) {
    failure = error.what();
  }
  pending_ = false;  // from here on the .tmp is closed; a failed rename leaves it for the next start
  agree_or_throw(comm, temporary_path(), failure);
  on_rank0(comm, final_path_, [&] { durable_rename(temporary_path(), final_path_); });
}

AtomicFile::~AtomicFile() {
  if (!pending_) return;
  const MPI_Comm comm = file_.comm();
  try {
    file_.close();
  } catch (const std::exception& error) {
    std::cerr << "hesscov: abandoning " << temporary_path() << ": " << error.what() << "\n";
  }
  int finalized = 0, rank = 0;
  MPI_Finalized(&finalized);
  if (finalized == 0) MPI_Comm_rank(comm, &rank);  // unchecked: a destructor must not throw
  if (rank == 0) {
    std::error_code error;
    std::filesystem::remove(temporary_path(), error);
    if (error) std::cerr << "hesscov: cannot remove " << temporary_path() << ": " << error.message() << "\n";
  }
  // A later create of the same .tmp must not race with this removal on another rank.
  if (finalized == 0) MPI_Barrier(comm);
}

}  // namespace hesscov::io
