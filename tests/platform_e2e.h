// Helpers shared by the platform end-to-end tests (remote, Slurm): the
// example's search space, the three tuners, the store of an experiment, and
// a crash of the manager followed by `archer resume`.
#ifndef ARCHER_TESTS_PLATFORM_E2E_H_
#define ARCHER_TESTS_PLATFORM_E2E_H_

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "archer/store.h"
#include "common/subprocess.h"
#include "testing/temp_dir.h"

namespace archer {
namespace testing {

// The store of the only experiment under `working_dir`, or null.
inline std::unique_ptr<Store> only_store(const std::string& working_dir,
                                         std::string* id = nullptr) {
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(working_dir, ec)) {
    const auto db = e.path() / "db/archer.sqlite";
    if (!std::filesystem::exists(db)) continue;
    auto store = Store::open(db.string());
    if (!store.is_ok()) return nullptr;
    if (id) *id = e.path().filename().string();
    return std::move(store).value();
  }
  return nullptr;
}

// Writes the example's cell search space (`archer ss_gen` on `mnist`) to
// `out`; "" on success, else what went wrong.
inline std::string generate_cells_space(const std::string& archer,
                                        const std::string& mnist,
                                        const std::string& out) {
  auto r =
      run_process({archer, "ss_gen", "-t", mnist + " --space cells", "-f", out},
                  {}, "", std::chrono::seconds(120));
  if (!r.is_ok()) return r.status().message();
  return r.value().exit_code == 0 ? "" : "ss_gen failed: " + r.value().err;
}

// Each tuner with settings small enough for a few trials: (name, YAML).
inline const std::vector<std::pair<std::string, std::string>>& each_tuner() {
  static const std::vector<std::pair<std::string, std::string>> tuners = {
      {"random", "{name: Random, classArgs: {seed: 1}}"},
      {"evolution",
       "{name: RegularizedEvolutionTuner, classArgs: {population_size: 3, "
       "sample_size: 2, seed: 1}}"},
      {"ppo",
       "{name: PPOTuner, classArgs: {trials_per_update: 2, minibatch_size: 1, "
       "seed: 1}}"}};
  return tuners;
}

// Runs `archer create --config <config> --foreground --no_server` (with
// `env` added), kills it with SIGKILL once `running` trials run, resumes it
// and checks: `total` trials, all SUCCEEDED, sequence ids 0..total-1, one
// FINAL each, and the trials running at the crash kept their handles (they
// were adopted, not restarted).
inline void crash_and_resume(const std::string& archer,
                             const std::string& config,
                             const std::string& working_dir, int running,
                             int total,
                             const std::map<std::string, std::string>& env) {
  const std::string out = config + ".out";
  pid_t pid = ::fork();
  if (pid == 0) {
    for (const auto& [k, v] : env) ::setenv(k.c_str(), v.c_str(), 1);
    int fd = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ::dup2(fd, 1);
    ::dup2(fd, 2);
    ::execl(archer.c_str(), archer.c_str(), "create", "--config",
            config.c_str(), "--foreground", "--no_server",
            static_cast<char*>(nullptr));
    ::_exit(127);
  }
  std::map<std::string, std::string> handles;  // running at the crash
  for (int i = 0; i < 1200 && static_cast<int>(handles.size()) < running; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    auto store = only_store(working_dir);
    if (!store) continue;
    handles.clear();
    for (const auto& t : store->trials().value()) {
      if (t.status == TrialStatus::kRunning && !t.handle.empty())
        handles[t.trial_id] = t.handle;
    }
  }
  ::kill(pid, SIGKILL);
  int status = 0;
  ::waitpid(pid, &status, 0);
  ASSERT_EQ(static_cast<int>(handles.size()), running) << read_file(out);
  std::string id;
  ASSERT_NE(only_store(working_dir, &id), nullptr);
  auto r = run_process(
      {archer, "resume", id, "-e", working_dir, "--foreground", "--no_server"},
      env, "", std::chrono::minutes(5));
  ASSERT_TRUE(r.is_ok()) << r.status().message();
  EXPECT_EQ(r.value().exit_code, 0) << r.value().out << r.value().err;
  EXPECT_NE(r.value().out.find("DONE: " + std::to_string(total) +
                               " succeeded, 0 failed"),
            std::string::npos)
      << r.value().out << r.value().err;
  auto store = only_store(working_dir);
  ASSERT_NE(store, nullptr);
  std::set<std::int64_t> sequences;
  int trials = 0;
  for (const auto& t : store->trials().value()) {
    ++trials;
    sequences.insert(t.sequence_id);
    EXPECT_STREQ(to_string(t.status), "SUCCEEDED")
        << t.trial_id << ": " << t.message;
    int finals = 0;
    for (const auto& m : store->metrics(t.trial_id).value())
      finals += m.type == MetricType::kFinal;
    EXPECT_EQ(finals, 1) << t.trial_id;
    auto before = handles.find(t.trial_id);
    if (before != handles.end()) {
      EXPECT_EQ(t.handle, before->second);
    }
  }
  EXPECT_EQ(trials, total);
  EXPECT_EQ(static_cast<int>(sequences.size()), total);
  EXPECT_EQ(*sequences.rbegin(), static_cast<std::int64_t>(total - 1));
  EXPECT_EQ(store->get_value("status").value(), "DONE");
}

}  // namespace testing
}  // namespace archer

#endif  // ARCHER_TESTS_PLATFORM_E2E_H_
