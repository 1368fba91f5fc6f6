#pragma once
// A small ordered list of named scalar attributes (string, int64 or fp64), as a run or a sweep
// index stamps them on a root group: status, counts, timings, provenance.
#include <hdf5.h>

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "io/parallel_h5.hpp"

namespace hesscov::io {

using AttributeValue = std::variant<std::string, std::int64_t, double>;

struct Attribute {
  std::string name;
  AttributeValue value;
};

/// Written in order; a later entry of the same name wins.
using Attributes = std::vector<Attribute>;

/// Writes `attributes` onto the object at `object` of `file`, each as a scalar attribute of its
/// type (fixed-length string, int64, fp64); an existing attribute of the same name is replaced
/// (deleted, then created), so that the latest state wins over what a segment recorded earlier.
/// Collective.
void write_attributes(ParallelH5File& file, const std::string& object, const Attributes& attributes);

/// Attribute `name` of the open object `object` (in `file`, for messages) when it is a scalar
/// integer (read as int64), floating-point (fp64) or string (fixed- or variable-length; a
/// fixed-length value ends at its first NUL); std::nullopt when it is absent or of another kind
/// or shape. Local.
std::optional<AttributeValue> read_scalar_attribute(hid_t object, const std::string& file, const std::string& name);

/// Every scalar attribute (string, integer, floating-point) of the object at `object` in the HDF5
/// file at `path`, in name order; attributes of other shapes or kinds are left out. IoError naming
/// the file when it or the object cannot be opened. Local (serial read).
Attributes read_attributes(const std::string& path, const std::string& object);

}  // namespace hesscov::io
