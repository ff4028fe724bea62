#include "store/trial_value.h"

#include <cmath>

namespace archer {

StatusOr<double> final_scalar(const std::string& final_text) {
  auto metric = parse_json(final_text, "final metric");
  if (!metric.is_ok()) return metric.status();
  return extract_scalar_reward(metric.value());
}

StatusOr<std::vector<double>> objective_values(
    const std::string& final_text, const std::vector<Objective>& objectives) {
  auto metric = parse_json(final_text, "final metric");
  if (!metric.is_ok()) return metric.status();
  std::vector<double> values;
  for (const auto& o : objectives) {
    if (o.metric == "default") {
      auto v = extract_scalar_reward(metric.value());
      if (!v.is_ok()) return v.status();
      values.push_back(v.value());
      continue;
    }
    const Json& m = metric.value();
    if (!m.is_object() || !m.contains(o.metric) || !m[o.metric].is_number() ||
        !std::isfinite(m[o.metric].get<double>())) {
      return Status::invalid_argument(
          "objective " + o.metric + ": the final metric " +
          json_excerpt(m, 80) + " has no number under '" + o.metric + "'");
    }
    values.push_back(m[o.metric].get<double>());
  }
  return values;
}

std::vector<double> objective_rewards(
    const std::vector<double>& values,
    const std::vector<Objective>& objectives) {
  std::vector<double> r = values;
  for (size_t i = 0; i < r.size() && i < objectives.size(); ++i) {
    if (!objectives[i].maximize) r[i] = -r[i];
  }
  return r;
}

bool TrialValueBuilder::add(const std::string& final_text) {
  if (result_ && result_->value) return false;  // the value is decided
  auto scalar = final_scalar(final_text);
  if (!result_) result_ = TrialValue{final_text, std::nullopt};
  if (!scalar.is_ok()) return false;
  result_ = TrialValue{final_text, scalar.value()};
  return true;
}

std::optional<TrialValue> trial_value(const std::vector<MetricRow>& metrics,
                                      const std::string& trial_id) {
  TrialValueBuilder b;
  for (const auto& m : metrics) {
    if (m.type == MetricType::kFinal && m.trial_id == trial_id) b.add(m.value);
  }
  return b.result();
}

std::map<std::string, TrialValue> trial_values(
    const std::vector<MetricRow>& metrics) {
  std::map<std::string, TrialValueBuilder> builders;
  for (const auto& m : metrics) {
    if (m.type == MetricType::kFinal) builders[m.trial_id].add(m.value);
  }
  std::map<std::string, TrialValue> values;
  for (const auto& [id, b] : builders) values.emplace(id, *b.result());
  return values;
}

OptimizeMode optimize_mode_of(std::optional<bool> default_objective_maximize,
                              const Json& tuner_class_args) {
  if (default_objective_maximize)
    return *default_objective_maximize ? OptimizeMode::kMaximize
                                       : OptimizeMode::kMinimize;
  return tuner_class_args.is_object() &&
                 tuner_class_args.value("optimize_mode", Json()) == "minimize"
             ? OptimizeMode::kMinimize
             : OptimizeMode::kMaximize;
}

OptimizeMode direction_of(const ExperimentConfig& config) {
  std::optional<bool> default_objective;
  for (const auto& o : config.objectives) {
    if (o.metric == "default") default_objective = o.maximize;
  }
  return optimize_mode_of(default_objective, config.tuner_class_args);
}

OptimizeMode optimize_mode_of_config(const Json& config) {
  if (!config.is_object()) return OptimizeMode::kMaximize;
  std::optional<bool> objective;
  const Json objectives = config.value("objectives", Json());
  if (objectives.is_array()) {
    for (const auto& o : objectives) {
      if (o.is_object() && o.value("metric", Json()) == "default")
        objective = o.value("mode", Json()) != "minimize";
    }
  }
  Json tuner = config.value("tuner", Json());
  if (!tuner.is_object()) tuner = config.value("advisor", Json());  // NNI's
  return optimize_mode_of(
      objective, tuner.is_object() ? tuner.value("classArgs", Json()) : Json());
}

}  // namespace archer
