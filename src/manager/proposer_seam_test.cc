// The manager over a scripted proposer (testing/fake_proposer.h): what it
// asks for, what it tells, and how the proposer's outlook decides the
// experiment's status.
#include <gtest/gtest.h>

#include <algorithm>

#include "manager/experiment_manager.h"
#include "store/experiment_files.h"
#include "testing/fake_proposer.h"
#include "testing/fake_training_service.h"
#include "testing/manager_harness.h"

namespace archer {
namespace {

using testing::FakeOutcome;
using testing::FakeProposer;
using testing::FakeTrainingService;

Json arch(int a) {
  return {{"a", {{"_value", a ? "y" : "x"}, {"_idx", a}}},
          {"b", {{"_value", "p"}, {"_idx", 0}}},
          {"s", {{"_value", {""}}, {"_idx", {0}}}}};
}

struct Seam {
  std::shared_ptr<Store> store = std::move(Store::open(":memory:")).value();
  FakeProposer* proposer = nullptr;
  FakeTrainingService* service = nullptr;
  std::unique_ptr<ExperimentManager> manager;

  explicit Seam(
      int slots, std::optional<std::int64_t> max_trials,
      std::function<FakeOutcome(const Json&)> outcome = [](const Json& r) {
        return FakeOutcome{
            dumps(Json(r["parameters"]["a"]["_idx"].get<int>() + 0.5))};
      }) {
    auto p = std::make_unique<FakeProposer>();
    proposer = p.get();
    auto s = std::make_unique<FakeTrainingService>(slots, std::move(outcome));
    service = s.get();
    manager = std::make_unique<ExperimentManager>(
        testing::config_for("Random", Json::object(), slots, max_trials),
        "exp12345", "/tmp/exp12345", std::move(p), std::move(s), store.get(),
        7);
  }
  StatusOr<bool> run(int steps = 200) {
    StatusOr<bool> more = true;
    for (int i = 0; i < steps && more.is_ok() && more.value(); ++i)
      more = manager->step(std::chrono::milliseconds(0));
    return more;
  }
  int count(const std::string& prefix) const {
    return static_cast<int>(std::count_if(
        proposer->calls.begin(), proposer->calls.end(),
        [&](const std::string& c) { return c.rfind(prefix, 0) == 0; }));
  }
};

TEST(ProposerSeam, AsksForNoMoreThanTheFreeSlotsAndTheBudget) {
  Seam s(2, 5);
  for (int i = 0; i < 10; ++i) s.proposer->script.push_back(arch(i % 2));
  ASSERT_TRUE(s.manager->start().is_ok());
  auto done = s.run();
  ASSERT_TRUE(done.is_ok()) << done.status().message();
  EXPECT_FALSE(done.value());
  EXPECT_EQ(s.service->submitted.size(), 5u);
  for (int n : s.proposer->asked) EXPECT_LE(n, 2);
  EXPECT_EQ(s.proposer->asked.back(), 0);  // the budget is spent
  EXPECT_STREQ(to_string(s.manager->progress().status), "DONE");
  EXPECT_EQ(s.count("terminate"), 1);
}

TEST(ProposerSeam, TellsEveryMetricResultAndEndWithItsProposal) {
  Seam s(1, 2, [](const Json& r) {
    const int a = r["parameters"]["a"]["_idx"].get<int>();
    return a ? FakeOutcome{"0.9"} : FakeOutcome{"", TrialStatus::kFailed};
  });
  s.proposer->script = {arch(1), arch(0)};
  ASSERT_TRUE(s.manager->start().is_ok());
  ASSERT_TRUE(s.run().is_ok());
  const std::string first = s.service->submitted[0].trial_id;
  const std::string second = s.service->submitted[1].trial_id;
  const std::vector<std::string> want = {
      "metric " + first + " FINAL 0", "result " + first + " 0 0.9",
      "ended " + first + " 0 SUCCEEDED success",
      "ended " + second + " 1 FAILED", "terminate"};
  EXPECT_EQ(s.proposer->calls, want);
  const Progress p = s.manager->progress();
  EXPECT_EQ(p.best_trial_id, first);
  EXPECT_EQ(p.best_architecture, arch(1));
  EXPECT_EQ(p.succeeded, 1);
  EXPECT_EQ(p.failed, 1);
}

TEST(ProposerSeam, KillsStopTrialsEarlyWithTheReason) {
  Seam s(2, 2, [](const Json&) {
    FakeOutcome o;
    o.hang = true;
    return o;
  });
  s.proposer->script = {arch(0), arch(1)};
  ASSERT_TRUE(s.manager->start().is_ok());
  ASSERT_TRUE(s.manager->step(std::chrono::milliseconds(0)).is_ok());
  ASSERT_EQ(s.service->submitted.size(), 2u);
  const std::string id = s.service->submitted[0].trial_id;
  s.proposer->kills = {id, "unknown"};
  ASSERT_TRUE(s.manager->step(std::chrono::milliseconds(0)).is_ok());
  ASSERT_TRUE(s.manager->step(std::chrono::milliseconds(0)).is_ok());
  auto row = s.store->trial(id).value();
  ASSERT_TRUE(row);
  EXPECT_STREQ(to_string(row->status), "EARLY_STOPPED");
  EXPECT_NE(row->message.find("stopped early: the assessor in NNI's"),
            std::string::npos)
      << row->message;
  EXPECT_EQ(s.manager->progress().early_stopped, 1);
  ASSERT_TRUE(s.manager->stop(std::chrono::milliseconds(100)).is_ok());
}

TEST(ProposerSeam, ExhaustionEndsTheExperimentWithTheProposersWhy) {
  Seam s(2, std::nullopt);
  s.proposer->script = {arch(0), arch(1), arch(0)};
  ASSERT_TRUE(s.manager->start().is_ok());
  ASSERT_TRUE(s.run().is_ok());
  EXPECT_EQ(s.service->submitted.size(), 3u);
  EXPECT_STREQ(to_string(s.manager->progress().status), "DONE");
  EXPECT_EQ(s.manager->progress().message, "the script is done");
  EXPECT_EQ(s.store->get_value(store_keys::kStatusMessage).value(),
            "the script is done");
}

TEST(ProposerSeam, WaitingWithNothingRunningIsDone) {
  Seam s(2, std::nullopt);
  s.proposer->script = {arch(0)};
  s.proposer->wait_when_done = true;
  ASSERT_TRUE(s.manager->start().is_ok());
  ASSERT_TRUE(s.run().is_ok());
  EXPECT_STREQ(to_string(s.manager->progress().status), "DONE");
  EXPECT_EQ(s.manager->progress().message,
            "the tuner has nothing to propose and no trial is running");
}

TEST(ProposerSeam, AProposalBeingCheckedKeepsTheExperimentRunning) {
  Seam s(2, 1);
  s.proposer->checking = true;
  ASSERT_TRUE(s.manager->start().is_ok());
  for (int i = 0; i < 5; ++i) {
    auto more = s.manager->step(std::chrono::milliseconds(0));
    ASSERT_TRUE(more.is_ok() && more.value());
  }
  EXPECT_STREQ(to_string(s.manager->progress().status), "RUNNING");
  s.proposer->checking = false;
  s.proposer->script = {arch(1)};
  ASSERT_TRUE(s.run().is_ok());
  EXPECT_EQ(s.service->submitted.size(), 1u);
  EXPECT_STREQ(to_string(s.manager->progress().status), "DONE");
}

TEST(ProposerSeam, AnErrorOfTheProposerIsTheStepsError) {
  Seam s(1, 3);
  s.proposer->script = {arch(0), arch(1), arch(0)};
  ASSERT_TRUE(s.manager->start().is_ok());
  s.proposer->poll_error = Status::internal("the dispatcher exited (code 3)");
  auto more = s.manager->step(std::chrono::milliseconds(0));
  ASSERT_FALSE(more.is_ok());
  EXPECT_EQ(more.status().message(), "the dispatcher exited (code 3)");
  ASSERT_TRUE(s.manager->fail(more.status()).is_ok());
  EXPECT_STREQ(to_string(s.manager->progress().status), "ERROR");
  EXPECT_EQ(s.manager->progress().failed + s.manager->progress().succeeded +
                s.manager->progress().early_stopped,
            1);  // the one trial it started ended (cancelled)
}

TEST(ProposerSeam, ARefusedReviveLeavesTheExperimentDone) {
  Seam s(1, 1);
  s.proposer->script = {arch(0), arch(1)};
  ASSERT_TRUE(s.manager->start().is_ok());
  ASSERT_TRUE(s.run().is_ok());
  ASSERT_STREQ(to_string(s.manager->progress().status), "DONE");
  s.proposer->revive_error = Status::invalid_argument("cannot go on");
  Status st = s.manager->update_max_trial_number(5);
  EXPECT_EQ(st.message(), "cannot go on");
  EXPECT_STREQ(to_string(s.manager->progress().status), "DONE");
  s.proposer->revive_error = Status::ok();
  ASSERT_TRUE(s.manager->update_max_trial_number(5).is_ok());
  EXPECT_STREQ(to_string(s.manager->progress().status), "RUNNING");
  ASSERT_TRUE(s.run().is_ok());
  EXPECT_EQ(s.service->submitted.size(), 2u);  // the script's second
}

TEST(ProposerSeam, ResumeGivesTheProposerTheStoredHistory) {
  Seam first(1, 4);
  first.proposer->script = {arch(0), arch(1), arch(0), arch(1)};
  ASSERT_TRUE(first.manager->start().is_ok());
  for (int i = 0; i < 3; ++i)
    ASSERT_TRUE(first.manager->step(std::chrono::milliseconds(0)).is_ok());
  const int ended = first.manager->progress().succeeded;
  ASSERT_GT(ended, 0);
  Seam second(1, 4);
  second.store = first.store;
  second.manager = std::make_unique<ExperimentManager>(
      testing::config_for("Random", Json::object(), 1, 4), "exp12345",
      "/tmp/exp12345",
      std::unique_ptr<Proposer>(second.proposer = new FakeProposer()),
      std::unique_ptr<TrainingService>(
          second.service = new FakeTrainingService(
              1, [](const Json&) { return FakeOutcome{"0.1"}; })),
      second.store.get(), 8);
  second.proposer->script = {arch(1), arch(1), arch(1), arch(1)};
  ASSERT_TRUE(second.manager->resume().is_ok());
  EXPECT_EQ(second.proposer->restored_from, ended);
  EXPECT_EQ(second.manager->progress().succeeded, ended);
  ASSERT_TRUE(second.run().is_ok());
  EXPECT_EQ(second.store->trials().value().size(), 4u);
  EXPECT_STREQ(to_string(second.manager->progress().status), "DONE");
}

}  // namespace
}  // namespace archer
