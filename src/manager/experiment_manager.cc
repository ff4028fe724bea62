#include "manager/experiment_manager.h"

#include <cstdio>
#include <thread>

#include "archer/assessor.h"
#include "common/log.h"
#include "common/time_util.h"
#include "store/experiment_files.h"
#include "store/trial_value.h"
#include "tuner/sampling.h"

namespace archer {

namespace {

const char kAlphabet[] =
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

}  // namespace

std::string random_experiment_id(std::mt19937_64& rng) {
  std::string pool(kAlphabet);
  std::string id;
  for (int i = 0; i < 8; ++i) {  // without repetition, as nnictl
    size_t k = std::uniform_int_distribution<size_t>(0, pool.size() - 1)(rng);
    id += pool[k];
    pool.erase(k, 1);
  }
  return id;
}

std::string random_trial_id(std::mt19937_64& rng) {
  std::string id(1, kAlphabet[std::uniform_int_distribution<int>(0, 51)(rng)]);
  for (int i = 0; i < 4; ++i)
    id += kAlphabet[std::uniform_int_distribution<int>(0, 61)(rng)];
  return id;
}

ExperimentManager::ExperimentManager(ExperimentConfig config,
                                     std::string experiment_id,
                                     std::string experiment_dir,
                                     std::unique_ptr<Tuner> tuner,
                                     std::unique_ptr<TrainingService> service,
                                     Store* store, std::uint64_t id_seed)
    : config_(std::move(config)),
      id_(std::move(experiment_id)),
      dir_(std::move(experiment_dir)),
      tuner_(std::move(tuner)),
      service_(std::move(service)),
      store_(store),
      rng_(id_seed) {}

void ExperimentManager::use_dispatcher(DispatcherOptions options,
                                       DispatcherClient::Timeouts timeouts) {
  dispatcher_options_ = std::move(options);
  dispatcher_timeouts_ = timeouts;
}

Status ExperimentManager::prepare_tuner() {
  std::optional<bool> default_objective;
  for (const auto& o : config_.objectives) {
    if (o.metric == "default") default_objective = o.maximize;
  }
  mode_ = optimize_mode_of(default_objective, config_.tuner_class_args);
  if (!config_.assessor_name.empty() && !config_.external_assessor) {
    auto assessor =
        create_assessor(config_.assessor_name, config_.assessor_class_args);
    if (!assessor.is_ok()) return assessor.status();
    assessor_ = std::move(assessor).value();
  }
  if (!config_.constraints.empty() && !probe_) {
    probe_ = std::make_unique<CostProbe>(config_, id_, dir_, store_);
    progress_.rejected = probe_->totals().rejected;
    if (service_) service_->set_wake_fd(probe_->fd());
  }
  if (dispatcher_options_) {
    if (!service_) return Status::internal("the training service is missing");
    return Status::ok();  // started by start() or resume()
  }
  if (!tuner_) return Status::internal("the tuner is missing");
  Status st = tuner_->update_search_space(config_.search_space);
  if (st.is_ok()) st = tuner_->check_concurrency(config_.trial_concurrency);
  if (st.is_ok()) {
    const std::string warning =
        tuner_->concurrency_warning(config_.trial_concurrency);
    if (!warning.empty()) log_warning("archer", warning);
  }
  return st;
}

Status ExperimentManager::start() {
  start_ = elapsed_saved_ = std::chrono::steady_clock::now();
  Status st = prepare_tuner();
  if (!st.is_ok()) return st;
  spaces_ = {config_.search_space};
  space_json_ = {config_.search_space_json};
  space_generation_ = 0;
  if (dispatcher_options_) {
    st = start_dispatcher(ExternalTuner::Resume());
    if (!st.is_ok()) return st;
  }
  st = save_config();
  if (st.is_ok()) st = store_->put_value(store_keys::kExperimentId, id_);
  if (st.is_ok()) st = store_->put_value(store_keys::kStartTime, now_ms());
  if (!st.is_ok()) return st;
  return set_status(ExperimentStatus::kRunning, true);
}

std::string ExperimentManager::exhausted_message() const {
  const SearchSpace& space = config_.search_space;
  char count[32];
  std::snprintf(count, sizeof count, "%.0f", tuner::space_size(space));
  std::string m = std::string("search space exhausted: all ") + count +
                  " architectures tried";
  if (progress_.rejected > 0) {
    m += " (" + std::to_string(progress_.rejected) +
         " of them rejected by the constraints)";
  }
  return m;
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
  return store_->put_value(store_keys::kStatus, to_string(status));
}

Status ExperimentManager::save_config() {
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

Status ExperimentManager::maybe_checkpoint(bool force) {
  constexpr int kEvery = 10;  // trial ends between checkpoints
  if (!tuner_ || ended_ == checkpointed_ ||
      (!force && ended_ - checkpointed_ < kEvery))
    return Status::ok();
  Json state = tuner_->save();
  checkpointed_ = ended_;
  if (state.is_null()) return Status::ok();  // nothing learned to keep
  // Trials that ended after this checkpoint: those still live now, and those
  // ending later than the last end seen (see resume()).
  Json live = Json::array();
  for (const auto& [id, l] : live_) live.push_back(id);
  Json checkpoint = {{"state", std::move(state)},
                     {"until", last_end_ms_},
                     {"live", live},
                     {"imported", imported_},
                     {"generation", space_generation_}};
  return store_->put_value(store_keys::kTunerCheckpoint, checkpoint);
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
  // Threads (OMP_NUM_THREADS) are the service's decision, for the host
  // that runs the trial.
  if (config_.trial_gpu_number && *config_.trial_gpu_number == 0) {
    spec.env["CUDA_VISIBLE_DEVICES"] = "-1";
  }
  // glibc malloc settings that spare large-tensor trials (any language) a page
  // fault storm; see include/archer/nn/runtime.h. A user's GLIBC_TUNABLES or
  // ARCHER_RUNTIME_DEFAULTS=0 wins.
  const char* off = std::getenv("ARCHER_RUNTIME_DEFAULTS");
  if (!std::getenv("GLIBC_TUNABLES") && !(off && std::string(off) == "0")) {
    spec.env["GLIBC_TUNABLES"] =
        "glibc.malloc.mmap_threshold=33554432:"
        "glibc.malloc.trim_threshold=268435456";
  }
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

Status ExperimentManager::submit_one(std::int64_t parameter_id,
                                     const Architecture& arch) {
  rejected_in_a_row_ = 0;
  Json record = Json::object();
  record["parameter_id"] = parameter_id;
  record["parameter_source"] = "algorithm";
  record["parameters"] = architecture_to_json(config_.search_space, arch);
  record["parameter_index"] = 0;
  return submit_record(record, arch);
}

Status ExperimentManager::submit_record(const Json& record,
                                        const Architecture& arch) {
  const Json nni_pid = record.value("parameter_id", Json());
  const std::optional<std::int64_t> pid =
      nni_pid.is_number_integer()
          ? std::optional<std::int64_t>(nni_pid.get<std::int64_t>())
          : std::nullopt;
  if (pid) next_parameter_id_ = std::max(next_parameter_id_, *pid + 1);
  TrialRow row;
  auto trial_id = new_trial_id();
  if (!trial_id.is_ok()) return trial_id.status();
  row.trial_id = trial_id.value();
  row.sequence_id = next_sequence_id_++;
  row.parameter_id = pid;
  row.parameters = dumps(record);
  row.status = TrialStatus::kWaiting;
  row.submit_time = now_ms();
  row.trial_dir = files::trial_dir(dir_, row.trial_id);
  row.generation = space_generation_;
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
  TrialSpec spec = spec_for(row);
  ++progress_.submitted;
  Status started = service_->submit(spec);
  if (!started.is_ok()) {
    row.status = TrialStatus::kFailed;
    row.end_time = now_ms();
    row.message = started.message();
    count_end(row.status);
    if (tuner_) tuner_->trial_end(pid.value_or(-1), false);
    if (external_)
      external_->trial_end(row.trial_id, to_string(row.status), row.parameters);
    Status recorded = store_->update_trial(row);
    if (!recorded.is_ok()) return recorded;
    // The environment refused to start a trial (disk full, no fork): stop here
    // rather than turning every remaining proposal into a failed trial.
    return started.with_context("cannot start trial " + row.trial_id);
  }
  live_[row.trial_id] = Live{pid.value_or(-1),
                             arch,
                             std::nullopt,
                             false,
                             space_generation_,
                             record.value("parameters", Json()),
                             {},
                             "",
                             nni_pid,
                             row.parameters};
  return Status::ok();
}

Status ExperimentManager::fill_slots() {
  if (dispatcher_options_) return fill_from_dispatcher();
  const bool over_time = config_.max_experiment_duration &&
                         elapsed() >= *config_.max_experiment_duration;
  constexpr int kMaxRejectedInARow = 1000;
  // (While a proposal waits for its probe, it holds the next free slot.)
  while (service_->free_slots() > 0 && !probing_ && !waiting_for_end_ &&
         !exhausted_ && !over_time &&
         (!config_.max_trial_number ||
          progress_.submitted < *config_.max_trial_number)) {
    Proposal p = tuner_->generate_parameters(next_parameter_id_);
    if (p.kind == Proposal::Kind::kNotReady) {
      waiting_for_end_ = true;
      break;
    }
    if (p.kind == Proposal::Kind::kExhausted) {
      exhausted_ = true;
      progress_.message = exhausted_message();
      break;
    }
    const std::int64_t pid = next_parameter_id_++;
    if (probe_) {
      auto wait = check_then_submit(pid, p.architecture);
      if (!wait.is_ok()) return wait.status();
      if (rejected_in_a_row_ >= kMaxRejectedInARow) {
        exhausted_ = true;
        progress_.message = "the constraints rejected the last " +
                            std::to_string(rejected_in_a_row_) +
                            " proposals in a row";
      }
      if (wait.value()) break;
      continue;
    }
    Status st = submit_one(pid, p.architecture);
    if (!st.is_ok()) return st;
  }
  if (probing_) return set_status(ExperimentStatus::kRunning);
  const bool no_more = exhausted_ || over_time ||
                       (config_.max_trial_number &&
                        progress_.submitted >= *config_.max_trial_number);
  if (no_more) {
    return set_status(live_.empty() ? ExperimentStatus::kDone
                                    : ExperimentStatus::kNoMoreTrial);
  }
  if (waiting_for_end_ && live_.empty()) {
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
  // Metrics (the frequent events) need no trial row; state changes read it
  // first.
  TrialRow row;
  if (e.kind != TrialEvent::Kind::kMetric) {
    auto row_or = store_->trial(e.trial_id);
    if (!row_or.is_ok()) return row_or.status();
    if (!row_or.value()) return Status::ok();
    row = *row_or.value();
    if (is_terminal(row.status)) return Status::ok();
  }
  switch (e.kind) {
    case TrialEvent::Kind::kStarted:
      if (live != live_.end() && !live->second.started) {
        live->second.started =
            std::chrono::steady_clock::now() -
            std::chrono::milliseconds(std::max<std::int64_t>(
                0, e.time_ms > 0 ? now_ms() - e.time_ms : 0));
      }
      row.status = TrialStatus::kRunning;
      row.start_time = e.time_ms;
      row.handle = e.handle;
      ++progress_.running;
      return store_->update_trial(row);
    case TrialEvent::Kind::kMetric: {
      if (e.metric_type == MetricType::kRequestParameter) return Status::ok();
      auto inserted = store_->insert_metric(
          MetricRow{e.trial_id, e.parameter_id, e.metric_type,
                    e.metric_sequence, e.metric_value, e.time_ms});
      if (!inserted.is_ok()) return inserted.status();
      if (!inserted.value()) warn_if_conflicting(e);
      if (external_ && live != live_.end()) {
        external_->metric(e.trial_id, live->second.nni_parameter_id,
                          to_string(e.metric_type), e.metric_sequence,
                          e.metric_value);
      }
      if (e.metric_type == MetricType::kPeriodical && live != live_.end())
        assess(e, live->second);
      // (An adopted trial's FINAL may be stored already and still be news to
      // the tuner, so has_final decides, not the insertion.)
      if (e.metric_type != MetricType::kFinal || live == live_.end() ||
          live->second.has_final) {
        return Status::ok();
      }
      // The trial's value: its first usable FINAL (store/trial_value.h).
      StatusOr<double> value = final_scalar(e.metric_value);
      if (!value.is_ok()) {
        log_warning("archer", "trial " + e.trial_id + ": " +
                                  value.status().message() +
                                  "; the trial counts as failed for the tuner");
        return Status::ok();
      }
      live->second.has_final = true;
      if (tuner_ && live->second.generation == space_generation_) {
        if (config_.objectives.empty()) {
          tuner_->receive_trial_result(live->second.parameter_id,
                                       live->second.architecture,
                                       to_reward(value.value(), mode_));
        } else {
          feed_objectives(e.trial_id, live->second, e.metric_value);
        }
      }
      // What the trial was given, in its own generation's space.
      note_result(e.trial_id, value.value(), live->second.parameters);
      return Status::ok();
    }
    case TrialEvent::Kind::kEnded: {
      if (row.status == TrialStatus::kRunning) --progress_.running;
      row.status = e.status;
      row.end_time = e.time_ms;
      row.exit_code = e.exit_code;
      row.message = e.message;
      if (live != live_.end()) {
        if (e.status == TrialStatus::kEarlyStopped &&
            !live->second.stop_reason.empty())
          row.message = "stopped early: " + live->second.stop_reason;
        if (assessor_ && !live->second.history.empty())
          assessor_->trial_end(e.trial_id, e.status == TrialStatus::kSucceeded);
      }
      const bool success = e.status == TrialStatus::kSucceeded &&
                           live != live_.end() && live->second.has_final;
      count_end(e.status);
      if (live != live_.end()) {
        if (tuner_ && live->second.generation == space_generation_)
          tuner_->trial_end(live->second.parameter_id, success);
        if (external_)
          external_->trial_end(e.trial_id, to_string(e.status),
                               live->second.record);
        live_.erase(live);
      }
      last_end_ms_ = std::max(last_end_ms_, e.time_ms);
      waiting_for_end_ = false;
      Status st = store_->update_trial(row);
      if (st.is_ok()) st = save_elapsed();
      if (st.is_ok() && e.start_failed) {
        // As when submit() fails: the environment is broken; stop here
        // rather than turning every remaining proposal into a failed trial.
        return Status::io_error("cannot start trial " + e.trial_id + ": " +
                                e.message);
      }
      return st;
    }
  }
  return Status::ok();
}

void ExperimentManager::note_result(const std::string& trial_id, double value,
                                    const Json& parameters) {
  if (progress_.best_metric &&
      !better_value(value, *progress_.best_metric, mode_))
    return;
  progress_.best_metric = value;
  progress_.best_trial_id = trial_id;
  progress_.best_architecture = parameters;
}

void ExperimentManager::count_end(TrialStatus status) {
  if (status == TrialStatus::kSucceeded) {
    ++progress_.succeeded;
  } else if (status == TrialStatus::kEarlyStopped) {
    ++progress_.early_stopped;
  } else {
    ++progress_.failed;
  }
  ++ended_;
}

void ExperimentManager::feed_objectives(const std::string& trial_id,
                                        const Live& live,
                                        const std::string& final_text) {
  auto values = objective_values(final_text, config_.objectives);
  if (!values.is_ok()) {
    log_warning("archer", "trial " + trial_id + ": " +
                              values.status().message() +
                              "; the trial counts as failed for the tuner");
    return;
  }
  tuner_->receive_trial_results(
      live.parameter_id, live.architecture,
      objective_rewards(values.value(), config_.objectives));
}

StatusOr<bool> ExperimentManager::check_then_submit(std::int64_t parameter_id,
                                                    const Architecture& arch) {
  const Json parameters = architecture_to_json(config_.search_space, arch);
  auto cached = probe_->cached(parameters);
  if (!cached.is_ok()) return cached.status();
  if (!cached.value()) {
    probe_->start(parameter_id, parameters);
    probing_ = Probing{parameter_id, arch};
    return true;
  }
  if (!cached.value()->feasible()) {
    Status st = reject(parameter_id, arch, *cached.value());
    if (!st.is_ok()) return st;
    return false;
  }
  Status st = submit_one(parameter_id, arch);
  if (!st.is_ok()) return st;
  return false;
}

Status ExperimentManager::poll_probe() {
  if (!probe_ || !probing_) return Status::ok();
  std::optional<CostProbe::Finished> done = probe_->take();
  if (!done) return Status::ok();
  const Probing p = *probing_;
  probing_.reset();
  if (!done->verdict.is_ok()) {
    if (tuner_) tuner_->trial_end(p.parameter_id, false);
    return done->verdict.status().with_context("probing the costs of " +
                                               dumps(done->parameters));
  }
  const ProbeVerdict& v = done->verdict.value();
  if (!v.feasible()) return reject(p.parameter_id, p.architecture, v);
  const bool budget = !config_.max_trial_number ||
                      progress_.submitted < *config_.max_trial_number;
  if (!budget || service_->free_slots() <= 0) {
    // The budget was lowered meanwhile (update trialnum): not a trial.
    if (tuner_) tuner_->trial_end(p.parameter_id, false);
    return Status::ok();
  }
  return submit_one(p.parameter_id, p.architecture);
}

Status ExperimentManager::reject(std::int64_t parameter_id,
                                 const Architecture& arch,
                                 const ProbeVerdict& verdict) {
  ++progress_.rejected;
  ++rejected_in_a_row_;
  if (tuner_) tuner_->infeasible(parameter_id, arch);
  log_info("archer", "proposal " + std::to_string(parameter_id) +
                         " rejected before training: " + verdict.violated);
  return probe_->count_rejection();
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
  live.stop_reason = assessor_->last_reason();
  if (live.stop_reason.empty())
    live.stop_reason =
        config_.assessor_name + " at step " + std::to_string(prefix.size());
  log_info("archer", "trial " + e.trial_id + ": " + live.stop_reason);
  (void)cancel_trial(e.trial_id, TrialStatus::kEarlyStopped,
                     "stopping (assessor)");
}

Status ExperimentManager::cancel_trial(const std::string& id,
                                       TrialStatus status,
                                       const std::string& why) {
  Status st = service_->cancel(id, status);
  if (!st.is_ok())
    log_warning("archer", why + " trial " + id + ": " + st.message());
  return st;
}

StatusOr<bool> ExperimentManager::step(std::chrono::milliseconds timeout) {
  if (progress_.status == ExperimentStatus::kDone ||
      progress_.status == ExperimentStatus::kStopped)
    return false;
  Status st = fill_slots();
  if (!st.is_ok()) return st;
  if (progress_.status == ExperimentStatus::kDone) return false;
  if (config_.max_trial_duration) {
    // Counted from the trial's start, as NNI counts RUNNING trials only.
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
  auto events = service_->poll(timeout);
  if (!events.is_ok()) return events.status().with_context("training service");
  for (const auto& e : events.value()) {
    st = handle(e);
    if (!st.is_ok()) return st;
  }
  st = poll_dispatcher();
  if (st.is_ok()) st = poll_probe();
  if (!st.is_ok()) return st;
  st = maybe_checkpoint(false);
  if (st.is_ok() && std::chrono::steady_clock::now() - elapsed_saved_ >
                        std::chrono::seconds(5))
    st = save_elapsed();
  if (!st.is_ok()) return st;
  progress_.elapsed_seconds = elapsed();
  st = fill_slots();
  if (!st.is_ok()) return st;
  if (progress_.status == ExperimentStatus::kDone) {
    Status end = store_->put_value(store_keys::kEndTime, now_ms());
    if (end.is_ok()) end = save_elapsed();
    if (end.is_ok()) end = maybe_checkpoint(true);
    if (!end.is_ok()) return end;
    // NNI's workers notice TE within their 3-second queue timeout.
    if (external_) external_->terminate(std::chrono::seconds(5));
    return false;
  }
  return true;
}

Status ExperimentManager::stop(std::chrono::milliseconds wait) {
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
  if (external_) external_->terminate(std::chrono::seconds(5));
  Status st = store_->put_value(store_keys::kEndTime, now_ms());
  if (st.is_ok()) st = save_elapsed();
  if (st.is_ok()) st = maybe_checkpoint(true);
  if (!st.is_ok()) return st;
  return set_status(ExperimentStatus::kStopped);
}

}  // namespace archer
