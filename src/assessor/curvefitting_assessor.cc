#include "assessor/curvefitting_assessor.h"

#include <functional>
#include <random>

#include "archer/json.h"
#include "assessor/assessor_args.h"
#include "assessor/curve_model.h"

namespace archer {

AssessResult CurvefittingAssessor::assess_trial(
    const std::string& trial_id, const std::vector<double>& history) {
  if (history.empty()) return AssessResult::kGood;
  last_result_[trial_id] = history.back();
  if (!best_) return AssessResult::kGood;
  const size_t step = history.size();
  if (step < static_cast<size_t>(start_step_)) return AssessResult::kGood;
  auto judged = last_judgment_.find(trial_id);
  if (judged != last_judgment_.end() &&
      step - judged->second < static_cast<size_t>(gap_))
    return AssessResult::kGood;
  last_judgment_[trial_id] = step;
  std::mt19937_64 rng(std::hash<std::string>{}(trial_id) ^
                      (step * 0x9e3779b97f4a7c15ULL));
  const auto predicted = predict_curve(history, epoch_num_, rng);
  if (!predicted) return AssessResult::kGood;
  const double standard = *best_ * threshold_;
  if (predicted->value > standard) return AssessResult::kGood;
  reason_ = "Curvefitting at step " + std::to_string(step) +
            ": the curve extrapolated to step " + std::to_string(epoch_num_) +
            " reaches " + dumps(Json(predicted->value)) + ", not above " +
            dumps(Json(threshold_)) + " x the best completed trial's " +
            dumps(Json(*best_)) + " = " + dumps(Json(standard));
  return AssessResult::kBad;
}

void CurvefittingAssessor::trial_end(const std::string& trial_id,
                                     bool success) {
  auto it = last_result_.find(trial_id);
  if (it == last_result_.end()) return;
  if (success) best_ = best_ ? std::max(*best_, it->second) : it->second;
  last_result_.erase(it);
  last_judgment_.erase(trial_id);
}

// Its registry entry (assessor/registry.cc lists it).
AssessorSpec curvefitting_assessor_spec() {
  AssessorSpec s = assessor_spec_named(
      "Curvefitting",
      "learning-curve extrapolation (Domhan et al. 2015), as NNI's: stop a "
      "trial whose curve, extrapolated to epoch_num by a weighted "
      "combination of 12 curve families, is not above threshold times the "
      "best completed trial's last intermediate result; maximises");
  s.args.args = {
      {"epoch_num",
       TunerArg::Type::kInt,
       nullptr,
       1,
       9999,
       {},
       "required: the total number of epochs (intermediate results) of a "
       "trial, where the curve is extrapolated to"},
      start_step_arg(6),
      {"threshold",
       TunerArg::Type::kFloat,
       0.95,
       0,
       9999,
       {},
       "stop when the extrapolated result is at most threshold * the best "
       "completed trial's"},
      {"gap",
       TunerArg::Type::kInt,
       1,
       1,
       9999,
       {},
       "judge every gap intermediate results (start_step, start_step+gap, "
       "...)"}};
  s.args.check = [](const Json& a) {
    if (!a.contains("epoch_num") || a["epoch_num"].is_null()) {
      return Status::invalid_argument(
          "classArgs.epoch_num: missing; expected the total number of epochs "
          "of a trial (an integer in [1, 9999]), as NNI requires");
    }
    return Status::ok();
  };
  s.factory = [](const Json& a) {
    return std::make_unique<CurvefittingAssessor>(
        a["epoch_num"].get<int>(), a["start_step"].get<int>(),
        a["threshold"].get<double>(), a["gap"].get<int>());
  };
  return s;
}

}  // namespace archer
