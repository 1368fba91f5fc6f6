#include "io/attributes.hpp"

#include "io/h5_check.hpp"
#include "io/h5_copy.hpp"
#include "io/h5_file.hpp"

namespace hesscov::io {

void write_attributes(ParallelH5File& file, const std::string& object, const Attributes& attributes) {
  for (const auto& [name, value] : attributes) {
    const htri_t exists = checked(H5Aexists_by_name(file.id(), object.c_str(), name.c_str(), H5P_DEFAULT), file.path(),
                                  "attribute lookup " + object + "@" + name);
    if (exists > 0)
      checked(H5Adelete_by_name(file.id(), object.c_str(), name.c_str(), H5P_DEFAULT), file.path(),
              "cannot replace attribute " + object + "@" + name);
    std::visit([&](const auto& scalar) { file.write_attribute(object, name, scalar); }, value);
  }
}

namespace {

std::string read_string_attribute(hid_t attribute, hid_t type, const std::string& file, const std::string& name) {
  if (H5Tis_variable_str(type) > 0) {
    Id<H5Tclose> memory(checked(H5Tcopy(H5T_C_S1), file, "string type"));
    checked(H5Tset_size(memory.get(), H5T_VARIABLE), file, "variable string type");
    char* text = nullptr;
    checked(H5Aread(attribute, memory.get(), &text), file, "cannot read attribute " + name);
    std::string value = text != nullptr ? text : "";
    H5free_memory(text);
    return value;
  }
  std::string value(H5Tget_size(type), '\0');
  checked(H5Aread(attribute, type, value.data()), file, "cannot read attribute " + name);
  return value.substr(0, value.find('\0'));
}

}  // namespace

std::optional<AttributeValue> read_scalar_attribute(hid_t object, const std::string& file, const std::string& name) {
  if (checked(H5Aexists(object, name.c_str()), file, "attribute lookup " + name) <= 0) return std::nullopt;
  Id<H5Aclose> attribute(checked(H5Aopen(object, name.c_str(), H5P_DEFAULT), file, "cannot open attribute " + name));
  Id<H5Sclose> space(checked(H5Aget_space(attribute.get()), file, "dataspace of attribute " + name));
  if (H5Sget_simple_extent_type(space.get()) != H5S_SCALAR) return std::nullopt;
  Id<H5Tclose> type(checked(H5Aget_type(attribute.get()), file, "type of attribute " + name));
  switch (H5Tget_class(type.get())) {
    case H5T_INTEGER: {
      std::int64_t value = 0;
      checked(H5Aread(attribute.get(), H5T_NATIVE_INT64, &value), file, "cannot read attribute " + name);
      return value;
    }
    case H5T_FLOAT: {
      double value = 0.0;
      checked(H5Aread(attribute.get(), H5T_NATIVE_DOUBLE, &value), file, "cannot read attribute " + name);
      return value;
    }
    case H5T_STRING:
      return read_string_attribute(attribute.get(), type.get(), file, name);
    default:
      return std::nullopt;
  }
}

Attributes read_attributes(const std::string& path, const std::string& object) {
  const H5File file = H5File::open_read(path);
  Id<H5Oclose> opened(checked(H5Oopen(file.id(), object.c_str(), H5P_DEFAULT), path, "cannot open " + object));
  Attributes attributes;
  for (const auto& name : attribute_names(opened.get(), path, object))
    if (auto value = read_scalar_attribute(opened.get(), path, name)) attributes.push_back({name, std::move(*value)});
  return attributes;
}

}  // namespace hesscov::io
