// ExperimentManager: resume, updates of a running experiment, kill, import.
#include <gtest/gtest.h>

#include <set>

#include "manager/experiment_manager.h"
#include "testing/manager_harness.h"

namespace archer {
namespace {

using testing::config_for;
using testing::FakeOutcome;
using testing::Harness;
using testing::score;

std::string arch_of(const TrialRow& t) {
  return dumps(Json::parse(t.parameters)["parameters"]);
}

TEST(ManagerResume, ContinuesIdsAdoptsRunningTrialsAndRebuildsTheTuner) {
  // Random (no repeats) over the 8 architectures; trials with parameter id >= 4
  // hang in the first manager, which then dies without stopping.
  ExperimentConfig c = config_for("Random", Json::object(), 2, 8);
  auto hang_late = [](const Json& r) {
    return FakeOutcome{std::to_string(score(r)), TrialStatus::kSucceeded,
                       r["parameter_id"].get<int>() >= 4};
  };
  auto first = std::make_unique<Harness>(c, 2, hang_late);
  ASSERT_TRUE(first->manager->start().is_ok());
  first->run(30);
  ASSERT_EQ(first->manager->progress().running, 2);
  std::shared_ptr<Store> store = first->store;
  first.reset();  // SIGKILL: no stop(), trials left RUNNING in the store

  Harness second(
      c, 2, [](const Json& r) { return FakeOutcome{std::to_string(score(r))}; },
      store);
  ASSERT_TRUE(second.manager->resume().is_ok());
  // The two running trials are adopted with the handles their start stored.
  ASSERT_EQ(second.fake->adopted.size(), 2u);
  for (const auto& [id, handle] : second.fake->adopted)
    EXPECT_EQ(handle, "fake-" + id);
  Progress p = second.manager->progress();
  EXPECT_EQ(p.submitted, 6);
  EXPECT_EQ(p.succeeded, 4);
  EXPECT_EQ(p.running, 2);
  second.run();
  p = second.manager->progress();
  EXPECT_STREQ(to_string(p.status), "DONE");
  EXPECT_EQ(p.submitted, 8);
  EXPECT_EQ(p.succeeded, 8);
  EXPECT_EQ(p.best_metric, 3.0);
  auto trials = store->trials().value();
  ASSERT_EQ(trials.size(), 8u);
  std::set<std::string> archs;
  std::set<std::int64_t> parameter_ids;
  for (size_t i = 0; i < trials.size(); ++i) {
    EXPECT_EQ(trials[i].sequence_id, static_cast<std::int64_t>(i));
    EXPECT_STREQ(to_string(trials[i].status), "SUCCEEDED");
    archs.insert(arch_of(trials[i]));
    parameter_ids.insert(*trials[i].parameter_id);
  }
  // The rebuilt tuner knew every architecture tried or running: no repeats.
  EXPECT_EQ(archs.size(), 8u);
  EXPECT_EQ(parameter_ids.size(), 8u);
  // One FINAL per trial, none twice.
  EXPECT_EQ(store->metrics("").value().size(), 8u);
}

TEST(ManagerResume, AStoppedExperimentResumesWithItsBudgetAndCounters) {
  ExperimentConfig c =
      config_for("RegularizedEvolutionTuner",
                 Json{{"population_size", 4}, {"sample_size", 2}}, 1, 10);
  auto first = std::make_unique<Harness>(c, 1, [](const Json& r) {
    return FakeOutcome{std::to_string(score(r))};
  });
  ASSERT_TRUE(first->manager->start().is_ok());
  first->run(6);
  ASSERT_TRUE(first->manager->stop(std::chrono::milliseconds(100)).is_ok());
  const int before = first->manager->progress().submitted;
  ASSERT_GT(before, 2);
  std::shared_ptr<Store> store = first->store;
  const Json next_parameter_id = store->get_value("next_parameter_id").value();
  first.reset();

  Harness second(
      c, 1, [](const Json& r) { return FakeOutcome{std::to_string(score(r))}; },
      store);
  ASSERT_TRUE(second.manager->resume().is_ok());
  EXPECT_STREQ(to_string(second.manager->progress().status), "RUNNING");
  second.run();
  EXPECT_EQ(second.manager->progress().submitted, 10);  // the budget holds
  auto trials = store->trials().value();
  ASSERT_EQ(trials.size(), 10u);
  // The first trial of the resumed run continues the ids.
  EXPECT_EQ(trials[before].sequence_id, before);
  EXPECT_EQ(*trials[before].parameter_id, next_parameter_id.get<int>());
  EXPECT_EQ(store->get_value("status").value(), "DONE");
}

TEST(ManagerUpdates, ConcurrencyTrialNumberKillAndSearchSpace) {
  ExperimentConfig c = config_for("Random", Json{{"dedup", false}}, 1, 4);
  Harness h(c, 1, [](const Json&) {
    return FakeOutcome{"", TrialStatus::kSucceeded, true};
  });
  ASSERT_TRUE(h.manager->start().is_ok());
  h.run(3);
  EXPECT_EQ(h.manager->progress().running, 1);
  // More concurrency: more trials at once, and the store keeps the change.
  ASSERT_TRUE(h.manager->update_concurrency(3).is_ok());
  h.run(3);
  EXPECT_EQ(h.manager->progress().running, 3);
  EXPECT_EQ(h.store->get_value("config").value()["trialConcurrency"], 3);
  EXPECT_FALSE(h.manager->update_concurrency(0).is_ok());
  // Kill one: its slot is refilled up to maxTrialNumber (4), then no more.
  const std::string victim = h.store->trials().value()[0].trial_id;
  ASSERT_TRUE(h.manager->kill_trial(victim).is_ok());
  h.run(3);
  EXPECT_STREQ(to_string(h.store->trial(victim).value()->status),
               "USER_CANCELED");
  EXPECT_EQ(h.manager->progress().submitted, 4);
  EXPECT_STREQ(to_string(h.manager->progress().status), "NO_MORE_TRIAL");
  EXPECT_EQ(h.manager->kill_trial(victim).code(), Status::Code::kNotFound);
  // A larger budget revives it.
  ASSERT_TRUE(h.manager->update_max_trial_number(6).is_ok());
  ASSERT_TRUE(
      h.manager->kill_trial(h.store->trials().value()[1].trial_id).is_ok());
  h.run(3);
  EXPECT_EQ(h.manager->progress().submitted, 5);
  EXPECT_STREQ(to_string(h.manager->progress().status), "RUNNING");
  EXPECT_EQ(h.store->get_value("config").value()["maxTrialNumber"], 6);
  EXPECT_FALSE(h.manager->update_max_experiment_duration(0).is_ok());
  ASSERT_TRUE(h.manager->update_max_experiment_duration(3600).is_ok());
  // A new search space: new proposals come from it.
  auto space = SearchSpace::from_json(
      Json::parse(R"({"z": {"_type": "layer_choice", "_value": ["u", "v"]}})"),
      "new space");
  ASSERT_TRUE(space.is_ok());
  ASSERT_TRUE(
      h.manager->update_search_space(space.value().to_json(), "test").is_ok());
  ASSERT_TRUE(
      h.manager->kill_trial(h.store->trials().value()[2].trial_id).is_ok());
  h.run(3);
  auto trials = h.store->trials().value();
  ASSERT_EQ(trials.size(), 6u);
  EXPECT_TRUE(Json::parse(trials[5].parameters)["parameters"].contains("z"));
  EXPECT_EQ(h.store->get_value("search_space").value(),
            space.value().to_json());
}

TEST(ManagerUpdates, RegularizedEvolutionTakesConcurrencyAtItsPopulation) {
  ExperimentConfig c =
      config_for("RegularizedEvolutionTuner",
                 Json{{"population_size", 3}, {"sample_size", 2}}, 1, 4);
  Harness h(c, 1, [](const Json&) { return FakeOutcome{}; });
  ASSERT_TRUE(h.manager->start().is_ok());
  ::testing::internal::CaptureStderr();
  ASSERT_TRUE(h.manager->update_concurrency(3).is_ok());
  EXPECT_NE(::testing::internal::GetCapturedStderr().find(
                "trialConcurrency (3) is not smaller than "
                "classArgs.population_size (3)"),
            std::string::npos);
  EXPECT_EQ(h.manager->config().trial_concurrency, 3);
}

TEST(ManagerImport, PastResultsReachTheTunerAndTheStore) {
  ExperimentConfig c = config_for("Random", Json::object(), 1, 100);
  Harness h(c, 1, [](const Json& r) {
    return FakeOutcome{std::to_string(score(r))};
  });
  ASSERT_TRUE(h.manager->start().is_ok());
  auto arch = [](int a, int b, int s) {
    const char* names[] = {"x", "y"};
    const char* bs[] = {"p", "q"};
    return Json{{"a", {{"_value", names[a]}, {"_idx", a}}},
                {"b", {{"_value", bs[b]}, {"_idx", b}}},
                {"s", {{"_value", Json::array({""})}, {"_idx", {s}}}}};
  };
  // Errors name the source, the record and what is wrong; nothing is fed.
  auto bad = h.manager->import_data(
      Json::array({{{"parameter", arch(0, 0, 0)}, {"value", 1}},
                   {{"parameter", arch(0, 1, 0)}, {"value", "\"x\""}}}),
      "past.json");
  ASSERT_FALSE(bad.is_ok());
  EXPECT_NE(bad.status().message().find("past.json: record 1: value"),
            std::string::npos);
  EXPECT_TRUE(h.store->get_value("imported_data").value().is_null());
  auto n = h.manager->import_data(
      Json::array(
          {{{"parameter", arch(0, 0, 0)}, {"value", 1}},
           {{"parameter", arch(1, 1, 1)}, {"value", "{\"default\": 3}"}},
           {{"parameter", arch(1, 0, 0)}, {"value", "2.5"}}}),
      "past.json");
  ASSERT_TRUE(n.is_ok()) << n.status().message();
  EXPECT_EQ(n.value(), 3);
  EXPECT_EQ(h.store->get_value("imported_data").value().size(), 3u);
  h.run();
  // Random (no repeats) proposes only the 5 architectures not imported.
  EXPECT_EQ(h.manager->progress().submitted, 5);
  EXPECT_STREQ(to_string(h.manager->progress().status), "DONE");
}

}  // namespace
}  // namespace archer
