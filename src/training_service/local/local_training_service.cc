#include "training_service/local/local_training_service.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <thread>

#include "common/log.h"
#include "common/subprocess.h"
#include "common/time_util.h"
#include "training_service/local/trial_processes.h"
#include "training_service/max_parallel.h"
#include "training_service/metric_events.h"
#include "training_service/trial_files.h"

namespace archer {

namespace fs = std::filesystem;

struct LocalTrainingService::Exits {
  std::mutex mu;
  std::vector<std::pair<std::string, int>> exited;  // trial id, wait status
  int event_fd = -1;
  ~Exits() {
    if (event_fd >= 0) ::close(event_fd);
  }
};

namespace {

// What the waiter reports for an adopted trial: not our child, so no wait
// status.
constexpr int kNoWaitStatus = -1;

// True if `pid` runs `/bin/bash <script>` (a pid can be reused after a
// reboot).
bool runs_script(pid_t pid, const std::string& script) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/cmdline",
                   std::ios::binary);
  std::string cmdline((std::istreambuf_iterator<char>(in)),
                      std::istreambuf_iterator<char>());
  return cmdline == std::string("/bin/bash") + '\0' + script + '\0';
}

void report_exit(const std::shared_ptr<LocalTrainingService::Exits>& exits,
                 const std::string& id, int wait_status) {
  std::lock_guard<std::mutex> lock(exits->mu);
  exits->exited.emplace_back(id, wait_status);
  std::uint64_t one = 1;
  ssize_t ignored = ::write(exits->event_fd, &one, sizeof(one));
  (void)ignored;
}

}  // namespace

StatusOr<std::unique_ptr<LocalTrainingService>> LocalTrainingService::create(
    Options options) {
  int in = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (in < 0)
    return Status::io_error(std::string("inotify_init1: ") +
                            std::strerror(errno));
  auto exits = std::make_shared<Exits>();
  exits->event_fd = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (exits->event_fd < 0) {
    ::close(in);
    return Status::io_error(std::string("eventfd: ") + std::strerror(errno));
  }
  return std::unique_ptr<LocalTrainingService>(
      new LocalTrainingService(options, in, std::move(exits)));
}

LocalTrainingService::LocalTrainingService(Options options, int inotify_fd,
                                           std::shared_ptr<Exits> exits)
    : options_(options), inotify_fd_(inotify_fd), exits_(std::move(exits)) {}

LocalTrainingService::~LocalTrainingService() { ::close(inotify_fd_); }

Status LocalTrainingService::set_max_parallel(int max_parallel) {
  Status st = check_max_parallel(max_parallel);
  if (st.is_ok()) options_.max_parallel = max_parallel;
  return st;
}

int LocalTrainingService::free_slots() const {
  int free =
      std::max(0, options_.max_parallel - static_cast<int>(trials_.size()));
  if (options_.gpus) free = std::min(free, options_.gpus->free_trial_slots());
  return free;
}

pid_t LocalTrainingService::process_group(const std::string& trial_id) const {
  auto it = trials_.find(trial_id);
  return it == trials_.end() ? -1 : it->second.pid;
}

Status LocalTrainingService::prepare(const TrialSpec& spec, Trial& trial) {
  if (trials_.count(spec.trial_id)) {
    return Status::invalid_argument("trial '" + spec.trial_id +
                                    "' is already running");
  }
  trial.spec = spec;
  trial.reader =
      std::make_unique<MetricFileReader>(spec.trial_dir, ".nni/metrics");
  trial.watch =
      ::inotify_add_watch(inotify_fd_, (spec.trial_dir + "/.nni").c_str(),
                          IN_MODIFY | IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE);
  return Status::ok();
}

Status LocalTrainingService::submit(const TrialSpec& requested) {
  TrialSpec spec = requested;
  if (options_.gpus) {
    if (trials_.count(spec.trial_id)) {
      return Status::invalid_argument("trial '" + spec.trial_id +
                                      "' is already running");
    }
    std::vector<int> gpus = options_.gpus->allocate(spec.trial_id);
    if (gpus.empty()) {
      return Status::invalid_argument("no GPU is free for trial '" +
                                      spec.trial_id + "'");
    }
    spec.env["CUDA_VISIBLE_DEVICES"] = cuda_visible_devices(gpus);
  }
  Status st = start(spec);
  if (!st.is_ok() && options_.gpus) options_.gpus->release(spec.trial_id);
  return st;
}

Status LocalTrainingService::start(const TrialSpec& requested) {
  TrialSpec spec = requested;
  set_trial_threads(spec, std::max(1u, std::thread::hardware_concurrency()),
                    options_.max_parallel);
  const std::string script = spec.trial_dir + "/run.sh";
  Status st = write_trial_directory(spec.trial_dir, spec.parameter_record,
                                    local_run_script(spec));
  Trial trial;
  if (st.is_ok()) st = prepare(spec, trial);
  if (!st.is_ok()) return st;
  const char* argv[] = {"/bin/bash", script.c_str(), nullptr};
  pid_t pid = ::fork();
  if (pid < 0) {
    if (trial.watch >= 0) ::inotify_rm_watch(inotify_fd_, trial.watch);
    return Status::io_error(std::string("fork: ") + std::strerror(errno));
  }
  if (pid == 0) {
    ::setpgid(0, 0);
    int devnull = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (devnull >= 0) ::dup2(devnull, 0);
    close_inherited_fds(3);  // nothing of the manager's reaches a trial
    ::execv(argv[0], const_cast<char* const*>(argv));
    ::_exit(127);
  }
  ::setpgid(pid, pid);
  trial.pid = pid;
  if (trial.watch >= 0) watch_to_trial_[trial.watch] = spec.trial_id;
  trials_.emplace(spec.trial_id, std::move(trial));
  std::shared_ptr<Exits> exits = exits_;
  std::string id = spec.trial_id;
  std::thread([exits, pid, id] {
    int wait_status = 0;
    while (::waitpid(pid, &wait_status, 0) < 0 && errno == EINTR) {
    }
    report_exit(exits, id, wait_status);
  }).detach();
  ready_.push_back(started_event(spec.trial_id, std::to_string(pid)));
  return Status::ok();
}

Status LocalTrainingService::adopt(const TrialSpec& spec,
                                   const std::string& handle) {
  std::string text = handle;
  if (text.empty()) {  // the manager died before it stored the handle
    text = read_trial_word(spec.trial_dir, ".nni/pid");
  }
  char* end = nullptr;
  const long parsed = std::strtol(text.c_str(), &end, 10);
  const pid_t pid = !text.empty() && *end == '\0' && parsed > 0
                        ? static_cast<pid_t>(parsed)
                        : -1;
  Trial trial;
  Status st = prepare(spec, trial);
  if (!st.is_ok()) return st;
  if (options_.gpus) {  // the GPUs its run.sh was given
    std::vector<int> gpus = gpus_in_run_script(spec.trial_dir + "/run.sh");
    if (!gpus.empty()) options_.gpus->reserve(spec.trial_id, gpus);
  }
  trial.adopted = true;
  trial.pid = pid;
  int pidfd =
      pid > 0 ? static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)) : -1;
  // Checked after pidfd_open: if the pid still names this trial's run.sh now,
  // the pidfd refers to that process.
  if (pidfd >= 0 && !runs_script(pid, spec.trial_dir + "/run.sh")) {
    ::close(pidfd);
    pidfd = -1;
  }
  trial.lost = pidfd < 0;
  if (trial.watch >= 0) watch_to_trial_[trial.watch] = spec.trial_id;
  trials_.emplace(spec.trial_id, std::move(trial));
  std::shared_ptr<Exits> exits = exits_;
  if (pidfd < 0) {
    report_exit(exits, spec.trial_id, kNoWaitStatus);
    return Status::ok();
  }
  std::string id = spec.trial_id;
  std::thread([exits, pidfd, id] {
    struct pollfd p = {pidfd, POLLIN, 0};
    while (::poll(&p, 1, -1) < 0 && errno == EINTR) {
    }
    ::close(pidfd);
    report_exit(exits, id, kNoWaitStatus);
  }).detach();
  return Status::ok();
}

Status LocalTrainingService::cancel(const std::string& trial_id,
                                    TrialStatus status) {
  auto it = trials_.find(trial_id);
  if (it == trials_.end())
    return Status::not_found("trial '" + trial_id + "' is not running");
  Trial& t = it->second;
  // A lost trial ends at the next poll anyway.
  if (t.cancel.request(status, options_.kill_grace) && !t.lost)
    ::kill(-t.pid, SIGTERM);
  return Status::ok();
}

void LocalTrainingService::read_metrics(Trial& trial, bool ended) {
  read_metric_events(*trial.reader, trial.spec.trial_id, &ready_, ended);
}

void LocalTrainingService::finish(const std::string& trial_id,
                                  int wait_status) {
  auto it = trials_.find(trial_id);
  if (it == trials_.end()) return;
  Trial& t = it->second;
  read_metrics(t, true);  // metrics written just before the exit
  const std::optional<ExitState> state = read_exit_state(t.spec.trial_dir);
  TrialEvent ev;
  if (state) {
    ev = exit_state_event(trial_id, *state);
  } else if (t.lost) {
    ev = ended_event(
        trial_id, TrialStatus::kSysCanceled, std::nullopt, 0,
        "its process was gone when the manager resumed and it left no exit "
        "state (machine restarted?)");
  } else if (wait_status != kNoWaitStatus && WIFSIGNALED(wait_status)) {
    ev = ended_event(
        trial_id, TrialStatus::kFailed, std::nullopt, 0,
        "killed by signal " + std::to_string(WTERMSIG(wait_status)));
  } else {
    ev = ended_event(trial_id, TrialStatus::kFailed,
                     wait_status != kNoWaitStatus && WIFEXITED(wait_status)
                         ? std::optional<int>(WEXITSTATUS(wait_status))
                         : std::nullopt,
                     0, "ended without writing .nni/state");
  }
  t.cancel.apply(ev);
  if (t.watch >= 0) {
    ::inotify_rm_watch(inotify_fd_, t.watch);
    watch_to_trial_.erase(t.watch);
  }
  // The whole group: children the trial left behind do not outlive it. (A lost
  // trial's pid may belong to someone else now.) Then the descendants that
  // left the group (setsid, double fork), found by the trial's environment.
  if (!t.lost && t.pid > 0) ::kill(-t.pid, SIGKILL);
  const int escaped = kill_trial_processes(t.spec.experiment_id,
                                           t.spec.trial_id, t.spec.trial_dir);
  if (escaped > 0) {
    log_info("archer", "trial " + trial_id + ": ended " +
                           std::to_string(escaped) +
                           " process(es) it left outside its process group");
  }
  if (options_.gpus) options_.gpus->release(trial_id);
  trials_.erase(it);
  ready_.push_back(std::move(ev));
}

void LocalTrainingService::drain_inotify() {
  alignas(struct inotify_event) char buf[16384];
  while (true) {
    ssize_t n = ::read(inotify_fd_, buf, sizeof(buf));
    if (n <= 0) break;
    for (char* p = buf; p < buf + n;) {
      auto* ev = reinterpret_cast<struct inotify_event*>(p);
      auto it = watch_to_trial_.find(ev->wd);
      if (it != watch_to_trial_.end()) {
        auto t = trials_.find(it->second);
        if (t != trials_.end()) read_metrics(t->second);
      }
      p += sizeof(struct inotify_event) + ev->len;
    }
  }
}

StatusOr<std::vector<TrialEvent>> LocalTrainingService::poll(
    std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    drain_inotify();
    std::vector<std::pair<std::string, int>> exited;
    {
      std::lock_guard<std::mutex> lock(exits_->mu);
      exited.swap(exits_->exited);
      std::uint64_t count;
      ssize_t ignored = ::read(exits_->event_fd, &count, sizeof(count));
      (void)ignored;
    }
    for (const auto& [id, status] : exited) finish(id, status);
    auto now = std::chrono::steady_clock::now();
    auto next_wake = deadline;
    for (auto& [id, t] : trials_) {
      if (t.cancel.kill_due(now)) {
        if (!t.lost) ::kill(-t.pid, SIGKILL);
        kill_trial_processes(t.spec.experiment_id, t.spec.trial_id,
                             t.spec.trial_dir);
      } else if (t.cancel.kill_at) {
        next_wake = std::min(next_wake, *t.cancel.kill_at);
      }
    }
    if (!ready_.empty() || now >= deadline || fd_readable(wake_fd_)) break;
    wait_readable({inotify_fd_, exits_->event_fd, wake_fd_}, next_wake);
  }
  return take_events(ready_);
}

}  // namespace archer
