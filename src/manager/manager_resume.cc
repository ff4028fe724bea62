// ExperimentManager::resume(): rebuild the experiment's state from its store.
#include <algorithm>
#include <map>

#include "common/log.h"
#include "common/time_util.h"
#include "manager/experiment_manager.h"
#include "store/experiment_files.h"
#include "store/trial_value.h"

namespace archer {

std::optional<Architecture> ExperimentManager::stored_architecture(
    const TrialRow& row) const {
  if (row.generation < 0 || row.generation >= static_cast<int>(spaces_.size()))
    return std::nullopt;
  Json params = stored_parameters(row);
  if (params.is_null()) return std::nullopt;
  auto arch =
      architecture_from_json(spaces_[static_cast<size_t>(row.generation)],
                             params, "trial " + row.trial_id);
  if (!arch.is_ok()) return std::nullopt;
  return arch.value();
}

// Every generation's space from the store; an experiment from before
// generations were kept has one, the current.
Status ExperimentManager::load_spaces() {
  spaces_.clear();
  space_json_.clear();
  auto stored = store_->get_value(store_keys::kSearchSpaces);
  if (stored.is_ok() && stored.value().is_array() && !stored.value().empty()) {
    for (const auto& j : stored.value()) {
      auto sp = SearchSpace::from_json(j, "search_spaces");
      // NNI's tuners' spaces may have other types (kept as given).
      if (!sp.is_ok() && !config_.external_tuner)
        return sp.status().with_context("stored search_spaces");
      spaces_.push_back(sp.is_ok() ? std::move(sp).value() : SearchSpace());
      space_json_.push_back(j);
    }
  }
  if (spaces_.empty()) {
    spaces_.push_back(config_.search_space);
    space_json_.push_back(config_.search_space_json);
  }
  return Status::ok();
}

// resume() in its steps: the counters and clock, the ledger, the proposer
// (from the stored history), the assessor, then the trials that were running.
Status ExperimentManager::resume() {
  Status st = prepare();
  if (st.is_ok()) st = load_spaces();
  if (!st.is_ok()) return st;
  auto trials = store_->trials();
  if (!trials.is_ok()) return trials.status();
  auto metrics = store_->metrics("");
  if (!metrics.is_ok()) return metrics.status();
  restore_counters(trials.value());
  ProposerHistory history;
  history.trials = &trials.value();
  for (const auto& t : trials.value()) {
    if (is_terminal(t.status)) history.ended.push_back(&t);
  }
  // What the proposer and the assessor learn them in: the order they ended.
  std::stable_sort(history.ended.begin(), history.ended.end(),
                   [](const TrialRow* a, const TrialRow* b) {
                     return a->end_time < b->end_time;
                   });
  history.values = trial_values(metrics.value());
  ledger_ = Ledger::of(ledger_.mode(), trials.value(), history.values);
  auto imported = store_->get_value(store_keys::kImportedData);
  if (imported.is_ok() && imported.value().is_array()) {
    history.imported = imported.value();
    imported_ = static_cast<int>(history.imported.size());
  }
  history.generation = static_cast<int>(spaces_.size()) - 1;
  history.next_parameter_id = next_parameter_id_;
  history.architecture = [this](const TrialRow& t) {
    return stored_architecture(t);
  };
  auto rebuilt_from = proposer_->restore(history);
  if (!rebuilt_from.is_ok()) return rebuilt_from.status();
  service_->set_wake_fd(proposer_->fd());
  restore_assessor(history.ended, metrics.value());
  st = adopt_trials(trials.value());
  if (!st.is_ok()) return st;
  log_info("archer", "resumed experiment " + id_ + ": " +
                         std::to_string(history.ended.size()) +
                         " trials had ended, " + std::to_string(live_.size()) +
                         " adopted (running, or ended while no manager ran); "
                         "tuner rebuilt from " +
                         std::to_string(rebuilt_from.value()) + " trials");
  progress_.elapsed_seconds = elapsed();
  st = store_->put_value(store_keys::kResumeTime, now_ms());
  if (!st.is_ok()) return st;
  return set_status(ExperimentStatus::kRunning, true);
}

void ExperimentManager::restore_counters(const std::vector<TrialRow>& trials) {
  // Counters continue (NNI restarts the parameter ids at 0).
  auto counter = [&](const char* key) -> std::int64_t {
    auto v = store_->get_value(key);
    return v.is_ok() && v.value().is_number_integer()
               ? v.value().get<std::int64_t>()
               : 0;
  };
  next_sequence_id_ = counter(store_keys::kNextSequenceId);
  next_parameter_id_ = counter(store_keys::kNextParameterId);
  for (const auto& t : trials) {
    next_sequence_id_ = std::max(next_sequence_id_, t.sequence_id + 1);
    if (t.parameter_id)
      next_parameter_id_ = std::max(next_parameter_id_, *t.parameter_id + 1);
  }
  auto elapsed_value = store_->get_value(store_keys::kElapsedSeconds);
  elapsed_before_ = elapsed_value.is_ok() && elapsed_value.value().is_number()
                        ? elapsed_value.value().get<double>()
                        : 0.0;
  start_ = elapsed_saved_ = std::chrono::steady_clock::now();
  progress_.submitted = static_cast<int>(trials.size());
}

// The assessor learns the ended trials again, in the order they ended: each
// one's intermediate results (their gapless prefix), then its end. Running
// trials' results come again with their adoption.
void ExperimentManager::restore_assessor(
    const std::vector<const TrialRow*>& ended,
    const std::vector<MetricRow>& metrics) {
  if (!assessor_) return;
  std::map<std::string, std::map<std::int64_t, double>> history;
  for (const auto& m : metrics) {
    if (m.type != MetricType::kPeriodical) continue;
    auto v = final_scalar(m.value);
    if (v.is_ok()) history[m.trial_id].emplace(m.sequence, v.value());
  }
  for (const TrialRow* t : ended) {
    auto h = history.find(t->trial_id);
    if (h == history.end()) continue;
    const std::vector<double> prefix = gapless_prefix(h->second);
    if (prefix.empty()) continue;
    assessor_->assess_trial(t->trial_id, prefix);
    assessor_->trial_end(t->trial_id, t->status == TrialStatus::kSucceeded);
  }
}

// Trials that were waiting or running: adopted.
Status ExperimentManager::adopt_trials(const std::vector<TrialRow>& trials) {
  for (const auto& t : trials) {
    if (is_terminal(t.status)) continue;
    Status adopted = service_->adopt(spec_for(t), t.handle);
    if (!adopted.is_ok()) {
      TrialRow row = t;
      row.status = TrialStatus::kSysCanceled;
      row.end_time = now_ms();
      row.message =
          "cannot watch it again after a restart: " + adopted.message();
      ledger_.ended(row.trial_id, row.sequence_id, row.status, row.end_time);
      Status st = store_->update_trial(row);
      if (!st.is_ok()) return st;
      continue;
    }
    Live& live = live_[t.trial_id];
    live.sequence = t.sequence_id;
    live.proposal.record = stored_record(t);
    live.proposal.parameter_id = t.parameter_id.value_or(-1);
    // Decoded in the trial's own generation's space (an old-space trial
    // still running after `update searchspace` keeps its architecture).
    std::optional<Architecture> arch = stored_architecture(t);
    live.proposal.architecture = arch.value_or(Architecture());
    live.proposal.generation = arch ? t.generation : -1;
    if (t.status != TrialStatus::kRunning) continue;
    ++progress_.running;
    const auto age = std::chrono::milliseconds(
        std::max<std::int64_t>(0, now_ms() - t.start_time));
    live.started = std::chrono::steady_clock::now() -
                   (t.start_time > 0 ? age : std::chrono::milliseconds(0));
  }
  return Status::ok();
}

}  // namespace archer
