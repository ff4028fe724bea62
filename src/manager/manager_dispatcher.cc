// ExperimentManager with NNI's dispatcher as its tuner: proposals as they
// come, the dispatcher's kills, its failures; fail() for any fatal error.
#include <algorithm>
#include <limits>

#include "common/log.h"
#include "common/time_util.h"
#include "manager/experiment_manager.h"
#include "store/experiment_files.h"

namespace archer {

Status ExperimentManager::start_dispatcher(ExternalTuner::Resume resume) {
  DispatcherOptions options = *dispatcher_options_;
  options.env["NNI_MODE"] = resume.proposed.empty() ? "start" : "resume";
  auto started =
      ExternalTuner::start(options, dispatcher_timeouts_,
                           config_.search_space_json, std::move(resume));
  if (!started.is_ok())
    return started.status().with_context("starting NNI's dispatcher");
  external_ = std::move(started).value();
  service_->set_wake_fd(external_->fd());
  return Status::ok();
}

Status ExperimentManager::poll_dispatcher() {
  if (!external_) return Status::ok();
  Status st = external_->poll();
  if (!st.is_ok()) return st;
  for (const std::string& id : external_->take_kills()) {
    auto live = live_.find(id);
    if (live == live_.end() || !live->second.stop_reason.empty()) continue;
    live->second.stop_reason =
        "the assessor in NNI's dispatcher (" + config_.assessor_name + ")";
    log_info("archer",
             "trial " + id + ": stopped by " + live->second.stop_reason);
    (void)cancel_trial(id, TrialStatus::kEarlyStopped,
                       "stopping (NNI's assessor)");
  }
  return Status::ok();
}

Status ExperimentManager::fill_from_dispatcher() {
  if (!external_) return Status::ok();
  const bool over_time = config_.max_experiment_duration &&
                         elapsed() >= *config_.max_experiment_duration;
  auto budget = [&] {
    return config_.max_trial_number
               ? static_cast<int>(std::max<std::int64_t>(
                     0, *config_.max_trial_number - progress_.submitted))
               : std::numeric_limits<int>::max();
  };
  if (!over_time) {
    for (const Json& record :
         external_->take(std::min(service_->free_slots(), budget()))) {
      if (!record.is_object() || !record.contains("parameters")) {
        return Status::internal(
            "NNI's dispatcher proposed a trial without \"parameters\": " +
            json_excerpt(record, 200));
      }
      Status st = submit_record(record, Architecture());
      if (!st.is_ok()) return st;
    }
    external_->want(std::min(service_->free_slots(), budget()));
  }
  const bool exhausted = external_->exhausted();
  if (over_time || budget() == 0 || exhausted) {
    if (exhausted && progress_.message.empty()) {
      // NNI's tuners say NO_MORE_TRIAL when their space is used up (a grid).
      progress_.message = "search space exhausted: the tuner (" +
                          config_.tuner_name +
                          ") has no more trials to propose";
    }
    return set_status(live_.empty() ? ExperimentStatus::kDone
                                    : ExperimentStatus::kNoMoreTrial);
  }
  return set_status(ExperimentStatus::kRunning);
}

Status ExperimentManager::fail(const Status& why) {
  log_error("archer", why.message());
  for (const auto& [id, l] : live_)
    (void)cancel_trial(id, TrialStatus::kUserCanceled, "stopping");
  const auto limit =
      std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!live_.empty() && std::chrono::steady_clock::now() < limit) {
    auto events = service_->poll(std::chrono::milliseconds(100));
    if (!events.is_ok()) break;
    for (const auto& e : events.value()) {
      if (!handle(e).is_ok()) break;
    }
  }
  if (external_) external_->terminate(std::chrono::milliseconds(500));
  progress_.message = why.message();
  Status st = store_->put_value(store_keys::kError, why.message());
  if (st.is_ok()) st = store_->put_value(store_keys::kEndTime, now_ms());
  if (st.is_ok()) st = save_elapsed();
  Status status = set_status(ExperimentStatus::kError);
  return st.is_ok() ? status : st;
}

}  // namespace archer
