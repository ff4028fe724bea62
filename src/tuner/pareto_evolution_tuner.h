// ParetoEvolutionTuner ("ParetoEvolution"): multi-objective evolution for
// config `objectives` (docs/hardware-aware.md says why this design).
//
// * The first `population_size` proposals are random and distinct (failed
//   and infeasible ones are replaced).
// * Then each proposal is a child of one parent, changing exactly one
//   decision and never an architecture proposed before (an unseen random one
//   if 50 mutations all were).
// * The parent wins a tournament of `sample_size` members drawn without
//   replacement from the population: the lowest non-dominated rank, then the
//   largest crowding distance (NSGA-II's order), then the newest.
// * The population (`selection`): "nsga2" (default) — the population_size
//   best of every result so far in NSGA-II's order (steady-state NSGA-II
//   elitism: a member of the front lives until better ones crowd it out);
//   "aging" — the population_size most recent results (Regularized
//   Evolution's aging, robust to noisy results).
// * Rewards: one per objective, bigger is better (the manager orients them).
//   A single-objective result (receive_trial_result) is a one-objective
//   vector, so the tuner also runs without `objectives`.
// * Infeasible proposals (constraints) and failed trials never join the
//   population; they stay "proposed", so they are not proposed again.
// * Before the first result, once the initial population is out: kNotReady;
//   kExhausted once every architecture was proposed.
#ifndef ARCHER_TUNER_PARETO_EVOLUTION_TUNER_H_
#define ARCHER_TUNER_PARETO_EVOLUTION_TUNER_H_

#include <cstdint>
#include <set>
#include <unordered_set>
#include <vector>

#include "archer/tuner.h"
#include "tuner/sampling.h"

namespace archer {

class ParetoEvolutionTuner : public Tuner {
 public:
  struct Options {
    int population_size = 20;
    int sample_size = 5;
    bool aging = false;  // selection: "aging" (true) or "nsga2"
    std::uint64_t seed = 0;
  };
  explicit ParetoEvolutionTuner(Options options);

  Status update_search_space(const SearchSpace& space) override;
  Proposal generate_parameters(std::int64_t parameter_id) override;
  void receive_trial_result(std::int64_t parameter_id,
                            const Architecture& architecture,
                            double reward) override;
  void receive_trial_results(std::int64_t parameter_id,
                             const Architecture& architecture,
                             const std::vector<double>& rewards) override;
  void trial_end(std::int64_t parameter_id, bool success) override;
  void infeasible(std::int64_t parameter_id,
                  const Architecture& architecture) override;
  void import_data(const std::vector<TrialHistory>& history) override;

  struct Member {
    std::int64_t parameter_id;
    Architecture architecture;
    std::vector<double> rewards;
  };
  // Every result so far, in arrival order.
  const std::vector<Member>& results() const { return results_; }
  // The current population (indices into results()).
  std::vector<size_t> population() const;

 private:
  Architecture make_child();
  void remember(const Architecture& arch);
  void ended_without_result(std::int64_t parameter_id);

  Options options_;
  tuner::Rng rng_;
  SearchSpace space_;
  double space_size_ = 0;
  std::vector<size_t> mutable_choices_;
  int initial_remaining_ = 0;
  std::set<std::int64_t> pending_initial_;  // initial proposals, no result yet
  std::set<std::int64_t> resulted_;
  std::vector<Member> results_;
  std::unordered_set<std::uint64_t> seen_;
};

// ParetoEvolutionTuner's registry entry: NNI's name, classArgs and factory.
TunerSpec pareto_evolution_tuner_spec();

}  // namespace archer

#endif  // ARCHER_TUNER_PARETO_EVOLUTION_TUNER_H_
