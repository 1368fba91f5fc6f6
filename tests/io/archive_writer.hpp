#pragma once
// Test helper: writes the segments of an ArchiveContent collectively through the io layer (and,
// for the kinds the layer has no writer for — scalar, N-D chunked, compound — through the C API
// on ParallelH5File::id(), rank 0 supplying the data), and the Dump a reader must then find.
#include <algorithm>

#include "archive_content.hpp"

namespace hesscov::testing {
namespace writer_detail {

inline void ok(herr_t status, const std::string& what) {
  if (status < 0) throw std::runtime_error("test writer: " + what);
}

/// Creates `path` with `type`/`space`/`create` and lets rank 0 write all of `data` (the other
/// ranks select nothing) in one collective transfer.
inline void write_from_rank0(io::ParallelH5File& file, const std::string& path, hid_t type, hid_t space, hid_t create,
                             const void* data) {
  int rank = 0;
  MPI_Comm_rank(file.comm(), &rank);
  const hid_t dataset = H5Dcreate2(file.id(), path.c_str(), type, space, H5P_DEFAULT, create, H5P_DEFAULT);
  ok(static_cast<herr_t>(dataset), "create " + path);
  const hid_t memory = H5Scopy(space), selection = H5Scopy(space), transfer = H5Pcreate(H5P_DATASET_XFER);
  ok(H5Pset_dxpl_mpio(transfer, H5FD_MPIO_COLLECTIVE), "collective");
  if (rank != 0) {
    ok(H5Sselect_none(memory), "none");
    ok(H5Sselect_none(selection), "none");
  }
  ok(H5Dwrite(dataset, type, memory, selection, transfer, data), "write " + path);
  H5Pclose(transfer);
  H5Sclose(selection);
  H5Sclose(memory);
  H5Dclose(dataset);
}

inline void write_scalar(io::ParallelH5File& file, const DatasetSpec& spec) {
  const hid_t space = H5Screate(H5S_SCALAR);
  write_from_rank0(file, spec.path, H5T_IEEE_F64LE, space, H5P_DEFAULT, spec.expected.numbers.data());
  H5Sclose(space);
}

/// int64, chunked {2, 3, 2} with deflate: a filtered N-D dataset whose layout the copy must keep.
inline void write_cube(io::ParallelH5File& file, const DatasetSpec& spec) {
  const auto& shape = spec.expected.shape;
  const hid_t space = H5Screate_simple(static_cast<int>(shape.size()), shape.data(), nullptr);
  const hid_t create = H5Pcreate(H5P_DATASET_CREATE);
  const hsize_t chunk[3] = {2, 3, 2};
  ok(H5Pset_chunk(create, 3, chunk), "chunk");
  ok(H5Pset_deflate(create, 6), "deflate");
  write_from_rank0(file, spec.path, H5T_STD_I64LE, space, create, spec.expected.integers.data());
  H5Pclose(create);
  H5Sclose(space);
}

inline hid_t table_type() {
  const hid_t type = H5Tcreate(H5T_COMPOUND, kRowBytes);
  const hid_t tag = H5Tcopy(H5T_C_S1);
  H5Tset_size(tag, kTagWidth);
  H5Tset_strpad(tag, H5T_STR_NULLPAD);
  ok(H5Tinsert(type, "id", 0, H5T_STD_I64LE), "id");
  ok(H5Tinsert(type, "value", 8, H5T_IEEE_F64LE), "value");
  ok(H5Tinsert(type, "tag", 16, tag), "tag");
  H5Tclose(tag);
  return type;
}

inline void write_table(io::ParallelH5File& file, const DatasetSpec& spec) {
  const hsize_t rows = spec.table.size();
  const hid_t space = H5Screate_simple(1, &rows, nullptr), type = table_type();
  write_from_rank0(file, spec.path, type, space, H5P_DEFAULT, spec.expected.raw.data());
  H5Tclose(type);
  H5Sclose(space);
}

/// This rank's columns of a row-major [rows x cols] matrix, as PETSc would own them.
inline void write_slices(io::ParallelH5File& file, const DatasetSpec& spec) {
  int rank = 0, size = 1;
  MPI_Comm_rank(file.comm(), &rank);
  MPI_Comm_size(file.comm(), &size);
  const auto rows = static_cast<std::int64_t>(spec.expected.shape[0]);
  const auto columns = static_cast<std::int64_t>(spec.expected.shape[1]);
  const auto mine = comm::block_partition(columns, rank, size);
  std::vector<double> local;
  for (std::int64_t row = 0; row < rows; ++row)
    for (auto column = mine.begin; column < mine.end; ++column)
      local.push_back(spec.expected.numbers[static_cast<size_t>(row * columns + column)]);
  file.write_column_slices(spec.path, rows, columns, mine.begin, mine.size(), local);
}

inline std::string parent_of(const std::string& path) {
  const auto slash = path.rfind('/');
  return slash == 0 ? "/" : path.substr(0, slash);
}

}  // namespace writer_detail

/// Writes the datasets, then the attributes, of `segment` into `file`. Collective.
inline void write_segment(io::ParallelH5File& file, const ArchiveContent& content, const std::string& segment) {
  using namespace writer_detail;
  for (const auto& spec : content.datasets) {
    if (spec.segment != segment) continue;
    if (parent_of(spec.path) != "/") file.create_groups(parent_of(spec.path));
    const Values& v = spec.expected;
    switch (spec.writer) {
      case Writer::replicated: file.write_replicated(spec.path, v.numbers); break;
      case Writer::index: file.write_replicated_index(spec.path, v.integers); break;
      case Writer::strings: file.write_replicated_strings(spec.path, v.strings); break;
      case Writer::column_slices: write_slices(file, spec); break;
      case Writer::replicated_matrix:
        file.write_replicated_matrix(spec.path, static_cast<std::int64_t>(v.shape[0]),
                                     static_cast<std::int64_t>(v.shape[1]), v.numbers);
        break;
      case Writer::scalar: write_scalar(file, spec); break;
      case Writer::n_dimensional: write_cube(file, spec); break;
      case Writer::compound: write_table(file, spec); break;
    }
  }
  for (const auto& attribute : content.attributes) {
    if (attribute.segment != segment) continue;
    if (attribute.object != "/" && H5Lexists(file.id(), attribute.object.c_str(), H5P_DEFAULT) <= 0)
      file.create_groups(attribute.object);
    std::visit([&](const auto& value) { file.write_attribute(attribute.object, attribute.name, value); },
               attribute.value);
  }
}

/// What a reader must find in a file holding `segments` of `content` (all of them by default).
inline Dump expected_dump(const ArchiveContent& content, const std::vector<std::string>& segments = {}) {
  const auto wanted = [&](const std::string& segment) {
    return segments.empty() || std::find(segments.begin(), segments.end(), segment) != segments.end();
  };
  Dump dump;
  const auto add_groups = [&](std::string path) {
    for (; path != "/"; path = writer_detail::parent_of(path)) dump.groups.insert(path);
  };
  for (const auto& spec : content.datasets) {
    if (!wanted(spec.segment)) continue;
    dump.datasets[spec.path] = spec.expected;
    add_groups(writer_detail::parent_of(spec.path));
  }
  for (const auto& attribute : content.attributes) {
    if (!wanted(attribute.segment)) continue;
    dump.attributes[attribute.object + "@" + attribute.name] = attribute_values(attribute.value);
    if (!dump.datasets.contains(attribute.object)) add_groups(attribute.object);
  }
  return dump;
}

}  // namespace hesscov::testing
