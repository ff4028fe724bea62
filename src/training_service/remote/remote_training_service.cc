#include "training_service/remote/remote_training_service.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/base64.h"
#include "common/log.h"
#include "common/subprocess.h"
#include "common/time_util.h"
#include "training_service/max_parallel.h"
#include "training_service/metric_events.h"
#include "training_service/trial_files.h"

namespace archer {

namespace fs = std::filesystem;

namespace {

// The host's online cores ("getconf" over the shared connection), 1 if unknown.
unsigned host_cores(SshHost& ssh) {
  auto r = ssh.run("getconf _NPROCESSORS_ONLN 2>/dev/null || nproc", "",
                   std::chrono::seconds(15));
  const long n = r.is_ok() ? std::atol(r.value().c_str()) : 0;
  return n > 0 ? static_cast<unsigned>(n) : 1u;
}

}  // namespace

RemoteTrainingService::RemoteTrainingService(Options options)
    : options_(std::move(options)),
      inbox_(std::make_shared<RemoteInbox>()),
      worker_(std::make_unique<BackgroundWorker>()) {}

StatusOr<std::unique_ptr<RemoteTrainingService>> RemoteTrainingService::create(
    Options options) {
  std::unique_ptr<RemoteTrainingService> s(
      new RemoteTrainingService(std::move(options)));
  s->inbox_->event_fd = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (s->inbox_->event_fd < 0) return Status::io_error("eventfd failed");
  // Control sockets need a short path (Unix sockets: 107 bytes).
  const std::string control = "/tmp/archer-ssh-" + std::to_string(::getuid()) +
                              "-" + s->options_.experiment_id;
  const std::string root =
      s->options_.remote_directory + "/" + s->options_.experiment_id;
  std::string errors;
  for (size_t i = 0; i < s->options_.machines.size(); ++i) {
    const RemoteMachine& m = s->options_.machines[i];
    SshMachine ssh;
    ssh.host = m.host;
    ssh.port = m.port;
    ssh.user = m.user;
    ssh.key_file = m.ssh_key_file;
    ssh.passphrase = m.ssh_passphrase;
    ssh.password = m.password;
    ssh.check_host_key = m.check_host_key;
    ssh.known_hosts = m.known_hosts_file;
    s->hosts_.push_back(std::make_unique<RemoteHost>(
        i, ssh, m.python_path, control + "-" + std::to_string(i), root,
        s->inbox_));
    s->gpus_.emplace_back();
    s->cores_.push_back(1);
    s->connecting_.push_back(false);
    auto connected = s->connect_host(i);
    Status st = connected.is_ok() ? Status::ok() : connected.status();
    if (st.is_ok()) s->gpus_[i] = std::move(connected).value();
    if (!st.is_ok()) {
      s->hosts_.back()->last_error = st.message();
      s->hosts_.back()->retry_at = std::chrono::steady_clock::now();
      errors += "\n  " + st.message();
      log_warning("archer", st.message() + " (retrying later)");
    }
  }
  bool any = false;
  for (const auto& h : s->hosts_) any = any || h->up();
  if (!any) {
    return Status::io_error("no remote machine can be used:" + errors);
  }
  return s;
}

StatusOr<std::unique_ptr<GpuScheduler>> RemoteTrainingService::connect_host(
    size_t i) {
  RemoteHost& h = *hosts_[i];
  Status st = h.bring_up(options_.code_dir);
  if (!st.is_ok()) return st;
  cores_[i] = host_cores(h.ssh());
  if (options_.gpus_per_trial <= 0) return std::unique_ptr<GpuScheduler>();
  const RemoteMachine& m = options_.machines[i];
  GpuScheduler::Options gpu;
  gpu.gpus_per_trial = options_.gpus_per_trial;
  gpu.gpu_indices = m.gpu_indices;
  gpu.max_trials_per_gpu = m.max_trial_number_per_gpu;
  gpu.use_active_gpu = m.use_active_gpu;
  gpu.query = [this, i]() -> StatusOr<std::vector<GpuInfo>> {
    RemoteHost& host = *hosts_[i];
    if (!host.up()) return Status::io_error("the host is not connected");
    return query_gpus_with([&host](const std::string& command) {
      return host.ssh().run(command, "", std::chrono::seconds(30));
    });
  };
  auto scheduler = GpuScheduler::create(gpu);
  if (!scheduler.is_ok()) {
    h.take_down();
    return Status::invalid_argument("machineList[" + std::to_string(i) + "] (" +
                                    h.machine().name() +
                                    "): " + scheduler.status().message());
  }
  return std::make_unique<GpuScheduler>(std::move(scheduler).value());
}

bool RemoteTrainingService::usable(size_t i) const {
  return !connecting_[i] && hosts_[i]->up();
}

RemoteTrainingService::~RemoteTrainingService() {
  worker_.reset();  // waits for a running job: it may use a host
  hosts_.clear();   // watchers stopped; trials go on (a resume adopts them)
  if (inbox_->event_fd >= 0) ::close(inbox_->event_fd);
}

int RemoteTrainingService::free_slots() const {
  int hosts_free = 0;  // what the connected hosts' GPUs allow
  bool any = false;
  for (size_t i = 0; i < hosts_.size(); ++i) {
    if (!usable(i)) continue;
    any = true;
    if (gpus_[i]) hosts_free += gpus_[i]->free_trial_slots();
  }
  if (!any) return 0;
  int free =
      std::max(0, options_.max_parallel - static_cast<int>(trials_.size()));
  if (options_.gpus_per_trial > 0) free = std::min(free, hosts_free);
  return free;
}

Status RemoteTrainingService::set_max_parallel(int max_parallel) {
  Status st = check_max_parallel(max_parallel);
  if (st.is_ok()) options_.max_parallel = max_parallel;
  return st;
}

int RemoteTrainingService::host_of(const std::string& trial_id) const {
  auto it = trials_.find(trial_id);
  return it == trials_.end() ? -1 : static_cast<int>(it->second.host);
}

Status RemoteTrainingService::submit(const TrialSpec& spec) {
  if (trials_.count(spec.trial_id)) {
    return Status::invalid_argument("trial '" + spec.trial_id +
                                    "' is already running");
  }
  // The connected host with the fewest of our trials (that has GPUs free).
  std::vector<size_t> order;
  for (size_t i = 0; i < hosts_.size(); ++i) {
    if (usable(i)) order.push_back(i);
  }
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return hosts_[a]->running < hosts_[b]->running;
  });
  if (order.empty()) return Status::io_error("no remote machine is reachable");
  RemoteHost* best = nullptr;
  size_t index = 0;
  std::vector<int> gpus;
  for (size_t i : order) {
    if (gpus_[i]) {
      gpus = gpus_[i]->allocate(spec.trial_id);
      if (gpus.empty()) continue;
    }
    best = hosts_[i].get();
    index = i;
    break;
  }
  if (!best) {
    return Status::io_error("no remote machine has " +
                            std::to_string(options_.gpus_per_trial) +
                            " GPU(s) free now");
  }
  Status placed = launch(spec, index, gpus);
  if (!placed.is_ok() && gpus_[index]) gpus_[index]->release(spec.trial_id);
  return placed;
}

Status RemoteTrainingService::launch(const TrialSpec& spec, size_t index,
                                     const std::vector<int>& gpus) {
  RemoteHost* best = hosts_[index].get();
  Trial t;
  t.spec = spec;
  t.host = index;
  t.remote_dir = best->root() + "/trials/" + spec.trial_id;
  TrialSpec remote = spec;
  if (!gpus.empty())
    remote.env["CUDA_VISIBLE_DEVICES"] = cuda_visible_devices(gpus);
  // The host's cores over the trials that may share it.
  const int hosts = static_cast<int>(std::max<size_t>(1, hosts_.size()));
  set_trial_threads(remote, cores_[index],
                    (options_.max_parallel + hosts - 1) / hosts);
  remote.trial_dir = t.remote_dir;
  remote.code_dir = best->code_path();
  const std::string script =
      local_run_script(remote, "remote", best->python_path());
  // The local copy of the trial directory.
  Status st =
      write_trial_directory(spec.trial_dir, spec.parameter_record, script);
  if (!st.is_ok()) return st;
  const std::string d = shell_quote(t.remote_dir);
  const std::string launch =
      "mkdir -p " + d + "/.nni && : > " + d + "/.nni/metrics && printf %s " +
      shell_quote(spec.parameter_record) + " > " + d +
      "/parameter.cfg && cat > " + d + "/run.sh && cd " + d +
      " && { setsid bash ./run.sh </dev/null >/dev/null 2>&1 & echo $!; }";
  t.reader = std::make_unique<MetricFileReader>(spec.trial_dir, ".nni/metrics");
  t.launching = true;
  ++best->running;
  trials_.emplace(spec.trial_id, std::move(t));
  // The launch command runs on the worker (a host that stops answering must
  // not hold the manager); launched() gets its answer.
  const std::vector<std::string> argv = best->ssh().command_line(launch);
  const std::string id = spec.trial_id, host = best->machine().name();
  worker_->post(
      [this, argv, script, id, host]() -> BackgroundWorker::Completion {
        auto r = run_process(argv, {}, script, std::chrono::seconds(30));
        StatusOr<long> pgid = Status::internal("");
        if (!r.is_ok()) {
          pgid = r.status().with_context("ssh " + host);
        } else if (r.value().exit_code != 0 ||
                   std::atol(r.value().out.c_str()) <= 0) {
          pgid = Status::io_error(
              "ssh " + host + ": the trial did not start (exit " +
              std::to_string(r.value().exit_code) + "): " + r.value().err);
        } else {
          pgid = std::atol(r.value().out.c_str());
        }
        return [this, id, pgid] { launched(id, pgid); };
      });
  return Status::ok();
}

void RemoteTrainingService::launched(const std::string& trial_id,
                                     const StatusOr<long>& pgid) {
  auto it = trials_.find(trial_id);
  if (it == trials_.end()) return;  // its host went down meanwhile
  Trial& t = it->second;
  t.launching = false;
  if (!pgid.is_ok()) {
    TrialEvent ev = ended_event(trial_id, TrialStatus::kFailed, std::nullopt, 0,
                                pgid.status().message());
    ev.start_failed = true;
    RemoteHost& h = *hosts_[t.host];
    if (h.running > 0) --h.running;
    if (gpus_[t.host]) gpus_[t.host]->release(trial_id);
    trials_.erase(it);
    ready_.push_back(std::move(ev));
    return;
  }
  t.pgid = pgid.value();
  // Before any end the watcher reports (its lines waited, see handle_line).
  ready_.push_back(started_event(trial_id, hosts_[t.host]->machine().name() +
                                               "/" + std::to_string(t.pgid)));
  if (t.cancel.status) signal_group(t, "TERM");  // cancelled meanwhile
}

Status RemoteTrainingService::adopt(const TrialSpec& spec,
                                    const std::string& handle) {
  const size_t slash = handle.rfind('/');
  const std::string name =
      slash == std::string::npos ? "" : handle.substr(0, slash);
  Trial t;
  t.spec = spec;
  t.pgid =
      slash == std::string::npos ? -1 : std::atol(handle.c_str() + slash + 1);
  bool found = false;
  for (size_t i = 0; i < hosts_.size() && !found; ++i) {
    if (hosts_[i]->machine().name() == name) {
      t.host = i;
      found = true;
    }
  }
  t.reader = std::make_unique<MetricFileReader>(spec.trial_dir, ".nni/metrics");
  // The local copy is rebuilt from what the watcher sends again.
  std::error_code ec;
  fs::create_directories(spec.trial_dir + "/.nni", ec);
  Status st = write_text_file(spec.trial_dir + "/.nni/metrics", "");
  if (!st.is_ok()) return st;
  if (found) t.remote_dir = hosts_[t.host]->root() + "/trials/" + spec.trial_id;
  trials_.emplace(spec.trial_id, std::move(t));
  if (!found || !usable(trials_[spec.trial_id].host)) {
    end(spec.trial_id, TrialStatus::kSysCanceled, std::nullopt, now_ms(),
        "its host (" + (name.empty() ? handle : name) +
            ") is not reachable after the restart");
  } else {
    const size_t host = trials_[spec.trial_id].host;
    ++hosts_[host]->running;
    std::vector<int> gpus = gpus_in_run_script(spec.trial_dir + "/run.sh");
    if (gpus_[host] && !gpus.empty()) gpus_[host]->reserve(spec.trial_id, gpus);
  }
  return Status::ok();
}

void RemoteTrainingService::signal_group(const Trial& t, const char* signal) {
  if (!usable(t.host) || t.pgid <= 0) return;
  RemoteHost& h = *hosts_[t.host];
  const std::vector<std::string> argv =
      h.ssh().command_line("kill -" + std::string(signal) + " -" +
                           std::to_string(t.pgid) + " 2>/dev/null; true");
  const std::string what = "trial " + t.spec.trial_id + ": SIG" + signal +
                           " on " + h.machine().name();
  worker_->post([argv, what]() -> BackgroundWorker::Completion {
    auto r = run_process(argv, {}, "", std::chrono::seconds(15));
    if (r.is_ok() && r.value().exit_code == 0) return {};
    const std::string why =
        r.is_ok() ? "ssh exited " + std::to_string(r.value().exit_code)
                  : r.status().message();
    return [what, why] { log_warning("archer", what + " failed: " + why); };
  });
}

Status RemoteTrainingService::cancel(const std::string& trial_id,
                                     TrialStatus status) {
  auto it = trials_.find(trial_id);
  if (it == trials_.end() || it->second.ending)
    return Status::not_found("trial '" + trial_id + "' is not running");
  Trial& t = it->second;
  if (t.cancel.request(status, options_.kill_grace)) signal_group(t, "TERM");
  return Status::ok();
}

void RemoteTrainingService::read_metrics(Trial& t, bool ended) {
  read_metric_events(*t.reader, t.spec.trial_id, &ready_, ended);
}

void RemoteTrainingService::append_metrics(Trial& t,
                                           const RemoteInbox::Line& line,
                                           const std::string& bytes) {
  // A new watcher (after a reconnection) sends each file from its start:
  // only what goes beyond what was received is new.
  if (line.generation != t.session_generation) {
    t.session_generation = line.generation;
    t.session_offset = 0;
  }
  const std::uint64_t start = t.session_offset;
  t.session_offset += bytes.size();
  if (t.session_offset <= t.received) return;
  const std::string fresh = bytes.substr(
      static_cast<size_t>(t.received > start ? t.received - start : 0));
  std::ofstream out(t.spec.trial_dir + "/.nni/metrics",
                    std::ios::binary | std::ios::app);
  out << fresh;
  out.close();
  t.received = t.session_offset;
  read_metrics(t);
}

void RemoteTrainingService::end(const std::string& trial_id, TrialStatus status,
                                std::optional<int> exit_code,
                                std::int64_t time_ms,
                                const std::string& message) {
  auto it = trials_.find(trial_id);
  if (it == trials_.end() || it->second.ending) return;
  Trial& t = it->second;
  t.ending = true;
  read_metrics(t, true);
  TrialEvent ev = ended_event(trial_id, status, exit_code, time_ms, message);
  t.cancel.apply(ev);
  if (!usable(t.host) || t.remote_dir.empty()) {
    finish(trial_id, ev);
    return;
  }
  // The outputs are fetched on the worker (they may be large, the link
  // slow); the trial ends when they are here.
  RemoteHost& h = *hosts_[t.host];
  std::vector<std::vector<std::string>> fetch;
  for (const char* f : {"stdout", "stderr"}) {
    fetch.push_back(h.ssh().command_line(
        "cat " + shell_quote(t.remote_dir + "/" + f) + " 2>/dev/null; true"));
  }
  const std::string local = t.spec.trial_dir;
  // Written to the local copy on the worker too: nothing else touches an
  // ending trial's stdout/stderr.
  worker_->post([this, fetch, local, ev]() -> BackgroundWorker::Completion {
    const char* names[] = {"stdout", "stderr"};
    for (size_t i = 0; i < fetch.size(); ++i) {
      // Streamed into the file: a large output never sits in memory.
      OutputCapture to_file;
      to_file.stdout_file = local + "/" + names[i] + ".fetching";
      auto r = run_process(fetch[i], {}, "", std::chrono::seconds(60), to_file);
      std::error_code ec;
      if (r.is_ok() && r.value().exit_code == 0)
        std::filesystem::rename(to_file.stdout_file, local + "/" + names[i],
                                ec);
      else
        std::filesystem::remove(to_file.stdout_file, ec);
    }
    return [this, ev] { finish(ev.trial_id, ev); };
  });
}

void RemoteTrainingService::finish(const std::string& trial_id,
                                   const TrialEvent& ended) {
  auto it = trials_.find(trial_id);
  if (it == trials_.end()) return;
  Trial& t = it->second;
  // The whole group, as on the local platform: what the trial left behind
  // (or what ignored a cancel's SIGTERM) does not outlive it.
  signal_group(t, "KILL");
  RemoteHost& h = *hosts_[t.host];
  if (h.running > 0) --h.running;
  if (gpus_[t.host]) gpus_[t.host]->release(trial_id);
  trials_.erase(it);
  ready_.push_back(ended);
}

void RemoteTrainingService::host_down(size_t host, const std::string& reason) {
  RemoteHost& h = *hosts_[host];
  if (!h.up()) return;
  const std::string why =
      "host " + h.machine().name() + " became unreachable: " + reason;
  log_warning("archer", why + "; its trials end, retrying the host");
  h.take_down();
  h.last_error = reason;
  h.retry_at = std::chrono::steady_clock::now() + h.backoff;
  std::vector<std::string> lost;
  for (auto& [id, t] : trials_) {
    if (t.host == host && !t.ending) lost.push_back(id);
  }
  for (const auto& id : lost) {
    orphans_[host].push_back(trials_[id].pgid);
    end(id, TrialStatus::kSysCanceled, std::nullopt, now_ms(), why);
  }
}

void RemoteTrainingService::retry_hosts() {
  const auto now = std::chrono::steady_clock::now();
  for (size_t i = 0; i < hosts_.size(); ++i) {
    RemoteHost& h = *hosts_[i];
    if (connecting_[i] || h.up() || now < h.retry_at) continue;
    // Connecting (ssh, the code upload, the watcher) runs on the worker;
    // until it completes only the worker touches this host.
    connecting_[i] = true;
    worker_->post([this, i]() -> BackgroundWorker::Completion {
      auto connected = connect_host(i);
      return [this, i,
              connected = std::make_shared<decltype(connected)>(
                  std::move(connected))]() mutable {
        connected_host(i, std::move(*connected));
      };
    });
  }
}

void RemoteTrainingService::connected_host(
    size_t i, StatusOr<std::unique_ptr<GpuScheduler>> connected) {
  RemoteHost& h = *hosts_[i];
  connecting_[i] = false;
  const auto now = std::chrono::steady_clock::now();
  if (!connected.is_ok()) {
    h.last_error = connected.status().message();
    h.backoff = std::min(h.backoff * 2, std::chrono::seconds(60));
    h.retry_at = now + h.backoff;
    return;
  }
  gpus_[i] = std::move(connected).value();
  log_warning("archer", "host " + h.machine().name() + " is back");
  // Trials we gave up on when it went away must not run on unseen.
  for (long pgid : orphans_[i]) {
    if (pgid <= 0) continue;
    const std::vector<std::string> argv = h.ssh().command_line(
        "kill -KILL -" + std::to_string(pgid) + " 2>/dev/null; true");
    worker_->post([argv]() -> BackgroundWorker::Completion {
      // Best effort: the host's watcher reports the end either way.
      (void)run_process(argv, {}, "", std::chrono::seconds(15));
      return {};
    });
  }
  orphans_.erase(i);
}

void RemoteTrainingService::handle_line(const RemoteInbox::Line& line) {
  if (line.host >= hosts_.size()) return;
  if (connecting_[line.host]) {  // its new watcher: handled once connected
    deferred_.push_back(line);
    return;
  }
  RemoteHost& h = *hosts_[line.host];
  if (line.generation != h.generation()) return;  // an old watcher
  std::istringstream in(line.text);
  std::string kind, id;
  in >> kind;
  if (kind == "X") {
    std::string reason;
    std::getline(in, reason);
    host_down(line.host, reason.empty() ? "connection lost" : reason.substr(1));
    return;
  }
  in >> id;
  auto it = trials_.find(id);
  if (it == trials_.end() || it->second.host != line.host || it->second.ending)
    return;
  if (kind == "M") {
    std::string b64;
    in >> b64;
    append_metrics(it->second, line, base64_decode(b64));
  } else if (kind == "S") {
    long long code = -1, ms = 0;
    in >> code >> ms;
    end(id, code == 0 ? TrialStatus::kSucceeded : TrialStatus::kFailed,
        static_cast<int>(code), ms > 0 ? ms : now_ms(),
        code == 0 ? "" : "exit code " + std::to_string(code));
  } else if (kind == "D") {
    end(id, TrialStatus::kFailed, std::nullopt, now_ms(),
        "its process ended without writing .nni/state (killed?)");
  }
}

StatusOr<std::vector<TrialEvent>> RemoteTrainingService::poll(
    std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    worker_->run_completions();
    std::vector<RemoteInbox::Line> lines;
    lines.swap(deferred_);
    for (auto& line : inbox_->take()) lines.push_back(std::move(line));
    for (const auto& line : lines) handle_line(line);
    retry_hosts();
    const auto now = std::chrono::steady_clock::now();
    auto next_wake = deadline;
    for (auto& [id, t] : trials_) {
      if (t.cancel.kill_due(now)) {
        signal_group(t, "KILL");
      } else if (t.cancel.kill_at) {
        next_wake = std::min(next_wake, *t.cancel.kill_at);
      }
    }
    for (size_t i = 0; i < hosts_.size(); ++i) {
      if (!connecting_[i] && !hosts_[i]->up())
        next_wake = std::min(next_wake, hosts_[i]->retry_at);
    }
    if (!ready_.empty() || now >= deadline || fd_readable(wake_fd_)) break;
    wait_readable({inbox_->event_fd, worker_->fd(), wake_fd_}, next_wake);
  }
  return take_events(ready_);
}

}  // namespace archer
