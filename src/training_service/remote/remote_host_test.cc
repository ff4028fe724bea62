// The remote watcher script run locally (no SSH): both its inotify and its
// polling mode report metrics, exit states and dead processes.
#include "training_service/remote/remote_host.h"

#include <gtest/gtest.h>
#include <stdio.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <thread>

#include "common/base64.h"
#include "testing/temp_dir.h"

namespace archer {
namespace {

namespace fs = std::filesystem;

// Runs the watcher for `seconds` while `act` changes trial directories;
// returns what it printed.
std::string watch(const std::string& dir, bool poll,
                  const std::function<void()>& act, double seconds) {
  std::ofstream(dir + "/watcher.sh") << remote_watcher_script(dir + "/trials");
  const std::string command = std::string(poll ? "ARCHER_WATCH_POLL=1 " : "") +
                              "timeout " + std::to_string(seconds) + " sh " +
                              dir + "/watcher.sh";
  std::string out;
  std::thread actor(act);
  FILE* p = ::popen(command.c_str(), "r");
  char buf[4096];
  size_t n;
  while (p && (n = fread(buf, 1, sizeof(buf), p)) > 0) out.append(buf, n);
  if (p) ::pclose(p);
  actor.join();
  return out;
}

void trial_dir(const std::string& d) { fs::create_directories(d + "/.nni"); }

class WatcherScript : public ::testing::TestWithParam<bool> {};

TEST_P(WatcherScript, ReportsMetricsStatesAndDeadProcesses) {
  const bool poll = GetParam();
  if (!poll && ::system("command -v inotifywait >/dev/null 2>&1") != 0)
    GTEST_SKIP() << "inotifywait is not installed (apt install inotify-tools)";
  testing::TempDir dir;
  const std::string t = dir.file("trials");
  fs::create_directories(t);
  std::string out = watch(
      dir.path(), poll,
      [&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(300));
        trial_dir(t + "/a1");
        std::ofstream(t + "/a1/.nni/metrics") << "ME000004abc\n";
        std::this_thread::sleep_for(std::chrono::milliseconds(300));
        std::ofstream(t + "/a1/.nni/metrics", std::ios::app) << "MORE";
        std::ofstream(t + "/a1/.nni/state") << "0 1234";
        // A trial whose process is gone without writing its state.
        trial_dir(t + "/b2");
        std::ofstream(t + "/b2/.nni/pid") << "999999";
      },
      2.5);
  // The metrics bytes, in order, whatever the chunks.
  std::string metrics;
  std::istringstream lines(out);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.rfind("M a1 ", 0) == 0) metrics += base64_decode(line.substr(5));
  }
  EXPECT_EQ(metrics, "ME000004abc\nMORE") << out;
  EXPECT_NE(out.find("S a1 0 1234\n"), std::string::npos) << out;
  EXPECT_NE(out.find("D b2\n"), std::string::npos) << out;
  // Each is reported once.
  EXPECT_EQ(out.find("S a1"), out.rfind("S a1")) << out;
}

INSTANTIATE_TEST_SUITE_P(InotifyAndPolling, WatcherScript,
                         ::testing::Values(false, true),
                         [](const auto& param_info) {
                           return param_info.param ? "Polling" : "Inotify";
                         });

}  // namespace
}  // namespace archer
