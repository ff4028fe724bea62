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
#include "experiment/experiment_index.h"
#include "manager_client.h"
#include "output.h"
#include "store/experiment_files.h"
#include "store/status_report.h"

namespace archer {
namespace cli {

namespace {

// The running (served) experiments with their trial counts, for top: one
// record per experiment whose manager or viewer holds its lock (docs/cli.md).
Json running_json(const std::string& working) {
  const Json index = load_index(working);
  Json out = Json::array();
  for (auto it = index.begin(); it != index.end(); ++it) {
    if (!in_scope(it.value(), working) || !manager_alive(it.value())) continue;
    int total = 0, running = 0, succeeded = 0, failed = 0;
    Json message;
    const std::string dir = it.value().value("dir", "");
    auto store = Store::open(files::store_path(dir));
    std::string status = it.value().value("status", "?");
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
      const Json st = status_json(*store.value());
      // A manager that serves on after the end says DONE here.
      if (status != "VIEWED") status = st["status"].get<std::string>();
      if (st.contains("message")) message = st["message"];
    }
    out.push_back(Json{
        {"id", it.key()},
        {"experimentName", it.value().value("experimentName", "")},
        {"status", status},
        {"port", it.value().contains("port") ? it.value()["port"] : Json()},
        {"trials", total},
        {"running", running},
        {"succeeded", succeeded},
        {"failed", failed},
        {"message", message}});
  }
  return out;
}

void print_running(const std::string& working) {
  const Json all = running_json(working);
  const bool color = color_enabled(1);
  std::printf("%-9s %-14s %-8s %6s %7s %9s %6s  %s\n", "id", "status", "port",
              "trials", "running", "succeeded", "failed", "name");
  for (const auto& e : all) {
    const std::string port = e["port"].is_null() ? "-" : dumps(e["port"]);
    std::printf("%-9s %s %-8s %6d %7d %9d %6d  %s\n",
                e["id"].get<std::string>().c_str(),
                status_cell(e["status"].get<std::string>(), 14, color).c_str(),
                port.c_str(), e["trials"].get<int>(), e["running"].get<int>(),
                e["succeeded"].get<int>(), e["failed"].get<int>(),
                e["experimentName"].get<std::string>().c_str());
    if (e["message"].is_string())
      std::printf("          %s\n", e["message"].get<std::string>().c_str());
  }
  if (all.empty())
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
  auto once = std::make_shared<bool>(false);
  auto json = std::make_shared<bool>(false);
  top->add_option("-n,--iterations", *count,
                  "stop after N refreshes (0: until Ctrl-C)");
  top->add_flag("--once", *once, "print once and exit (as -n 1)");
  top->add_flag("--json", *json,
                "print the running experiments once as a JSON list (keys in "
                "docs/cli.md)");
  top->add_option("-e,--experiment_working_directory", *working,
                  "where experiments live")
      ->capture_default_str();
  top->callback([&run, seconds, count, once, json, working] {
    run = [seconds, count, once, json, working] {
      if (*json) {
        print_json(running_json(*working));
        return 0;
      }
      const int times = *once ? 1 : *count;
      for (int i = 0; times == 0 || i < times; ++i) {
        if (i > 0) {
          std::this_thread::sleep_for(
              std::chrono::milliseconds(static_cast<int>(*seconds * 1000)));
        }
        if (isatty(1) && times != 1) std::cout << "\033[H\033[2J";
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
          if (!in_scope(it.value(), *uworking) || !manager_alive(it.value()))
            continue;
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
