#include "io/index_summary.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <set>

#include "core/error.hpp"
#include "io/h5_check.hpp"
#include "io/h5_copy.hpp"
#include "io/h5_file.hpp"

namespace hesscov::io {
namespace {

std::string required_string(hid_t root, const std::string& path, const std::string& name) {
  const auto value = read_scalar_attribute(root, path, name);
  if (!value || !std::holds_alternative<std::string>(*value))
    throw core::IoError(path, "not a hesscov run file: root attribute '" + name + "' (a string) is missing");
  return std::get<std::string>(*value);
}

/// One field of the table: where it sits in a row and how it is stored.
struct Column {
  std::string name;
  bool numeric = false;
  size_t width = 1, offset = 0;
};

std::string as_text(const AttributeValue& value) {
  if (const auto* text = std::get_if<std::string>(&value)) return *text;
  if (const auto* integer = std::get_if<std::int64_t>(&value)) return std::to_string(*integer);
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.17g", std::get<double>(value));  // round-trips exactly
  return buffer;
}

double as_number(const AttributeValue& value) {
  if (const auto* integer = std::get_if<std::int64_t>(&value)) return static_cast<double>(*integer);
  return std::get<double>(value);
}

/// The values of a row, by column name: the four fixed fields, then the run's summary attributes.
std::map<std::string, AttributeValue> row_values(const RunRecord& record) {
  std::map<std::string, AttributeValue> values;
  for (const auto& [name, value] : record.summary) values[name] = value;
  values["run_id"] = record.run_id;
  values["status"] = record.status;
  values["file"] = record.file;
  values["archive"] = record.archive;
  return values;
}

std::vector<Column> layout(const std::vector<std::map<std::string, AttributeValue>>& rows,
                           const std::set<std::string>& summary_names) {
  std::vector<Column> columns;
  for (const char* fixed : {"run_id", "status", "file", "archive"}) columns.push_back({fixed});
  for (const auto& name : summary_names) columns.push_back({name, true});
  size_t offset = 0;
  for (auto& column : columns) {
    for (const auto& row : rows) {
      const auto found = row.find(column.name);
      if (found == row.end()) continue;
      if (std::holds_alternative<std::string>(found->second)) column.numeric = false;
      column.width = std::max(column.width, as_text(found->second).size());
    }
    if (column.numeric) column.width = sizeof(double);
    column.offset = offset;
    offset += column.width;
  }
  return columns;
}

Id<H5Tclose> string_type(size_t width, const std::string& file) {
  Id<H5Tclose> type(checked(H5Tcopy(H5T_C_S1), file, "string type"));
  checked(H5Tset_size(type.get(), width), file, "string size");
  checked(H5Tset_strpad(type.get(), H5T_STR_NULLPAD), file, "string padding");
  return type;
}

/// The rows as the compound's bytes: a missing number is NaN, a missing string is "".
std::vector<char> pack(const std::vector<std::map<std::string, AttributeValue>>& rows,
                       const std::vector<Column>& columns, size_t row_size) {
  std::vector<char> table(std::max<size_t>(rows.size() * row_size, 1), '\0');
  for (size_t at = 0; at < rows.size(); ++at)
    for (const auto& column : columns) {
      char* cell = table.data() + at * row_size + column.offset;
      const auto found = rows[at].find(column.name);
      if (column.numeric) {
        const double number =
            found == rows[at].end() ? std::numeric_limits<double>::quiet_NaN() : as_number(found->second);
        std::memcpy(cell, &number, sizeof number);
      } else if (found != rows[at].end()) {
        const std::string text = as_text(found->second);
        std::memcpy(cell, text.data(), text.size());
      }
    }
  return table;
}

void write_columns_attribute(hid_t dataset, const std::vector<Column>& columns, const std::string& file) {
  size_t width = 1;
  for (const auto& column : columns) width = std::max(width, column.name.size());
  std::vector<char> names(columns.size() * width, '\0');
  for (size_t at = 0; at < columns.size(); ++at)
    std::memcpy(names.data() + at * width, columns[at].name.data(), columns[at].name.size());
  const hsize_t count = columns.size();
  Id<H5Sclose> space(checked(H5Screate_simple(1, &count, nullptr), file, "space of /summary@columns"));
  Id<H5Tclose> type = string_type(width, file);
  Id<H5Aclose> attribute(checked(H5Acreate2(dataset, "columns", type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT),
                                 file, "cannot create attribute /summary@columns"));
  checked(H5Awrite(attribute.get(), type.get(), names.data()), file, "cannot write attribute /summary@columns");
}

}  // namespace

RunRecord read_run_record(const std::string& path, const std::string& relative) {
  const H5File file = H5File::open_read(path);
  RunRecord record;
  record.file = relative;
  record.run_id = required_string(file.id(), path, "run_id");
  record.status = required_string(file.id(), path, "status");
  record.archive = required_string(file.id(), path, "archive");
  if (record.archive != "view" && record.archive != "merged")
    throw core::IoError(path, "root attribute 'archive' is '" + record.archive + "', expected 'view' or 'merged'");
  if (const auto number = read_scalar_attribute(file.id(), path, "number"))
    if (const auto* integer = std::get_if<std::int64_t>(&*number)) record.number = *integer;
  if (checked(H5Lexists(file.id(), "summary", H5P_DEFAULT), path, "lookup of /summary") <= 0) return record;
  // In a view, /summary may be an external link: opening it proves that its segment is there.
  Id<H5Oclose> summary(checked(H5Oopen(file.id(), "summary", H5P_DEFAULT), path, "cannot open /summary"));
  if (H5Iget_type(summary.get()) != H5I_GROUP) return record;
  for (const auto& name : attribute_names(summary.get(), path, "/summary")) {
    // A summary attribute named like a fixed column keeps its value under a distinct field name.
    const bool clash = name == "run_id" || name == "status" || name == "file" || name == "archive";
    if (const auto value = read_scalar_attribute(summary.get(), path, name))
      record.summary[clash ? "summary." + name : name] = *value;
  }
  return record;
}

void write_summary(hid_t file, const std::string& file_name, const std::vector<RunRecord>& records) {
  std::vector<std::map<std::string, AttributeValue>> rows;
  std::set<std::string> summary_names;
  for (const auto& record : records) {
    rows.push_back(row_values(record));
    for (const auto& [name, value] : record.summary) summary_names.insert(name);
  }
  const auto columns = layout(rows, summary_names);
  const size_t row_size = columns.back().offset + columns.back().width;
  Id<H5Tclose> type(checked(H5Tcreate(H5T_COMPOUND, row_size), file_name, "compound type of /summary"));
  for (const auto& column : columns) {
    Id<H5Tclose> field = column.numeric ? Id<H5Tclose>(checked(H5Tcopy(H5T_IEEE_F64LE), file_name, "fp64 type"))
                                        : string_type(column.width, file_name);
    checked(H5Tinsert(type.get(), column.name.c_str(), column.offset, field.get()), file_name,
            "field " + column.name + " of /summary");
  }
  const std::vector<char> table = pack(rows, columns, row_size);
  const hsize_t count = rows.size();
  Id<H5Sclose> space(checked(H5Screate_simple(1, &count, nullptr), file_name, "dataspace of /summary"));
  Id<H5Dclose> dataset(checked(H5Dcreate2(file, "summary", type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT,
                                          H5P_DEFAULT),
                               file_name, "cannot create dataset /summary"));
  if (count > 0)
    checked(H5Dwrite(dataset.get(), type.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, table.data()), file_name,
            "cannot write dataset /summary");
  write_columns_attribute(dataset.get(), columns, file_name);
}

}  // namespace hesscov::io
