#include "training_service/slurm/slurm_training_service.h"

#include <poll.h>

#include <algorithm>
#include <cstdlib>
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
#include "training_service/slurm/slurm_jobs.h"
#include "training_service/trial_files.h"

namespace archer {

namespace fs = std::filesystem;

Status place_on_shared_directory(const std::string& root,
                                 std::string* shared_code, TrialSpec& spec) {
  if (shared_code->empty()) {
    auto copied = copy_code(spec.code_dir, root);
    if (!copied.is_ok())
      return copied.status().with_context("trainingService.sharedDirectory");
    *shared_code = copied.value();
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
  spec.code_dir = *shared_code;
  return Status::ok();
}

Status write_slurm_trial(const SlurmOptions& slurm,
                         const std::string& experiment_id,
                         const std::string& threads, std::string* shared_code,
                         TrialSpec& spec) {
  if (slurm.cpus)  // the trial's CPUs
    set_trial_threads(spec, static_cast<unsigned>(*slurm.cpus), 1);
  if (slurm.gpus && *slurm.gpus > 0)
    spec.env.erase("CUDA_VISIBLE_DEVICES");  // Slurm (or the worker) sets it
  if (!slurm.shared_directory.empty()) {
    Status placed = place_on_shared_directory(
        slurm.shared_directory + "/" + experiment_id, shared_code, spec);
    if (!placed.is_ok()) return placed;
  }
  RunScriptOptions script;
  script.platform = "slurm";
  if (!spec.env.count("OMP_NUM_THREADS") && !std::getenv("OMP_NUM_THREADS"))
    script.raw_exports = {"OMP_NUM_THREADS=\"" + threads + "\""};
  else if (!spec.env.count("OMP_NUM_THREADS"))
    spec.env["OMP_NUM_THREADS"] = std::getenv("OMP_NUM_THREADS");
  return write_trial_directory(spec.trial_dir, spec.parameter_record,
                               run_script(spec, script));
}

SlurmTrainingService::SlurmTrainingService(Options options)
    : options_(std::move(options)),
      worker_(std::make_unique<BackgroundWorker>()) {}

SlurmTrainingService::~SlurmTrainingService() { worker_.reset(); }

int SlurmTrainingService::free_slots() const {
  int cap = options_.max_parallel;
  if (options_.slurm.max_jobs) cap = std::min(cap, *options_.slurm.max_jobs);
  return std::max(0, cap - static_cast<int>(trials_.size()));
}

std::optional<int> association_max_submit_jobs(
    const std::map<std::string, std::string>& env) {
  const char* user = std::getenv("USER");
  auto r = run_process(
      {"sacctmgr", "-nP", "show", "assoc",
       std::string("where user=") + (user ? user : "root"), "format=MaxSubmit"},
      env, "", std::chrono::seconds(5));
  if (!r.is_ok() || r.value().exit_code != 0) return std::nullopt;
  std::optional<int> least;
  std::istringstream lines(r.value().out);
  for (std::string line; std::getline(lines, line);) {
    char* end = nullptr;
    const long n = std::strtol(line.c_str(), &end, 10);
    if (end != line.c_str() && n > 0 && n < (1L << 30))
      least =
          std::min(least.value_or(static_cast<int>(n)), static_cast<int>(n));
  }
  return least;
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
  // Without cpusPerTrial the node decides: the CPUs Slurm gave the job.
  Status st = write_slurm_trial(
      options_.slurm, options_.experiment_id,
      "${SLURM_CPUS_PER_TASK:-${SLURM_CPUS_ON_NODE:-1}}", &shared_code_, spec);
  if (!st.is_ok()) return st;
  Trial t;
  t.spec = spec;
  t.submitting = true;
  t.reader = std::make_unique<MetricFileReader>(spec.trial_dir, ".nni/metrics");
  trials_.emplace(spec.trial_id, std::move(t));
  // sbatch comes at the next poll(): the trials submitted together (the
  // initial population, a concurrency increase) go in one job array.
  batch_.push_back(spec.trial_id);
  return Status::ok();
}

std::vector<std::string> SlurmTrainingService::array_command(
    const std::vector<std::string>& trial_ids, const std::string& script,
    const std::string& output) const {
  // The first trial's options, its name and paths replaced by the array's.
  std::vector<std::string> argv = sbatch_command(trials_.at(trial_ids[0]).spec);
  argv[2] = "--job-name=archer-" + options_.experiment_id + "-array";
  argv[3] = "--output=" + output;
  argv[4] = "--chdir=" + fs::path(script).parent_path().string();
  argv.insert(argv.begin() + 5,
              "--array=0-" + std::to_string(trial_ids.size() - 1));
  argv.back() = script;
  return argv;
}

void SlurmTrainingService::submit_batch() {
  std::vector<std::string> ids;
  for (const auto& id : batch_) {
    if (trials_.count(id)) ids.push_back(id);
  }
  batch_.clear();
  if (ids.empty()) return;
  if (ids.size() == 1 || !options_.slurm.arrays) {
    for (const auto& id : ids)
      post_sbatch({id}, sbatch_command(trials_.at(id).spec));
    return;
  }
  // One array: element i runs trial ids[i]'s run.sh, its output in the
  // trial's slurm.out as a single job's would be.
  const fs::path dir =
      fs::path(trials_.at(ids[0]).spec.trial_dir).parent_path().parent_path() /
      "slurm-arrays";
  const std::string name = std::to_string(++arrays_) + "-" + ids[0];
  std::string script = "#!/bin/bash\ndirs=(";
  for (const auto& id : ids)
    script += " " + shell_quote(trials_.at(id).spec.trial_dir);
  script +=
      " )\nd=${dirs[$SLURM_ARRAY_TASK_ID]}\ncd \"$d\" || exit 127\n"
      "exec bash \"$d/run.sh\" >\"$d/slurm.out\" 2>&1\n";
  std::error_code ec;
  fs::create_directories(dir, ec);
  const std::string path = (dir / (name + ".sh")).string();
  Status st = ec ? Status::io_error(dir.string() + ": " + ec.message())
                 : write_text_file(path, script, 0755);
  if (!st.is_ok()) {
    for (const auto& id : ids) submitted(id, st);
    return;
  }
  post_sbatch(ids,
              array_command(ids, path, (dir / (name + "_%a.out")).string()));
}

void SlurmTrainingService::post_sbatch(const std::vector<std::string>& ids,
                                       const std::vector<std::string>& argv) {
  const auto env = options_.env;
  // Paced: at least submitInterval between two sbatch calls.
  const auto now = std::chrono::steady_clock::now();
  const auto at = std::max(now, next_submit_);
  next_submit_ = at + std::chrono::microseconds(static_cast<long long>(
                          options_.slurm.submit_interval * 1e6));
  ++submissions_;
  const std::string what =
      ids.size() == 1 ? "trial " + ids[0]
                      : std::to_string(ids.size()) + " trials (an array)";
  worker_->post(
      [this, argv, env, ids, what, at]() -> BackgroundWorker::Completion {
        std::this_thread::sleep_until(at);
        StatusOr<std::string> job = run_sbatch(argv, env, what);
        return [this, ids, job] {
          for (size_t i = 0; i < ids.size(); ++i) {
            if (!job.is_ok() || ids.size() == 1) {
              submitted(ids[i], job);
            } else {
              submitted(ids[i], job.value() + "_" + std::to_string(i));
            }
          }
        };
      });
}

void SlurmTrainingService::submitted(const std::string& trial_id,
                                     const StatusOr<std::string>& job) {
  auto it = trials_.find(trial_id);
  if (it == trials_.end()) return;
  Trial& t = it->second;
  t.submitting = false;
  if (!job.is_ok()) {
    TrialEvent ev = ended_event(trial_id, TrialStatus::kFailed, std::nullopt, 0,
                                job.status().message());
    ev.start_failed = true;
    trials_.erase(it);
    ready_.push_back(std::move(ev));
    return;
  }
  t.job = job.value();
  // The job id lets a resumed manager find the job again.
  Status saved =
      write_text_file(t.spec.trial_dir + "/.nni/jobid", t.job + "\n");
  if (!saved.is_ok())
    log_warning("archer", "trial " + t.spec.trial_id + ": " + saved.message() +
                              " (a resume will not find Slurm job " + t.job +
                              ")");
  if (t.cancel) scancel(t.job);  // cancelled while it was being submitted
  next_refresh_ = {};            // ask about it soon
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
  if (job.empty()) finish(spec.trial_id, "", "");
  return Status::ok();
}

Status SlurmTrainingService::cancel(const std::string& trial_id,
                                    TrialStatus status) {
  auto it = trials_.find(trial_id);
  if (it == trials_.end())
    return Status::not_found("trial '" + trial_id + "' is not running");
  Trial& t = it->second;
  if (t.cancel) return Status::ok();
  t.cancel = status;
  if (!t.submitting) scancel(t.job);
  next_refresh_ = {};
  return Status::ok();
}

void SlurmTrainingService::scancel(const std::string& job) {
  worker_->post(scancel_job(job, options_.env));
}

void SlurmTrainingService::mark_started(const std::string& trial_id, Trial& t) {
  if (t.started) return;
  t.started = true;
  ready_.push_back(started_event(trial_id, t.job));
}

void SlurmTrainingService::read_metrics(Trial& t, bool ended) {
  read_metric_events(*t.reader, t.spec.trial_id, &ready_, ended);
}

void SlurmTrainingService::finish(const std::string& trial_id,
                                  const std::string& job_state_name,
                                  const std::string& reason) {
  auto it = trials_.find(trial_id);
  if (it == trials_.end()) return;
  Trial& t = it->second;
  read_metrics(t, true);
  const std::optional<ExitState> state = read_exit_state(t.spec.trial_dir);
  // A job killed by a signal (scancel's SIGTERM) may still have written its
  // state (exit code 128 + signal): Slurm then says whether it was cancelled.
  const bool by_signal = state && state->code >= 128;
  const bool cancelled = job_state_name.rfind("CANCELLED", 0) == 0;
  const TrialStatus ours = t.cancel.value_or(TrialStatus::kSysCanceled);
  TrialEvent ev;
  if (state && !(by_signal && cancelled)) {
    ev = exit_state_event(trial_id, *state);
  } else {
    const std::optional<int> code =
        state ? std::optional<int>(static_cast<int>(state->code))
              : std::nullopt;
    const std::string job = "Slurm job " + t.job;
    if (cancelled) {
      ev = ended_event(trial_id, ours, code, 0,
                       t.cancel ? "cancelled"
                                : job +
                                      " was cancelled outside Archer "
                                      "(scancel)");
    } else if (job_state_name == "TIMEOUT") {
      ev = ended_event(trial_id, TrialStatus::kFailed, code, 0,
                       job + " hit its time limit (TIMEOUT)");
    } else if (job_state_name == "OUT_OF_MEMORY") {
      ev = ended_event(trial_id, TrialStatus::kFailed, code, 0,
                       job + " ran out of memory (OUT_OF_MEMORY)");
    } else if (job_state_name.empty()) {
      ev = ended_event(trial_id, TrialStatus::kSysCanceled, code, 0,
                       t.job.empty() ? "no Slurm job id was recorded"
                                     : job + " is unknown to Slurm");
    } else {
      ev = ended_event(
          trial_id, ours, code, 0,
          job + " ended " + job_state_name +
              (reason.empty() || reason == "None" ? "" : " (" + reason + ")") +
              " without an exit state");
    }
  }
  trials_.erase(it);
  ready_.push_back(std::move(ev));
}

void SlurmTrainingService::refresh() {
  // A trial whose run.sh wrote a plain exit state has ended, even while Slurm
  // is still completing its job: no need to ask the scheduler.
  std::vector<std::string> done;
  std::vector<Query> queries;
  for (auto& [id, t] : trials_) {
    if (t.submitting) continue;  // no job id yet
    const std::optional<ExitState> state =
        t.cancel ? std::nullopt : read_exit_state(t.spec.trial_dir);
    if (state && state->code < 128) {
      done.push_back(id);
    } else {
      queries.push_back({id, t.job, state.has_value(),
                         options_.slurm.requeue && !t.requeued});
    }
  }
  for (const auto& id : done) {
    mark_started(id, trials_.at(id));
    finish(id, "", "");
  }
  if (queries.empty()) return;
  querying_ = true;
  const auto env = options_.env;
  worker_->post([this, queries, env]() -> BackgroundWorker::Completion {
    auto answers = std::make_shared<QueryResult>(ask_scheduler(queries, env));
    return [this, answers] { apply(*answers); };
  });
}

SlurmTrainingService::QueryResult SlurmTrainingService::ask_scheduler(
    const std::vector<Query>& queries,
    const std::map<std::string, std::string>& env) {
  QueryResult result;
  std::vector<std::string> jobs;
  for (const auto& q : queries) jobs.push_back(q.job);
  auto states = squeue_states(jobs, env);
  if (!states.is_ok()) {
    result.error = states.status().message();
    return result;  // slurmctld away: keep what we know
  }
  std::map<std::string, std::pair<std::string, std::string>> state;
  for (const auto& [id, js] : states.value()) state[id] = {js.state, js.reason};
  for (const auto& q : queries) {
    Answer a;
    a.trial_id = q.trial_id;
    auto s = state.find(q.job);
    a.state = s == state.end() ? "" : s->second.first;
    if ((a.state == "PREEMPTED" || a.state == "NODE_FAIL" ||
         a.state == "BOOT_FAIL") &&
        q.may_requeue && !q.has_state) {
      auto rq = run_process({"scontrol", "requeue", q.job}, env, "",
                            std::chrono::seconds(30));
      a.requeued = rq.is_ok() && rq.value().exit_code == 0;
    }
    a.ended = !a.requeued && (q.has_state || !slurm_live(a.state));
    if (a.ended && !q.job.empty())
      a.final_state = slurm_final_state(q.job, env, &a.reason);
    result.answers.push_back(std::move(a));
  }
  return result;
}

void SlurmTrainingService::apply(const QueryResult& result) {
  querying_ = false;
  if (!result.error.empty()) {
    if (!controller_warned_) {
      log_warning("archer", "squeue failed (" + result.error +
                                "); jobs keep their state, retrying");
      controller_warned_ = true;
    }
    return;
  }
  controller_warned_ = false;
  for (const auto& a : result.answers) {
    auto it = trials_.find(a.trial_id);
    if (it == trials_.end()) continue;
    Trial& t = it->second;
    // Started, or already past it (a short job can end between two looks).
    if (!slurm_waiting(a.state)) mark_started(a.trial_id, t);
    if (a.requeued) {
      log_warning("archer", "trial " + a.trial_id + ": Slurm job " + t.job +
                                " " + a.state + ", requeued once");
      t.requeued = true;
      continue;
    }
    read_metrics(t);
    if (a.ended) finish(a.trial_id, a.final_state, a.reason);
  }
}

StatusOr<std::vector<TrialEvent>> SlurmTrainingService::poll(
    std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  const auto interval = std::chrono::milliseconds(
      static_cast<long long>(options_.slurm.poll_interval * 1000));
  while (true) {
    worker_->run_completions();
    if (!batch_.empty()) submit_batch();
    auto now = std::chrono::steady_clock::now();
    if (now >= next_refresh_ && !querying_) {
      refresh();
      next_refresh_ = std::chrono::steady_clock::now() + interval;
    }
    now = std::chrono::steady_clock::now();
    if (!ready_.empty() || now >= deadline || fd_readable(wake_fd_)) break;
    wait_readable({worker_->fd(), wake_fd_},
                  querying_ ? deadline : std::min(next_refresh_, deadline));
  }
  return take_events(ready_);
}

}  // namespace archer
