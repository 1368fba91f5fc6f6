// The tree walker: the union of several segment files, copied (self-contained) or linked (a view),
// read back object by object against the hand-written content, at 1, 2 and 3 ranks.
#include <gtest/gtest.h>
#include <mpi.h>
#include <unistd.h>

#include <filesystem>

#include "archive_writer.hpp"
#include "core/error.hpp"
#include "dump_expect.hpp"
#include "io/h5_copy.hpp"
#include "io/h5_tree.hpp"
#include "scratch.hpp"

namespace hesscov::io {
namespace {

using testing::ArchiveContent;
using testing::Scratch;

/// Each segment of `content` written collectively to <folder>/<segment>.h5; returns their paths.
std::vector<std::string> write_segments(const ArchiveContent& content, const std::string& folder) {
  std::vector<std::string> paths;
  for (const auto& segment : content.segments) {
    paths.push_back(folder + "/" + segment + ".h5");
    ParallelH5File file = ParallelH5File::create(paths.back(), MPI_COMM_WORLD);
    testing::write_segment(file, content, segment);
    file.close();
  }
  return paths;
}

void write_overlay(const std::string& path, const std::vector<std::string>& sources, OverlayMode mode) {
  ParallelH5File destination = ParallelH5File::create(path, MPI_COMM_WORLD);
  overlay(destination, sources, mode);
  destination.close();
}

/// Layout, chunk shape and filters (id and parameters) of a dataset: what H5Dget_create_plist keeps.
struct Storage {
  H5D_layout_t layout = H5D_LAYOUT_ERROR;
  std::vector<hsize_t> chunk;
  std::vector<std::pair<H5Z_filter_t, std::vector<unsigned>>> filters;
  bool operator==(const Storage&) const = default;
};

Storage storage_of(const std::string& file, const std::string& path) {
  const hid_t id = H5Fopen(file.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  const hid_t dataset = H5Dopen2(id, path.c_str(), H5P_DEFAULT), create = H5Dget_create_plist(dataset);
  Storage storage;
  storage.layout = H5Pget_layout(create);
  if (storage.layout == H5D_CHUNKED) {
    storage.chunk.resize(8);
    storage.chunk.resize(static_cast<size_t>(H5Pget_chunk(create, 8, storage.chunk.data())));
  }
  for (int at = 0; at < H5Pget_nfilters(create); ++at) {
    unsigned flags = 0, config = 0;
    size_t count = 8;
    std::vector<unsigned> values(count);
    const H5Z_filter_t filter = H5Pget_filter2(create, static_cast<unsigned>(at), &flags, &count, values.data(), 0,
                                               nullptr, &config);
    values.resize(count);
    storage.filters.emplace_back(filter, values);
  }
  H5Pclose(create);
  H5Dclose(dataset);
  H5Fclose(id);
  return storage;
}

int world_rank() {
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  return rank;
}

TEST(OverlayCopy, MergesEverySegmentIntoOneExactFile) {
  const Scratch scratch("tree_copy", MPI_COMM_WORLD);
  const ArchiveContent content = testing::sample_content();
  const auto sources = write_segments(content, scratch.path());
  write_overlay(scratch / "merged.h5", sources, OverlayMode::copy);
  if (world_rank() == 0) {
    testing::expect_same_dump(testing::dump_file(scratch / "merged.h5"), testing::expected_dump(content));
    for (const char* path : {"/dataset/indices", "/layout/empty_index", "/checkpoints/step_100/align/cube",
                             "/checkpoints/step_100/align/eigvecs", "/checkpoints/step_100/align/no_rows"})
      EXPECT_EQ(storage_of(scratch / "merged.h5", path), storage_of(sources[path[1] == 'c' ? 2 : 0], path)) << path;
    // The index list itself: chunked, shuffled, deflated at level 4 (and so its copy, above).
    const Storage indices = storage_of(scratch / "merged.h5", "/dataset/indices");
    EXPECT_EQ(indices.layout, H5D_CHUNKED);
    EXPECT_EQ(indices.chunk, std::vector<hsize_t>{1000});
    ASSERT_EQ(indices.filters.size(), 2u);
    EXPECT_EQ(indices.filters[0].first, H5Z_FILTER_SHUFFLE);
    EXPECT_EQ(indices.filters[1].first, H5Z_FILTER_DEFLATE);
    EXPECT_EQ(indices.filters[1].second, std::vector<unsigned>{4});
    EXPECT_EQ(storage_of(scratch / "merged.h5", "/checkpoints/step_100/align/cube").chunk,
              (std::vector<hsize_t>{2, 3, 2}));
  }
}

TEST(OverlayCopy, CopiesInManySmallRounds) {
  // A budget of one 24-byte row per round makes every rank loop, with uneven round counts.
  const Scratch scratch("tree_rounds", MPI_COMM_WORLD);
  const ArchiveContent content = testing::sample_content();
  const auto sources = write_segments(content, scratch.path());
  {
    ParallelH5File source = ParallelH5File::open_read(sources[2], MPI_COMM_WORLD);
    ParallelH5File destination = ParallelH5File::create(scratch / "rounds.h5", MPI_COMM_WORLD);
    for (const char* path : {"/checkpoints/step_100/align/baseline", "/checkpoints/step_100/align/cube",
                             "/checkpoints/step_100/align/table"}) {
      const hid_t dataset = H5Dopen2(source.id(), path, H5P_DEFAULT);
      const std::string name = std::string("/") + std::filesystem::path(path).filename().string();
      copy_dataset(dataset, source.path(), destination.id(), destination.path(), name, MPI_COMM_WORLD, 24);
      H5Dclose(dataset);
    }
    destination.close();
  }
  if (world_rank() == 0) {
    const auto dump = testing::dump_file(scratch / "rounds.h5");
    const auto expected = testing::expected_dump(content);
    for (const char* name : {"baseline", "cube", "table"})
      EXPECT_EQ(dump.datasets.at(std::string("/") + name),
                expected.datasets.at(std::string("/checkpoints/step_100/align/") + name))
          << name;
  }
}

std::pair<std::string, std::string> external_target(const std::string& file, const std::string& link) {
  const hid_t id = H5Fopen(file.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  H5L_info_t info{};
  H5Lget_info(id, link.c_str(), &info, H5P_DEFAULT);
  std::pair<std::string, std::string> target;
  if (info.type == H5L_TYPE_EXTERNAL) {
    std::vector<char> value(info.u.val_size);
    H5Lget_val(id, link.c_str(), value.data(), value.size(), H5P_DEFAULT);
    const char *target_file = nullptr, *target_object = nullptr;
    H5Lunpack_elink_val(value.data(), value.size(), nullptr, &target_file, &target_object);
    target = {target_file, target_object};
  }
  H5Fclose(id);
  return target;
}

TEST(OverlayLink, ViewResolvesEveryObjectFromAnyWorkingDirectory) {
  const Scratch scratch("tree_link", MPI_COMM_WORLD);
  const ArchiveContent content = testing::sample_content();
  if (scratch.rank() == 0) std::filesystem::create_directories(scratch / "run/r.partial");
  MPI_Barrier(MPI_COMM_WORLD);
  const auto sources = write_segments(content, scratch / "run/r.partial");
  write_overlay(scratch / "run/r.h5", sources, OverlayMode::link);
  if (world_rank() != 0) return;
  // Objects held by one segment are links named relative to the view's folder; shared groups are real.
  EXPECT_EQ(external_target(scratch / "run/r.h5", "/dataset"), std::make_pair(std::string("r.partial/meta.h5"),
                                                                                std::string("/dataset")));
  EXPECT_EQ(external_target(scratch / "run/r.h5", "/checkpoints/step_100/align").first, "r.partial/step-100.align.h5");
  EXPECT_EQ(external_target(scratch / "run/r.h5", "/checkpoints/step_100").first, "");
  // Decoys: files with the links' relative names under another working directory. HDF5 must not
  // open them (it tries the view's folder before the working directory).
  std::filesystem::create_directories(scratch / "elsewhere/r.partial");
  for (const auto& segment : content.segments)
    std::filesystem::copy_file(sources[3], scratch / ("elsewhere/r.partial/" + segment + ".h5"));
  const auto here = std::filesystem::current_path();
  std::filesystem::current_path(scratch / "elsewhere");
  const auto relative_dump = testing::dump_file("../run/r.h5");
  std::filesystem::current_path(here);
  testing::expect_same_dump(relative_dump, testing::expected_dump(content));
  // Moving the whole run folder keeps the view valid: nothing absolute is stored.
  std::filesystem::rename(scratch / "run", scratch / "moved");
  testing::expect_same_dump(testing::dump_file(scratch / "moved/r.h5"), testing::expected_dump(content));
}

/// Two small sources for the conflict cases: `first` and `second` are called on each, collectively.
template <class First, class Second>
std::vector<std::string> two_sources(const Scratch& scratch, First first, Second second) {
  std::vector<std::string> paths = {scratch / "a.h5", scratch / "b.h5"};
  ParallelH5File a = ParallelH5File::create(paths[0], MPI_COMM_WORLD);
  first(a);
  a.close();
  ParallelH5File b = ParallelH5File::create(paths[1], MPI_COMM_WORLD);
  second(b);
  b.close();
  return paths;
}

void expect_conflict(const Scratch& scratch, const std::vector<std::string>& sources, const std::string& object) {
  for (const auto mode : {OverlayMode::copy, OverlayMode::link}) {
    const std::string message = testing::error_message<core::IoError>(
        [&] { write_overlay(scratch / "conflict.h5", sources, mode); });
    EXPECT_NE(message.find(sources[0]), std::string::npos) << message;
    EXPECT_NE(message.find(sources[1]), std::string::npos) << message;
    EXPECT_NE(message.find(object), std::string::npos) << message;
  }
}

TEST(Overlay, SameDatasetInTwoSourcesNamesBothFiles) {
  const Scratch scratch("tree_conflict_dataset", MPI_COMM_WORLD);
  const auto write = [](ParallelH5File& file) {
    file.create_groups("/shared/group");
    file.write_replicated("/shared/group/x", {1.0});
  };
  expect_conflict(scratch, two_sources(scratch, write, write), "/shared/group/x");
}

TEST(Overlay, SameAttributeOnASharedGroupNamesBothFiles) {
  const Scratch scratch("tree_conflict_attribute", MPI_COMM_WORLD);
  const auto sources = two_sources(
      scratch, [](ParallelH5File& file) { file.write_attribute("/", "seed", std::int64_t{1}); },
      [](ParallelH5File& file) { file.write_attribute("/", "seed", std::int64_t{1}); });
  expect_conflict(scratch, sources, "/@seed");
}

TEST(Overlay, GroupInOneSourceDatasetInAnotherNamesBothFiles) {
  const Scratch scratch("tree_conflict_kind", MPI_COMM_WORLD);
  const auto sources = two_sources(
      scratch, [](ParallelH5File& file) { file.create_groups("/x"); },
      [](ParallelH5File& file) { file.write_replicated("/x", {2.0}); });
  expect_conflict(scratch, sources, "/x");
}

TEST(Overlay, SoftLinkInASourceIsRefused) {
  const Scratch scratch("tree_soft_link", MPI_COMM_WORLD);
  const auto sources = two_sources(
      scratch,
      [](ParallelH5File& file) {
        file.write_replicated("/x", {1.0});
        ASSERT_GE(H5Lcreate_soft("/x", file.id(), "/alias", H5P_DEFAULT, H5P_DEFAULT), 0);
      },
      [](ParallelH5File& file) { file.write_replicated("/y", {2.0}); });
  const std::string message =
      testing::error_message<core::IoError>([&] { write_overlay(scratch / "soft.h5", sources, OverlayMode::copy); });
  EXPECT_NE(message.find(sources[0]), std::string::npos) << message;
  EXPECT_NE(message.find("/alias"), std::string::npos) << message;
}

TEST(Overlay, MissingSourceNamesIt) {
  const Scratch scratch("tree_missing", MPI_COMM_WORLD);
  const std::string message = testing::error_message<core::IoError>(
      [&] { write_overlay(scratch / "out.h5", {scratch / "absent.h5"}, OverlayMode::link); });
  EXPECT_NE(message.find(scratch / "absent.h5"), std::string::npos) << message;
}

}  // namespace
}  // namespace hesscov::io
