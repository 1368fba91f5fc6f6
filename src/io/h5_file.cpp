#include "io/h5_file.hpp"

#include "core/error.hpp"
#include "io/h5_check.hpp"

namespace hesscov::io {

H5File::H5File(std::string path, hid_t id) : path_(std::move(path)), file_(id) {}

H5File H5File::create(const std::string& path) {
  silence_hdf5();
  return H5File(path, checked(H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT), path,
                              "cannot create the HDF5 file"));
}

H5File H5File::open_read(const std::string& path) {
  silence_hdf5();
  return H5File(path, checked(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), path,
                              "cannot open as an HDF5 file"));
}

void H5File::write_array(const std::string& name, hid_t file_type, hid_t memory_type, const void* data,
                         hsize_t count) {
  Id<H5Sclose> space(checked(H5Screate_simple(1, &count, nullptr), path_, "dataspace of " + name));
  Id<H5Dclose> dataset(checked(H5Dcreate2(file_.get(), name.c_str(), file_type, space.get(), H5P_DEFAULT,
                                          H5P_DEFAULT, H5P_DEFAULT),
                               path_, "cannot create dataset /" + name));
  checked(H5Dwrite(dataset.get(), memory_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data), path_,
          "cannot write dataset /" + name);
}

hsize_t H5File::extent_of(const std::string& name) const {
  Id<H5Dclose> dataset(checked(H5Dopen2(file_.get(), name.c_str(), H5P_DEFAULT), path_, "no dataset /" + name));
  Id<H5Sclose> space(checked(H5Dget_space(dataset.get()), path_, "dataspace of /" + name));
  const int rank = checked(H5Sget_simple_extent_ndims(space.get()), path_, "rank of /" + name);
  if (rank != 1) throw core::IoError(path_, "dataset /" + name + " is not 1-D");
  hsize_t extent = 0;
  checked(H5Sget_simple_extent_dims(space.get(), &extent, nullptr), path_, "extent of /" + name);
  return extent;
}

void H5File::read_array(const std::string& name, hid_t memory_type, void* data, hsize_t expected) const {
  Id<H5Dclose> dataset(checked(H5Dopen2(file_.get(), name.c_str(), H5P_DEFAULT), path_, "no dataset /" + name));
  if (expected > 0)
    checked(H5Dread(dataset.get(), memory_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data), path_,
            "cannot read dataset /" + name);
}

void H5File::write_vector(const std::string& name, const std::vector<double>& values) {
  write_array(name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, values.data(), values.size());
}

std::vector<double> H5File::read_vector(const std::string& name) const {
  std::vector<double> values(extent_of(name));
  read_array(name, H5T_NATIVE_DOUBLE, values.data(), values.size());
  return values;
}

void H5File::write_index_vector(const std::string& name, const std::vector<std::int64_t>& values) {
  write_array(name, H5T_STD_I64LE, H5T_NATIVE_INT64, values.data(), values.size());
}

std::vector<std::int64_t> H5File::read_index_vector(const std::string& name) const {
  std::vector<std::int64_t> values(extent_of(name));
  read_array(name, H5T_NATIVE_INT64, values.data(), values.size());
  return values;
}

H5File::Matrix H5File::read_matrix(const std::string& name) const {
  Id<H5Dclose> dataset(checked(H5Dopen2(file_.get(), name.c_str(), H5P_DEFAULT), path_, "no dataset /" + name));
  Id<H5Sclose> space(checked(H5Dget_space(dataset.get()), path_, "dataspace of /" + name));
  if (checked(H5Sget_simple_extent_ndims(space.get()), path_, "rank of /" + name) != 2)
    throw core::IoError(path_, "dataset /" + name + " is not 2-D");
  hsize_t extent[2] = {0, 0};
  checked(H5Sget_simple_extent_dims(space.get(), extent, nullptr), path_, "extent of /" + name);
  Matrix matrix{static_cast<std::int64_t>(extent[0]), static_cast<std::int64_t>(extent[1]),
                std::vector<double>(extent[0] * extent[1])};
  if (!matrix.values.empty())
    checked(H5Dread(dataset.get(), H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, matrix.values.data()), path_,
            "cannot read dataset /" + name);
  return matrix;
}

bool H5File::has_dataset(const std::string& name) const {
  // H5Lexists fails (rather than answering no) when an intermediate group is missing: walk down.
  for (size_t end = name.find('/', 1); ; end = name.find('/', end + 1)) {
    const std::string prefix = name.substr(0, end);
    if (checked(H5Lexists(file_.get(), prefix.c_str(), H5P_DEFAULT), path_, "link lookup " + prefix) <= 0) return false;
    if (end == std::string::npos) return true;
  }
}

namespace {

void write_scalar_attribute(hid_t file, const std::string& path, const std::string& name, hid_t file_type,
                            hid_t memory_type, const void* value) {
  Id<H5Sclose> space(checked(H5Screate(H5S_SCALAR), path, "scalar dataspace"));
  Id<H5Aclose> attribute(checked(H5Acreate2(file, name.c_str(), file_type, space.get(), H5P_DEFAULT, H5P_DEFAULT),
                                 path, "cannot create attribute " + name));
  checked(H5Awrite(attribute.get(), memory_type, value), path, "cannot write attribute " + name);
}

void read_scalar_attribute(hid_t file, const std::string& path, const std::string& name, hid_t memory_type,
                           void* value) {
  // "group/dataset@attribute" names an attribute of an object below the root.
  const auto at = name.find('@');
  const std::string object = at == std::string::npos ? "/" : name.substr(0, at);
  const std::string attribute_name = at == std::string::npos ? name : name.substr(at + 1);
  Id<H5Aclose> attribute(checked(H5Aopen_by_name(file, object.c_str(), attribute_name.c_str(), H5P_DEFAULT, H5P_DEFAULT),
                                 path, "no attribute " + name));
  checked(H5Aread(attribute.get(), memory_type, value), path, "cannot read attribute " + name);
}

}  // namespace

void H5File::write_attribute(const std::string& name, double value) {
  write_scalar_attribute(file_.get(), path_, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, &value);
}

void H5File::write_attribute(const std::string& name, std::int64_t value) {
  write_scalar_attribute(file_.get(), path_, name, H5T_STD_I64LE, H5T_NATIVE_INT64, &value);
}

void H5File::write_attribute(const std::string& name, const std::string& value) {
  Id<H5Tclose> type(checked(H5Tcopy(H5T_C_S1), path_, "string type"));
  checked(H5Tset_size(type.get(), std::max<size_t>(value.size(), 1)), path_, "string size");
  write_scalar_attribute(file_.get(), path_, name, type.get(), type.get(), value.c_str());
}

double H5File::read_double(const std::string& name) const {
  double value = 0.0;
  read_scalar_attribute(file_.get(), path_, name, H5T_NATIVE_DOUBLE, &value);
  return value;
}

std::int64_t H5File::read_int(const std::string& name) const {
  std::int64_t value = 0;
  read_scalar_attribute(file_.get(), path_, name, H5T_NATIVE_INT64, &value);
  return value;
}

std::string H5File::read_string(const std::string& name) const {
  const auto at = name.find('@');  // "group/dataset@attribute", as for the numeric readers
  const std::string object = at == std::string::npos ? "/" : name.substr(0, at);
  const std::string attribute_name = at == std::string::npos ? name : name.substr(at + 1);
  Id<H5Aclose> attribute(checked(H5Aopen_by_name(file_.get(), object.c_str(), attribute_name.c_str(), H5P_DEFAULT,
                                                 H5P_DEFAULT),
                                 path_, "no attribute " + name));
  Id<H5Tclose> type(checked(H5Aget_type(attribute.get()), path_, "type of attribute " + name));
  if (H5Tget_class(type.get()) != H5T_STRING) throw core::IoError(path_, "attribute " + name + " is not a string");
  const size_t size = H5Tget_size(type.get());
  std::string value(size, '\0');
  checked(H5Aread(attribute.get(), type.get(), value.data()), path_, "cannot read attribute " + name);
  return value.substr(0, value.find('\0'));
}

bool H5File::has_attribute(const std::string& name) const {
  const auto at = name.find('@');
  if (at == std::string::npos)
    return checked(H5Aexists(file_.get(), name.c_str()), path_, "attribute lookup " + name) > 0;
  const std::string object = name.substr(0, at);
  if (!has_dataset(object)) return false;
  return checked(H5Aexists_by_name(file_.get(), object.c_str(), name.substr(at + 1).c_str(), H5P_DEFAULT), path_,
                 "attribute lookup " + name) > 0;
}

void H5File::close() {
  if (file_.get() < 0) return;
  checked(H5Fflush(file_.get(), H5F_SCOPE_LOCAL), path_, "cannot flush");
  file_ = Id<H5Fclose>();
}

}  // namespace hesscov::io
