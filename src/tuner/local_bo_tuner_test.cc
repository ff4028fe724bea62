// LocalBOTuner beyond the conformance suite: it finds the best architecture
// of a structured objective in a fraction of the trials random search needs,
// never repeats or waits (also with trials running), resumes from
// import_data, and keeps working with a bounded model.
#include "tuner/local_bo_tuner.h"

#include <gtest/gtest.h>

#include <set>

#include "tuner/simulator.h"

namespace archer {
namespace {

SearchSpace cell_space(int edges, int ops) {
  SearchSpace s;
  std::vector<std::string> names;
  for (int i = 0; i < ops; ++i) names.push_back("op" + std::to_string(i));
  for (int i = 0; i < edges; ++i)
    EXPECT_TRUE(s.add(Choice{"edge" + std::to_string(i),
                             ChoiceType::kLayerChoice, names, std::nullopt})
                    .is_ok());
  return s;
}

// NAS-Bench-201-like: 6 edges of 5 ops; each edge prefers its own op, the
// edges weigh differently, and two interact. One best architecture.
double cell_score(const Architecture& a) {
  double s = 0;
  for (size_t e = 0; e < a.size(); ++e) {
    const int best_op = static_cast<int>((e * 2 + 1) % 5);
    s += (a[e][0] == best_op ? 1.0 : 0.2 * a[e][0] / 4.0) * (1.0 + e);
  }
  if (a[0][0] == a[5][0]) s += 1.5;  // an interaction
  return s;
}

std::unique_ptr<LocalBOTuner> make(std::uint64_t seed, const SearchSpace& s,
                                   int max_points = 256) {
  LocalBOTuner::Options o;
  o.seed = seed;
  o.max_model_points = max_points;
  auto t = std::make_unique<LocalBOTuner>(o);
  EXPECT_TRUE(t->update_search_space(s).is_ok());
  return t;
}

std::string key(const Architecture& a) { return tuner::architecture_key(a); }

double best_of(const tuner::SimulationResult& r) {
  double best = -1;
  for (const auto& t : r.trials) best = std::max(best, t.reward.value_or(-1));
  return best;
}

TEST(LocalBOTuner, FindsTheBestCellInAFractionOfTheSpace) {
  const SearchSpace space = cell_space(6, 5);  // 15,625 cells
  double optimum = -1;
  for (const auto& a : tuner::enumerate_architectures(space, 20000))
    optimum = std::max(optimum, cell_score(a));
  for (std::uint64_t seed = 1; seed <= 5; ++seed) {
    auto tuner = make(seed, space);
    auto r = tuner::simulate(
        *tuner, [](const Architecture& a) { return cell_score(a); }, 80, 1);
    ASSERT_EQ(r.trials.size(), 80u);
    // 80 of 15,625: random search finds it with probability 0.5%.
    EXPECT_EQ(best_of(r), optimum) << "seed " << seed;
    // The edge that weighs most is judged the more relevant than the least.
    const auto rel = tuner->relevances();
    ASSERT_EQ(rel.size(), 6u);
    EXPECT_GT(rel[5], rel[1]) << "seed " << seed;
  }
}

TEST(LocalBOTuner, NeverRepeatsNeverWaitsAndRunsOut) {
  const SearchSpace space = cell_space(3, 3);  // 27 architectures
  auto tuner = make(4, space);
  // Four at a time: proposals while results are pending.
  auto r = tuner::simulate(
      *tuner, [](const Architecture& a) { return cell_score(a); }, 100, 4);
  EXPECT_EQ(r.not_ready, 0);
  EXPECT_TRUE(r.exhausted);
  std::set<std::string> keys;
  for (const auto& t : r.trials) keys.insert(key(t.architecture));
  EXPECT_EQ(r.trials.size(), 27u);
  EXPECT_EQ(keys.size(), 27u);
  EXPECT_EQ(tuner->generate_parameters(1000).kind, Proposal::Kind::kExhausted);
}

TEST(LocalBOTuner, ConcurrentProposalsDiffer) {
  const SearchSpace space = cell_space(6, 5);
  auto tuner = make(9, space);
  tuner::simulate(
      *tuner, [](const Architecture& a) { return cell_score(a); }, 20, 1);
  // Eight proposals with no result back: all different.
  std::set<std::string> keys;
  for (int i = 0; i < 8; ++i) {
    Proposal p = tuner->generate_parameters(100 + i);
    ASSERT_EQ(p.kind, Proposal::Kind::kReady);
    keys.insert(key(p.architecture));
  }
  EXPECT_EQ(keys.size(), 8u);
}

TEST(LocalBOTuner, ResumesFromImportedTrials) {
  const SearchSpace space = cell_space(6, 5);
  auto first = make(2, space);
  auto before = tuner::simulate(
      *first, [](const Architecture& a) { return cell_score(a); }, 30, 2);
  std::vector<TrialHistory> history;
  std::set<std::string> seen;
  for (const auto& t : before.trials) {
    history.push_back({t.parameter_id, t.architecture, t.reward});
    seen.insert(key(t.architecture));
  }
  // A failed trial's architecture is not tried again either.
  Architecture failed({{0}, {0}, {0}, {0}, {0}, {0}});
  history.push_back({500, failed, std::nullopt});
  seen.insert(key(failed));
  auto resumed = make(3, space);
  resumed->import_data(history);
  auto after = tuner::simulate(
      *resumed, [](const Architecture& a) { return cell_score(a); }, 30, 2,
      1000);
  ASSERT_EQ(after.trials.size(), 30u);
  for (const auto& t : after.trials)
    EXPECT_FALSE(seen.count(key(t.architecture))) << key(t.architecture);
}

TEST(LocalBOTuner, UsesTheSurrogateAtOnceAfterAnImport) {
  const SearchSpace space = cell_space(6, 5);
  tuner::Rng rng(8);
  std::vector<TrialHistory> history;
  for (int i = 0; i < 30; ++i) {
    Architecture a = tuner::random_architecture(space, rng);
    history.push_back({i, a, cell_score(a)});
  }
  auto resumed = make(3, space);
  const std::vector<double> initial = resumed->relevances();
  resumed->import_data(history);
  ASSERT_EQ(resumed->generate_parameters(100).kind, Proposal::Kind::kReady);
  // Not one of the initial random draws: the fit has learnt relevances.
  EXPECT_NE(resumed->relevances(), initial);
}

TEST(LocalBOTuner, ABoundedModelKeepsProposing) {
  const SearchSpace space = cell_space(6, 5);
  auto tuner = make(5, space, 16);
  auto r = tuner::simulate(
      *tuner, [](const Architecture& a) { return cell_score(a); }, 150, 3);
  ASSERT_EQ(r.trials.size(), 150u);
  std::set<std::string> keys;
  for (const auto& t : r.trials) keys.insert(key(t.architecture));
  EXPECT_EQ(keys.size(), 150u);
  double best_random = -1;
  tuner::Rng rng(5);
  for (int i = 0; i < 150; ++i)
    best_random = std::max(best_random,
                           cell_score(tuner::random_architecture(space, rng)));
  EXPECT_GT(best_of(r), best_random);
}

TEST(LocalBOTuner, RegisteredWithItsArguments) {
  auto t = create_tuner("LocalBO", Json{{"seed", 1}, {"initial_trials", 5}});
  ASSERT_TRUE(t.is_ok()) << t.status().message();
  auto bad = create_tuner("LocalBOTuner", Json{{"parents", 0}});
  ASSERT_FALSE(bad.is_ok());
  EXPECT_NE(bad.status().message().find("parents"), std::string::npos)
      << bad.status().message();
}

}  // namespace
}  // namespace archer
