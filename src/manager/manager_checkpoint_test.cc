// The tuner checkpoint in the store, with the one tuner that has learned state
// (PPO): written every 10 trial ends and at stop, loaded by resume.
#include <gtest/gtest.h>

#include "manager/experiment_manager.h"
#include "testing/manager_harness.h"
#include "tuner/ppo/ppo_tuner.h"

namespace archer {
namespace {

using testing::config_for;
using testing::FakeOutcome;
using testing::Harness;
using testing::score;

TEST(ManagerCheckpoint, PpoStateSurvivesStopAndResume) {
  register_ppo_tuner();
  ExperimentConfig c = config_for("PPOTuner",
                                  Json{{"trials_per_update", 4},
                                       {"minibatch_size", 2},
                                       {"epochs_per_update", 1}},
                                  2, 30);
  auto outcome = [](const Json& r) {
    return FakeOutcome{std::to_string(score(r))};
  };
  auto first = std::make_unique<Harness>(c, 2, outcome);
  ASSERT_TRUE(first->manager->start().is_ok());
  first->run(12);
  ASSERT_GE(first->manager->progress().succeeded, 10);
  // Every 10 trial ends: a checkpoint of the learned weights.
  Json periodic = first->store->get_value("tuner_checkpoint").value();
  ASSERT_TRUE(periodic.is_object());
  EXPECT_EQ(periodic["state"]["format"], "archer-ppo-1");
  EXPECT_GT(periodic["state"]["updates"].get<int>(), 0);
  ASSERT_TRUE(first->manager->stop(std::chrono::milliseconds(100)).is_ok());
  const Json at_stop = first->store->get_value("tuner_checkpoint").value();
  EXPECT_EQ(at_stop["state"], first->tuner->save());
  std::shared_ptr<Store> store = first->store;
  first.reset();

  // Resume loads it (nothing ended after it, so nothing is replayed): the
  // rebuilt tuner is exactly the stopped one.
  Harness second(c, 2, outcome, store);
  ASSERT_TRUE(second.manager->resume().is_ok());
  EXPECT_EQ(second.tuner->save()["weights"], at_stop["state"]["weights"]);
  second.run();
  EXPECT_EQ(second.manager->progress().submitted, 30);
  EXPECT_STREQ(to_string(second.manager->progress().status), "DONE");
  std::printf("PPO checkpoint: %zu bytes of JSON\n", dumps(at_stop).size());
}

}  // namespace
}  // namespace archer
