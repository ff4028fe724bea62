#include "experiment/experiment.h"

#include <gtest/gtest.h>

#include "experiment/experiment_index.h"
#include "testing/temp_dir.h"

namespace archer {
namespace {

using std::chrono::milliseconds;

ExperimentConfig config_in(const testing::TempDir& dir) {
  const std::string yaml =
      "searchSpace: {op: {_type: layer_choice, _value: [a, b, c]}}\n"
      "trialCommand: \"m='{\\\"parameter_id\\\": 0, \\\"trial_job_id\\\": "
      "\\\"t\\\", \\\"type\\\": \\\"FINAL\\\", \\\"sequence\\\": 0, "
      "\\\"value\\\": \\\"0.5\\\"}'; printf 'ME%06d%s\\\\n' $((${#m}+1)) "
      "\\\"$m\\\" >> \\\"$NNI_OUTPUT_DIR/.nni/metrics\\\"\"\n"
      "trialConcurrency: 2\nmaxTrialNumber: 3\n"
      "tuner: {name: Random, classArgs: {seed: 3}}\n"
      "experimentWorkingDirectory: " +
      dir.file("work") + "\n";
  auto c = parse_experiment_config(yaml, "exp.yml", dir.path());
  EXPECT_TRUE(c.is_ok()) << c.status().message();
  return c.value();
}

TEST(Experiment, CreatesRunsToTheEndAndRecordsItInTheIndex) {
  testing::TempDir dir;
  const ExperimentConfig c = config_in(dir);
  const std::string exp_dir = dir.file("work/E1");
  ServerOptions server;
  server.port = 0;
  auto e = Experiment::create("E1", exp_dir, c, server);
  ASSERT_TRUE(e.is_ok()) << e.status().message();
  EXPECT_NE(e.value()->announcement().find("Web UI: http://127.0.0.1:"),
            std::string::npos);
  // One manager per experiment: a second one is refused.
  auto twice = Experiment::create("E1", exp_dir, c, server);
  ASSERT_FALSE(twice.is_ok());
  const Json running = load_index(dir.file("work")).value()["E1"];
  EXPECT_EQ(running["status"], "RUNNING");
  EXPECT_EQ(running["dir"], exp_dir);
  EXPECT_TRUE(running["port"].is_number_integer());
  bool more = true;
  const auto limit =
      std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (more && std::chrono::steady_clock::now() < limit) {
    auto r = e.value()->step(milliseconds(100));
    ASSERT_TRUE(r.is_ok()) << r.status().message();
    more = r.value();
  }
  EXPECT_FALSE(more);
  EXPECT_EQ(e.value()->progress().status, ExperimentStatus::kDone);
  EXPECT_EQ(e.value()->progress().succeeded, 3);
  ASSERT_TRUE(e.value()->finish().is_ok());
  EXPECT_EQ(load_index(dir.file("work")).value()["E1"]["status"], "DONE");
  e.value().reset();  // the lock goes with it

  // resume: the config comes back from the store.
  auto stored = stored_config(exp_dir);
  ASSERT_TRUE(stored.is_ok()) << stored.status().message();
  EXPECT_EQ(stored.value().max_trial_number, 3);
  server.enabled = false;
  auto again = Experiment::resume("E1", exp_dir, dir.file("work"), server);
  ASSERT_TRUE(again.is_ok()) << again.status().message();
  EXPECT_TRUE(again.value()->announcement().find("resumed") !=
              std::string::npos);
  EXPECT_FALSE(again.value()->step(milliseconds(10)).value());  // still done
  ASSERT_TRUE(again.value()->finish().is_ok());
}

TEST(Experiment, ClearErrorsForWhatCannotBeAssembled) {
  testing::TempDir dir;
  auto none = stored_config(dir.file("nothing"));
  ASSERT_FALSE(none.is_ok());
  ExperimentConfig c = config_in(dir);
  c.platform = "kubernetes";  // nothing registered under that name
  ServerOptions server;
  server.enabled = false;
  auto e = Experiment::create("E2", dir.file("work/E2"), c, server);
  ASSERT_FALSE(e.is_ok());
  EXPECT_NE(e.status().message().find("unknown platform 'kubernetes'"),
            std::string::npos)
      << e.status().message();
  EXPECT_NE(e.status().message().find("registered: local, remote, slurm"),
            std::string::npos);
  auto missing = find_experiment_dir("nope", dir.file("work"));
  EXPECT_FALSE(missing.is_ok());
}

}  // namespace
}  // namespace archer
