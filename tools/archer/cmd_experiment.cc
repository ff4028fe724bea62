// archer experiment list | show | export: read the experiments index and stores
// directly.
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <set>

#include "archer/store.h"
#include "commands.h"
#include "manager_client.h"
#include "store/experiment_files.h"
#include "store/pareto_report.h"
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

// The cost keys (archer/nn/costs.h) any trial's final metric has, in order.
std::vector<std::string> cost_keys(const std::vector<TrialSummary>& trials) {
  std::vector<std::string> keys;
  for (const char* k : {"params", "macs", "latency_ms"}) {
    for (const auto& t : trials) {
      if (t.final_metric.find(std::string("\"") + k + "\"") ==
          std::string::npos)
        continue;
      keys.push_back(k);
      break;
    }
  }
  return keys;
}

std::string cost_cell(const TrialSummary& t, const std::string& key) {
  auto metric = parse_json(t.final_metric, "final metric");
  if (!metric.is_ok() || !metric.value().is_object() ||
      !metric.value().contains(key))
    return "";
  return dumps(metric.value()[key]);
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

int export_trials(const std::string& dir, const std::string& type,
                  const std::string& file, bool intermediate) {
  if (type != "csv" && type != "json")
    throw Error("--type must be csv or json, got '" + type + "'");
  std::vector<TrialSummary> trials = load_trials(dir);
  const Json report = pareto_of(dir);
  const bool multi = !report["objectives"].empty();
  const std::set<std::string> front = front_ids(report);
  const std::vector<std::string> costs = cost_keys(trials);
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
    out << ",value";
    for (const auto& k : costs) out << "," << k;
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
      out << "," << csv_field(t.final_metric);
      for (const auto& k : costs) out << "," << csv_field(cost_cell(t, k));
      if (multi) out << "," << (front.count(t.row.trial_id) ? "true" : "false");
      if (intermediate) {
        std::string values;
        for (const auto& m : t.metrics) {
          if (m.type == MetricType::kPeriodical)
            values += (values.empty() ? "" : " ") + m.value;
        }
        out << "," << csv_field(values);
      }
      out << "," << csv_field(t.row.message) << "\n";
    }
  }
  std::cout << "Exported " << trials.size() << " trials to " << file
            << std::endl;
  return 0;
}

}  // namespace

void add_experiment(CLI::App& app, Action& run) {
  auto* exp = app.add_subcommand("experiment", "experiments");
  exp->require_subcommand(1);
  auto working = std::make_shared<std::string>(default_working_dir());
  auto id = std::make_shared<std::string>();

  auto* list = exp->add_subcommand("list", "list the experiments");
  list->add_flag("--all", "include stopped experiments (all are listed)");
  list->add_option("--experiment_working_directory", *working,
                   "where experiments live")
      ->capture_default_str();
  list->callback([&run, working] {
    run = [working]() -> int {
      const Json index = load_index(*working);
      if (index.empty()) {
        std::cout << "No experiment under " << *working << std::endl;
        return 0;
      }
      for (auto it = index.begin(); it != index.end(); ++it) {
        std::string status = it.value().value("status", "?");
        if (status != "DONE" && status != "STOPPED" &&
            !manager_alive(it.value())) {
          status += " (its manager is gone: archer resume " + it.key() + ")";
        }
        std::cout << it.key() << "  " << status << "  "
                  << it.value().value("experimentName", "") << "  "
                  << it.value().value("dir", "") << "\n";
      }
      return 0;
    };
  });

  auto* show =
      exp->add_subcommand("show", "show an experiment's config and counts");
  show->add_option("id", *id, "experiment id (default: the most recent)");
  show->add_option("--experiment_working_directory", *working,
                   "where experiments live")
      ->capture_default_str();
  show->callback([&run, id, working] {
    run = [id, working]() -> int {
      const std::string dir = find_experiment_dir(*id, *working);
      std::vector<TrialSummary> trials = load_trials(dir);
      std::map<std::string, int> by_status;
      const TrialSummary* best = nullptr;
      for (const auto& t : trials) {
        ++by_status[to_string(t.row.status)];
        if (t.reward && (!best || *t.reward > *best->reward)) best = &t;
      }
      std::cout << "directory: " << dir << "\ntrials: " << trials.size()
                << "\n";
      for (const auto& [s, n] : by_status)
        std::cout << "  " << s << ": " << n << "\n";
      if (best) {
        std::cout << "best: " << best->final_metric << " (trial "
                  << best->row.trial_id
                  << ")\narchitecture: " << dumps(best->architecture) << "\n";
      }
      const Json report = pareto_of(dir);
      print_pareto(report);
      const Json& probes = report["costProbes"];
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
  status_cmd->callback([&run, id, working] {
    run = [id, working]() -> int {
      const std::string dir = find_experiment_dir(*id, *working);
      auto store = Store::open(files::store_path(dir));
      if (!store.is_ok()) throw Error(store.status().message());
      auto value = store.value()->get_value(store_keys::kStatus);
      if (!value.is_ok()) throw Error(value.status().message());
      std::cout << dumps(Json{{"status", value.value().is_string()
                                             ? value.value()
                                             : Json("INITIALIZED")},
                              {"errors", Json::array()}},
                         DumpOptions{2, false})
                << std::endl;
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
      Json answer = call_manager(m, "POST", "/experiment/import-data",
                                 dumps(records.value()));
      std::cout << "Imported " << answer.value("imported", 0) << " of "
                << records.value().size() << " records into experiment " << m.id
                << std::endl;
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
      update_index(*working, [&](Json& all) {
        if (!id->empty() && !all.contains(*id)) {
          throw Error("experiment '" + *id + "' not found under " + *working);
        }
        Json kept = Json::object();
        for (auto it = all.begin(); it != all.end(); ++it) {
          const std::string status = it.value().value("status", "");
          const bool target = *del_all || it.key() == *id;
          const bool locked = manager_alive(it.value());
          // --all keeps an experiment whose manager died (it can be resumed);
          // naming one deletes it once nothing runs it.
          const bool ended = status == "DONE" || status == "STOPPED";
          if (target && (locked || (*del_all && !ended))) {
            if (!*del_all) {
              throw Error("experiment '" + it.key() + "' is " +
                          (status == "VIEWED" ? "being viewed" : "running") +
                          ": stop it first with `archer stop " + it.key() +
                          "`");
            }
            kept[it.key()] = it.value();
            continue;
          }
          if (!target) {
            kept[it.key()] = it.value();
            continue;
          }
          std::filesystem::remove_all(it.value().value("dir", std::string()));
          std::cout << "Deleted experiment " << it.key() << std::endl;
        }
        all = kept;
      });
      return 0;
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
