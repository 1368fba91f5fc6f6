// io_archive_manifest <folder>: writes a small sweep through the io layer — run "a" merged, run
// "b" left as a view, and the sweep's index — collectively over MPI_COMM_WORLD, plus
// <folder>/manifest.json, the list of every group, dataset (path, dtype, shape, values, storage)
// and attribute (object, name, type, value) that a reader must find in each file. Run by
// tests/io/check_archive.py (ctest io.h5py_archive.npN), which reads the files with h5py.
#include <mpi.h>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>

#include "archive_writer.hpp"
#include "io/index_archive.hpp"
#include "io/run_archive.hpp"

namespace {

using namespace hesscov;
using testing::Values;

std::string quoted(const std::string& text) {
  std::string out = "\"";
  for (const unsigned char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20) {
      char escape[8];
      std::snprintf(escape, sizeof escape, "\\u%04x", c);
      out += escape;
    } else {
      out += static_cast<char>(c);  // UTF-8 passes through
    }
  }
  return out + "\"";
}

/// Shortest text that reads back as the same double; always with a '.' or exponent, so that
/// Python's json reads a float (and -0.0 keeps its sign).
std::string number(double value) {
  char text[40];
  std::snprintf(text, sizeof text, "%.17g", value);
  std::string out = text;
  if (out.find_first_of(".en") == std::string::npos) out += ".0";
  return out;
}

template <class T, class F>
std::string list(const std::vector<T>& items, F&& format) {
  std::string out = "[";
  for (size_t at = 0; at < items.size(); ++at) out += (at ? ", " : "") + format(items[at]);
  return out + "]";
}

std::string flat_values(const Values& v) {
  if (v.type_class == H5T_FLOAT) return list(v.numbers, number);
  if (v.type_class == H5T_INTEGER) return list(v.integers, [](std::int64_t i) { return std::to_string(i); });
  return list(v.strings, quoted);
}

std::string dtype_of(const Values& v) {
  return v.type_class == H5T_FLOAT     ? "f64"
         : v.type_class == H5T_INTEGER ? "i64"
         : v.type_class == H5T_STRING  ? "str"
                                       : "compound";
}

std::string attribute_entry(const std::string& key, const Values& v) {
  const auto at = key.rfind('@');
  const std::string type = dtype_of(v) + (v.scalar ? "" : "[]");
  const std::string value = v.scalar ? flat_values(v).substr(1, flat_values(v).size() - 2) : flat_values(v);
  return "{\"object\": " + quoted(key.substr(0, at)) + ", \"name\": " + quoted(key.substr(at + 1)) +
         ", \"type\": " + quoted(type) + ", \"value\": " + value + "}";
}

/// Storage the writers choose, which every copy must keep (h5py: chunks, compression, shuffle).
std::string storage_of(const std::string& path) {
  if (path.ends_with("/dataset/indices"))  // write_replicated_index: one chunk here, shuffle + deflate 4
    return ", \"chunks\": [1000], \"compression\": \"gzip\", \"compression_opts\": 4, \"shuffle\": true";
  if (path.ends_with("/align/cube"))
    return ", \"chunks\": [2, 3, 2], \"compression\": \"gzip\", \"compression_opts\": 6";
  if (path.ends_with("/align/eigvecs")) return ", \"chunks\": [5, 23], \"compression\": null";
  if (path.ends_with("/align/baseline")) return ", \"chunks\": [16, 3], \"compression\": null";
  if (path.ends_with("/step_100/params")) return ", \"chunks\": null";
  return "";
}

std::string dataset_entry(const std::string& path, const Values& v, const testing::DatasetSpec* table) {
  std::string entry = "{\"path\": " + quoted(path) + ", \"dtype\": " + quoted(dtype_of(v)) +
                      ", \"shape\": " + list(v.shape, [](hsize_t n) { return std::to_string(n); });
  if (table != nullptr) {
    entry += R"(, "fields": [["id", "i64"], ["value", "f64"], ["tag", "str"]], "values": )";
    entry += list(table->table, [](const testing::TableRow& row) {
      return "[" + std::to_string(row.id) + ", " + number(row.value) + ", " + quoted(row.tag) + "]";
    });
  } else {
    entry += ", \"values\": " + flat_values(v);
  }
  return entry + storage_of(path) + "}";
}

/// The manifest entries of one run's content, with its paths below `prefix` ("" or "/runs/a").
struct Entries {
  std::vector<std::string> groups, datasets, attributes;
};

void add_run(Entries& entries, const testing::ArchiveContent& content, const io::Attributes& root,
             const std::string& prefix) {
  testing::Dump dump = testing::expected_dump(content);
  for (const auto& [name, value] : root)
    std::visit([&](const auto& v) { dump.attributes["/@" + name] = testing::attribute_values(v); }, value);
  const auto under = [&](const std::string& path) {
    return path == "/" ? (prefix.empty() ? "/" : prefix) : prefix + path;
  };
  if (!prefix.empty()) entries.groups.push_back(quoted(prefix));
  for (const auto& group : dump.groups) entries.groups.push_back(quoted(under(group)));
  for (const auto& [path, values] : dump.datasets) {
    const testing::DatasetSpec* table = nullptr;
    for (const auto& spec : content.datasets)
      if (spec.path == path && spec.writer == testing::Writer::compound) table = &spec;
    entries.datasets.push_back(dataset_entry(under(path), values, table));
  }
  for (const auto& [key, values] : dump.attributes) {
    const auto at = key.rfind('@');
    entries.attributes.push_back(attribute_entry(under(key.substr(0, at)) + key.substr(at), values));
  }
}

std::string file_entry(const std::string& file, const Entries& entries) {
  const auto join = [](const std::vector<std::string>& items) {
    return list(items, [](const std::string& s) { return s; });
  };
  return "{\"file\": " + quoted(file) + ",\n  \"groups\": " + join(entries.groups) + ",\n  \"datasets\": " +
         join(entries.datasets) + ",\n  \"attributes\": " + join(entries.attributes) + "}";
}

void write_run(const std::string& folder, const std::string& id, const testing::ArchiveContent& content,
               const io::Attributes& root, bool merge) {
  io::RunArchive run(folder + "/runs", id, MPI_COMM_WORLD);
  for (const auto& segment : content.segments) {
    io::AtomicFile file = run.begin_segment(segment);
    testing::write_segment(file.file(), content, segment);
    file.commit();
    run.publish_view(root);  // as a run does after every checkpoint
  }
  if (merge) run.finalize(root);
}

io::Attributes with_archive(io::Attributes root, const std::string& archive) {
  root.push_back({"archive", archive});
  return root;
}

/// The index's own objects: root attributes, the /summary table (rows sorted by "number": b, a).
void add_index(Entries& entries) {
  const auto attribute = [&](const std::string& name, const std::string& type, const std::string& value) {
    entries.attributes.push_back("{\"object\": \"/\", \"name\": " + quoted(name) + ", \"type\": " + quoted(type) +
                                 ", \"value\": " + value + "}");
  };
  attribute("format", "str", quoted("hesscov-index"));
  attribute("schema_version", "i64", "1");
  entries.attributes.push_back(
      R"({"object": "/", "name": "created", "type": "str", "pattern": "\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ"})");
  attribute("runs", "i64", "2");
  attribute("merged", "i64", "1");
  attribute("views", "i64", "1");
  attribute("unreadable", "str", quoted(""));
  attribute("unreadable_reasons", "str", quoted(""));
  attribute("sweep", "str", quoted("manifest"));
  entries.groups.push_back(quoted("/runs"));
  const std::string fields = R"([["run_id", "str"], ["status", "str"], ["file", "str"], ["archive", "str"], )"
                             R"(["epochs", "f64"], ["note", "str"], ["test.accuracy", "f64"], ["train.lr", "f64"]])";
  entries.datasets.push_back(
      R"({"path": "/summary", "dtype": "compound", "shape": [2], "fields": )" + fields +
      R"(, "values": [["b", "running", "runs/b.h5", "view", 3.0, "done", 0.9731, 0.1], )"
      R"(["a", "completed", "runs/a.h5", "merged", 3.0, "done", 0.9731, 0.1]]})");
  entries.attributes.push_back(
      R"({"object": "/summary", "name": "columns", "type": "str[]", "value": )"
      R"(["run_id", "status", "file", "archive", "epochs", "note", "test.accuracy", "train.lr"]})");
}

void write_manifest(const std::string& folder, const testing::ArchiveContent& content, const io::Attributes& a,
                    const io::Attributes& b) {
  Entries run_a, run_b, index;
  add_run(run_a, content, a, "");
  add_run(run_b, content, b, "");
  add_index(index);
  add_run(index, content, a, "/runs/a");
  add_run(index, content, b, "/runs/b");
  std::ofstream manifest(folder + "/manifest.json");
  manifest << "{\"files\": [\n" << file_entry("runs/a.h5", run_a) << ",\n" << file_entry("runs/b.h5", run_b) << ",\n"
           << file_entry("index.h5", index) << "\n]}\n";
  if (!manifest) throw std::runtime_error("cannot write " + folder + "/manifest.json");
}

}  // namespace

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  if (argc != 2) {
    if (rank == 0) std::cerr << "usage: io_archive_manifest <folder>\n";
    MPI_Finalize();
    return 2;
  }
  try {
    const std::string folder = argv[1];
    const auto content = testing::sample_content();
    const io::Attributes a = {
        {"run_id", std::string("a")}, {"status", std::string("completed")}, {"number", std::int64_t{2}}};
    const io::Attributes b = {
        {"run_id", std::string("b")}, {"status", std::string("running")}, {"number", std::int64_t{1}}};
    write_run(folder, "a", content, a, true);
    write_run(folder, "b", content, b, false);
    if (rank == 0) {
      const auto report = io::build_index(folder, {{"sweep", std::string("manifest")}});
      if (report.runs != 2) throw std::runtime_error("the index holds " + std::to_string(report.runs) + " runs, not 2");
      write_manifest(folder, content, with_archive(a, "merged"), with_archive(b, "view"));
    }
  } catch (const std::exception& error) {
    std::cerr << "io_archive_manifest: " << error.what() << "\n";
    MPI_Abort(MPI_COMM_WORLD, 1);
  }
  MPI_Finalize();
  return 0;
}
