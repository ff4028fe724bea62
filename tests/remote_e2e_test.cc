// The remote platform end to end: `archer create` on two SSH hosts (loopback
// OpenSSH servers) running the Fashion-MNIST example trial (tiny), with each
// tuner; then a host killed in the middle of an experiment.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

#include "archer/store.h"
#include "common/subprocess.h"
#include "platform_e2e.h"
#include "testing/sshd.h"
#include "testing/temp_dir.h"

namespace archer {
namespace {

namespace fs = std::filesystem;

class RemoteE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!a_.available()) GTEST_SKIP() << a_.why_unavailable();
    ASSERT_TRUE(b_.available()) << b_.why_unavailable();
    // The code directory: the example binary travels with it (the hosts'
    // user cannot read the build tree).
    fs::copy_file(ARCHER_MNIST, code_.file("mnist_nas"));
    fs::permissions(code_.file("mnist_nas"),
                    fs::perms::owner_all | fs::perms::group_read |
                        fs::perms::others_read | fs::perms::others_exec |
                        fs::perms::group_exec);
    ASSERT_EQ(testing::generate_cells_space(ARCHER_BIN, code_.file("mnist_nas"),
                                            work_.file("space.json")),
              "");
  }
  std::string machine(const testing::Sshd& s) const {
    return "    - {host: 127.0.0.1, port: " + std::to_string(s.port()) +
           ", user: " + s.user() + ", sshKeyFile: " + s.client_key() +
           ", knownHostsFile: " + s.known_hosts() + "}\n";
  }
  std::string config(const std::string& name, const std::string& tuner,
                     const std::string& command, int trials) const {
    return "searchSpaceFile: " + work_.file("space.json") +
           "\ntrialCommand: " + command +
           "\ntrialCodeDirectory: " + code_.path() +
           "\ntrialConcurrency: 2\nmaxTrialNumber: " + std::to_string(trials) +
           "\nexperimentWorkingDirectory: " + work_.file(name) +
           "\ntuner: " + tuner +
           "\ntrainingService:\n  platform: remote\n  remoteDirectory: " +
           a_.user_dir() + "\n  machineList:\n" + machine(a_) + machine(b_);
  }
  const std::string tiny_ =
      "./mnist_nas --space cells --epochs 2 --train_samples 128 "
      "--test_samples 128 --log_interval 0";
  testing::Sshd a_, b_;
  testing::TempDir code_, work_;
};

TEST_F(RemoteE2E, EachTunerOnTwoHosts) {
  for (const auto& [name, tuner] : testing::each_tuner()) {
    std::ofstream(work_.file(name + ".yml")) << config(name, tuner, tiny_, 4);
    auto r =
        run_process({ARCHER_BIN, "create", "--config",
                     work_.file(name + ".yml"), "--foreground", "--no_server"},
                    {}, "", std::chrono::minutes(5));
    ASSERT_TRUE(r.is_ok());
    EXPECT_EQ(r.value().exit_code, 0) << r.value().out << r.value().err;
    EXPECT_NE(r.value().out.find("DONE: 4 succeeded, 0 failed"),
              std::string::npos)
        << name << "\n"
        << r.value().out << r.value().err;
    auto store = testing::only_store(work_.file(name));
    ASSERT_NE(store, nullptr);
    std::set<std::string> hosts;
    for (const auto& t : store->trials().value()) {
      hosts.insert(t.handle.substr(0, t.handle.rfind('/')));
      // Metrics and outputs came back to the local copy.
      EXPECT_FALSE(store->metrics(t.trial_id).value().empty()) << t.trial_id;
      EXPECT_TRUE(fs::exists(t.trial_dir + "/stdout")) << t.trial_dir;
    }
    EXPECT_EQ(hosts.size(), 2u) << name << ": trials should use both hosts";
  }
}

TEST_F(RemoteE2E, AHostKilledMidExperiment) {
  std::ofstream(work_.file("kill.yml")) << config(
      "kill", "{name: Random, classArgs: {seed: 2}}", "sleep 1.5; " + tiny_, 5);
  const std::string out = work_.file("kill.out");
  pid_t pid = ::fork();
  if (pid == 0) {
    int fd = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ::dup2(fd, 1);
    ::dup2(fd, 2);
    ::execl(ARCHER_BIN, ARCHER_BIN, "create", "--config",
            work_.file("kill.yml").c_str(), "--foreground", "--no_server",
            static_cast<char*>(nullptr));
    ::_exit(127);
  }
  // Wait until both hosts run a trial, then host b goes down.
  bool both = false;
  for (int i = 0; i < 300 && !both; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    if (!fs::exists(work_.file("kill"))) continue;
    auto store = testing::only_store(work_.file("kill"));
    if (!store) continue;
    std::set<std::string> hosts;
    for (const auto& t : store->trials().value()) {
      if (t.status == TrialStatus::kRunning)
        hosts.insert(t.handle.substr(0, t.handle.rfind('/')));
    }
    both = hosts.size() == 2;
  }
  ASSERT_TRUE(both);
  b_.crash();
  int status = 0;
  ::waitpid(pid, &status, 0);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
      << testing::read_file(out);
  auto store = testing::only_store(work_.file("kill"));
  int canceled = 0, succeeded = 0;
  for (const auto& t : store->trials().value()) {
    if (t.status == TrialStatus::kSysCanceled) {
      ++canceled;
      EXPECT_NE(t.message.find("became unreachable"), std::string::npos);
    }
    succeeded += t.status == TrialStatus::kSucceeded;
  }
  EXPECT_EQ(canceled, 1) << testing::read_file(out);
  EXPECT_EQ(succeeded, 4) << testing::read_file(out);
  EXPECT_EQ(store->get_value("status").value(), "DONE");
}

TEST_F(RemoteE2E, ResumeAfterTheManagerIsKilledAdoptsTheRemoteTrials) {
  std::ofstream(work_.file("resume.yml")) << config(
      "resume", "{name: Random, classArgs: {seed: 3}}", "sleep 2; " + tiny_, 4);
  testing::crash_and_resume(ARCHER_BIN, work_.file("resume.yml"),
                            work_.file("resume"), 2, 4, {});
}

}  // namespace
}  // namespace archer
