// ExperimentManager: changes to a running experiment (nnictl update, trial
// kill, experiment import).
#include "common/log.h"
#include "common/nni_search_space.h"
#include "manager/experiment_manager.h"
#include "store/experiment_files.h"
#include "training_service/max_parallel.h"

namespace archer {

Status ExperimentManager::update_concurrency(int trial_concurrency) {
  Status st = check_max_parallel(trial_concurrency);
  if (st.is_ok() && tuner_) st = tuner_->check_concurrency(trial_concurrency);
  if (st.is_ok()) st = service_->set_max_parallel(trial_concurrency);
  if (!st.is_ok()) return st;
  if (tuner_) {
    const std::string warning = tuner_->concurrency_warning(trial_concurrency);
    if (!warning.empty()) log_warning("archer", warning);
  }
  config_.trial_concurrency = trial_concurrency;
  config_.canonical["trialConcurrency"] = trial_concurrency;
  waiting_for_end_ = false;  // more slots: ask the tuner again
  return save_config();
}

Status ExperimentManager::update_max_trial_number(
    std::int64_t max_trial_number) {
  if (max_trial_number < 1) {
    return Status::invalid_argument(
        "maxTrialNumber: expected an integer >= 1, got " +
        std::to_string(max_trial_number));
  }
  Status revived = revive();
  if (!revived.is_ok()) return revived;
  config_.max_trial_number = max_trial_number;
  config_.canonical["maxTrialNumber"] = max_trial_number;
  return save_config();
}

Status ExperimentManager::revive() {
  if (progress_.status != ExperimentStatus::kDone) return Status::ok();
  if (external_) {
    return Status::invalid_argument(
        "the experiment is DONE and NNI's dispatcher has exited; stop it and "
        "resume it (`archer resume " +
        id_ + "`) to go on with a larger budget");
  }
  // The next step proposes again if the new budget allows (else it is DONE
  // again at once, an exhausted space still said).
  if (!exhausted_) progress_.message.clear();
  waiting_for_end_ = false;
  return set_status(ExperimentStatus::kRunning);
}

Status ExperimentManager::update_max_experiment_duration(double seconds) {
  if (!(seconds > 0)) {
    return Status::invalid_argument(
        "maxExperimentDuration: expected a positive duration (number + "
        "s/m/h/d), got " +
        dumps(Json(seconds)));
  }
  Status revived = revive();
  if (!revived.is_ok()) return revived;
  config_.max_experiment_duration = seconds;
  config_.canonical["maxExperimentDuration"] = seconds;
  return save_config();
}

Status ExperimentManager::update_search_space(const Json& json,
                                              const std::string& source) {
  if (external_) {
    Status valid = validate_nni_search_space(json, source);
    if (!valid.is_ok()) return valid;
    external_->update_search_space(json);
    auto classic = SearchSpace::from_json(json, source);
    config_.search_space =
        classic.is_ok() ? std::move(classic).value() : SearchSpace();
    config_.search_space_json = json;
    config_.canonical["searchSpace"] = json;
    config_.canonical["searchSpaceFile"] = nullptr;
    spaces_.push_back(config_.search_space);
    space_json_.push_back(json);
    space_generation_ = static_cast<int>(spaces_.size()) - 1;
    return save_config();
  }
  Status native = check_native_tuner_space(json, source, config_.tuner_name);
  if (!native.is_ok()) return native;
  auto parsed = SearchSpace::from_json(json, source);
  if (!parsed.is_ok()) return parsed.status();
  const SearchSpace& space = parsed.value();
  Status st = tuner_->update_search_space(space);
  if (st.is_ok()) st = tuner_->check_concurrency(config_.trial_concurrency);
  if (!st.is_ok()) {
    // Back to the old space, so that the experiment goes on as before.
    Status back = tuner_->update_search_space(config_.search_space);
    if (!back.is_ok()) return back;
    return st;
  }
  config_.search_space = space;
  config_.search_space_json = space.to_json();
  config_.canonical["searchSpace"] = space.to_json();
  config_.canonical["searchSpaceFile"] = nullptr;
  spaces_.push_back(space);
  space_json_.push_back(space.to_json());
  space_generation_ = static_cast<int>(spaces_.size()) - 1;
  exhausted_ = false;
  waiting_for_end_ = false;
  progress_.message.clear();  // a new space: nothing is exhausted
  // A checkpoint of the old space's tuner is no use any more.
  st = store_->put_value(store_keys::kTunerCheckpoint, nullptr);
  if (st.is_ok()) st = save_config();
  return st;
}

Status ExperimentManager::kill_trial(const std::string& trial_id) {
  if (!live_.count(trial_id)) {
    return Status::not_found("trial '" + trial_id +
                             "' is not running in experiment " + id_);
  }
  return cancel_trial(trial_id, TrialStatus::kUserCanceled, "killing");
}

StatusOr<int> ExperimentManager::import_data(const Json& records,
                                             const std::string& source) {
  if (!records.is_array()) {
    return Status::invalid_argument(
        source +
        ": expected a JSON list of {\"parameter\": ..., \"value\": "
        "...} records");
  }
  std::vector<TrialHistory> history;
  Json stored = Json::array();
  for (size_t i = 0; i < records.size(); ++i) {
    const Json& r = records[i];
    const std::string where = source + ": record " + std::to_string(i);
    if (!r.is_object() || !r.contains("parameter") || !r.contains("value")) {
      return Status::invalid_argument(
          where + ": expected an object with \"parameter\" and \"value\"");
    }
    // A trial without a result (as `experiment export` writes failed ones).
    if (r["value"].is_null() || r["value"] == "") continue;
    StatusOr<Architecture> arch = Architecture();
    if (!external_) {
      arch = architecture_from_json(config_.search_space, r["parameter"],
                                    where + ": parameter");
    } else if (!r["parameter"].is_object()) {
      arch = Status::invalid_argument(where +
                                      ": parameter: expected a mapping of "
                                      "the search space's keys to values");
    }
    if (!arch.is_ok()) return arch.status();
    Json value = r["value"];
    if (value.is_string()) {  // NNI's export writes the metric as JSON text
      auto parsed = parse_json(value.get<std::string>(), where + ": value");
      if (!parsed.is_ok()) return parsed.status();
      value = parsed.value();
    }
    auto metric = extract_scalar_reward(value);
    if (!metric.is_ok()) {
      return Status::invalid_argument(where +
                                      ": value: " + metric.status().message());
    }
    const double reward = to_reward(metric.value(), mode_);
    history.push_back({-1, arch.value(), reward});
    stored.push_back({{"parameter", r["parameter"]},
                      {"value", metric.value()},
                      {"reward", reward}});
  }
  // NNI's FD: {parameter, value} (the metric; the dispatcher's tuner applies
  // optimize_mode).
  Json fed = Json::array();
  for (const auto& r : stored)
    fed.push_back({{"parameter", r["parameter"]}, {"value", r["value"]}});
  auto previous = store_->get_value(store_keys::kImportedData);
  if (!previous.is_ok()) return previous.status();
  Json all = previous.value().is_array() ? previous.value() : Json::array();
  for (auto& r : stored) all.push_back(std::move(r));
  Status st = store_->put_value(store_keys::kImportedData, all);
  if (!st.is_ok()) return st;
  if (external_) {
    external_->import_data(fed);
  } else {
    tuner_->import_data(history);
  }
  imported_ = static_cast<int>(all.size());
  waiting_for_end_ = false;
  return static_cast<int>(history.size());
}

}  // namespace archer
