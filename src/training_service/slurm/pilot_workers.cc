// SlurmPilotService's workers (pilot_service.h): their sbatch, the files
// that say they run or left, squeue about them, their loss and failures,
// finding them again after a manager restart, and giving them back.
#include <algorithm>
#include <filesystem>
#include <thread>

#include "common/log.h"
#include "common/subprocess.h"
#include "training_service/slurm/pilot_files.h"
#include "training_service/slurm/pilot_service.h"
#include "training_service/slurm/pilot_worker.h"
#include "training_service/trial_files.h"

namespace archer {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using namespace pilot_files;

namespace {
constexpr int kGiveUpAfter = 3;  // worker failures in a row
}  // namespace

std::vector<std::string> SlurmPilotService::worker_command(int first,
                                                           int count) const {
  const auto& s = options_.slurm;
  const auto& p = options_.pilot;
  const std::string& root = options_.pilot_dir;
  std::vector<std::string> argv = {
      "sbatch",
      "--parsable",
      "--job-name=archer-" + options_.experiment_id + "-pilot",
      "--output=" + root + "/w" + std::to_string(first) + "+%a.out",
      "--chdir=" + root,
      "--array=0-" + std::to_string(count - 1),
      "--no-requeue"};  // a lost worker is replaced, not requeued
  if (!s.partition.empty()) argv.push_back("--partition=" + s.partition);
  if (!s.account.empty()) argv.push_back("--account=" + s.account);
  const std::string limit = p.time_limit.empty() ? s.time_limit : p.time_limit;
  if (!limit.empty()) argv.push_back("--time=" + limit);
  if (p.cpus) argv.push_back("--cpus-per-task=" + std::to_string(*p.cpus));
  if (!p.memory.empty()) argv.push_back("--mem=" + p.memory);
  if (p.gpus && *p.gpus > 0)
    argv.push_back("--gpus=" + std::to_string(*p.gpus));
  for (const auto& o : s.sbatch_options) argv.push_back(o);
  const int gpt = s.gpus.value_or(0);
  argv.insert(argv.end(),
              {root + "/worker.sh", root, std::to_string(first),
               std::to_string(p.slots), std::to_string(gpt),
               std::to_string(static_cast<long long>(p.idle_timeout + 0.5))});
  return argv;
}

void SlurmPilotService::ensure_workers() {
  if (submitting_) return;
  int live = 0;
  for (const auto& [n, w] : workers_) live += !w.gone && !w.releasing;
  const int slots = std::max(1, options_.pilot.slots);
  int needed = static_cast<int>((trials_.size() + slots - 1) / slots);
  needed = std::min(needed, options_.pilot.workers);
  if (options_.slurm.max_jobs)
    needed = std::min(needed, *options_.slurm.max_jobs);
  const int count = needed - live;
  if (count <= 0 || queue_.empty()) return;
  const std::string& root = options_.pilot_dir;
  if (!script_written_) {
    std::error_code ec;
    fs::create_directories(root, ec);
    Status st =
        ec ? Status::io_error(root + ": " + ec.message())
           : write_text_file(root + "/worker.sh",
                             pilot_worker_script(options_.pilot.prelude), 0755);
    if (!st.is_ok()) {
      worker_failed(-1, "slurm pilot: " + st.message());
      return;
    }
    script_written_ = true;
  }
  const int first = next_worker_;
  next_worker_ += count;
  for (int i = 0; i < count; ++i) {
    Worker w;
    w.dir = root + "/w" + std::to_string(first + i);
    w.out = "w" + std::to_string(first) + "+" + std::to_string(i) + ".out";
    w.slots.assign(slots, "");
    w.submitted_at = Clock::now();
    std::error_code ec;
    fs::create_directories(w.dir, ec);
    workers_[first + i] = std::move(w);
  }
  submitting_ = true;
  ++submissions_;
  const auto argv = worker_command(first, count);
  const auto env = options_.env;
  const auto at = std::max(Clock::now(), next_submit_);
  next_submit_ = at + std::chrono::microseconds(static_cast<long long>(
                          options_.slurm.submit_interval * 1e6));
  worker_->post([this, argv, env, at, first,
                 count]() -> BackgroundWorker::Completion {
    std::this_thread::sleep_until(at);
    StatusOr<std::string> job =
        run_sbatch(argv, env, std::to_string(count) + " pilot worker(s)");
    return [this, first, count, job] { worker_submitted(first, count, job); };
  });
}

void SlurmPilotService::worker_submitted(int first, int count,
                                         const StatusOr<std::string>& job) {
  submitting_ = false;
  for (int i = 0; i < count; ++i) {
    auto it = workers_.find(first + i);
    if (it == workers_.end()) continue;
    Worker& w = it->second;
    if (!job.is_ok()) {
      w.gone = true;
      continue;
    }
    w.job = job.value() + "_" + std::to_string(i);
    (void)write_text_file(w.dir + "/jobid", w.job + "\n");
    if (w.releasing) scancel(w.job);
  }
  if (!job.is_ok()) worker_failed(-1, job.status().message());
  next_query_ = {};
}

void SlurmPilotService::worker_failed(int number, const std::string& why) {
  failure_ = why;
  log_warning("archer", why);
  if (number >= 0) {
    Worker& w = workers_.at(number);
    w.gone = true;
    if (!w.job.empty()) scancel(w.job);
    const std::vector<std::string> ids = w.slots;  // lost() frees them
    for (const auto& id : ids) {
      if (!id.empty()) lost(id, why);
    }
  }
  if (++failures_ < kGiveUpAfter && number >= 0) return;
  // No worker can start: what waits for one fails, saying why.
  failures_ = 0;
  std::deque<std::string> waiting;
  waiting.swap(queue_);
  for (const auto& id : waiting) {
    TrialEvent ev = ended_event(id, TrialStatus::kFailed, std::nullopt, 0, why);
    ev.start_failed = !trials_.at(id).started;
    end_trial(id, std::move(ev));
  }
}

void SlurmPilotService::worker_ended(int number, const std::string& why) {
  Worker& w = workers_.at(number);
  if (w.gone) return;
  w.gone = true;
  if (!w.ready && !w.releasing) {
    const std::string out = last_line(read_small(options_.pilot_dir, w.out));
    worker_failed(number, "slurm pilot: worker job " + w.job +
                              " ended before it started (" + why + ")" +
                              (out.empty() ? "" : ": " + out));
    return;
  }
  const std::string what =
      why == "stopped" ? "was stopped (scancel, preemption or its time limit)"
                       : "ended (" + why + ")";
  const std::vector<std::string> ids = w.slots;  // lost() frees them
  for (const auto& id : ids) {
    if (!id.empty()) lost(id, "worker job " + w.job + " " + what);
  }
}

void SlurmPilotService::query_workers() {
  std::vector<std::pair<int, std::string>> jobs;
  for (const auto& [n, w] : workers_) {
    if (!w.gone && !w.job.empty()) jobs.push_back({n, w.job});
  }
  if (jobs.empty()) return;
  querying_ = true;
  const auto env = options_.env;
  worker_->post([this, jobs, env]() -> BackgroundWorker::Completion {
    std::vector<std::string> ids;
    for (const auto& j : jobs) ids.push_back(j.second);
    auto states = squeue_states(ids, env);
    // Why each worker that left the queue ended.
    std::map<int, std::string> ended;
    if (states.is_ok()) {
      for (const auto& [n, job] : jobs) {
        auto s = states.value().find(job);
        if (s != states.value().end() && slurm_live(s->second.state)) continue;
        std::string reason;
        std::string state = slurm_final_state(job, env, &reason);
        if (state.empty()) state = "unknown to Slurm";
        ended[n] =
            state + (reason.empty() || reason == "None" ? "" : " " + reason);
      }
    }
    auto shared = std::make_shared<decltype(states)>(std::move(states));
    return [this, jobs, shared, ended] {
      querying_ = false;
      if (!shared->is_ok()) return;  // slurmctld away: keep what we know
      // Trials that ended just before their worker end from their state,
      // not as lost: one look at the files first.
      if (!ended.empty()) tick();
      for (const auto& [n, job] : jobs) {
        auto w = workers_.find(n);
        if (w == workers_.end() || w->second.gone) continue;
        auto e = ended.find(n);
        if (e != ended.end()) {
          worker_ended(n, e->second);
          continue;
        }
        const SlurmJobState& js = shared->value().at(job);
        Worker& wk = w->second;
        const double waited =
            std::chrono::duration<double>(Clock::now() - wk.submitted_at)
                .count();
        if (slurm_waiting(js.state)) {
          if (!wk.pending_warned && waited > options_.pilot.start_timeout) {
            wk.pending_warned = true;
            log_warning("archer", "slurm pilot: worker job " + job +
                                      " is still pending (" + js.reason +
                                      "); its trials wait");
          }
          continue;
        }
        if (wk.ready) continue;
        if (!wk.running_since) wk.running_since = Clock::now();
        const double running =
            std::chrono::duration<double>(Clock::now() - *wk.running_since)
                .count();
        if (running > options_.pilot.start_timeout) {
          const std::string out =
              last_line(read_small(options_.pilot_dir, wk.out));
          worker_failed(n, "slurm pilot: worker job " + job +
                               " runs but did not start within " +
                               std::to_string(static_cast<int>(
                                   options_.pilot.start_timeout)) +
                               "s" + (out.empty() ? "" : ": " + out));
        }
      }
    };
  });
}

void SlurmPilotService::discover() {
  discovered_ = true;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(options_.pilot_dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.size() < 2 || name[0] != 'w' || !entry.is_directory(ec) ||
        name.find_first_not_of("0123456789", 1) != std::string::npos)
      continue;
    const int n = std::atoi(name.c_str() + 1);
    next_worker_ = std::max(next_worker_, n + 1);
    Worker w;
    w.dir = entry.path().string();
    w.job = first_line(read_small(w.dir, "jobid"));
    w.gone = w.job.empty() || exists(w.dir + "/gone");
    w.submitted_at = Clock::now();
    w.slots.assign(std::max(1, options_.pilot.slots), "");
    workers_[n] = std::move(w);
  }
  script_written_ = exists(options_.pilot_dir + "/worker.sh");
  next_query_ = {};
}

void SlurmPilotService::scancel(const std::string& job) {
  if (job.empty()) return;
  worker_->post(scancel_job(job, options_.env));
}

void SlurmPilotService::release() {
  std::vector<std::string> jobs = {"scancel"};
  for (auto& [n, w] : workers_) {
    if (w.gone) continue;
    (void)write_text_file(w.dir + "/stop", "\n");
    if (!w.job.empty()) jobs.push_back(w.job);
    w.releasing = true;
    w.gone = true;
  }
  // Now, not on the worker: the manager may exit right after.
  if (jobs.size() > 1) {
    auto r = run_process(jobs, options_.env, "", std::chrono::seconds(10));
    if (!r.is_ok() || r.value().exit_code != 0)
      log_warning("archer", "slurm pilot: scancel of the workers: " +
                                (r.is_ok() ? trim_right(r.value().err)
                                           : r.status().message()));
  }
}

}  // namespace archer
