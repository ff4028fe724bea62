// LocalBOTuner ("LocalBOTuner", alias "LocalBO"): Bayesian optimisation with a
// Gaussian-process surrogate (tuner/gp_model.h) whose acquisition is searched
// in the neighbourhood of the best architectures found so far: predictor-
// guided mutation as in BANANAS (White, Neiswanger & Savani, AAAI 2021) and the
// neighbourhood moves of local search (White, Nolen & Savani, UAI 2021), with a
// GP as NASBOT and NAS-BOWL use. docs/tuners.md gives the reasoning and the
// measured results.
//
// * The first `initial_trials` proposals are uniformly random (the surrogate
//   needs a few points); later ones too while fewer than two results exist.
// * Then each proposal maximises expected improvement over the best result
//   among candidates: every one-move neighbour (mutate_decision's moves) of
//   the `parents` best architectures (at most `neighbours_per_parent` of each,
//   drawn when there are more), as many two-move ones, and `random_candidates`
//   random architectures. The surrogate is fitted to the results' normal
//   scores (rank-based, so any reward scale and a long tail of failures-to-
//   learn do not matter), at most `max_model_points` of them (the best half
//   and the most recent), its hyperparameters re-chosen whenever a result
//   arrived.
// * Trials still running count as observed at the surrogate's mean (the
//   "kriging believer"), so concurrent proposals spread out instead of
//   piling on one spot; proposals never wait for results (never kNotReady).
// * No architecture is proposed twice in an experiment (proposed, running,
//   finished, failed or imported); once every architecture was proposed the
//   answer is kExhausted.
// * Seeded and deterministic: the same seed and the same calls give the same
//   proposals. import_data() rebuilds the observations and the seen set.
#ifndef ARCHER_TUNER_LOCAL_BO_TUNER_H_
#define ARCHER_TUNER_LOCAL_BO_TUNER_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <unordered_set>
#include <vector>

#include "archer/tuner.h"
#include "tuner/gp_model.h"
#include "tuner/sampling.h"

namespace archer {

class LocalBOTuner : public Tuner {
 public:
  struct Options {
    int initial_trials = 10;
    int parents = 5;
    int neighbours_per_parent = 64;
    int random_candidates = 64;
    int max_model_points = 256;
    std::uint64_t seed = 0;
  };
  explicit LocalBOTuner(const Options& options);

  Status update_search_space(const SearchSpace& space) override;
  Proposal generate_parameters(std::int64_t parameter_id) override;
  void receive_trial_result(std::int64_t parameter_id,
                            const Architecture& architecture,
                            double reward) override;
  void trial_end(std::int64_t parameter_id, bool success) override;
  void import_data(const std::vector<TrialHistory>& history) override;

  // The surrogate's relevance of each choice (for tests and docs).
  std::vector<double> relevances() const {
    return model_ ? model_->relevances() : std::vector<double>();
  }

 private:
  struct Observation {
    std::int64_t parameter_id;
    Architecture architecture;
    std::vector<int> code;
    double reward;
  };
  struct Running {
    std::int64_t parameter_id;
    Architecture architecture;
  };

  bool remember(const Architecture& arch);  // true if not seen before
  void observe(std::int64_t parameter_id, const Architecture& arch,
               double reward);
  // No longer counted as running (a result came, or the trial ended).
  void forget_running(std::int64_t parameter_id);
  // Indices of the `count` best observations, best first (ties: the earlier).
  std::vector<size_t> best_observations(size_t count) const;
  // Indices of the observations the surrogate is fitted to, in order.
  std::vector<size_t> model_points() const;
  std::vector<Architecture> candidates();
  std::optional<Architecture> model_proposal();

  Options options_;
  tuner::Rng rng_;
  SearchSpace space_;
  double space_size_ = 0;
  std::unique_ptr<tuner::ArchitectureEncoder> encoder_;
  std::unique_ptr<tuner::GpModel> model_;
  size_t tuned_at_ = 0;  // observations when the hyperparameters were chosen
  int proposed_ = 0;
  std::vector<Observation> observations_;
  std::vector<Running> running_;
  std::unordered_set<std::int64_t> with_result_;
  std::unordered_set<std::uint64_t> seen_;
};

// LocalBOTuner's registry entry: NNI's name, classArgs and factory.
TunerSpec local_bo_tuner_spec();

}  // namespace archer

#endif  // ARCHER_TUNER_LOCAL_BO_TUNER_H_
