// NNI's hybrid mode end to end: one experiment over local + remote (a
// loopback OpenSSH server) + Slurm (a single-node cluster), each platform
// with its own concurrency, through `archer create`; every view says where
// each trial ran.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>

#include "archer/store.h"
#include "common/subprocess.h"
#include "platform_e2e.h"
#include "testing/slurm_cluster.h"
#include "testing/sshd.h"
#include "testing/temp_dir.h"

namespace archer {
namespace {

namespace fs = std::filesystem;

TEST(HybridE2E, LocalRemoteAndSlurmInOneExperiment) {
  testing::SlurmCluster cluster;
  if (!cluster.available()) GTEST_SKIP() << cluster.why_unavailable();
  testing::Sshd sshd;
  if (!sshd.available()) GTEST_SKIP() << sshd.why_unavailable();
  testing::TempDir code, work;
  // The example binary travels with the code (the host's user cannot read
  // the build tree).
  fs::copy_file(ARCHER_MNIST, code.file("mnist_nas"));
  fs::permissions(code.file("mnist_nas"),
                  fs::perms::owner_all | fs::perms::group_read |
                      fs::perms::group_exec | fs::perms::others_read |
                      fs::perms::others_exec);
  ASSERT_EQ(testing::generate_cells_space(ARCHER_BIN, code.file("mnist_nas"),
                                          work.file("space.json")),
            "");
  std::ofstream(work.file("hybrid.yml"))
      << "searchSpaceFile: " << work.file("space.json")
      << "\ntrialCommand: sleep 1; ./mnist_nas --space cells --epochs 2 "
         "--train_samples 128 --test_samples 128 --log_interval 0"
      << "\ntrialCodeDirectory: " << code.path()
      << "\ntrialConcurrency: 3\nmaxTrialNumber: 9\n"
      << "experimentWorkingDirectory: " << work.file("exp")
      << "\ntuner: {name: Random, classArgs: {seed: 4}}"
      << "\ntrainingService:\n"
         "  - {platform: local, trialConcurrency: 1}\n"
         "  - platform: remote\n    trialConcurrency: 1\n    remoteDirectory: "
      << sshd.user_dir()
      << "\n    machineList:\n      - {host: 127.0.0.1, port: " << sshd.port()
      << ", user: " << sshd.user() << ", sshKeyFile: " << sshd.client_key()
      << ", knownHostsFile: " << sshd.known_hosts()
      << "}\n  - {platform: slurm, trialConcurrency: 1, cpusPerTrial: 1, "
         "pollInterval: 0.2s}\n";
  auto r = run_process({ARCHER_BIN, "create", "--config",
                        work.file("hybrid.yml"), "--foreground", "--no_server"},
                       cluster.env(), "", std::chrono::minutes(5));
  ASSERT_TRUE(r.is_ok());
  EXPECT_EQ(r.value().exit_code, 0) << r.value().out << r.value().err;
  EXPECT_NE(r.value().out.find("DONE: 9 succeeded, 0 failed"),
            std::string::npos)
      << r.value().out << r.value().err;
  std::string id;
  auto store = testing::only_store(work.file("exp"), &id);
  ASSERT_NE(store, nullptr);
  std::map<std::string, int> ran;
  for (const auto& t : store->trials().value()) {
    ran[t.handle.substr(0, t.handle.find(':'))]++;
    EXPECT_FALSE(store->metrics(t.trial_id).value().empty()) << t.trial_id;
  }
  // Each platform ran trials (one at a time each: three at once in all).
  EXPECT_EQ(ran.size(), 3u);
  EXPECT_GT(ran["local"], 0);
  EXPECT_GT(ran["remote"], 0);
  EXPECT_GT(ran["slurm"], 0);
  // The CLI's views say where.
  auto ls = run_process({ARCHER_BIN, "trial", "ls", id,
                         "--experiment_working_directory", work.file("exp")},
                        {}, "", std::chrono::seconds(30));
  ASSERT_TRUE(ls.is_ok());
  EXPECT_NE(ls.value().out.find("platform"), std::string::npos)
      << ls.value().out;
  for (const char* p : {" local ", " remote ", " slurm "})
    EXPECT_NE(ls.value().out.find(p), std::string::npos) << ls.value().out;
  auto show = run_process({ARCHER_BIN, "experiment", "show", id,
                           "--experiment_working_directory", work.file("exp")},
                          {}, "", std::chrono::seconds(30));
  ASSERT_TRUE(show.is_ok());
  for (const auto& [platform, n] : ran)
    EXPECT_NE(show.value().out.find("  on " + platform + ": " +
                                    std::to_string(n) + "\n"),
              std::string::npos)
        << show.value().out;
  auto json = run_process({ARCHER_BIN, "trial", "ls", id, "--json",
                           "--experiment_working_directory", work.file("exp")},
                          {}, "", std::chrono::seconds(30));
  ASSERT_TRUE(json.is_ok());
  EXPECT_NE(json.value().out.find("\"platform\": \"slurm\""), std::string::npos)
      << json.value().out;
  EXPECT_NE(json.value().out.find("\"where\": \"remote "), std::string::npos)
      << json.value().out;
}

}  // namespace
}  // namespace archer
