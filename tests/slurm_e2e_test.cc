// The Slurm platform end to end: `archer create` on a single-node Slurm
// cluster (started by the test) running the Fashion-MNIST example trial
// (tiny), with each tuner.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "archer/store.h"
#include "common/subprocess.h"
#include "platform_e2e.h"
#include "testing/slurm_cluster.h"
#include "testing/temp_dir.h"

namespace archer {
namespace {

namespace fs = std::filesystem;

TEST(SlurmE2E, EachTunerThroughSbatch) {
  testing::SlurmCluster cluster;
  if (!cluster.available()) GTEST_SKIP() << cluster.why_unavailable();
  testing::TempDir work;
  ASSERT_EQ(testing::generate_cells_space(ARCHER_BIN, ARCHER_MNIST,
                                          work.file("space.json")),
            "");
  for (const auto& [name, tuner] : testing::each_tuner()) {
    std::ofstream(work.file(name + ".yml"))
        << "searchSpaceFile: " << work.file("space.json")
        << "\ntrialCommand: " << ARCHER_MNIST
        << " --space cells --epochs 2 --train_samples 128 --test_samples 128 "
           "--log_interval 0\ntrialCodeDirectory: "
        << work.path() << "\ntrialConcurrency: 2\nmaxTrialNumber: 3\n"
        << "experimentWorkingDirectory: " << work.file(name)
        << "\ntuner: " << tuner
        << "\ntrainingService:\n  platform: slurm\n  cpusPerTrial: 1\n"
           "  pollInterval: 0.2s\n";
    auto r =
        run_process({ARCHER_BIN, "create", "--config", work.file(name + ".yml"),
                     "--foreground", "--no_server"},
                    cluster.env(), "", std::chrono::minutes(5));
    ASSERT_TRUE(r.is_ok());
    EXPECT_NE(r.value().out.find("DONE: 3 succeeded, 0 failed"),
              std::string::npos)
        << name << "\n"
        << r.value().out << r.value().err;
    auto store = testing::only_store(work.file(name));
    ASSERT_NE(store, nullptr) << name;
    for (const auto& t : store->trials().value()) {
      EXPECT_FALSE(t.handle.empty());  // the Slurm job id
      EXPECT_TRUE(fs::exists(t.trial_dir + "/slurm.out"));
      EXPECT_FALSE(store->metrics(t.trial_id).value().empty());
    }
  }
}

TEST(SlurmE2E, ResumeAfterTheManagerIsKilledFindsTheJobsAgain) {
  testing::SlurmCluster cluster;
  if (!cluster.available()) GTEST_SKIP() << cluster.why_unavailable();
  testing::TempDir work, shared;
  ASSERT_EQ(testing::generate_cells_space(ARCHER_BIN, ARCHER_MNIST,
                                          work.file("space.json")),
            "");
  fs::create_directories(work.file("code"));
  fs::copy_file(ARCHER_MNIST, work.file("code/mnist_nas"));
  std::ofstream(work.file("resume.yml"))
      << "searchSpaceFile: " << work.file("space.json")
      << "\ntrialCommand: sleep 2; ./mnist_nas --space cells --epochs 2 "
         "--train_samples 128 --test_samples 128 --log_interval 0"
      << "\ntrialCodeDirectory: " << work.file("code")
      << "\ntrialConcurrency: 2\nmaxTrialNumber: 4\n"
      << "experimentWorkingDirectory: " << work.file("resume")
      << "\ntuner: {name: Random, classArgs: {seed: 3}}"
      << "\ntrainingService:\n  platform: slurm\n  cpusPerTrial: 1\n"
         "  pollInterval: 0.2s\n  sharedDirectory: "
      << shared.path() << "\n";
  testing::crash_and_resume(ARCHER_BIN, work.file("resume.yml"),
                            work.file("resume"), 2, 4, cluster.env());
  // The trials ran from the shared directory.
  for (const auto& e : fs::directory_iterator(work.file("resume"))) {
    if (!fs::exists(e.path() / "trials")) continue;
    for (const auto& t : fs::directory_iterator(e.path() / "trials")) {
      EXPECT_TRUE(fs::is_symlink(t.path())) << t.path();
      EXPECT_TRUE(fs::exists(t.path() / "slurm.out")) << t.path();
    }
  }
}

// The pilot workers still in Slurm's queue (any experiment).
int pilot_jobs(const testing::SlurmCluster& cluster, const std::string& file) {
  cluster.run("squeue -h -r -o '%i %j' | grep -c -- '-pilot$' >" + file +
              " || true");
  return std::atoi(testing::read_file(file).c_str());
}

// The same once cancelled jobs had time to leave (COMPLETING takes a moment).
int pilot_jobs_left(const testing::SlurmCluster& cluster,
                    const std::string& file) {
  int n = pilot_jobs(cluster, file);
  for (int i = 0; i < 100 && n > 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    n = pilot_jobs(cluster, file);
  }
  return n;
}

// Pilot mode through the CLI: kill -9 of the manager, `archer resume` adopts
// the trials running in the workers, and once DONE no allocation is left;
// `archer stop` releases them too.
TEST(SlurmE2E, PilotModeResumesAfterAKillAndStopReleasesTheWorkers) {
  testing::SlurmCluster cluster;
  if (!cluster.available()) GTEST_SKIP() << cluster.why_unavailable();
  testing::TempDir work;
  ASSERT_EQ(testing::generate_cells_space(ARCHER_BIN, ARCHER_MNIST,
                                          work.file("space.json")),
            "");
  auto config = [&](const std::string& name, const std::string& command,
                    int trials) {
    std::ofstream(work.file(name + ".yml"))
        << "searchSpaceFile: " << work.file("space.json")
        << "\ntrialCommand: " << command
        << "\ntrialCodeDirectory: " << work.path()
        << "\ntrialConcurrency: 2\nmaxTrialNumber: " << trials
        << "\nexperimentWorkingDirectory: " << work.file(name)
        << "\ntuner: {name: Random, classArgs: {seed: 3}}"
        << "\ntrainingService:\n  platform: slurm\n  cpusPerTrial: 1\n"
           "  pollInterval: 0.2s\n  pilot: {workers: 2, idleTimeout: 30s}\n";
    return work.file(name + ".yml");
  };
  const std::string mnist = std::string(ARCHER_MNIST) +
                            " --space cells --epochs 2 --train_samples 128 "
                            "--test_samples 128 --log_interval 0";
  testing::crash_and_resume(ARCHER_BIN,
                            config("resume", "sleep 2; " + mnist, 4),
                            work.file("resume"), 2, 4, cluster.env());
  auto store = testing::only_store(work.file("resume"));
  ASSERT_NE(store, nullptr);
  for (const auto& t : store->trials().value())
    EXPECT_NE(t.handle.find(" slot "), std::string::npos) << t.handle;
  // DONE released the workers (idleTimeout alone would keep them 30 s).
  EXPECT_EQ(pilot_jobs_left(cluster, work.file("q1")), 0);

  // archer stop while trials run in the workers.
  const std::string stop_config = config("stop", "sleep 120", 4);
  pid_t pid = ::fork();
  if (pid == 0) {
    for (const auto& [k, v] : cluster.env()) ::setenv(k.c_str(), v.c_str(), 1);
    ::execl(ARCHER_BIN, ARCHER_BIN, "create", "--config", stop_config.c_str(),
            "--foreground", "--no_server", static_cast<char*>(nullptr));
    ::_exit(127);
  }
  int running = 0;
  for (int i = 0; i < 600 && running < 2; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    auto s = testing::only_store(work.file("stop"));
    running = 0;
    if (!s) continue;
    for (const auto& t : s->trials().value())
      running += t.status == TrialStatus::kRunning;
  }
  ASSERT_EQ(running, 2);
  EXPECT_EQ(pilot_jobs(cluster, work.file("q2")), 2);
  auto r = run_process(
      {ARCHER_BIN, "stop", "--experiment_working_directory", work.file("stop")},
      cluster.env(), "", std::chrono::seconds(60));
  ASSERT_TRUE(r.is_ok());
  EXPECT_EQ(r.value().exit_code, 0) << r.value().out << r.value().err;
  int status = 0;
  ::waitpid(pid, &status, 0);
  auto s = testing::only_store(work.file("stop"));
  ASSERT_NE(s, nullptr);
  for (const auto& t : s->trials().value())
    EXPECT_STREQ(to_string(t.status), "USER_CANCELED") << t.trial_id;
  EXPECT_EQ(s->get_value("status").value(), "STOPPED");
  EXPECT_EQ(pilot_jobs_left(cluster, work.file("q3")), 0);
}

}  // namespace
}  // namespace archer
