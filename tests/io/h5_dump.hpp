#pragma once
// Test helper: everything an HDF5 file holds, read serially with the plain C API (independent of
// the io layer's writers), following external links like any reader would. Datasets and
// attributes are decoded by type class: floats as fp64, integers as int64, fixed-length strings
// (trailing NULs stripped), anything else (compound) as raw bytes in the file's layout.
#include <hdf5.h>

#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

namespace hesscov::testing {

struct Values {
  H5T_class_t type_class = H5T_NO_CLASS;
  size_t type_size = 0;
  bool scalar = false;         ///< a scalar dataspace (shape is then empty)
  std::vector<hsize_t> shape;  ///< extent of a simple dataspace
  std::vector<double> numbers;
  std::vector<std::int64_t> integers;
  std::vector<std::string> strings;
  std::vector<unsigned char> raw;
  bool operator==(const Values&) const = default;
};

struct Dump {
  std::set<std::string> groups;                ///< "/a", "/a/b" (the root not included)
  std::map<std::string, Values> datasets;      ///< by absolute path
  std::map<std::string, Values> attributes;    ///< by "object@name", object "/" for the root
  bool operator==(const Dump&) const = default;
};

namespace dump_detail {

inline void require(bool condition, const std::string& what) {
  if (!condition) throw std::runtime_error("h5 dump: " + what);
}

inline Values decode(hid_t type, hid_t space, const std::function<void(hid_t, void*)>& read) {
  Values values;
  values.type_class = H5Tget_class(type);
  values.type_size = H5Tget_size(type);
  values.scalar = H5Sget_simple_extent_type(space) == H5S_SCALAR;
  const int dimensions = H5Sget_simple_extent_ndims(space);
  require(dimensions >= 0, "extent");
  values.shape.resize(static_cast<size_t>(dimensions));
  if (dimensions > 0) H5Sget_simple_extent_dims(space, values.shape.data(), nullptr);
  const auto count = static_cast<size_t>(H5Sget_simple_extent_npoints(space));
  if (values.type_class == H5T_FLOAT) {
    values.numbers.resize(count);
    if (count > 0) read(H5T_NATIVE_DOUBLE, values.numbers.data());
  } else if (values.type_class == H5T_INTEGER) {
    values.integers.resize(count);
    if (count > 0) read(H5T_NATIVE_INT64, values.integers.data());
  } else {
    require(H5Tis_variable_str(type) <= 0 && H5Tdetect_class(type, H5T_VLEN) <= 0, "variable-length data");
    values.raw.resize(count * values.type_size);
    if (count > 0) read(type, values.raw.data());
    if (values.type_class == H5T_STRING) {
      for (size_t at = 0; at < count; ++at) {
        std::string text(reinterpret_cast<const char*>(values.raw.data()) + at * values.type_size, values.type_size);
        values.strings.push_back(text.substr(0, text.find('\0')));
      }
      values.raw.clear();
    }
  }
  return values;
}

inline herr_t collect_attribute(hid_t, const char* name, const H5A_info_t*, void* data) {
  static_cast<std::vector<std::string>*>(data)->emplace_back(name);
  return 0;
}

inline void dump_attributes(hid_t object, const std::string& path, Dump& dump) {
  std::vector<std::string> names;
  hsize_t position = 0;
  require(H5Aiterate2(object, H5_INDEX_NAME, H5_ITER_INC, &position, collect_attribute, &names) >= 0, "attributes");
  for (const auto& name : names) {
    const hid_t attribute = H5Aopen(object, name.c_str(), H5P_DEFAULT);
    const hid_t type = H5Aget_type(attribute), space = H5Aget_space(attribute);
    dump.attributes[path + "@" + name] =
        decode(type, space, [&](hid_t memory, void* data) { require(H5Aread(attribute, memory, data) >= 0, name); });
    H5Sclose(space);
    H5Tclose(type);
    H5Aclose(attribute);
  }
}

inline herr_t collect_link(hid_t, const char* name, const H5L_info_t*, void* data) {
  static_cast<std::vector<std::string>*>(data)->emplace_back(name);
  return 0;
}

inline void dump_group(hid_t group, const std::string& path, Dump& dump) {
  dump_attributes(group, path, dump);
  std::vector<std::string> names;
  hsize_t position = 0;
  require(H5Literate(group, H5_INDEX_NAME, H5_ITER_INC, &position, collect_link, &names) >= 0, "links of " + path);
  for (const auto& name : names) {
    const std::string child = path == "/" ? "/" + name : path + "/" + name;
    const hid_t object = H5Oopen(group, name.c_str(), H5P_DEFAULT);  // follows external links
    require(object >= 0, "cannot open " + child);
    if (H5Iget_type(object) == H5I_GROUP) {
      dump.groups.insert(child);
      dump_group(object, child, dump);
    } else {
      const hid_t type = H5Dget_type(object), space = H5Dget_space(object);
      dump.datasets[child] = decode(type, space, [&](hid_t memory, void* data) {
        require(H5Dread(object, memory, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) >= 0, child);
      });
      dump_attributes(object, child, dump);
      H5Sclose(space);
      H5Tclose(type);
    }
    H5Oclose(object);
  }
}

}  // namespace dump_detail

/// Everything in the HDF5 file at `path`. Throws std::runtime_error when something cannot be read.
inline Dump dump_file(const std::string& path) {
  const hid_t file = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  dump_detail::require(file >= 0, "cannot open " + path);
  Dump dump;
  const hid_t root = H5Gopen2(file, "/", H5P_DEFAULT);
  try {
    dump_detail::dump_group(root, "/", dump);
  } catch (...) {
    H5Gclose(root);
    H5Fclose(file);
    throw;
  }
  H5Gclose(root);
  H5Fclose(file);
  return dump;
}

}  // namespace hesscov::testing
