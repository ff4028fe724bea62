#include "assessor/asha_assessor.h"

#include <algorithm>
#include <functional>

#include "archer/json.h"
#include "assessor/assessor_args.h"

namespace archer {

AshaAssessor::AshaAssessor(OptimizeMode mode, int reduction_factor,
                           int min_step, int max_step, int brackets,
                           bool best_so_far)
    : maximize_(mode == OptimizeMode::kMaximize),
      eta_(reduction_factor),
      best_so_far_(best_so_far) {
  long long first = min_step;
  for (int b = 0; b < brackets && first <= max_step; ++b, first *= eta_) {
    std::vector<int> rungs;
    for (long long r = first; r <= max_step; r *= eta_)
      rungs.push_back(static_cast<int>(r));
    rungs_.push_back(rungs);
  }
  recorded_.resize(rungs_.size());
  for (size_t b = 0; b < rungs_.size(); ++b)
    recorded_[b].resize(rungs_[b].size());
}

int AshaAssessor::bracket_of(const std::string& trial_id) const {
  return static_cast<int>(std::hash<std::string>{}(trial_id) % rungs_.size());
}

AssessResult AshaAssessor::assess_trial(const std::string& trial_id,
                                        const std::vector<double>& history) {
  const int step = static_cast<int>(history.size());
  const int b = bracket_of(trial_id);
  const std::vector<int>& rungs = rungs_[static_cast<size_t>(b)];
  for (size_t k = 0; k < rungs.size(); ++k) {
    if (rungs[k] > step) break;
    auto& rung = recorded_[static_cast<size_t>(b)][k];
    if (rung.count(trial_id)) continue;  // judged at this rung already
    double value = history[static_cast<size_t>(rungs[k]) - 1];
    for (int i = 0; best_so_far_ && i < rungs[k]; ++i) {
      const double v = history[static_cast<size_t>(i)];
      value = maximize_ ? std::max(value, v) : std::min(value, v);
    }
    rung[trial_id] = value;
    const int n = static_cast<int>(rung.size());
    if (n < eta_) continue;  // too few peers to judge
    int better = 0;
    for (const auto& [id, v] : rung)
      better += maximize_ ? v > value : v < value;
    const int keep = n / eta_;  // the top 1/eta go on
    if (better >= keep) {
      reason_ = "ASHA at rung " + std::to_string(k) + " (step " +
                std::to_string(rungs[k]) + "): " + dumps(Json(value)) +
                " ranks " + std::to_string(better + 1) + " of " +
                std::to_string(n) + ", outside the top " + std::to_string(keep);
      if (rungs_.size() > 1) reason_ += " (bracket " + std::to_string(b) + ")";
      return AssessResult::kBad;
    }
  }
  return AssessResult::kGood;
}

// Its registry entry (assessor/registry.cc lists it).
AssessorSpec asha_assessor_spec() {
  AssessorSpec s = assessor_spec_named(
      "ASHA",
      "asynchronous successive halving (Li et al. 2020), Archer's: at rungs "
      "min_step * reduction_factor^k intermediate results a trial goes on "
      "only if its result there is in the top 1/reduction_factor of the "
      "results recorded at that rung so far; works with every tuner");
  s.args.args = {assessor_optimize_mode_arg(),
                 {"reduction_factor",
                  TunerArg::Type::kInt,
                  3,
                  2,
                  100,
                  {},
                  "eta: the fraction 1/eta of trials that go on at each rung"},
                 {"min_step",
                  TunerArg::Type::kInt,
                  1,
                  1,
                  100000,
                  {},
                  "the first rung, in intermediate results"},
                 {"max_step",
                  TunerArg::Type::kInt,
                  100,
                  1,
                  100000,
                  {},
                  "no rung beyond this step (the full training length)"},
                 {"brackets",
                  TunerArg::Type::kInt,
                  1,
                  1,
                  10,
                  {},
                  "Hyperband-style brackets: bracket b's first rung is "
                  "min_step * reduction_factor^b; trials are spread over "
                  "them by id (1: plain ASHA)"},
                 {"rung_value",
                  TunerArg::Type::kString,
                  "last",
                  0,
                  -1,
                  {"last", "best"},
                  "a trial's result at a rung: its result at that step "
                  "(last, as Li et al.) or its best up to that step (best: "
                  "steadier on noisy curves)"}};
  s.args.check = [](const Json& a) {
    if (a["min_step"].get<int>() > a["max_step"].get<int>()) {
      return Status::invalid_argument("classArgs.min_step (" +
                                      dumps(a["min_step"]) +
                                      ") must not exceed classArgs.max_step (" +
                                      dumps(a["max_step"]) + ")");
    }
    return Status::ok();
  };
  s.factory = [](const Json& a) {
    return std::make_unique<AshaAssessor>(
        assessor_mode_of(a), a["reduction_factor"].get<int>(),
        a["min_step"].get<int>(), a["max_step"].get<int>(),
        a["brackets"].get<int>(), a["rung_value"] == "best");
  };
  return s;
}

}  // namespace archer
