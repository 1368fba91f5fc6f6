#pragma once
// A parallel HDF5 file that appears under its final name only once it is complete: written
// collectively to "<final>.tmp", then closed, fsync'ed and renamed into place by rank 0. A
// writer killed at any moment leaves the previous file (if any) untouched and at most a stale
// .tmp, which RunArchive removes on its next start.
#include <mpi.h>

#include <string>

#include "io/parallel_h5.hpp"

namespace hesscov::io {

/// Makes the rename of `temporary` onto `final_path` durable: fsyncs the file, renames it
/// (atomically replacing an existing `final_path`), then fsyncs the folder so that the new
/// directory entry survives a crash of the node. IoError naming both paths on failure. Local.
void durable_rename(const std::string& temporary, const std::string& final_path);

class AtomicFile {
 public:
  /// Creates `final_path + ".tmp"` on every rank of `comm` (truncating a stale one); rank 0 first
  /// creates the missing parent folders. `comm` must outlive the object. Collective.
  static AtomicFile create(const std::string& final_path, MPI_Comm comm);
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;
  AtomicFile(AtomicFile&& other) noexcept;
  AtomicFile& operator=(AtomicFile&& other) = delete;
  /// Without commit(): closes the file and removes the .tmp on rank 0 (collective: every rank
  /// must destroy its object). Never throws; failures are logged to stderr.
  ~AtomicFile();

  /// The open temporary file, for the collective writes. Owned by this object; valid until commit().
  [[nodiscard]] ParallelH5File& file();
  /// Closes the file, durable_rename()s it onto final_path on rank 0, and makes every rank wait
  /// for that. A failure on any rank is an IoError on all of them. Collective; once only.
  void commit();

  [[nodiscard]] const std::string& final_path() const noexcept { return final_path_; }
  [[nodiscard]] std::string temporary_path() const { return final_path_ + ".tmp"; }

 private:
  AtomicFile(std::string final_path, ParallelH5File file);
  std::string final_path_;
  ParallelH5File file_;
  bool pending_ = true;  ///< false once committed or moved from: nothing left to clean up
};

}  // namespace hesscov::io
