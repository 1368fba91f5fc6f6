#pragma once
// Test helper: a fresh folder under the temp dir, named after rank 0's process id so that tests
// running side by side (ctest -j, the 1/2/3-rank variants) never share one. In MPI tests every
// rank gets the same path; rank 0 creates it and removes it after all ranks are done with it.
#include <mpi.h>
#include <unistd.h>

#include <filesystem>
#include <string>

namespace hesscov::testing {

class Scratch {
 public:
  /// Collective over `comm`; pass MPI_COMM_NULL in serial tests (MPI not initialised).
  Scratch(const std::string& name, MPI_Comm comm = MPI_COMM_NULL) : comm_(comm) {
    long long pid = ::getpid();
    if (comm_ != MPI_COMM_NULL) {
      MPI_Comm_rank(comm_, &rank_);
      MPI_Bcast(&pid, 1, MPI_LONG_LONG, 0, comm_);
    }
    path_ = (std::filesystem::temp_directory_path() / ("hesscov_io_" + name + "_" + std::to_string(pid))).string();
    if (rank_ == 0) {
      std::filesystem::remove_all(path_);
      std::filesystem::create_directories(path_);
    }
    if (comm_ != MPI_COMM_NULL) MPI_Barrier(comm_);
  }
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;
  ~Scratch() {
    if (comm_ != MPI_COMM_NULL) MPI_Barrier(comm_);
    std::error_code ignored;
    if (rank_ == 0) std::filesystem::remove_all(path_, ignored);
  }
  [[nodiscard]] const std::string& path() const { return path_; }
  [[nodiscard]] std::string operator/(const std::string& name) const { return path_ + "/" + name; }
  [[nodiscard]] int rank() const { return rank_; }

 private:
  MPI_Comm comm_;
  int rank_ = 0;
  std::string path_;
};

}  // namespace hesscov::testing
