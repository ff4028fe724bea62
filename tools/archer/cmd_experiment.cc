// archer experiment list | show | export: read the experiments index and stores
// directly.
#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <set>

#include "archer/store.h"
#include "commands.h"
#include "experiment/experiment_folder.h"
#include "experiment/experiment_index.h"
#include "manager_client.h"
#include "output.h"
#include "store/experiment_files.h"
#include "store/ledger.h"
#include "store/pareto_report.h"
#include "store/status_report.h"
#include "trial_table.h"

namespace archer {
namespace cli {

namespace {

// A cell a spreadsheet cannot run: text starting with = + - @ (or a tab or
// carriage return) is a formula to Excel and LibreOffice ("=cmd|..."), so it
// is prefixed with ' (numbers such as -0.5 are left alone).
std::string csv_field(const std::string& raw) {
  std::string s = raw;
  if (!s.empty() && std::string("=+-@\t\r").find(s[0]) != std::string::npos) {
    char* end = nullptr;
    std::strtod(s.c_str(), &end);
    if (end != s.c_str() + s.size()) s = "'" + s;
  }
  if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

// The experiment's Pareto report (store/pareto_report.h). Throws
// archer::Error.
Json pareto_of(const std::string& dir) {
  auto store = Store::open(files::store_path(dir));
  if (!store.is_ok()) throw Error(store.status().message());
  auto report = pareto_report_of_store(*store.value());
  if (!report.is_ok()) throw Error(report.status().message());
  return report.value();
}

// The ids on the front (empty without objectives).
std::set<std::string> front_ids(const Json& report) {
  std::set<std::string> ids;
  for (const auto& id : report.value("front", Json::array()))
    ids.insert(id.get<std::string>());
  return ids;
}

// nnictl's metric columns: "reward" for trials whose FINAL metric is a
// number, and each key of those whose metric is a mapping ("default",
// "params", ...), in the order they first appear.
std::vector<std::string> metric_columns(
    const std::vector<TrialSummary>& trials) {
  std::vector<std::string> keys;
  auto add = [&](const std::string& k) {
    if (std::find(keys.begin(), keys.end(), k) == keys.end()) keys.push_back(k);
  };
  for (const auto& t : trials) {
    const Json v = metric_json(t.final_metric);
    if (v.is_number()) add("reward");
    if (v.is_object()) {
      for (auto it = v.begin(); it != v.end(); ++it) add(it.key());
    }
  }
  return keys;
}

// A trial's cell in metric column `key`, from its FINAL metric `v` (parsed,
// metric_json): "" when it has none.
std::string metric_cell(const Json& v, const std::string& key) {
  if (key == "reward") return v.is_number() ? dumps(v) : "";
  if (!v.is_object() || !v.contains(key)) return "";
  return v[key].is_string() ? v[key].get<std::string>() : dumps(v[key]);
}

void print_pareto(const Json& report) {
  const Json& objectives = report["objectives"];
  if (objectives.empty()) return;
  std::cout << "objectives:";
  for (const auto& o : objectives)
    std::cout << " " << o["metric"].get<std::string>() << " ("
              << o["mode"].get<std::string>() << ")";
  const size_t points = report.value("points", Json::array()).size();
  const size_t front = report.value("front", Json::array()).size();
  char hv[32];
  std::snprintf(hv, sizeof hv, "%.4f",
                report.value("hypervolume", Json(0.0)).get<double>());
  std::cout << "\nPareto front: " << front << " of " << points
            << " trials with results; hypervolume " << hv
            << " (of the box between the reference and the best values)\n";
  std::map<std::string, Json> by_id;
  for (const auto& p : report["points"])
    by_id[p["trialJobId"].get<std::string>()] = p;
  for (const auto& id : report["front"]) {
    const Json& p = by_id[id.get<std::string>()];
    std::cout << "  " << id.get<std::string>();
    for (size_t i = 0; i < objectives.size(); ++i)
      std::cout << "  " << objectives[i]["metric"].get<std::string>() << "="
                << dumps(p["values"][i]);
    std::cout << "\n";
  }
}

// The store's status report (store/status_report.h) of the experiment in
// `dir`; null when its store cannot be opened.
Json stored_status(const std::string& dir) {
  std::error_code ec;
  if (!std::filesystem::exists(files::store_path(dir), ec)) return Json();
  auto store = Store::open(files::store_path(dir));
  return store.is_ok() ? status_json(*store.value()) : Json();
}

// An experiment in `status` has ended: nothing runs it, and it needs no
// resume (ERROR: the reason is in the store).
bool ended_status(const std::string& status) {
  return status == "DONE" || status == "STOPPED" || status == "ERROR" ||
         status == "MISSING";
}

// `experiment list --json`'s record of index entry `entry` (docs/cli.md).
Json experiment_json(const std::string& id, const Json& entry,
                     const std::string& working) {
  std::string status = entry.value("status", "?");
  Json message = entry.contains("missing") ? entry["missing"] : Json();
  const bool alive = manager_alive(entry);
  if (message.is_null() && !ended_status(status) && !alive)
    message = "its manager is gone: archer resume " + id;
  if (message.is_null() && status != "MISSING") {
    const Json stored = stored_status(entry.value("dir", ""));
    if (stored.is_object() && stored.contains("message")) {
      // Its first line (an ERROR's reason may carry a traceback).
      std::string m = stored["message"].get<std::string>();
      m = m.substr(0, m.find('\n'));
      if (m.size() > 160) m = m.substr(0, 157) + "...";
      if (m.size() < stored["message"].get<std::string>().size())
        m += " (all of it: archer experiment status " + id + ")";
      message = m;
    }
  }
  Json out = {
      {"id", id},
      {"experimentName", entry.value("experimentName", "")},
      {"status", status},
      {"dir", entry.value("dir", "")},
      {"workingDir", entry_working_dir(entry, working)},
      {"startTime", entry.value("startTime", Json())},
      {"endTime", entry.value("endTime", Json())},
      {"port", alive && entry.contains("port") ? entry["port"] : Json()},
      {"message", message}};
  return out;
}

// `experiment show`'s summary of the experiment in `dir` (docs/cli.md).
Json show_json(const std::string& dir) {
  std::vector<TrialSummary> trials = load_trials(dir);
  Json by_status = Json::object();
  // Several platforms: how many trials each ran.
  Json by_platform = Json::object();
  // The best trial is the ledger's (store/ledger.h), as the manager's; the
  // rewards are oriented, so bigger is better.
  Ledger ledger(OptimizeMode::kMaximize);
  for (const auto& t : trials) {
    const char* s = to_string(t.row.status);
    by_status[s] = by_status.value(s, 0) + 1;
    if (t.hybrid && !t.where.platform.empty())
      by_platform[t.where.platform] =
          by_platform.value(t.where.platform, 0) + 1;
    if (t.reward)
      ledger.result(t.row.trial_id, t.row.sequence_id, *t.reward, {});
    if (is_terminal(t.row.status))
      ledger.ended(t.row.trial_id, t.row.sequence_id, t.row.status,
                   t.row.end_time);
  }
  const TrialSummary* best = nullptr;
  for (const auto& t : trials) {
    if (ledger.best() && t.row.trial_id == ledger.best()->trial_id) best = &t;
  }
  const Json status = stored_status(dir);
  const Json report = pareto_of(dir);
  const std::string id = std::filesystem::path(dir).filename().string();
  return Json{
      {"id", id},
      {"dir", dir},
      {"status", status.is_object() ? status["status"] : Json("INITIALIZED")},
      {"message", status.is_object() && status.contains("message")
                      ? status["message"]
                      : Json()},
      {"trials", trials.size()},
      {"byStatus", by_status},
      {"byPlatform",
       trials.empty() || !trials[0].hybrid ? Json() : by_platform},
      {"best", best ? Json{{"trialJobId", best->row.trial_id},
                           {"value", metric_json(best->final_metric)},
                           {"parameter", best->architecture}}
                    : Json()},
      {"pareto", report["objectives"].empty() ? Json() : report},
      {"costProbes", report["costProbes"]}};
}

int export_trials(const std::string& dir, const std::string& type,
                  const std::string& file, bool intermediate) {
  if (type != "csv" && type != "json")
    throw Error("--type must be csv or json, got '" + type + "'");
  std::vector<TrialSummary> trials = load_trials(dir);
  const Json report = pareto_of(dir);
  const bool multi = !report["objectives"].empty();
  const std::set<std::string> front = front_ids(report);
  const std::vector<std::string> metrics = metric_columns(trials);
  std::ofstream out(file, std::ios::trunc);
  if (!out) throw Error(file + ": cannot write");
  if (type == "json") {
    Json all = Json::array();
    for (const auto& t : trials) {
      Json e = {{"trialJobId", t.row.trial_id},
                {"sequenceId", t.row.sequence_id},
                {"status", t.row.status},
                {"parameter", t.architecture},
                {"value", t.final_metric}};
      if (!t.row.message.empty()) e["message"] = t.row.message;
      if (multi) e["paretoFront"] = front.count(t.row.trial_id) > 0;
      if (intermediate) {
        Json values = Json::array();
        for (const auto& m : t.metrics) {
          if (m.type == MetricType::kPeriodical) values.push_back(m.value);
        }
        e["intermediate"] = values;
      }
      all.push_back(e);
    }
    out << dumps(all, DumpOptions{2, false}) << "\n";
  } else {
    std::vector<std::string> keys;
    if (!trials.empty() && trials[0].architecture.is_object()) {
      for (auto it = trials[0].architecture.begin();
           it != trials[0].architecture.end(); ++it) {
        keys.push_back(it.key());
      }
    }
    out << "trialJobId,sequenceId,status";
    for (const auto& k : keys) out << "," << csv_field(k);
    for (const auto& k : metrics) out << "," << csv_field(k);
    if (multi) out << ",paretoFront";
    out << (intermediate ? ",intermediate" : "") << ",message\n";
    for (const auto& t : trials) {
      out << t.row.trial_id << "," << t.row.sequence_id << ","
          << to_string(t.row.status);
      for (const auto& k : keys) {
        // Layer choices by candidate name; input choices by index (their names
        // are often "").
        const Json v =
            t.architecture.contains(k) ? t.architecture[k]["_value"] : Json();
        std::string cell;
        if (v.is_string()) {
          cell = v.get<std::string>();
        } else if (t.architecture.contains(k) &&
                   t.architecture[k]["_idx"].is_array()) {
          for (const auto& i : t.architecture[k]["_idx"])
            cell += (cell.empty() ? "" : " ") + dumps(i);
        }
        out << "," << csv_field(cell);
      }
      const Json value = metric_json(t.final_metric);
      for (const auto& k : metrics)
        out << "," << csv_field(metric_cell(value, k));
      if (multi) out << "," << (front.count(t.row.trial_id) ? "true" : "false");
      if (intermediate) {
        // nnictl's "[v1,v2,...]".
        std::string values;
        for (const auto& v : intermediate_values(t))
          values += (values.empty() ? "" : ",") + v;
        out << "," << csv_field("[" + values + "]");
      }
      out << "," << csv_field(t.row.message) << "\n";
    }
  }
  out.close();  // flushed and checked: a full disk is said, not hidden
  if (out.fail()) throw Error(file + ": cannot write the export (disk full?)");
  notice("Exported " + std::to_string(trials.size()) + " trials to " + file);
  return 0;
}

}  // namespace

void add_experiment(CLI::App& app, Action& run) {
  auto* exp = app.add_subcommand("experiment", "experiments");
  exp->require_subcommand(1);
  auto working = std::make_shared<std::string>(default_working_dir());
  auto id = std::make_shared<std::string>();

  auto* list = exp->add_subcommand("list", "list the experiments");
  auto json = std::make_shared<bool>(false);
  list->add_flag("--all", "include stopped experiments (all are listed)");
  list->add_flag("--json", *json,
                 "a JSON list for scripts (keys in docs/cli.md)");
  list->add_option("--experiment_working_directory", *working,
                   "where experiments live")
      ->capture_default_str();
  list->callback([&run, working, json] {
    run = [working, json]() -> int {
      const Json known = load_index(*working);
      Json index = Json::object();
      for (auto it = known.begin(); it != known.end(); ++it)
        if (in_scope(it.value(), *working)) index[it.key()] = it.value();
      if (*json) {
        Json all = Json::array();
        for (auto it = index.begin(); it != index.end(); ++it)
          all.push_back(experiment_json(it.key(), it.value(), *working));
        print_json(all);
        return 0;
      }
      if (index.empty()) {
        notice("No experiment under " + *working);
        return 0;
      }
      const bool color = color_enabled(1);
      for (auto it = index.begin(); it != index.end(); ++it) {
        const Json e = experiment_json(it.key(), it.value(), *working);
        std::string note;
        if (!e["message"].is_null())
          note = " (" + e["message"].get<std::string>() + ")";
        std::cout << it.key() << "  "
                  << status_cell(e["status"].get<std::string>(), 0, color)
                  << note << "  " << e.value("experimentName", "") << "  "
                  << e.value("dir", "") << "\n";
      }
      return 0;
    };
  });

  auto* show =
      exp->add_subcommand("show", "show an experiment's config and counts");
  show->add_option("id", *id, "experiment id (default: the most recent)");
  show->add_flag("--json", *json,
                 "a JSON object for scripts (keys in docs/cli.md)");
  show->add_option("--experiment_working_directory", *working,
                   "where experiments live")
      ->capture_default_str();
  show->callback([&run, id, working, json] {
    run = [id, working, json]() -> int {
      const std::string dir = find_experiment_dir(*id, *working);
      const Json summary = show_json(dir);
      if (*json) {
        print_json(summary);
        return 0;
      }
      const bool color = color_enabled(1);
      std::cout << "experiment: " << summary["id"].get<std::string>()
                << "\ndirectory: " << dir << "\nstatus: "
                << status_cell(summary["status"].get<std::string>(), 0, color);
      if (summary["message"].is_string())
        std::cout << " (" << summary["message"].get<std::string>() << ")";
      std::cout << "\ntrials: " << summary["trials"] << "\n";
      for (auto it = summary["byStatus"].begin();
           it != summary["byStatus"].end(); ++it)
        std::cout << "  " << it.key() << ": " << it.value() << "\n";
      if (summary["byPlatform"].is_object()) {  // several platforms
        for (auto it = summary["byPlatform"].begin();
             it != summary["byPlatform"].end(); ++it)
          std::cout << "  on " << it.key() << ": " << it.value() << "\n";
      }
      const Json& best = summary["best"];
      if (best.is_object()) {
        std::cout << "best: " << dumps(best["value"]) << " (trial "
                  << best["trialJobId"].get<std::string>()
                  << ")\narchitecture: " << dumps(best["parameter"]) << "\n";
      }
      if (summary["pareto"].is_object()) print_pareto(summary["pareto"]);
      const Json& probes = summary["costProbes"];
      if (probes.is_object()) {
        const int probed = probes.value("probed", 0);
        char per[32];
        std::snprintf(per, sizeof per, "%.2f",
                      probed ? probes.value("seconds", 0.0) / probed : 0.0);
        std::cout << "cost probe: " << probed << " architectures probed ("
                  << per << " s each), " << probes.value("rejected", 0)
                  << " proposals rejected by the constraints\n";
      }
      return 0;
    };
  });

  auto* status_cmd = exp->add_subcommand(
      "status", "an experiment's status (from its store; no server needed)");
  status_cmd->add_option("id", *id, "experiment id (default: the most recent)");
  status_cmd
      ->add_option("--experiment_working_directory", *working,
                   "where experiments live")
      ->capture_default_str();
  status_cmd->add_flag("--json", "the same JSON (it is the only form)");
  status_cmd->callback([&run, id, working] {
    run = [id, working]() -> int {
      const std::string dir = find_experiment_dir(*id, *working);
      auto store = Store::open(files::store_path(dir));
      if (!store.is_ok()) throw Error(store.status().message());
      print_json(status_json(*store.value()));
      return 0;
    };
  });

  auto* import_cmd = exp->add_subcommand(
      "import",
      "feed past results to a running experiment's tuner: a JSON list of "
      "{\"parameter\": architecture, \"value\": metric} (what `export "
      "--type json` writes)");
  auto import_file = std::make_shared<std::string>();
  import_cmd->add_option("id", *id,
                         "experiment id (default: the only running one)");
  import_cmd->add_option("-f,--filename", *import_file, "the JSON file")
      ->required();
  import_cmd
      ->add_option("--experiment_working_directory", *working,
                   "where experiments live")
      ->capture_default_str();
  import_cmd->callback([&run, id, import_file, working] {
    run = [id, import_file, working]() -> int {
      auto records = load_json_file(*import_file);
      if (!records.is_ok()) throw Error(records.status().message());
      if (!records.value().is_array()) {
        throw Error(*import_file +
                    ": expected a JSON list of {\"parameter\": ..., "
                    "\"value\": ...} records");
      }
      ManagerEndpoint m = running_manager(*id, *working);
      Json answer;
      try {
        answer = call_manager(m, "POST", "/experiment/import-data",
                              dumps(records.value()));
      } catch (const Error& e) {
        // The manager names the records "import-data": name the file.
        const std::string what = e.what();
        const std::string from = "import-data:";
        const size_t at = what.find(from);
        if (at == std::string::npos) throw;
        throw Error(what.substr(0, at) + *import_file + ":" +
                    what.substr(at + from.size()));
      }
      notice("Imported " + dumps(answer.value("imported", Json(0))) + " of " +
             std::to_string(records.value().size()) +
             " records into experiment " + m.id);
      return 0;
    };
  });

  auto* del = exp->add_subcommand("delete",
                                  "delete a finished experiment and its files");
  auto del_all = std::make_shared<bool>(false);
  del->add_option("id", *id, "experiment id");
  del->add_flag("--all", *del_all,
                "delete every experiment that is not running");
  del->add_option("--experiment_working_directory", *working,
                  "where experiments live")
      ->capture_default_str();
  del->callback([&run, id, del_all, working] {
    run = [id, del_all, working]() -> int {
      if (id->empty() && !*del_all)
        throw Error("name the experiment to delete, or use --all");
      const Json all = load_index(*working);
      if (!id->empty() && !all.contains(*id))
        throw Error("experiment '" + *id + "' not found under " + *working);
      bool refused = false;
      for (auto it = all.begin(); it != all.end(); ++it) {
        if (*del_all ? !in_scope(it.value(), *working) : it.key() != *id)
          continue;
        const std::string status = it.value().value("status", "");
        const bool locked = manager_alive(it.value());
        // --all keeps an experiment whose manager died (it can be resumed);
        // naming one deletes it once nothing runs it. A MISSING one (its
        // folder is gone) is only forgotten.
        const bool ended = ended_status(status);
        if (locked || (*del_all && !ended)) {
          if (!*del_all) {
            throw Error("experiment '" + it.key() + "' is " +
                        (status == "VIEWED" ? "being viewed"
                         : status == "DONE"
                             ? "DONE but its manager still serves it"
                             : "running") +
                        ": stop it first with `archer stop " + it.key() + "`");
          }
          continue;
        }
        const std::string wd = entry_working_dir(it.value(), *working);
        if (status != "MISSING") {
          // Only what is provably this experiment's folder is removed.
          Status deleted = delete_experiment_folder(
              it.key(), it.value().value("dir", std::string()), wd);
          if (!deleted.is_ok()) {
            const std::string why = deleted.message() + " (its entry is in " +
                                    experiments_index(wd) + ")";
            if (!*del_all) throw Error(why);
            notice("archer: error: " + why);
            refused = true;
            continue;
          }
        }
        std::error_code ec;
        if (std::filesystem::exists(experiments_index(wd), ec))
          update_index(wd, [&](Json& own) { own.erase(it.key()); });
        Status forgotten = unregister_experiment(it.key());
        if (!forgotten.is_ok()) throw Error(forgotten.message());
        notice((status == "MISSING" ? "Forgot experiment "
                                    : "Deleted experiment ") +
               it.key());
      }
      return refused ? 1 : 0;
    };
  });

  auto* exp_export = exp->add_subcommand(
      "export", "export trials with architectures and metrics");
  auto type = std::make_shared<std::string>();
  auto file = std::make_shared<std::string>();
  auto intermediate = std::make_shared<bool>(false);
  exp_export->add_option("id", *id, "experiment id (default: the most recent)");
  exp_export->add_option("-t,--type", *type, "csv or json")->required();
  exp_export->add_option("-f,--filename", *file, "output file")->required();
  exp_export->add_flag("-i,--intermediate", *intermediate,
                       "include intermediate results");
  exp_export
      ->add_option("--experiment_working_directory", *working,
                   "where experiments live")
      ->capture_default_str();
  exp_export->callback([&run, id, type, file, intermediate, working] {
    run = [id, type, file, intermediate, working] {
      return export_trials(find_experiment_dir(*id, *working), *type, *file,
                           *intermediate);
    };
  });
}

}  // namespace cli
}  // namespace archer
