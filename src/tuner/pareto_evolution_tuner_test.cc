// ParetoEvolutionTuner beyond the conformance suite: children are one move
// from a population member, nothing is proposed twice, failed and infeasible
// initial members are replaced, its front beats random search's on a
// two-objective cell problem, and import_data resumes it.
#include "tuner/pareto_evolution_tuner.h"

#include <gtest/gtest.h>

#include <set>

#include "common/pareto.h"

namespace archer {
namespace {

SearchSpace cell_space() {
  SearchSpace s;
  const std::vector<std::string> ops = {"a", "b", "c", "d", "e"};
  for (int i = 0; i < 6; ++i)
    EXPECT_TRUE(s.add(Choice{"edge" + std::to_string(i),
                             ChoiceType::kLayerChoice, ops, std::nullopt})
                    .is_ok());
  return s;
}

// Accuracy-like (bigger ops help, weighted by edge) against cost-like (the
// sum of the ops): a real trade-off.
std::vector<double> objectives(const Architecture& a) {
  double acc = 0, cost = 0;
  for (size_t e = 0; e < a.size(); ++e) {
    acc += std::sqrt(static_cast<double>(a[e][0])) * (1.0 + 0.3 * e);
    cost += a[e][0] * a[e][0];
  }
  return {acc, -cost};
}

std::unique_ptr<ParetoEvolutionTuner> make(std::uint64_t seed,
                                           bool aging = false) {
  ParetoEvolutionTuner::Options o;
  o.seed = seed;
  o.aging = aging;
  auto t = std::make_unique<ParetoEvolutionTuner>(o);
  EXPECT_TRUE(t->update_search_space(cell_space()).is_ok());
  return t;
}

int moves(const Architecture& a, const Architecture& b) {
  int n = 0;
  for (size_t i = 0; i < a.size(); ++i) n += a[i] != b[i];
  return n;
}

// Runs `budget` sequential trials; returns the hypervolume of the results.
double run(Tuner& t, int budget, std::vector<Architecture>* proposed) {
  std::vector<pareto::Point> pts;
  for (int i = 0; i < budget; ++i) {
    Proposal p = t.generate_parameters(i);
    EXPECT_EQ(p.kind, Proposal::Kind::kReady);
    const auto v = objectives(p.architecture);
    t.receive_trial_results(i, p.architecture, v);
    t.trial_end(i, true);
    pts.push_back(v);
    if (proposed) proposed->push_back(p.architecture);
  }
  return pareto::hypervolume(pts, {0, -97});
}

TEST(ParetoEvolutionTuner, ChildrenAreOneMoveAndNeverRepeat) {
  for (bool aging : {false, true}) {
    auto t = make(3, aging);
    std::vector<Architecture> proposed;
    run(*t, 150, &proposed);
    std::set<std::string> keys;
    for (const auto& a : proposed)
      EXPECT_TRUE(keys.insert(tuner::architecture_key(a)).second);
    int one_move = 0;
    for (size_t i = 20; i < proposed.size(); ++i) {
      for (size_t j = 0; j < i; ++j) {
        if (moves(proposed[i], proposed[j]) == 1) {
          ++one_move;
          break;
        }
      }
    }
    EXPECT_GE(one_move, 125);  // (a fresh random one only when stuck)
  }
}

TEST(ParetoEvolutionTuner, ItsFrontBeatsRandomSearch) {
  double pareto_hv = 0, random_hv = 0;
  for (std::uint64_t seed = 0; seed < 20; ++seed) {
    auto t = make(seed);
    pareto_hv += run(*t, 100, nullptr);
    auto r = create_tuner("Random", Json{{"seed", seed}}).value();
    ASSERT_TRUE(r->update_search_space(cell_space()).is_ok());
    random_hv += run(*r, 100, nullptr);
  }
  EXPECT_GT(pareto_hv, random_hv * 1.02)
      << pareto_hv / 20 << " vs " << random_hv / 20;
}

TEST(ParetoEvolutionTuner, FailedAndInfeasibleInitialMembersAreReplaced) {
  ParetoEvolutionTuner::Options o;
  o.population_size = 4;
  o.sample_size = 2;
  ParetoEvolutionTuner t(o);
  ASSERT_TRUE(t.update_search_space(cell_space()).is_ok());
  std::vector<Architecture> initial;
  for (int i = 0; i < 4; ++i)
    initial.push_back(t.generate_parameters(i).architecture);
  EXPECT_EQ(t.generate_parameters(4).kind, Proposal::Kind::kNotReady);
  t.infeasible(0, initial[0]);
  t.trial_end(1, false);
  // Two replacements, then waiting for results again.
  EXPECT_EQ(t.generate_parameters(5).kind, Proposal::Kind::kReady);
  EXPECT_EQ(t.generate_parameters(6).kind, Proposal::Kind::kReady);
  EXPECT_EQ(t.generate_parameters(7).kind, Proposal::Kind::kNotReady);
  t.receive_trial_results(2, initial[2], objectives(initial[2]));
  EXPECT_EQ(t.results().size(), 1u);
  Proposal child = t.generate_parameters(8);
  ASSERT_EQ(child.kind, Proposal::Kind::kReady);
  EXPECT_NE(tuner::architecture_key(child.architecture),
            tuner::architecture_key(initial[0]));  // infeasible: never again
}

TEST(ParetoEvolutionTuner, ImportDataResumesTheSameSearch) {
  auto live = make(11);
  std::vector<TrialHistory> history;
  for (int i = 0; i < 40; ++i) {
    Proposal p = live->generate_parameters(i);
    const auto v = objectives(p.architecture);
    live->receive_trial_results(i, p.architecture, v);
    live->trial_end(i, true);
    TrialHistory h(i, p.architecture, std::nullopt);
    h.rewards = v;
    history.push_back(h);
  }
  auto resumed = make(11);
  resumed->import_data(history);
  EXPECT_EQ(resumed->results().size(), 40u);
  EXPECT_EQ(resumed->population(), live->population());
  // It continues with children, never re-proposing the history.
  std::set<std::string> seen;
  for (const auto& h : history)
    seen.insert(tuner::architecture_key(h.architecture));
  for (int i = 40; i < 60; ++i) {
    Proposal p = resumed->generate_parameters(i);
    ASSERT_EQ(p.kind, Proposal::Kind::kReady);
    EXPECT_FALSE(seen.count(tuner::architecture_key(p.architecture)));
    seen.insert(tuner::architecture_key(p.architecture));
    resumed->receive_trial_results(i, p.architecture,
                                   objectives(p.architecture));
  }
}

TEST(ParetoEvolutionTuner, RegisteredWithItsArguments) {
  auto spec = find_tuner("ParetoEvolution");
  ASSERT_TRUE(spec.has_value());
  EXPECT_TRUE(spec->multi_objective);
  auto bad = create_tuner("ParetoEvolution",
                          Json{{"population_size", 4}, {"sample_size", 5}});
  EXPECT_FALSE(bad.is_ok());
  auto wrong = create_tuner("ParetoEvolution", Json{{"selection", "random"}});
  ASSERT_FALSE(wrong.is_ok());
  EXPECT_NE(wrong.status().message().find("selection"), std::string::npos);
}

}  // namespace
}  // namespace archer
