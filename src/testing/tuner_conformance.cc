#include "testing/tuner_conformance.h"

#include <functional>
#include <set>

#include "tuner/sampling.h"
#include "tuner/simulator.h"

namespace archer {
namespace testing {

namespace {

Choice layer(const std::string& key, int n) {
  Choice c{key, ChoiceType::kLayerChoice, {}, std::nullopt};
  for (int i = 0; i < n; ++i) c.candidates.push_back("op" + std::to_string(i));
  return c;
}

Choice input(const std::string& key, int n, std::optional<int> n_chosen) {
  Choice c{key, ChoiceType::kInputChoice, {}, n_chosen};
  for (int i = 0; i < n; ++i) c.candidates.push_back("in" + std::to_string(i));
  return c;
}

SearchSpace space_of(std::vector<Choice> choices) {
  SearchSpace s;
  for (auto& c : choices) {
    Status st = s.add(std::move(c));
    if (!st.is_ok()) throw std::runtime_error(st.message());
  }
  return s;
}

// A deterministic objective: a hash of the architecture in [0, 1), with ~10%
// failures.
std::optional<double> hashed_objective(const Architecture& arch,
                                       bool failures) {
  std::size_t h = std::hash<std::string>()(tuner::architecture_key(arch));
  if (failures && h % 10 == 3) return std::nullopt;
  return static_cast<double>(h % 1000) / 1000.0;
}

void expect_valid(const SearchSpace& space, const Architecture& arch,
                  const std::string& where) {
  auto parsed =
      architecture_from_json(space, architecture_to_json(space, arch), where);
  EXPECT_TRUE(parsed.is_ok()) << where << ": " << parsed.status().message();
  for (size_t i = 0; i < space.size(); ++i) {
    const Choice& c = space.choices()[i];
    if (c.type == ChoiceType::kInputChoice && !c.n_chosen &&
        c.candidates.size() > 0) {
      EXPECT_FALSE(arch[i].empty())
          << where << ": n_chosen null must choose something";
    }
  }
}

std::vector<std::string> keys(const tuner::SimulationResult& r) {
  std::vector<std::string> out;
  for (const auto& t : r.trials)
    out.push_back(tuner::architecture_key(t.architecture));
  return out;
}

}  // namespace

void PrintTo(const TunerCase& c, std::ostream* os) {
  *os << c.name << " " << dumps(c.args);
}

std::string tuner_case_name(const ::testing::TestParamInfo<TunerCase>& info) {
  return info.param.name + info.param.label;
}

std::vector<std::pair<std::string, SearchSpace>> search_space_zoo() {
  std::vector<std::pair<std::string, SearchSpace>> zoo;
  {
    SearchSpace mnist;
    auto s = SearchSpace::from_json(Json::parse(R"({
      "first_conv": {"_type": "layer_choice", "_value": ["conv5x5", "conv3x3"]},
      "mid_conv": {"_type": "layer_choice", "_value": ["0", "1"]},
      "skip": {"_type": "input_choice", "_value": {"candidates": ["", ""], "n_chosen": 1}}})"),
                                    "mnist");
    zoo.emplace_back("mnist", s.value());
  }
  {
    std::vector<Choice> c;
    for (int i = 0; i < 15; ++i)
      c.push_back(layer("layer_" + std::to_string(i), 4));
    for (int i = 0; i < 5; ++i)
      c.push_back(input("skip_" + std::to_string(i), 4, 2));
    zoo.emplace_back("twenty_keys", space_of(std::move(c)));
  }
  {
    std::vector<Choice> c;
    for (int i = 0; i < 6; ++i)
      c.push_back(layer("edge" + std::to_string(i), 5));
    zoo.emplace_back("nasbench201", space_of(std::move(c)));
  }
  zoo.emplace_back("n_chosen_null",
                   space_of({layer("a", 3), input("any", 4, std::nullopt)}));
  zoo.emplace_back("n_chosen_zero",
                   space_of({layer("a", 3), input("none", 3, 0)}));
  zoo.emplace_back("n_chosen_all",
                   space_of({layer("a", 2), input("all", 3, 3)}));
  zoo.emplace_back(
      "single_candidates",
      space_of({layer("one", 1), input("only", 1, 1), layer("two", 2)}));
  zoo.emplace_back(
      "one_architecture",
      space_of({layer("one", 1), input("only", 1, 1), input("all", 2, 2)}));
  zoo.emplace_back("wide_inputs",
                   space_of({input("three_of_eight", 8, 3),
                             input("any_of_six", 6, std::nullopt)}));
  return zoo;
}

std::unique_ptr<Tuner> TunerConformanceTest::make(
    std::uint64_t seed, const SearchSpace& space) const {
  Json args = GetParam().args.is_object() ? GetParam().args : Json::object();
  args["seed"] = seed;
  auto tuner = create_tuner(GetParam().name, args);
  if (!tuner.is_ok()) throw std::runtime_error(tuner.status().message());
  Status st = tuner.value()->update_search_space(space);
  if (!st.is_ok()) throw std::runtime_error(st.message());
  return std::move(tuner).value();
}

TEST_P(TunerConformanceTest, ProposesOnlyValidArchitecturesOnEverySpace) {
  for (const auto& [name, space] : search_space_zoo()) {
    for (std::uint64_t seed = 1; seed <= 4; ++seed) {
      auto tuner = make(seed, space);
      auto result = tuner::simulate(
          *tuner,
          [](const Architecture& a) { return hashed_objective(a, true); }, 60,
          3);
      ASSERT_FALSE(result.trials.empty()) << name;
      for (const auto& t : result.trials)
        expect_valid(space, t.architecture, name);
    }
  }
}

TEST_P(TunerConformanceTest, SameSeedSameEventsSameArchitectures) {
  for (const auto& [name, space] : search_space_zoo()) {
    auto objective = [](const Architecture& a) {
      return hashed_objective(a, true);
    };
    auto a = tuner::simulate(*make(7, space), objective, 50, 2);
    auto b = tuner::simulate(*make(7, space), objective, 50, 2);
    EXPECT_EQ(keys(a), keys(b)) << name;
  }
}

TEST_P(TunerConformanceTest, DifferentSeedsExploreDifferently) {
  auto zoo = search_space_zoo();
  const SearchSpace& space =
      zoo[1].second;  // twenty_keys: 4^15 * 6^5 architectures
  auto objective = [](const Architecture& a) {
    return hashed_objective(a, false);
  };
  EXPECT_NE(keys(tuner::simulate(*make(1, space), objective, 30, 1)),
            keys(tuner::simulate(*make(2, space), objective, 30, 1)));
}

TEST_P(TunerConformanceTest, SurvivesEveryTrialFailing) {
  for (const auto& [name, space] : search_space_zoo()) {
    auto tuner = make(3, space);
    auto result = tuner::simulate(
        *tuner, [](const Architecture&) { return std::optional<double>(); }, 40,
        2);
    for (const auto& t : result.trials)
      expect_valid(space, t.architecture, name);
    ASSERT_FALSE(result.trials.empty()) << name;
  }
}

TEST_P(TunerConformanceTest, ExhaustedStaysExhausted) {
  auto zoo = search_space_zoo();
  for (const auto& [name, space] : zoo) {
    auto tuner = make(5, space);
    auto result = tuner::simulate(
        *tuner,
        [](const Architecture& a) { return hashed_objective(a, false); }, 120,
        1);
    if (!result.exhausted) continue;
    for (int i = 0; i < 3; ++i) {
      EXPECT_EQ(tuner->generate_parameters(10000 + i).kind,
                Proposal::Kind::kExhausted)
          << name;
    }
  }
}

TEST_P(TunerConformanceTest, RepeatedResultsAndUnknownIdsAreHarmless) {
  auto zoo = search_space_zoo();
  const SearchSpace& space = zoo[0].second;
  auto tuner = make(11, space);
  tuner->trial_end(999, false);  // never proposed
  Architecture a = first_architecture(space);
  tuner->receive_trial_result(998, a, 0.5);  // e.g. a customized trial
  tuner->trial_end(998, true);
  auto p = tuner->generate_parameters(0);
  ASSERT_EQ(p.kind, Proposal::Kind::kReady);
  tuner->receive_trial_result(0, p.architecture, 0.1);
  tuner->receive_trial_result(0, p.architecture, 0.2);  // a second FINAL report
  tuner->trial_end(0, true);
  tuner->trial_end(0, true);
  auto result = tuner::simulate(
      *tuner, [](const Architecture& x) { return hashed_objective(x, true); },
      20, 2, 1);
  for (const auto& t : result.trials)
    expect_valid(space, t.architecture, "after repeats");
}

TEST_P(TunerConformanceTest, ImportDataThenContinue) {
  for (const auto& [name, space] : search_space_zoo()) {
    auto objective = [](const Architecture& a) {
      return hashed_objective(a, true);
    };
    auto first = tuner::simulate(*make(21, space), objective, 30, 2);
    std::vector<TrialHistory> history;
    std::set<std::string> before;
    for (const auto& t : first.trials) {
      history.push_back({t.parameter_id, t.architecture, t.reward});
      before.insert(tuner::architecture_key(t.architecture));
    }
    auto resumed = make(22, space);
    resumed->import_data(history);
    auto second = tuner::simulate(*resumed, objective, 30, 2, 1000);
    for (const auto& t : second.trials)
      expect_valid(space, t.architecture, name);
    if (GetParam().never_repeats) {
      for (const auto& t : second.trials) {
        EXPECT_FALSE(before.count(tuner::architecture_key(t.architecture)))
            << name << ": " << GetParam().name
            << " re-proposed an imported architecture";
      }
    }
  }
}

TEST_P(TunerConformanceTest, NeverRepeats) {
  if (!GetParam().never_repeats) GTEST_SKIP() << "repeats allowed";
  for (const auto& [name, space] : search_space_zoo()) {
    auto result = tuner::simulate(
        *make(13, space),
        [](const Architecture& a) { return hashed_objective(a, true); }, 80, 3);
    std::set<std::string> keys;
    for (const auto& t : result.trials) {
      EXPECT_TRUE(keys.insert(tuner::architecture_key(t.architecture)).second)
          << name << ": " << tuner::architecture_key(t.architecture)
          << " proposed twice";
    }
    // Stops only when the space is used up.
    if (result.trials.size() < 80u) {
      EXPECT_TRUE(result.exhausted) << name;
      EXPECT_EQ(static_cast<double>(result.trials.size()),
                tuner::space_size(space))
          << name;
    }
  }
}

}  // namespace testing
}  // namespace archer
