// Tuners: what proposes architectures (spec §6, fixed per §10 items 17–29).
//
// One thread calls a tuner. A tuner owns a seeded random engine (no global
// RNG): the same seed and the same sequence of calls give the same answers.
// Rewards are always to be maximised: the manager applies optimize_mode
// (to_reward) before calling a tuner.
#ifndef ARCHER_TUNER_H_
#define ARCHER_TUNER_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "archer/json.h"
#include "archer/search_space.h"
#include "archer/status.h"

namespace archer {

// The answer to generate_parameters().
struct Proposal {
  enum class Kind {
    kReady,     // `architecture` is the proposal
    kNotReady,  // nothing now; ask again after the next trial ends (never an
                // error)
    kExhausted  // nothing ever again (e.g. every architecture was proposed)
  };
  Kind kind = Kind::kNotReady;
  Architecture architecture;

  static Proposal ready(Architecture arch) {
    return {Kind::kReady, std::move(arch)};
  }
  static Proposal not_ready() { return {Kind::kNotReady, {}}; }
  static Proposal exhausted() { return {Kind::kExhausted, {}}; }
};

// A finished trial, as import_data() receives it. `reward` is nullopt for a
// trial that failed or reported no usable final result.
struct TrialHistory {
  TrialHistory() = default;
  TrialHistory(std::int64_t id, Architecture arch, std::optional<double> r)
      : parameter_id(id), architecture(std::move(arch)), reward(r) {}
  std::int64_t parameter_id = 0;
  Architecture architecture;
  std::optional<double> reward;
  // Multi-objective search: one reward per objective (empty: no result).
  std::vector<double> rewards;
  // Rejected by the constraints before training (reward is then nullopt).
  bool infeasible = false;
};

class Tuner {
 public:
  virtual ~Tuner() = default;

  // Sets the search space. Called once before the first generate_parameters();
  // a later call replaces the space and restarts the search (state tied to the
  // old space is dropped). Fails if the tuner cannot search this space.
  virtual Status update_search_space(const SearchSpace& space) = 0;

  // Proposes the architecture for trial `parameter_id` (ids are unique,
  // increasing). REQUIRES: update_search_space() succeeded. Only valid
  // architectures are proposed.
  virtual Proposal generate_parameters(std::int64_t parameter_id) = 0;

  // The final result of a trial, already in "bigger is better" form.
  virtual void receive_trial_result(std::int64_t parameter_id,
                                    const Architecture& architecture,
                                    double reward) = 0;

  // Multi-objective search (config `objectives`, TunerSpec::multi_objective):
  // a trial's results, one per objective in the config's order, each in
  // "bigger is better" form. Called instead of receive_trial_result().
  // Default: ignored.
  virtual void receive_trial_results(std::int64_t /*parameter_id*/,
                                     const Architecture& /*architecture*/,
                                     const std::vector<double>& /*rewards*/) {}

  // The config's constraints rejected the proposal for `parameter_id` before
  // it was trained (the cost probe measured it). Default: as a trial that
  // ended without success.
  virtual void infeasible(std::int64_t parameter_id,
                          const Architecture& /*architecture*/) {
    trial_end(parameter_id, false);
  }

  // A trial ended. `success` is false for failed, cancelled and early-stopped
  // trials and for trials that ended without a usable final result. Unknown ids
  // are ignored.
  virtual void trial_end(std::int64_t parameter_id, bool success) = 0;

  // Rebuilds the tuner's state from finished trials (in the order they
  // finished), as on resume: proposals then continue as if those trials had run
  // through this tuner. REQUIRES: update_search_space() succeeded.
  virtual void import_data(const std::vector<TrialHistory>& history) = 0;

  // Checks an experiment setting against the tuner's arguments (an error
  // refuses the config or the update; see concurrency_warning for settings
  // that run, but poorly).
  virtual Status check_concurrency(int /*trial_concurrency*/) const {
    return Status::ok();
  }
  // A warning about a concurrency the tuner accepts but uses poorly (""
  // when none): e.g. Regularized Evolution's slots idle while its initial
  // population, no bigger than trialConcurrency, has not reported.
  virtual std::string concurrency_warning(int /*trial_concurrency*/) const {
    return "";
  }

  // Learned state (e.g. PPO weights) as an optimisation for resume;
  // import_data() alone must be enough. Default: nothing to save.
  virtual Json save() const { return Json(); }
  virtual Status load(const Json& /*state*/) { return Status::ok(); }
};

enum class OptimizeMode { kMaximize, kMinimize };

// NNI's extract_scalar_reward: a number, or an object with a numeric "default".
// Anything else (or a non-finite number) is an error naming what was received.
StatusOr<double> extract_scalar_reward(const Json& metric);
// The tuner's reward for a metric value: as is when maximising, negated when
// minimising.
double to_reward(double metric, OptimizeMode mode);

// Creates a tuner by NNI's name ("Random"/"RandomNASTuner",
// "RegularizedEvolutionTuner", "PPOTuner") from its classArgs. Missing
// arguments take NNI's defaults. Errors name the tuner, the argument and the
// allowed values, with a "did you mean" for near misses.
StatusOr<std::unique_ptr<Tuner>> create_tuner(const std::string& name,
                                              const Json& class_args);

// Description of one class argument (drives validation and docs).
struct TunerArg {
  enum class Type { kInt, kFloat, kBool, kString };
  std::string name;
  Type type = Type::kInt;
  Json default_value;  // null = optional without default
  double min = 0,
         max = 0;  // inclusive bounds for numbers (ignored when min > max)
  std::vector<std::string> choices;  // allowed values for strings
  std::string doc;
};

struct TunerSpec {
  std::string name;
  std::string kind = "tuner";  // how errors name it ("assessor" for those)
  std::vector<std::string> aliases;
  std::string doc;
  std::vector<TunerArg> args;
  // The tuner searches several objectives at once (config `objectives`):
  // it implements receive_trial_results().
  bool multi_objective = false;
  // Checks across arguments (after each was checked alone); may be empty.
  std::function<Status(const Json& args)> check;
  // Builds the tuner from validated classArgs (defaults filled in).
  std::function<std::unique_ptr<Tuner>(const Json& args)> factory;
};

// Adds a tuner to the registry (the PPO tuner registers itself from
// archer::torch through register_ppo_tuner()). Replaces an entry of the same
// name.
void register_tuner(TunerSpec spec);
// The registered tuner called `name` (or one of its aliases), if any.
std::optional<TunerSpec> find_tuner(const std::string& name);
// Every registered name and alias, in registration order.
std::vector<std::string> tuner_names();
// All registered tuners, in registration order.
std::vector<TunerSpec> registered_tuners();
// The registered tuners and their classArgs as markdown tables (docs/tuners.md
// embeds it).
std::string tuners_markdown();
// The same tables for any list of specs (the assessors' too).
std::string class_args_markdown(const std::vector<TunerSpec>& specs);
// Validates classArgs against `spec`: unknown keys, types, ranges, choices;
// fills defaults.
StatusOr<Json> validate_class_args(const TunerSpec& spec,
                                   const Json& class_args);

}  // namespace archer

#endif  // ARCHER_TUNER_H_
