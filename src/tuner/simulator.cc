#include "tuner/simulator.h"

#include <deque>

namespace archer {
namespace tuner {

SimulationResult simulate(Tuner& tuner, const Objective& objective, int budget,
                          int concurrency, std::int64_t first_id) {
  SimulationResult result;
  std::deque<SimulatedTrial> running;
  std::int64_t next_id = first_id;
  int submitted = 0;
  while (true) {
    while (!result.exhausted &&
           static_cast<int>(running.size()) < concurrency &&
           submitted < budget) {
      Proposal p = tuner.generate_parameters(next_id);
      if (p.kind == Proposal::Kind::kExhausted) {
        result.exhausted = true;
        break;
      }
      if (p.kind == Proposal::Kind::kNotReady) {
        ++result.not_ready;
        break;
      }
      running.push_back(
          SimulatedTrial{next_id++, std::move(p.architecture), std::nullopt});
      ++submitted;
    }
    if (running.empty()) break;
    SimulatedTrial trial = std::move(running.front());
    running.pop_front();
    trial.reward = objective(trial.architecture);
    if (trial.reward)
      tuner.receive_trial_result(trial.parameter_id, trial.architecture,
                                 *trial.reward);
    tuner.trial_end(trial.parameter_id, trial.reward.has_value());
    result.trials.push_back(std::move(trial));
  }
  return result;
}

}  // namespace tuner
}  // namespace archer
