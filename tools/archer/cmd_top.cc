// archer top: the running experiments and their trial counts, refreshed every
// --time seconds; archer webui url: where an experiment's REST API (and later
// its web UI) is served.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <iostream>
#include <thread>

#include "archer/store.h"
#include "commands.h"
#include "manager_client.h"
#include "store/experiment_files.h"

namespace archer {
namespace cli {

namespace {

void print_running(const std::string& working) {
  const Json index = load_index(working);
  std::printf("%-9s %-14s %-8s %6s %7s %9s %6s  %s\n", "id", "status", "port",
              "trials", "running", "succeeded", "failed", "name");
  int shown = 0;
  for (auto it = index.begin(); it != index.end(); ++it) {
    if (!manager_alive(it.value())) continue;
    ++shown;
    int total = 0, running = 0, succeeded = 0, failed = 0;
    auto store = Store::open(files::store_path(it.value().value("dir", "")));
    if (store.is_ok()) {
      auto trials = store.value()->trials();
      if (trials.is_ok()) {
        for (const auto& t : trials.value()) {
          ++total;
          running += t.status == TrialStatus::kRunning ||
                     t.status == TrialStatus::kWaiting;
          succeeded += t.status == TrialStatus::kSucceeded;
          failed += is_failure(t.status);
        }
      }
    }
    const std::string port =
        it.value().contains("port") ? dumps(it.value()["port"]) : "-";
    std::printf("%-9s %-14s %-8s %6d %7d %9d %6d  %s\n", it.key().c_str(),
                it.value().value("status", "?").c_str(), port.c_str(), total,
                running, succeeded, failed,
                it.value().value("experimentName", "").c_str());
  }
  if (shown == 0)
    std::printf("(no experiment is running under %s)\n", working.c_str());
}

}  // namespace

void add_top(CLI::App& app, Action& run) {
  auto* top = app.add_subcommand(
      "top", "watch the running experiments (Ctrl-C to quit)");
  auto seconds = std::make_shared<double>(3);
  auto count = std::make_shared<int>(0);
  auto working = std::make_shared<std::string>(default_working_dir());
  top->add_option("-t,--time", *seconds, "refresh interval in seconds")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  top->add_option("-n,--iterations", *count,
                  "stop after N refreshes (0: until Ctrl-C)");
  top->add_option("-e,--experiment_working_directory", *working,
                  "where experiments live")
      ->capture_default_str();
  top->callback([&run, seconds, count, working] {
    run = [seconds, count, working] {
      for (int i = 0; *count == 0 || i < *count; ++i) {
        if (i > 0) {
          std::this_thread::sleep_for(
              std::chrono::milliseconds(static_cast<int>(*seconds * 1000)));
        }
        if (isatty(1)) std::cout << "\033[H\033[2J";
        print_running(*working);
        std::cout << std::flush;
      }
      return 0;
    };
  });

  auto* webui = app.add_subcommand("webui", "the web UI");
  webui->require_subcommand(1);
  auto* url = webui->add_subcommand("url", "where an experiment is served");
  auto id = std::make_shared<std::string>();
  auto uworking = std::make_shared<std::string>(default_working_dir());
  url->add_option("id", *id, "experiment id (default: the only running one)");
  url->add_option("-e,--experiment_working_directory", *uworking,
                  "where experiments live")
      ->capture_default_str();
  url->callback([&run, id, uworking] {
    run = [id, uworking] {
      const Json index = load_index(*uworking);
      std::string eid = *id;
      if (eid.empty()) {
        for (auto it = index.begin(); it != index.end(); ++it) {
          if (!manager_alive(it.value())) continue;
          if (!eid.empty())
            throw Error("several experiments are running; name one");
          eid = it.key();
        }
        if (eid.empty())
          throw Error("no experiment is running under " + *uworking);
      }
      if (!index.contains(eid))
        throw Error("experiment '" + eid + "' not found under " + *uworking);
      const Json& e = index[eid];
      if (!manager_alive(e) || !e.contains("port")) {
        throw Error("experiment '" + eid +
                    "' is not served (start `archer view " + eid +
                    "` or `archer resume " + eid + "`)");
      }
      std::cout << "http://127.0.0.1:" << dumps(e["port"])
                << e.value("urlPrefix", std::string()) << "/" << std::endl;
      return 0;
    };
  });
}

}  // namespace cli
}  // namespace archer
