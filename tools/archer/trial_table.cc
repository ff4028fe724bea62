#include "trial_table.h"

#include "archer/tuner.h"

namespace archer {
namespace cli {

std::vector<TrialSummary> load_trials(const std::string& dir) {
  auto store = Store::open(dir + "/db/archer.sqlite");
  if (!store.is_ok()) throw Error(store.status().message());
  auto config = store.value()->get_value("config");
  OptimizeMode mode = OptimizeMode::kMaximize;
  if (config.is_ok() && config.value().is_object() &&
      config.value()["tuner"]["classArgs"].value("optimize_mode", "maximize") ==
          "minimize") {
    mode = OptimizeMode::kMinimize;
  }
  auto rows = store.value()->trials();
  auto metrics = store.value()->metrics("");
  if (!rows.is_ok()) throw Error(rows.status().message());
  if (!metrics.is_ok()) throw Error(metrics.status().message());
  std::vector<TrialSummary> out;
  for (const auto& row : rows.value()) {
    TrialSummary t;
    t.row = row;
    auto record = parse_json(row.parameters, "trial " + row.trial_id);
    if (record.is_ok() && record.value().contains("parameters")) {
      t.architecture = record.value()["parameters"];
    }
    for (const auto& m : metrics.value()) {
      if (m.trial_id != row.trial_id) continue;
      t.metrics.push_back(m);
      if (m.type == "FINAL" && t.final_metric.empty()) {
        t.final_metric = m.value;
        auto v = parse_json(m.value, "metric");
        if (v.is_ok()) {
          auto r = extract_scalar_reward(v.value());
          if (r.is_ok()) t.reward = to_reward(r.value(), mode);
        }
      }
    }
    out.push_back(std::move(t));
  }
  return out;
}

}  // namespace cli
}  // namespace archer
