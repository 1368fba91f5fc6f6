// ParallelH5File: collective read-only opens, compressed int64 indices, fixed-length strings,
// 1-D attributes, and errors that name the file and object on every rank.
#include <gtest/gtest.h>
#include <mpi.h>

#include <fstream>

#include "archive_content.hpp"
#include "core/error.hpp"
#include "dump_expect.hpp"
#include "io/h5_check.hpp"
#include "io/parallel_h5.hpp"
#include "scratch.hpp"

namespace hesscov::io {
namespace {

using testing::Scratch;

TEST(ParallelH5File, NewWritersRoundTripExactly) {
  const Scratch scratch("parallel_writers", MPI_COMM_WORLD);
  std::vector<std::int64_t> indices(100000);
  for (size_t at = 0; at < indices.size(); ++at) indices[at] = static_cast<std::int64_t>(at / 3);
  const std::vector<std::string> names = {"a", "", "longest name", "x\ty"};
  {
    ParallelH5File file = ParallelH5File::create(scratch / "w.h5", MPI_COMM_WORLD);
    EXPECT_EQ(file.comm(), MPI_COMM_WORLD);
    file.write_replicated_index("indices", indices);
    file.write_replicated_strings("names", names);
    file.write_attribute("/", "lrs", std::vector<double>{0.1, -0.0, 1e-300});
    file.write_attribute("/", "sizes", std::vector<std::int64_t>{784, 10});
    file.write_attribute("/indices", "empty", std::vector<std::int64_t>{});
    file.close();
    file.close();  // a second close does nothing
  }
  if (scratch.rank() != 0) return;
  testing::Dump expected;
  expected.datasets["/indices"] = testing::i64_values({indices.size()}, indices);
  expected.datasets["/names"] = testing::string_values(names);
  expected.attributes["/@lrs"] = testing::f64_values({3}, {0.1, -0.0, 1e-300});
  expected.attributes["/@sizes"] = testing::i64_values({2}, {784, 10});
  expected.attributes["/indices@empty"] = testing::i64_values({0}, {});
  testing::expect_same_dump(testing::dump_file(scratch / "w.h5"), expected);
  // Fixed-length, null-padded strings as wide as the longest; compressed indices well under raw size.
  const hid_t file = H5Fopen((scratch / "w.h5").c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  const hid_t strings = H5Dopen2(file, "names", H5P_DEFAULT), type = H5Dget_type(strings);
  EXPECT_EQ(H5Tis_variable_str(type), 0);
  EXPECT_EQ(H5Tget_size(type), 12u);
  EXPECT_EQ(H5Tget_strpad(type), H5T_STR_NULLPAD);
  const hid_t index = H5Dopen2(file, "indices", H5P_DEFAULT);
  EXPECT_LT(H5Dget_storage_size(index), indices.size() * sizeof(std::int64_t) / 10);
  H5Dclose(index);
  H5Tclose(type);
  H5Dclose(strings);
  H5Fclose(file);
}

TEST(ParallelH5File, OpenReadReadsCollectively) {
  const Scratch scratch("parallel_open_read", MPI_COMM_WORLD);
  {
    ParallelH5File file = ParallelH5File::create(scratch / "r.h5", MPI_COMM_WORLD);
    file.write_replicated("x", {1.5, 2.5, -3.5});
    file.close();
  }
  ParallelH5File file = ParallelH5File::open_read(scratch / "r.h5", MPI_COMM_WORLD);
  EXPECT_EQ(file.path(), scratch / "r.h5");
  std::vector<double> values(3);
  const hid_t dataset = H5Dopen2(file.id(), "x", H5P_DEFAULT);
  ASSERT_GE(H5Dread(dataset, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()), 0);
  H5Dclose(dataset);
  EXPECT_EQ(values, (std::vector<double>{1.5, 2.5, -3.5}));
  // Read-only: a write is refused, with the file and object named.
  const std::string message =
      testing::error_message<core::IoError>([&] { file.write_attribute("/", "n", std::int64_t{1}); });
  EXPECT_NE(message.find(scratch / "r.h5"), std::string::npos) << message;
  EXPECT_NE(message.find("/@n"), std::string::npos) << message;
}

TEST(ParallelH5File, OpenReadOfAMissingOrForeignFileFailsOnEveryRank) {
  const Scratch scratch("parallel_open_missing", MPI_COMM_WORLD);
  const std::string missing = scratch / "absent.h5";
  std::string message =
      testing::error_message<core::IoError>([&] { (void)ParallelH5File::open_read(missing, MPI_COMM_WORLD); });
  EXPECT_NE(message.find(missing), std::string::npos) << message;
  if (scratch.rank() == 0) std::ofstream(scratch / "text.h5") << "not an HDF5 file";
  MPI_Barrier(MPI_COMM_WORLD);
  message = testing::error_message<core::IoError>(
      [&] { (void)ParallelH5File::open_read(scratch / "text.h5", MPI_COMM_WORLD); });
  EXPECT_NE(message.find(scratch / "text.h5"), std::string::npos) << message;
}

TEST(ParallelH5File, ExistingAttributeIsAnErrorNamingIt) {
  const Scratch scratch("parallel_attribute_twice", MPI_COMM_WORLD);
  ParallelH5File file = ParallelH5File::create(scratch / "a.h5", MPI_COMM_WORLD);
  file.create_groups("/g/h");
  file.write_attribute("/g/h", "sizes", std::vector<double>{1.0});
  const std::string message = testing::error_message<core::IoError>(
      [&] { file.write_attribute("/g/h", "sizes", std::vector<double>{2.0}); });
  EXPECT_NE(message.find("/g/h@sizes"), std::string::npos) << message;
  EXPECT_NE(message.find(scratch / "a.h5"), std::string::npos) << message;
}

}  // namespace
}  // namespace hesscov::io
