#include "io/parallel_h5.hpp"

#include <algorithm>
#include <cstring>

#include "core/error.hpp"
#include "io/h5_check.hpp"

namespace hesscov::io {
namespace {

int rank_of(MPI_Comm comm) {
  int rank = 0;
  HC_MPI(MPI_Comm_rank(comm, &rank));
  return rank;
}

Id<H5Pclose> collective_transfer(const std::string& path) {
  Id<H5Pclose> transfer(checked(H5Pcreate(H5P_DATASET_XFER), path, "transfer list"));
  checked(H5Pset_dxpl_mpio(transfer.get(), H5FD_MPIO_COLLECTIVE), path, "collective transfer");
  return transfer;
}

}  // namespace

ParallelH5File::ParallelH5File(std::string path, hid_t id, MPI_Comm comm)
    : path_(std::move(path)), file_(id), comm_(comm) {}

ParallelH5File ParallelH5File::open_with(const std::string& path, MPI_Comm comm, bool create) {
  silence_hdf5();
  Id<H5Pclose> access(checked(H5Pcreate(H5P_FILE_ACCESS), path, "file access list"));
  checked(H5Pset_fapl_mpio(access.get(), comm, MPI_INFO_NULL), path, "MPI-IO driver");
  checked(H5Pset_all_coll_metadata_ops(access.get(), true), path, "collective metadata reads");
  checked(H5Pset_coll_metadata_write(access.get(), true), path, "collective metadata writes");
  const hid_t id = create ? H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, access.get())
                          : H5Fopen(path.c_str(), H5F_ACC_RDONLY, access.get());
  const std::string message = id < 0 ? take_hdf5_message() : std::string();
  // A rank that failed alone must not leave the others waiting in their first collective call.
  int ok = id >= 0 ? 1 : 0, all = 0;
  HC_MPI(MPI_Allreduce(&ok, &all, 1, MPI_INT, MPI_MIN, comm));
  if (all == 0) {
    if (id >= 0) H5Fclose(id);
    throw core::IoError(path, std::string(create ? "cannot create the HDF5 file" : "cannot open as an HDF5 file") +
                                  " (on at least one rank)" + (message.empty() ? "" : ": " + message));
  }
  return ParallelH5File(path, id, comm);
}

ParallelH5File ParallelH5File::create(const std::string& path, MPI_Comm comm) { return open_with(path, comm, true); }

ParallelH5File ParallelH5File::open_read(const std::string& path, MPI_Comm comm) {
  return open_with(path, comm, false);
}

void ParallelH5File::create_groups(const std::string& path) {
  std::string prefix;
  for (size_t at = 1; at <= path.size(); ++at) {
    if (at != path.size() && path[at] != '/') continue;
    prefix = path.substr(0, at);
    if (checked(H5Lexists(file_.get(), prefix.c_str(), H5P_DEFAULT), path_, "lookup of " + prefix) > 0) continue;
    Id<H5Gclose> group(checked(H5Gcreate2(file_.get(), prefix.c_str(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
                               path_, "cannot create group " + prefix));
  }
}

void ParallelH5File::write_from_rank0(const std::string& name, hid_t file_type, hid_t memory_type,
                                      hid_t create_list, const void* data, hsize_t count) {
  const bool root = rank_of(comm_) == 0;
  Id<H5Sclose> space(checked(H5Screate_simple(1, &count, nullptr), path_, "dataspace of " + name));
  Id<H5Dclose> dataset(checked(H5Dcreate2(file_.get(), name.c_str(), file_type, space.get(), H5P_DEFAULT,
                                          create_list, H5P_DEFAULT),
                               path_, "cannot create dataset " + name));
  if (count == 0) return;  // an empty dataset: nothing to transfer
  Id<H5Sclose> selection(checked(H5Dget_space(dataset.get()), path_, "selection of " + name));
  if (!root) checked(H5Sselect_none(selection.get()), path_, "empty selection");
  const hsize_t mine = root ? count : 0;
  Id<H5Sclose> memory(checked(H5Screate_simple(1, &mine, nullptr), path_, "memory space"));
  if (mine == 0) checked(H5Sselect_none(memory.get()), path_, "empty memory selection");
  checked(H5Dwrite(dataset.get(), memory_type, memory.get(), selection.get(), collective_transfer(path_).get(), data),
          path_, "cannot write dataset " + name);
}

void ParallelH5File::write_replicated(const std::string& name, const std::vector<double>& values) {
  write_from_rank0(name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, H5P_DEFAULT, values.data(), values.size());
}

void ParallelH5File::write_replicated_index(const std::string& name, const std::vector<std::int64_t>& values) {
  Id<H5Pclose> create(checked(H5Pcreate(H5P_DATASET_CREATE), path_, "creation list"));
  if (!values.empty()) {
    const hsize_t chunk = std::min<hsize_t>(values.size(), hsize_t{1} << 16);  // 512 KiB chunks at most
    checked(H5Pset_chunk(create.get(), 1, &chunk), path_, "chunking of " + name);
    checked(H5Pset_shuffle(create.get()), path_, "shuffle filter of " + name);
    checked(H5Pset_deflate(create.get(), 4), path_, "deflate filter of " + name);
  }
  write_from_rank0(name, H5T_STD_I64LE, H5T_NATIVE_INT64, create.get(), values.data(), values.size());
}

void ParallelH5File::write_replicated_strings(const std::string& name, const std::vector<std::string>& values) {
  size_t width = 1;
  for (const auto& value : values) width = std::max(width, value.size());
  Id<H5Tclose> type(checked(H5Tcopy(H5T_C_S1), path_, "string type"));
  checked(H5Tset_size(type.get(), width), path_, "string size");
  checked(H5Tset_strpad(type.get(), H5T_STR_NULLPAD), path_, "string padding");
  std::vector<char> packed(values.size() * width, '\0');
  for (size_t row = 0; row < values.size(); ++row)
    std::memcpy(packed.data() + row * width, values[row].data(), values[row].size());
  write_from_rank0(name, type.get(), type.get(), H5P_DEFAULT, packed.data(), values.size());
}

void ParallelH5File::write_replicated_matrix(const std::string& name, std::int64_t rows, std::int64_t columns,
                                             const std::vector<double>& values) {
  HC_CHECK(static_cast<std::int64_t>(values.size()) == rows * columns, core::DimensionMismatch,
           name + ": " + std::to_string(values.size()) + " values for a " + std::to_string(rows) + " x " +
               std::to_string(columns) + " matrix");
  const int rank = rank_of(comm_);
  // Rank 0 holds every column, the others none: one collective write of the whole matrix.
  write_column_slices(name, rows, columns, 0, rank == 0 ? columns : 0, rank == 0 ? values : std::vector<double>{});
}
void ParallelH5File::write_column_slices(const std::string& name, std::int64_t rows, std::int64_t columns,
                                         std::int64_t column_begin, std::int64_t local_columns,
                                         const std::vector<double>& local) {
  create_matrix(name, rows, columns, 16);  // a few rows per chunk: the top vectors read alone
  write_block(name, 0, rows, column_begin, local_columns, local);
}

void ParallelH5File::create_matrix(const std::string& name, std::int64_t rows, std::int64_t columns,
                                   std::int64_t chunk_rows) {
  const hsize_t extent[2] = {static_cast<hsize_t>(rows), static_cast<hsize_t>(columns)};
  Id<H5Sclose> space(checked(H5Screate_simple(2, extent, nullptr), path_, "dataspace of " + name));
  Id<H5Pclose> create(checked(H5Pcreate(H5P_DATASET_CREATE), path_, "creation list"));
  if (rows > 0 && columns > 0) {
    const hsize_t chunk[2] = {std::clamp<hsize_t>(static_cast<hsize_t>(chunk_rows), 1, extent[0]), extent[1]};
    checked(H5Pset_chunk(create.get(), 2, chunk), path_, "chunking of " + name);
  }
  Id<H5Dclose> dataset(checked(H5Dcreate2(file_.get(), name.c_str(), H5T_IEEE_F64LE, space.get(), H5P_DEFAULT,
                                          create.get(), H5P_DEFAULT),
                               path_, "cannot create dataset " + name));
}

void ParallelH5File::write_block(const std::string& name, std::int64_t row_begin, std::int64_t rows,
                                 std::int64_t column_begin, std::int64_t local_columns,
                                 const std::vector<double>& local) {
  HC_CHECK(static_cast<std::int64_t>(local.size()) == rows * local_columns, core::DimensionMismatch,
           "block of " + name + " has the wrong size");
  Id<H5Dclose> dataset(checked(H5Dopen2(file_.get(), name.c_str(), H5P_DEFAULT), path_, "no dataset " + name));
  Id<H5Sclose> selection(checked(H5Dget_space(dataset.get()), path_, "selection of " + name));
  hsize_t extent[2] = {0, 0};
  checked(H5Sget_simple_extent_dims(selection.get(), extent, nullptr), path_, "extent of " + name);
  // Nothing to transfer; parallel HDF5 1.10.8 fails even an all-empty collective write into a
  // zero-size contiguous dataset ("addr overflow": it has no address).
  if (extent[0] * extent[1] == 0) return;
  const hsize_t start[2] = {static_cast<hsize_t>(row_begin), static_cast<hsize_t>(column_begin)};
  const hsize_t count[2] = {static_cast<hsize_t>(rows), static_cast<hsize_t>(local_columns)};
  if (rows * local_columns > 0)
    checked(H5Sselect_hyperslab(selection.get(), H5S_SELECT_SET, start, nullptr, count, nullptr), path_, "hyperslab");
  else
    checked(H5Sselect_none(selection.get()), path_, "empty selection");
  Id<H5Sclose> memory(checked(H5Screate_simple(2, count, nullptr), path_, "memory space"));
  if (rows * local_columns == 0) checked(H5Sselect_none(memory.get()), path_, "empty memory selection");
  checked(H5Dwrite(dataset.get(), H5T_NATIVE_DOUBLE, memory.get(), selection.get(), collective_transfer(path_).get(),
                   local.data()),
          path_, "cannot write dataset " + name);
}

void ParallelH5File::write_attribute_raw(const std::string& object, const std::string& name, hid_t file_type,
                                         hid_t memory_type, hid_t space, const void* value) {
  Id<H5Aclose> attribute(checked(H5Acreate_by_name(file_.get(), object.c_str(), name.c_str(), file_type, space,
                                                   H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
                                 path_, "cannot create attribute " + object + "@" + name));
  // An empty vector's data() may be null, which H5Awrite refuses even for zero elements.
  static const char nothing = 0;
  checked(H5Awrite(attribute.get(), memory_type, value != nullptr ? value : &nothing), path_,
          "cannot write attribute " + object + "@" + name);
}

void ParallelH5File::write_attribute(const std::string& object, const std::string& name, const std::string& value) {
  Id<H5Tclose> type(checked(H5Tcopy(H5T_C_S1), path_, "string type"));
  checked(H5Tset_size(type.get(), std::max<size_t>(value.size(), 1)), path_, "string size");
  Id<H5Sclose> space(checked(H5Screate(H5S_SCALAR), path_, "scalar space"));
  write_attribute_raw(object, name, type.get(), type.get(), space.get(), value.c_str());
}

void ParallelH5File::write_attribute(const std::string& object, const std::string& name, double value) {
  Id<H5Sclose> space(checked(H5Screate(H5S_SCALAR), path_, "scalar space"));
  write_attribute_raw(object, name, H5T_NATIVE_DOUBLE, H5T_NATIVE_DOUBLE, space.get(), &value);
}

void ParallelH5File::write_attribute(const std::string& object, const std::string& name, std::int64_t value) {
  Id<H5Sclose> space(checked(H5Screate(H5S_SCALAR), path_, "scalar space"));
  write_attribute_raw(object, name, H5T_NATIVE_INT64, H5T_NATIVE_INT64, space.get(), &value);
}

void ParallelH5File::write_attribute(const std::string& object, const std::string& name,
                                     const std::vector<double>& values) {
  const hsize_t count = values.size();
  Id<H5Sclose> space(checked(H5Screate_simple(1, &count, nullptr), path_, "attribute space"));
  write_attribute_raw(object, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, space.get(), values.data());
}

void ParallelH5File::write_attribute(const std::string& object, const std::string& name,
                                     const std::vector<std::int64_t>& values) {
  const hsize_t count = values.size();
  Id<H5Sclose> space(checked(H5Screate_simple(1, &count, nullptr), path_, "attribute space"));
  write_attribute_raw(object, name, H5T_STD_I64LE, H5T_NATIVE_INT64, space.get(), values.data());
}

void ParallelH5File::close() {
  if (file_.get() < 0) return;
  // Checked, unlike the destructor's close: this is where buffered metadata reaches the file, and a
  // caller about to rename the file into place must know that it did.
  checked(H5Fclose(file_.release()), path_, "cannot close (flush) the file");
}

}  // namespace hesscov::io
