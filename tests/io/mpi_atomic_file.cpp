// AtomicFile: a file appears under its final name only complete; abandoned writes leave nothing.
#include <gtest/gtest.h>
#include <mpi.h>

#include <filesystem>
#include <fstream>

#include "core/error.hpp"
#include "dump_expect.hpp"
#include "io/atomic_file.hpp"
#include "io/h5_file.hpp"
#include "scratch.hpp"

namespace hesscov::io {
namespace {

namespace fs = std::filesystem;
using testing::Scratch;

void write_version(const std::string& path, std::int64_t version) {
  AtomicFile file = AtomicFile::create(path, MPI_COMM_WORLD);
  file.file().write_attribute("/", "version", version);
  file.file().write_replicated("values", {static_cast<double>(version), 0.5});
  file.commit();
}

TEST(AtomicFile, CommitMovesTheCompleteFileIntoPlaceCreatingTheFolder) {
  const Scratch scratch("atomic_commit", MPI_COMM_WORLD);
  const std::string path = scratch / "new/folder/out.h5";
  AtomicFile file = AtomicFile::create(path, MPI_COMM_WORLD);
  EXPECT_EQ(file.temporary_path(), path + ".tmp");
  file.file().write_replicated("x", {1.0, 2.0});
  EXPECT_TRUE(fs::exists(path + ".tmp"));
  EXPECT_FALSE(fs::exists(path));  // nothing under the final name while writing
  file.commit();
  EXPECT_TRUE(fs::exists(path));
  EXPECT_FALSE(fs::exists(path + ".tmp"));
  EXPECT_EQ(H5File::open_read(path).read_vector("x"), (std::vector<double>{1.0, 2.0}));
  testing::error_message<core::StateError>([&] { file.commit(); });
  testing::error_message<core::StateError>([&] { (void)file.file(); });
}

TEST(AtomicFile, AbandonedFileLeavesNeitherFinalNorTemporary) {
  const Scratch scratch("atomic_abandon", MPI_COMM_WORLD);
  const std::string path = scratch / "out.h5";
  {
    AtomicFile file = AtomicFile::create(path, MPI_COMM_WORLD);
    file.file().write_replicated("x", {1.0});
    AtomicFile moved(std::move(file));  // the moved-from object must not clean up twice
  }
  EXPECT_FALSE(fs::exists(path));
  EXPECT_FALSE(fs::exists(path + ".tmp"));
}

TEST(AtomicFile, CommitReplacesAnOlderFile) {
  const Scratch scratch("atomic_replace", MPI_COMM_WORLD);
  const std::string path = scratch / "out.h5";
  write_version(path, 1);
  EXPECT_EQ(H5File::open_read(path).read_int("version"), 1);
  {
    AtomicFile abandoned = AtomicFile::create(path, MPI_COMM_WORLD);
    abandoned.file().write_attribute("/", "version", std::int64_t{99});
  }
  EXPECT_EQ(H5File::open_read(path).read_int("version"), 1);  // an abandoned rewrite changes nothing
  write_version(path, 2);
  const H5File file = H5File::open_read(path);
  EXPECT_EQ(file.read_int("version"), 2);
  EXPECT_EQ(file.read_vector("values"), (std::vector<double>{2.0, 0.5}));
}

TEST(AtomicFile, FailedRenameNamesBothPathsOnEveryRank) {
  const Scratch scratch("atomic_rename_fails", MPI_COMM_WORLD);
  const std::string path = scratch / "busy";
  // A non-empty folder under the final name: rename(2) cannot replace it.
  if (scratch.rank() == 0) {
    fs::create_directories(path);
    std::ofstream(path + "/keep") << "x";
  }
  MPI_Barrier(MPI_COMM_WORLD);
  AtomicFile file = AtomicFile::create(path, MPI_COMM_WORLD);
  file.file().write_replicated("x", {1.0});
  const std::string message = testing::error_message<core::IoError>([&] { file.commit(); });
  EXPECT_NE(message.find(path + ".tmp"), std::string::npos) << message;
  EXPECT_NE(message.find(path + ":"), std::string::npos) << message;
  EXPECT_TRUE(fs::is_directory(path));
}

TEST(AtomicFile, UncreatableFolderFailsOnEveryRank) {
  const Scratch scratch("atomic_no_folder", MPI_COMM_WORLD);
  if (scratch.rank() == 0) std::ofstream(scratch / "plain") << "a file, not a folder";
  MPI_Barrier(MPI_COMM_WORLD);
  const std::string message = testing::error_message<core::IoError>(
      [&] { (void)AtomicFile::create(scratch / "plain/sub/out.h5", MPI_COMM_WORLD); });
  EXPECT_NE(message.find(scratch / "plain"), std::string::npos) << message;
}

}  // namespace
}  // namespace hesscov::io
