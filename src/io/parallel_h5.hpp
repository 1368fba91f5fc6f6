#pragma once
// A parallel HDF5 file written collectively by every rank of a communicator (MPI-IO driver,
// collective metadata): small replicated arrays and attributes, and large matrices whose columns
// are distributed like PETSc vectors (each rank writes its own column slice of every row).
// Every raw-data transfer is collective: parallel HDF5 can write filtered (compressed) chunks
// only that way, and one rule for all datasets keeps the ranks in step.
#include <hdf5.h>
#include <mpi.h>

#include <cstdint>
#include <string>
#include <vector>

#include "io/h5_file.hpp"

namespace hesscov::io {

class ParallelH5File {
 public:
  /// Creates (truncating) `path` on every rank of `comm`. Collective. `comm` must outlive the file.
  static ParallelH5File create(const std::string& path, MPI_Comm comm);
  /// Opens an existing file read-only on every rank of `comm` (metadata read by one rank and
  /// broadcast). Collective; fails on every rank when it fails on one.
  static ParallelH5File open_read(const std::string& path, MPI_Comm comm);

  /// Creates the groups of `path` ("/eig/hessian/largest") that do not exist yet. Collective.
  void create_groups(const std::string& path);
  /// A 1-D fp64 dataset with the same content on every rank (rank 0 writes it). Collective.
  void write_replicated(const std::string& name, const std::vector<double>& values);
  /// A 1-D int64 dataset (sample indices, counts), the same on every rank; chunked with shuffle +
  /// deflate level 4, since index lists compress well (an empty one is stored contiguous: HDF5
  /// cannot chunk a zero extent). Rank 0 writes it. Collective.
  void write_replicated_index(const std::string& name, const std::vector<std::int64_t>& values);
  /// A 1-D dataset of fixed-length, null-padded strings as long as the longest value (at least 1
  /// byte), the same on every rank. Never variable-length: fixed-length data copies raw between
  /// files and reads as numpy bytes. Rank 0 writes it. Collective.
  void write_replicated_strings(const std::string& name, const std::vector<std::string>& values);
  /// A [rows x columns] fp64 dataset, row-major `values`, the same on every rank (rank 0 writes
  /// it). Collective.
  void write_replicated_matrix(const std::string& name, std::int64_t rows, std::int64_t columns,
                               const std::vector<double>& values);
  /// A [rows x columns] fp64 dataset; this rank holds columns [column_begin, column_begin +
  /// local_columns) of every row, row-major in `local`. Chunked by rows. Collective.
  void write_column_slices(const std::string& name, std::int64_t rows, std::int64_t columns,
                           std::int64_t column_begin, std::int64_t local_columns, const std::vector<double>& local);
  /// Attributes on an object (group or dataset) at `object`, same value on every rank. Scalar,
  /// except the vector overloads, which write a 1-D attribute of the vector's length. An existing
  /// attribute of the same name is an IoError. Collective.
  /// An fp64 dataset [rows x columns] in chunks of `chunk_rows` whole rows, to be filled by
  /// write_block() (trajectories recorded step by step). Collective.
  void create_matrix(const std::string& name, std::int64_t rows, std::int64_t columns, std::int64_t chunk_rows);
  /// Rows [row_begin, row_begin + rows) of the matrix `name`; this rank writes its columns
  /// [column_begin, column_begin + local_columns), row-major in `local` (ranks may split the
  /// columns of a replicated block, or hold the whole block on one rank). Collective.
  void write_block(const std::string& name, std::int64_t row_begin, std::int64_t rows, std::int64_t column_begin,
                   std::int64_t local_columns, const std::vector<double>& local);
  void write_attribute(const std::string& object, const std::string& name, const std::string& value);
  void write_attribute(const std::string& object, const std::string& name, double value);
  void write_attribute(const std::string& object, const std::string& name, std::int64_t value);
  void write_attribute(const std::string& object, const std::string& name, const std::vector<double>& values);
  void write_attribute(const std::string& object, const std::string& name, const std::vector<std::int64_t>& values);
  /// Closes the file (collective); later calls do nothing.
  void close();

  [[nodiscard]] const std::string& path() const noexcept { return path_; }
  /// The communicator the file was opened on (not owned).
  [[nodiscard]] MPI_Comm comm() const noexcept { return comm_; }
  /// The HDF5 file identifier, for io-internal code (the tree walker, the run archive) that needs
  /// HDF5 calls this class does not wrap. Owned by this object; valid until close(). Collective
  /// rules apply: metadata changes through it must be made identically on every rank.
  [[nodiscard]] hid_t id() const noexcept { return file_.get(); }

 private:
  ParallelH5File(std::string path, hid_t id, MPI_Comm comm);
  static ParallelH5File open_with(const std::string& path, MPI_Comm comm, bool create);
  void write_from_rank0(const std::string& name, hid_t file_type, hid_t memory_type, hid_t create_list,
                        const void* data, hsize_t count);
  void write_attribute_raw(const std::string& object, const std::string& name, hid_t file_type, hid_t memory_type,
                           hid_t space, const void* value);
  std::string path_;
  Id<H5Fclose> file_;
  MPI_Comm comm_;
};

}  // namespace hesscov::io
