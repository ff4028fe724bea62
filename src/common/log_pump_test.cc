#include "common/log_pump.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "testing/temp_dir.h"

namespace archer {
namespace {

// Regression (issue 26, High 3): dispatcher.log grew without limit.
TEST(LogPump, RotatesAtTheBoundAndKeepsTheEnd) {
  testing::TempDir tmp;
  const std::string log = tmp.file("dispatcher.log");
  int p[2];
  ASSERT_EQ(::pipe2(p, O_CLOEXEC), 0);
  auto pump = LogPump::start(p[0], log, 100000);
  ASSERT_TRUE(pump.is_ok()) << pump.status().message();
  const std::string line(999, 'x');
  for (int i = 0; i < 1000; ++i) {  // 1 MB through a 100 kB bound
    const std::string l = line + "\n";
    ASSERT_EQ(::write(p[1], l.data(), l.size()),
              static_cast<ssize_t>(l.size()));
  }
  const std::string last = "Traceback: the end\n";
  ASSERT_EQ(::write(p[1], last.data(), last.size()),
            static_cast<ssize_t>(last.size()));
  ::close(p[1]);
  ASSERT_TRUE(pump.value()->wait_drained(std::chrono::seconds(20)));
  const auto size = std::filesystem::file_size(log);
  const auto older = std::filesystem::file_size(log + ".1");
  EXPECT_LE(size, 100000u + 65536u);
  EXPECT_LE(older, 100000u + 65536u);
  const std::string text = testing::read_file(log);
  EXPECT_EQ(text.substr(text.size() - last.size()), last);
}

TEST(LogPump, FailsClearlyWhenTheLogCannotBeOpened) {
  testing::TempDir tmp;
  int p[2];
  ASSERT_EQ(::pipe2(p, O_CLOEXEC), 0);
  auto pump = LogPump::start(p[0], tmp.file("no/such/dir/log"), 1000);
  ::close(p[1]);
  ASSERT_FALSE(pump.is_ok());
  EXPECT_NE(pump.status().message().find("no/such/dir/log"), std::string::npos);
}

}  // namespace
}  // namespace archer
