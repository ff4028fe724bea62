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
#include "common/time_util.h"
#include "training_service/max_parallel.h"
#include "training_service/metric_events.h"
#include "training_service/run_script.h"

namespace archer {

namespace fs = std::filesystem;

namespace {

Status write_file(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  if (!out) return Status::io_error(path + ": cannot write");
  return Status::ok();
}

}  // namespace

RemoteTrainingService::RemoteTrainingService(Options options)
    : options_(std::move(options)), inbox_(std::make_shared<RemoteInbox>()) {}

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
    Status st = s->connect_host(i);
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

Status RemoteTrainingService::connect_host(size_t i) {
  RemoteHost& h = *hosts_[i];
  Status st = h.bring_up(options_.code_dir);
  if (!st.is_ok() || options_.gpus_per_trial <= 0) return st;
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
  gpus_[i] = std::make_unique<GpuScheduler>(std::move(scheduler).value());
  return Status::ok();
}

RemoteTrainingService::~RemoteTrainingService() {
  hosts_.clear();  // watchers stopped; trials go on (a resume adopts them)
  if (inbox_->event_fd >= 0) ::close(inbox_->event_fd);
}

int RemoteTrainingService::free_slots() const {
  int hosts_free = 0;  // what the connected hosts' GPUs allow
  bool any = false;
  for (size_t i = 0; i < hosts_.size(); ++i) {
    if (!hosts_[i]->up()) continue;
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
    if (hosts_[i]->up()) order.push_back(i);
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
  remote.trial_dir = t.remote_dir;
  remote.code_dir = best->code_path();
  const std::string script =
      local_run_script(remote, "remote", best->python_path());
  // The local copy of the trial directory.
  std::error_code ec;
  fs::create_directories(spec.trial_dir + "/.nni", ec);
  Status st =
      write_file(spec.trial_dir + "/parameter.cfg", spec.parameter_record);
  if (st.is_ok()) st = write_file(spec.trial_dir + "/run.sh", script);
  if (st.is_ok()) st = write_file(spec.trial_dir + "/.nni/metrics", "");
  if (!st.is_ok()) return st;
  const std::string d = shell_quote(t.remote_dir);
  const std::string launch =
      "mkdir -p " + d + "/.nni && : > " + d + "/.nni/metrics && printf %s " +
      shell_quote(spec.parameter_record) + " > " + d +
      "/parameter.cfg && cat > " + d + "/run.sh && cd " + d +
      " && { setsid bash ./run.sh </dev/null >/dev/null 2>&1 & echo $!; }";
  auto pid = best->ssh().run(launch, script, std::chrono::seconds(30));
  if (!pid.is_ok()) return pid.status();
  t.pgid = std::atol(pid.value().c_str());
  if (t.pgid <= 0) {
    return Status::io_error("ssh " + best->machine().name() +
                            ": the trial did not start (no pid)");
  }
  t.reader = std::make_unique<MetricFileReader>(spec.trial_dir, ".nni/metrics");
  ++best->running;
  TrialEvent started;
  started.kind = TrialEvent::Kind::kStarted;
  started.trial_id = spec.trial_id;
  started.time_ms = now_ms();
  started.handle = best->machine().name() + "/" + std::to_string(t.pgid);
  trials_.emplace(spec.trial_id, std::move(t));
  ready_.push_back(std::move(started));
  return Status::ok();
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
  Status st = write_file(spec.trial_dir + "/.nni/metrics", "");
  if (!st.is_ok()) return st;
  if (found) t.remote_dir = hosts_[t.host]->root() + "/trials/" + spec.trial_id;
  trials_.emplace(spec.trial_id, std::move(t));
  if (!found || !hosts_[trials_[spec.trial_id].host]->up()) {
    end(spec.trial_id, "SYS_CANCELED", std::nullopt, now_ms(),
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

Status RemoteTrainingService::signal_group(Trial& t, const char* signal) {
  RemoteHost& h = *hosts_[t.host];
  if (!h.up() || t.pgid <= 0) return Status::ok();
  auto r = h.ssh().run("kill -" + std::string(signal) + " -" +
                           std::to_string(t.pgid) + " 2>/dev/null; true",
                       "", std::chrono::seconds(15));
  return r.is_ok() ? Status::ok() : r.status();
}

Status RemoteTrainingService::cancel(const std::string& trial_id,
                                     const std::string& status) {
  auto it = trials_.find(trial_id);
  if (it == trials_.end())
    return Status::not_found("trial '" + trial_id + "' is not running");
  Trial& t = it->second;
  if (!t.cancel_status.empty()) return Status::ok();
  t.cancel_status = status;
  t.kill_at = std::chrono::steady_clock::now() + options_.kill_grace;
  return signal_group(t, "TERM");
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

void RemoteTrainingService::end(const std::string& trial_id,
                                const std::string& status,
                                std::optional<int> exit_code,
                                std::int64_t time_ms,
                                const std::string& message) {
  auto it = trials_.find(trial_id);
  if (it == trials_.end()) return;
  Trial& t = it->second;
  read_metrics(t, true);
  RemoteHost& h = *hosts_[t.host];
  if (h.up() && !t.remote_dir.empty()) {  // fetch the outputs
    for (const char* f : {"stdout", "stderr"}) {
      auto text = h.ssh().run(
          "cat " + shell_quote(t.remote_dir + "/" + f) + " 2>/dev/null; true",
          "", std::chrono::seconds(60));
      if (text.is_ok()) write_file(t.spec.trial_dir + "/" + f, text.value());
    }
  }
  if (h.running > 0) --h.running;
  if (gpus_[t.host]) gpus_[t.host]->release(trial_id);
  TrialEvent ev;
  ev.kind = TrialEvent::Kind::kEnded;
  ev.trial_id = trial_id;
  ev.time_ms = time_ms;
  ev.exit_code = exit_code;
  ev.status = t.cancel_status.empty() ? status : t.cancel_status;
  ev.message = t.cancel_status.empty() ? message : "cancelled";
  trials_.erase(it);
  ready_.push_back(std::move(ev));
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
    if (t.host == host) lost.push_back(id);
  }
  for (const auto& id : lost) {
    orphans_[host].push_back(trials_[id].pgid);
    end(id, "SYS_CANCELED", std::nullopt, now_ms(), why);
  }
}

void RemoteTrainingService::retry_hosts() {
  const auto now = std::chrono::steady_clock::now();
  for (size_t i = 0; i < hosts_.size(); ++i) {
    RemoteHost& h = *hosts_[i];
    if (h.up() || now < h.retry_at) continue;
    Status st = connect_host(i);
    if (!st.is_ok()) {
      h.last_error = st.message();
      h.backoff = std::min(h.backoff * 2, std::chrono::seconds(60));
      h.retry_at = now + h.backoff;
      continue;
    }
    log_warning("archer", "host " + h.machine().name() + " is back");
    // Trials we gave up on when it went away must not run on unseen.
    for (long pgid : orphans_[i]) {
      if (pgid > 0)
        h.ssh().run(
            "kill -KILL -" + std::to_string(pgid) + " 2>/dev/null; true", "",
            std::chrono::seconds(15));
    }
    orphans_.erase(i);
  }
}

void RemoteTrainingService::handle_line(const RemoteInbox::Line& line) {
  if (line.host >= hosts_.size()) return;
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
  if (it == trials_.end() || it->second.host != line.host) return;
  if (kind == "M") {
    std::string b64;
    in >> b64;
    append_metrics(it->second, line, base64_decode(b64));
  } else if (kind == "S") {
    long long code = -1, ms = 0;
    in >> code >> ms;
    end(id, code == 0 ? "SUCCEEDED" : "FAILED", static_cast<int>(code),
        ms > 0 ? ms : now_ms(),
        code == 0 ? "" : "exit code " + std::to_string(code));
  } else if (kind == "D") {
    end(id, "FAILED", std::nullopt, now_ms(),
        "its process ended without writing .nni/state (killed?)");
  }
}

std::vector<TrialEvent> RemoteTrainingService::poll(
    std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    for (const auto& line : inbox_->take()) handle_line(line);
    retry_hosts();
    const auto now = std::chrono::steady_clock::now();
    auto next_wake = deadline;
    for (auto& [id, t] : trials_) {
      if (!t.kill_at) continue;
      if (*t.kill_at <= now) {
        signal_group(t, "KILL");
        t.kill_at.reset();
      } else {
        next_wake = std::min(next_wake, *t.kill_at);
      }
    }
    for (const auto& h : hosts_) {
      if (!h->up()) next_wake = std::min(next_wake, h->retry_at);
    }
    if (!ready_.empty() || now >= deadline) break;
    struct pollfd fd = {inbox_->event_fd, POLLIN, 0};
    auto wait =
        std::chrono::duration_cast<std::chrono::milliseconds>(next_wake - now)
            .count();
    ::poll(&fd, 1, static_cast<int>(std::max<long long>(1, wait)));
  }
  std::vector<TrialEvent> out(ready_.begin(), ready_.end());
  ready_.clear();
  return out;
}

}  // namespace archer
