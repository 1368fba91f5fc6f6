// checked(): HDF5 failures become IoErrors naming the file, the object and HDF5's own reason.
#include <gtest/gtest.h>

#include <string>

#include "core/error.hpp"
#include "dump_expect.hpp"
#include "io/h5_check.hpp"

namespace hesscov::io {
namespace {

TEST(Checked, PassesSuccessThrough) {
  EXPECT_EQ(checked(hid_t{7}, "f.h5", "object"), 7);
  EXPECT_EQ(checked(herr_t{0}, "f.h5", "object"), 0);
}

TEST(Checked, FailureNamesFileObjectAndHdf5Reason) {
  silence_hdf5();
  const std::string missing = "/nonexistent-folder/run.h5";
  const std::string message = testing::error_message<core::IoError>(
      [&] { checked(H5Fopen(missing.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), missing, "cannot open /"); });
  EXPECT_EQ(message.rfind(missing + ": cannot open /: ", 0), 0u) << message;
  // HDF5's innermost reason, which says why (the missing file), not just that the open failed.
  EXPECT_NE(message.find("No such file or directory"), std::string::npos) << message;
  EXPECT_EQ(take_hdf5_message(), "");  // the stack was consumed
}

TEST(Checked, FailureWithoutHdf5StackStillNamesFileAndObject) {
  const std::string message =
      testing::error_message<core::IoError>([] { checked(herr_t{-1}, "g.h5", "dataset /x"); });
  EXPECT_EQ(message, "g.h5: dataset /x");
}

}  // namespace
}  // namespace hesscov::io
