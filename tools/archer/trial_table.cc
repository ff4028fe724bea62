#include "trial_table.h"

#include <map>

#include "archer/tuner.h"
#include "output.h"
#include "store/experiment_files.h"
#include "store/ledger.h"
#include "store/trial_value.h"

namespace archer {
namespace cli {

std::vector<TrialSummary> load_trials(const std::string& dir) {
  auto store = Store::open(files::store_path(dir));
  if (!store.is_ok()) throw Error(store.status().message());
  auto config = store.value()->get_value(store_keys::kConfig);
  const OptimizeMode mode =
      optimize_mode_of_config(config.is_ok() ? config.value() : Json());
  auto rows = store.value()->trials();
  auto metrics = store.value()->metrics("");
  if (!rows.is_ok()) throw Error(rows.status().message());
  if (!metrics.is_ok()) throw Error(metrics.status().message());
  std::map<std::string, std::vector<MetricRow>> by_trial;
  for (const auto& m : metrics.value()) by_trial[m.trial_id].push_back(m);
  std::vector<TrialSummary> out;
  for (const auto& row : rows.value()) {
    TrialSummary t;
    t.row = row;
    t.architecture = stored_parameters(row);
    const Json stored = config.is_ok() ? config.value() : Json();
    t.where = trial_where(stored, row.handle);
    t.hybrid = is_hybrid(stored);
    auto mine = by_trial.find(row.trial_id);
    if (mine != by_trial.end()) t.metrics = std::move(mine->second);
    // The one definition of a trial's value (store/trial_value.h).
    if (auto v = trial_value(t.metrics, row.trial_id)) {
      t.final_metric = v->final_text;
      if (v->value) t.reward = to_reward(*v->value, mode);
    }
    out.push_back(std::move(t));
  }
  return out;
}

std::vector<std::string> intermediate_values(const TrialSummary& t) {
  std::vector<std::string> values;
  for (const auto& m : t.metrics) {
    if (m.type == MetricType::kPeriodical) values.push_back(m.value);
  }
  return values;
}

Json trial_json(const TrialSummary& t) {
  const std::vector<std::string> inter = intermediate_values(t);
  auto time = [](std::int64_t ms) { return ms ? Json(ms) : Json(); };
  return Json{
      {"trialJobId", t.row.trial_id},
      {"sequenceId", t.row.sequence_id},
      {"status", to_string(t.row.status)},
      {"startTime", time(t.row.start_time)},
      {"endTime", time(t.row.end_time)},
      {"duration", t.duration_seconds()},
      {"value", metric_json(t.final_metric)},
      {"parameter", t.architecture},
      {"intermediateCount", inter.size()},
      {"lastIntermediate", inter.empty() ? Json() : metric_json(inter.back())},
      {"message", t.row.message},
      {"platform", t.where.platform},
      {"where", t.where.text()}};
}

}  // namespace cli
}  // namespace archer
