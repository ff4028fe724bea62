// archer trial ls: the trials of an experiment, read from its store (no server
// needed).
#include <algorithm>
#include <cctype>
#include <cstdio>
#include <iostream>

#include "archer/store.h"
#include "archer/tuner.h"
#include "commands.h"
#include "manager_client.h"
#include "output.h"
#include "trial_table.h"

namespace archer {
namespace cli {

void add_trial(CLI::App& app, Action& run) {
  auto* trial = app.add_subcommand("trial", "trials of an experiment");
  trial->require_subcommand(1);
  auto* ls = trial->add_subcommand("ls", "list the trials");
  auto id = std::make_shared<std::string>();
  auto head = std::make_shared<int>(0);
  auto tail = std::make_shared<int>(0);
  auto json = std::make_shared<bool>(false);
  auto working = std::make_shared<std::string>(default_working_dir());
  ls->add_option("id", *id, "experiment id (default: the most recent)");
  auto* h =
      ls->add_option("--head", *head, "the N best trials by the default metric")
          ->check(CLI::NonNegativeNumber);
  ls->add_option("--tail", *tail, "the N worst trials by the default metric")
      ->check(CLI::NonNegativeNumber)
      ->excludes(h);
  ls->add_flag("--json", *json,
               "a JSON list for scripts (keys in docs/cli.md)");
  ls->add_option("--experiment_working_directory", *working,
                 "where experiments live")
      ->capture_default_str();
  ls->callback([&run, id, head, tail, json, working] {
    run = [id, head, tail, json, working]() -> int {
      std::vector<TrialSummary> trials =
          load_trials(find_experiment_dir(*id, *working));
      if (*head > 0 || *tail > 0) {
        std::vector<TrialSummary> ranked;
        for (const auto& t : trials) {
          if (t.reward) ranked.push_back(t);
        }
        std::stable_sort(
            ranked.begin(), ranked.end(),
            [](const auto& a, const auto& b) { return *a.reward > *b.reward; });
        if (*tail > 0) std::reverse(ranked.begin(), ranked.end());
        ranked.resize(std::min<size_t>(ranked.size(),
                                       static_cast<size_t>(*head + *tail)));
        trials = ranked;
      }
      if (*json) {
        Json all = Json::array();
        for (const auto& t : trials) all.push_back(trial_json(t));
        print_json(all);
        return 0;
      }
      const bool color = color_enabled(1);
      std::printf("%-6s %-4s %-14s %9s %-12s %5s %-10s %s\n", "id", "seq",
                  "status", "duration", "final", "inter", "last",
                  "architecture");
      for (const auto& t : trials) {
        const std::vector<std::string> inter = intermediate_values(t);
        // The last intermediate result's default value (a mapping's "default").
        std::string last = "-";
        if (!inter.empty()) {
          const Json v = metric_json(inter.back());
          last = v.is_object() && v.contains("default") ? dumps(v["default"])
                                                        : inter.back();
        }
        std::printf("%-6s %-4lld %s %8.1fs %-12s %5zu %-10s %s\n",
                    t.row.trial_id.c_str(),
                    static_cast<long long>(t.row.sequence_id),
                    status_cell(to_string(t.row.status), 14, color).c_str(),
                    t.duration_seconds(), t.final_metric.c_str(), inter.size(),
                    last.c_str(), dumps(t.architecture).c_str());
        // Why it did not succeed (an assessor's reason, an exit code).
        if (t.row.status != TrialStatus::kSucceeded && !t.row.message.empty())
          std::printf("       %s\n", t.row.message.c_str());
      }
      return 0;
    };
  });

  auto* kill = trial->add_subcommand(
      "kill", "stop a running trial (it ends as USER_CANCELED)");
  auto kid = std::make_shared<std::string>();
  auto trial_id = std::make_shared<std::string>();
  kill->add_option("id", *kid, "experiment id (default: the only running one)");
  kill->add_option("-T,--trial_id", *trial_id, "the trial to stop")
      ->required()
      ->check([](const std::string& v) {
        // A trial id as `archer trial ls` shows it: letters and digits.
        const bool ok = !v.empty() && v.size() <= 64 &&
                        std::all_of(v.begin(), v.end(), [](char c) {
                          return std::isalnum(static_cast<unsigned char>(c));
                        });
        return ok ? std::string()
                  : "'" + v.substr(0, 40) +
                        "' is not a trial id (letters and digits, as `archer "
                        "trial ls` shows them)";
      });
  kill->add_option("--experiment_working_directory", *working,
                   "where experiments live")
      ->capture_default_str();
  kill->callback([&run, kid, trial_id, working] {
    run = [kid, trial_id, working]() -> int {
      ManagerEndpoint m = running_manager(*kid, *working);
      call_manager(m, "DELETE", "/trial-jobs/" + *trial_id);
      notice("Trial " + *trial_id + " of experiment " + m.id + ": cancelling");
      return 0;
    };
  });
}

}  // namespace cli
}  // namespace archer
