// Registry, reward extraction, and the Random and Regularized Evolution tuners'
// own rules.
#include "archer/tuner.h"

#include <gtest/gtest.h>

#include <set>

#include "tuner/evolution_tuner.h"
#include "tuner/random_tuner.h"
#include "tuner/sampling.h"
#include "tuner/simulator.h"

namespace archer {
namespace {

std::string create_error(const std::string& name, const std::string& args) {
  auto t = create_tuner(name, Json::parse(args));
  EXPECT_FALSE(t.is_ok()) << name << " " << args;
  return t.is_ok() ? "" : t.status().message();
}

SearchSpace space_with(std::vector<Choice> choices) {
  SearchSpace s;
  for (auto& c : choices) EXPECT_TRUE(s.add(std::move(c)).is_ok());
  return s;
}

SearchSpace nb201() {
  std::vector<Choice> c;
  for (int i = 0; i < 6; ++i) {
    c.push_back(Choice{"e" + std::to_string(i),
                       ChoiceType::kLayerChoice,
                       {"none", "skip", "c1", "c3", "pool"},
                       std::nullopt});
  }
  return space_with(std::move(c));
}

int differing_decisions(const Architecture& a, const Architecture& b) {
  int n = 0;
  for (size_t i = 0; i < a.size(); ++i) n += a[i] != b[i];
  return n;
}

TEST(Registry, DefaultsAndAliases) {
  for (const char* name :
       {"Random", "RandomNASTuner", "RegularizedEvolutionTuner"}) {
    auto t = create_tuner(name, Json());
    EXPECT_TRUE(t.is_ok()) << name << ": " << t.status().message();
  }
  TunerSpec re;
  for (const auto& s : registered_tuners()) {
    if (s.name == "RegularizedEvolutionTuner") re = s;
  }
  auto args =
      validate_class_args(re, Json::parse(R"({"optimize_mode": "minimize"})"));
  ASSERT_TRUE(args.is_ok());
  EXPECT_EQ(args.value()["population_size"], 100);
  EXPECT_EQ(args.value()["sample_size"], 25);
  EXPECT_EQ(args.value()["optimize_mode"], "minimize");
  EXPECT_TRUE(args.value()["seed"].is_null());
}

TEST(Registry, ClearErrors) {
  EXPECT_EQ(
      create_error("RegularizedEvolutionTuner", R"({"populaton_size": 10})"),
      "tuner 'RegularizedEvolutionTuner': unknown classArgs key "
      "'populaton_size' (did you "
      "mean 'population_size'?); allowed: optimize_mode, seed, "
      "population_size, "
      "sample_size, skip_duplicates");
  EXPECT_EQ(
      create_error("RegularizedEvolutionTuner", R"({"population_size": "10"})"),
      "tuner 'RegularizedEvolutionTuner': classArgs.population_size: expected "
      "an integer "
      "in [1, 99999], got \"10\"");
  EXPECT_EQ(
      create_error("RegularizedEvolutionTuner", R"({"population_size": 0})"),
      "tuner 'RegularizedEvolutionTuner': classArgs.population_size: expected "
      "an integer "
      "in [1, 99999], got 0");
  EXPECT_EQ(create_error("Random", R"({"optimize_mode": "maximise"})"),
            "tuner 'Random': classArgs.optimize_mode: expected one of "
            "maximize, minimize, got "
            "\"maximise\" (did you mean 'maximize'?)");
  EXPECT_EQ(create_error("RegularizedEvolutionTuner",
                         R"({"population_size": 5, "sample_size": 6})"),
            "tuner 'RegularizedEvolutionTuner': classArgs.sample_size (6) must "
            "not exceed "
            "classArgs.population_size (5)");
  EXPECT_NE(create_error("RegularisedEvolutionTuner", "{}")
                .find("unknown tuner 'RegularisedEvolutionTuner' (did you mean "
                      "'RegularizedEvolutionTuner'?)"),
            std::string::npos);
  EXPECT_NE(create_error("Random", "[1]").find("classArgs must be a mapping"),
            std::string::npos);
  EXPECT_NE(
      create_error("Random", R"({"dedup": 1})").find("expected true or false"),
      std::string::npos);
  EXPECT_NE(create_error("Random", R"({"seed": -1})").find("classArgs.seed"),
            std::string::npos);
}

TEST(Reward, ExtractScalarReward) {
  EXPECT_EQ(extract_scalar_reward(Json(0.5)).value(), 0.5);
  EXPECT_EQ(extract_scalar_reward(Json::parse(R"({"default": 3, "loss": 1})"))
                .value(),
            3.0);
  for (const char* bad : {R"("0.5")", R"({"loss": 1})", R"({"default": "x"})",
                          "[1]", "true", "null"}) {
    auto r = extract_scalar_reward(Json::parse(bad));
    EXPECT_FALSE(r.is_ok()) << bad;
  }
  EXPECT_FALSE(extract_scalar_reward(Json(std::nan(""))).is_ok());
  EXPECT_EQ(to_reward(2.0, OptimizeMode::kMinimize), -2.0);
  EXPECT_EQ(to_reward(2.0, OptimizeMode::kMaximize), 2.0);
}

TEST(RandomTuner, ProposesEveryArchitectureOnceThenIsExhausted) {
  SearchSpace space =
      space_with({Choice{"l", ChoiceType::kLayerChoice, {"a", "b"}, {}},
                  Choice{"i", ChoiceType::kInputChoice, {"x", "y", "z"}, 2}});
  RandomTuner tuner(1, /*dedup=*/true);
  ASSERT_TRUE(tuner.update_search_space(space).is_ok());
  std::set<std::string> seen;
  for (int i = 0; i < 6; ++i) {
    Proposal p = tuner.generate_parameters(i);
    ASSERT_EQ(p.kind, Proposal::Kind::kReady);
    EXPECT_TRUE(seen.insert(tuner::architecture_key(p.architecture)).second);
  }
  EXPECT_EQ(tuner.generate_parameters(6).kind, Proposal::Kind::kExhausted);
  RandomTuner repeats(1, /*dedup=*/false);
  ASSERT_TRUE(repeats.update_search_space(space).is_ok());
  for (int i = 0; i < 20; ++i)
    EXPECT_EQ(repeats.generate_parameters(i).kind, Proposal::Kind::kReady);
}

TEST(EvolutionTuner, ChildAlwaysDiffersFromItsParentByOneDecision) {
  // population 1, sample 1: the parent is always the single living member.
  EvolutionTuner tuner(1, 1, false, 4);
  SearchSpace space =
      space_with({Choice{"l", ChoiceType::kLayerChoice, {"a", "b"}, {}},
                  Choice{"i", ChoiceType::kInputChoice, {"x", "y", "z"}, 1}});
  ASSERT_TRUE(tuner.update_search_space(space).is_ok());
  for (int id = 0; id < 200; ++id) {
    Proposal p = tuner.generate_parameters(id);
    ASSERT_EQ(p.kind, Proposal::Kind::kReady);
    if (id > 0) {
      ASSERT_EQ(differing_decisions(tuner.population().back().architecture,
                                    p.architecture),
                1);
    }
    tuner.receive_trial_result(id, p.architecture, id);
    tuner.trial_end(id, true);
  }
}

TEST(EvolutionTuner, TournamentPicksTheBestAndTheOldestDies) {
  EvolutionTuner tuner(5, 1000, false, 9);
  SearchSpace space = nb201();
  ASSERT_TRUE(tuner.update_search_space(space).is_ok());
  std::vector<Architecture> initial;
  for (int id = 0; id < 5; ++id)
    initial.push_back(tuner.generate_parameters(id).architecture);
  EXPECT_EQ(tuner.generate_parameters(5).kind,
            Proposal::Kind::kNotReady);  // no result yet
  const double rewards[] = {0.1, 0.9, 0.3, 0.2, 0.4};
  for (int id = 0; id < 5; ++id) {
    tuner.receive_trial_result(id, initial[static_cast<size_t>(id)],
                               rewards[id]);
    tuner.trial_end(id, true);
  }
  for (int id = 6; id < 30; ++id) {
    Proposal p = tuner.generate_parameters(id);
    ASSERT_EQ(p.kind, Proposal::Kind::kReady);
    EXPECT_EQ(differing_decisions(initial[1], p.architecture),
              1);  // child of the best (0.9)
  }
  // Aging: two more results push out the two oldest members, the best among
  // them.
  tuner.receive_trial_result(100, initial[0], 0.0);
  tuner.receive_trial_result(101, initial[0], 0.0);
  std::vector<std::int64_t> ids;
  for (const auto& m : tuner.population()) ids.push_back(m.parameter_id);
  EXPECT_EQ(ids, (std::vector<std::int64_t>{2, 3, 4, 100, 101}));
}

TEST(EvolutionTuner, FailedInitialMembersAreReplacedAndNotReadyIsNotAnError) {
  EvolutionTuner tuner(2, 2, false, 1);
  ASSERT_TRUE(tuner.update_search_space(nb201()).is_ok());
  ASSERT_EQ(tuner.generate_parameters(0).kind, Proposal::Kind::kReady);
  tuner.trial_end(0, false);
  ASSERT_EQ(tuner.generate_parameters(1).kind, Proposal::Kind::kReady);
  ASSERT_EQ(tuner.generate_parameters(2).kind,
            Proposal::Kind::kReady);  // replacement
  EXPECT_EQ(tuner.generate_parameters(3).kind, Proposal::Kind::kNotReady);
  tuner.trial_end(1, true);  // ended without a result: counts as failed
  EXPECT_EQ(tuner.generate_parameters(4).kind, Proposal::Kind::kReady);
}

TEST(EvolutionTuner, WarnsAboutConcurrencyAtOrAbovePopulation) {
  auto t = create_tuner("RegularizedEvolutionTuner",
                        Json{{"population_size", 4}, {"sample_size", 2}});
  ASSERT_TRUE(t.is_ok());
  EXPECT_TRUE(t.value()->check_concurrency(4).is_ok());
  EXPECT_EQ(t.value()->concurrency_warning(3), "");
  EXPECT_NE(t.value()->concurrency_warning(4).find(
                "trialConcurrency (4) is not smaller than "
                "classArgs.population_size (4): slots will idle"),
            std::string::npos);
}

TEST(EvolutionTuner, SingleArchitectureSpaceIsExhaustedNotStuck) {
  EvolutionTuner tuner(3, 2, false, 1);
  ASSERT_TRUE(tuner
                  .update_search_space(space_with(
                      {Choice{"only", ChoiceType::kLayerChoice, {"a"}, {}}}))
                  .is_ok());
  EXPECT_EQ(tuner.generate_parameters(0).kind, Proposal::Kind::kReady);
  EXPECT_EQ(tuner.generate_parameters(1).kind, Proposal::Kind::kExhausted);
}

TEST(EvolutionTuner, ImportDataRestoresThePopulation) {
  EvolutionTuner tuner(3, 3, false, 1);
  SearchSpace space = nb201();
  ASSERT_TRUE(tuner.update_search_space(space).is_ok());
  tuner::Rng rng(5);
  std::vector<TrialHistory> history;
  for (int i = 0; i < 5; ++i) {
    history.push_back({i, tuner::random_architecture(space, rng),
                       i == 2 ? std::nullopt : std::optional<double>(i)});
  }
  tuner.import_data(history);
  std::vector<std::int64_t> ids;
  for (const auto& m : tuner.population()) ids.push_back(m.parameter_id);
  EXPECT_EQ(ids, (std::vector<std::int64_t>{1, 3, 4}));
  Proposal p = tuner.generate_parameters(
      10);  // initial population already used: a child
  ASSERT_EQ(p.kind, Proposal::Kind::kReady);
  int min_diff = 99;
  for (const auto& m : tuner.population()) {
    min_diff =
        std::min(min_diff, differing_decisions(m.architecture, p.architecture));
  }
  EXPECT_EQ(min_diff, 1);
}

}  // namespace
}  // namespace archer
