// Logging helpers: time stamps and human units.
#include <gtest/gtest.h>

#include <ctime>
#include <regex>
#include <string>

#include "core/log.hpp"

namespace hesscov::core {
namespace {

TEST(UtcNow, IsAnIso8601StampOfNow) {
  const std::time_t before = std::time(nullptr);
  const std::string stamp = utc_now();
  const std::time_t after = std::time(nullptr);
  ASSERT_TRUE(std::regex_match(stamp, std::regex(R"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z)"))) << stamp;
  std::tm parts{};
  ASSERT_NE(strptime(stamp.c_str(), "%Y-%m-%dT%H:%M:%SZ", &parts), nullptr) << stamp;
  const std::time_t read = timegm(&parts);  // as UTC, whatever the local time zone
  EXPECT_GE(read, before - 2) << stamp;
  EXPECT_LE(read, after + 2) << stamp;
}

TEST(FormatSeconds, PicksAUnit) {
  EXPECT_EQ(format_seconds(850e-6), "850 us");
  EXPECT_EQ(format_seconds(0.0123), "12.3 ms");
  EXPECT_EQ(format_seconds(4.561), "4.56 s");
  EXPECT_EQ(format_seconds(200.0), "3 min 20 s");
}

TEST(FormatBytes, PicksABinaryUnit) {
  EXPECT_EQ(format_bytes(850.0), "850 B");
  EXPECT_EQ(format_bytes(12.0 * 1024), "12.0 KiB");
  EXPECT_EQ(format_bytes(1.5 * 1024 * 1024 * 1024), "1.5 GiB");
}

}  // namespace
}  // namespace hesscov::core
