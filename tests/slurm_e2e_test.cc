// The Slurm platform end to end: `archer create` on a single-node Slurm
// cluster (started by the test) running the Fashion-MNIST example trial
// (tiny), with each tuner.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

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

}  // namespace
}  // namespace archer
