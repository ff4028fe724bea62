// What a trial's result is, defined once for the manager, resume, the CLI,
// REST and the web UI (which shows REST's "value"): its first *usable* FINAL
// metric — a number, or an object with a numeric "default" (NNI's
// extract_scalar_reward). A FINAL that is not usable (malformed, a string,
// no "default") is shown as reported but gives no value; a later usable one
// is the result. The optimize_mode and "which of two values is better" are
// defined here too.
#ifndef ARCHER_STORE_TRIAL_VALUE_H_
#define ARCHER_STORE_TRIAL_VALUE_H_

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "archer/config.h"
#include "archer/store.h"
#include "archer/tuner.h"

namespace archer {

struct TrialValue {
  std::string final_text;       // the FINAL metric's JSON text, as reported
  std::optional<double> value;  // its scalar, when usable
};

// The scalar of one FINAL metric's JSON text, or the reason it has none.
StatusOr<double> final_scalar(const std::string& final_text);

// Multi-objective search: the values of `objectives` in one FINAL metric's
// text, in the user's units ("default" is the final_scalar; other keys must
// be finite numbers of the metric object). Errors name the missing key.
StatusOr<std::vector<double>> objective_values(
    const std::string& final_text, const std::vector<Objective>& objectives);
// The same oriented as rewards: minimised objectives negated.
std::vector<double> objective_rewards(const std::vector<double>& values,
                                      const std::vector<Objective>& objectives);

// Accumulates a trial's FINAL metrics in the order they were reported.
class TrialValueBuilder {
 public:
  // Takes one FINAL; returns true when it became the trial's value (the
  // first usable one).
  bool add(const std::string& final_text);
  // Nullopt until a FINAL was seen; then the first usable one, else the first.
  const std::optional<TrialValue>& result() const { return result_; }

 private:
  std::optional<TrialValue> result_;
};

// The value of the trial `trial_id` among `metrics` (any types, any trials,
// in insertion order).
std::optional<TrialValue> trial_value(const std::vector<MetricRow>& metrics,
                                      const std::string& trial_id);

// Every trial's value among `metrics` (FINAL ones are used), by trial id.
std::map<std::string, TrialValue> trial_values(
    const std::vector<MetricRow>& metrics);

// The experiment's one optimisation direction, which "best" follows everywhere
// (progress line, REST, web UI, experiment show, export): the direction of the
// "default" objective when `objectives` has one, else the tuner's classArgs
// optimize_mode; maximize when absent or malformed.
// `default_objective_maximize`: that objective's direction, if any.
OptimizeMode optimize_mode_of(std::optional<bool> default_objective_maximize,
                              const Json& tuner_class_args);
// The same rule for a parsed config.
OptimizeMode direction_of(const ExperimentConfig& config);
// The same rule for a stored (canonical) config.
OptimizeMode optimize_mode_of_config(const Json& canonical_config);

// True when `a` is strictly better than `b` under `mode`.
inline bool better_value(double a, double b, OptimizeMode mode) {
  return to_reward(a, mode) > to_reward(b, mode);
}

}  // namespace archer

#endif  // ARCHER_STORE_TRIAL_VALUE_H_
