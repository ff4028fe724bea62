#include "experiment_runner.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <thread>

#include "commands.h"
#include "common/log.h"
#include "experiment/experiment.h"
#include "store/experiment_files.h"

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

std::string progress_line(const Progress& p, const ExperimentConfig& c) {
  char buf[512];
  const int done = p.succeeded + p.failed + p.early_stopped;
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
  if (p.early_stopped > 0) {
    const size_t at = line.find(" failed | best");
    line.insert(at + 7,
                ", " + std::to_string(p.early_stopped) + " stopped early");
  }
  if (p.rejected > 0) {
    const size_t at = line.find(" | best");
    line.insert(
        at, ", " + std::to_string(p.rejected) + " rejected by the constraints");
  }
  // Why it stops proposing ("search space exhausted: ...").
  if (!p.message.empty()) line += " | " + p.message;
  if (c.max_experiment_duration) {
    char rem[64];
    std::snprintf(
        rem, sizeof(rem), " | %.0fs left",
        std::max(0.0, *c.max_experiment_duration - p.elapsed_seconds));
    line += rem;
  }
  return line;
}

ServerOptions server_options(const RunOptions& o) {
  ServerOptions s;
  s.enabled = !o.no_server;
  s.port = o.port;
  s.url_prefix = o.url_prefix;
  s.allowed_hosts = o.allowed_hosts;
  return s;
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
  // Close-on-exec: no child of the manager (a trial, the cost probe, NNI's
  // dispatcher) may hold the write end, or this CLI would wait for it.
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) throw Error("pipe failed");
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
  int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (log >= 0) {
    dup2(log, STDOUT_FILENO);
    dup2(log, STDERR_FILENO);
    close(log);
  }
  if (devnull >= 0) {
    dup2(devnull, STDIN_FILENO);
    close(devnull);
  }
  try {
    return body(ready_fd);
  } catch (const std::exception& e) {
    report_ready(ready_fd, false, e.what());
    throw;
  }
}

namespace {

// The end of a run: counts, why it ended, the best trial, where the results
// are.
void print_summary(const Experiment& e) {
  const Progress p = e.progress();
  const std::string& id = e.id();
  std::cout << "Experiment " << id << " " << to_string(p.status) << ": "
            << p.succeeded << " succeeded, " << p.failed << " failed"
            << (p.early_stopped
                    ? ", " + std::to_string(p.early_stopped) + " stopped early"
                    : std::string())
            << (p.rejected ? ", " + std::to_string(p.rejected) +
                                 " proposals rejected before training"
                           : std::string())
            << "." << (p.message.empty() ? "" : " " + p.message) << "\n";
  if (p.best_metric) {
    std::cout << "Best: " << dumps(Json(*p.best_metric)) << " (trial "
              << p.best_trial_id
              << ")\nArchitecture: " << dumps(p.best_architecture) << "\n";
  }
  std::cout << "Results: " << e.dir() << "\n"
            << "Look at them with: archer trial ls " << id
            << " | archer experiment export " << id
            << " --type csv --filename results.csv" << std::endl;
}

}  // namespace

int run_experiment(const std::string& id, const std::string& dir,
                   const ExperimentConfig& config, bool resume,
                   const RunOptions& options, int& ready_fd) {
  auto opened =
      resume ? Experiment::resume(id, dir, config.experiment_working_directory,
                                  server_options(options))
             : Experiment::create(id, dir, config, server_options(options));
  if (!opened.is_ok()) {
    // A create that failed (a busy port, a tuner that cannot start) leaves
    // nothing behind: the folder was made by this command for a fresh id,
    // no index or registry entry points at it yet.
    if (!resume) {
      std::error_code ec;
      std::filesystem::remove_all(dir, ec);
    }
    throw Error(opened.status().message());
  }
  Experiment& e = *opened.value();
  std::cout << e.announcement() << std::flush;
  report_ready(ready_fd, true, e.announcement());
  install_signal_handlers();
  const bool tty = isatty(STDOUT_FILENO);
  // A detached manager with a REST server serves on after the end (as NNI's
  // does) until `archer stop`; the foreground one exits.
  const bool serve_after_end = !options.foreground && !options.no_server;
  bool ended = false;  // DONE, still serving
  std::string last;
  auto last_print = std::chrono::steady_clock::now();
  while (true) {
    StatusOr<bool> more = true;
    if (!g_interrupted) more = e.step(std::chrono::milliseconds(100));
    if (!more.is_ok()) throw Error(more.status().message());
    if (g_interrupted || e.stop_requested()) {
      if (ended) break;  // it stays DONE
      std::cout << (tty ? "\n" : "") << "Stopping: cancelling running trials..."
                << std::endl;
      Status st = e.stop();
      if (!st.is_ok()) throw Error(st.message());
      break;
    }
    // A terminal redraws one line; a log gets a line when something other
    // than the clock changed, or every 30 s while it runs.
    Progress p = e.progress();
    std::string line = progress_line(p, e.config());
    p.elapsed_seconds = 0;
    std::string what = progress_line(p, e.config());
    const auto now = std::chrono::steady_clock::now();
    if (tty ? line != last
            : what != last ||
                  (!ended && now - last_print > std::chrono::seconds(30))) {
      std::cout << (tty ? "\r" : "") << line << (tty ? "" : "\n") << std::flush;
      last = tty ? line : what;
      last_print = now;
    }
    if (more.value()) {
      if (ended) {  // a larger budget revived it
        ended = false;
        Status st = e.record_status();
        if (!st.is_ok()) log_warning("archer", st.message());
      }
      continue;
    }
    if (!serve_after_end) break;
    if (!ended) {
      ended = true;
      Status st = e.record_status();
      if (!st.is_ok()) log_warning("archer", st.message());
      if (tty) std::cout << "\n";
      print_summary(e);
      std::cout << "Serving its web UI and REST API on until `archer stop "
                << id << "`" << std::endl;
    }
    // Idle: only REST requests (answered on the server's threads) and
    // commands (drained by step) can change anything.
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  if (tty && !ended) std::cout << "\n";
  Status finished = e.finish();
  if (!finished.is_ok()) log_warning("archer", finished.message());
  if (!ended) print_summary(e);
  return g_interrupted && !ended ? 130 : 0;
}

int run_viewer(const std::string& id, const std::string& dir,
               const std::string& working_dir, const RunOptions& options,
               int& ready_fd) {
  auto viewer =
      ExperimentViewer::open(id, dir, working_dir, server_options(options));
  if (!viewer.is_ok()) throw Error(viewer.status().message());
  std::cout << viewer.value()->announcement() << std::flush;
  report_ready(ready_fd, true, viewer.value()->announcement());
  install_signal_handlers();
  while (!g_interrupted)
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  Status closed = viewer.value()->close();
  if (!closed.is_ok()) log_warning("archer", closed.message());
  std::cout << "Stopped viewing experiment " << id << std::endl;
  return 0;
}

}  // namespace cli
}  // namespace archer
