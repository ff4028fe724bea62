#include "tuner/ppo/ppo_spec.h"

#include "tuner/tuner_args.h"

namespace archer {

TunerSpec ppo_tuner_spec(
    std::function<std::unique_ptr<Tuner>(const Json& args)> factory) {
  using Type = TunerArg::Type;
  TunerSpec s;
  s.name = "PPOTuner";
  s.doc = "an LSTM controller trained with proximal policy optimisation";
  s.args = {
      optimize_mode_arg(),
      seed_arg(),
      {"trials_per_update",
       Type::kInt,
       20,
       1,
       99999,
       {},
       "architectures sampled per policy update (best a multiple of "
       "trialConcurrency)"},
      {"epochs_per_update",
       Type::kInt,
       4,
       1,
       1000,
       {},
       "training epochs per update"},
      {"minibatch_size",
       Type::kInt,
       4,
       1,
       99999,
       {},
       "trials per minibatch (NNI used this as the number of minibatches); at "
       "most "
       "trials_per_update"},
      {"ent_coef", Type::kFloat, 0.0, 0, 1000, {}, "entropy bonus coefficient"},
      {"lr", Type::kFloat, 3e-4, 1e-12, 10, {}, "Adam learning rate"},
      {"vf_coef", Type::kFloat, 0.5, 0, 1000, {}, "value loss coefficient"},
      {"max_grad_norm",
       Type::kFloat,
       0.5,
       1e-12,
       1e6,
       {},
       "global gradient-norm clip"},
      {"gamma", Type::kFloat, 0.99, 0, 1, {}, "discount factor"},
      {"lam", Type::kFloat, 0.95, 0, 1, {}, "GAE lambda"},
      {"cliprange",
       Type::kFloat,
       0.2,
       0,
       10,
       {},
       "PPO ratio (and value) clip range"},
  };
  s.check = [](const Json& a) {
    return not_greater(a, "minibatch_size", "trials_per_update");
  };
  s.factory = std::move(factory);
  return s;
}

}  // namespace archer
