// PPOTuner: an LSTM controller trained with PPO2 (spec §6.3, fixed per §10 item
// 28).
//
// The controller emits one action per step: one step per layer choice (its
// candidate index); `n_chosen` steps per input choice, each choosing one input
// not yet chosen (masking makes it sampling without replacement); for
// `n_chosen` null, up to #candidates steps whose extra action STOP ends the
// selection (not allowed first, so the selection is never empty). Every (step,
// action) pair has its own embedding and logit: actions are per key and index,
// never shared by name. The probability ratio uses the same masked distribution
// the actions were sampled from. The reward is given at the last step only.
//
// Serving: a batch of `trials_per_update` architectures is sampled; requests
// beyond it get kNotReady. When every architecture of the batch has a result or
// failed, the policy is updated on the successful ones (failures are left out,
// not imputed) and a new batch is sampled. `minibatch_size` is the number of
// trials per minibatch (NNI used it as the number of minibatches).
// Thread-safety: one caller. Uses its own torch::Generator (no global RNG).
#ifndef ARCHER_TUNER_PPO_PPO_TUNER_H_
#define ARCHER_TUNER_PPO_PPO_TUNER_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <unordered_map>
#include <vector>

#include "archer/tuner.h"

namespace archer {

struct PpoOptions {
  int trials_per_update = 20;
  int epochs_per_update = 4;
  int minibatch_size = 4;
  double ent_coef = 0.0;
  double lr = 3e-4;
  double vf_coef = 0.5;
  double max_grad_norm = 0.5;
  double gamma = 0.99;
  double lam = 0.95;
  double cliprange = 0.2;
  std::uint64_t seed = 0;
};

class PpoTuner : public Tuner {
 public:
  explicit PpoTuner(PpoOptions options);
  ~PpoTuner() override;

  Status update_search_space(const SearchSpace& space) override;
  Proposal generate_parameters(std::int64_t parameter_id) override;
  void receive_trial_result(std::int64_t parameter_id,
                            const Architecture& architecture,
                            double reward) override;
  void trial_end(std::int64_t parameter_id, bool success) override;
  // Replays finished trials as training batches of trials_per_update
  // (off-policy: their probabilities are taken under the current policy), then
  // samples a fresh batch.
  void import_data(const std::vector<TrialHistory>& history) override;
  Json save() const override;
  Status load(const Json& state) override;

  // log P(architecture) under the current policy (for tests and diagnostics).
  // REQUIRES: a valid architecture of the space, input decisions in any order.
  double log_probability(const Architecture& architecture);
  // Number of policy updates done so far.
  int updates() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The options of validated classArgs (ppo_spec.h's table).
PpoOptions ppo_options(const Json& args);
// Adds "PPOTuner" with NNI's classArgs (plus seed) to the tuner registry.
void register_ppo_tuner();

}  // namespace archer

#endif  // ARCHER_TUNER_PPO_PPO_TUNER_H_
