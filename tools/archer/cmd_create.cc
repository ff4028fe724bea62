// archer create: run an experiment from a config file, with a live progress
// line.
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <random>

#include "archer/config.h"
#include "archer/store.h"
#include "commands.h"
#include "common/time_util.h"
#include "manager/experiment_manager.h"
#include "rest/rest_server.h"
#include "training_service/local_training_service.h"

namespace archer {
namespace cli {

namespace fs = std::filesystem;

namespace {

std::atomic<bool> g_interrupted{false};
void on_signal(int) { g_interrupted = true; }

void update_index(const std::string& working_dir, const std::string& id,
                  const Json& entry) {
  Json all = load_index(working_dir);
  all[id] = entry;
  save_index(working_dir, all);
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
      p.elapsed_seconds, p.status.c_str(), done, budget.c_str(), p.running,
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

int run_manager(const ExperimentConfig& config, const std::string& config_path,
                const std::string& id, const std::string& dir, int port,
                bool no_server, int ready_fd);

int run_create(const std::string& config_path, bool foreground, int port,
               bool no_server) {
  auto loaded = load_experiment_config(config_path);
  if (!loaded.is_ok()) throw Error(loaded.status().message());
  ExperimentConfig config = loaded.value();
  std::mt19937_64 rng(std::random_device{}());
  const std::string id = random_experiment_id(rng);
  const std::string dir = config.experiment_working_directory + "/" + id;
  fs::create_directories(dir + "/db");
  fs::create_directories(dir + "/trials");
  fs::create_directories(dir + "/log");
  // Background: a detached manager process; this one returns once it serves (or
  // failed).
  int ready_fd = -1;
  if (!foreground) {
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
                        : "the manager failed to start; see " + dir +
                              "/log/manager.log");
      }
      std::cout << message.substr(3) << "Stop it with: archer stop " << id
                << std::endl;
      return 0;
    }
    close(fds[0]);
    ready_fd = fds[1];
    setsid();
    int log = open((dir + "/log/manager.log").c_str(),
                   O_WRONLY | O_CREAT | O_APPEND, 0644);
    int devnull = open("/dev/null", O_RDONLY);
    if (log >= 0) {
      dup2(log, STDOUT_FILENO);
      dup2(log, STDERR_FILENO);
    }
    if (devnull >= 0) dup2(devnull, STDIN_FILENO);
  }
  try {
    return run_manager(config, config_path, id, dir, port, no_server, ready_fd);
  } catch (const std::exception& e) {
    if (ready_fd >= 0) {
      std::string msg = std::string("ERR ") + e.what();
      ssize_t ignored = write(ready_fd, msg.data(), msg.size());
      (void)ignored;
      close(ready_fd);
    }
    throw;
  }
}

int run_manager(const ExperimentConfig& config, const std::string& config_path,
                const std::string& id, const std::string& dir, int port,
                bool no_server, int ready_fd) {
  auto store = Store::open(dir + "/db/archer.sqlite");
  if (!store.is_ok()) throw Error(store.status().message());
  auto tuner = create_tuner(config.tuner_name, config.tuner_class_args);
  if (!tuner.is_ok())
    throw Error(config_path + ": " + tuner.status().message());
  LocalTrainingService::Options options;
  options.max_parallel = config.trial_concurrency;
  auto service = LocalTrainingService::create(options);
  if (!service.is_ok()) throw Error(service.status().message());
  ExperimentManager manager(config, id, dir, std::move(tuner).value(),
                            std::move(service).value(), store.value().get());
  Status st = manager.start();
  if (!st.is_ok()) throw Error(config_path + ": " + st.message());
  Json entry = {{"id", id},
                {"dir", dir},
                {"config", config.config_path},
                {"experimentName", config.experiment_name},
                {"startTime", now_ms()},
                {"pid", static_cast<std::int64_t>(getpid())},
                {"status", "RUNNING"}};
  update_index(config.experiment_working_directory, id, entry);
  std::cout << "Experiment " << id << " started: " << dir << std::endl;
  RestServer rest(dir + "/db/archer.sqlite");
  if (!no_server) {
    Status listening = rest.start(port);
    if (!listening.is_ok()) {
      manager.stop();
      throw Error(listening.message());
    }
    std::cout << "REST API: http://127.0.0.1:" << rest.port() << "/api/v1/nni"
              << std::endl;
    entry["port"] = rest.port();
    update_index(config.experiment_working_directory, id, entry);
  }

  if (ready_fd >= 0) {
    std::string msg = "OK\nExperiment " + id + " started: " + dir + "\n";
    if (!no_server) {
      msg += "REST API: http://127.0.0.1:" + std::to_string(rest.port()) +
             "/api/v1/nni\n";
    }
    ssize_t ignored = write(ready_fd, msg.data(), msg.size());
    (void)ignored;
    close(ready_fd);
  }
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  const bool tty = isatty(STDOUT_FILENO);
  std::string last;
  while (true) {
    if (g_interrupted) {
      std::cout << (tty ? "\n" : "") << "Stopping: cancelling running trials..."
                << std::endl;
      st = manager.stop();
      if (!st.is_ok()) throw Error(st.message());
      break;
    }
    auto more = manager.step(std::chrono::milliseconds(200));
    if (!more.is_ok()) throw Error(more.status().message());
    std::string line = progress_line(manager.progress(), config);
    if (line != last) {
      std::cout << (tty ? "\r" : "") << line << (tty ? "" : "\n") << std::flush;
      last = line;
    }
    if (!more.value()) break;
  }
  if (tty) std::cout << "\n";
  Progress p = manager.progress();
  entry["status"] = p.status;
  entry["endTime"] = now_ms();
  update_index(config.experiment_working_directory, id, entry);
  std::cout << "Experiment " << id << " " << p.status << ": " << p.succeeded
            << " succeeded, " << p.failed << " failed."
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

}  // namespace

void add_create(CLI::App& app, Action& run) {
  auto* cmd = app.add_subcommand(
      "create", "run an experiment from a config file (v1 or v2)");
  auto config = std::make_shared<std::string>();
  auto foreground = std::make_shared<bool>(false);
  auto port = std::make_shared<int>(8080);
  auto debug = std::make_shared<bool>(false);
  cmd->add_option("-c,--config", *config, "the experiment config (YAML)")
      ->required();
  cmd->add_flag("-f,--foreground", *foreground,
                "run in this terminal with a live progress line");
  auto no_server = std::make_shared<bool>(false);
  cmd->add_option("-p,--port", *port,
                  "REST API port on 127.0.0.1 (0: any free port)")
      ->capture_default_str();
  cmd->add_flag("--no_server", *no_server,
                "do not open a port (shared clusters); read-only commands read "
                "the store");
  cmd->add_flag("-d,--debug", *debug, "debug logging");
  cmd->callback([&run, config, foreground, port, no_server] {
    run = [config, foreground, port, no_server] {
      return run_create(*config, *foreground, *port, *no_server);
    };
  });
}

}  // namespace cli
}  // namespace archer
