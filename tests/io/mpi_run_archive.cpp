// RunArchive: segments, views, the merge, and the recovery of what a killed writer left behind.
#include <gtest/gtest.h>
#include <mpi.h>

#include <filesystem>
#include <fstream>
#include <functional>

#include "archive_writer.hpp"
#include "core/error.hpp"
#include "dump_expect.hpp"
#include "io/h5_file.hpp"
#include "io/run_archive.hpp"
#include "scratch.hpp"

namespace hesscov::io {
namespace {

namespace fs = std::filesystem;
using testing::Scratch;

void commit_segment(RunArchive& run, const testing::ArchiveContent& content, const std::string& segment) {
  AtomicFile file = run.begin_segment(segment);
  testing::write_segment(file.file(), content, segment);
  file.commit();
}

/// The expected dump of `segments` plus root attributes stamped by the archive.
testing::Dump expected_run(const testing::ArchiveContent& content, const std::vector<std::string>& segments,
                           const Attributes& root) {
  testing::Dump dump = testing::expected_dump(content, segments);
  for (const auto& [name, value] : root)
    std::visit([&](const auto& v) { dump.attributes["/@" + name] = testing::attribute_values(v); }, value);
  return dump;
}

void touch(const std::string& path) { std::ofstream(path) << "half-written"; }

TEST(RunArchive, SegmentsViewsAndMergeKeepEveryValue) {
  const Scratch scratch("run_lifecycle", MPI_COMM_WORLD);
  const auto content = testing::sample_content();
  RunArchive run(scratch / "runs", "r1", MPI_COMM_WORLD);
  EXPECT_EQ(run.run_file(), scratch / "runs/r1.h5");
  EXPECT_EQ(run.partial_dir(), scratch / "runs/r1.partial");
  EXPECT_EQ(run.kind(), RunFileKind::absent);
  EXPECT_EQ(run.root_string("status"), "");
  EXPECT_TRUE(run.segments().empty());
  commit_segment(run, content, "meta");
  const Attributes running = {
      {"run_id", std::string("r1")}, {"status", std::string("running")}, {"number", std::int64_t{7}}};
  run.publish_view(running);
  EXPECT_EQ(run.kind(), RunFileKind::view);
  EXPECT_EQ(run.root_string("status"), "running");
  Attributes view_root = running;
  view_root.push_back({"archive", std::string("view")});
  if (scratch.rank() == 0)
    testing::expect_same_dump(testing::dump_file(run.run_file()), expected_run(content, {"meta"}, view_root));
  for (const char* segment : {"step-100", "step-100.align", "step-200"}) commit_segment(run, content, segment);
  EXPECT_EQ(run.segments(), (std::vector<std::string>{"meta", "step-100", "step-100.align", "step-200"}));
  EXPECT_TRUE(run.has_segment("step-100.align"));
  EXPECT_FALSE(run.has_segment("step-300"));
  EXPECT_EQ(run.segment_path("meta"), scratch / "runs/r1.partial/meta.h5");
  run.publish_view(running);
  if (scratch.rank() == 0)
    testing::expect_same_dump(testing::dump_file(run.run_file()), expected_run(content, {}, view_root));
  // The final root attributes replace the segments' (seed) and the view's (status).
  const Attributes done = {{"run_id", std::string("r1")}, {"status", std::string("completed")},
                           {"number", std::int64_t{7}}, {"seed", std::int64_t{43}}, {"seconds", 12.5}};
  run.finalize(done);
  EXPECT_EQ(run.kind(), RunFileKind::merged);
  EXPECT_FALSE(fs::exists(run.partial_dir()));
  EXPECT_TRUE(run.segments().empty());
  Attributes merged_root = done;
  merged_root.push_back({"archive", std::string("merged")});
  if (scratch.rank() == 0)
    testing::expect_same_dump(testing::dump_file(run.run_file()), expected_run(content, {}, merged_root));
}

TEST(RunArchive, UncommittedSegmentIsNeitherListedNorViewed) {
  const Scratch scratch("run_uncommitted", MPI_COMM_WORLD);
  const auto content = testing::sample_content();
  RunArchive run(scratch / "runs", "r2", MPI_COMM_WORLD);
  commit_segment(run, content, "meta");
  {
    AtomicFile abandoned = run.begin_segment("step-100");
    testing::write_segment(abandoned.file(), content, "step-100");
  }
  EXPECT_EQ(run.segments(), std::vector<std::string>{"meta"});
  run.publish_view({});
  if (scratch.rank() == 0)
    testing::expect_same_dump(testing::dump_file(run.run_file()),
                              expected_run(content, {"meta"}, {{"archive", std::string("view")}}));
}

TEST(RunArchive, NewArchiveRemovesStaleTemporariesOnly) {
  const Scratch scratch("run_stale", MPI_COMM_WORLD);
  const auto content = testing::sample_content();
  {
    RunArchive run(scratch / "runs", "r3", MPI_COMM_WORLD);
    commit_segment(run, content, "meta");
    run.publish_view({{"status", std::string("running")}});
  }
  if (scratch.rank() == 0) {
    touch(scratch / "runs/r3.partial/step-100.h5.tmp");
    touch(scratch / "runs/r3.h5.tmp");
    touch(scratch / "runs/other.h5.tmp");  // another run's: not ours to remove
  }
  MPI_Barrier(MPI_COMM_WORLD);
  const RunArchive run(scratch / "runs", "r3", MPI_COMM_WORLD);
  EXPECT_FALSE(fs::exists(scratch / "runs/r3.partial/step-100.h5.tmp"));
  EXPECT_FALSE(fs::exists(scratch / "runs/r3.h5.tmp"));
  EXPECT_TRUE(fs::exists(scratch / "runs/other.h5.tmp"));
  EXPECT_EQ(run.segments(), std::vector<std::string>{"meta"});
  EXPECT_EQ(run.kind(), RunFileKind::view);
  EXPECT_EQ(run.root_string("status"), "running");
}

TEST(RunArchive, LeftoverPartialFolderOfAMergedRunIsRemoved) {
  const Scratch scratch("run_leftover", MPI_COMM_WORLD);
  const auto content = testing::sample_content();
  {
    RunArchive run(scratch / "runs", "r4", MPI_COMM_WORLD);
    commit_segment(run, content, "meta");
    run.finalize({{"status", std::string("completed")}});
  }
  // As if killed between the merge's rename and the folder's removal.
  if (scratch.rank() == 0) {
    fs::create_directories(scratch / "runs/r4.partial");
    touch(scratch / "runs/r4.partial/meta.h5");
  }
  MPI_Barrier(MPI_COMM_WORLD);
  RunArchive run(scratch / "runs", "r4", MPI_COMM_WORLD);
  EXPECT_FALSE(fs::exists(scratch / "runs/r4.partial"));
  EXPECT_EQ(run.kind(), RunFileKind::merged);
  // Merged is final: anything that would rebuild the run file from (absent) segments is refused.
  for (const auto& action : std::vector<std::function<void()>>{
           [&] { (void)run.begin_segment("more"); }, [&] { run.publish_view({}); }, [&] { run.finalize({}); }}) {
    const std::string message = testing::error_message<core::StateError>(action);
    EXPECT_NE(message.find(run.run_file()), std::string::npos) << message;
  }
  if (scratch.rank() == 0)
    testing::expect_same_dump(testing::dump_file(run.run_file()),
                              expected_run(content, {"meta"}, {{"status", std::string("completed")},
                                                               {"archive", std::string("merged")}}));
}

TEST(RunArchive, BadNamesAndForeignRunFilesAreErrorsNamingThem) {
  const Scratch scratch("run_names", MPI_COMM_WORLD);
  std::string message =
      testing::error_message<core::IoError>([&] { RunArchive(scratch / "runs", "a/b", MPI_COMM_WORLD); });
  EXPECT_NE(message.find("a/b"), std::string::npos) << message;
  RunArchive run(scratch / "runs", "r5", MPI_COMM_WORLD);
  message = testing::error_message<core::IoError>([&] { (void)run.begin_segment("x/y"); });
  EXPECT_NE(message.find("x/y"), std::string::npos) << message;
  if (scratch.rank() == 0) H5File::create(run.run_file()).write_attribute("archive", std::string("other"));
  MPI_Barrier(MPI_COMM_WORLD);
  message = testing::error_message<core::IoError>([&] { (void)run.kind(); });
  EXPECT_NE(message.find(run.run_file()), std::string::npos) << message;
  EXPECT_NE(message.find("'other'"), std::string::npos) << message;
}

}  // namespace
}  // namespace hesscov::io
