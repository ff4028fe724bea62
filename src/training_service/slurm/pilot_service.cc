#include "training_service/slurm/pilot_service.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>

#include "common/log.h"
#include "common/time_util.h"
#include "training_service/max_parallel.h"
#include "training_service/metric_events.h"
#include "training_service/slurm/pilot_files.h"
#include "training_service/trial_files.h"

namespace archer {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using namespace pilot_files;

namespace {

constexpr auto kTick = std::chrono::milliseconds(10);

// The same directory (the trial's may be a link to the shared directory).
bool same_dir(const std::string& a, const std::string& b) {
  if (a.empty() || b.empty()) return false;
  if (a == b) return true;
  std::error_code ec1, ec2;
  const fs::path ca = fs::weakly_canonical(a, ec1);
  const fs::path cb = fs::weakly_canonical(b, ec2);
  return !ec1 && !ec2 && ca == cb;
}

}  // namespace

SlurmPilotService::SlurmPilotService(Options options)
    : options_(std::move(options)),
      worker_(std::make_unique<BackgroundWorker>()) {
  const std::string limit = options_.pilot.time_limit.empty()
                                ? options_.slurm.time_limit
                                : options_.pilot.time_limit;
  if (!limit.empty()) limit_s_ = slurm_time_seconds(limit);
}

SlurmPilotService::~SlurmPilotService() { worker_.reset(); }

int SlurmPilotService::free_slots() const {
  return std::max(0, options_.max_parallel - static_cast<int>(trials_.size()));
}

Status SlurmPilotService::set_max_parallel(int max_parallel) {
  Status st = check_max_parallel(max_parallel);
  if (st.is_ok()) options_.max_parallel = max_parallel;
  return st;
}

Status SlurmPilotService::submit(const TrialSpec& requested) {
  if (trials_.count(requested.trial_id)) {
    return Status::invalid_argument("trial '" + requested.trial_id +
                                    "' is already running");
  }
  TrialSpec spec = requested;
  // Without cpusPerTrial: the worker's CPUs over its slots.
  Status st = write_slurm_trial(options_.slurm, options_.experiment_id,
                                "${ARCHER_SLOT_CPUS:-1}", &shared_code_, spec);
  if (!st.is_ok()) return st;
  Trial t;
  t.spec = spec;
  t.reader = std::make_unique<MetricFileReader>(spec.trial_dir, ".nni/metrics");
  trials_.emplace(spec.trial_id, std::move(t));
  queue_.push_back(spec.trial_id);
  dispatch();
  return Status::ok();
}

std::int64_t SlurmPilotService::time_left_ms(const Worker& w) const {
  if (!limit_s_) return INT64_MAX;
  return w.ready_ms + *limit_s_ * 1000 - now_ms();
}

std::optional<std::int64_t> SlurmPilotService::expected_ms() const {
  if (durations_.empty()) return std::nullopt;
  return *std::max_element(durations_.begin(), durations_.end());
}

void SlurmPilotService::dispatch() {
  const auto expected = expected_ms();
  // A trial longer than a whole allocation fits nowhere: placed anyway.
  const bool can_fit =
      !expected || !limit_s_ || *expected * 11 / 10 < *limit_s_ * 1000;
  while (!queue_.empty()) {
    Worker* best = nullptr;
    int best_number = -1, best_slot = -1;
    for (auto& [n, w] : workers_) {
      if (!w.ready || w.gone || w.releasing) continue;
      auto free = std::find(w.slots.begin(), w.slots.end(), "");
      if (free == w.slots.end()) continue;
      if (expected && can_fit && time_left_ms(w) < *expected * 11 / 10)
        continue;
      if (!best || time_left_ms(w) > time_left_ms(*best)) {
        best = &w;
        best_number = n;
        best_slot = static_cast<int>(free - w.slots.begin());
      }
    }
    if (!best) break;
    const std::string id = queue_.front();
    queue_.pop_front();
    Trial& t = trials_.at(id);
    const std::string slot = best->dir + "/s" + std::to_string(best_slot);
    Status st = write_text_file(slot + ".tmp", t.spec.trial_dir + "\n");
    if (st.is_ok() &&
        std::rename((slot + ".tmp").c_str(), (slot + ".assign").c_str()) != 0)
      st = Status::io_error(slot + ".assign: cannot write it");
    if (!st.is_ok()) {
      end_trial(id, ended_event(id, TrialStatus::kFailed, std::nullopt, 0,
                                "slurm pilot: " + st.message()));
      continue;
    }
    t.worker = best_number;
    t.slot = best_slot;
    best->slots[best_slot] = id;
  }
  // Idle workers too short for what waits make room for fresh ones.
  if (!queue_.empty() && expected && can_fit) {
    for (auto& [n, w] : workers_) {
      if (!w.ready || w.gone || w.releasing) continue;
      if (std::count(w.slots.begin(), w.slots.end(), "") !=
          static_cast<long>(w.slots.size()))
        continue;
      if (time_left_ms(w) >= *expected * 11 / 10) continue;
      log_info("archer", "slurm pilot: worker job " + w.job +
                             " has too little time left for a trial; "
                             "released");
      w.releasing = true;
      (void)write_text_file(w.dir + "/stop", "\n");
      scancel(w.job);
    }
  }
}

void SlurmPilotService::end_trial(std::string id, TrialEvent ev) {
  auto it = trials_.find(id);
  if (it == trials_.end()) return;
  Trial& t = it->second;
  read_metric_events(*t.reader, id, &ready_, true);
  if (t.cancel && ev.status != TrialStatus::kSucceeded) ev.status = *t.cancel;
  if (ev.status == TrialStatus::kSucceeded && t.start_ms > 0) {
    durations_.push_back(std::max<std::int64_t>(0, ev.time_ms - t.start_ms));
    if (durations_.size() > 10) durations_.pop_front();
  }
  if (t.worker >= 0) {
    auto w = workers_.find(t.worker);
    if (w != workers_.end() && w->second.slots[t.slot] == id)
      w->second.slots[t.slot] = "";
  }
  queue_.erase(std::remove(queue_.begin(), queue_.end(), id), queue_.end());
  trials_.erase(it);
  ready_.push_back(std::move(ev));
}

bool SlurmPilotService::end_from_state(const std::string& id) {
  Trial& t = trials_.at(id);
  const std::optional<ExitState> state = read_exit_state(t.spec.trial_dir);
  if (!state || (state->code >= 128 && !t.cancel)) return false;
  if (!t.started) {  // ended between two looks
    t.started = true;
    ready_.push_back(started_event(id, ""));
  }
  end_trial(id, exit_state_event(id, *state));
  return true;
}

void SlurmPilotService::lost(std::string id, const std::string& why) {
  auto it = trials_.find(id);
  if (it == trials_.end() || end_from_state(id)) return;
  Trial& t = it->second;
  const bool ran = t.started;
  if (t.cancel) {
    end_trial(id, ended_event(id, *t.cancel, std::nullopt, 0, "cancelled"));
    return;
  }
  if (ran && t.restarts >= options_.pilot.max_restarts) {
    end_trial(
        id, ended_event(id, TrialStatus::kFailed, std::nullopt, 0,
                        why + "; lost " + std::to_string(t.restarts + 1) +
                            " times (pilot.maxRestarts " +
                            std::to_string(options_.pilot.max_restarts) + ")"));
    return;
  }
  if (t.worker >= 0) {
    auto w = workers_.find(t.worker);
    if (w != workers_.end() && w->second.slots[t.slot] == id)
      w->second.slots[t.slot] = "";
  }
  t.worker = t.slot = -1;
  if (ran) {
    ++t.restarts;
    log_warning("archer", "trial " + id + ": " + why +
                              "; it starts again in its directory (restart " +
                              std::to_string(t.restarts) + " of at most " +
                              std::to_string(options_.pilot.max_restarts) +
                              ")");
  }
  queue_.push_front(id);
}

void SlurmPilotService::tick() {
  for (auto& [n, w] : workers_) {
    if (w.gone) continue;
    if (!w.ready) {
      const std::string ready = read_small(w.dir, "ready");
      if (!ready.empty()) {
        w.ready = true;
        failures_ = 0;
        w.ready_ms = std::atoll(ready.c_str());
        if (w.ready_ms <= 0) w.ready_ms = now_ms();
        const size_t sp = ready.find(' ');
        if (sp != std::string::npos)
          w.host = ready.substr(sp + 1, ready.find(' ', sp + 1) - sp - 1);
      }
    }
    if (w.ready && exists(w.dir + "/gone")) {
      worker_ended(n, first_line(read_small(w.dir, "gone")));
      continue;
    }
    for (size_t s = 0; s < w.slots.size(); ++s) {
      const std::string id = w.slots[s];
      if (id.empty()) continue;
      Trial& t = trials_.at(id);
      if (end_from_state(id)) continue;
      const std::string slot = w.dir + "/s" + std::to_string(s);
      const std::string run =
          first_line(read_small(w.dir, "s" + std::to_string(s) + ".run"));
      if (!t.started) {
        if (run == t.spec.trial_dir) {
          t.started = true;
          t.start_ms = now_ms();
          ready_.push_back(
              started_event(id, w.job + " slot " + std::to_string(s) +
                                    (w.host.empty() ? "" : " on " + w.host)));
        }
      } else if (run != t.spec.trial_dir && !exists(slot + ".assign")) {
        // The worker let it go without an exit state: a signal ended it.
        if (end_from_state(id)) continue;
        if (t.cancel) {
          end_trial(id,
                    ended_event(id, *t.cancel, std::nullopt, 0, "cancelled"));
        } else {
          end_trial(id, ended_event(id, TrialStatus::kFailed, std::nullopt, 0,
                                    "ended without an exit state (killed by "
                                    "a signal?) in worker job " +
                                        w.job));
        }
      }
    }
  }
}

Status SlurmPilotService::cancel(const std::string& trial_id,
                                 TrialStatus status) {
  auto it = trials_.find(trial_id);
  if (it == trials_.end())
    return Status::not_found("trial '" + trial_id + "' is not running");
  Trial& t = it->second;
  if (t.cancel) return Status::ok();
  t.cancel = status;
  if (t.worker < 0) {  // still queued
    end_trial(trial_id,
              ended_event(trial_id, status, std::nullopt, 0, "cancelled"));
    return Status::ok();
  }
  const Worker& w = workers_.at(t.worker);
  const std::string slot = w.dir + "/s" + std::to_string(t.slot);
  // Not taken yet: withdrawn (the rename fails once the worker took it).
  if (!t.started && std::rename((slot + ".assign").c_str(),
                                (slot + ".withdrawn").c_str()) == 0) {
    end_trial(trial_id,
              ended_event(trial_id, status, std::nullopt, 0, "cancelled"));
    return Status::ok();
  }
  return write_text_file(slot + ".cancel",
                         std::to_string(options_.kill_grace.count()) + "\n");
}

Status SlurmPilotService::adopt(const TrialSpec& spec, const std::string&) {
  if (!discovered_) discover();
  Trial t;
  t.spec = spec;
  t.started = true;  // its start (if any) was stored before
  t.start_ms = now_ms();
  t.reader = std::make_unique<MetricFileReader>(spec.trial_dir, ".nni/metrics");
  trials_.emplace(spec.trial_id, std::move(t));
  Trial& adopted = trials_.at(spec.trial_id);
  for (auto& [n, w] : workers_) {
    if (w.gone) continue;
    for (size_t s = 0; s < w.slots.size(); ++s) {
      const std::string base = "s" + std::to_string(s);
      if (same_dir(first_line(read_small(w.dir, base + ".run")),
                   spec.trial_dir) ||
          same_dir(first_line(read_small(w.dir, base + ".assign")),
                   spec.trial_dir)) {
        adopted.worker = n;
        adopted.slot = static_cast<int>(s);
        w.slots[s] = spec.trial_id;
        // Its worker is ready (it took trials); its start is on disk.
        const std::string ready = read_small(w.dir, "ready");
        w.ready = !ready.empty();
        w.ready_ms = std::atoll(ready.c_str());
        return Status::ok();
      }
    }
  }
  // On no worker: ended (its exit state), or back to the queue.
  if (!end_from_state(spec.trial_id)) queue_.push_back(spec.trial_id);
  return Status::ok();
}

StatusOr<std::vector<TrialEvent>> SlurmPilotService::poll(
    std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  const auto interval = std::chrono::milliseconds(
      static_cast<long long>(options_.slurm.poll_interval * 1000));
  while (true) {
    worker_->run_completions();
    auto now = Clock::now();
    if (now >= next_tick_) {
      tick();
      dispatch();
      ensure_workers();
      next_tick_ = now + kTick;
    }
    if (now >= next_metrics_) {
      for (auto& [id, t] : trials_) {
        if (t.started) read_metric_events(*t.reader, id, &ready_);
      }
      next_metrics_ = now + interval;
    }
    if (now >= next_query_ && !querying_) {
      query_workers();
      next_query_ = now + interval;
    }
    now = Clock::now();
    if (!ready_.empty() || now >= deadline || fd_readable(wake_fd_)) break;
    wait_readable({worker_->fd(), wake_fd_}, std::min(next_tick_, deadline));
  }
  return take_events(ready_);
}

}  // namespace archer
