#include "manager/experiment_manager.h"

#include <algorithm>
#include <limits>

#include "archer/assessor.h"
#include "common/log.h"
#include "common/nni_ids.h"
#include "common/time_util.h"
#include "manager/dispatcher_proposer.h"
#include "manager/trial_env.h"
#include "manager/tuner_proposer.h"
#include "manager/update_table.h"
#include "store/experiment_files.h"
#include "store/trial_value.h"

namespace archer {

ExperimentManager::ExperimentManager(ExperimentConfig config,
                                     std::string experiment_id,
                                     std::string experiment_dir,
                                     std::unique_ptr<Proposer> proposer,
                                     std::unique_ptr<TrainingService> service,
                                     Store* store, std::uint64_t id_seed)
    : config_(std::move(config)),
      id_(std::move(experiment_id)),
      dir_(std::move(experiment_dir)),
      proposer_(std::move(proposer)),
      service_(std::move(service)),
      store_(store),
      rng_(id_seed),
      ledger_(direction_of(config_)) {}

ExperimentManager::ExperimentManager(ExperimentConfig config,
                                     std::string experiment_id,
                                     std::string experiment_dir,
                                     std::unique_ptr<Tuner> tuner,
                                     std::unique_ptr<TrainingService> service,
                                     Store* store, std::uint64_t id_seed)
    : ExperimentManager(config, experiment_id, experiment_dir,
                        std::unique_ptr<Proposer>(), std::move(service), store,
                        id_seed) {
  if (tuner) {
    proposer_ = std::make_unique<TunerProposer>(config_, id_, dir_,
                                                std::move(tuner), store_);
  }
}

ExperimentManager::~ExperimentManager() = default;

void ExperimentManager::use_dispatcher(DispatcherOptions options,
                                       DispatcherClient::Timeouts timeouts) {
  proposer_ = std::make_unique<DispatcherProposer>(std::move(options), timeouts,
                                                   config_.search_space_json,
                                                   config_.tuner_name, id_);
}

Status ExperimentManager::prepare() {
  if (!proposer_) return Status::internal("the proposer is missing");
  if (!service_) return Status::internal("the training service is missing");
  if (!config_.assessor_name.empty() && !config_.external_assessor) {
    auto assessor =
        create_assessor(config_.assessor_name, config_.assessor_class_args);
    if (!assessor.is_ok()) return assessor.status();
    assessor_ = std::move(assessor).value();
  }
  return Status::ok();
}

Status ExperimentManager::start() {
  start_ = elapsed_saved_ = std::chrono::steady_clock::now();
  Status st = prepare();
  if (st.is_ok()) st = proposer_->start();
  if (!st.is_ok()) return st;
  service_->set_wake_fd(proposer_->fd());
  spaces_ = {config_.search_space};
  space_json_ = {config_.search_space_json};
  st = save_config();
  if (st.is_ok()) st = store_->put_value(store_keys::kExperimentId, id_);
  if (st.is_ok()) st = store_->put_value(store_keys::kStartTime, now_ms());
  if (!st.is_ok()) return st;
  return set_status(ExperimentStatus::kRunning, true);
}

Progress ExperimentManager::progress() const {
  Progress p = progress_;
  const Ledger::Counts& c = ledger_.counts();
  p.succeeded = c.succeeded;
  p.failed = c.failed;
  p.early_stopped = c.early_stopped;
  p.rejected = proposer_ ? proposer_->rejected() : 0;
  if (const auto& best = ledger_.best()) {
    p.best_metric = best->value;
    p.best_trial_id = best->trial_id;
    p.best_architecture = best->parameters;
  }
  return p;
}

Status ExperimentManager::set_status(ExperimentStatus status, bool force) {
  if (progress_.message != stored_message_) {
    // Why it ended (or stopped proposing), for show, status and the web UI.
    Status st =
        store_->put_value(store_keys::kStatusMessage, progress_.message);
    if (!st.is_ok()) return st;
    stored_message_ = progress_.message;
  }
  if (progress_.status == status && !force) return Status::ok();
  progress_.status = status;
  if (status == ExperimentStatus::kDone ||
      status == ExperimentStatus::kStopped ||
      status == ExperimentStatus::kError)
    service_->release();  // e.g. Slurm pilot allocations
  return store_->put_value(store_keys::kStatus, to_string(status));
}

Status ExperimentManager::save_config() {
  config_.canonical = canonical_of(config_);  // written from the typed fields
  Status st = store_->put_value(store_keys::kConfig, config_.canonical);
  if (st.is_ok())
    st = store_->put_value(store_keys::kSearchSpace, config_.search_space_json);
  // Every generation's space, so a trial is always read with its own.
  Json spaces = Json::array();
  for (const auto& sp : space_json_) spaces.push_back(sp);
  if (st.is_ok()) st = store_->put_value(store_keys::kSearchSpaces, spaces);
  return st;
}

double ExperimentManager::elapsed() const {
  return elapsed_before_ + std::chrono::duration<double>(
                               std::chrono::steady_clock::now() - start_)
                               .count();
}

Status ExperimentManager::save_elapsed() {
  elapsed_saved_ = std::chrono::steady_clock::now();
  return store_->put_value(store_keys::kElapsedSeconds, elapsed());
}

Status ExperimentManager::checkpoint(bool force) {
  CheckpointContext c;
  c.ended = ledger_.counts().ended();
  c.last_end_ms = ledger_.last_end_ms();
  for (const auto& [id, l] : live_) c.live.push_back(id);
  c.imported = imported_;
  return proposer_->checkpoint(force, c);
}

TrialSpec ExperimentManager::spec_for(const TrialRow& row) const {
  TrialSpec spec;
  spec.trial_id = row.trial_id;
  spec.sequence_id = row.sequence_id;
  spec.parameter_record = row.parameters;
  spec.trial_dir = row.trial_dir;
  spec.command = config_.trial_command;
  spec.code_dir = config_.trial_code_directory;
  spec.experiment_id = id_;
  spec.env = trial_env(config_);
  return spec;
}

StatusOr<std::string> ExperimentManager::new_trial_id() {
  // 52 * 62^4 ids: a collision is rare, a hundred in a row means the store
  // is not answering.
  for (int attempt = 0; attempt < 100; ++attempt) {
    std::string id = random_trial_id(rng_);
    auto existing = store_->trial(id);
    if (!existing.is_ok())
      return existing.status().with_context("choosing a trial id");
    if (!existing.value()) return id;
  }
  return Status::internal("no unused trial id after 100 draws");
}

Status ExperimentManager::submit(Proposed p) {
  if (p.parameter_id >= 0)
    next_parameter_id_ = std::max(next_parameter_id_, p.parameter_id + 1);
  TrialRow row;
  auto trial_id = new_trial_id();
  if (!trial_id.is_ok()) return trial_id.status();
  row.trial_id = trial_id.value();
  row.sequence_id = next_sequence_id_++;
  if (p.parameter_id >= 0) row.parameter_id = p.parameter_id;
  row.parameters = dumps(p.record);
  row.status = TrialStatus::kWaiting;
  row.submit_time = now_ms();
  row.trial_dir = files::trial_dir(dir_, row.trial_id);
  row.generation = static_cast<int>(spaces_.size()) - 1;
  // The trial and the counters that produced it are stored together.
  Status st = store_->transaction([&] {
    Status s = store_->insert_trial(row);
    if (s.is_ok())
      s = store_->put_value(store_keys::kNextSequenceId, next_sequence_id_);
    if (s.is_ok())
      s = store_->put_value(store_keys::kNextParameterId, next_parameter_id_);
    return s;
  });
  if (!st.is_ok()) return st;
  ++progress_.submitted;
  Status started = service_->submit(spec_for(row));
  if (!started.is_ok()) {
    row.status = TrialStatus::kFailed;
    row.end_time = now_ms();
    row.message = started.message();
    ledger_.ended(row.trial_id, row.sequence_id, row.status, row.end_time);
    proposer_->ended(row.trial_id, p, row.status, false);
    Status recorded = store_->update_trial(row);
    if (!recorded.is_ok()) return recorded;
    // The environment refused to start a trial (disk full, no fork): stop here
    // rather than turning every remaining proposal into a failed trial.
    return started.with_context("cannot start trial " + row.trial_id);
  }
  Live& live = live_[row.trial_id];
  live.proposal = std::move(p);
  live.sequence = row.sequence_id;
  return Status::ok();
}

Status ExperimentManager::fill_slots() {
  const bool over_time = config_.max_experiment_duration &&
                         elapsed() >= *config_.max_experiment_duration;
  const int budget =
      config_.max_trial_number
          ? static_cast<int>(std::clamp<std::int64_t>(
                *config_.max_trial_number - progress_.submitted, 0, 1 << 30))
          : std::numeric_limits<int>::max();
  const int wanted =
      over_time ? 0 : std::max(0, std::min(service_->free_slots(), budget));
  auto proposals = proposer_->propose(wanted);
  if (!proposals.is_ok()) return proposals.status();
  for (Proposed& p : proposals.value()) {
    Status st = submit(std::move(p));
    if (!st.is_ok()) return st;
  }
  const Outlook next = proposer_->outlook();
  // (While a proposal is checked, it holds the next free slot.)
  if (next.kind == Outlook::Kind::kChecking)
    return set_status(ExperimentStatus::kRunning);
  if (next.kind == Outlook::Kind::kExhausted) progress_.message = next.why;
  const int left = budget - static_cast<int>(proposals.value().size());
  if (next.kind == Outlook::Kind::kExhausted || over_time || left <= 0) {
    return set_status(live_.empty() ? ExperimentStatus::kDone
                                    : ExperimentStatus::kNoMoreTrial);
  }
  if (next.kind == Outlook::Kind::kWaiting && live_.empty()) {
    progress_.message =
        "the tuner has nothing to propose and no trial is running";
    return set_status(ExperimentStatus::kDone);
  }
  // A larger budget (update trialnum / duration) revives the experiment.
  return set_status(ExperimentStatus::kRunning);
}

// A metric whose (trial, type, sequence) is stored already: a re-read after a
// restart repeats the same value (silent); a different value is the trial
// reporting the same sequence twice: the first is kept, and it is said.
void ExperimentManager::warn_if_conflicting(const TrialEvent& e) {
  auto stored =
      store_->metric_value(e.trial_id, e.metric_type, e.metric_sequence);
  if (!stored.is_ok() || !stored.value() || *stored.value() == e.metric_value)
    return;
  log_warning("archer", "trial " + e.trial_id + ": " +
                            to_string(e.metric_type) + " metric " +
                            std::to_string(e.metric_sequence) +
                            " reported again with another value (" +
                            json_excerpt(Json(e.metric_value), 60) +
                            "); the first one is kept");
}

Status ExperimentManager::handle(const TrialEvent& e) {
  auto live = live_.find(e.trial_id);
  if (e.kind == TrialEvent::Kind::kMetric) {  // needs no trial row
    if (e.metric_type == MetricType::kRequestParameter) return Status::ok();
    auto inserted = store_->insert_metric(
        MetricRow{e.trial_id, e.parameter_id, e.metric_type, e.metric_sequence,
                  e.metric_value, e.time_ms});
    if (!inserted.is_ok()) return inserted.status();
    if (!inserted.value()) warn_if_conflicting(e);
    if (live == live_.end()) return Status::ok();
    proposer_->metric(e.trial_id, live->second.proposal, e);
    if (e.metric_type == MetricType::kPeriodical) assess(e, live->second);
    // (An adopted trial's FINAL may be stored already and still be news to
    // the proposer, so has_final decides, not the insertion.)
    if (e.metric_type != MetricType::kFinal || live->second.has_final)
      return Status::ok();
    return handle_final(e, live->second);
  }
  auto row = store_->trial(e.trial_id);
  if (!row.is_ok()) return row.status();
  if (!row.value() || is_terminal(row.value()->status)) return Status::ok();
  if (e.kind == TrialEvent::Kind::kEnded) return handle_end(e, *row.value());
  if (live != live_.end() && !live->second.started) {
    live->second.started = std::chrono::steady_clock::now() -
                           std::chrono::milliseconds(std::max<std::int64_t>(
                               0, e.time_ms > 0 ? now_ms() - e.time_ms : 0));
  }
  TrialRow started = *row.value();
  started.status = TrialStatus::kRunning;
  started.start_time = e.time_ms;
  started.handle = e.handle;
  ++progress_.running;
  return store_->update_trial(started);
}

// The trial's value: its first usable FINAL (store/trial_value.h).
Status ExperimentManager::handle_final(const TrialEvent& e, Live& live) {
  StatusOr<double> value = final_scalar(e.metric_value);
  if (!value.is_ok()) {
    log_warning("archer", "trial " + e.trial_id + ": " +
                              value.status().message() +
                              "; the trial counts as failed for the tuner");
    return Status::ok();
  }
  live.has_final = true;
  proposer_->result(e.trial_id, live.proposal, value.value(), e.metric_value);
  // What the trial was given, in its own generation's space.
  ledger_.result(e.trial_id, live.sequence, value.value(),
                 live.proposal.parameters());
  return Status::ok();
}

Status ExperimentManager::handle_end(const TrialEvent& e, TrialRow row) {
  auto live = live_.find(e.trial_id);
  if (row.status == TrialStatus::kRunning) --progress_.running;
  row.status = e.status;
  row.end_time = e.time_ms;
  row.exit_code = e.exit_code;
  row.message = e.message;
  ledger_.ended(row.trial_id, row.sequence_id, e.status, e.time_ms);
  if (live != live_.end()) {
    const Live& l = live->second;
    if (e.status == TrialStatus::kEarlyStopped && !l.stop_reason.empty())
      row.message = "stopped early: " + l.stop_reason;
    if (assessor_ && !l.history.empty())
      assessor_->trial_end(e.trial_id, e.status == TrialStatus::kSucceeded);
    proposer_->ended(e.trial_id, l.proposal, e.status,
                     e.status == TrialStatus::kSucceeded && l.has_final);
    live_.erase(live);
  }
  Status st = store_->update_trial(row);
  if (st.is_ok()) st = save_elapsed();
  if (st.is_ok() && e.start_failed) {
    // As when submit() fails: the environment is broken; stop here rather
    // than turning every remaining proposal into a failed trial.
    return Status::io_error("cannot start trial " + e.trial_id + ": " +
                            e.message);
  }
  return st;
}

std::vector<double> ExperimentManager::gapless_prefix(
    const std::map<std::int64_t, double>& by_sequence) {
  std::vector<double> prefix;
  for (auto it = by_sequence.find(0);
       it != by_sequence.end() &&
       it->first == static_cast<std::int64_t>(prefix.size());
       ++it)
    prefix.push_back(it->second);
  return prefix;
}

// NNI's dispatcher: the intermediate results by sequence; the assessor is
// asked when they form a prefix reaching this one, never once the trial
// reported its final result or is being stopped. Bad: stopped at once.
void ExperimentManager::assess(const TrialEvent& e, Live& live) {
  if (!assessor_ || live.has_final || !live.stop_reason.empty()) return;
  auto scalar = final_scalar(e.metric_value);
  if (!scalar.is_ok()) {
    log_warning("archer", "trial " + e.trial_id + ": intermediate result " +
                              std::to_string(e.metric_sequence) + ": " +
                              scalar.status().message() +
                              "; not given to the assessor");
    return;
  }
  if (e.metric_sequence < 0 || e.metric_sequence > 1000000) return;
  live.history[e.metric_sequence] = scalar.value();
  const std::vector<double> prefix = gapless_prefix(live.history);
  if (static_cast<std::int64_t>(prefix.size()) < e.metric_sequence) return;
  if (assessor_->assess_trial(e.trial_id, prefix) != AssessResult::kBad) return;
  std::string reason = assessor_->last_reason();
  if (reason.empty())
    reason =
        config_.assessor_name + " at step " + std::to_string(prefix.size());
  stop_early(e.trial_id, live, reason);
}

void ExperimentManager::stop_early(const std::string& id, Live& live,
                                   const std::string& reason) {
  if (!live.stop_reason.empty()) return;
  live.stop_reason = reason;
  log_info("archer", "trial " + id + ": " + reason);
  (void)cancel_trial(id, TrialStatus::kEarlyStopped, "stopping (assessor)");
}

Status ExperimentManager::cancel_trial(const std::string& id,
                                       TrialStatus status,
                                       const std::string& why) {
  Status st = service_->cancel(id, status);
  if (!st.is_ok())
    log_warning("archer", why + " trial " + id + ": " + st.message());
  return st;
}

// Counted from the trial's start, as NNI counts RUNNING trials only.
void ExperimentManager::cancel_over_duration() {
  if (!config_.max_trial_duration) return;
  const auto now = std::chrono::steady_clock::now();
  for (auto& [id, l] : live_) {
    if (!l.started || l.over_duration ||
        std::chrono::duration<double>(now - *l.started).count() <=
            *config_.max_trial_duration)
      continue;
    l.over_duration = true;
    (void)cancel_trial(id, TrialStatus::kEarlyStopped,
                       "stopping (maxTrialDuration)");
  }
}

StatusOr<bool> ExperimentManager::step(std::chrono::milliseconds timeout) {
  if (progress_.status == ExperimentStatus::kDone ||
      progress_.status == ExperimentStatus::kStopped)
    return false;
  Status st = fill_slots();
  if (!st.is_ok()) return st;
  if (progress_.status == ExperimentStatus::kDone) return false;
  cancel_over_duration();
  auto events = service_->poll(timeout);
  if (!events.is_ok()) return events.status().with_context("training service");
  for (const auto& e : events.value()) {
    st = handle(e);
    if (!st.is_ok()) return st;
  }
  st = proposer_->poll();
  if (!st.is_ok()) return st;
  for (const std::string& id : proposer_->take_kills()) {
    auto live = live_.find(id);
    if (live == live_.end()) continue;
    stop_early(
        id, live->second,
        "the assessor in NNI's dispatcher (" + config_.assessor_name + ")");
  }
  st = checkpoint(false);
  if (st.is_ok() && std::chrono::steady_clock::now() - elapsed_saved_ >
                        std::chrono::seconds(5))
    st = save_elapsed();
  if (!st.is_ok()) return st;
  progress_.elapsed_seconds = elapsed();
  st = fill_slots();
  if (!st.is_ok()) return st;
  if (progress_.status != ExperimentStatus::kDone) return true;
  // NNI's workers notice TE within their 3-second queue timeout.
  st = record_end(std::chrono::seconds(5));
  if (!st.is_ok()) return st;
  return false;
}

Status ExperimentManager::record_end(std::chrono::milliseconds grace) {
  proposer_->terminate(grace);
  Status st = store_->put_value(store_keys::kEndTime, now_ms());
  if (st.is_ok()) st = save_elapsed();
  if (st.is_ok()) st = checkpoint(true);
  return st;
}

Status ExperimentManager::end_live_trials(std::chrono::milliseconds wait) {
  for (const auto& [id, l] : live_)
    (void)cancel_trial(id, TrialStatus::kUserCanceled, "stopping");
  const auto limit = std::chrono::steady_clock::now() + wait;
  while (!live_.empty() && std::chrono::steady_clock::now() < limit) {
    auto events = service_->poll(std::chrono::milliseconds(100));
    if (!events.is_ok())
      return events.status().with_context("training service");
    for (const auto& e : events.value()) {
      Status st = handle(e);
      if (!st.is_ok()) return st;
    }
  }
  return Status::ok();
}

Status ExperimentManager::stop(std::chrono::milliseconds wait) {
  Status st = end_live_trials(wait);
  if (st.is_ok()) st = record_end(std::chrono::seconds(5));
  if (!st.is_ok()) return st;
  return set_status(ExperimentStatus::kStopped);
}

Status ExperimentManager::fail(const Status& why) {
  log_error("archer", why.message());
  (void)end_live_trials(std::chrono::seconds(10));  // best effort
  proposer_->terminate(std::chrono::milliseconds(500));
  progress_.message = why.message();
  Status st = store_->put_value(store_keys::kError, why.message());
  if (st.is_ok()) st = store_->put_value(store_keys::kEndTime, now_ms());
  if (st.is_ok()) st = save_elapsed();
  Status status = set_status(ExperimentStatus::kError);
  return st.is_ok() ? status : st;
}

}  // namespace archer
