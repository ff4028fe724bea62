#include "manager/tuner_proposer.h"

#include <cstdio>

#include "common/log.h"
#include "common/nni_search_space.h"
#include "store/experiment_files.h"
#include "tuner/sampling.h"

namespace archer {

TunerProposer::TunerProposer(const ExperimentConfig& config,
                             std::string experiment_id,
                             std::string experiment_dir,
                             std::unique_ptr<Tuner> tuner, Store* store)
    : space_(config.search_space),
      objectives_(config.objectives),
      tuner_name_(config.tuner_name),
      concurrency_(config.trial_concurrency),
      mode_(direction_of(config)),
      tuner_(std::move(tuner)),
      store_(store) {
  if (!config.constraints.empty()) {
    probe_ = std::make_unique<CostProbe>(config, std::move(experiment_id),
                                         std::move(experiment_dir), store);
    rejected_ = probe_->totals().rejected;
  }
}

Status TunerProposer::start() {
  if (!tuner_) return Status::internal("the tuner is missing");
  Status st = tuner_->update_search_space(space_);
  if (!st.is_ok()) return st;
  return set_concurrency(concurrency_);
}

Status TunerProposer::set_concurrency(int trial_concurrency) {
  Status st = tuner_->check_concurrency(trial_concurrency);
  if (!st.is_ok()) return st;
  const std::string warning = tuner_->concurrency_warning(trial_concurrency);
  if (!warning.empty()) log_warning("archer", warning);
  concurrency_ = trial_concurrency;
  waiting_ = false;  // more slots: ask the tuner again
  return Status::ok();
}

Status TunerProposer::revive() {
  waiting_ = false;
  return Status::ok();
}

Proposed TunerProposer::proposal(std::int64_t parameter_id,
                                 Architecture architecture) const {
  Proposed p;
  p.record = Json::object();
  p.record["parameter_id"] = parameter_id;
  p.record["parameter_source"] = "algorithm";
  p.record["parameters"] = architecture_to_json(space_, architecture);
  p.record["parameter_index"] = 0;
  p.parameter_id = parameter_id;
  p.architecture = std::move(architecture);
  p.generation = generation_;
  return p;
}

StatusOr<std::vector<Proposed>> TunerProposer::propose(int n) {
  std::vector<Proposed> out;
  if (checked_) {  // probed feasible: it takes the first slot
    if (n > 0) {
      out.push_back(std::move(*checked_));
    } else {  // the budget was lowered meanwhile: not a trial
      tuner_->trial_end(checked_->parameter_id, false);
    }
    checked_.reset();
  }
  constexpr int kMaxRejectedInARow = 1000;
  while (static_cast<int>(out.size()) < n && !probing_ && !waiting_ &&
         !exhausted_) {
    Proposal p = tuner_->generate_parameters(next_parameter_id_);
    if (p.kind == Proposal::Kind::kNotReady) {
      waiting_ = true;
    } else if (p.kind == Proposal::Kind::kExhausted) {
      char count[32];
      std::snprintf(count, sizeof count, "%.0f", tuner::space_size(space_));
      exhausted_ = std::string("search space exhausted: all ") + count +
                   " architectures tried";
      if (rejected_ > 0) {
        *exhausted_ += " (" + std::to_string(rejected_) +
                       " of them rejected by the constraints)";
      }
    } else {
      Proposed proposed = proposal(next_parameter_id_++, p.architecture);
      if (!probe_) {
        out.push_back(std::move(proposed));
        continue;
      }
      auto wait = check(std::move(proposed), out);
      if (!wait.is_ok()) return wait.status();
      if (rejected_in_a_row_ >= kMaxRejectedInARow) {
        exhausted_ = "the constraints rejected the last " +
                     std::to_string(rejected_in_a_row_) + " proposals in a row";
      }
    }
  }
  return out;
}

StatusOr<bool> TunerProposer::check(Proposed p, std::vector<Proposed>& out) {
  auto cached = probe_->cached(p.parameters());
  if (!cached.is_ok()) return cached.status();
  if (!cached.value()) {
    probe_->start(p.parameter_id, p.parameters());
    probing_ = std::move(p);
    return true;
  }
  if (!cached.value()->feasible()) {
    Status st = reject(p, *cached.value());
    if (!st.is_ok()) return st;
    return false;
  }
  rejected_in_a_row_ = 0;
  out.push_back(std::move(p));
  return false;
}

Status TunerProposer::poll() {
  if (!probe_ || !probing_) return Status::ok();
  std::optional<CostProbe::Finished> done = probe_->take();
  if (!done) return Status::ok();
  Proposed p = std::move(*probing_);
  probing_.reset();
  if (!done->verdict.is_ok()) {
    tuner_->trial_end(p.parameter_id, false);
    return done->verdict.status().with_context("probing the costs of " +
                                               dumps(done->parameters));
  }
  if (!done->verdict.value().feasible())
    return reject(p, done->verdict.value());
  rejected_in_a_row_ = 0;
  checked_ = std::move(p);
  return Status::ok();
}

Status TunerProposer::reject(const Proposed& p, const ProbeVerdict& verdict) {
  ++rejected_;
  ++rejected_in_a_row_;
  tuner_->infeasible(p.parameter_id, p.architecture);
  log_info("archer", "proposal " + std::to_string(p.parameter_id) +
                         " rejected before training: " + verdict.violated);
  return probe_->count_rejection();
}

Outlook TunerProposer::outlook() const {
  if (probing_ || checked_) return {Outlook::Kind::kChecking, ""};
  if (exhausted_) return {Outlook::Kind::kExhausted, *exhausted_};
  if (waiting_) return {Outlook::Kind::kWaiting, ""};
  return {};
}

void TunerProposer::result(const std::string& trial_id, const Proposed& p,
                           double value, const std::string& final_text) {
  if (p.generation != generation_) return;
  if (objectives_.empty()) {
    tuner_->receive_trial_result(p.parameter_id, p.architecture,
                                 to_reward(value, mode_));
    return;
  }
  auto values = objective_values(final_text, objectives_);
  if (!values.is_ok()) {
    log_warning("archer", "trial " + trial_id + ": " +
                              values.status().message() +
                              "; the trial counts as failed for the tuner");
    return;
  }
  tuner_->receive_trial_results(p.parameter_id, p.architecture,
                                objective_rewards(values.value(), objectives_));
}

void TunerProposer::ended(const std::string&, const Proposed& p, TrialStatus,
                          bool success) {
  if (p.generation == generation_) tuner_->trial_end(p.parameter_id, success);
  waiting_ = false;
}

StatusOr<Json> TunerProposer::update_search_space(const Json& json,
                                                  const std::string& source) {
  Status native = check_native_tuner_space(json, source, tuner_name_);
  if (!native.is_ok()) return native;
  auto parsed = SearchSpace::from_json(json, source);
  if (!parsed.is_ok()) return parsed.status();
  Status st = tuner_->update_search_space(parsed.value());
  if (st.is_ok()) st = tuner_->check_concurrency(concurrency_);
  if (!st.is_ok()) {
    // Back to the old space, so that the experiment goes on as before.
    Status back = tuner_->update_search_space(space_);
    if (!back.is_ok()) return back;
    return st;
  }
  space_ = std::move(parsed).value();
  ++generation_;
  exhausted_.reset();
  waiting_ = false;
  checked_.reset();
  // A checkpoint of the old space's tuner is no use any more.
  st = store_->put_value(store_keys::kTunerCheckpoint, nullptr);
  if (!st.is_ok()) return st;
  return space_.to_json();
}

Status TunerProposer::check_imported(const Json& parameter,
                                     const std::string& where) const {
  return architecture_from_json(space_, parameter, where + ": parameter")
      .status();
}

void TunerProposer::imported_history(const Json& records, int from,
                                     std::vector<TrialHistory>& out) const {
  int i = 0;
  for (const auto& r : records) {
    if (i++ < from) continue;
    auto arch = architecture_from_json(space_, r["parameter"], "imported data");
    if (!arch.is_ok() || !r["reward"].is_number()) continue;
    out.push_back({-1, arch.value(), r["reward"].get<double>()});
  }
}

void TunerProposer::import_data(const Json& records) {
  std::vector<TrialHistory> history;
  imported_history(records, 0, history);
  tuner_->import_data(history);
  waiting_ = false;
}

Status TunerProposer::checkpoint(bool force, const CheckpointContext& c) {
  constexpr int kEvery = 10;  // trial ends between checkpoints
  if (c.ended == checkpointed_ || (!force && c.ended - checkpointed_ < kEvery))
    return Status::ok();
  Json state = tuner_->save();
  checkpointed_ = c.ended;
  if (state.is_null()) return Status::ok();  // nothing learned to keep
  // Trials that ended after this checkpoint: those still live now, and those
  // ending later than the last end seen (see restore()).
  Json checkpoint = {{"state", std::move(state)},
                     {"until", c.last_end_ms},
                     {"live", c.live},
                     {"imported", c.imported},
                     {"generation", generation_}};
  return store_->put_value(store_keys::kTunerCheckpoint, checkpoint);
}

StatusOr<TunerProposer::Checkpointed> TunerProposer::load_checkpoint(
    int generation) {
  Checkpointed at;
  auto checkpoint = store_->get_value(store_keys::kTunerCheckpoint);
  if (!checkpoint.is_ok() || !checkpoint.value().is_object() ||
      checkpoint.value().value("generation", 0) != generation)
    return at;
  const Json& c = checkpoint.value();
  Status loaded = tuner_->load(c["state"]);
  if (!loaded.is_ok()) {
    log_warning("archer", "the tuner checkpoint could not be loaded (" +
                              loaded.message() +
                              "); rebuilding the tuner from every trial");
    Status st = tuner_->update_search_space(space_);
    if (!st.is_ok()) return st;
    return at;
  }
  at.until = c.value("until", std::int64_t{0});
  for (const auto& id : c.value("live", Json::array()))
    at.live.insert(id.get<std::string>());
  at.imported = c.value("imported", 0);
  return at;
}

StatusOr<size_t> TunerProposer::restore(const ProposerHistory& h) {
  Status st = start();
  if (!st.is_ok()) return st;
  generation_ = h.generation;
  next_parameter_id_ = h.next_parameter_id;
  auto at = load_checkpoint(h.generation);
  if (!at.is_ok()) return at.status();
  std::vector<TrialHistory> history;
  // Proposals the constraints rejected: never proposed again (they were
  // never trials).
  if (probe_) {
    auto rejected = probe_->infeasible_architectures();
    if (!rejected.is_ok()) return rejected.status();
    for (const auto& r : rejected.value()) {
      auto arch = architecture_from_json(space_, r, "rejected");
      if (!arch.is_ok()) continue;
      TrialHistory t(-1, arch.value(), std::nullopt);
      t.infeasible = true;
      history.push_back(std::move(t));
    }
  }
  // Imported records after those the checkpoint already holds.
  imported_history(h.imported, at.value().imported, history);
  for (const TrialRow* t : h.ended) {
    // The tuner learns only from trials of the current space, ended after
    // its checkpoint.
    if (t->generation != generation_) continue;
    if (t->end_time <= at.value().until && !at.value().live.count(t->trial_id))
      continue;
    std::optional<Architecture> arch = h.architecture(*t);
    if (!arch) continue;
    TrialHistory past{t->parameter_id.value_or(-1), *arch, std::nullopt};
    auto v = h.values.find(t->trial_id);
    if (v != h.values.end() && v->second.value) {
      past.reward = to_reward(*v->second.value, mode_);
      if (!objectives_.empty()) {
        auto o = objective_values(v->second.final_text, objectives_);
        if (o.is_ok()) {
          past.rewards = objective_rewards(o.value(), objectives_);
        } else {
          past.reward.reset();
        }
      }
    }
    history.push_back(std::move(past));
  }
  // Still running: proposed already (no result yet), so that e.g. Random does
  // not propose them again; their results reach the tuner when they end.
  for (const auto& t : *h.trials) {
    if (is_terminal(t.status) || t.generation != generation_) continue;
    if (auto arch = h.architecture(t))
      history.push_back({t.parameter_id.value_or(-1), *arch, std::nullopt});
  }
  tuner_->import_data(history);
  checkpointed_ = static_cast<int>(h.ended.size());
  return history.size();
}

}  // namespace archer
