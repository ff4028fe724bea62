// archer stop [ID | --all]: SIGTERM to the experiment's manager (the process
// proven to hold its lock), which cancels its running trials and marks the
// experiment STOPPED; waits (60 s at most) until it has released the lock.
// Exits 1 if a manager could not be signalled or did not stop.
#include <signal.h>

#include <chrono>
#include <iostream>
#include <thread>

#include "archer/json.h"
#include "commands.h"
#include "experiment/experiment_index.h"
#include "manager/manager_lock.h"
#include "manager_client.h"

namespace archer {
namespace cli {

namespace {

int stop(const std::string& id, bool all, const std::string& working) {
  Json index = load_index(working);
  std::vector<std::string> targets;
  for (auto it = index.begin(); it != index.end(); ++it) {
    if ((id.empty() ? in_scope(it.value(), working) : it.key() == id) &&
        manager_alive(it.value()))
      targets.push_back(it.key());
  }
  if (!id.empty() && targets.empty()) {
    throw Error(index.contains(id)
                    ? "experiment '" + id + "' is not running"
                    : "experiment '" + id + "' not found under " + working);
  }
  if (targets.empty()) {
    std::cerr << "No running experiment under " << working << std::endl;
    return 0;
  }
  if (id.empty() && !all && targets.size() > 1) {
    std::string ids;
    for (const auto& t : targets) ids += " " + t;
    throw Error("several experiments are running:" + ids +
                "; name one, or use --all");
  }
  int failures = 0;
  std::vector<std::string> signalled;
  for (const auto& t : targets) {
    // Only the process proven to hold this experiment's lock is signalled.
    Status st = signal_holder(index[t]["dir"].get<std::string>(), SIGTERM);
    if (st.is_ok()) {
      signalled.push_back(t);
    } else if (st.code() != Status::Code::kNotFound) {
      std::cerr << "archer: error: experiment " << t << ": " << st.message()
                << std::endl;
      ++failures;
    }
  }
  const auto limit =
      std::chrono::steady_clock::now() + std::chrono::seconds(60);
  for (const auto& t : signalled) {
    while (std::chrono::steady_clock::now() < limit &&
           manager_alive(index[t])) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    if (manager_alive(index[t])) {
      std::cerr << "archer: error: experiment " << t
                << " did not stop within 60 s; its manager still runs"
                << std::endl;
      ++failures;
      continue;
    }
    const Json entry = load_index(working).value(t, Json::object());
    std::cerr << "Experiment " << t << ": " << entry.value("status", "?")
              << std::endl;
  }
  return failures == 0 ? 0 : 1;
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
