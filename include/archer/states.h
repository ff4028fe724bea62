// The domain's states, typed: a trial's status, an experiment's status and a
// metric's type. NNI's spellings ("SUCCEEDED", "NO_MORE_TRIAL", "FINAL") are
// used only at the edges — the store, REST, the CLI, files — through
// to_string() and the parse_*() functions; everything inside compares enums.
#ifndef ARCHER_STATES_H_
#define ARCHER_STATES_H_

#include <optional>
#include <string>

#include "archer/json.h"

namespace archer {

// NNI's trial states (TrialJobStatus).
enum class TrialStatus {
  kWaiting,
  kRunning,
  kSucceeded,
  kFailed,
  kUserCanceled,
  kSysCanceled,
  kEarlyStopped,
};
// "WAITING", "RUNNING", "SUCCEEDED", "FAILED", "USER_CANCELED",
// "SYS_CANCELED", "EARLY_STOPPED".
const char* to_string(TrialStatus status);
std::optional<TrialStatus> parse_trial_status(const std::string& text);
// Every state but WAITING and RUNNING: a trial in it never changes again.
bool is_terminal(TrialStatus status);
// Terminal and not SUCCEEDED.
inline bool is_failure(TrialStatus status) {
  return is_terminal(status) && status != TrialStatus::kSucceeded;
}

// NNI's experiment states, and VIEWED (a read-only server is showing it).
enum class ExperimentStatus {
  kRunning,
  kNoMoreTrial,
  kDone,
  kStopped,
  kError,
  kViewed,
};
// "RUNNING", "NO_MORE_TRIAL", "DONE", "STOPPED", "ERROR", "VIEWED".
const char* to_string(ExperimentStatus status);
std::optional<ExperimentStatus> parse_experiment_status(
    const std::string& text);

// The metric records of NNI's trial protocol.
enum class MetricType { kFinal, kPeriodical, kRequestParameter };
// "FINAL", "PERIODICAL", "REQUEST_PARAMETER".
const char* to_string(MetricType type);
std::optional<MetricType> parse_metric_type(const std::string& text);

// In JSON (REST answers, exports, the index) each is its NNI name, never a
// number.
inline void to_json(Json& j, TrialStatus s) { j = to_string(s); }
inline void to_json(Json& j, ExperimentStatus s) { j = to_string(s); }
inline void to_json(Json& j, MetricType t) { j = to_string(t); }

}  // namespace archer

#endif  // ARCHER_STATES_H_
