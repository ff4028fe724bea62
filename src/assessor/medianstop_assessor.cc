#include "assessor/medianstop_assessor.h"

#include <algorithm>

#include "archer/json.h"
#include "assessor/assessor_args.h"

namespace archer {

AssessResult MedianstopAssessor::assess_trial(
    const std::string& trial_id, const std::vector<double>& history) {
  const size_t step = history.size();
  if (step < static_cast<size_t>(start_step_) || step == 0)
    return AssessResult::kGood;
  std::vector<double>& seen = running_[trial_id];
  if (seen.size() < history.size())
    seen.insert(seen.end(), history.begin() + seen.size(), history.end());
  const double best = maximize_
                          ? *std::max_element(history.begin(), history.end())
                          : *std::min_element(history.begin(), history.end());
  std::vector<double> averages;
  for (const auto& [id, avg] : completed_avg_) {
    if (avg.size() >= step) averages.push_back(avg[step - 1]);
  }
  if (averages.empty()) return AssessResult::kGood;
  std::sort(averages.begin(), averages.end());
  const double median = maximize_ ? averages[(averages.size() - 1) / 2]
                                  : averages[averages.size() / 2];
  const bool bad = maximize_ ? best < median : best > median;
  if (bad) {
    reason_ = "Medianstop at step " + std::to_string(step) + ": best " +
              dumps(Json(best)) + " is worse than the median " +
              dumps(Json(median)) + " of " + std::to_string(averages.size()) +
              " completed trials' running averages";
  }
  return bad ? AssessResult::kBad : AssessResult::kGood;
}

void MedianstopAssessor::trial_end(const std::string& trial_id, bool success) {
  auto it = running_.find(trial_id);
  if (it == running_.end()) return;  // never assessed (NNI: a warning)
  if (success) {
    std::vector<double> avg;
    double sum = 0;
    for (size_t i = 0; i < it->second.size(); ++i) {
      sum += it->second[i];
      avg.push_back(sum / static_cast<double>(i + 1));
    }
    completed_avg_[trial_id] = std::move(avg);
  }
  running_.erase(it);
}

// Its registry entry (assessor/registry.cc lists it).
AssessorSpec medianstop_assessor_spec() {
  AssessorSpec s = assessor_spec_named(
      "Medianstop",
      "the median stopping rule (Google Vizier), as NNI's: stop a trial whose "
      "best intermediate result is worse than the median of the completed "
      "trials' running averages at the same step");
  s.args.args = {assessor_optimize_mode_arg(), start_step_arg(0)};
  s.factory = [](const Json& a) {
    return std::make_unique<MedianstopAssessor>(assessor_mode_of(a),
                                                a["start_step"].get<int>());
  };
  return s;
}

}  // namespace archer
