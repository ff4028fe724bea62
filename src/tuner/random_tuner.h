// RandomTuner ("Random", "RandomNASTuner"): uniform random architectures. With
// `dedup` (the default) no architecture is proposed twice; once every
// architecture of the space was proposed it answers kExhausted. Without it, it
// never runs out.
#ifndef ARCHER_TUNER_RANDOM_TUNER_H_
#define ARCHER_TUNER_RANDOM_TUNER_H_

#include <cstdint>
#include <unordered_set>

#include "archer/tuner.h"
#include "tuner/sampling.h"

namespace archer {

class RandomTuner : public Tuner {
 public:
  RandomTuner(std::uint64_t seed, bool dedup);

  Status update_search_space(const SearchSpace& space) override;
  Proposal generate_parameters(std::int64_t parameter_id) override;
  void receive_trial_result(std::int64_t, const Architecture&,
                            double) override {}
  void trial_end(std::int64_t, bool) override {}
  void import_data(const std::vector<TrialHistory>& history) override;

 private:
  bool remember(const Architecture& arch);  // true if new

  tuner::Rng rng_;
  bool dedup_;
  SearchSpace space_;
  double space_size_ = 0;
  std::unordered_set<std::uint64_t> seen_;
};

// RandomTuner's registry entry: NNI's name, classArgs and factory.
TunerSpec random_tuner_spec();

}  // namespace archer

#endif  // ARCHER_TUNER_RANDOM_TUNER_H_
