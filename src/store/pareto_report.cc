#include "store/pareto_report.h"

#include <algorithm>
#include <cmath>
#include <map>

#include "common/pareto.h"
#include "store/experiment_files.h"
#include "store/trial_value.h"

namespace archer {

std::vector<Objective> objectives_of_config(const Json& canonical) {
  std::vector<Objective> out;
  if (!canonical.is_object() || !canonical.contains("objectives") ||
      !canonical["objectives"].is_array())
    return out;
  for (const Json& j : canonical["objectives"]) {
    if (!j.is_object() || !j.value("metric", Json()).is_string()) continue;
    Objective o;
    o.metric = j["metric"].get<std::string>();
    o.maximize = j.value("mode", std::string("maximize")) != "minimize";
    if (j.value("reference", Json()).is_number())
      o.reference = j["reference"].get<double>();
    out.push_back(o);
  }
  return out;
}

Json pareto_report(const std::vector<Objective>& objectives,
                   std::vector<ParetoTrial> trials) {
  Json out = Json::object();
  Json names = Json::array();
  for (const auto& o : objectives)
    names.push_back(
        {{"metric", o.metric}, {"mode", o.maximize ? "maximize" : "minimize"}});
  out["objectives"] = names;
  if (objectives.empty()) return out;
  std::stable_sort(trials.begin(), trials.end(),
                   [](const ParetoTrial& a, const ParetoTrial& b) {
                     return a.end_time < b.end_time;
                   });
  struct Point {
    const ParetoTrial* trial;
    std::vector<double> values;  // the user's units
    pareto::Point reward;        // oriented (bigger is better)
  };
  std::vector<Point> points;
  for (const auto& t : trials) {
    if (t.final_text.empty()) continue;
    auto v = objective_values(t.final_text, objectives);
    if (!v.is_ok()) continue;
    points.push_back({&t, v.value(), objective_rewards(v.value(), objectives)});
  }
  const size_t k = objectives.size();
  // The scale: reference (worst) and best, oriented.
  pareto::Point lo(k, 0), hi(k, 0);
  for (size_t m = 0; m < k; ++m) {
    double worst = INFINITY, best = -INFINITY;
    for (const auto& p : points) {
      worst = std::min(worst, p.reward[m]);
      best = std::max(best, p.reward[m]);
    }
    if (objectives[m].reference)
      worst = objectives[m].maximize ? *objectives[m].reference
                                     : -*objectives[m].reference;
    lo[m] = worst;
    hi[m] = best;
  }
  auto scaled = [&](const pareto::Point& r) {
    pareto::Point s(k);
    for (size_t m = 0; m < k; ++m)
      s[m] = hi[m] > lo[m] ? (r[m] - lo[m]) / (hi[m] - lo[m]) : 0.0;
    return s;
  };
  Json reference = Json::array(), best = Json::array();
  for (size_t m = 0; m < k; ++m) {
    const double sign = objectives[m].maximize ? 1 : -1;
    reference.push_back(points.empty() ? Json() : Json(sign * lo[m]));
    best.push_back(points.empty() ? Json() : Json(sign * hi[m]));
  }
  out["reference"] = reference;
  out["best"] = best;
  std::vector<pareto::Point> rewards;
  for (const auto& p : points) rewards.push_back(p.reward);
  const std::vector<int> rank = pareto::ranks(rewards);
  Json list = Json::array();
  std::vector<size_t> front;
  for (size_t i = 0; i < points.size(); ++i) {
    list.push_back({{"trialJobId", points[i].trial->trial_id},
                    {"sequenceId", points[i].trial->sequence_id},
                    {"values", points[i].values},
                    {"front", rank[i] == 0}});
    if (rank[i] == 0) front.push_back(i);
  }
  out["points"] = list;
  std::sort(front.begin(), front.end(), [&](size_t a, size_t b) {
    return points[a].reward[0] > points[b].reward[0];
  });
  Json front_ids = Json::array();
  std::vector<pareto::Point> front_scaled;
  for (size_t i : front) {
    front_ids.push_back(points[i].trial->trial_id);
    front_scaled.push_back(scaled(points[i].reward));
  }
  out["front"] = front_ids;
  const pareto::Point origin(k, 0.0);
  out["hypervolume"] = pareto::hypervolume(front_scaled, origin);
  // After each trial: the front so far (kept small by dropping dominated
  // points as they appear).
  Json history = Json::array();
  std::vector<pareto::Point> so_far;
  for (const auto& p : points) {
    const pareto::Point s = scaled(p.reward);
    bool dominated = false;
    for (const auto& q : so_far)
      dominated = dominated || pareto::dominates(q, s);
    if (!dominated) {
      so_far.erase(std::remove_if(so_far.begin(), so_far.end(),
                                  [&](const pareto::Point& q) {
                                    return pareto::dominates(s, q);
                                  }),
                   so_far.end());
      so_far.push_back(s);
    }
    history.push_back({{"sequenceId", p.trial->sequence_id},
                       {"hypervolume", pareto::hypervolume(so_far, origin)}});
  }
  out["history"] = history;
  return out;
}

StatusOr<Json> pareto_report_of_store(Store& store) {
  auto config = store.get_value(store_keys::kConfig);
  if (!config.is_ok()) return config.status();
  const std::vector<Objective> objectives =
      objectives_of_config(config.value());
  std::vector<ParetoTrial> trials;
  if (!objectives.empty()) {
    auto rows = store.trials();
    if (!rows.is_ok()) return rows.status();
    auto finals = store.metrics_of_type(MetricType::kFinal);
    if (!finals.is_ok()) return finals.status();
    std::map<std::string, TrialValueBuilder> values;
    for (const auto& m : finals.value()) values[m.trial_id].add(m.value);
    for (const auto& r : rows.value()) {
      auto v = values.find(r.trial_id);
      if (v == values.end() || !v->second.result()) continue;
      trials.push_back({r.trial_id, r.sequence_id,
                        r.end_time ? r.end_time : r.submit_time,
                        v->second.result()->final_text});
    }
  }
  Json out = pareto_report(objectives, std::move(trials));
  auto probes = store.get_value(store_keys::kCostProbes);
  out["costProbes"] = probes.is_ok() ? probes.value() : Json();
  return out;
}

}  // namespace archer
