// archer stop [ID | --all]: SIGTERM to the experiment's manager, which cancels
// its running trials and marks the experiment STOPPED; waits (bounded) until it
// has.
#include <signal.h>

#include <chrono>
#include <iostream>
#include <thread>

#include "archer/json.h"
#include "commands.h"
#include "manager_client.h"

namespace archer {
namespace cli {

namespace {

int stop(const std::string& id, bool all, const std::string& working) {
  Json index = load_index(working);
  std::vector<std::string> targets;
  for (auto it = index.begin(); it != index.end(); ++it) {
    if ((id.empty() || it.key() == id) && manager_alive(it.value()))
      targets.push_back(it.key());
  }
  if (!id.empty() && targets.empty()) {
    throw Error(index.contains(id)
                    ? "experiment '" + id + "' is not running"
                    : "experiment '" + id + "' not found under " + working);
  }
  if (targets.empty()) {
    std::cout << "No running experiment under " << working << std::endl;
    return 0;
  }
  if (id.empty() && !all && targets.size() > 1) {
    std::string ids;
    for (const auto& t : targets) ids += " " + t;
    throw Error("several experiments are running:" + ids +
                "; name one, or use --all");
  }
  for (const auto& t : targets) {
    ::kill(static_cast<pid_t>(index[t]["pid"].get<std::int64_t>()), SIGTERM);
  }
  const auto limit =
      std::chrono::steady_clock::now() + std::chrono::seconds(60);
  for (const auto& t : targets) {
    while (std::chrono::steady_clock::now() < limit &&
           manager_alive(load_index(working)[t])) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    const Json entry = load_index(working)[t];
    std::cout << "Experiment " << t << ": " << entry.value("status", "?")
              << std::endl;
  }
  return 0;
}

}  // namespace

void add_stop(CLI::App& app, Action& run) {
  auto* cmd = app.add_subcommand("stop", "stop a running experiment");
  auto id = std::make_shared<std::string>();
  auto all = std::make_shared<bool>(false);
  auto working = std::make_shared<std::string>(default_working_dir());
  cmd->add_option("id", *id, "experiment id (default: the only running one)");
  cmd->add_flag("-a,--all", *all, "stop every running experiment");
  cmd->add_option("--experiment_working_directory", *working,
                  "where experiments live")
      ->capture_default_str();
  cmd->callback([&run, id, all, working] {
    run = [id, all, working] { return stop(*id, *all, *working); };
  });
}

}  // namespace cli
}  // namespace archer
