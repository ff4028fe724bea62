#include "assessor/asha_assessor.h"

#include "archer/json.h"

namespace archer {

AshaAssessor::AshaAssessor(OptimizeMode mode, int reduction_factor,
                           int min_step, int max_step)
    : maximize_(mode == OptimizeMode::kMaximize), eta_(reduction_factor) {
  for (long long r = min_step; r <= max_step; r *= eta_)
    rungs_.push_back(static_cast<int>(r));
  recorded_.resize(rungs_.size());
}

AssessResult AshaAssessor::assess_trial(const std::string& trial_id,
                                        const std::vector<double>& history) {
  const int step = static_cast<int>(history.size());
  for (size_t k = 0; k < rungs_.size(); ++k) {
    if (rungs_[k] > step) break;
    auto& rung = recorded_[k];
    if (rung.count(trial_id)) continue;  // judged at this rung already
    const double value = history[static_cast<size_t>(rungs_[k]) - 1];
    rung[trial_id] = value;
    const int n = static_cast<int>(rung.size());
    if (n < eta_) continue;  // too few peers to judge
    int better = 0;
    for (const auto& [id, v] : rung)
      better += maximize_ ? v > value : v < value;
    const int keep = n / eta_;  // the top 1/eta go on
    if (better >= keep) {
      reason_ = "ASHA at rung " + std::to_string(k) + " (step " +
                std::to_string(rungs_[k]) + "): " + dumps(Json(value)) +
                " ranks " + std::to_string(better + 1) + " of " +
                std::to_string(n) + ", outside the top " + std::to_string(keep);
      return AssessResult::kBad;
    }
  }
  return AssessResult::kGood;
}

}  // namespace archer
