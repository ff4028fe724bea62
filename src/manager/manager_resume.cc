// ExperimentManager::resume(): rebuild the experiment's state from its store.
#include <algorithm>
#include <map>

#include "common/log.h"
#include "common/time_util.h"
#include "manager/experiment_manager.h"
#include "store/experiment_files.h"
#include "store/trial_value.h"

namespace archer {

namespace {

// A trial's stored parameter record (an empty object if unreadable).
Json stored_record(const TrialRow& row) {
  auto record = parse_json(row.parameters, "trial " + row.trial_id);
  return record.is_ok() && record.value().is_object() ? record.value()
                                                      : Json::object();
}

// The "parameters" of a stored parameter record (null if unreadable).
Json stored_parameters(const TrialRow& row) {
  return stored_record(row).value("parameters", Json());
}

// The architecture in a stored parameter record, if it fits `space`.
std::optional<Architecture> stored_architecture(const SearchSpace* space,
                                                const TrialRow& row) {
  if (!space) return std::nullopt;
  Json params = stored_parameters(row);
  if (params.is_null()) return std::nullopt;
  auto arch = architecture_from_json(*space, params, "trial " + row.trial_id);
  if (!arch.is_ok()) return std::nullopt;
  return arch.value();
}

// The ended trials, in the order they ended (what the tuner and the assessor
// learn them in).
std::vector<const TrialRow*> ended_in_end_order(
    const std::vector<TrialRow>& trials) {
  std::vector<const TrialRow*> ended;
  for (const auto& t : trials) {
    if (is_terminal(t.status)) ended.push_back(&t);
  }
  std::stable_sort(ended.begin(), ended.end(),
                   [](const TrialRow* a, const TrialRow* b) {
                     return a->end_time < b->end_time;
                   });
  return ended;
}

}  // namespace

const SearchSpace* ExperimentManager::space_of(int g) const {
  if (g < 0 || g >= static_cast<int>(spaces_.size())) return nullptr;
  return &spaces_[static_cast<size_t>(g)];
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
      if (!sp.is_ok() && !dispatcher_options_)
        return sp.status().with_context("stored search_spaces");
      spaces_.push_back(sp.is_ok() ? std::move(sp).value() : SearchSpace());
      space_json_.push_back(j);
    }
  }
  if (spaces_.empty()) {
    spaces_.push_back(config_.search_space);
    space_json_.push_back(config_.search_space_json);
  }
  space_generation_ = static_cast<int>(spaces_.size()) - 1;
  return Status::ok();
}

// resume() in its steps: the counters and clock, the tuner (checkpoint, then
// the trials that ended after it), then the trials that were running.
Status ExperimentManager::resume() {
  Status st = prepare_tuner();
  if (!st.is_ok()) return st;
  st = load_spaces();
  if (!st.is_ok()) return st;
  auto trials = store_->trials();
  if (!trials.is_ok()) return trials.status();
  auto metrics = store_->metrics("");
  if (!metrics.is_ok()) return metrics.status();
  restore_counters(trials.value());
  auto rebuilt_from = restore_tuner(trials.value(), metrics.value());
  if (!rebuilt_from.is_ok()) return rebuilt_from.status();
  const int ended = ended_;
  restore_assessor(trials.value(), metrics.value());
  st = adopt_trials(trials.value());
  if (!st.is_ok()) return st;
  log_info("archer", "resumed experiment " + id_ + ": " +
                         std::to_string(ended) + " trials had ended, " +
                         std::to_string(live_.size()) +
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
}

StatusOr<size_t> ExperimentManager::restore_tuner(
    const std::vector<TrialRow>& trials,
    const std::vector<MetricRow>& metrics) {
  // Each trial's result: its first usable FINAL metric.
  std::map<std::string, TrialValueBuilder> values;
  for (const auto& m : metrics) {
    if (m.type == MetricType::kFinal) values[m.trial_id].add(m.value);
  }
  std::map<std::string, double> result;
  for (const auto& [id, v] : values) {
    if (v.result() && v.result()->value) result[id] = *v.result()->value;
  }

  // The tuner: its checkpoint if any, then what ended after it, in end order.
  auto checkpoint = store_->get_value(store_keys::kTunerCheckpoint);
  std::int64_t until = -1;
  std::set<std::string> live_at_checkpoint;
  int imported_at_checkpoint = 0;
  // NNI's dispatcher learns the history as NNI's manager tells it on resume
  // (AD: every trial proposed, so its ids continue; FD: the results).
  ExternalTuner::Resume resume;
  if (tuner_ && checkpoint.is_ok() && checkpoint.value().is_object() &&
      checkpoint.value().value("generation", 0) == space_generation_) {
    const Json& c = checkpoint.value();
    Status loaded = tuner_->load(c["state"]);
    if (loaded.is_ok()) {
      until = c.value("until", std::int64_t{0});
      for (const auto& id : c.value("live", Json::array()))
        live_at_checkpoint.insert(id.get<std::string>());
      imported_at_checkpoint = c.value("imported", 0);
    } else {
      log_warning("archer", "the tuner checkpoint could not be loaded (" +
                                loaded.message() +
                                "); rebuilding the tuner from every trial");
      Status st = tuner_->update_search_space(config_.search_space);
      if (!st.is_ok()) return st;
    }
  }
  std::vector<TrialHistory> history;
  // Proposals the constraints rejected: never proposed again (they were
  // never trials).
  if (probe_ && tuner_) {
    auto rejected = probe_->infeasible_architectures();
    if (!rejected.is_ok()) return rejected.status();
    for (const auto& r : rejected.value()) {
      auto arch = architecture_from_json(config_.search_space, r, "rejected");
      if (!arch.is_ok()) continue;
      TrialHistory h(-1, arch.value(), std::nullopt);
      h.infeasible = true;
      history.push_back(std::move(h));
    }
  }
  auto imported = store_->get_value(store_keys::kImportedData);
  if (imported.is_ok() && imported.value().is_array()) {
    int i = 0;
    for (const auto& r : imported.value()) {
      if (dispatcher_options_) {
        resume.finished.push_back(
            {{"parameter", r["parameter"]}, {"value", r["value"]}});
        continue;
      }
      if (i++ < imported_at_checkpoint) continue;
      auto arch = architecture_from_json(config_.search_space, r["parameter"],
                                         "imported data");
      if (!arch.is_ok() || !r["reward"].is_number()) continue;
      history.push_back({-1, arch.value(), r["reward"].get<double>()});
    }
    imported_ = static_cast<int>(imported.value().size());
  }
  const std::vector<const TrialRow*> ended = ended_in_end_order(trials);
  for (const TrialRow* t : ended) {
    auto r = result.find(t->trial_id);
    count_end(t->status);
    last_end_ms_ = std::max(last_end_ms_, t->end_time);
    if (r != result.end())  // the best of any generation
      note_result(t->trial_id, r->second, stored_parameters(*t));
    // The tuner learns only from trials of the current space.
    if (t->generation != space_generation_) continue;
    if (dispatcher_options_) {
      if (r != result.end()) {
        resume.finished.push_back(
            {{"parameter", stored_parameters(*t)}, {"value", r->second}});
      }
      continue;
    }
    std::optional<Architecture> arch =
        stored_architecture(space_of(t->generation), *t);
    const bool after_checkpoint =
        t->end_time > until || live_at_checkpoint.count(t->trial_id);
    if (!arch || !after_checkpoint) continue;
    TrialHistory h{t->parameter_id.value_or(-1), *arch,
                   r == result.end()
                       ? std::nullopt
                       : std::optional<double>(to_reward(r->second, mode_))};
    if (!config_.objectives.empty() && r != result.end()) {
      auto objective = objective_values(
          values[t->trial_id].result()->final_text, config_.objectives);
      if (objective.is_ok()) {
        h.rewards = objective_rewards(objective.value(), config_.objectives);
      } else {
        h.reward.reset();
      }
    }
    history.push_back(std::move(h));
  }
  // Still running: proposed already (no result yet), so that e.g. Random does
  // not propose them again; their results reach the tuner when they end.
  if (dispatcher_options_) {
    for (const auto& t : trials) {
      Json packed = stored_record(t);
      if (packed.empty()) continue;
      packed["parameter_source"] = "resumed";
      resume.proposed.push_back(packed);
    }
    const size_t n = resume.finished.size();
    Status st = start_dispatcher(std::move(resume));
    if (!st.is_ok()) return st;
    return n;
  }
  for (const auto& t : trials) {
    if (is_terminal(t.status) || t.generation != space_generation_) continue;
    if (auto arch = stored_architecture(space_of(t.generation), t))
      history.push_back({t.parameter_id.value_or(-1), *arch, std::nullopt});
  }
  tuner_->import_data(history);
  checkpointed_ = ended_;
  return history.size();
}

// The assessor learns the ended trials again, in the order they ended: each
// one's intermediate results (their gapless prefix), then its end. Running
// trials' results come again with their adoption.
void ExperimentManager::restore_assessor(
    const std::vector<TrialRow>& trials,
    const std::vector<MetricRow>& metrics) {
  if (!assessor_) return;
  std::map<std::string, std::map<std::int64_t, double>> history;
  for (const auto& m : metrics) {
    if (m.type != MetricType::kPeriodical) continue;
    auto v = final_scalar(m.value);
    if (v.is_ok()) history[m.trial_id].emplace(m.sequence, v.value());
  }
  const std::vector<const TrialRow*> ended = ended_in_end_order(trials);
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
  progress_.submitted = static_cast<int>(trials.size());
  for (const auto& t : trials) {
    if (is_terminal(t.status)) continue;
    // Decoded in the trial's own generation's space (an old-space trial
    // still running after `update searchspace` keeps its architecture).
    std::optional<Architecture> arch =
        stored_architecture(space_of(t.generation), t);
    Status adopted = service_->adopt(spec_for(t), t.handle);
    if (!adopted.is_ok()) {
      TrialRow row = t;
      row.status = TrialStatus::kSysCanceled;
      row.end_time = now_ms();
      row.message =
          "cannot watch it again after a restart: " + adopted.message();
      count_end(row.status);
      Status st = store_->update_trial(row);
      if (!st.is_ok()) return st;
      continue;
    }
    if (t.status == TrialStatus::kRunning) ++progress_.running;
    const auto age = std::chrono::milliseconds(
        std::max<std::int64_t>(0, now_ms() - t.start_time));
    const Json record = stored_record(t);
    std::optional<std::chrono::steady_clock::time_point> started;
    if (t.status == TrialStatus::kRunning)
      started = std::chrono::steady_clock::now() -
                (t.start_time > 0 ? age : std::chrono::milliseconds(0));
    live_[t.trial_id] = Live{t.parameter_id.value_or(-1),
                             arch.value_or(Architecture()),
                             started,
                             false,
                             arch ? t.generation : -1,
                             record.value("parameters", Json()),
                             {},
                             "",
                             record.value("parameter_id", Json()),
                             t.parameters};
  }
  return Status::ok();
}

}  // namespace archer
