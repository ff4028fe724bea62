// ExperimentManager: changes to a running experiment (nnictl update, trial
// kill, experiment import).
#include "common/log.h"
#include "config/config_schema.h"
#include "manager/experiment_manager.h"
#include "store/experiment_files.h"
#include "training_service/max_parallel.h"

namespace archer {

Status ExperimentManager::update_concurrency(int trial_concurrency) {
  Status st = check_max_parallel(trial_concurrency);
  if (st.is_ok()) st = proposer_->set_concurrency(trial_concurrency);
  if (st.is_ok()) st = service_->set_max_parallel(trial_concurrency);
  if (!st.is_ok()) return st;
  config_.trial_concurrency = trial_concurrency;
  return save_config();
}

Status ExperimentManager::update_max_trial_number(
    std::int64_t max_trial_number) {
  Status st = config::check_positive("maxTrialNumber", max_trial_number);
  if (st.is_ok()) st = revive();
  if (!st.is_ok()) return st;
  config_.max_trial_number = max_trial_number;
  return save_config();
}

Status ExperimentManager::revive() {
  if (progress_.status != ExperimentStatus::kDone) return Status::ok();
  Status st = proposer_->revive();
  if (!st.is_ok()) return st;
  // The next step proposes again if the new budget allows (else it is DONE
  // again at once, an exhausted space still said).
  if (proposer_->outlook().kind != Outlook::Kind::kExhausted)
    progress_.message.clear();
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
  return save_config();
}

Status ExperimentManager::update_search_space(const Json& json,
                                              const std::string& source) {
  auto stored = proposer_->update_search_space(json, source);
  if (!stored.is_ok()) return stored.status();
  // NNI's types are kept as given (an empty classic space for them).
  auto classic = SearchSpace::from_json(stored.value(), source);
  config_.search_space =
      classic.is_ok() ? std::move(classic).value() : SearchSpace();
  config_.search_space_json = stored.value();
  config_.search_space_file.clear();  // inline from now on
  spaces_.push_back(config_.search_space);
  space_json_.push_back(stored.value());
  progress_.message.clear();  // a new space: nothing is exhausted
  return save_config();
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
  Json fed = Json::array();
  for (size_t i = 0; i < records.size(); ++i) {
    const Json& r = records[i];
    const std::string where = source + ": record " + std::to_string(i);
    if (!r.is_object() || !r.contains("parameter") || !r.contains("value")) {
      return Status::invalid_argument(
          where + ": expected an object with \"parameter\" and \"value\"");
    }
    // A trial without a result (as `experiment export` writes failed ones).
    if (r["value"].is_null() || r["value"] == "") continue;
    Status checked = proposer_->check_imported(r["parameter"], where);
    if (!checked.is_ok()) return checked;
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
    fed.push_back({{"parameter", r["parameter"]},
                   {"value", metric.value()},
                   {"reward", to_reward(metric.value(), ledger_.mode())}});
  }
  auto previous = store_->get_value(store_keys::kImportedData);
  if (!previous.is_ok()) return previous.status();
  Json all = previous.value().is_array() ? previous.value() : Json::array();
  for (const auto& r : fed) all.push_back(r);
  Status st = store_->put_value(store_keys::kImportedData, all);
  if (!st.is_ok()) return st;
  proposer_->import_data(fed);
  imported_ = static_cast<int>(all.size());
  return static_cast<int>(fed.size());
}

}  // namespace archer
