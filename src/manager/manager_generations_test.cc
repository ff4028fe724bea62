// Search-space generations (issue 12): a trial keeps the space it was
// proposed in; the best architecture, the tuner feed and resume use it.
#include <gtest/gtest.h>

#include <memory>

#include "manager/experiment_manager.h"
#include "testing/manager_harness.h"

namespace archer {
namespace {

using testing::config_for;
using testing::FakeOutcome;
using testing::Harness;

SearchSpace space_of(const char* text) {
  auto s = SearchSpace::from_json(Json::parse(text), "new space");
  EXPECT_TRUE(s.is_ok()) << s.status().message();
  return s.value();
}

// Fewer keys (the old trials' "a", "b", "s" are gone), 8 architectures.
const char* kSmaller = R"({"z": {"_type": "layer_choice", "_value": ["u",
    "v", "w", "x"]}, "y": {"_type": "layer_choice", "_value": ["m", "n"]}})";
const char* kLarger = R"({"a": {"_type": "layer_choice", "_value":
    ["x", "y", "w", "v"]}, "b": {"_type": "layer_choice", "_value": ["p", "q",
    "r"]}, "s": {"_type": "input_choice", "_value": {"candidates": ["", "",
    ""], "n_chosen": 2}}, "t": {"_type": "layer_choice", "_value": ["k"]}})";

// Old-space trials hang until released, then report 100 (the best); trials
// of a new space report 1.
std::function<FakeOutcome(const Json&)> old_ones_best(
    std::shared_ptr<bool> released) {
  return [released](const Json& r) {
    const bool old =
        !r["parameters"].contains("z") && !r["parameters"].contains("t");
    if (!old) return FakeOutcome{"1"};
    return FakeOutcome{"100", TrialStatus::kSucceeded, !*released};
  };
}

class Generations : public ::testing::TestWithParam<const char*> {};

// Regression: a smaller space made the manager exit (vector::_M_range_check)
// when an old trial reported the best result; a larger one reported an
// architecture the trial never had.
TEST_P(Generations, OldTrialsKeepTheirArchitectureWhileTheyRun) {
  ExperimentConfig c = config_for("Random", Json::object(), 2, 6);
  auto released = std::make_shared<bool>(false);
  Harness h(c, 2, old_ones_best(released));
  ASSERT_TRUE(h.manager->start().is_ok());
  h.run(5);
  ASSERT_EQ(h.manager->progress().running, 2);
  const auto before = h.store->trials().value();
  ASSERT_TRUE(
      h.manager->update_search_space(space_of(GetParam()).to_json(), "test")
          .is_ok());
  *released = true;
  h.run();
  Progress p = h.manager->progress();
  EXPECT_STREQ(to_string(p.status), "DONE");
  EXPECT_EQ(p.best_metric, 100.0);
  ASSERT_TRUE(p.best_trial_id == before[0].trial_id ||
              p.best_trial_id == before[1].trial_id);
  const TrialRow& best =
      p.best_trial_id == before[0].trial_id ? before[0] : before[1];
  EXPECT_EQ(p.best_architecture, Json::parse(best.parameters)["parameters"]);
  auto trials = h.store->trials().value();
  ASSERT_EQ(trials.size(), 6u);
  EXPECT_EQ(trials[0].generation, 0);
  EXPECT_EQ(trials[1].generation, 0);
  for (size_t i = 2; i < trials.size(); ++i) EXPECT_EQ(trials[i].generation, 1);
  EXPECT_EQ(h.store->get_value("search_spaces").value().size(), 2u);
}

// Regression: after a kill with old-space trials live, every resume
// segfaulted (the adopted trial got an empty Architecture).
TEST_P(Generations, ResumeAdoptsOldSpaceTrialsWithTheirOwnSpace) {
  ExperimentConfig c = config_for("Random", Json::object(), 2, 6);
  auto released = std::make_shared<bool>(false);
  auto first = std::make_unique<Harness>(c, 2, old_ones_best(released));
  ASSERT_TRUE(first->manager->start().is_ok());
  first->run(5);
  ASSERT_TRUE(first->manager
                  ->update_search_space(space_of(GetParam()).to_json(), "test")
                  .is_ok());
  const auto before = first->store->trials().value();
  std::shared_ptr<Store> store = first->store;
  first.reset();  // killed with the two old-space trials running

  // The resumed manager's config is the stored one: the new space.
  ExperimentConfig now = c;
  now.search_space = space_of(GetParam());
  now.canonical["searchSpace"] = now.search_space.to_json();
  *released = true;
  Harness second(now, 2, old_ones_best(released), store);
  ASSERT_TRUE(second.manager->resume().is_ok());
  EXPECT_EQ(second.fake->adopted.size(), 2u);
  second.run();
  Progress p = second.manager->progress();
  EXPECT_STREQ(to_string(p.status), "DONE");
  EXPECT_EQ(p.best_metric, 100.0);
  bool found = false;
  for (const auto& t : before) {
    if (t.trial_id == p.best_trial_id) {
      found = true;
      EXPECT_EQ(p.best_architecture, Json::parse(t.parameters)["parameters"]);
    }
  }
  EXPECT_TRUE(found);
  // New proposals are of the new space only.
  for (const auto& t : store->trials().value()) {
    if (t.generation == 1) {
      EXPECT_FALSE(Json::parse(t.parameters)["parameters"].contains("a") &&
                   !Json::parse(t.parameters)["parameters"].contains("t"));
    }
  }
  // And a second resume (after DONE) reads every generation again.
  Harness third(now, 2, old_ones_best(released), store);
  ASSERT_TRUE(third.manager->resume().is_ok());
  EXPECT_EQ(third.manager->progress().best_metric, 100.0);
}

INSTANTIATE_TEST_SUITE_P(SmallerAndLarger, Generations,
                         ::testing::Values(kSmaller, kLarger));

// An update to NNI's HPO types under Archer's own tuner is refused with the
// config's message (naming the entry and NNI's TPE); the experiment goes on
// with its space, no generation added.
TEST(GenerationsRefused, AnHpoSpaceUnderANativeTuner) {
  ExperimentConfig c = config_for("Random", Json::object(), 1, 2);
  Harness h(c, 1, [](const Json&) { return FakeOutcome{"1"}; });
  ASSERT_TRUE(h.manager->start().is_ok());
  Status st = h.manager->update_search_space(
      Json::parse(R"({"lr": {"_type": "loguniform", "_value": [0.001, 0.1]}})"),
      "PUT /experiment");
  ASSERT_FALSE(st.is_ok());
  EXPECT_NE(st.message().find("PUT /experiment: entry 'lr' (loguniform): "
                              "tuner Random is Archer's own"),
            std::string::npos)
      << st.message();
  EXPECT_NE(st.message().find("tuner: {name: TPE}"), std::string::npos);
  h.run();
  EXPECT_STREQ(to_string(h.manager->progress().status), "DONE");
  EXPECT_EQ(h.store->trials().value().size(), 2u);
  EXPECT_EQ(h.store->get_value("search_spaces").value().size(), 1u);
}

// Regression (issue 26, Low): `{}` was accepted by create and refused by
// `update searchspace`; one rule (check_native_tuner_space) now refuses both
// with one message.
TEST(GenerationsRefused, AnEmptySpaceAsTheConfigRefusesIt) {
  const std::string expected =
      "the search space is empty: expected at least one choice";
  auto config = parse_experiment_config(
      "searchSpace: {}\ntrialCommand: ./trial\ntrialConcurrency: 1\ntuner: "
      "{name: Random}\n",
      "exp.yml", "/tmp");
  ASSERT_FALSE(config.is_ok());
  EXPECT_NE(
      config.status().message().find("exp.yml:1: searchSpace: " + expected),
      std::string::npos)
      << config.status().message();
  ExperimentConfig c = config_for("Random", Json::object(), 1, 2);
  Harness h(c, 1, [](const Json&) { return FakeOutcome{"1"}; });
  ASSERT_TRUE(h.manager->start().is_ok());
  Status st = h.manager->update_search_space(Json::object(), "PUT /experiment");
  ASSERT_FALSE(st.is_ok());
  EXPECT_EQ(st.message(), "PUT /experiment: " + std::string(expected) +
                              " (a model declares them with LayerChoice and "
                              "InputChoice; `archer ss_gen` writes the space a "
                              "trial declares)");
}

}  // namespace
}  // namespace archer
