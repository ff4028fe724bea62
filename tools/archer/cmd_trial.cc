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

namespace {

// The last intermediate result's default value (a mapping's "default").
std::string last_intermediate(const TrialSummary& t) {
  const std::vector<std::string> inter = intermediate_values(t);
  if (inter.empty()) return "-";
  const Json v = metric_json(inter.back());
  return v.is_object() && v.contains("default") ? dumps(v["default"])
                                                : inter.back();
}

// Why it did not succeed (an assessor's reason, an exit code), under its row.
void print_message(const TrialSummary& t) {
  if (t.row.status != TrialStatus::kSucceeded && !t.row.message.empty())
    std::printf("       %s\n", t.row.message.c_str());
}

// --wide: the whole final metric and architecture JSON.
void print_wide(const std::vector<TrialSummary>& trials) {
  const bool color = color_enabled(1);
  std::printf("%-6s %-4s %-14s %9s %-12s %5s %-10s %s\n", "id", "seq", "status",
              "duration", "final", "inter", "last", "architecture");
  for (const auto& t : trials) {
    std::printf("%-6s %-4lld %s %8.1fs %-12s %5zu %-10s %s\n",
                t.row.trial_id.c_str(),
                static_cast<long long>(t.row.sequence_id),
                status_cell(to_string(t.row.status), 14, color).c_str(),
                t.duration_seconds(), t.final_metric.c_str(),
                intermediate_values(t).size(), last_intermediate(t).c_str(),
                dumps(t.architecture).c_str());
    if (!t.where.text().empty())
      std::printf("       on %s\n", t.where.text().c_str());
    print_message(t);
  }
}

std::string number_cell(const Json& v) {
  if (!v.is_number()) return "-";
  char out[32];
  std::snprintf(out, sizeof out, "%.4g", v.get<double>());
  return out;
}

// "conv=5x5 skip=0+2": each choice's value, an input choice's inputs joined.
std::string short_architecture(const Json& arch) {
  if (!arch.is_object()) return arch.is_null() ? "-" : dumps(arch);
  std::string out;
  for (const auto& [key, choice] : arch.items()) {
    const Json v = choice.is_object() ? choice.value("_value", choice) : choice;
    std::string text;
    if (v.is_array()) {
      for (const auto& x : v)
        text += (text.empty() ? "" : "+") +
                (x.is_string() ? x.get<std::string>() : dumps(x));
      if (text.empty()) text = "()";
    } else {
      text = v.is_string() ? v.get<std::string>() : dumps(v);
    }
    out += (out.empty() ? "" : " ") + key + "=" + text;
  }
  return out;
}

// The table: the default value and the costs (numeric keys of the final
// metrics besides "default", params/macs/latency_ms first) as columns, the
// architecture abbreviated and cut to the terminal's width.
void print_table(const std::vector<TrialSummary>& trials, int columns) {
  // Each final metric parsed once.
  std::vector<Json> finals;
  finals.reserve(trials.size());
  for (const auto& t : trials) finals.push_back(metric_json(t.final_metric));
  std::vector<std::string> costs;
  for (const char* k : {"params", "macs", "latency_ms"}) {
    for (const Json& f : finals) {
      if (f.is_object() && f.value(k, Json()).is_number()) {
        costs.push_back(k);
        break;
      }
    }
  }
  const bool color = color_enabled(1);
  // Several platforms: which one ran each trial.
  const bool hybrid = !trials.empty() && trials[0].hybrid;
  std::string header = "id     seq  status          duration  ";
  if (hybrid) header += "platform ";
  header += "value     ";
  for (const auto& c : costs)
    header += (c + std::string(11, ' ')).substr(0, 11);
  header += "inter last      architecture";
  std::printf("%s\n", fit_line(header, columns).c_str());
  for (size_t i = 0; i < trials.size(); ++i) {
    const TrialSummary& t = trials[i];
    const Json& f = finals[i];
    const Json value = f.is_object() ? f.value("default", Json()) : f;
    char row[256];
    const std::string platform =
        hybrid ? (t.where.platform.empty() ? "-" : t.where.platform) + " " : "";
    std::snprintf(
        row, sizeof row, "%-6s %-4lld %%s %8.1fs %s%-9s ",
        t.row.trial_id.c_str(), static_cast<long long>(t.row.sequence_id),
        t.duration_seconds(),
        hybrid ? (platform + std::string(9, ' ')).substr(0, 9).c_str() : "",
        t.final_metric.empty() ? "-" : number_cell(value).c_str());
    std::string line = row;
    for (const auto& c : costs) {
      char cell[32];
      std::snprintf(
          cell, sizeof cell, "%-10s ",
          number_cell(f.is_object() ? f.value(c, Json()) : Json()).c_str());
      line += cell;
    }
    char tail[64];
    std::snprintf(tail, sizeof tail, "%5zu %-9s ",
                  intermediate_values(t).size(),
                  last_intermediate(t).substr(0, 9).c_str());
    line += tail;
    line += short_architecture(t.architecture);
    // Cut to the width as seen (the status is 14 columns, coloured or not).
    const size_t at = line.find("%s");
    const std::string plain = line.substr(0, at) +
                              status_cell(to_string(t.row.status), 14, false) +
                              line.substr(at + 2);
    std::string fitted = fit_line(plain, columns);
    if (color && fitted.size() > at + 14) {
      fitted = fitted.substr(0, at) +
               status_cell(to_string(t.row.status), 14, true) +
               fitted.substr(at + 14);
    }
    std::printf("%s\n", fitted.c_str());
    print_message(t);
  }
}

}  // namespace

void add_trial(CLI::App& app, Action& run) {
  auto* trial = app.add_subcommand("trial", "trials of an experiment");
  trial->require_subcommand(1);
  auto* ls = trial->add_subcommand("ls", "list the trials");
  auto id = std::make_shared<std::string>();
  auto head = std::make_shared<int>(0);
  auto tail = std::make_shared<int>(0);
  auto json = std::make_shared<bool>(false);
  auto wide = std::make_shared<bool>(false);
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
  ls->add_flag("--wide", *wide,
               "every trial's whole final metric and architecture, uncut");
  ls->add_option("--experiment_working_directory", *working,
                 "where experiments live")
      ->capture_default_str();
  ls->callback([&run, id, head, tail, json, wide, working] {
    run = [id, head, tail, json, wide, working]() -> int {
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
      if (*wide) {
        print_wide(trials);
      } else {
        print_table(trials, terminal_columns(1));
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
