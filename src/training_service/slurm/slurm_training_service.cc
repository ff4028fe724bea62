#include "training_service/slurm/slurm_training_service.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "common/log.h"
#include "common/subprocess.h"
#include "common/time_util.h"
#include "training_service/code_files.h"
#include "training_service/max_parallel.h"
#include "training_service/metric_events.h"
#include "training_service/run_script.h"

namespace archer {

namespace fs = std::filesystem;

namespace {

Status write_file(const std::string& path, const std::string& text,
                  fs::perms perms = fs::perms::owner_read |
                                    fs::perms::owner_write |
                                    fs::perms::group_read |
                                    fs::perms::others_read) {
  {
    std::ofstream out(path, std::ios::trunc);
    out << text;
    if (!out) return Status::io_error(path + ": cannot write");
  }
  std::error_code ec;
  fs::permissions(path, perms, ec);
  return Status::ok();
}

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

}  // namespace

SlurmTrainingService::SlurmTrainingService(Options options)
    : options_(std::move(options)) {}

int SlurmTrainingService::free_slots() const {
  return std::max(0, options_.max_parallel - static_cast<int>(trials_.size()));
}

Status SlurmTrainingService::set_max_parallel(int max_parallel) {
  Status st = check_max_parallel(max_parallel);
  if (st.is_ok()) options_.max_parallel = max_parallel;
  return st;
}

std::vector<std::string> SlurmTrainingService::sbatch_command(
    const TrialSpec& spec) const {
  const auto& s = options_.slurm;
  std::vector<std::string> argv = {
      "sbatch", "--parsable",
      "--job-name=archer-" + options_.experiment_id + "-" + spec.trial_id,
      "--output=" + spec.trial_dir + "/slurm.out", "--chdir=" + spec.trial_dir};
  if (!s.partition.empty()) argv.push_back("--partition=" + s.partition);
  if (!s.account.empty()) argv.push_back("--account=" + s.account);
  if (!s.time_limit.empty()) argv.push_back("--time=" + s.time_limit);
  if (s.cpus) argv.push_back("--cpus-per-task=" + std::to_string(*s.cpus));
  if (!s.memory.empty()) argv.push_back("--mem=" + s.memory);
  if (s.gpus && *s.gpus > 0)
    argv.push_back("--gpus=" + std::to_string(*s.gpus));
  argv.push_back(s.requeue ? "--requeue" : "--no-requeue");
  for (const auto& o : s.sbatch_options) argv.push_back(o);
  argv.push_back(spec.trial_dir + "/run.sh");
  return argv;
}

Status SlurmTrainingService::submit(const TrialSpec& requested) {
  if (trials_.count(requested.trial_id)) {
    return Status::invalid_argument("trial '" + requested.trial_id +
                                    "' is already running");
  }
  TrialSpec spec = requested;
  if (options_.slurm.cpus)
    spec.env["OMP_NUM_THREADS"] = std::to_string(*options_.slurm.cpus);
  if (options_.slurm.gpus && *options_.slurm.gpus > 0)
    spec.env.erase("CUDA_VISIBLE_DEVICES");  // Slurm sets it for its GPUs
  if (!options_.slurm.shared_directory.empty()) {
    Status placed = place_on_shared_directory(spec);
    if (!placed.is_ok()) return placed;
  }
  std::error_code ec;
  fs::create_directories(spec.trial_dir + "/.nni", ec);
  if (ec) {
    return Status::io_error(spec.trial_dir +
                            "/.nni: cannot create: " + ec.message());
  }
  Status st = write_file(spec.trial_dir + "/.nni/metrics", "");
  if (st.is_ok())
    st = write_file(spec.trial_dir + "/parameter.cfg", spec.parameter_record);
  if (st.is_ok()) {
    st = write_file(spec.trial_dir + "/run.sh", local_run_script(spec, "slurm"),
                    fs::perms::owner_all | fs::perms::group_read |
                        fs::perms::group_exec | fs::perms::others_read |
                        fs::perms::others_exec);
  }
  if (!st.is_ok()) return st;
  auto r = run_process(sbatch_command(spec), options_.env, "",
                       std::chrono::seconds(60));
  if (!r.is_ok()) return r.status();
  const std::string out = trim(r.value().out);
  if (r.value().exit_code != 0 || out.empty()) {
    return Status::io_error("sbatch failed for trial " + spec.trial_id + ": " +
                            trim(r.value().err));
  }
  Trial t;
  t.spec = spec;
  t.job = out.substr(0, out.find(';'));  // "<id>[;cluster]"
  t.reader = std::make_unique<MetricFileReader>(spec.trial_dir, ".nni/metrics");
  write_file(spec.trial_dir + "/.nni/jobid", t.job + "\n");
  trials_.emplace(spec.trial_id, std::move(t));
  next_refresh_ = {};  // ask about it soon
  return Status::ok();
}

Status SlurmTrainingService::place_on_shared_directory(TrialSpec& spec) {
  const std::string root =
      options_.slurm.shared_directory + "/" + options_.experiment_id;
  if (shared_code_.empty()) {
    auto copied = copy_code(spec.code_dir, root);
    if (!copied.is_ok())
      return copied.status().with_context("trainingService.sharedDirectory");
    shared_code_ = copied.value();
  }
  const std::string real = root + "/trials/" + spec.trial_id;
  std::error_code ec;
  fs::create_directories(real, ec);
  if (!ec) fs::create_directories(fs::path(spec.trial_dir).parent_path(), ec);
  if (!ec) {
    fs::remove(spec.trial_dir, ec);  // an empty directory left by a retry
    fs::create_directory_symlink(real, spec.trial_dir, ec);
  }
  if (ec) {
    return Status::io_error(
        "trainingService.sharedDirectory: cannot place "
        "trial " +
        spec.trial_id + " in " + real + ": " + ec.message());
  }
  spec.trial_dir = real;
  spec.code_dir = shared_code_;
  return Status::ok();
}

Status SlurmTrainingService::adopt(const TrialSpec& spec,
                                   const std::string& handle) {
  std::string job = handle;
  if (job.empty()) {
    job = read_trial_word(spec.trial_dir, ".nni/jobid");
  }
  Trial t;
  t.spec = spec;
  t.job = job;
  t.started = true;  // its start (if any) was stored before
  t.reader = std::make_unique<MetricFileReader>(spec.trial_dir, ".nni/metrics");
  trials_.emplace(spec.trial_id, std::move(t));
  if (job.empty()) finish(spec.trial_id);
  return Status::ok();
}

Status SlurmTrainingService::cancel(const std::string& trial_id,
                                    const std::string& status) {
  auto it = trials_.find(trial_id);
  if (it == trials_.end())
    return Status::not_found("trial '" + trial_id + "' is not running");
  if (!it->second.cancel_status.empty()) return Status::ok();
  it->second.cancel_status = status;
  auto r = run_process({"scancel", it->second.job}, options_.env, "",
                       std::chrono::seconds(30));
  if (!r.is_ok()) return r.status();
  if (r.value().exit_code != 0)
    return Status::io_error("scancel " + it->second.job + ": " +
                            trim(r.value().err));
  next_refresh_ = {};
  return Status::ok();
}

void SlurmTrainingService::mark_started(const std::string& trial_id, Trial& t) {
  if (t.started) return;
  t.started = true;
  TrialEvent ev;
  ev.kind = TrialEvent::Kind::kStarted;
  ev.trial_id = trial_id;
  ev.time_ms = now_ms();
  ev.handle = t.job;
  ready_.push_back(std::move(ev));
}

void SlurmTrainingService::read_metrics(Trial& t, bool ended) {
  read_metric_events(*t.reader, t.spec.trial_id, &ready_, ended);
}

// The job's state from scontrol (or sacct once scontrol forgot it).
std::string SlurmTrainingService::job_state(const std::string& job,
                                            std::string* reason) {
  auto r = run_process({"scontrol", "show", "job", job}, options_.env, "",
                       std::chrono::seconds(30));
  if (r.is_ok() && r.value().exit_code == 0) {
    const std::string& out = r.value().out;
    auto field = [&](const std::string& key) {
      size_t p = out.find(key + "=");
      if (p == std::string::npos) return std::string();
      p += key.size() + 1;
      return out.substr(p, out.find_first_of(" \n", p) - p);
    };
    *reason = field("Reason");
    return field("JobState");
  }
  auto acct = run_process({"sacct", "-n", "-X", "-P", "-o", "State", "-j", job},
                          options_.env, "", std::chrono::seconds(30));
  if (acct.is_ok() && acct.value().exit_code == 0) {
    std::string state = trim(acct.value().out);
    return state.substr(0, state.find(' '));
  }
  return "";
}

void SlurmTrainingService::finish(const std::string& trial_id) {
  auto it = trials_.find(trial_id);
  if (it == trials_.end()) return;
  Trial& t = it->second;
  read_metrics(t, true);
  TrialEvent ev;
  ev.kind = TrialEvent::Kind::kEnded;
  ev.trial_id = trial_id;
  ev.time_ms = now_ms();
  const std::optional<ExitState> state = read_exit_state(t.spec.trial_dir);
  const bool have_state = state.has_value();
  const long long code = state ? state->code : -1;
  const long long ms = state ? state->time_ms : 0;
  // A job killed by a signal (scancel's SIGTERM) may still have written its
  // state (exit code 128 + signal): Slurm then says whether it was cancelled.
  std::string reason, job_state_name;
  const bool by_signal = have_state && code >= 128;
  if ((!have_state || by_signal) && !t.job.empty())
    job_state_name = job_state(t.job, &reason);
  const bool cancelled = job_state_name.rfind("CANCELLED", 0) == 0;
  if (have_state && !(by_signal && cancelled)) {
    ev.exit_code = static_cast<int>(code);
    if (ms > 0) ev.time_ms = ms;
    ev.status = code == 0 ? "SUCCEEDED" : "FAILED";
    if (code != 0) ev.message = "exit code " + std::to_string(code);
  } else {
    if (have_state) ev.exit_code = static_cast<int>(code);
    const std::string job = "Slurm job " + t.job;
    if (cancelled) {
      ev.status = t.cancel_status.empty() ? "SYS_CANCELED" : t.cancel_status;
      ev.message = t.cancel_status.empty()
                       ? job + " was cancelled outside Archer (scancel)"
                       : "cancelled";
    } else if (job_state_name == "TIMEOUT") {
      ev.status = "FAILED";
      ev.message = job + " hit its time limit (TIMEOUT)";
    } else if (job_state_name == "OUT_OF_MEMORY") {
      ev.status = "FAILED";
      ev.message = job + " ran out of memory (OUT_OF_MEMORY)";
    } else if (job_state_name.empty()) {
      ev.status = "SYS_CANCELED";
      ev.message = t.job.empty() ? "no Slurm job id was recorded"
                                 : job + " is unknown to Slurm";
    } else {
      ev.status = t.cancel_status.empty() ? "SYS_CANCELED" : t.cancel_status;
      ev.message =
          job + " ended " + job_state_name +
          (reason.empty() || reason == "None" ? "" : " (" + reason + ")") +
          " without an exit state";
    }
  }
  trials_.erase(it);
  ready_.push_back(std::move(ev));
}

void SlurmTrainingService::refresh() {
  // A trial whose run.sh wrote its exit state has ended, even while Slurm is
  // still completing its job: no need to wait for the queue.
  std::vector<std::string> done;
  for (auto& [id, t] : trials_) {
    if (t.cancel_status.empty() && fs::exists(t.spec.trial_dir + "/.nni/state"))
      done.push_back(id);
  }
  for (const auto& id : done) {
    Trial& t = trials_.at(id);
    mark_started(id, t);
    finish(id);
  }
  if (trials_.empty()) return;
  std::string jobs;
  for (const auto& [id, t] : trials_) jobs += (jobs.empty() ? "" : ",") + t.job;
  auto r = run_process({"squeue", "--noheader", "--format=%i %T %r",
                        "--states=all", "--jobs=" + jobs},
                       options_.env, "", std::chrono::seconds(30));
  if (!r.is_ok() || r.value().exit_code != 0) {
    // slurmctld away (restarting?): keep what we know, ask again later.
    if (!controller_warned_) {
      log_warning("archer",
                  "squeue failed (" +
                      (r.is_ok() ? trim(r.value().err) : r.status().message()) +
                      "); jobs keep their state, retrying");
      controller_warned_ = true;
    }
    return;
  }
  controller_warned_ = false;
  std::map<std::string, std::pair<std::string, std::string>> state;
  std::istringstream lines(r.value().out);
  std::string line;
  while (std::getline(lines, line)) {
    std::istringstream f(line);
    std::string id, st, reason;
    f >> id >> st;
    std::getline(f, reason);
    state[id] = {st, trim(reason.empty() ? reason : reason.substr(1))};
  }
  std::vector<std::string> ended;
  for (auto& [id, t] : trials_) {
    auto s = state.find(t.job);
    const std::string st = s == state.end() ? "" : s->second.first;
    // Started, or already past it (a short job can end between two looks).
    const bool waiting = st == "PENDING" || st == "CONFIGURING" ||
                         st == "REQUEUED" || st == "REQUEUE_HOLD" ||
                         st == "REQUEUE_FED" || st == "SUSPENDED";
    if (!waiting) mark_started(id, t);
    if ((st == "PREEMPTED" || st == "NODE_FAIL" || st == "BOOT_FAIL") &&
        options_.slurm.requeue && !t.requeued &&
        !fs::exists(t.spec.trial_dir + "/.nni/state")) {
      auto rq = run_process({"scontrol", "requeue", t.job}, options_.env, "",
                            std::chrono::seconds(30));
      if (rq.is_ok() && rq.value().exit_code == 0) {
        log_warning("archer", "trial " + id + ": Slurm job " + t.job + " " +
                                  st + ", requeued once");
        t.requeued = true;
        continue;
      }
    }
    read_metrics(t);
    const bool pending_or_running =
        st == "PENDING" || st == "RUNNING" || st == "CONFIGURING" ||
        st == "COMPLETING" || st == "REQUEUED" || st == "RESIZING" ||
        st == "SUSPENDED" || st == "REQUEUE_HOLD" || st == "REQUEUE_FED";
    if (!pending_or_running) ended.push_back(id);
  }
  for (const auto& id : ended) finish(id);
}

std::vector<TrialEvent> SlurmTrainingService::poll(
    std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  const auto interval = std::chrono::milliseconds(
      static_cast<long long>(options_.slurm.poll_interval * 1000));
  while (true) {
    auto now = std::chrono::steady_clock::now();
    if (now >= next_refresh_) {
      refresh();
      next_refresh_ = std::chrono::steady_clock::now() + interval;
    }
    now = std::chrono::steady_clock::now();
    if (!ready_.empty() || now >= deadline) break;
    std::this_thread::sleep_for(std::min(
        std::chrono::duration_cast<std::chrono::milliseconds>(next_refresh_ -
                                                              now),
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now)));
  }
  std::vector<TrialEvent> out(ready_.begin(), ready_.end());
  ready_.clear();
  return out;
}

}  // namespace archer
