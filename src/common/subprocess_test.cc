#include "common/subprocess.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "testing/temp_dir.h"

namespace archer {
namespace {

// Regression (issue 26, High 3): a cost probe printing 2.5 GB was kept whole
// in memory and aborted the manager with std::bad_alloc.
TEST(RunProcess, KeepsOnlyTheTailOfAFloodingChild) {
  auto r = run_process({"sh", "-c",
                        "head -c 50000000 /dev/zero | tr '\\0' x; echo END; "
                        "head -c 3000000 /dev/zero >&2; echo ERR-END >&2"});
  ASSERT_TRUE(r.is_ok()) << r.status().message();
  EXPECT_EQ(r.value().exit_code, 0);
  EXPECT_EQ(r.value().out.size(), kMaxCapturedOutput);
  EXPECT_EQ(r.value().out_dropped, 50000004u - kMaxCapturedOutput);
  EXPECT_EQ(r.value().out.substr(r.value().out.size() - 4), "END\n");
  EXPECT_EQ(r.value().err.size(), kMaxCapturedOutput);
  EXPECT_EQ(r.value().err.substr(r.value().err.size() - 8), "ERR-END\n");
  const std::string said =
      output_tail(r.value().out, r.value().out_dropped, 20);
  EXPECT_EQ(said.rfind("[49999984 bytes before this not shown] ...", 0), 0u)
      << said;
  EXPECT_EQ(said.substr(said.size() - 3), "END");
}

TEST(RunProcess, SmallOutputsAreKeptWhole) {
  auto r = run_process({"sh", "-c", "echo out; echo err >&2; exit 3"});
  ASSERT_TRUE(r.is_ok());
  EXPECT_EQ(r.value().exit_code, 3);
  EXPECT_EQ(r.value().out, "out\n");
  EXPECT_EQ(r.value().err, "err\n");
  EXPECT_EQ(r.value().out_dropped + r.value().err_dropped, 0u);
  EXPECT_EQ(output_tail(r.value().out, 0, 100), "out");
}

TEST(RunProcess, StreamsStdoutToAFileWithoutKeepingIt) {
  testing::TempDir tmp;
  OutputCapture capture;
  capture.stdout_file = tmp.file("stdout");
  auto r = run_process({"sh", "-c", "head -c 5000000 /dev/zero"}, {}, "",
                       std::chrono::seconds(60), capture);
  ASSERT_TRUE(r.is_ok());
  EXPECT_TRUE(r.value().out.empty());
  EXPECT_EQ(std::filesystem::file_size(tmp.file("stdout")), 5000000u);
}

// Regression (issue 26, High 2): the detached CLI's ready pipe had no
// close-on-exec, so NNI's dispatcher held it and `archer create` never
// returned. Whatever the manager leaves open, a child gets 0, 1 and 2 only.
TEST(RunProcess, TheChildInheritsNoOtherDescriptor) {
  int leaky[2];
  ASSERT_EQ(::pipe(leaky), 0);  // no O_CLOEXEC on purpose
  auto r = run_process({"sh", "-c", "ls /proc/$$/fd"});
  ::close(leaky[0]);
  ::close(leaky[1]);
  ASSERT_TRUE(r.is_ok());
  EXPECT_EQ(r.value().out, "0\n1\n2\n");
}

}  // namespace
}  // namespace archer
