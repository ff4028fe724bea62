// The fake platform of the service conformance suite: it runs no process,
// it plays each trial's TrialScript (given as its command, see
// script_command()) against the clock, honouring the whole TrainingService
// contract — one kStarted and one kEnded per trial, metrics before the end,
// cancel with a grace period (a script that ignores SIGTERM ends only when
// it is over), per-trial threads, adoption by a later instance (each trial
// keeps its start time and script in <trial_dir>/fake.json).
#ifndef ARCHER_TESTING_SCRIPTED_TRAINING_SERVICE_H_
#define ARCHER_TESTING_SCRIPTED_TRAINING_SERVICE_H_

#include <chrono>
#include <deque>
#include <map>
#include <string>
#include <vector>

#include "testing/service_conformance.h"
#include "training_service/trial_files.h"

namespace archer {
namespace testing {

// The command that makes ScriptedTrainingService play `script`.
std::string script_command(const TrialScript& script);

class ScriptedTrainingService : public TrainingService {
 public:
  ScriptedTrainingService(int max_parallel,
                          std::chrono::milliseconds kill_grace)
      : max_parallel_(max_parallel), kill_grace_(kill_grace) {}

  int free_slots() const override;
  Status submit(const TrialSpec& spec) override;
  Status cancel(const std::string& trial_id, TrialStatus status) override;
  StatusOr<std::vector<TrialEvent>> poll(
      std::chrono::milliseconds timeout) override;
  int running() const override { return static_cast<int>(trials_.size()); }
  Status set_max_parallel(int max_parallel) override;
  Status adopt(const TrialSpec& spec, const std::string& handle) override;

 private:
  struct Trial {
    TrialSpec spec;
    TrialScript script;
    std::int64_t start_ms = 0;
    CancelState cancel;
  };
  Status track(const TrialSpec& spec, std::int64_t start_ms, bool started);
  void report(const Trial& t, const std::vector<TrialScript::Report>& r);
  void advance();

  int max_parallel_;
  std::chrono::milliseconds kill_grace_;
  std::map<std::string, Trial> trials_;
  std::deque<TrialEvent> ready_;
};

}  // namespace testing
}  // namespace archer

#endif  // ARCHER_TESTING_SCRIPTED_TRAINING_SERVICE_H_
