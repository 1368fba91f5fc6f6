#include "io/h5_copy.hpp"

#include <algorithm>
#include <vector>

#include "comm/communicator.hpp"
#include "io/h5_check.hpp"
#include "io/h5_file.hpp"

namespace hesscov::io {
namespace {

bool is_variable_length(hid_t type) {
  return H5Tdetect_class(type, H5T_VLEN) > 0 || (H5Tget_class(type) == H5T_STRING && H5Tis_variable_str(type) > 0);
}

Id<H5Pclose> collective_transfer(const std::string& file) {
  Id<H5Pclose> transfer(checked(H5Pcreate(H5P_DATASET_XFER), file, "transfer list"));
  checked(H5Pset_dxpl_mpio(transfer.get(), H5FD_MPIO_COLLECTIVE), file, "collective transfer");
  return transfer;
}

/// Moves `buffer` from the source selection to the same selection of the destination. Every rank
/// calls it, those without rows with an empty selection, because the transfers are collective.
void transfer(hid_t source, hid_t destination, hid_t type, hid_t memory, hid_t selection, std::vector<char>& buffer,
              const std::string& source_file, const std::string& destination_file, const std::string& path) {
  checked(H5Dread(source, type, memory, selection, collective_transfer(source_file).get(), buffer.data()),
          source_file, "cannot read dataset " + path);
  checked(H5Dwrite(destination, type, memory, selection, collective_transfer(destination_file).get(), buffer.data()),
          destination_file, "cannot write dataset " + path);
}

void copy_scalar(hid_t source, hid_t destination, hid_t type, hid_t space, const std::string& source_file,
                 const std::string& destination_file, const std::string& path, int rank) {
  std::vector<char> buffer(H5Tget_size(type));
  Id<H5Sclose> memory(checked(H5Screate(H5S_SCALAR), destination_file, "scalar memory space"));
  Id<H5Sclose> selection(checked(H5Scopy(space), destination_file, "selection of " + path));
  if (rank != 0) {
    checked(H5Sselect_none(memory.get()), destination_file, "empty memory selection");
    checked(H5Sselect_none(selection.get()), destination_file, "empty selection");
  }
  transfer(source, destination, type, memory.get(), selection.get(), buffer, source_file, destination_file, path);
}

void copy_rows(hid_t source, hid_t destination, hid_t type, hid_t space, const std::string& source_file,
               const std::string& destination_file, const std::string& path, MPI_Comm comm, hsize_t round_bytes) {
  const int dimensions = checked(H5Sget_simple_extent_ndims(space), source_file, "rank of " + path);
  std::vector<hsize_t> extent(static_cast<size_t>(dimensions));
  checked(H5Sget_simple_extent_dims(space, extent.data(), nullptr), source_file, "extent of " + path);
  if (std::find(extent.begin(), extent.end(), hsize_t{0}) != extent.end()) return;  // no data at all
  int rank = 0, size = 1;
  HC_MPI(MPI_Comm_rank(comm, &rank));
  HC_MPI(MPI_Comm_size(comm, &size));
  hsize_t row_bytes = H5Tget_size(type);
  for (int d = 1; d < dimensions; ++d) row_bytes *= extent[static_cast<size_t>(d)];
  const auto mine = comm::block_partition(static_cast<index>(extent[0]), rank, size);
  // Every rank runs the same number of rounds (that of the largest block) so that the collective
  // transfers match; a rank whose rows are done takes part with an empty selection.
  const hsize_t round_rows = std::max<hsize_t>(1, round_bytes / row_bytes);
  const hsize_t largest = (extent[0] + static_cast<hsize_t>(size) - 1) / static_cast<hsize_t>(size);
  const hsize_t rounds = (largest + round_rows - 1) / round_rows;
  std::vector<hsize_t> start(extent.size(), 0), count(extent);
  for (hsize_t round = 0; round < rounds; ++round) {
    const auto begin = static_cast<hsize_t>(mine.begin) + round * round_rows;
    const auto end = std::min(static_cast<hsize_t>(mine.end), begin + round_rows);
    const hsize_t rows = end > begin ? end - begin : 0;
    start[0] = begin;
    count[0] = std::max<hsize_t>(rows, 1);
    Id<H5Sclose> memory(checked(H5Screate_simple(dimensions, count.data(), nullptr), destination_file, "memory space"));
    Id<H5Sclose> selection(checked(H5Scopy(space), destination_file, "selection of " + path));
    if (rows > 0) {
      count[0] = rows;
      checked(H5Sselect_hyperslab(selection.get(), H5S_SELECT_SET, start.data(), nullptr, count.data(), nullptr),
              destination_file, "row block of " + path);
    } else {
      checked(H5Sselect_none(memory.get()), destination_file, "empty memory selection");
      checked(H5Sselect_none(selection.get()), destination_file, "empty selection");
    }
    std::vector<char> buffer(static_cast<size_t>(rows * row_bytes) + 1);
    transfer(source, destination, type, memory.get(), selection.get(), buffer, source_file, destination_file, path);
  }
}

herr_t collect_name(hid_t, const char* name, const H5A_info_t*, void* data) {
  static_cast<std::vector<std::string>*>(data)->emplace_back(name);
  return 0;
}

}  // namespace

std::vector<std::string> attribute_names(hid_t object, const std::string& file, const std::string& path) {
  std::vector<std::string> names;
  hsize_t position = 0;
  checked(H5Aiterate2(object, H5_INDEX_NAME, H5_ITER_INC, &position, collect_name, &names), file,
          "cannot list the attributes of " + path);
  return names;
}

void copy_attribute(hid_t source, const std::string& source_file, const std::string& name, hid_t destination,
                    const std::string& destination_file) {
  Id<H5Aclose> attribute(checked(H5Aopen(source, name.c_str(), H5P_DEFAULT), source_file, "no attribute " + name));
  Id<H5Tclose> type(checked(H5Aget_type(attribute.get()), source_file, "type of attribute " + name));
  Id<H5Sclose> space(checked(H5Aget_space(attribute.get()), source_file, "dataspace of attribute " + name));
  const hssize_t points = checked(H5Sget_simple_extent_npoints(space.get()), source_file, "size of attribute " + name);
  std::vector<char> buffer(static_cast<size_t>(points) * H5Tget_size(type.get()) + 1);
  checked(H5Aread(attribute.get(), type.get(), buffer.data()), source_file, "cannot read attribute " + name);
  const hid_t copy = H5Acreate2(destination, name.c_str(), type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT);
  const herr_t written = copy < 0 ? -1 : H5Awrite(copy, type.get(), buffer.data());
  std::string message = written < 0 ? take_hdf5_message() : std::string();
  if (copy >= 0) H5Aclose(copy);
  // Variable-length values were allocated by HDF5 in H5Aread; they are freed whatever happened.
  if (is_variable_length(type.get())) H5Dvlen_reclaim(type.get(), space.get(), H5P_DEFAULT, buffer.data());
  if (written < 0)
    throw core::IoError(destination_file, "cannot copy attribute " + name + " from " + source_file +
                                              (message.empty() ? "" : ": " + message));
}

void copy_dataset(hid_t source, const std::string& source_file, hid_t destination, const std::string& destination_file,
                  const std::string& path, MPI_Comm comm, hsize_t round_bytes) {
  Id<H5Tclose> type(checked(H5Dget_type(source), source_file, "type of " + path));
  if (is_variable_length(type.get()) || H5Tdetect_class(type.get(), H5T_REFERENCE) > 0)
    throw core::IoError(source_file, "dataset " + path + " has a variable-length or reference type, which cannot be "
                                                         "copied raw (write fixed-length data)");
  Id<H5Sclose> space(checked(H5Dget_space(source), source_file, "dataspace of " + path));
  Id<H5Pclose> create(checked(H5Dget_create_plist(source), source_file, "creation list of " + path));
  Id<H5Dclose> copy(checked(H5Dcreate2(destination, path.c_str(), type.get(), space.get(), H5P_DEFAULT, create.get(),
                                       H5P_DEFAULT),
                            destination_file, "cannot create dataset " + path));
  for (const auto& name : attribute_names(source, source_file, path))
    copy_attribute(source, source_file, name, copy.get(), destination_file);
  int rank = 0;
  HC_MPI(MPI_Comm_rank(comm, &rank));
  const H5S_class_t shape = H5Sget_simple_extent_type(space.get());
  if (shape == H5S_SCALAR)
    copy_scalar(source, copy.get(), type.get(), space.get(), source_file, destination_file, path, rank);
  else if (shape == H5S_SIMPLE)
    copy_rows(source, copy.get(), type.get(), space.get(), source_file, destination_file, path, comm, round_bytes);
}

}  // namespace hesscov::io
