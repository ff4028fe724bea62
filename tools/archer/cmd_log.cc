// archer log stdout|stderr [ID] [--head N | --tail N]: the manager's log;
// archer log dispatcher [ID] [--head N | --tail N]: NNI's dispatcher's (its
// log and any traceback, with NNI's algorithms);
// archer log trial [ID] -T TRIAL: where a trial's output is (stdout, stderr,
// NNI's trial.log, metrics).
#include <deque>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "archer/store.h"
#include "commands.h"
#include "store/experiment_files.h"

namespace archer {
namespace cli {

namespace {

int print_log(const std::string& dir, int head, int tail,
              bool dispatcher = false) {
  const std::string path = dispatcher ? files::dispatcher_log_path(dir)
                                      : files::manager_log_path(dir);
  std::ifstream in(path);
  if (!in) {
    std::cerr << (dispatcher ? "No dispatcher log at " + path +
                                   " (only experiments with NNI's algorithms "
                                   "run NNI's dispatcher)"
                             : "No manager log at " + path +
                                   " (foreground experiments print to the "
                                   "terminal)")
              << std::endl;
    return 0;
  }
  std::deque<std::string> lines;
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    if (head > 0 && n++ >= head) break;
    lines.push_back(line);
    if (tail > 0 && static_cast<int>(lines.size()) > tail) lines.pop_front();
  }
  for (const auto& l : lines) std::cout << l << "\n";
  return 0;
}

int print_trial(const std::string& dir, const std::string& trial_id) {
  auto store = Store::open(files::store_path(dir));
  if (!store.is_ok()) throw Error(store.status().message());
  auto t = store.value()->trial(trial_id);
  if (!t.is_ok()) throw Error(t.status().message());
  if (!t.value()) throw Error("trial '" + trial_id + "' not found in " + dir);
  const std::string tdir = t.value()->trial_dir;
  // trial.log: where NNI's Python SDK sends a trial's print() output (and
  // its log); only trials that use it have one.
  std::error_code ec;
  const bool has_log = std::filesystem::exists(tdir + "/trial.log", ec);
  std::cout << "trial directory: " << tdir << "\nstdout: " << tdir
            << "/stdout\nstderr: " << tdir << "/stderr\ntrial.log: " << tdir
            << "/trial.log"
            << (has_log ? ""
                        : " (not written: the trial does not use NNI's "
                          "Python SDK log)")
            << "\nmetrics: " << tdir << "/.nni/metrics" << std::endl;
  return 0;
}

}  // namespace

void add_log(CLI::App& app, Action& run) {
  auto* log = app.add_subcommand("log", "logs of an experiment");
  log->require_subcommand(1);
  auto id = std::make_shared<std::string>();
  auto head = std::make_shared<int>(0);
  auto tail = std::make_shared<int>(0);
  auto trial = std::make_shared<std::string>();
  auto working = std::make_shared<std::string>(default_working_dir());
  for (const char* name : {"stdout", "stderr", "dispatcher"}) {
    const bool dispatcher = std::string(name) == "dispatcher";
    auto* cmd = log->add_subcommand(
        name, dispatcher
                  ? "NNI's dispatcher's log and traceback (NNI's algorithms)"
                  : "the manager's log (stdout and stderr together)");
    cmd->add_option("id", *id, "experiment id (default: the most recent)");
    auto* h = cmd->add_option("-H,--head", *head, "the first N lines")
                  ->check(CLI::NonNegativeNumber);
    cmd->add_option("-T,--tail", *tail, "the last N lines")
        ->check(CLI::NonNegativeNumber)
        ->excludes(h);
    cmd->add_option("--experiment_working_directory", *working,
                    "where experiments live")
        ->capture_default_str();
    cmd->callback([&run, id, head, tail, working, dispatcher] {
      run = [id, head, tail, working, dispatcher] {
        return print_log(find_experiment_dir(*id, *working), *head, *tail,
                         dispatcher);
      };
    });
  }
  auto* cmd = log->add_subcommand("trial", "where a trial's output is");
  cmd->add_option("id", *id, "experiment id (default: the most recent)");
  cmd->add_option("-T,--trial_id", *trial, "the trial")->required();
  cmd->add_option("--experiment_working_directory", *working,
                  "where experiments live")
      ->capture_default_str();
  cmd->callback([&run, id, trial, working] {
    run = [id, trial, working] {
      return print_trial(find_experiment_dir(*id, *working), *trial);
    };
  });
}

}  // namespace cli
}  // namespace archer
