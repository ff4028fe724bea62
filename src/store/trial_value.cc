#include "store/trial_value.h"

namespace archer {

StatusOr<double> final_scalar(const std::string& final_text) {
  auto metric = parse_json(final_text, "final metric");
  if (!metric.is_ok()) return metric.status();
  return extract_scalar_reward(metric.value());
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

OptimizeMode optimize_mode_of_args(const Json& class_args) {
  return class_args.is_object() &&
                 class_args.value("optimize_mode", Json()) == "minimize"
             ? OptimizeMode::kMinimize
             : OptimizeMode::kMaximize;
}

OptimizeMode optimize_mode_of_config(const Json& config) {
  if (!config.is_object()) return OptimizeMode::kMaximize;
  Json tuner = config.value("tuner", Json());
  if (!tuner.is_object()) tuner = config.value("advisor", Json());  // NNI's
  if (!tuner.is_object()) return OptimizeMode::kMaximize;
  return optimize_mode_of_args(tuner.value("classArgs", Json()));
}

}  // namespace archer
