#include "io/parallel_h5.hpp"

#include <algorithm>

#include "core/error.hpp"

namespace hesscov::io {
namespace {

template <class Value>
Value checked(Value value, const std::string& file, const std::string& what) {
  if (value >= 0) return value;
  H5Eclear2(H5E_DEFAULT);
  throw core::IoError(file, what);
}

}  // namespace

ParallelH5File::ParallelH5File(std::string path, hid_t id, MPI_Comm comm)
    : path_(std::move(path)), file_(id), comm_(comm) {}

ParallelH5File ParallelH5File::create(const std::string& path, MPI_Comm comm) {
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
  Id<H5Pclose> access(checked(H5Pcreate(H5P_FILE_ACCESS), path, "file access list"));
  checked(H5Pset_fapl_mpio(access.get(), comm, MPI_INFO_NULL), path, "MPI-IO driver");
  checked(H5Pset_all_coll_metadata_ops(access.get(), true), path, "collective metadata reads");
  checked(H5Pset_coll_metadata_write(access.get(), true), path, "collective metadata writes");
  const hid_t id = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, access.get());
  int ok = id >= 0 ? 1 : 0, all = 0;
  MPI_Allreduce(&ok, &all, 1, MPI_INT, MPI_MIN, comm);
  if (all == 0) {
    if (id >= 0) H5Fclose(id);
    throw core::IoError(path, "cannot create the HDF5 file (on at least one rank)");
  }
  return ParallelH5File(path, id, comm);
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

void ParallelH5File::write_replicated(const std::string& name, const std::vector<double>& values) {
  int rank = 0;
  MPI_Comm_rank(comm_, &rank);
  const hsize_t count = values.size();
  Id<H5Sclose> space(checked(H5Screate_simple(1, &count, nullptr), path_, "dataspace of " + name));
  Id<H5Dclose> dataset(checked(H5Dcreate2(file_.get(), name.c_str(), H5T_IEEE_F64LE, space.get(), H5P_DEFAULT,
                                          H5P_DEFAULT, H5P_DEFAULT),
                               path_, "cannot create dataset " + name));
  if (count == 0) return;  // an empty dataset: nothing to transfer
  Id<H5Sclose> selection(checked(H5Dget_space(dataset.get()), path_, "selection of " + name));
  if (rank != 0) checked(H5Sselect_none(selection.get()), path_, "empty selection");
  const hsize_t mine = rank == 0 ? count : 0;
  Id<H5Sclose> memory(checked(H5Screate_simple(1, &mine, nullptr), path_, "memory space"));
  if (mine == 0) checked(H5Sselect_none(memory.get()), path_, "empty memory selection");
  Id<H5Pclose> transfer(checked(H5Pcreate(H5P_DATASET_XFER), path_, "transfer list"));
  checked(H5Pset_dxpl_mpio(transfer.get(), H5FD_MPIO_COLLECTIVE), path_, "collective transfer");
  checked(H5Dwrite(dataset.get(), H5T_NATIVE_DOUBLE, memory.get(), selection.get(), transfer.get(), values.data()),
          path_, "cannot write dataset " + name);
}

void ParallelH5File::write_replicated_matrix(const std::string& name, std::int64_t rows, std::int64_t columns,
                                             const std::vector<double>& values) {
  HC_CHECK(static_cast<std::int64_t>(values.size()) == rows * columns, core::DimensionMismatch,
           name + ": " + std::to_string(values.size()) + " values for a " + std::to_string(rows) + " x " +
               std::to_string(columns) + " matrix");
  int rank = 0;
  MPI_Comm_rank(comm_, &rank);
  // Rank 0 holds every column, the others none: one collective write of the whole matrix.
  write_column_slices(name, rows, columns, 0, rank == 0 ? columns : 0, rank == 0 ? values : std::vector<double>{});
}

void ParallelH5File::write_column_slices(const std::string& name, std::int64_t rows, std::int64_t columns,
                                         std::int64_t column_begin, std::int64_t local_columns,
                                         const std::vector<double>& local) {
  HC_CHECK(static_cast<std::int64_t>(local.size()) == rows * local_columns, core::DimensionMismatch,
           "column slice of " + name + " has the wrong size");
  const hsize_t extent[2] = {static_cast<hsize_t>(rows), static_cast<hsize_t>(columns)};
  Id<H5Sclose> space(checked(H5Screate_simple(2, extent, nullptr), path_, "dataspace of " + name));
  Id<H5Pclose> create(checked(H5Pcreate(H5P_DATASET_CREATE), path_, "creation list"));
  if (rows > 0 && columns > 0) {
    const hsize_t chunk[2] = {std::min<hsize_t>(extent[0], 16), extent[1]};  // a few rows per chunk
    checked(H5Pset_chunk(create.get(), 2, chunk), path_, "chunking of " + name);
  }
  Id<H5Dclose> dataset(checked(H5Dcreate2(file_.get(), name.c_str(), H5T_IEEE_F64LE, space.get(), H5P_DEFAULT,
                                          create.get(), H5P_DEFAULT),
                               path_, "cannot create dataset " + name));
  Id<H5Sclose> selection(checked(H5Dget_space(dataset.get()), path_, "selection of " + name));
  const hsize_t start[2] = {0, static_cast<hsize_t>(column_begin)};
  const hsize_t count[2] = {static_cast<hsize_t>(rows), static_cast<hsize_t>(local_columns)};
  if (rows * local_columns > 0)
    checked(H5Sselect_hyperslab(selection.get(), H5S_SELECT_SET, start, nullptr, count, nullptr), path_, "hyperslab");
  else
    checked(H5Sselect_none(selection.get()), path_, "empty selection");
  Id<H5Sclose> memory(checked(H5Screate_simple(2, count, nullptr), path_, "memory space"));
  if (rows * local_columns == 0) checked(H5Sselect_none(memory.get()), path_, "empty memory selection");
  Id<H5Pclose> transfer(checked(H5Pcreate(H5P_DATASET_XFER), path_, "transfer list"));
  checked(H5Pset_dxpl_mpio(transfer.get(), H5FD_MPIO_COLLECTIVE), path_, "collective transfer");
  checked(H5Dwrite(dataset.get(), H5T_NATIVE_DOUBLE, memory.get(), selection.get(), transfer.get(), local.data()),
          path_, "cannot write dataset " + name);
}

void ParallelH5File::write_attribute_raw(const std::string& object, const std::string& name, hid_t type,
                                         const void* value) {
  Id<H5Sclose> space(checked(H5Screate(H5S_SCALAR), path_, "scalar space"));
  Id<H5Aclose> attribute(checked(H5Acreate_by_name(file_.get(), object.c_str(), name.c_str(), type, space.get(),
                                                   H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
                                 path_, "cannot create attribute " + object + "@" + name));
  checked(H5Awrite(attribute.get(), type, value), path_, "cannot write attribute " + object + "@" + name);
}

void ParallelH5File::write_attribute(const std::string& object, const std::string& name, const std::string& value) {
  Id<H5Tclose> type(checked(H5Tcopy(H5T_C_S1), path_, "string type"));
  checked(H5Tset_size(type.get(), std::max<size_t>(value.size(), 1)), path_, "string size");
  write_attribute_raw(object, name, type.get(), value.c_str());
}

void ParallelH5File::write_attribute(const std::string& object, const std::string& name, double value) {
  write_attribute_raw(object, name, H5T_NATIVE_DOUBLE, &value);
}

void ParallelH5File::write_attribute(const std::string& object, const std::string& name, std::int64_t value) {
  write_attribute_raw(object, name, H5T_NATIVE_INT64, &value);
}

void ParallelH5File::close() {
  if (file_.get() < 0) return;
  file_ = Id<H5Fclose>();
}

}  // namespace hesscov::io
