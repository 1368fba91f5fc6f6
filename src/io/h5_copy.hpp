#pragma once
// io-internal: raw copies of HDF5 attributes and datasets between open files, used by the tree
// walker (h5_tree.hpp) in copy mode. Raw means the file datatype is used as the memory type, so
// bytes travel unconverted: compound and fixed-length string types copy exactly.
#include <hdf5.h>
#include <mpi.h>

#include <string>
#include <vector>

namespace hesscov::io {

/// Raw data one rank holds at a time while copying a dataset: bounds memory for [k x n] bases.
constexpr hsize_t kCopyRoundBytes = hsize_t{64} << 20;

/// Names of the attributes of the open object `object` (at `path` in `file`), in name order. Local
/// (collective when the file is parallel: every rank asks in the same order).
std::vector<std::string> attribute_names(hid_t object, const std::string& file, const std::string& path);

/// Copies attribute `name` of the object `source` (in file `source_file`) onto `destination`
/// (an object in `destination_file`), with its datatype and dataspace; variable-length values are
/// copied too and their memory reclaimed. Every rank of the destination's communicator calls it
/// with the same arguments. Collective when the files are parallel.
void copy_attribute(hid_t source, const std::string& source_file, const std::string& name, hid_t destination,
                    const std::string& destination_file);

/// Creates dataset `path` in `destination` with the datatype, dataspace (extent and maximum
/// extent) and creation property list (layout, chunking, filters, fill value) of the open dataset
/// `source`, copies all its attributes, and copies its raw data: rows (dimension 0) are split over
/// the ranks of `comm` in contiguous blocks, each rank reads its rows from the source and writes
/// them, in rounds of at most `round_bytes` per rank (one row at least), with collective
/// transfers (required for filtered datasets). Scalar datasets travel through rank 0.
/// Variable-length or reference datatypes are an IoError: their bytes are pointers or addresses,
/// meaningless in another file. Collective.
void copy_dataset(hid_t source, const std::string& source_file, hid_t destination, const std::string& destination_file,
                  const std::string& path, MPI_Comm comm, hsize_t round_bytes = kCopyRoundBytes);

}  // namespace hesscov::io
