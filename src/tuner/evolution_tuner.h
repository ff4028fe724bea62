// EvolutionTuner ("RegularizedEvolutionTuner"): aging evolution (Real et al.
// 2019), as NNI's documentation describes it and without NNI's bugs (spec §6.2,
// §10 item 27).
//
// * The first `population_size` proposals are random (failed ones are
// replaced).
// * Then each proposal is a child: a tournament of `sample_size` members drawn
// with
//   replacement from the living population, the best (first on ties) is the
//   parent, and the child changes exactly one decision, always differing from
//   the parent.
// * Each result joins the population; beyond `population_size` the oldest
// member dies.
// * Before any result exists (initial population proposed, results pending) the
// answer is
//   kNotReady; with a single-architecture space, kExhausted once it was
//   proposed.
// * `skip_duplicates`: children (and initial members) already proposed are
// re-drawn (a
//   bounded number of times).
#ifndef ARCHER_TUNER_EVOLUTION_TUNER_H_
#define ARCHER_TUNER_EVOLUTION_TUNER_H_

#include <cstdint>
#include <deque>
#include <unordered_map>
#include <unordered_set>

#include "archer/tuner.h"
#include "tuner/sampling.h"

namespace archer {

class EvolutionTuner : public Tuner {
 public:
  EvolutionTuner(int population_size, int sample_size, bool skip_duplicates,
                 std::uint64_t seed);

  Status update_search_space(const SearchSpace& space) override;
  Proposal generate_parameters(std::int64_t parameter_id) override;
  void receive_trial_result(std::int64_t parameter_id,
                            const Architecture& architecture,
                            double reward) override;
  void trial_end(std::int64_t parameter_id, bool success) override;
  void import_data(const std::vector<TrialHistory>& history) override;
  std::string concurrency_warning(int trial_concurrency) const override;

  struct Member {
    std::int64_t parameter_id;
    Architecture architecture;
    double reward;
  };
  // The living population, oldest first.
  const std::deque<Member>& population() const { return population_; }

 private:
  struct Pending {
    std::int64_t parameter_id;
    bool from_initial;
    bool has_result;
  };
  Pending* find_pending(std::int64_t parameter_id);
  Architecture draw_initial();
  Architecture make_child();

  int population_size_;
  int sample_size_;
  bool skip_duplicates_;
  tuner::Rng rng_;
  SearchSpace space_;
  double space_size_ = 0;
  std::vector<size_t> mutable_choices_;
  bool proposed_any_ = false;
  int initial_remaining_ = 0;
  std::deque<Member> population_;
  std::vector<Pending>
      pending_;  // running trials: about trialConcurrency entries
  std::unordered_set<std::uint64_t> seen_;  // only with skip_duplicates
};

// EvolutionTuner's registry entry: NNI's name, classArgs and factory.
TunerSpec evolution_tuner_spec();

}  // namespace archer

#endif  // ARCHER_TUNER_EVOLUTION_TUNER_H_
