#pragma once
// Test helper: one fixed, hand-written archive content spread over segments the way a run spreads
// it (meta, a checkpoint, its alignment, a later checkpoint), with every kind of object the io
// layer writes: replicated fp64 vectors, compressed int64 indices, fixed-length strings,
// column-sliced and replicated matrices (one with fewer rows than ranks, one empty), scalar, N-D
// and compound datasets, scalar and 1-D attributes on the root, on groups and on datasets, groups
// shared between segments. The same spec drives the writers, the expected dump of the C++ tests
// and the JSON manifest that tests/io/check_archive.py checks with h5py.
#include <cmath>
#include <cstring>
#include <limits>
#include <variant>

#include "comm/communicator.hpp"
#include "h5_dump.hpp"
#include "io/parallel_h5.hpp"

namespace hesscov::testing {

enum class Writer { replicated, index, strings, column_slices, replicated_matrix, scalar, n_dimensional, compound };

/// One row of the compound table: {id int64, value fp64, tag char[6]}, packed (22 bytes).
struct TableRow {
  std::int64_t id;
  double value;
  std::string tag;
};
constexpr size_t kTagWidth = 6, kRowBytes = 8 + 8 + kTagWidth;

struct DatasetSpec {
  std::string segment, path;
  Writer writer;
  Values expected;              ///< what a dump of the archive must find
  std::vector<TableRow> table;  ///< the rows of a compound dataset
};

using AttributeSpecValue =
    std::variant<std::string, std::int64_t, double, std::vector<double>, std::vector<std::int64_t>>;

struct AttributeSpec {
  std::string segment, object, name;
  AttributeSpecValue value;
};

struct ArchiveContent {
  std::vector<std::string> segments;
  std::vector<DatasetSpec> datasets;
  std::vector<AttributeSpec> attributes;
};

inline Values f64_values(std::vector<hsize_t> shape, std::vector<double> numbers) {
  Values values{H5T_FLOAT, 8, false, std::move(shape)};
  values.numbers = std::move(numbers);
  return values;
}

inline Values i64_values(std::vector<hsize_t> shape, std::vector<std::int64_t> integers) {
  Values values{H5T_INTEGER, 8, false, std::move(shape)};
  values.integers = std::move(integers);
  return values;
}

/// As ParallelH5File::write_replicated_strings stores them: as wide as the longest, at least 1.
inline Values string_values(std::vector<std::string> strings) {
  size_t width = 1;
  for (const auto& text : strings) width = std::max(width, text.size());
  Values values{H5T_STRING, width, false, {strings.size()}};
  values.strings = std::move(strings);
  return values;
}

/// A scalar attribute as ParallelH5File::write_attribute stores it.
inline Values attribute_values(const AttributeSpecValue& value) {
  if (const auto* text = std::get_if<std::string>(&value)) {
    Values values{H5T_STRING, std::max<size_t>(text->size(), 1), true, {}};
    values.strings = {*text};
    return values;
  }
  if (const auto* integer = std::get_if<std::int64_t>(&value)) {
    Values values{H5T_INTEGER, 8, true, {}};
    values.integers = {*integer};
    return values;
  }
  if (const auto* number = std::get_if<double>(&value)) {
    Values values{H5T_FLOAT, 8, true, {}};
    values.numbers = {*number};
    return values;
  }
  if (const auto* numbers = std::get_if<std::vector<double>>(&value)) return f64_values({numbers->size()}, *numbers);
  const auto& integers = std::get<std::vector<std::int64_t>>(value);
  return i64_values({integers.size()}, integers);
}

inline std::vector<double> sequence(size_t count, double scale, double offset) {
  std::vector<double> numbers(count);
  for (size_t at = 0; at < count; ++at) numbers[at] = offset + scale * std::sin(1.0 + static_cast<double>(at));
  return numbers;
}

inline std::vector<unsigned char> table_bytes(const std::vector<TableRow>& rows) {
  std::vector<unsigned char> bytes(rows.size() * kRowBytes, 0);
  for (size_t at = 0; at < rows.size(); ++at) {
    unsigned char* row = bytes.data() + at * kRowBytes;
    std::memcpy(row, &rows[at].id, 8);
    std::memcpy(row + 8, &rows[at].value, 8);
    std::memcpy(row + 16, rows[at].tag.data(), std::min(rows[at].tag.size(), kTagWidth));
  }
  return bytes;
}

inline ArchiveContent sample_content() {
  ArchiveContent c;
  c.segments = {"meta", "step-100", "step-100.align", "step-200"};
  std::vector<std::int64_t> indices(1000);
  for (size_t at = 0; at < indices.size(); ++at) indices[at] = static_cast<std::int64_t>((at * 7919) % 60000);
  const std::vector<double> tricky = {-0.0, 5e-324, 1.0 / 3.0, -1e300, 0.1, std::numeric_limits<double>::max()};
  c.datasets = {
      {"meta", "/dataset/indices", Writer::index, i64_values({1000}, indices)},
      {"meta", "/dataset/labels", Writer::strings, string_values({"zero", "one", "", "na\xc3\xafve", "line\nbreak"})},
      {"meta", "/layout/offsets", Writer::index, i64_values({4}, {0, 100, 110, (std::int64_t{1} << 53) + 1})},
      {"meta", "/layout/names", Writer::strings, string_values({"fc1.weight", "fc1.bias", "fc2.weight"})},
      {"meta", "/layout/empty_index", Writer::index, i64_values({0}, {})},
      {"meta", "/layout/empty_strings", Writer::strings, string_values({})},
      {"meta", "/layout/empty_values", Writer::replicated, f64_values({0}, {})},
      {"step-100", "/checkpoints/step_100/params", Writer::replicated, f64_values({50}, sequence(50, 0.5, 0.0))},
      {"step-100", "/checkpoints/step_100/tricky", Writer::replicated, f64_values({6}, tricky)},
      {"step-100", "/checkpoints/step_100/loss", Writer::scalar, {H5T_FLOAT, 8, true, {}, {0.6931471805599453}}},
      {"step-100.align", "/checkpoints/step_100/align/eigvecs", Writer::column_slices,
       f64_values({5, 23}, sequence(5 * 23, 1.0, 0.25))},
      {"step-100.align", "/checkpoints/step_100/align/tiny", Writer::column_slices,
       f64_values({2, 7}, sequence(2 * 7, -2.0, 0.0))},
      {"step-100.align", "/checkpoints/step_100/align/no_rows", Writer::column_slices, f64_values({0, 4}, {})},
      {"step-100.align", "/checkpoints/step_100/align/baseline", Writer::replicated_matrix,
       f64_values({40, 3}, sequence(40 * 3, 3.0, 1.0))},
      {"step-100.align", "/checkpoints/step_100/align/cube", Writer::n_dimensional,
       i64_values({4, 3, 2}, {1, -2, 3, -4, 5, -6, 7, -8, 9, -10, 11, -12, 13, -14, 15, -16, 17, -18, 19, -20, 21, -22,
                              23, std::numeric_limits<std::int64_t>::min()})},
      {"step-200", "/checkpoints/step_200/params", Writer::replicated, f64_values({50}, sequence(50, 0.25, 1.0))},
  };
  const std::vector<TableRow> rows = {{1, 0.5, "alpha"}, {2, -1.25, "beta"}, {3, 1e-8, "gammas"}, {4, 2.0, ""},
                                      {-5, 1e10, "e"}};
  DatasetSpec table{"step-100.align", "/checkpoints/step_100/align/table", Writer::compound,
                    {H5T_COMPOUND, kRowBytes, false, {rows.size()}}, rows};
  table.expected.raw = table_bytes(rows);
  c.datasets.push_back(table);
  c.attributes = {
      {"meta", "/", "format", std::string("hesscov-run-1")},
      {"meta", "/", "seed", std::int64_t{42}},
      {"meta", "/", "eta", 0.05},
      {"meta", "/", "hidden", std::vector<std::int64_t>{784, 128, 10}},
      {"meta", "/", "milestones", std::vector<double>{0.5, 0.75}},
      {"meta", "/", "no_values", std::vector<double>{}},
      {"meta", "/", "config", std::string("model:\n  mlp: [784, 128, 10]\n")},
      {"meta", "/dataset", "name", std::string("mnist")},
      {"meta", "/dataset/indices", "units", std::string("sample index")},
      {"step-100", "/checkpoints", "kind", std::string("sgd")},
      {"step-100", "/checkpoints/step_100", "step", std::int64_t{100}},
      {"step-100", "/checkpoints/step_100/params", "norm", 3.5},
      {"step-100.align", "/checkpoints/step_100/align", "nev", std::int64_t{5}},
      {"step-100.align", "/checkpoints/step_100/align/eigvecs", "eigvals", std::vector<double>{5, 4, 3, 2, 1}},
      {"step-200", "/", "last_step", std::int64_t{200}},
      {"step-200", "/checkpoints/step_200", "step", std::int64_t{200}},
      {"step-200", "/summary", "train.lr", 0.1},
      {"step-200", "/summary", "test.accuracy", 0.9731},
      {"step-200", "/summary", "epochs", std::int64_t{3}},
      {"step-200", "/summary", "note", std::string("done")},
  };
  return c;
}

}  // namespace hesscov::testing
