#include "archer/states.h"

#include <iterator>
#include <utility>

namespace archer {

namespace {

template <typename E, size_t N>
std::optional<E> parse(const std::pair<E, const char*> (&names)[N],
                       const std::string& text) {
  for (const auto& [value, name] : names) {
    if (text == name) return value;
  }
  return std::nullopt;
}

template <typename E, size_t N>
const char* name_of(const std::pair<E, const char*> (&names)[N], E value) {
  for (const auto& [v, name] : names) {
    if (v == value) return name;
  }
  return "?";
}

const std::pair<TrialStatus, const char*> kTrialNames[] = {
    {TrialStatus::kWaiting, "WAITING"},
    {TrialStatus::kRunning, "RUNNING"},
    {TrialStatus::kSucceeded, "SUCCEEDED"},
    {TrialStatus::kFailed, "FAILED"},
    {TrialStatus::kUserCanceled, "USER_CANCELED"},
    {TrialStatus::kSysCanceled, "SYS_CANCELED"},
    {TrialStatus::kEarlyStopped, "EARLY_STOPPED"},
};

const std::pair<ExperimentStatus, const char*> kExperimentNames[] = {
    {ExperimentStatus::kRunning, "RUNNING"},
    {ExperimentStatus::kNoMoreTrial, "NO_MORE_TRIAL"},
    {ExperimentStatus::kDone, "DONE"},
    {ExperimentStatus::kStopped, "STOPPED"},
    {ExperimentStatus::kError, "ERROR"},
    {ExperimentStatus::kViewed, "VIEWED"},
};

const std::pair<MetricType, const char*> kMetricNames[] = {
    {MetricType::kFinal, "FINAL"},
    {MetricType::kPeriodical, "PERIODICAL"},
    {MetricType::kRequestParameter, "REQUEST_PARAMETER"},
};

}  // namespace

const char* to_string(TrialStatus status) {
  return name_of(kTrialNames, status);
}
std::optional<TrialStatus> parse_trial_status(const std::string& text) {
  return parse(kTrialNames, text);
}
bool is_terminal(TrialStatus status) {
  return status != TrialStatus::kWaiting && status != TrialStatus::kRunning;
}

const char* to_string(ExperimentStatus status) {
  return name_of(kExperimentNames, status);
}
std::optional<ExperimentStatus> parse_experiment_status(
    const std::string& text) {
  return parse(kExperimentNames, text);
}

const char* to_string(MetricType type) { return name_of(kMetricNames, type); }
std::optional<MetricType> parse_metric_type(const std::string& text) {
  return parse(kMetricNames, text);
}

}  // namespace archer
