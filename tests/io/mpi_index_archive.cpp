// build_index: a sweep's runs (merged and views) linked and tabulated; corrupt or foreign run files
// left out and reported; the index replaced atomically.
#include <gtest/gtest.h>
#include <mpi.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <regex>

#include "core/error.hpp"
#include "dump_expect.hpp"
#include "io/h5_file.hpp"
#include "io/index_archive.hpp"
#include "io/run_archive.hpp"
#include "scratch.hpp"

namespace hesscov::io {
namespace {

namespace fs = std::filesystem;
using testing::Scratch;

/// A run with one segment: its /summary attributes, and root attributes run_id, status, number.
void make_run(const std::string& sweep, const std::string& id, const std::optional<std::int64_t>& number,
              const Attributes& summary, bool merge) {
  RunArchive run(sweep + "/runs", id, MPI_COMM_WORLD);
  AtomicFile segment = run.begin_segment("meta");
  segment.file().create_groups("/summary");
  write_attributes(segment.file(), "/summary", summary);
  segment.file().write_replicated("/params", {1.0, 2.0});
  segment.commit();
  Attributes root = {{"run_id", id}, {"status", std::string(merge ? "completed" : "running")}};
  if (number) root.push_back({"number", *number});
  if (merge)
    run.finalize(root);
  else
    run.publish_view(root);
}

/// Runs a, b, c (two merged, one view), plus a corrupt file, one lacking run_id, and a stale tmp.
void make_sweep(const std::string& sweep) {
  make_run(sweep, "a", 2, {{"train.lr", 0.1}, {"loss", 1.5}, {"note", std::string("first")}}, true);
  make_run(sweep, "b", 1, {{"train.lr", std::int64_t{1}}, {"note", std::int64_t{7}}, {"extra", 2.5}}, false);
  make_run(sweep, "c", std::nullopt, {}, true);
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  if (rank == 0) {
    std::mt19937 random(5);
    std::ofstream junk(sweep + "/runs/junk.h5", std::ios::binary);
    for (int at = 0; at < 4096; ++at) junk.put(static_cast<char>(random()));
    junk.close();
    H5File anonymous = H5File::create(sweep + "/runs/anonymous.h5");
    anonymous.write_attribute("status", std::string("completed"));
    anonymous.write_attribute("archive", std::string("merged"));
    anonymous.close();
    std::ofstream(sweep + "/runs/d.h5.tmp") << "half-written";
  }
  MPI_Barrier(MPI_COMM_WORLD);
}

/// The /summary table read back field by field (fp64 fields as doubles, strings as strings).
struct Table {
  std::vector<std::string> fields;
  std::map<std::string, std::vector<double>> numbers;
  std::map<std::string, std::vector<std::string>> strings;
};

Table read_table(const std::string& path) {
  const hid_t file = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  const hid_t dataset = H5Dopen2(file, "summary", H5P_DEFAULT), type = H5Dget_type(dataset);
  const hid_t space = H5Dget_space(dataset);
  const auto rows = static_cast<size_t>(H5Sget_simple_extent_npoints(space));
  std::vector<char> bytes(rows * H5Tget_size(type) + 1);
  if (rows > 0) H5Dread(dataset, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, bytes.data());
  Table table;
  for (int at = 0; at < H5Tget_nmembers(type); ++at) {
    char* name = H5Tget_member_name(type, static_cast<unsigned>(at));
    table.fields.emplace_back(name);
    H5free_memory(name);
    const size_t offset = H5Tget_member_offset(type, static_cast<unsigned>(at));
    const hid_t member = H5Tget_member_type(type, static_cast<unsigned>(at));
    for (size_t row = 0; row < rows; ++row) {
      const char* cell = bytes.data() + row * H5Tget_size(type) + offset;
      if (H5Tget_class(member) == H5T_FLOAT) {
        double value = 0;
        std::memcpy(&value, cell, sizeof value);
        table.numbers[table.fields.back()].push_back(value);
      } else {
        const std::string text(cell, H5Tget_size(member));
        table.strings[table.fields.back()].push_back(text.substr(0, text.find('\0')));
      }
    }
    H5Tclose(member);
  }
  H5Sclose(space);
  H5Tclose(type);
  H5Dclose(dataset);
  H5Fclose(file);
  return table;
}

TEST(BuildIndex, LinksAndTabulatesReadableRunsAndReportsTheOthers) {
  const Scratch scratch("index_sweep", MPI_COMM_WORLD);
  make_sweep(scratch.path());
  if (scratch.rank() != 0) return;
  const IndexReport report = build_index(scratch.path(), {{"sweep", std::string("s1")}, {"ranks", std::int64_t{3}}});
  EXPECT_EQ(report.runs, 3);
  EXPECT_EQ(report.merged, 2);
  EXPECT_EQ(report.views, 1);
  EXPECT_EQ(report.unreadable, (std::vector<std::string>{"runs/anonymous.h5", "runs/junk.h5"}));
  ASSERT_EQ(report.reasons.size(), 2u);
  EXPECT_NE(report.reasons[0].find("run_id"), std::string::npos) << report.reasons[0];
  EXPECT_FALSE(fs::exists(scratch / "index.h5.tmp"));
  const H5File index = H5File::open_read(scratch / "index.h5");
  EXPECT_EQ(index.read_string("format"), "hesscov-index");
  EXPECT_EQ(index.read_int("schema_version"), 1);
  EXPECT_TRUE(std::regex_match(index.read_string("created"), std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)")));
  EXPECT_EQ(index.read_int("runs"), 3);
  EXPECT_EQ(index.read_int("merged"), 2);
  EXPECT_EQ(index.read_int("views"), 1);
  EXPECT_EQ(index.read_string("unreadable"), "runs/anonymous.h5\nruns/junk.h5");
  EXPECT_EQ(index.read_string("sweep"), "s1");
  EXPECT_EQ(index.read_int("ranks"), 3);
  // Links resolve to the runs' roots, through a view's own links too.
  const auto dump = testing::dump_file(scratch / "index.h5");
  EXPECT_EQ(dump.attributes.at("/runs/a@run_id").strings, std::vector<std::string>{"a"});
  EXPECT_EQ(dump.attributes.at("/runs/b@archive").strings, std::vector<std::string>{"view"});
  EXPECT_EQ(dump.datasets.at("/runs/b/params").numbers, (std::vector<double>{1.0, 2.0}));
  EXPECT_EQ(dump.groups.count("/runs/junk"), 0u);
  EXPECT_EQ(dump.groups.count("/runs/anonymous"), 0u);
  const Table table = read_table(scratch / "index.h5");
  EXPECT_EQ(table.fields, (std::vector<std::string>{"run_id", "status", "file", "archive", "extra", "loss", "note",
                                                    "train.lr"}));
  EXPECT_EQ(table.strings.at("run_id"), (std::vector<std::string>{"b", "a", "c"}));  // by number, then the rest
  EXPECT_EQ(table.strings.at("status"), (std::vector<std::string>{"running", "completed", "completed"}));
  EXPECT_EQ(table.strings.at("file"), (std::vector<std::string>{"runs/b.h5", "runs/a.h5", "runs/c.h5"}));
  EXPECT_EQ(table.strings.at("archive"), (std::vector<std::string>{"view", "merged", "merged"}));
  EXPECT_EQ(table.numbers.at("train.lr")[0], 1.0);
  EXPECT_EQ(table.numbers.at("train.lr")[1], 0.1);
  EXPECT_TRUE(std::isnan(table.numbers.at("train.lr")[2]));
  EXPECT_EQ(table.numbers.at("extra")[0], 2.5);
  EXPECT_TRUE(std::isnan(table.numbers.at("extra")[1]));
  EXPECT_EQ(table.numbers.at("loss")[1], 1.5);
  // A field some run stores as a string is a string field; numbers there are written as text.
  EXPECT_EQ(table.strings.at("note"), (std::vector<std::string>{"7", "first", ""}));
  EXPECT_EQ(dump.attributes.at("/summary@columns").strings, table.fields);
}

TEST(BuildIndex, ReplacesAnOlderIndexAtomicallyAndWorksWithoutRuns) {
  const Scratch scratch("index_replace", MPI_COMM_WORLD);
  if (scratch.rank() != 0) return;
  std::ofstream(scratch / "index.h5") << "an older, broken index";
  IndexReport report = build_index(scratch.path(), {});
  EXPECT_EQ(report.runs, 0);
  EXPECT_TRUE(report.unreadable.empty());
  EXPECT_EQ(H5File::open_read(scratch / "index.h5").read_int("runs"), 0);
  EXPECT_TRUE(read_table(scratch / "index.h5").strings.empty());
  EXPECT_EQ(read_table(scratch / "index.h5").fields, (std::vector<std::string>{"run_id", "status", "file", "archive"}));
  // An index that cannot be written leaves the old one in place and no tmp behind.
  const std::string message = testing::error_message<core::IoError>(
      [&] { (void)build_index(scratch.path(), {{"format", std::string("mine")}}); });
  EXPECT_NE(message.find("'format'"), std::string::npos) << message;
  EXPECT_EQ(H5File::open_read(scratch / "index.h5").read_string("format"), "hesscov-index");
  EXPECT_FALSE(fs::exists(scratch / "index.h5.tmp"));
}

TEST(BuildIndex, RebuildingReflectsNewRuns) {
  const Scratch scratch("index_rebuild", MPI_COMM_WORLD);
  make_run(scratch.path(), "a", 1, {{"loss", 0.5}}, true);
  if (scratch.rank() == 0) EXPECT_EQ(build_index(scratch.path(), {}).runs, 1);
  MPI_Barrier(MPI_COMM_WORLD);
  make_run(scratch.path(), "b", 2, {{"loss", 0.25}}, false);
  if (scratch.rank() != 0) return;
  EXPECT_EQ(build_index(scratch.path(), {}).runs, 2);
  const Table table = read_table(scratch / "index.h5");
  EXPECT_EQ(table.strings.at("run_id"), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(table.numbers.at("loss"), (std::vector<double>{0.5, 0.25}));
}

}  // namespace
}  // namespace hesscov::io
