#include "common/atomic_file.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "testing/small_disk.h"
#include "testing/temp_dir.h"

namespace archer {
namespace {

using testing::read_file;
using testing::write_file;

int entries_in(const std::string& dir) {
  int n = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    (void)e;
    ++n;
  }
  return n;
}

TEST(ReplaceFile, ReplacesTheContentAndLeavesNoTemporaryFile) {
  testing::TempDir tmp;
  const std::string path = tmp.file("index");
  ASSERT_TRUE(replace_file(path, "first").is_ok());
  ASSERT_TRUE(replace_file(path, "second").is_ok());
  EXPECT_EQ(read_file(path), "second");
  EXPECT_EQ(entries_in(tmp.path()), 1);
}

// Regression (issue 26, High 1): the index was checked before it was flushed,
// so a full disk renamed an empty temp file over it (0 bytes: every
// experiment of the directory MISSING).
TEST(ReplaceFile, AFullDiskKeepsTheOldContent) {
  testing::SmallDisk disk(64);
  if (!disk.mounted()) GTEST_SKIP() << "mounting a tmpfs needs root";
  const std::string path = disk.file(".experiments");
  const std::string old = "{\"AAAA1111\": {\"dir\": \"/x\"}}";
  ASSERT_TRUE(replace_file(path, old).is_ok());
  disk.fill();
  Status st = replace_file(path, std::string(200 << 10, 'y'));
  ASSERT_FALSE(st.is_ok());
  EXPECT_NE(st.message().find(path), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("No space left on device"), std::string::npos)
      << st.message();
  EXPECT_EQ(read_file(path), old);
  // A small write that fits in a page the filler could not use fails too, or
  // succeeds whole: never a truncated file.
  st = replace_file(path, "{}");
  EXPECT_TRUE(read_file(path) == old ||
              (st.is_ok() && read_file(path) == "{}"));
  EXPECT_EQ(entries_in(disk.path()), 2);  // the file and the filler
}

TEST(ReplaceFile, FailsOnAMissingDirectoryNamingThePath) {
  testing::TempDir tmp;
  Status st = replace_file(tmp.file("gone/index"), "x");
  ASSERT_FALSE(st.is_ok());
  EXPECT_NE(st.message().find(tmp.file("gone/index")), std::string::npos);
}

// Regression (issue 26, Low): the probe wrote probe.log and parameter.cfg
// through a symlink it had planted in its own folder.
TEST(WriteFileIn, ReplacesAPlantedSymlinkInsteadOfFollowingIt) {
  testing::TempDir tmp;
  write_file(tmp.file("target"), "precious");
  std::filesystem::create_directory(tmp.file("probe"));
  std::filesystem::create_symlink(tmp.file("target"),
                                  tmp.file("probe/probe.log"));
  ASSERT_TRUE(write_file_in(tmp.file("probe"), "probe.log", "output").is_ok());
  EXPECT_EQ(read_file(tmp.file("target")), "precious");
  EXPECT_FALSE(std::filesystem::is_symlink(tmp.file("probe/probe.log")));
  EXPECT_EQ(read_file(tmp.file("probe/probe.log")), "output");
  EXPECT_FALSE(write_file_in(tmp.path(), "../x", "y").is_ok());
}

}  // namespace
}  // namespace archer
