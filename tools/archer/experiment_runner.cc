#include "experiment_runner.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <thread>

#include "archer/store.h"
#include "commands.h"
#include "common/log.h"
#include "common/time_util.h"
#include "manager/commands.h"
#include "manager/experiment_manager.h"
#include "manager/manager_lock.h"
#include "rest/rest_server.h"
#include "store/experiment_files.h"
#include "training_service/platform.h"

namespace archer {
namespace cli {

namespace {

std::atomic<bool> g_interrupted{false};
void on_signal(int) { g_interrupted = true; }

void install_signal_handlers() {
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
}

void update_entry(const std::string& working_dir, const std::string& id,
                  const std::function<void(Json&)>& change) {
  update_index(working_dir, [&](Json& all) {
    Json entry =
        all.contains(id) && all[id].is_object() ? all[id] : Json::object();
    change(entry);
    all[id] = entry;
  });
}

std::string progress_line(const Progress& p, const ExperimentConfig& c) {
  char buf[512];
  const int done = p.succeeded + p.failed;
  std::string budget =
      c.max_trial_number ? std::to_string(*c.max_trial_number) : "∞";
  std::string best = p.best_metric ? dumps(Json(*p.best_metric)) + " (trial " +
                                         p.best_trial_id + ")"
                                   : "-";
  std::snprintf(
      buf, sizeof(buf),
      "[%5.0fs] %s | trials %d/%s done, %d running, %d failed | best %s",
      p.elapsed_seconds, to_string(p.status), done, budget.c_str(), p.running,
      p.failed, best.c_str());
  std::string line = buf;
  if (c.max_experiment_duration) {
    char rem[64];
    std::snprintf(
        rem, sizeof(rem), " | %.0fs left",
        std::max(0.0, *c.max_experiment_duration - p.elapsed_seconds));
    line += rem;
  }
  return line;
}

// Starts the REST server unless disabled; returns the lines to announce.
std::string start_server(RestServer& rest, const RunOptions& options) {
  if (options.no_server) return "";
  Status prefix = rest.set_url_prefix(options.url_prefix);
  if (!prefix.is_ok()) throw Error(prefix.message());
  for (const auto& h : options.allowed_hosts) rest.allow_host(h);
  Status listening = rest.start(options.port);
  if (!listening.is_ok()) throw Error(listening.message());
  const std::string base =
      "http://127.0.0.1:" + std::to_string(rest.port()) + rest.url_prefix();
  return "Web UI: " + base + "/\nREST API: " + base + "/api/v1/nni\n";
}

}  // namespace

void report_ready(int& ready_fd, bool ok, const std::string& text) {
  if (ready_fd < 0) return;
  const std::string msg = (ok ? "OK\n" : "ERR ") + text;
  ssize_t ignored = write(ready_fd, msg.data(), msg.size());
  (void)ignored;
  close(ready_fd);
  ready_fd = -1;  // a later failure must not write to a closed (reused) fd
}

int run_maybe_detached(const std::string& dir, bool foreground,
                       const std::string& stop_hint,
                       const std::function<int(int& ready_fd)>& body) {
  int no_fd = -1;
  if (foreground) return body(no_fd);
  int fds[2];
  if (pipe(fds) != 0) throw Error("pipe failed");
  pid_t pid = fork();
  if (pid < 0) throw Error("fork failed");
  if (pid > 0) {
    close(fds[1]);
    std::string message;
    char buf[512];
    ssize_t n;
    while ((n = read(fds[0], buf, sizeof(buf))) > 0)
      message.append(buf, static_cast<size_t>(n));
    close(fds[0]);
    if (message.rfind("OK\n", 0) != 0) {
      throw Error(message.rfind("ERR ", 0) == 0
                      ? message.substr(4)
                      : "the manager failed to start; see " +
                            files::manager_log_path(dir));
    }
    std::cout << message.substr(3) << stop_hint << std::endl;
    return 0;
  }
  close(fds[0]);
  int ready_fd = fds[1];
  setsid();
  int log = open(files::manager_log_path(dir).c_str(),
                 O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  int devnull = open("/dev/null", O_RDONLY);
  if (log >= 0) {
    dup2(log, STDOUT_FILENO);
    dup2(log, STDERR_FILENO);
  }
  if (devnull >= 0) dup2(devnull, STDIN_FILENO);
  try {
    return body(ready_fd);
  } catch (const std::exception& e) {
    report_ready(ready_fd, false, e.what());
    throw;
  }
}

int run_experiment(const std::string& id, const std::string& dir,
                   const ExperimentConfig& config, bool resume,
                   const RunOptions& options, int& ready_fd) {
  // One manager per experiment, held until this process ends.
  auto lock = ManagerLock::acquire(dir, "manager");
  if (!lock.is_ok()) throw Error(lock.status().message());
  const std::string db = files::store_path(dir);
  auto store = Store::open(db);
  if (!store.is_ok()) throw Error(store.status().message());
  const std::string source =
      resume ? db : (config.config_path.empty() ? db : config.config_path);
  auto tuner = create_tuner(config.tuner_name, config.tuner_class_args);
  if (!tuner.is_ok()) throw Error(source + ": " + tuner.status().message());
  PlatformContext platform;
  platform.experiment_id = id;
  platform.experiment_dir = dir;
  auto service = create_training_service(config, platform);
  if (!service.is_ok()) throw Error(source + ": " + service.status().message());
  ExperimentManager manager(config, id, dir, std::move(tuner).value(),
                            std::move(service).value(), store.value().get());
  Status st = resume ? manager.resume() : manager.start();
  if (!st.is_ok()) throw Error(source + ": " + st.message());
  const std::string working = config.experiment_working_directory;
  const std::string verb = resume ? "resumed" : "started";
  CommandQueue commands;
  RestServer rest(db);
  rest.set_commands(&commands);
  std::string announce = "Experiment " + id + " " + verb + ": " + dir + "\n";
  try {
    announce += start_server(rest, options);
  } catch (const Error&) {
    manager.stop();
    throw;
  }
  update_entry(working, id, [&](Json& e) {
    e["id"] = id;
    e["dir"] = dir;
    if (!resume) {
      e["config"] = config.config_path;
      e["startTime"] = now_ms();
    } else {
      e["resumeTime"] = now_ms();
    }
    e["experimentName"] = config.experiment_name;
    e["pid"] = static_cast<std::int64_t>(getpid());
    e["status"] = "RUNNING";
    e.erase("endTime");
    if (options.no_server) {
      e.erase("port");
    } else {
      e["port"] = rest.port();
      e["urlPrefix"] = rest.url_prefix();
    }
  });
  Status published = lock.value().publish(options.no_server ? 0 : rest.port(),
                                          rest.url_prefix());
  if (!published.is_ok()) log_warning("archer", published.message());
  std::cout << announce << std::flush;
  report_ready(ready_fd, true, announce);
  install_signal_handlers();
  const bool tty = isatty(STDOUT_FILENO);
  std::string last;
  auto last_print = std::chrono::steady_clock::now();
  bool stop_requested = false;
  while (true) {
    commands.drain([&](const std::string& op, const Json& args) {
      return run_command(manager, op, args, &stop_requested);
    });
    if (g_interrupted || stop_requested) {
      std::cout << (tty ? "\n" : "") << "Stopping: cancelling running trials..."
                << std::endl;
      st = manager.stop();
      if (!st.is_ok()) throw Error(st.message());
      break;
    }
    auto more = manager.step(std::chrono::milliseconds(100));
    if (!more.is_ok()) throw Error(more.status().message());
    // A terminal redraws one line; a log gets a line when something other
    // than the clock changed, or every 30 s.
    Progress p = manager.progress();
    std::string line = progress_line(p, manager.config());
    p.elapsed_seconds = 0;
    std::string what = progress_line(p, manager.config());
    const auto now = std::chrono::steady_clock::now();
    if (tty ? line != last
            : what != last || now - last_print > std::chrono::seconds(30)) {
      std::cout << (tty ? "\r" : "") << line << (tty ? "" : "\n") << std::flush;
      last = tty ? line : what;
      last_print = now;
    }
    if (!more.value()) break;
  }
  if (tty) std::cout << "\n";
  rest.stop();
  Progress p = manager.progress();
  update_entry(working, id, [&](Json& e) {
    e["status"] = p.status;
    e["endTime"] = now_ms();
  });
  std::cout << "Experiment " << id << " " << to_string(p.status) << ": "
            << p.succeeded << " succeeded, " << p.failed << " failed."
            << (p.message.empty() ? "" : " " + p.message) << "\n";
  if (p.best_metric) {
    std::cout << "Best: " << dumps(Json(*p.best_metric)) << " (trial "
              << p.best_trial_id
              << ")\nArchitecture: " << dumps(p.best_architecture) << "\n";
  }
  std::cout << "Results: " << dir << "\n"
            << "Look at them with: archer trial ls " << id
            << " | archer experiment export " << id
            << " --type csv --filename results.csv" << std::endl;
  return g_interrupted ? 130 : 0;
}

int run_viewer(const std::string& id, const std::string& dir,
               const std::string& working_dir, const RunOptions& options,
               int& ready_fd) {
  auto lock = ManagerLock::acquire(dir, "viewer");
  if (!lock.is_ok()) throw Error(lock.status().message());
  RestServer rest(files::store_path(dir));  // no commands: read-only
  RunOptions serving = options;
  serving.no_server = false;
  std::string announce = "Viewing experiment " + id + " (read-only): " + dir +
                         "\n" + start_server(rest, serving);
  Status published = lock.value().publish(rest.port(), rest.url_prefix());
  if (!published.is_ok()) log_warning("archer", published.message());
  std::string previous_status;
  update_entry(working_dir, id, [&](Json& e) {
    previous_status = e.value("status", "STOPPED");
    e["status"] = "VIEWED";
    e["pid"] = static_cast<std::int64_t>(getpid());
    e["port"] = rest.port();
    e["urlPrefix"] = rest.url_prefix();
  });
  std::cout << announce << std::flush;
  report_ready(ready_fd, true, announce);
  install_signal_handlers();
  while (!g_interrupted)
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  rest.stop();
  update_entry(working_dir, id, [&](Json& e) {
    e["status"] = previous_status;
    e.erase("port");
  });
  std::cout << "Stopped viewing experiment " << id << std::endl;
  return 0;
}

}  // namespace cli
}  // namespace archer
