#pragma once
// A parallel HDF5 file written collectively by every rank of a communicator (MPI-IO driver,
// collective metadata): small replicated arrays and attributes, and large matrices whose columns
// are distributed like PETSc vectors (each rank writes its own column slice of every row).
#include <hdf5.h>
#include <mpi.h>

#include <cstdint>
#include <string>
#include <vector>

#include "io/h5_file.hpp"

namespace hesscov::io {

class ParallelH5File {
 public:
  /// Creates (truncating) `path` on every rank of `comm`. Collective.
  static ParallelH5File create(const std::string& path, MPI_Comm comm);

  /// Creates the groups of `path` ("/eig/hessian/largest") that do not exist yet. Collective.
  void create_groups(const std::string& path);
  /// A 1-D fp64 dataset with the same content on every rank (rank 0 writes it). Collective.
  void write_replicated(const std::string& name, const std::vector<double>& values);
  /// A [rows x columns] fp64 dataset, row-major `values`, the same on every rank (rank 0 writes
  /// it). Collective.
  void write_replicated_matrix(const std::string& name, std::int64_t rows, std::int64_t columns,
                               const std::vector<double>& values);
  /// A [rows x columns] fp64 dataset; this rank holds columns [column_begin, column_begin +
  /// local_columns) of every row, row-major in `local`. Chunked by rows. Collective.
  void write_column_slices(const std::string& name, std::int64_t rows, std::int64_t columns,
                           std::int64_t column_begin, std::int64_t local_columns, const std::vector<double>& local);
  /// Attributes on an object (group or dataset) at `object`, same value on every rank. Collective.
  void write_attribute(const std::string& object, const std::string& name, const std::string& value);
  void write_attribute(const std::string& object, const std::string& name, double value);
  void write_attribute(const std::string& object, const std::string& name, std::int64_t value);
  void close();

  [[nodiscard]] const std::string& path() const noexcept { return path_; }

 private:
  ParallelH5File(std::string path, hid_t id, MPI_Comm comm);
  void write_attribute_raw(const std::string& object, const std::string& name, hid_t type, const void* value);
  std::string path_;
  Id<H5Fclose> file_;
  MPI_Comm comm_;
};

}  // namespace hesscov::io
